/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "id128.h"
#include "in-addr-util.h"

/* Where machines' addresses come from. A pool is an IPv4 prefix and an IPv6
 * one; it is cut into networks, each an IPv4 /24 with an IPv6 /64 beside
 * it: one network per --network-veth machine, one per zone. In a network,
 * host 1 is the host's side and machines get 2…254, the same number in
 * both families. Searches start where a hash of the network's (or the
 * machine's) name points, so that a machine gets the same addresses each
 * time, unless they are taken. */

#define ADDRESS_POOL_IPV4_DEFAULT "10.80.0.0/12"
#define ADDRESS_POOL_HOST_FIRST 2U
#define ADDRESS_POOL_HOST_LAST 254U

typedef struct AddressPool {
        InAddrPrefix ipv4, ipv6;
} AddressPool;

/* given[0], given[1]: IPv4 and IPv6 pools (family 0: the default). The
 * default IPv6 pool is a unique local /48 (fdXX:XXXX:XXXX::/48, RFC 4193)
 * made from host_id, the host's machine ID, so that it is the same on a
 * host and differs between hosts. */
void address_pool_init(AddressPool *p, const InAddrPrefix given[static 2], Id128 host_id);
/* How many networks the pool holds. */
uint64_t address_pool_size(const AddressPool *p) _pure_;
/* The index-th network: ret[0] the /24, ret[1] the /64. */
int address_pool_network(const AddressPool *p, uint64_t index, InAddrPrefix ret[static 2]);
/* The host-th address of a network, in both families. */
int address_pool_host(const InAddrPrefix network[static 2], unsigned host, InAddrPrefix ret[static 2]);

/* Where the search for key starts: a network index, a host number. */
uint64_t address_pool_first_network(const AddressPool *p, const char *key) _pure_;
unsigned address_pool_first_host(const char *key) _pure_;
/* The one after, wrapping around. */
unsigned address_pool_next_host(unsigned host) _const_;
