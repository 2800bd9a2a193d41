/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path-util.h"
#include "string-util.h"

char *path_join(const char *a, const char *b) {
        size_t la = strlen(a);

        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        return strdup_printf("%.*s/%s", (int) la, a, b);
}

char *path_simplify(char *p) {
        char *o = p;
        const char *s = p;
        bool absolute = *p == '/';

        if (*p == '\0')
                return p; /* "" stays "" */

        /* Walk the components, dropping empty ones and ".". */
        if (absolute)
                *o++ = '/';
        while (*s) {
                const char *e;
                size_t l;

                while (*s == '/')
                        s++;
                e = strchrnul(s, '/');
                l = (size_t) (e - s);
                if (l == 0 || (l == 1 && s[0] == '.')) {
                        s = e;
                        continue;
                }
                if (o > p && o[-1] != '/')
                        *o++ = '/';
                memmove(o, s, l);
                o += l;
                s = e;
        }
        if (o == p)
                *o++ = '.';
        *o = '\0';
        return p;
}

bool path_has_no_dotdot(const char *p) {
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
                        return false;
        return true;
}

bool path_startswith_dir(const char *p, const char *dir) {
        size_t l = strlen(dir);

        while (l > 0 && dir[l - 1] == '/')
                l--;
        return strneq(p, dir, l) && (p[l] == '\0' || p[l] == '/');
}

int path_split_last(const char *p, char **ret_dir, char **ret_last) {
        _cleanup_free_ char *c = strdup(p), *dir = NULL, *last = NULL;
        char *slash;

        if (!c)
                return -ENOMEM;
        path_simplify(c);
        if (streq(c, "/") || streq(c, "."))
                return -EINVAL;

        slash = strrchr(c, '/');
        if (!slash) {
                dir = strdup(".");
                last = strdup(c);
        } else {
                last = strdup(slash + 1);
                if (slash == c)
                        slash++;
                *slash = '\0';
                dir = strdup(c);
        }
        if (!dir || !last)
                return -ENOMEM;

        *ret_dir = TAKE_PTR(dir);
        *ret_last = TAKE_PTR(last);
        return 0;
}

int path_make_absolute_cwd(const char *p, char **ret) {
        char *r;

        if (path_is_absolute(p))
                r = strdup(p);
        else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                r = path_join(cwd, p);
        }
        if (!r)
                return -ENOMEM;
        *ret = path_simplify(r);
        return 0;
}

bool filename_is_valid(const char *s) {
        return !isempty(s) && !streq(s, ".") && !streq(s, "..") && !strchr(s, '/') && strlen(s) <= NAME_MAX;
}
