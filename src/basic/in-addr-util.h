/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* IPv4 and IPv6 addresses and prefixes, as the network code passes them
 * around: a family (AF_INET or AF_INET6), the address in network byte
 * order, and a prefix length. */

typedef union InAddr {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
} InAddr;

typedef struct InAddrPrefix {
        int family;
        InAddr address;
        unsigned prefixlen;
} InAddrPrefix;

/* Longest "ADDRESS/LEN" text, with its NUL. */
#define IN_ADDR_PREFIX_STRING_MAX (INET6_ADDRSTRLEN + 4)

size_t in_addr_family_size(int family) _const_;
unsigned in_addr_family_bits(int family) _const_;

/* "10.0.0.1", "fd00::1"; with_prefix: "10.0.0.0/8" (the length required).
 * -EINVAL for anything else; host bits below the length are kept. */
int in_addr_prefix_from_string(const char *s, bool with_prefix, InAddrPrefix *ret);
/* "ADDRESS/LEN" (with_prefix) or "ADDRESS" into buf. */
const char *in_addr_prefix_to_string(const InAddrPrefix *p, bool with_prefix,
                                     char buf[static IN_ADDR_PREFIX_STRING_MAX]);

/* Clears the host bits. */
void in_addr_prefix_mask(InAddrPrefix *p);
/* Whether the two prefixes share any address (same family only). */
bool in_addr_prefix_overlaps(const InAddrPrefix *a, const InAddrPrefix *b) _pure_;
/* Whether address lies in prefix. */
bool in_addr_prefix_contains(const InAddrPrefix *prefix, const InAddr *address) _pure_;

/* The index-th subnet of length sublen inside pool: -ERANGE when there are
 * not that many (or sublen is shorter than the pool's, or longer than the
 * family's). */
int in_addr_prefix_subnet(const InAddrPrefix *pool, unsigned sublen, uint64_t index, InAddrPrefix *ret);
/* How many subnets of length sublen the pool holds (capped at 2^32). */
uint64_t in_addr_prefix_n_subnets(const InAddrPrefix *pool, unsigned sublen) _pure_;
/* The host-th address of subnet (host bits set to host, which must fit and
 * is counted from the subnet's first address), with the subnet's length. */
int in_addr_prefix_host(const InAddrPrefix *subnet, uint64_t host, InAddrPrefix *ret);
