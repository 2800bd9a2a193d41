/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>
#include <sys/socket.h>

#include "address-pool.h"

#define NETWORK_LEN_IPV4 24U
#define NETWORK_LEN_IPV6 64U

void address_pool_init(AddressPool *p, const InAddrPrefix given[static 2], Id128 host_id) {
        static const char salt[] = "berth address pool";
        uint8_t buf[sizeof(salt) + sizeof(host_id.bytes)];
        uint64_t h;

        if (given[0].family == AF_INET)
                p->ipv4 = given[0];
        else
                (void) in_addr_prefix_from_string(ADDRESS_POOL_IPV4_DEFAULT, true, &p->ipv4);

        if (given[1].family == AF_INET6) {
                p->ipv6 = given[1];
                return;
        }
        /* fd, then a 40-bit global ID: not the host's machine ID itself,
         * which is not to be shown to the world. */
        memcpy(buf, salt, sizeof salt);
        memcpy(buf + sizeof salt, host_id.bytes, sizeof host_id.bytes);
        h = hash_fnv1a64(buf, sizeof buf);
        p->ipv6 = (InAddrPrefix) { .family = AF_INET6, .prefixlen = 48 };
        p->ipv6.address.bytes[0] = 0xfd;
        for (unsigned i = 1; i < 6; i++)
                p->ipv6.address.bytes[i] = (uint8_t) (h >> (8 * (i - 1)));
}

uint64_t address_pool_size(const AddressPool *p) {
        uint64_t a = in_addr_prefix_n_subnets(&p->ipv4, NETWORK_LEN_IPV4),
                 b = in_addr_prefix_n_subnets(&p->ipv6, NETWORK_LEN_IPV6);
        return MIN(a, b);
}

int address_pool_network(const AddressPool *p, uint64_t index, InAddrPrefix ret[static 2]) {
        InAddrPrefix n[2];
        int r;

        if (index >= address_pool_size(p))
                return -ERANGE;
        r = in_addr_prefix_subnet(&p->ipv4, NETWORK_LEN_IPV4, index, &n[0]);
        if (r < 0)
                return r;
        r = in_addr_prefix_subnet(&p->ipv6, NETWORK_LEN_IPV6, index, &n[1]);
        if (r < 0)
                return r;
        ret[0] = n[0];
        ret[1] = n[1];
        return 0;
}

int address_pool_host(const InAddrPrefix network[static 2], unsigned host, InAddrPrefix ret[static 2]) {
        InAddrPrefix a[2];
        int r;

        if (host < 1 || host > ADDRESS_POOL_HOST_LAST)
                return -ERANGE;
        for (unsigned i = 0; i < 2; i++) {
                r = in_addr_prefix_host(&network[i], host, &a[i]);
                if (r < 0)
                        return r;
        }
        ret[0] = a[0];
        ret[1] = a[1];
        return 0;
}

uint64_t address_pool_first_network(const AddressPool *p, const char *key) {
        uint64_t n = address_pool_size(p);

        return n == 0 ? 0 : hash_fnv1a64(key, strlen(key)) % n;
}

unsigned address_pool_first_host(const char *key) {
        unsigned n = ADDRESS_POOL_HOST_LAST - ADDRESS_POOL_HOST_FIRST + 1;

        return ADDRESS_POOL_HOST_FIRST + (unsigned) (hash_fnv1a64(key, strlen(key)) % n);
}

unsigned address_pool_next_host(unsigned host) {
        return host >= ADDRESS_POOL_HOST_LAST ? ADDRESS_POOL_HOST_FIRST : host + 1;
}
