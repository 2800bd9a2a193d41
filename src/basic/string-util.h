/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <string.h>

#include "macro.h"

static inline bool isempty(const char *s) {
        return !s || s[0] == '\0';
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline const char *strna(const char *s) {
        return s ?: "n/a";
}

static inline bool streq_ptr(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static inline const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

/* Returns the rest of s after prefix, or NULL. */
char *startswith(const char *s, const char *prefix) _pure_;
char *endswith(const char *s, const char *suffix) _pure_;

/* Concatenates all arguments up to the NULL sentinel into a new string. */
char *strjoin_real(const char *x, ...) _sentinel_;
#define strjoin(a, ...) strjoin_real((a), __VA_ARGS__, NULL)

char *strdup_printf(const char *format, ...) _printf_(1, 2);

/* 1024-based with one decimal, as people read sizes: "512B", "12.3M". */
#define FORMAT_BYTES_MAX 16
char *format_bytes(char *buf, size_t size, uint64_t v);

/* Removes trailing newlines and whitespace, in place. */
char *strstrip_trailing(char *s);

/* Splits off the next field of s ending at sep; "\\" escapes sep and itself.
 * Returns the unescaped field in *ret (NULL when s is exhausted) and advances
 * *p past the separator. */
int extract_field(const char **p, char sep, char **ret);

/* Replaces *s by a copy of v (NULL frees it). */
int free_and_strdup(char **s, const char *v);

/* Only printable ASCII without quotes or backslashes: safe to show and to
 * store in key=value files. */
bool string_is_safe(const char *s) _pure_;
/* Whether s is well-formed UTF-8 (shortest forms, no surrogates). */
bool utf8_is_valid(const char *s) _pure_;

/* 0x1234 style: parses a string of hex digits. */
int unhexchar(char c) __attribute__((const));
char hexchar(int x) __attribute__((const));

/* s with what could drive a terminal written as \xNN: control characters
 * (C0, DEL, and C1 in UTF-8). For text that came from a machine on its way
 * to a person's terminal. */
char *escape_control(const char *s);
