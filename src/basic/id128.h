/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* 128-bit IDs: machine IDs (32 hex digits) and UUIDs (8-4-4-4-12). */
typedef struct Id128 {
        uint8_t bytes[16];
} Id128;

#define ID128_STRING_MAX 33
#define ID128_UUID_STRING_MAX 37

bool id128_is_null(Id128 id) _pure_;
bool id128_equal(Id128 a, Id128 b) _pure_;
/* A random version 4 UUID. */
int id128_randomize(Id128 *ret);
/* Accepts both the plain and the UUID form. */
int id128_from_string(const char *s, Id128 *ret);
char *id128_to_string(Id128 id, char s[static ID128_STRING_MAX]);
char *id128_to_uuid_string(Id128 id, char s[static ID128_UUID_STRING_MAX]);

/* FNV-1a: a small, stable 64-bit hash (stable across versions, because UID
 * ranges picked from it are remembered). */
uint64_t hash_fnv1a64(const void *data, size_t size) _pure_;
