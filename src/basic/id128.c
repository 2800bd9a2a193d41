/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>
#include <sys/random.h>

#include "id128.h"
#include "string-util.h"

bool id128_is_null(Id128 id) {
        for (size_t i = 0; i < sizeof id.bytes; i++)
                if (id.bytes[i])
                        return false;
        return true;
}

bool id128_equal(Id128 a, Id128 b) {
        return memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
}

int id128_randomize(Id128 *ret) {
        Id128 id;
        ssize_t n = getrandom(id.bytes, sizeof id.bytes, 0);

        if (n < 0)
                return -errno;
        if ((size_t) n != sizeof id.bytes)
                return -EIO;
        /* RFC 4122 version 4, variant 1 */
        id.bytes[6] = (id.bytes[6] & 0x0F) | 0x40;
        id.bytes[8] = (id.bytes[8] & 0x3F) | 0x80;
        *ret = id;
        return 0;
}

int id128_from_string(const char *s, Id128 *ret) {
        size_t l = strlen(s), j = 0;
        Id128 id;

        if (l != 32 && l != 36)
                return -EINVAL;
        for (size_t i = 0; i < 16; i++) {
                int a, b;

                if (l == 36 && (j == 8 || j == 13 || j == 18 || j == 23)) {
                        if (s[j] != '-')
                                return -EINVAL;
                        j++;
                }
                a = unhexchar(s[j]);
                b = unhexchar(s[j + 1]);
                if (a < 0 || b < 0)
                        return -EINVAL;
                id.bytes[i] = (uint8_t) (a << 4 | b);
                j += 2;
        }
        *ret = id;
        return 0;
}

char *id128_to_string(Id128 id, char s[static ID128_STRING_MAX]) {
        for (size_t i = 0; i < 16; i++) {
                s[i * 2] = hexchar(id.bytes[i] >> 4);
                s[i * 2 + 1] = hexchar(id.bytes[i]);
        }
        s[32] = '\0';
        return s;
}

char *id128_to_uuid_string(Id128 id, char s[static ID128_UUID_STRING_MAX]) {
        size_t j = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        s[j++] = '-';
                s[j++] = hexchar(id.bytes[i] >> 4);
                s[j++] = hexchar(id.bytes[i]);
        }
        s[j] = '\0';
        return s;
}

uint64_t hash_fnv1a64(const void *data, size_t size) {
        const uint8_t *p = data;
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < size; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}
