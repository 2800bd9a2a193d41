/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"

int read_full_file_at(int dir_fd, const char *path, size_t max_size, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        return read_full_fd(fd, max_size, ret, ret_size);
}

int read_full_fd(int fd, size_t max_size, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        size_t na = allocated ? allocated * 2 : 4096;
                        char *t;

                        /* max_size, one byte to see whether there is more,
                         * and the NUL. */
                        if (na > max_size + 2)
                                na = max_size + 2;
                        if (na <= size + 1)
                                return -EFBIG;
                        t = realloc(buf, na);
                        if (!t)
                                return -ENOMEM;
                        buf = t;
                        allocated = na;
                }

                n = read(fd, buf + size, allocated - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max_size)
                        return -EFBIG;
        }

        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_one_line_file(const char *path, char **ret) {
        _cleanup_free_ char *t = NULL;
        int r = read_full_file_at(AT_FDCWD, path, 64 * 1024, &t, NULL);

        if (r < 0)
                return r;
        t[strcspn(t, "\n")] = '\0';
        *ret = TAKE_PTR(t);
        return 0;
}

int write_string_file_at(int dir_fd, const char *path, const char *s, WriteFileFlags flags, mode_t mode) {
        _cleanup_free_ char *with_newline = NULL;

        if (!(flags & WRITE_FILE_NO_NEWLINE) && !endswith(s, "\n")) {
                with_newline = strjoin(s, "\n");
                if (!with_newline)
                        return -ENOMEM;
                s = with_newline;
        }
        return write_data_file_at(dir_fd, path, s, strlen(s), flags, mode);
}

int write_data_file_at(int dir_fd, const char *path, const void *data, size_t size, WriteFileFlags flags, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *target = path;
        int r;

        if (flags & WRITE_FILE_ATOMIC) {
                /* A hidden name in the same directory: rename() is atomic, and
                 * listings skip dotfiles. */
                const char *slash = strrchr(path, '/');
                int dl = slash ? (int) (slash - path + 1) : 0;

                tmp = strdup_printf("%.*s.#%s.%ld.tmp", dl, path, path + dl, (long) getpid());
                if (!tmp)
                        return -ENOMEM;
                target = tmp;
                fd = openat(dir_fd, target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        } else
                fd = openat(dir_fd, target,
                            O_WRONLY | O_CLOEXEC | O_NOCTTY | ((flags & WRITE_FILE_CREATE) ? O_CREAT | O_TRUNC : 0),
                            mode);
        if (fd < 0)
                return -errno;

        r = loop_write(fd, data, size);
        if (r < 0)
                goto fail;

        if (tmp) {
                fd = safe_close(fd);
                if (renameat(dir_fd, tmp, dir_fd, path) < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        return 0;

fail:
        if (tmp)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/* Unquotes one value: 'single' is literal, "double" and bare allow \ escapes. */
static int unquote_value(const char *s, const char *end, char **ret) {
        char *r = malloc((size_t) (end - s) + 1), *o = r;
        char quote = 0;

        if (!r)
                return -ENOMEM;
        for (; s < end; s++) {
                if (quote == 0 && (*s == '"' || *s == '\'')) {
                        quote = *s;
                        continue;
                }
                if (quote && *s == quote) {
                        quote = 0;
                        continue;
                }
                if (quote != '\'' && *s == '\\' && s + 1 < end) {
                        s++;
                        *o++ = *s;
                        continue;
                }
                if (quote == 0 && isspace((unsigned char) *s))
                        break; /* unquoted whitespace ends the value (trailing comments) */
                *o++ = *s;
        }
        *o = '\0';
        if (quote != 0) {
                free(r);
                return -EBADMSG;
        }
        *ret = r;
        return 0;
}

int parse_env_text(const char *text, env_file_cb_t cb, void *userdata, unsigned *ret_line) {
        unsigned line = 0;

        for (const char *p = text; p && *p;) {
                const char *eol = strchrnul(p, '\n'), *eq, *k, *ke;
                _cleanup_free_ char *key = NULL, *value = NULL;
                int r;

                line++;
                k = p + strspn(p, " \t");
                p = *eol ? eol + 1 : eol;
                if (k >= eol || *k == '#' || *k == ';')
                        continue;

                eq = memchr(k, '=', (size_t) (eol - k));
                if (!eq)
                        goto bad;
                for (ke = eq; ke > k && isspace((unsigned char) ke[-1]); ke--)
                        ;
                if (ke == k)
                        goto bad;
                for (const char *c = k; c < ke; c++)
                        if (!isalnum((unsigned char) *c) && *c != '_')
                                goto bad; /* not a variable name */
                key = strndup(k, (size_t) (ke - k));
                if (!key)
                        return -ENOMEM;
                eq++;
                eq += strspn(eq, " \t");
                r = unquote_value(eq, eol, &value);
                if (r == -EBADMSG)
                        goto bad;
                if (r < 0)
                        return r;

                r = cb(key, value, userdata);
                if (r < 0)
                        return r;
                continue;
bad:
                if (ret_line)
                        *ret_line = line;
                return -EBADMSG;
        }
        return 0;
}

struct env_get_data {
        const char *key;
        char *value;
};

static int env_get_cb(const char *key, const char *value, void *userdata) {
        struct env_get_data *d = userdata;

        if (streq(key, d->key))
                return free_and_strdup(&d->value, value);
        return 0;
}

int env_text_get(const char *text, const char *key, char **ret) {
        struct env_get_data d = { .key = key };
        int r = parse_env_text(text, env_get_cb, &d, NULL);

        if (r < 0 && r != -EBADMSG) {
                free(d.value);
                return r;
        }
        *ret = d.value; /* NULL when missing */
        return 0;
}

int remove_stale_temporaries(const char *dir) {
        DIR *d = opendir(dir);
        int n = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                const char *end = endswith(de->d_name, ".tmp"), *dot;
                char pid_text[16];
                size_t len;
                int pid;

                if (!startswith(de->d_name, ".#") || !end)
                        continue;
                /* The PID is between the last two dots. */
                for (dot = end - 1; dot > de->d_name && *dot != '.'; dot--)
                        ;
                len = (size_t) (end - dot - 1);
                if (*dot != '.' || len == 0 || len >= sizeof pid_text)
                        continue;
                memcpy(pid_text, dot + 1, len);
                pid_text[len] = '\0';
                if (safe_atoi(pid_text, &pid) < 0 || pid <= 0)
                        continue;
                if (kill(pid, 0) >= 0 || errno != ESRCH)
                        continue; /* its writer may still be at it */
                if (unlinkat(dirfd(d), de->d_name, 0) >= 0)
                        n++;
        }
        closedir(d);
        return n;
}
