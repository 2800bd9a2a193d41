/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define NSEC_PER_USEC ((usec_t) 1000ULL)

/* Strict number parsing: the whole string, no sign surprises, no overflow. */
int safe_atou64(const char *s, unsigned base, uint64_t *ret);
int safe_atou32(const char *s, unsigned base, uint32_t *ret);
int safe_atoi(const char *s, int *ret);
int parse_pid(const char *s, pid_t *ret);

/* yes/no, true/false, on/off, 1/0 */
int parse_boolean(const char *s) _pure_;

/* "90", "90s", "1.5min", "100ms", "1h 30min", "infinity" → microseconds. */
int parse_sec(const char *s, usec_t *ret);

/* Octal file mode 0…07777. */
int parse_mode(const char *s, mode_t *ret);

/* A size in bytes: digits, then K, M, G or T for powers of 1024. */
int parse_size(const char *s, uint64_t *ret);
