/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>

#include "machine-name.h"
#include "string-util.h"

static bool valid_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.';
}

bool hostname_is_valid(const char *s) {
        size_t l;

        if (isempty(s))
                return false;
        l = strlen(s);
        if (l > MACHINE_NAME_MAX)
                return false;
        if (s[0] == '.' || s[0] == '-' || s[l - 1] == '.')
                return false;
        if (strstr(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (!valid_name_char(*p))
                        return false;
        return true;
}

bool machine_name_is_valid(const char *s) {
        return hostname_is_valid(s);
}

char *unit_name_escape(const char *s) {
        char *r = malloc(strlen(s) * 4 + 1), *t = r;

        if (!r)
                return NULL;
        for (const char *f = s; *f; f++) {
                bool plain = (*f >= 'a' && *f <= 'z') || (*f >= 'A' && *f <= 'Z') || (*f >= '0' && *f <= '9') ||
                             *f == ':' || *f == '_' || (*f == '.' && f != s);

                if (*f == '/')
                        *t++ = '-';
                else if (plain)
                        *t++ = *f;
                else {
                        *t++ = '\\';
                        *t++ = 'x';
                        *t++ = hexchar((unsigned char) *f >> 4);
                        *t++ = hexchar((unsigned char) *f);
                }
        }
        *t = '\0';
        return r;
}
