/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>

#include "walk-path.h"

int walk_path_push(WalkPath *w, const char *name, size_t *ret_saved) {
        size_t l = strlen(name), need = w->len + 1 + l + 1;

        *ret_saved = w->len;
        if (w->oom)
                return -ENOMEM;
        if (need > w->size) {
                char *b = realloc(w->buf, need * 2);
                if (!b) {
                        w->oom = true;
                        return -ENOMEM;
                }
                w->buf = b;
                w->size = need * 2;
        }
        if (w->len > 0)
                w->buf[w->len++] = '/';
        memcpy(w->buf + w->len, name, l + 1);
        w->len += l;
        return 0;
}

void walk_path_pop(WalkPath *w, size_t saved) {
        w->len = saved;
        if (w->buf)
                w->buf[saved] = '\0';
}

char *walk_path_dup(const WalkPath *w) {
        return w->oom ? NULL : strndup(w->buf ?: "", w->len);
}

void walk_path_done(WalkPath *w) {
        free(w->buf);
        *w = (WalkPath) {};
}
