/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/* Where a walk over a tree is: the path of the current entry relative to
 * the top, grown as the walk goes down and cut as it comes back, for error
 * messages and for finding an entry again. Out of memory, it stops
 * following (oom) and says so. */
typedef struct WalkPath {
        char *buf;
        size_t len, size;
        bool oom;
} WalkPath;

/* Goes down into name; *ret_saved is what walk_path_pop() takes to come
 * back. -ENOMEM (and oom set) when the path can't grow. */
int walk_path_push(WalkPath *w, const char *name, size_t *ret_saved);
void walk_path_pop(WalkPath *w, size_t saved);
/* A copy of the path ("" at the top), or NULL when out of memory. */
char *walk_path_dup(const WalkPath *w);
void walk_path_done(WalkPath *w);
