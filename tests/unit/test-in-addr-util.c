/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <sys/socket.h>

#include "in-addr-util.h"
#include "string-util.h"
#include "tests.h"

static InAddrPrefix prefix(const char *s) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(s, true, &p) < 0)
                tests_fail(__FILE__, __LINE__, "\"%s\" refused", s);
        return p;
}

static InAddr address(const char *s) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(s, false, &p) < 0)
                tests_fail(__FILE__, __LINE__, "\"%s\" refused", s);
        return p.address;
}

/* p as "ADDRESS/LEN" is expected. */
static void assert_prefix(const InAddrPrefix *p, const char *expected) {
        char buf[IN_ADDR_PREFIX_STRING_MAX];

        ASSERT_STREQ(in_addr_prefix_to_string(p, true, buf), expected);
}

TEST(family) {
        ASSERT_EQ(in_addr_family_size(AF_INET), 4);
        ASSERT_EQ(in_addr_family_size(AF_INET6), 16);
        ASSERT_EQ(in_addr_family_size(AF_UNSPEC), 0);
        ASSERT_EQ(in_addr_family_size(AF_UNIX), 0);
        ASSERT_EQ(in_addr_family_bits(AF_INET), 32);
        ASSERT_EQ(in_addr_family_bits(AF_INET6), 128);
        ASSERT_EQ(in_addr_family_bits(AF_UNSPEC), 0);
}

TEST(parse_prefixes) {
        static const struct {
                const char *text;
                int family;
                unsigned prefixlen;
                const char *formatted; /* NULL: as text */
        } good[] = {
                { "10.0.0.0/8", AF_INET, 8 },
                { "10.1.2.3/8", AF_INET, 8 }, /* host bits kept */
                { "0.0.0.0/0", AF_INET, 0 },
                { "255.255.255.255/32", AF_INET, 32 },
                { "192.168.1.0/24", AF_INET, 24 },
                { "fd00::/8", AF_INET6, 8 },
                { "::/0", AF_INET6, 0 },
                { "::1/128", AF_INET6, 128 },
                { "2001:db8::1/64", AF_INET6, 64 },
                { "2001:DB8::1/64", AF_INET6, 64, "2001:db8::1/64" },
                { "fd12:3456:789a:0:0:0:0:1/48", AF_INET6, 48, "fd12:3456:789a::1/48" },
                { "::ffff:10.0.0.1/96", AF_INET6, 96 },
                { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", AF_INET6, 128 },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                InAddrPrefix p;
                char buf[IN_ADDR_PREFIX_STRING_MAX];

                if (in_addr_prefix_from_string(good[i].text, true, &p) < 0)
                        tests_fail(__FILE__, __LINE__, "\"%s\" refused", good[i].text);
                ASSERT_EQ(p.family, good[i].family);
                ASSERT_EQ(p.prefixlen, good[i].prefixlen);
                ASSERT_STREQ(in_addr_prefix_to_string(&p, true, buf), good[i].formatted ?: good[i].text);
                ASSERT_TRUE(strlen(buf) < IN_ADDR_PREFIX_STRING_MAX);
        }

        /* the bytes, in network order */
        InAddrPrefix p = prefix("10.1.2.3/8");
        ASSERT_EQ(p.address.bytes[0], 10);
        ASSERT_EQ(p.address.bytes[1], 1);
        ASSERT_EQ(p.address.bytes[2], 2);
        ASSERT_EQ(p.address.bytes[3], 3);
        ASSERT_EQ(p.address.in.s_addr, htonl(0x0a010203));
        p = prefix("fd00::1/64");
        ASSERT_EQ(p.address.bytes[0], 0xfd);
        ASSERT_EQ(p.address.bytes[15], 1);
}

TEST(parse_addresses) {
        InAddrPrefix p;
        char buf[IN_ADDR_PREFIX_STRING_MAX];

        /* without a length: the whole address */
        ASSERT_OK(in_addr_prefix_from_string("10.0.0.1", false, &p));
        ASSERT_EQ(p.family, AF_INET);
        ASSERT_EQ(p.prefixlen, 32);
        ASSERT_STREQ(in_addr_prefix_to_string(&p, false, buf), "10.0.0.1");
        ASSERT_STREQ(in_addr_prefix_to_string(&p, true, buf), "10.0.0.1/32");

        ASSERT_OK(in_addr_prefix_from_string("fd00::1", false, &p));
        ASSERT_EQ(p.family, AF_INET6);
        ASSERT_EQ(p.prefixlen, 128);
        ASSERT_STREQ(in_addr_prefix_to_string(&p, false, buf), "fd00::1");

        /* a prefix without its length */
        p = prefix("10.9.8.7/16");
        ASSERT_STREQ(in_addr_prefix_to_string(&p, false, buf), "10.9.8.7");

        /* no family: no address, but no crash either */
        p = (InAddrPrefix) {};
        ASSERT_STREQ(in_addr_prefix_to_string(&p, true, buf), "?");
}

TEST(parse_invalid) {
        static const char *const bad_prefix[] = {
                "",
                "/",
                "/8",
                "10.0.0.1", /* the length is required */
                "fd00::1",
                "10.0.0.0/",
                "1.2.3.4/",
                "10.0.0.0/33",
                "10.0.0.0/4294967304", /* 2^32 + 8 */
                "10.0.0.0/99999999999999999999",
                "fd00::/129",
                "::/1000",
                "10.0.0.0/8/8",
                "10.0.0.0//8",
                "10.0.0.0/-1",
                "10.0.0.0/+8",
                "10.0.0.0/ 8",
                "10.0.0.0/8 ",
                "10.0.0.0 /8",
                " 10.0.0.0/8",
                "10.0.0.0/0x8",
                "10.0.0.0/8a",
                "10.0.0.0/a",
                "10.0.0/8",
                "10.0.0.256/8",
                "1.2.3.4.5/8",
                "010.0.0.1/8", /* no octal guesses */
                "10.0.0.01/8",
                "garbage",
                "garbage/8",
                "example.com/24",
                "fe80::1%lo/64",
                "fd00:::1/64",
                "fd00::1::2/64",
                "gd00::/8",
                "[fd00::]/8",
                "10.0.0.0\n/8",
                "0000:0000:0000:0000:0000:0000:0000:0000:0000/8", /* longer than any address */
                "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1/8",
        };
        static const char *const bad_address[] = {
                "", "10.0.0.0/8", "fd00::/64", "10.0.0.1/", "10.0.0.1 ", "garbage", "256.0.0.1", "::g",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad_prefix); i++) {
                InAddrPrefix p = { .family = 4242, .prefixlen = 4242 };

                if (in_addr_prefix_from_string(bad_prefix[i], true, &p) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "prefix \"%s\" accepted", bad_prefix[i]);
                /* written on success only */
                ASSERT_EQ(p.family, 4242);
                ASSERT_EQ(p.prefixlen, 4242);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad_address); i++) {
                InAddrPrefix p;

                if (in_addr_prefix_from_string(bad_address[i], false, &p) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "address \"%s\" accepted", bad_address[i]);
        }
}

TEST(parse_length_is_decimal) {
        InAddrPrefix p;

        /* a leading zero never makes the length octal (010 would be 8) */
        if (in_addr_prefix_from_string("10.0.0.0/010", true, &p) >= 0)
                ASSERT_EQ(p.prefixlen, 10);
        if (in_addr_prefix_from_string("10.0.0.0/09", true, &p) >= 0)
                ASSERT_EQ(p.prefixlen, 9);
}

TEST(mask) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "10.1.2.3/8", "10.0.0.0/8" },
                { "10.95.2.3/12", "10.80.0.0/12" },
                { "10.1.2.255/31", "10.1.2.254/31" },
                { "10.1.2.3/32", "10.1.2.3/32" },
                { "255.255.255.255/0", "0.0.0.0/0" },
                { "192.168.77.129/25", "192.168.77.128/25" },
                { "fd12:3456:789a:1::1/48", "fd12:3456:789a::/48" },
                { "fd12:3456:789a:bcde::1/57", "fd12:3456:789a:bc80::/57" },
                { "fd12:3456:789a:bcde:1:2:3:4/64", "fd12:3456:789a:bcde::/64" },
                { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127" },
                { "::1/128", "::1/128" },
                { "ffff::1/0", "::/0" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                InAddrPrefix p = prefix(cases[i].in);

                in_addr_prefix_mask(&p);
                assert_prefix(&p, cases[i].out);
                /* and again: nothing more to clear */
                in_addr_prefix_mask(&p);
                assert_prefix(&p, cases[i].out);
        }
}

static bool overlaps(const char *a, const char *b) {
        InAddrPrefix x = prefix(a), y = prefix(b);
        bool r = in_addr_prefix_overlaps(&x, &y);

        /* symmetric */
        if (in_addr_prefix_overlaps(&y, &x) != r)
                tests_fail(__FILE__, __LINE__, "overlaps(%s, %s) is not symmetric", a, b);
        return r;
}

TEST(overlaps) {
        ASSERT_TRUE(overlaps("10.0.0.0/8", "10.0.0.0/8"));
        ASSERT_TRUE(overlaps("10.0.0.0/8", "10.1.0.0/16"));
        ASSERT_TRUE(overlaps("10.0.0.0/24", "10.0.0.128/25"));
        ASSERT_TRUE(overlaps("10.0.0.5/24", "10.0.0.200/24")); /* host bits don't count */
        ASSERT_TRUE(overlaps("0.0.0.0/0", "192.168.1.1/32"));
        ASSERT_TRUE(overlaps("10.80.0.0/12", "10.95.255.0/24"));
        ASSERT_FALSE(overlaps("10.80.0.0/12", "10.96.0.0/24"));
        ASSERT_FALSE(overlaps("10.0.0.0/16", "10.1.0.0/16"));
        ASSERT_FALSE(overlaps("10.0.0.0/25", "10.0.0.128/25"));
        ASSERT_FALSE(overlaps("10.0.0.1/32", "10.0.0.2/32"));
        ASSERT_FALSE(overlaps("10.0.0.0/8", "11.0.0.0/8"));

        ASSERT_TRUE(overlaps("fd00::/8", "fd12::/16"));
        ASSERT_TRUE(overlaps("fd12:3456:789a::/48", "fd12:3456:789a:ffff::/64"));
        ASSERT_FALSE(overlaps("fd12:3456:789a::/48", "fd12:3456:789b::/64"));
        ASSERT_FALSE(overlaps("fd00::/16", "fd01::/16"));
        ASSERT_TRUE(overlaps("::/0", "2001:db8::/32"));

        /* never across families, even where the bytes agree */
        ASSERT_FALSE(overlaps("0.0.0.0/0", "::/0"));
        ASSERT_FALSE(overlaps("10.0.0.0/8", "a00::/8"));
}

static bool contains(const char *p, const char *a) {
        InAddrPrefix x = prefix(p);
        InAddr y = address(a);

        return in_addr_prefix_contains(&x, &y);
}

TEST(contains) {
        ASSERT_TRUE(contains("10.0.0.0/24", "10.0.0.0"));
        ASSERT_TRUE(contains("10.0.0.0/24", "10.0.0.255"));
        ASSERT_TRUE(contains("10.0.0.77/24", "10.0.0.1")); /* host bits don't count */
        ASSERT_FALSE(contains("10.0.0.0/24", "10.0.1.0"));
        ASSERT_FALSE(contains("10.0.0.0/24", "9.255.255.255"));
        ASSERT_TRUE(contains("10.80.0.0/12", "10.95.255.255"));
        ASSERT_FALSE(contains("10.80.0.0/12", "10.96.0.0"));
        ASSERT_FALSE(contains("10.80.0.0/12", "10.79.255.255"));
        ASSERT_TRUE(contains("0.0.0.0/0", "255.255.255.255"));
        ASSERT_TRUE(contains("10.0.0.1/32", "10.0.0.1"));
        ASSERT_FALSE(contains("10.0.0.1/32", "10.0.0.2"));

        ASSERT_TRUE(contains("fd00::/64", "fd00::ffff:ffff:ffff:ffff"));
        ASSERT_FALSE(contains("fd00::/64", "fd00:0:0:1::"));
        ASSERT_TRUE(contains("fd12:3456:789a::/48", "fd12:3456:789a:1234::2"));
        ASSERT_TRUE(contains("::/0", "::1"));
}

static uint64_t n_subnets(const char *pool, unsigned sublen) {
        InAddrPrefix p = prefix(pool);

        return in_addr_prefix_n_subnets(&p, sublen);
}

TEST(n_subnets) {
        ASSERT_EQ(n_subnets("10.80.0.0/12", 24), 4096);
        ASSERT_EQ(n_subnets("10.80.0.0/12", 12), 1);
        ASSERT_EQ(n_subnets("10.80.0.0/12", 13), 2);
        ASSERT_EQ(n_subnets("10.80.0.0/12", 11), 0); /* shorter than the pool */
        ASSERT_EQ(n_subnets("10.80.0.0/12", 33), 0); /* longer than the family */
        ASSERT_EQ(n_subnets("10.0.0.0/24", 24), 1);
        ASSERT_EQ(n_subnets("10.0.0.0/24", 32), 256);
        ASSERT_EQ(n_subnets("10.0.0.0/25", 24), 0);
        ASSERT_EQ(n_subnets("0.0.0.0/0", 31), UINT64_C(1) << 31);
        ASSERT_EQ(n_subnets("0.0.0.0/0", 32), UINT64_C(1) << 32);

        ASSERT_EQ(n_subnets("fd12:3456:789a::/48", 64), 65536);
        ASSERT_EQ(n_subnets("fd00::/32", 63), UINT64_C(1) << 31);
        ASSERT_EQ(n_subnets("fd00::/32", 64), UINT64_C(1) << 32);
        /* capped at 2^32 */
        ASSERT_EQ(n_subnets("fd00::/31", 64), UINT64_C(1) << 32);
        ASSERT_EQ(n_subnets("fd00::/8", 64), UINT64_C(1) << 32);
        ASSERT_EQ(n_subnets("::/0", 64), UINT64_C(1) << 32);
        ASSERT_EQ(n_subnets("::/0", 128), UINT64_C(1) << 32);
        ASSERT_EQ(n_subnets("::/0", 129), 0);
        ASSERT_EQ(n_subnets("fd00::/64", 48), 0);
}

static void assert_subnet(const char *pool, unsigned sublen, uint64_t index, const char *expected) {
        InAddrPrefix p = prefix(pool), s;
        char buf[IN_ADDR_PREFIX_STRING_MAX];
        int r;

        r = in_addr_prefix_subnet(&p, sublen, index, &s);
        if (r < 0)
                tests_fail(__FILE__, __LINE__, "subnet /%u #%llu of %s: %s", sublen, (unsigned long long) index, pool,
                           strerror(-r));
        if (!streq(in_addr_prefix_to_string(&s, true, buf), expected))
                tests_fail(__FILE__, __LINE__, "subnet /%u #%llu of %s: %s, expected %s", sublen,
                           (unsigned long long) index, pool, buf, expected);
        /* inside the pool, and as long as asked */
        ASSERT_TRUE(in_addr_prefix_overlaps(&p, &s));
        ASSERT_EQ(s.prefixlen, sublen);
        ASSERT_EQ(s.family, p.family);
}

static void assert_no_subnet(const char *pool, unsigned sublen, uint64_t index) {
        InAddrPrefix p = prefix(pool), s = { .family = 4242 };

        if (in_addr_prefix_subnet(&p, sublen, index, &s) != -ERANGE)
                tests_fail(__FILE__, __LINE__, "subnet /%u #%llu of %s: expected -ERANGE", sublen,
                           (unsigned long long) index, pool);
        ASSERT_EQ(s.family, 4242);
}

TEST(subnet) {
        assert_subnet("10.80.0.0/12", 24, 0, "10.80.0.0/24");
        assert_subnet("10.80.0.0/12", 24, 1, "10.80.1.0/24");
        assert_subnet("10.80.0.0/12", 24, 255, "10.80.255.0/24");
        assert_subnet("10.80.0.0/12", 24, 256, "10.81.0.0/24");
        assert_subnet("10.80.0.0/12", 24, 4095, "10.95.255.0/24");
        assert_no_subnet("10.80.0.0/12", 24, 4096);
        assert_no_subnet("10.80.0.0/12", 24, UINT64_MAX);
        /* the pool's host bits don't leak into its subnets */
        assert_subnet("10.80.5.7/12", 24, 1, "10.80.1.0/24");
        assert_subnet("10.80.0.0/12", 12, 0, "10.80.0.0/12");
        assert_no_subnet("10.80.0.0/12", 12, 1);
        assert_no_subnet("10.80.0.0/12", 8, 0);
        assert_no_subnet("10.80.0.0/12", 33, 0);
        assert_subnet("10.0.0.0/24", 25, 1, "10.0.0.128/25");
        assert_subnet("10.0.0.0/24", 32, 255, "10.0.0.255/32");
        assert_subnet("0.0.0.0/0", 32, UINT32_MAX, "255.255.255.255/32");
        assert_no_subnet("0.0.0.0/0", 32, UINT64_C(1) << 32);

        assert_subnet("fd12:3456:789a::/48", 64, 0, "fd12:3456:789a::/64");
        assert_subnet("fd12:3456:789a::/48", 64, 0x1234, "fd12:3456:789a:1234::/64");
        assert_subnet("fd12:3456:789a::/48", 64, 65535, "fd12:3456:789a:ffff::/64");
        assert_no_subnet("fd12:3456:789a::/48", 64, 65536);
        assert_subnet("fd12:3456:789a:ffff::/48", 64, 1, "fd12:3456:789a:1::/64");
        /* beyond the cap of 2^32, nothing */
        assert_subnet("::/0", 64, UINT32_MAX, "0:0:ffff:ffff::/64");
        assert_no_subnet("::/0", 64, UINT64_C(1) << 32);
        assert_subnet("fd00::/8", 64, 1, "fd00:0:0:1::/64");
        assert_no_subnet("fd00::/64", 48, 0);
        assert_no_subnet("fd00::/64", 129, 0);
}

static void assert_host(const char *subnet, uint64_t host, const char *expected) {
        InAddrPrefix p = prefix(subnet), h;
        char buf[IN_ADDR_PREFIX_STRING_MAX];
        int r;

        r = in_addr_prefix_host(&p, host, &h);
        if (r < 0)
                tests_fail(__FILE__, __LINE__, "host %llu of %s: %s", (unsigned long long) host, subnet, strerror(-r));
        if (!streq(in_addr_prefix_to_string(&h, true, buf), expected))
                tests_fail(__FILE__, __LINE__, "host %llu of %s: %s, expected %s", (unsigned long long) host, subnet,
                           buf, expected);
}

static void assert_no_host(const char *subnet, uint64_t host) {
        InAddrPrefix p = prefix(subnet), h = { .family = 4242 };

        if (in_addr_prefix_host(&p, host, &h) != -ERANGE)
                tests_fail(__FILE__, __LINE__, "host %llu of %s: expected -ERANGE", (unsigned long long) host, subnet);
        ASSERT_EQ(h.family, 4242);
}

TEST(host) {
        assert_host("10.0.5.0/24", 0, "10.0.5.0/24");
        assert_host("10.0.5.0/24", 1, "10.0.5.1/24");
        assert_host("10.0.5.0/24", 254, "10.0.5.254/24");
        assert_host("10.0.5.0/24", 255, "10.0.5.255/24");
        assert_no_host("10.0.5.0/24", 256);
        assert_no_host("10.0.5.0/24", UINT64_MAX);
        assert_host("10.0.5.77/24", 2, "10.0.5.2/24"); /* counted from the subnet's first */
        assert_host("10.0.0.0/16", 258, "10.0.1.2/16");
        assert_host("10.0.5.1/32", 0, "10.0.5.1/32");
        assert_no_host("10.0.5.1/32", 1);
        assert_host("10.0.5.0/31", 1, "10.0.5.1/31");
        assert_no_host("10.0.5.0/31", 2);
        assert_host("0.0.0.0/0", UINT32_MAX, "255.255.255.255/0");
        assert_no_host("0.0.0.0/0", UINT64_C(1) << 32);

        assert_host("fd00:1:2:3::/64", 2, "fd00:1:2:3::2/64");
        assert_host("fd00:1:2:3:4:5:6:7/64", 254, "fd00:1:2:3::fe/64");
        assert_host("fd00:1:2:3::/64", UINT64_MAX, "fd00:1:2:3:ffff:ffff:ffff:ffff/64");
        assert_host("fd00::/100", (UINT64_C(1) << 28) - 1, "fd00::fff:ffff/100");
        assert_no_host("fd00::/100", UINT64_C(1) << 28);
        assert_host("::/0", UINT64_MAX, "::ffff:ffff:ffff:ffff/0");
        assert_no_host("fd00::1/128", 1);

        /* a length longer than the family's is no subnet */
        InAddrPrefix bad = prefix("10.0.0.0/8"), h;
        bad.prefixlen = 40;
        ASSERT_ERROR(in_addr_prefix_host(&bad, 0, &h), ERANGE);
}
