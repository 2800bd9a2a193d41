/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "console-log.h"
#include "fd-util.h"
#include "fileio.h"
#include "lock-util.h"
#include "string-util.h"

struct ConsoleLog {
        int fd;
        char *path;
        size_t size; /* of the file */
        char ring[CONSOLE_LOG_KEEP];
        size_t ring_start, ring_len;
};

int console_log_open(const char *path, ConsoleLog **ret) {
        _cleanup_(console_log_freep) ConsoleLog *l = calloc(1, sizeof(ConsoleLog));
        int r;

        if (!l)
                return -ENOMEM;
        l->fd = -EBADF;
        l->path = strdup(path);
        if (!l->path)
                return -ENOMEM;
        r = mkdir_parents(path, 0755);
        if (r < 0)
                return r;
        l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
        if (l->fd < 0)
                return -errno;
        *ret = TAKE_PTR(l);
        return 0;
}

static void ring_add(ConsoleLog *l, const char *data, size_t size) {
        if (size >= sizeof l->ring) {
                memcpy(l->ring, data + size - sizeof l->ring, sizeof l->ring);
                l->ring_start = 0;
                l->ring_len = sizeof l->ring;
                return;
        }
        for (size_t i = 0; i < size; i++) {
                l->ring[(l->ring_start + l->ring_len) % sizeof l->ring] = data[i];
                if (l->ring_len < sizeof l->ring)
                        l->ring_len++;
                else
                        l->ring_start = (l->ring_start + 1) % sizeof l->ring;
        }
}

void console_log_append(ConsoleLog *l, const char *data, size_t size) {
        if (!l || l->fd < 0)
                return;
        ring_add(l, data, size);

        if (l->size + size <= CONSOLE_LOG_MAX) {
                if (loop_write(l->fd, data, size) >= 0)
                        l->size += size;
                return;
        }

        /* Too long: start over with what the ring holds. */
        size_t first = MIN(l->ring_len, sizeof l->ring - l->ring_start);
        if (ftruncate(l->fd, 0) < 0 || loop_write(l->fd, l->ring + l->ring_start, first) < 0 ||
            loop_write(l->fd, l->ring, l->ring_len - first) < 0)
                return;
        l->size = l->ring_len;
}

ConsoleLog *console_log_free(ConsoleLog *l) {
        if (!l)
                return NULL;
        if (l->fd >= 0) {
                safe_close(l->fd);
                (void) unlink(l->path);
        }
        free(l->path);
        free(l);
        return NULL;
}

/* Drops ANSI escape sequences (ESC [ … final byte) and carriage returns. */
static void strip_escapes(char *s) {
        char *o = s;

        for (char *p = s; *p; p++) {
                if (*p == '\033') {
                        if (p[1] == '[') {
                                p += 2;
                                while (*p && !(*p >= 0x40 && *p <= 0x7e))
                                        p++;
                                if (!*p)
                                        break;
                        } else if (p[1])
                                p++;
                        continue;
                }
                if (*p == '\r')
                        continue;
                *o++ = *p;
        }
        *o = '\0';
}

int console_log_tail(const char *path, size_t n, char ***ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        size_t count = 0;
        char *start;
        int r;

        r = read_full_file_at(AT_FDCWD, path, CONSOLE_LOG_MAX + CONSOLE_LOG_KEEP, &text, NULL);
        if (r < 0)
                return r;
        strip_escapes(text);

        /* Walk back over n non-empty lines. */
        start = text + strlen(text);
        while (start > text && count < n) {
                char *end = start;

                while (end > text && end[-1] == '\n')
                        end--;
                start = end;
                while (start > text && start[-1] != '\n')
                        start--;
                if (end > start)
                        count++;
        }
        for (char *p = start; *p;) {
                char *eol = strchrnul(p, '\n');

                if (eol > p) {
                        r = strv_consume(&lines, strndup(p, (size_t) (eol - p)));
                        if (r < 0)
                                return r;
                }
                p = *eol ? eol + 1 : eol;
        }
        if (!lines) {
                lines = calloc(1, sizeof(char *));
                if (!lines)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(lines);
        return 0;
}
