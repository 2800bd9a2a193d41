/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "string-util.h"

char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);

        if (strncmp(s, prefix, l) != 0)
                return NULL;
        return (char *) s + l;
}

char *endswith(const char *s, const char *suffix) {
        size_t sl = strlen(s), xl = strlen(suffix);

        if (xl > sl || memcmp(s + sl - xl, suffix, xl) != 0)
                return NULL;
        return (char *) s + sl - xl;
}

char *strjoin_real(const char *x, ...) {
        va_list ap;
        size_t l = 0;
        char *r, *p;

        va_start(ap, x);
        for (const char *t = x; t; t = va_arg(ap, const char *))
                l += strlen(t);
        va_end(ap);

        r = malloc(l + 1);
        if (!r)
                return NULL;

        p = r;
        va_start(ap, x);
        for (const char *t = x; t; t = va_arg(ap, const char *))
                p = stpcpy(p, t);
        va_end(ap);
        return r;
}

char *strdup_printf(const char *format, ...) {
        va_list ap;
        char *r;
        int n;

        va_start(ap, format);
        n = vasprintf(&r, format, ap);
        va_end(ap);
        return n < 0 ? NULL : r;
}

char *strstrip_trailing(char *s) {
        size_t l = strlen(s);

        while (l > 0 && isspace((unsigned char) s[l - 1]))
                s[--l] = '\0';
        return s;
}

int extract_field(const char **p, char sep, char **ret) {
        const char *s = *p;
        char *r, *o;

        if (!s) {
                *ret = NULL;
                return 0;
        }

        r = malloc(strlen(s) + 1);
        if (!r)
                return -ENOMEM;

        for (o = r; *s && *s != sep; s++) {
                if (*s == '\\' && (s[1] == sep || s[1] == '\\'))
                        s++;
                *o++ = *s;
        }
        *o = '\0';

        *p = *s == sep ? s + 1 : NULL;
        *ret = r;
        return 1;
}

int free_and_strdup(char **s, const char *v) {
        char *n = NULL;

        if (v) {
                n = strdup(v);
                if (!n)
                        return -ENOMEM;
        }
        free(*s);
        *s = n;
        return 0;
}

bool utf8_is_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = *p < 0x80             ? 0
                           : (*p & 0xe0) == 0xc0 ? 1
                           : (*p & 0xf0) == 0xe0 ? 2
                           : (*p & 0xf8) == 0xf0 ? 3
                                                 : 4;
                uint32_t c = n == 0 ? *p : n == 1 ? *p & 0x1f : n == 2 ? *p & 0x0f : *p & 0x07;

                if (n == 4)
                        return false;
                for (size_t i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        c = (c << 6) | (p[i] & 0x3f);
                }
                /* The shortest form only, no surrogates, nothing past U+10FFFF. */
                if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
                    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
                        return false;
                p += n + 1;
        }
        return true;
}

bool string_is_safe(const char *s) {
        for (; *s; s++)
                if (*s < ' ' || *s >= 127 || strchr("\"'\\", *s))
                        return false;
        return true;
}

int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

char hexchar(int x) {
        return "0123456789abcdef"[x & 15];
}

char *format_bytes(char *buf, size_t size, uint64_t v) {
        static const char suffixes[] = "KMGTPE";
        uint64_t unit = 1024;
        size_t i = 0;

        if (v < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", v);
                return buf;
        }
        /* The largest suffix that leaves at least 1, with one decimal. */
        while (i + 1 < sizeof(suffixes) - 1 && v / unit >= 1024) {
                unit *= 1024;
                i++;
        }
        snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%c", v / unit, (v % unit) * 10 / unit, suffixes[i]);
        return buf;
}

char *escape_control(const char *s) {
        char *e = malloc(strlen(s) * 4 + 1), *o = e;

        if (!e)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < ' ' || *p == 0x7f)
                        o += sprintf(o, "\\x%02x", *p);
                else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        o += sprintf(o, "\\x%02x\\x%02x", p[0], p[1]);
                        p++;
                } else
                        *o++ = (char) *p;
        }
        *o = '\0';
        return e;
}
