/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <unistd.h>

#include "progress.h"
#include "string-util.h"
#include "time-util.h"

#define PROGRESS_REDRAW_USEC (200 * USEC_PER_MSEC)

void progress_init(Progress *p, int fd, uint64_t total) {
        *p = (Progress) {
                .fd = fd >= 0 && isatty(fd) ? fd : -1,
                .total = total,
                .start = now(CLOCK_MONOTONIC),
        };
}

/* Bytes a second, from what was done since the start. */
static uint64_t rate(const Progress *p, usec_t t) {
        usec_t spent = t > p->start ? t - p->start : 1;

        return (uint64_t) ((double) p->done * USEC_PER_SEC / (double) spent);
}

static void draw(Progress *p, usec_t t) {
        char done[FORMAT_BYTES_MAX], total[FORMAT_BYTES_MAX], speed[FORMAT_BYTES_MAX], line[128];
        uint64_t r = rate(p, t);
        int n;

        format_bytes(done, sizeof done, p->done);
        format_bytes(speed, sizeof speed, r);
        if (p->total != UINT64_MAX && p->total > 0 && p->done <= p->total) {
                uint64_t left = r > 0 ? (p->total - p->done) / r : 0;

                format_bytes(total, sizeof total, p->total);
                n = snprintf(line, sizeof line, "\r\033[K%s of %s (%u%%), %s/s, %u:%02u left", done, total,
                             (unsigned) (p->done * 100 / p->total), speed, (unsigned) (left / 60),
                             (unsigned) (left % 60));
        } else
                n = snprintf(line, sizeof line, "\r\033[K%s, %s/s", done, speed);
        if (n > 0 && write(p->fd, line, (size_t) n) == n)
                p->drawn = true;
        p->shown = t;
}

void progress_add(Progress *p, uint64_t bytes) {
        usec_t t;

        p->done += bytes;
        if (p->fd < 0)
                return;
        t = now(CLOCK_MONOTONIC);
        if (t - p->shown >= PROGRESS_REDRAW_USEC)
                draw(p, t);
}

void progress_end(Progress *p, bool success, const char *verb) {
        char done[FORMAT_BYTES_MAX], speed[FORMAT_BYTES_MAX], spent[32];
        usec_t t;

        if (p->fd < 0)
                return;
        if (p->drawn && write(p->fd, "\r\033[K", 4) < 0)
                return;
        p->drawn = false;
        if (!success)
                return;
        t = now(CLOCK_MONOTONIC);
        format_bytes(done, sizeof done, p->done);
        format_bytes(speed, sizeof speed, rate(p, t));
        format_timespan(spent, sizeof spent, t - p->start);
        dprintf(p->fd, "%s %s in %s (%s/s).\n", verb, done, spent, speed);
}
