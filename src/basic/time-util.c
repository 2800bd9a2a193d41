/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "time-util.h"

usec_t now(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

char *format_timespan(char *buf, size_t size, usec_t t) {
        if (t == USEC_INFINITY)
                snprintf(buf, size, "infinity");
        else if (t < USEC_PER_SEC)
                snprintf(buf, size, "%llums", (unsigned long long) (t / USEC_PER_MSEC));
        else if (t < 60 * USEC_PER_SEC)
                snprintf(buf, size, "%llu.%03llus", (unsigned long long) (t / USEC_PER_SEC),
                         (unsigned long long) (t % USEC_PER_SEC / USEC_PER_MSEC));
        else
                snprintf(buf, size, "%llumin %llus", (unsigned long long) (t / (60 * USEC_PER_SEC)),
                         (unsigned long long) (t / USEC_PER_SEC % 60));
        return buf;
}

char *format_timestamp(char *buf, size_t size, usec_t t) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&sec, &tm) || strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "n/a");
        return buf;
}

char *format_timespan_ago(char *buf, size_t size, usec_t t) {
        unsigned long long s = t / USEC_PER_SEC;

        if (s < 60)
                snprintf(buf, size, "%llus ago", s);
        else if (s < 3600)
                snprintf(buf, size, "%llumin %llus ago", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, size, "%lluh %llumin ago", s / 3600, s / 60 % 60);
        else
                snprintf(buf, size, "%llud %lluh ago", s / 86400, s / 3600 % 24);
        return buf;
}
