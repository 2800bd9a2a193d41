/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/socket.h>

#include "address-pool.h"
#include "string-util.h"
#include "tests.h"

#define HOST_ID "0123456789abcdef0123456789abcdef"
#define OTHER_HOST_ID "fedcba9876543210fedcba9876543210"

static InAddrPrefix prefix(const char *s) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(s, true, &p) < 0)
                tests_fail(__FILE__, __LINE__, "\"%s\" refused", s);
        return p;
}

static Id128 id(const char *s) {
        Id128 i;

        ASSERT_OK(id128_from_string(s, &i));
        return i;
}

static void assert_prefix(const InAddrPrefix *p, const char *expected) {
        char buf[IN_ADDR_PREFIX_STRING_MAX];

        ASSERT_STREQ(in_addr_prefix_to_string(p, true, buf), expected);
}

static void default_pool(AddressPool *p, const char *host_id) {
        static const InAddrPrefix none[2] = {};

        address_pool_init(p, none, id(host_id));
}

TEST(default_pool) {
        AddressPool p, again, other;
        InAddrPrefix ula = prefix("fd00::/8");

        default_pool(&p, HOST_ID);
        assert_prefix(&p.ipv4, ADDRESS_POOL_IPV4_DEFAULT);
        assert_prefix(&p.ipv4, "10.80.0.0/12");

        /* a unique local /48: fd, a 40-bit global ID, then zeros */
        ASSERT_EQ(p.ipv6.family, AF_INET6);
        ASSERT_EQ(p.ipv6.prefixlen, 48);
        ASSERT_TRUE(in_addr_prefix_contains(&ula, &p.ipv6.address));
        for (size_t i = 6; i < 16; i++)
                ASSERT_EQ(p.ipv6.address.bytes[i], 0);
        /* not the machine ID shown to the world */
        ASSERT_FALSE(memcmp(p.ipv6.address.bytes + 1, id(HOST_ID).bytes, 5) == 0);
        ASSERT_FALSE(memcmp(p.ipv6.address.bytes + 1, id(HOST_ID).bytes + 11, 5) == 0);

        /* the same on the same host, whenever it is worked out */
        default_pool(&again, HOST_ID);
        ASSERT_EQ(again.ipv6.family, AF_INET6);
        ASSERT_EQ(again.ipv6.prefixlen, 48);
        ASSERT_TRUE(memcmp(again.ipv6.address.bytes, p.ipv6.address.bytes, 16) == 0);
        assert_prefix(&again.ipv4, "10.80.0.0/12");

        /* another on another host */
        default_pool(&other, OTHER_HOST_ID);
        ASSERT_EQ(other.ipv6.prefixlen, 48);
        ASSERT_TRUE(in_addr_prefix_contains(&ula, &other.ipv6.address));
        ASSERT_FALSE(memcmp(other.ipv6.address.bytes, p.ipv6.address.bytes, 16) == 0);
        ASSERT_FALSE(in_addr_prefix_overlaps(&other.ipv6, &p.ipv6));

        /* 4096 /24s in a /12; 65536 /64s in a /48 */
        ASSERT_EQ(address_pool_size(&p), 4096);
}

TEST(given_pools) {
        InAddrPrefix given[2] = { prefix("192.168.0.0/16"), prefix("fd01:2:3::/56") };
        InAddrPrefix only4[2] = { prefix("172.20.0.0/14"), {} };
        InAddrPrefix only6[2] = { {}, prefix("fd01:2:3::/40") };
        AddressPool p, d;

        address_pool_init(&p, given, id(HOST_ID));
        assert_prefix(&p.ipv4, "192.168.0.0/16");
        assert_prefix(&p.ipv6, "fd01:2:3::/56");
        ASSERT_EQ(address_pool_size(&p), 256);

        /* one given, the other the default */
        default_pool(&d, HOST_ID);
        address_pool_init(&p, only4, id(HOST_ID));
        assert_prefix(&p.ipv4, "172.20.0.0/14");
        ASSERT_TRUE(memcmp(&p.ipv6, &d.ipv6, sizeof p.ipv6) == 0);
        ASSERT_EQ(address_pool_size(&p), 1024);

        address_pool_init(&p, only6, id(HOST_ID));
        assert_prefix(&p.ipv4, "10.80.0.0/12");
        assert_prefix(&p.ipv6, "fd01:2:3::/40");
        ASSERT_EQ(address_pool_size(&p), 4096); /* the smaller of the two */

        /* the IPv6 pool the smaller one */
        given[0] = prefix("10.0.0.0/8");
        given[1] = prefix("fd01:2:3::/60");
        address_pool_init(&p, given, id(HOST_ID));
        ASSERT_EQ(address_pool_size(&p), 16);
}

TEST(empty_pool) {
        /* no /24 in a /25 (settings refuse it; the pool copes) */
        InAddrPrefix given[2] = { prefix("10.0.0.0/25"), {} }, n[2];
        AddressPool p;

        address_pool_init(&p, given, id(HOST_ID));
        ASSERT_EQ(address_pool_size(&p), 0);
        ASSERT_EQ(address_pool_first_network(&p, "web"), 0);
        ASSERT_ERROR(address_pool_network(&p, 0, n), ERANGE);
}

/* The index a network's IPv4 /24 and IPv6 /64 have in the default pool. */
static uint64_t index4(const InAddrPrefix *p) {
        return (uint64_t) (p->address.bytes[1] & 0x0f) << 8 | p->address.bytes[2];
}

static uint64_t index6(const InAddrPrefix *p) {
        return (uint64_t) p->address.bytes[6] << 8 | p->address.bytes[7];
}

TEST(network_pairs) {
        static const uint64_t indexes[] = { 0, 1, 17, 255, 256, 1000, 4095 };
        AddressPool p;
        InAddrPrefix n[2] = {}, untouched[2] = { { .family = 4242 }, { .family = 4242 } };
        char expected[IN_ADDR_PREFIX_STRING_MAX];

        default_pool(&p, HOST_ID);
        for (size_t i = 0; i < ELEMENTSOF(indexes); i++) {
                ASSERT_OK(address_pool_network(&p, indexes[i], n));
                ASSERT_EQ(n[0].family, AF_INET);
                ASSERT_EQ(n[0].prefixlen, 24);
                ASSERT_EQ(n[1].family, AF_INET6);
                ASSERT_EQ(n[1].prefixlen, 64);
                ASSERT_TRUE(in_addr_prefix_overlaps(&p.ipv4, &n[0]));
                ASSERT_TRUE(in_addr_prefix_overlaps(&p.ipv6, &n[1]));
                /* the same index in both families */
                ASSERT_EQ(index4(&n[0]), indexes[i]);
                ASSERT_EQ(index6(&n[1]), indexes[i]);
                ASSERT_EQ(n[0].address.bytes[3], 0);
                for (size_t b = 8; b < 16; b++)
                        ASSERT_EQ(n[1].address.bytes[b], 0);
        }

        ASSERT_OK(address_pool_network(&p, 4095, n));
        assert_prefix(&n[0], "10.95.255.0/24");
        ASSERT_OK(address_pool_network(&p, 3, n));
        assert_prefix(&n[0], "10.80.3.0/24");
        snprintf(expected, sizeof expected, "%02x%02x:%02x%02x:%02x%02x:3::/64", p.ipv6.address.bytes[0],
                 p.ipv6.address.bytes[1], p.ipv6.address.bytes[2], p.ipv6.address.bytes[3], p.ipv6.address.bytes[4],
                 p.ipv6.address.bytes[5]);
        /* inet_ntop drops leading zeros of a group: compare as prefixes */
        InAddrPrefix e = prefix(expected);
        ASSERT_TRUE(memcmp(&e.address, &n[1].address, 16) == 0);

        ASSERT_ERROR(address_pool_network(&p, 4096, untouched), ERANGE);
        ASSERT_ERROR(address_pool_network(&p, UINT64_MAX, untouched), ERANGE);
        ASSERT_EQ(untouched[0].family, 4242);
        ASSERT_EQ(untouched[1].family, 4242);
}

TEST(host) {
        InAddrPrefix given[2] = { prefix("10.80.0.0/12"), prefix("fd12:3456:789a::/48") }, n[2], h[2];
        InAddrPrefix untouched[2] = { { .family = 4242 }, { .family = 4242 } };
        AddressPool p;

        address_pool_init(&p, given, id(HOST_ID));
        ASSERT_OK(address_pool_network(&p, 3, n));

        ASSERT_OK(address_pool_host(n, 1, h));
        assert_prefix(&h[0], "10.80.3.1/24");
        assert_prefix(&h[1], "fd12:3456:789a:3::1/64");
        ASSERT_OK(address_pool_host(n, ADDRESS_POOL_HOST_FIRST, h));
        assert_prefix(&h[0], "10.80.3.2/24");
        assert_prefix(&h[1], "fd12:3456:789a:3::2/64");
        ASSERT_OK(address_pool_host(n, ADDRESS_POOL_HOST_LAST, h));
        assert_prefix(&h[0], "10.80.3.254/24");
        assert_prefix(&h[1], "fd12:3456:789a:3::fe/64");
        for (unsigned i = 1; i <= ADDRESS_POOL_HOST_LAST; i++) {
                ASSERT_OK(address_pool_host(n, i, h));
                ASSERT_EQ(h[0].address.bytes[3], i);
                ASSERT_EQ(h[1].address.bytes[15], i);
                ASSERT_EQ(h[1].address.bytes[14], 0);
        }

        /* neither the network's own address nor its broadcast */
        ASSERT_ERROR(address_pool_host(n, 0, untouched), ERANGE);
        ASSERT_ERROR(address_pool_host(n, 255, untouched), ERANGE);
        ASSERT_ERROR(address_pool_host(n, 256, untouched), ERANGE);
        ASSERT_ERROR(address_pool_host(n, UINT32_MAX, untouched), ERANGE);
        ASSERT_EQ(untouched[0].family, 4242);
        ASSERT_EQ(untouched[1].family, 4242);
}

TEST(first_network) {
        static const char *const keys[] = { "web", "db", "a", "", "zone:blue", "averyveryverylongmachinename" };
        InAddrPrefix one[2] = { prefix("10.0.0.0/24"), {} };
        AddressPool p, single;
        bool differs = false;

        default_pool(&p, HOST_ID);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                uint64_t n = address_pool_first_network(&p, keys[i]);

                ASSERT_TRUE(n < address_pool_size(&p));
                ASSERT_EQ(address_pool_first_network(&p, keys[i]), n); /* the same each time */
                if (n != address_pool_first_network(&p, keys[0]))
                        differs = true;
        }
        ASSERT_TRUE(differs);
        /* FNV-1a, remembered across versions: "web" hashes to 3825 mod 4096 */
        ASSERT_EQ(address_pool_first_network(&p, "web"), 3825);

        address_pool_init(&single, one, id(HOST_ID));
        ASSERT_EQ(address_pool_size(&single), 1);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                ASSERT_EQ(address_pool_first_network(&single, keys[i]), 0);
}

TEST(first_host) {
        bool seen[ADDRESS_POOL_HOST_LAST + 1] = {};
        char key[32];
        size_t distinct = 0;

        for (unsigned i = 0; i < 2000; i++) {
                unsigned h;

                snprintf(key, sizeof key, "machine-%u", i);
                h = address_pool_first_host(key);
                ASSERT_TRUE(h >= ADDRESS_POOL_HOST_FIRST && h <= ADDRESS_POOL_HOST_LAST);
                ASSERT_EQ(address_pool_first_host(key), h);
                if (!seen[h])
                        distinct++;
                seen[h] = true;
        }
        /* spread over the range, not stuck on a few */
        ASSERT_TRUE(distinct > 200);
        /* FNV-1a of "a" is 0xaf63dc4c8601ec8c (the published test vector) */
        ASSERT_EQ(address_pool_first_host("a"), 2 + UINT64_C(0xaf63dc4c8601ec8c) % 253);
        ASSERT_EQ(address_pool_first_host("web"), 191);
}

TEST(next_host) {
        bool seen[ADDRESS_POOL_HOST_LAST + 1] = {};
        unsigned h;

        ASSERT_EQ(address_pool_next_host(2), 3);
        ASSERT_EQ(address_pool_next_host(253), 254);
        ASSERT_EQ(address_pool_next_host(254), 2);
        ASSERT_EQ(address_pool_next_host(255), 2);
        ASSERT_EQ(address_pool_next_host(UINT32_MAX), 2);

        /* from anywhere, every host once before the first again */
        h = address_pool_first_host("web");
        for (unsigned i = ADDRESS_POOL_HOST_FIRST; i <= ADDRESS_POOL_HOST_LAST; i++) {
                ASSERT_TRUE(h >= ADDRESS_POOL_HOST_FIRST && h <= ADDRESS_POOL_HOST_LAST);
                ASSERT_FALSE(seen[h]);
                seen[h] = true;
                h = address_pool_next_host(h);
        }
        ASSERT_EQ(h, address_pool_first_host("web"));
}
