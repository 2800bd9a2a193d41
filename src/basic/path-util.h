/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

static inline bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}

/* Joins two path parts with exactly one slash between them. */
char *path_join(const char *a, const char *b);

/* Collapses repeated slashes and "." components and drops a trailing slash,
 * in place. ".." is left alone. */
char *path_simplify(char *p);

/* No ".." component: cannot climb out of the directory it is resolved in. */
bool path_has_no_dotdot(const char *p) _pure_;

/* One name of a directory: not empty, ".", "..", no '/', at most NAME_MAX. */
bool filename_is_valid(const char *s) _pure_;

/* p is dir or below it (as paths, without looking at the file system). */
bool path_startswith_dir(const char *p, const char *dir) _pure_;

/* Splits p into its directory and its last component (both newly allocated).
 * "/" has no last component. */
int path_split_last(const char *p, char **ret_dir, char **ret_last);

/* Makes p absolute against the current directory and simplifies it. */
int path_make_absolute_cwd(const char *p, char **ret);
