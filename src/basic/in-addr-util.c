/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "in-addr-util.h"
#include "parse-util.h"

size_t in_addr_family_size(int family) {
        return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

unsigned in_addr_family_bits(int family) {
        return (unsigned) in_addr_family_size(family) * 8;
}

int in_addr_prefix_from_string(const char *s, bool with_prefix, InAddrPrefix *ret) {
        char text[INET6_ADDRSTRLEN];
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t) (slash - s) : strlen(s);
        InAddrPrefix p = {};
        uint32_t l;

        if (!!slash != with_prefix || len == 0 || len >= sizeof text)
                return -EINVAL;
        memcpy(text, s, len);
        text[len] = '\0';

        if (inet_pton(AF_INET, text, &p.address.in) == 1)
                p.family = AF_INET;
        else if (inet_pton(AF_INET6, text, &p.address.in6) == 1)
                p.family = AF_INET6;
        else
                return -EINVAL;

        p.prefixlen = in_addr_family_bits(p.family);
        if (slash) {
                if (safe_atou32(slash + 1, 10, &l) < 0 || l > p.prefixlen || slash[1] == '\0')
                        return -EINVAL;
                p.prefixlen = l;
        }
        *ret = p;
        return 0;
}

const char *in_addr_prefix_to_string(const InAddrPrefix *p, bool with_prefix,
                                     char buf[static IN_ADDR_PREFIX_STRING_MAX]) {
        size_t n;

        if (!inet_ntop(p->family, &p->address, buf, INET6_ADDRSTRLEN))
                return strcpy(buf, "?");
        if (with_prefix) {
                n = strlen(buf);
                snprintf(buf + n, IN_ADDR_PREFIX_STRING_MAX - n, "/%u", p->prefixlen);
        }
        return buf;
}

/* The first len bits of a and b are equal. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned len) {
        unsigned full = len / 8, rest = len % 8;

        if (memcmp(a, b, full) != 0)
                return false;
        if (rest == 0)
                return true;
        return ((a[full] ^ b[full]) & (uint8_t) (0xFF << (8 - rest))) == 0;
}

void in_addr_prefix_mask(InAddrPrefix *p) {
        unsigned bits = in_addr_family_bits(p->family);

        for (unsigned i = p->prefixlen; i < bits; i++)
                p->address.bytes[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

bool in_addr_prefix_overlaps(const InAddrPrefix *a, const InAddrPrefix *b) {
        if (a->family != b->family)
                return false;
        return bits_equal(a->address.bytes, b->address.bytes, MIN(a->prefixlen, b->prefixlen));
}

bool in_addr_prefix_contains(const InAddrPrefix *prefix, const InAddr *address) {
        return bits_equal(prefix->address.bytes, address->bytes, prefix->prefixlen);
}

uint64_t in_addr_prefix_n_subnets(const InAddrPrefix *pool, unsigned sublen) {
        unsigned bits = in_addr_family_bits(pool->family);

        if (sublen < pool->prefixlen || sublen > bits)
                return 0;
        return sublen - pool->prefixlen >= 32 ? UINT64_C(1) << 32 : UINT64_C(1) << (sublen - pool->prefixlen);
}

/* Adds value (< 2^64) into the bits of address that end at bit end
 * (exclusive), counting from the most significant one. */
static void add_at(uint8_t *address, unsigned end, uint64_t value) {
        for (unsigned bit = end; value > 0 && bit > 0; bit--, value >>= 1)
                if (value & 1)
                        address[(bit - 1) / 8] |= (uint8_t) (0x80 >> ((bit - 1) % 8));
}

int in_addr_prefix_subnet(const InAddrPrefix *pool, unsigned sublen, uint64_t index, InAddrPrefix *ret) {
        InAddrPrefix p = *pool;

        if (index >= in_addr_prefix_n_subnets(pool, sublen))
                return -ERANGE;
        in_addr_prefix_mask(&p);
        p.prefixlen = sublen;
        add_at(p.address.bytes, sublen, index);
        *ret = p;
        return 0;
}

int in_addr_prefix_host(const InAddrPrefix *subnet, uint64_t host, InAddrPrefix *ret) {
        unsigned bits = in_addr_family_bits(subnet->family), hostbits = bits - subnet->prefixlen;
        InAddrPrefix p = *subnet;

        if (subnet->prefixlen > bits || (hostbits < 64 && host >> hostbits != 0))
                return -ERANGE;
        in_addr_prefix_mask(&p);
        add_at(p.address.bytes, bits, host);
        *ret = p;
        return 0;
}
