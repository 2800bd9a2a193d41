/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse-util.h"
#include "string-util.h"

int safe_atou64(const char *s, unsigned base, uint64_t *ret) {
        unsigned long long v;
        char *e;

        if (isempty(s) || !isxdigit((unsigned char) s[0]))
                return -EINVAL; /* refuses signs and leading spaces */
        errno = 0;
        v = strtoull(s, &e, base);
        if (errno > 0)
                return -errno;
        if (*e != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atou32(const char *s, unsigned base, uint32_t *ret) {
        uint64_t v;
        int r = safe_atou64(s, base, &v);

        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int safe_atoi(const char *s, int *ret) {
        long v;
        char *e;

        if (isempty(s))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &e, 10);
        if (errno > 0)
                return -errno;
        if (*e != '\0' || isspace((unsigned char) s[0]))
                return -EINVAL;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

int parse_pid(const char *s, pid_t *ret) {
        uint32_t v;
        int r = safe_atou32(s, 10, &v);

        if (r < 0)
                return r;
        if (v == 0 || v > INT_MAX)
                return -ERANGE;
        *ret = (pid_t) v;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int parse_sec(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                /* longest first, so that "ms" is not taken for "m" + "s" */
                { "usec", 1 },
                { "msec", USEC_PER_MSEC },
                { "seconds", USEC_PER_SEC },
                { "second", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "minutes", 60 * USEC_PER_SEC },
                { "minute", 60 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "hours", 3600 * USEC_PER_SEC },
                { "hour", 3600 * USEC_PER_SEC },
                { "hr", 3600 * USEC_PER_SEC },
                { "us", 1 },
                { "ms", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC },
        };
        usec_t total = 0;
        bool any = false;

        if (streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }

        for (const char *p = s;;) {
                usec_t mult = USEC_PER_SEC;
                double v;
                char *e;

                p += strspn(p, " ");
                if (*p == '\0')
                        break;
                if (!isdigit((unsigned char) *p) && *p != '.')
                        return -EINVAL;
                errno = 0;
                v = strtod(p, &e);
                if (errno > 0 || e == p || !isfinite(v) || v < 0)
                        return -EINVAL;
                p = e;
                p += strspn(p, " ");
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        const char *after = startswith(p, units[i].suffix);
                        if (after && !isalpha((unsigned char) *after)) {
                                mult = units[i].usec;
                                p = after;
                                break;
                        }
                }
                if (isalpha((unsigned char) *p))
                        return -EINVAL;
                if (v * (double) mult > (double) (UINT64_MAX / 2))
                        return -ERANGE;
                total += (usec_t) (v * (double) mult);
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

int parse_mode(const char *s, mode_t *ret) {
        uint32_t v;
        int r = safe_atou32(s, 8, &v);

        if (r < 0)
                return r;
        if (v > 07777)
                return -ERANGE;
        *ret = (mode_t) v;
        return 0;
}

/* "4096", "64M", "1.5G" are not all equal: fractions are refused, as they
 * hide rounding. Suffixes are powers of 1024, as in systemd. */
int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                char suffix;
                unsigned shift;
        } suffixes[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 } };
        char digits[24];
        size_t n = strlen(s);
        unsigned shift = 0;
        uint64_t v;
        int r;

        if (n == 0 || n >= sizeof(digits))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (s[n - 1] == suffixes[i].suffix) {
                        shift = suffixes[i].shift;
                        n--;
                        break;
                }
        memcpy(digits, s, n);
        digits[n] = 0;
        r = safe_atou64(digits, 10, &v);
        if (r < 0)
                return r;
        if (shift > 0 && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}
