/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* NULL-terminated arrays of strings. */

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l) _pure_;
char **strv_copy(char *const *l);
/* Appends a copy of value. */
int strv_extend(char ***l, const char *value);
/* Appends value itself, taking ownership even on failure. */
int strv_consume(char ***l, char *value);
bool strv_contains(char *const *l, const char *s) _pure_;
/* All strings, separated by sep, in a new string. */
char *strv_join(char *const *l, const char *sep);

/* Environment blocks: sets NAME=VALUE, replacing an earlier NAME. */
int strv_env_set(char ***l, const char *assignment);
int strv_env_setf(char ***l, const char *name, const char *value);
const char *strv_env_get(char *const *l, const char *name) _pure_;
/* NAME is a valid environment variable name and the assignment has a '='. */
bool env_assignment_is_valid(const char *e) _pure_;
