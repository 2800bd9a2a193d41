/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "parse-util.h"

/* A progress line for long operations, on a terminal only: bytes done (of
 * how many), the rate and the time left, redrawn in place at most five
 * times a second. Where fd is not a terminal, every call does nothing: the
 * operation is silent, as scripts want it. */
typedef struct Progress {
        int fd;         /* the terminal; -1: nothing is shown */
        uint64_t total; /* UINT64_MAX: not known */
        uint64_t done;
        usec_t start, shown;
        bool drawn; /* a line is on the screen */
} Progress;

void progress_init(Progress *p, int fd, uint64_t total);
void progress_add(Progress *p, uint64_t bytes);
/* Takes the line away; when success, says what was done in one line:
 * "Copied 12.3M in 1.2s (10.2M/s)." with verb "Copied". */
void progress_end(Progress *p, bool success, const char *verb);
