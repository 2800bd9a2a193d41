/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <time.h>

#include "parse-util.h"

usec_t now(clockid_t clock);

/* "1.500s", "250ms", "3min 20s": short human form of a time span. */
char *format_timespan(char *buf, size_t size, usec_t t);

/* "3min 20s ago" */
char *format_timespan_ago(char *buf, size_t size, usec_t t);

/* "Tue 2026-11-24 10:00:00 UTC" from a CLOCK_REALTIME timestamp. */
char *format_timestamp(char *buf, size_t size, usec_t t);
