/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <string.h>

#include "string-util.h"
#include "strv.h"

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        char **r = calloc(n + 1, sizeof(char *));

        if (!r)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                r[i] = strdup(l[i]);
                if (!r[i])
                        return strv_free(r);
        }
        return r;
}

int strv_consume(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **t;

        if (!value)
                return -ENOMEM;
        t = realloc(*l, sizeof(char *) * (n + 2));
        if (!t) {
                free(value);
                return -ENOMEM;
        }
        t[n] = value;
        t[n + 1] = NULL;
        *l = t;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

bool strv_contains(char *const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

static size_t env_name_length(const char *e) {
        const char *eq = strchr(e, '=');
        return eq ? (size_t) (eq - e) : strlen(e);
}

int strv_env_set(char ***l, const char *assignment) {
        size_t k = env_name_length(assignment);
        char *c = strdup(assignment);

        if (!c)
                return -ENOMEM;
        for (size_t i = 0; *l && (*l)[i]; i++)
                if (env_name_length((*l)[i]) == k && strneq((*l)[i], assignment, k)) {
                        free((*l)[i]);
                        (*l)[i] = c;
                        return 0;
                }
        return strv_consume(l, c);
}

int strv_env_setf(char ***l, const char *name, const char *value) {
        _cleanup_free_ char *a = strjoin(name, "=", value);

        if (!a)
                return -ENOMEM;
        return strv_env_set(l, a);
}

const char *strv_env_get(char *const *l, const char *name) {
        size_t k = strlen(name);

        for (size_t i = 0; l && l[i]; i++)
                if (strneq(l[i], name, k) && l[i][k] == '=')
                        return l[i] + k + 1;
        return NULL;
}

bool env_assignment_is_valid(const char *e) {
        const char *eq = strchr(e, '=');

        if (!eq || eq == e)
                return false;
        if (isdigit((unsigned char) e[0]))
                return false;
        for (const char *p = e; p < eq; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
        return true;
}

char *strv_join(char *const *l, const char *sep) {
        size_t n = 1, k = strlen(sep);
        char *s, *p;

        for (size_t i = 0; l && l[i]; i++)
                n += strlen(l[i]) + k;
        p = s = malloc(n);
        if (!s)
                return NULL;
        *s = '\0';
        for (size_t i = 0; l && l[i]; i++)
                p = stpcpy(stpcpy(p, i == 0 ? "" : sep), l[i]);
        return s;
}
