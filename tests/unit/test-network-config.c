/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <netinet/in.h>
#include <sys/socket.h>

#include "network-config.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

TEST(port_specs) {
        static const struct {
                const char *spec;
                int protocol;
                uint16_t host, machine;
                const char *formatted;
        } good[] = {
                { "80", IPPROTO_TCP, 80, 80, "tcp:80:80" },
                { "8080:80", IPPROTO_TCP, 8080, 80, "tcp:8080:80" },
                { "tcp:8080:80", IPPROTO_TCP, 8080, 80, "tcp:8080:80" },
                { "tcp:443", IPPROTO_TCP, 443, 443, "tcp:443:443" },
                { "udp:53", IPPROTO_UDP, 53, 53, "udp:53:53" },
                { "udp:5353:53", IPPROTO_UDP, 5353, 53, "udp:5353:53" },
                { "1", IPPROTO_TCP, 1, 1, "tcp:1:1" },
                { "65535", IPPROTO_TCP, 65535, 65535, "tcp:65535:65535" },
                { "65535:1", IPPROTO_TCP, 65535, 1, "tcp:65535:1" },
                { "udp:1:65535", IPPROTO_UDP, 1, 65535, "udp:1:65535" },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *text = NULL;
                PortForward p, q;

                if (port_forward_from_string(good[i].spec, &p) < 0)
                        tests_fail(__FILE__, __LINE__, "\"%s\" refused", good[i].spec);
                ASSERT_EQ(p.protocol, good[i].protocol);
                ASSERT_EQ(p.host_port, good[i].host);
                ASSERT_EQ(p.machine_port, good[i].machine);
                ASSERT_OK(port_forward_to_string(&p, &text));
                ASSERT_STREQ(text, good[i].formatted);
                /* and back */
                ASSERT_OK(port_forward_from_string(text, &q));
                ASSERT_EQ(q.protocol, p.protocol);
                ASSERT_EQ(q.host_port, p.host_port);
                ASSERT_EQ(q.machine_port, p.machine_port);
        }
}

TEST(port_specs_invalid) {
        static const char *const bad[] = {
                "",         "0",          "65536",      "99999999999", "-1",          "+80",        " 80",
                "80 ",      "80\n",       "0x50",       "8O",          "tcp:",        "udp:",       "tcp",
                "udp",      "sctp:1",     "TCP:80",     "tcp:udp:80",  "udp:tcp:80",  "1:2:3",      "tcp:1:2:3",
                ":80",      "80:",        "tcp::80",    "tcp:80:",     "tcp:0",       "udp:65536",  "80:0",
                "80:65536", "tcp: 80",    "tcp:80: 81", "80:-1",       "tcp:0000080", "tcp:800000", ":",
                "::",       "tcp:80:80:", "http",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                NetworkConfig c = {};
                PortForward p = { .host_port = 4242 };

                if (port_forward_from_string(bad[i], &p) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "port \"%s\" accepted", bad[i]);
                ASSERT_EQ(p.host_port, 4242); /* written on success only */
                if (network_config_add_port(&c, bad[i]) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "port \"%s\" added", bad[i]);
                ASSERT_EQ(c.n_ports, 0);
                network_config_done(&c);
        }
}

TEST(port_duplicates) {
        _cleanup_(network_config_done) NetworkConfig c = {};

        ASSERT_OK(network_config_add_port(&c, "80"));
        ASSERT_ERROR(network_config_add_port(&c, "tcp:80:8080"), EEXIST); /* the host port is taken */
        ASSERT_ERROR(network_config_add_port(&c, "80"), EEXIST);
        ASSERT_OK(network_config_add_port(&c, "udp:80")); /* another protocol */
        ASSERT_ERROR(network_config_add_port(&c, "udp:80:81"), EEXIST);
        ASSERT_OK(network_config_add_port(&c, "8080:80")); /* the same machine port twice is fine */
        ASSERT_ERROR(network_config_add_port(&c, "0"), EINVAL);

        ASSERT_EQ(c.n_ports, 3);
        ASSERT_EQ(c.ports[0].protocol, IPPROTO_TCP);
        ASSERT_EQ(c.ports[0].host_port, 80);
        ASSERT_EQ(c.ports[1].protocol, IPPROTO_UDP);
        ASSERT_EQ(c.ports[1].host_port, 80);
        ASSERT_EQ(c.ports[2].host_port, 8080);
        ASSERT_EQ(c.ports[2].machine_port, 80);
}

TEST(ifname) {
        static const char *const good[] = {
                "eth0",      "a",      "abcdefghijklmno" /* 15 */,
                "ve-web",    "br-0.1", "x..y",
                "...",       ".a",     "a.",
                "-",         "_",      "vz-zone",
                "enp0s31f6", "wlp2s0",
        };
        static const char *const bad[] = {
                "",      "abcdefghijklmnop" /* 16 */,
                ".",     "..",
                "a/b",   "/",
                "a:b",   ":",
                "a b",   " a",
                "a ",    "a\tb",
                "a\nb",  "\x7f",
                "a\x01", "abcdefghijklmnopqrstuvwxyz",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!ifname_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "\"%s\" refused", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ifname_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);
}

/* The kernel takes '%' in a new link's name as a template ("vz-%d" makes
 * "vz-0", "vz-1", …): a zone or bridge named so is not the link berth then
 * looks for, and removes. */
TEST(ifname_no_template) {
        _cleanup_(network_config_done) NetworkConfig c = {};

        ASSERT_FALSE(ifname_is_valid("eth%d"));
        ASSERT_ERROR(network_config_set_zone(&c, "%d"), EINVAL);
        ASSERT_NULL(c.zone);
}

TEST(links) {
        _cleanup_(network_config_done) NetworkConfig c = {};

        ASSERT_OK(network_config_add_link(&c.interfaces, "eth1"));
        ASSERT_OK(network_config_add_link(&c.interfaces, "eth2"));
        ASSERT_OK(network_config_add_link(&c.interfaces, "eth1")); /* once */
        ASSERT_ERROR(network_config_add_link(&c.interfaces, "a/b"), EINVAL);
        ASSERT_ERROR(network_config_add_link(&c.interfaces, "abcdefghijklmnop"), EINVAL);
        ASSERT_ERROR(network_config_add_link(&c.interfaces, ""), EINVAL);
        ASSERT_EQ(strv_length(c.interfaces), 2);
        ASSERT_STREQ(c.interfaces[0], "eth1");
        ASSERT_STREQ(c.interfaces[1], "eth2");

        ASSERT_OK(network_config_add_link(&c.macvlan, "eth0"));
        ASSERT_OK(network_config_add_link(&c.ipvlan, "abcdefghijklmno"));
        ASSERT_STREQ(c.macvlan[0], "eth0");
        ASSERT_STREQ(c.ipvlan[0], "abcdefghijklmno");
}

TEST(bridge_and_zone_names) {
        _cleanup_(network_config_done) NetworkConfig c = {};

        ASSERT_OK(network_config_set_bridge(&c, "br0"));
        ASSERT_STREQ(c.bridge, "br0");
        ASSERT_OK(network_config_set_bridge(&c, "abcdefghijklmno")); /* 15, and it replaces */
        ASSERT_STREQ(c.bridge, "abcdefghijklmno");
        ASSERT_ERROR(network_config_set_bridge(&c, "abcdefghijklmnop"), EINVAL);
        ASSERT_ERROR(network_config_set_bridge(&c, "a/b"), EINVAL);
        ASSERT_ERROR(network_config_set_bridge(&c, ""), EINVAL);
        ASSERT_ERROR(network_config_set_bridge(&c, ".."), EINVAL);
        ASSERT_STREQ(c.bridge, "abcdefghijklmno"); /* untouched by a failure */

        /* "vz-" and 12 characters make the longest link name */
        ASSERT_OK(network_config_set_zone(&c, "z"));
        ASSERT_STREQ(c.zone, "z");
        ASSERT_OK(network_config_set_zone(&c, "abcdefghijkl"));
        ASSERT_STREQ(c.zone, "abcdefghijkl");
        ASSERT_ERROR(network_config_set_zone(&c, "abcdefghijklm"), EINVAL);
        ASSERT_ERROR(network_config_set_zone(&c, ""), EINVAL);
        ASSERT_ERROR(network_config_set_zone(&c, "a b"), EINVAL);
        ASSERT_ERROR(network_config_set_zone(&c, "a:b"), EINVAL);
        ASSERT_ERROR(network_config_set_zone(&c, "a/b"), EINVAL);
        ASSERT_STREQ(c.zone, "abcdefghijkl");
}

static void assert_pool(const NetworkConfig *c, int slot, const char *expected) {
        char buf[IN_ADDR_PREFIX_STRING_MAX];

        ASSERT_STREQ(in_addr_prefix_to_string(&c->pool[slot], true, buf), expected);
}

TEST(pool) {
        _cleanup_(network_config_done) NetworkConfig c = {};

        ASSERT_EQ(c.pool[0].family, 0);
        ASSERT_EQ(c.pool[1].family, 0);

        /* room for more than one network of /24 (IPv4) or /64 (IPv6) */
        ASSERT_OK(network_config_set_pool(&c, "10.20.0.0/16"));
        assert_pool(&c, 0, "10.20.0.0/16");
        ASSERT_EQ(c.pool[1].family, 0);
        ASSERT_OK(network_config_set_pool(&c, "192.168.7.9/23")); /* masked */
        assert_pool(&c, 0, "192.168.6.0/23");
        ASSERT_OK(network_config_set_pool(&c, "fd12:3456:789a::/48"));
        assert_pool(&c, 1, "fd12:3456:789a::/48");
        ASSERT_OK(network_config_set_pool(&c, "fd12:3456:789a:ff::1/63"));
        assert_pool(&c, 1, "fd12:3456:789a:fe::/63");
        assert_pool(&c, 0, "192.168.6.0/23"); /* the other family's stays */
        ASSERT_OK(network_config_set_pool(&c, "0.0.0.0/0"));
        assert_pool(&c, 0, "0.0.0.0/0");

        ASSERT_ERROR(network_config_set_pool(&c, "10.0.0.0/24"), ERANGE);
        ASSERT_ERROR(network_config_set_pool(&c, "10.0.0.0/30"), ERANGE);
        ASSERT_ERROR(network_config_set_pool(&c, "10.0.0.1/32"), ERANGE);
        ASSERT_ERROR(network_config_set_pool(&c, "fd00::/64"), ERANGE);
        ASSERT_ERROR(network_config_set_pool(&c, "fd00::/120"), ERANGE);
        ASSERT_ERROR(network_config_set_pool(&c, "10.0.0.0"), EINVAL);
        ASSERT_ERROR(network_config_set_pool(&c, "10.0.0.0/33"), EINVAL);
        ASSERT_ERROR(network_config_set_pool(&c, "garbage"), EINVAL);
        ASSERT_ERROR(network_config_set_pool(&c, ""), EINVAL);
        assert_pool(&c, 0, "0.0.0.0/0");
        assert_pool(&c, 1, "fd12:3456:789a:fe::/63");
}

TEST(private_and_addressed) {
        static const struct {
                bool veth;
                const char *bridge, *zone, *interface, *macvlan, *ipvlan, *netns, *port;
                bool private, addressed;
        } cases[] = {
                { .private = false, .addressed = false },
                { .veth = true, .private = true, .addressed = true },
                { .bridge = "br0", .private = true, .addressed = false },
                /* a port of the user's bridge: the bridge's network addresses it */
                { .veth = true, .bridge = "br0", .private = true, .addressed = false },
                { .zone = "blue", .private = true, .addressed = true },
                { .veth = true, .zone = "blue", .private = true, .addressed = true },
                { .interface = "eth1", .private = true, .addressed = false },
                { .macvlan = "eth0", .private = true, .addressed = false },
                { .ipvlan = "eth0", .private = true, .addressed = false },
                { .veth = true, .interface = "eth1", .private = true, .addressed = true },
                /* another's namespace: none of its own */
                { .netns = "/run/netns/x", .private = false, .addressed = false },
                { .port = "80", .private = false, .addressed = false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(network_config_done) NetworkConfig c = { .veth = cases[i].veth };

                if (cases[i].bridge)
                        ASSERT_OK(network_config_set_bridge(&c, cases[i].bridge));
                if (cases[i].zone)
                        ASSERT_OK(network_config_set_zone(&c, cases[i].zone));
                if (cases[i].interface)
                        ASSERT_OK(network_config_add_link(&c.interfaces, cases[i].interface));
                if (cases[i].macvlan)
                        ASSERT_OK(network_config_add_link(&c.macvlan, cases[i].macvlan));
                if (cases[i].ipvlan)
                        ASSERT_OK(network_config_add_link(&c.ipvlan, cases[i].ipvlan));
                if (cases[i].netns)
                        ASSERT_NOT_NULL(c.namespace_path = strdup(cases[i].netns));
                if (cases[i].port)
                        ASSERT_OK(network_config_add_port(&c, cases[i].port));
                if (network_config_private(&c) != cases[i].private)
                        tests_fail(__FILE__, __LINE__, "case %zu: private is %d", i, !cases[i].private);
                if (network_config_addressed(&c) != cases[i].addressed)
                        tests_fail(__FILE__, __LINE__, "case %zu: addressed is %d", i, !cases[i].addressed);
        }
}

static void fill(NetworkConfig *c) {
        c->veth = true;
        ASSERT_OK(network_config_set_bridge(c, "br0"));
        ASSERT_OK(network_config_set_zone(c, "blue"));
        ASSERT_OK(network_config_add_link(&c->interfaces, "eth1"));
        ASSERT_OK(network_config_add_link(&c->interfaces, "eth2"));
        ASSERT_OK(network_config_add_link(&c->macvlan, "eth3"));
        ASSERT_OK(network_config_add_link(&c->ipvlan, "eth4"));
        ASSERT_NOT_NULL(c->namespace_path = strdup("/run/netns/x"));
        ASSERT_OK(network_config_add_port(c, "8080:80"));
        ASSERT_OK(network_config_add_port(c, "udp:53"));
        ASSERT_OK(network_config_set_pool(c, "10.20.0.0/16"));
        ASSERT_OK(network_config_set_pool(c, "fd01::/48"));
}

static bool strv_same(char *const *a, char *const *b) {
        if (strv_length(a) != strv_length(b))
                return false;
        for (size_t i = 0; a && a[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static void assert_same(const NetworkConfig *a, const NetworkConfig *b) {
        ASSERT_EQ(a->veth, b->veth);
        ASSERT_STREQ_PTR(a->bridge, b->bridge);
        ASSERT_STREQ_PTR(a->zone, b->zone);
        ASSERT_STREQ_PTR(a->namespace_path, b->namespace_path);
        ASSERT_TRUE(strv_same(a->interfaces, b->interfaces));
        ASSERT_TRUE(strv_same(a->macvlan, b->macvlan));
        ASSERT_TRUE(strv_same(a->ipvlan, b->ipvlan));
        ASSERT_EQ(a->n_ports, b->n_ports);
        for (size_t i = 0; i < a->n_ports; i++) {
                ASSERT_EQ(a->ports[i].protocol, b->ports[i].protocol);
                ASSERT_EQ(a->ports[i].host_port, b->ports[i].host_port);
                ASSERT_EQ(a->ports[i].machine_port, b->ports[i].machine_port);
        }
        ASSERT_TRUE(memcmp(a->pool, b->pool, sizeof a->pool) == 0);
}

TEST(copy_and_done) {
        _cleanup_(network_config_done) NetworkConfig src = {}, dst = {}, empty = {};

        fill(&src);
        /* dst had its own: replaced, not leaked */
        ASSERT_OK(network_config_set_zone(&dst, "red"));
        ASSERT_OK(network_config_add_port(&dst, "9"));
        ASSERT_OK(network_config_copy(&dst, &src));
        assert_same(&dst, &src);
        /* a deep copy */
        ASSERT_TRUE(dst.bridge != src.bridge);
        ASSERT_TRUE(dst.interfaces != src.interfaces);
        ASSERT_TRUE(dst.interfaces[0] != src.interfaces[0]);
        ASSERT_TRUE(dst.ports != src.ports);
        network_config_done(&src);
        ASSERT_STREQ(dst.zone, "blue");
        ASSERT_STREQ(dst.interfaces[1], "eth2");
        ASSERT_EQ(dst.ports[1].protocol, IPPROTO_UDP);

        /* done empties it all, and twice is harmless */
        ASSERT_FALSE(src.veth);
        ASSERT_NULL(src.bridge);
        ASSERT_NULL(src.zone);
        ASSERT_NULL(src.interfaces);
        ASSERT_NULL(src.macvlan);
        ASSERT_NULL(src.ipvlan);
        ASSERT_NULL(src.namespace_path);
        ASSERT_NULL(src.ports);
        ASSERT_EQ(src.n_ports, 0);
        ASSERT_EQ(src.pool[0].family, 0);
        network_config_done(&src);

        /* copying nothing over something leaves nothing */
        ASSERT_OK(network_config_copy(&dst, &empty));
        assert_same(&dst, &empty);
        ASSERT_FALSE(network_config_private(&dst));
}

TEST(resolv_conf_mode_table) {
        CHECK_TABLE(resolv_conf_mode, _RESOLV_CONF_MODE_MAX, "off", "copy-host", "copy-static", "copy-uplink",
                    "copy-stub", "replace-host", "replace-static", "replace-uplink", "replace-stub", "bind-host",
                    "bind-static", "bind-uplink", "bind-stub", "delete", "auto");
}

TEST(timezone_mode_table) {
        CHECK_TABLE(timezone_mode, _TIMEZONE_MODE_MAX, "off", "copy", "bind", "symlink", "delete", "auto");
}
