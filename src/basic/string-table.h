/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string.h>

#include "macro.h"

/* Enums get a string table and a pair of lookup functions:
 *
 *     DEFINE_STRING_TABLE_LOOKUP(console_mode, ConsoleMode);
 *
 * defines console_mode_to_string() (NULL when out of range) and
 * console_mode_from_string() (-EINVAL when unknown), from a table named
 * console_mode_table[] with _CONSOLE_MODE_MAX entries. */

static inline ssize_t string_table_lookup(const char *const *table, size_t n, const char *key) {
        if (!key)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], key) == 0)
                        return (ssize_t) i;
        return -EINVAL;
}

#define DEFINE_STRING_TABLE_LOOKUP_WITH(scope, name, type)                                    \
        scope const char *name##_to_string(type i) {                                          \
                if ((size_t) i >= ELEMENTSOF(name##_table))                                   \
                        return NULL;                                                          \
                return name##_table[i];                                                       \
        }                                                                                     \
        scope type name##_from_string(const char *s) {                                        \
                return (type) string_table_lookup(name##_table, ELEMENTSOF(name##_table), s); \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type) DEFINE_STRING_TABLE_LOOKUP_WITH(, name, type)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP(name, type) DEFINE_STRING_TABLE_LOOKUP_WITH(static _unused_, name, type)

#define DECLARE_STRING_TABLE_LOOKUP(name, type) \
        const char *name##_to_string(type i);   \
        type name##_from_string(const char *s)
