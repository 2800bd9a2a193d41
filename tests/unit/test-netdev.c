/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "netdev.h"
#include "string-util.h"
#include "tests.h"

/* Everything here runs in network namespaces the test makes
 * (tests_enter_netns()): no link, address or route reaches the host's. */

static InAddrPrefix prefix(const char *s) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(s, true, &p) < 0)
                tests_fail(__FILE__, __LINE__, "\"%s\" refused", s);
        return p;
}

static Netdev *netdev_in_new_netns(void) {
        Netdev *n = NULL;
        int r;

        tests_enter_netns();
        r = netdev_open(-EBADF, &n);
        if (r == -EOPNOTSUPP)
                tests_skip("libnl-route-3 is missing");
        ASSERT_OK(r);
        return n;
}

static uint64_t netns_inode(void) {
        struct stat st;

        ASSERT_TRUE(stat("/proc/self/ns/net", &st) >= 0);
        return (uint64_t) st.st_ino;
}

/* The link's flags (SIOCGIFFLAGS) in the namespace netns_fd (-EBADF: ours);
 * -1 if it is not there. */
static int link_flags(int netns_fd, const char *name) {
        _cleanup_close_ int self = -EBADF, fd = -EBADF;
        struct ifreq ifr = {};

        if (netns_fd >= 0) {
                self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                ASSERT_TRUE(self >= 0 && setns(netns_fd, CLONE_NEWNET) >= 0);
        }
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (self >= 0)
                ASSERT_TRUE(setns(self, CLONE_NEWNET) >= 0);
        ASSERT_TRUE(fd >= 0);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -1;
        return ifr.ifr_flags;
}

static void assert_kind(Netdev *n, const char *name, const char *kind) {
        char buf[32];
        int i = netdev_link_index(n, name);

        if (i <= 0)
                tests_fail(__FILE__, __LINE__, "no link %s: %s", name, strerror(-i));
        ASSERT_OK(netdev_link_kind(n, i, buf, sizeof buf));
        ASSERT_STREQ(buf, kind);
}

/* A route to dst through ifindex, made with rtnetlink directly: netdev.h
 * makes default routes only. */
static void add_route(const char *dst, int ifindex) {
        InAddrPrefix p = prefix(dst);
        struct {
                struct nlmsghdr nh;
                struct rtmsg rt;
                char attrs[64];
        } req = {
                .nh.nlmsg_type = RTM_NEWROUTE,
                .nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
                .rt.rtm_family = (unsigned char) p.family,
                .rt.rtm_dst_len = (unsigned char) p.prefixlen,
                .rt.rtm_table = RT_TABLE_MAIN,
                .rt.rtm_protocol = RTPROT_STATIC,
                .rt.rtm_scope = RT_SCOPE_LINK,
                .rt.rtm_type = RTN_UNICAST,
        };
        struct {
                struct nlmsghdr nh;
                struct nlmsgerr err;
        } ack;
        struct rtattr *a;
        _cleanup_close_ int fd = -EBADF;
        size_t len = in_addr_family_size(p.family);

        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.rt);
        a = (struct rtattr *) ((char *) &req + NLMSG_ALIGN(req.nh.nlmsg_len));
        a->rta_type = RTA_DST;
        a->rta_len = (unsigned short) RTA_LENGTH(len);
        memcpy(RTA_DATA(a), p.address.bytes, len);
        req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
        a = (struct rtattr *) ((char *) &req + req.nh.nlmsg_len);
        a->rta_type = RTA_OIF;
        a->rta_len = RTA_LENGTH(sizeof(int));
        memcpy(RTA_DATA(a), &ifindex, sizeof(int));
        req.nh.nlmsg_len += RTA_ALIGN(a->rta_len);

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(send(fd, &req, req.nh.nlmsg_len, 0), (ssize_t) req.nh.nlmsg_len);
        ASSERT_TRUE(recv(fd, &ack, sizeof ack, 0) >= (ssize_t) sizeof ack);
        ASSERT_EQ(ack.nh.nlmsg_type, NLMSG_ERROR);
        if (ack.err.error != 0)
                tests_fail(__FILE__, __LINE__, "route %s: %s", dst, strerror(-ack.err.error));
}

/* Whether the namespace's routing table has a default route through
 * gateway (the kernel's own view, in /proc/self/net). */
static bool has_default_route(const char *gateway) {
        _cleanup_free_ char *text = NULL;
        InAddrPrefix g;
        char hex[40] = {};

        ASSERT_OK(in_addr_prefix_from_string(gateway, false, &g));
        if (g.family == AF_INET) {
                char line[64];

                ASSERT_OK(read_full_file("/proc/self/net/route", &text, NULL));
                /* "IFACE\t00000000\tGATEWAY\t…", the gateway as the kernel
                 * prints a __be32 */
                snprintf(hex, sizeof hex, "%08X", (unsigned) g.address.in.s_addr);
                snprintf(line, sizeof line, "\t00000000\t%s\t", hex);
                return strstr(text, line);
        }
        ASSERT_OK(read_full_file("/proc/self/net/ipv6_route", &text, NULL));
        for (size_t i = 0; i < 16; i++)
                snprintf(hex + 2 * i, 3, "%02x", g.address.bytes[i]);
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (startswith(l, "00000000000000000000000000000000 00 00000000000000000000000000000000 00 ") &&
                    strncmp(l + 72, hex, 32) == 0)
                        return true;
        return false;
}

TEST(open_and_lo) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns();
        char kind[32] = "x";

        ASSERT_EQ(netdev_link_index(n, "lo"), 1); /* the first link of every namespace */
        ASSERT_EQ(netdev_link_index(n, "lo"), (int) if_nametoindex("lo"));
        ASSERT_OK(netdev_link_kind(n, 1, kind, sizeof kind));
        ASSERT_STREQ(kind, ""); /* no kind: not made by a driver's rtnl ops */

        ASSERT_ERROR(netdev_link_index(n, "nope"), ENODEV);
        ASSERT_ERROR(netdev_link_index(n, "abcdefghijklmnop"), ENODEV);
        ASSERT_ERROR(netdev_link_kind(n, 4242, kind, sizeof kind), ENODEV);
        /* nothing in a fresh namespace is in use but lo's (down: none) */
        InAddrPrefix p = prefix("10.0.0.0/8");
        ASSERT_EQ(netdev_prefix_in_use(n, &p), 0);
        p = prefix("::/0");
        ASSERT_EQ(netdev_prefix_in_use(n, &p), 0);
}

TEST(open_elsewhere) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns(), *m = NULL, *bad = NULL;
        _cleanup_close_ int other = tests_new_netns_fd(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        uint64_t self = netns_inode();

        ASSERT_OK(netdev_open(other, &m));
        ASSERT_EQ(netns_inode(), self); /* and back */
        ASSERT_OK(netdev_add_bridge(m, "br-there"));
        ASSERT_TRUE(netdev_link_index(m, "br-there") > 0);
        ASSERT_ERROR(netdev_link_index(n, "br-there"), ENODEV);
        ASSERT_EQ(link_flags(-EBADF, "br-there"), -1);
        ASSERT_TRUE(link_flags(other, "br-there") & IFF_UP);

        /* not a namespace: an error, and still in ours */
        ASSERT_TRUE(null >= 0);
        ASSERT_TRUE(netdev_open(null, &bad) < 0);
        ASSERT_NULL(bad);
        ASSERT_EQ(netns_inode(), self);
}

TEST(bridge) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns();
        char small[4];
        int br;

        ASSERT_OK(netdev_add_bridge(n, "br-test"));
        br = netdev_link_index(n, "br-test");
        ASSERT_TRUE(br > 1);
        assert_kind(n, "br-test", "bridge");
        ASSERT_TRUE(link_flags(-EBADF, "br-test") & IFF_UP);
        ASSERT_EQ(netdev_bridge_n_ports(n, br), 0);
        ASSERT_ERROR(netdev_link_kind(n, br, small, sizeof small), ENAMETOOLONG);

        ASSERT_ERROR(netdev_add_bridge(n, "br-test"), EEXIST);
        ASSERT_ERROR(netdev_add_bridge(n, "lo"), EEXIST);

        ASSERT_EQ(netdev_link_delete(n, "br-test"), 0);
        ASSERT_ERROR(netdev_link_index(n, "br-test"), ENODEV);
        ASSERT_EQ(netdev_link_delete(n, "br-test"), 0); /* gone: fine */
        ASSERT_EQ(netdev_link_delete(n, "never-there"), 0);
}

TEST(bad_names) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns();
        _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

        ASSERT_TRUE(netdev_add_bridge(n, "a/b") < 0);
        /* too long: refused, not cut to a name nobody asked for */
        if (netdev_add_bridge(n, "abcdefghijklmnop") >= 0)
                tests_fail(__FILE__, __LINE__, "a 16-character link name was accepted, and %s made",
                           netdev_link_index(n, "abcdefghijklmno") > 0 ? "'abcdefghijklmno'" : "nothing");
        ASSERT_ERROR(netdev_link_index(n, "abcdefghijklmno"), ENODEV);
        if (netdev_add_veth(n, "ve-abcdefghijklm", "host0", self, 0) >= 0)
                tests_fail(__FILE__, __LINE__, "a 16-character veth name was accepted");
}

TEST(veth) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns(), *m = NULL;
        _cleanup_close_ int other = tests_new_netns_fd();
        int br, ve;

        ASSERT_OK(netdev_open(other, &m));
        ASSERT_OK(netdev_add_bridge(n, "vz-test"));
        br = netdev_link_index(n, "vz-test");
        ASSERT_TRUE(br > 0);

        ASSERT_OK(netdev_add_veth(n, "vb-web", "host0", other, br));
        ve = netdev_link_index(n, "vb-web");
        ASSERT_TRUE(ve > 0);
        assert_kind(n, "vb-web", "veth");
        ASSERT_TRUE(link_flags(-EBADF, "vb-web") & IFF_UP);
        ASSERT_EQ(netdev_bridge_n_ports(n, br), 1);
        /* the peer is there, not here */
        ASSERT_ERROR(netdev_link_index(n, "host0"), ENODEV);
        ASSERT_TRUE(netdev_link_index(m, "host0") > 0);
        assert_kind(m, "host0", "veth");

        /* one without a bridge */
        ASSERT_ERROR(netdev_add_veth(n, "ve-db", "host0", other, 0), EEXIST); /* the peer's name is taken there */
        ASSERT_ERROR(netdev_link_index(n, "ve-db"), ENODEV);
        ASSERT_OK(netdev_add_veth(n, "ve-db", "host1", other, 0));
        ASSERT_EQ(netdev_bridge_n_ports(n, br), 1);
        ASSERT_ERROR(netdev_add_veth(n, "vb-web", "host2", other, br), EEXIST);

        /* a veth takes its peer along */
        ASSERT_EQ(netdev_link_delete(n, "vb-web"), 0);
        ASSERT_ERROR(netdev_link_index(n, "vb-web"), ENODEV);
        ASSERT_ERROR(netdev_link_index(m, "host0"), ENODEV);
        ASSERT_EQ(netdev_bridge_n_ports(n, br), 0);
        ASSERT_TRUE(netdev_link_index(m, "host1") > 0);
}

TEST(move_and_up) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns(), *m = NULL;
        _cleanup_close_ int other = tests_new_netns_fd(), self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int b, moved;

        ASSERT_TRUE(self >= 0);
        ASSERT_OK(netdev_open(other, &m));
        /* both ends here */
        ASSERT_OK(netdev_add_veth(n, "mv-a", "mv-b", self, 0));
        b = netdev_link_index(n, "mv-b");
        ASSERT_TRUE(b > 0);
        ASSERT_FALSE(link_flags(-EBADF, "mv-b") & IFF_UP); /* the peer starts down */

        ASSERT_OK(netdev_link_move(n, b, other, "eth7"));
        ASSERT_ERROR(netdev_link_index(n, "mv-b"), ENODEV);
        moved = netdev_link_index(m, "eth7");
        ASSERT_TRUE(moved > 0);
        ASSERT_FALSE(link_flags(other, "eth7") & IFF_UP);
        ASSERT_OK(netdev_link_up(m, moved));
        ASSERT_TRUE(link_flags(other, "eth7") & IFF_UP);

        /* without a new name it keeps its own */
        ASSERT_OK(netdev_link_move(m, moved, self, NULL));
        ASSERT_TRUE(netdev_link_index(n, "eth7") > 0);

        ASSERT_ERROR(netdev_link_move(n, 4242, other, NULL), ENODEV);
        ASSERT_ERROR(netdev_link_up(n, 4242), ENODEV);
}

/* A link to put macvlan and ipvlan links on, and a namespace to make
 * them in. */
static int parent_link(Netdev *n, int *ret_other) {
        _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int parent;

        ASSERT_TRUE(self >= 0);
        ASSERT_OK(netdev_add_veth(n, "up-a", "up-b", self, 0));
        parent = netdev_link_index(n, "up-a");
        ASSERT_TRUE(parent > 0);
        *ret_other = tests_new_netns_fd();
        return parent;
}

TEST(macvlan) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns(), *m = NULL;
        _cleanup_close_ int other = -EBADF;
        int parent = parent_link(n, &other);

        ASSERT_OK(netdev_open(other, &m));
        ASSERT_OK(netdev_add_macvlan(n, "mv-up-a", parent, other));
        ASSERT_ERROR(netdev_link_index(n, "mv-up-a"), ENODEV);
        assert_kind(m, "mv-up-a", "macvlan");
        ASSERT_ERROR(netdev_add_macvlan(n, "mv-up-a", parent, other), EEXIST);
        ASSERT_ERROR(netdev_add_macvlan(n, "mv-x", 4242, other), ENODEV);
}

TEST(ipvlan) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns(), *m = NULL;
        _cleanup_close_ int other = -EBADF;
        int parent = parent_link(n, &other), r;

        ASSERT_OK(netdev_open(other, &m));
        r = netdev_add_ipvlan(n, "iv-up-a", parent, other);
        if (r == -EOPNOTSUPP) {
                /* A kernel without ipvlan (CONFIG_IPVLAN off, as this
                 * project's is): berth must say so, not something else. */
                ASSERT_TRUE(access("/sys/module/ipvlan", F_OK) < 0);
                ASSERT_ERROR(netdev_link_index(m, "iv-up-a"), ENODEV);
                return;
        }
        ASSERT_OK(r);
        ASSERT_ERROR(netdev_link_index(n, "iv-up-a"), ENODEV);
        assert_kind(m, "iv-up-a", "ipvlan");
        ASSERT_ERROR(netdev_add_ipvlan(n, "iv-x", 4242, other), ENODEV);
}

TEST(addresses) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns();
        InAddrPrefix a4 = prefix("10.99.0.1/24"), a6 = prefix("fd99::1/64"), got;
        char buf[IN_ADDR_PREFIX_STRING_MAX];
        int br;

        ASSERT_OK(netdev_add_bridge(n, "br-test"));
        br = netdev_link_index(n, "br-test");
        ASSERT_ERROR(netdev_link_address(n, br, AF_INET, &got), ENOENT);

        ASSERT_OK(netdev_add_address(n, br, &a4));
        ASSERT_OK(netdev_add_address(n, br, &a6));
        ASSERT_ERROR(netdev_add_address(n, br, &a4), EEXIST);
        ASSERT_ERROR(netdev_add_address(n, 4242, &a4), ENODEV);

        ASSERT_OK(netdev_link_address(n, br, AF_INET, &got));
        ASSERT_STREQ(in_addr_prefix_to_string(&got, true, buf), "10.99.0.1/24");
        /* the global one, not the link-local fe80:: */
        ASSERT_OK(netdev_link_address(n, br, AF_INET6, &got));
        ASSERT_STREQ(in_addr_prefix_to_string(&got, true, buf), "fd99::1/64");
        ASSERT_ERROR(netdev_link_address(n, 1, AF_INET, &got), ENOENT);
}

static int in_use(Netdev *n, const char *p) {
        InAddrPrefix x = prefix(p);

        return netdev_prefix_in_use(n, &x);
}

TEST(prefix_in_use) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns();
        _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        InAddrPrefix a4 = prefix("10.99.0.1/24"), a6 = prefix("fd99::1/64");
        InAddrPrefix down4 = prefix("10.98.7.1/24");
        InAddrPrefix gw4 = prefix("10.99.0.254/32"), gw6 = prefix("fd99::fe/128");
        int br, down;

        ASSERT_OK(netdev_add_bridge(n, "br-test"));
        br = netdev_link_index(n, "br-test");
        ASSERT_EQ(in_use(n, "10.99.0.0/24"), 0);

        ASSERT_OK(netdev_add_address(n, br, &a4));
        ASSERT_OK(netdev_add_address(n, br, &a6));
        ASSERT_EQ(in_use(n, "10.99.0.0/24"), 1);
        ASSERT_EQ(in_use(n, "10.99.0.128/25"), 1); /* in */
        ASSERT_EQ(in_use(n, "10.0.0.0/8"), 1);     /* around */
        ASSERT_EQ(in_use(n, "10.99.1.0/24"), 0);
        ASSERT_EQ(in_use(n, "10.98.0.0/24"), 0);
        ASSERT_EQ(in_use(n, "fd99::/64"), 1);
        ASSERT_EQ(in_use(n, "fd99:0:0:0:8000::/65"), 1);
        ASSERT_EQ(in_use(n, "fd00::/8"), 1);
        ASSERT_EQ(in_use(n, "fd98::/64"), 0);
        ASSERT_EQ(in_use(n, "fd99:0:0:1::/64"), 0);

        /* an address alone (its link down: no route), of either family */
        ASSERT_OK(netdev_add_veth(n, "dn-a", "dn-b", self, 0));
        down = netdev_link_index(n, "dn-b");
        ASSERT_FALSE(link_flags(-EBADF, "dn-b") & IFF_UP);
        ASSERT_OK(netdev_add_address(n, down, &down4));
        ASSERT_EQ(in_use(n, "10.98.7.0/24"), 1);
        ASSERT_EQ(in_use(n, "10.98.0.0/16"), 1);
        ASSERT_EQ(in_use(n, "10.98.8.0/24"), 0);

        /* a route alone */
        add_route("172.31.0.0/16", br);
        add_route("fd77::/48", br);
        ASSERT_EQ(in_use(n, "172.31.5.0/24"), 1);
        ASSERT_EQ(in_use(n, "172.0.0.0/8"), 1);
        ASSERT_EQ(in_use(n, "172.30.0.0/16"), 0);
        ASSERT_EQ(in_use(n, "fd77:0:0:5::/64"), 1);
        ASSERT_EQ(in_use(n, "fd78::/64"), 0);

        /* a default route overlaps everything: it doesn't count */
        ASSERT_OK(netdev_add_default_route(n, br, &gw4));
        ASSERT_OK(netdev_add_default_route(n, br, &gw6));
        ASSERT_TRUE(has_default_route("10.99.0.254"));
        ASSERT_TRUE(has_default_route("fd99::fe"));
        ASSERT_EQ(in_use(n, "10.50.0.0/24"), 0);
        ASSERT_EQ(in_use(n, "192.168.0.0/16"), 0);
        ASSERT_EQ(in_use(n, "fd50::/64"), 0);
        /* and the families don't mix: 0a63:: has the bytes of 10.99. */
        ASSERT_EQ(in_use(n, "a63::/16"), 0);
}

TEST(default_route) {
        _cleanup_(netdev_closep) Netdev *n = netdev_in_new_netns();
        InAddrPrefix a4 = prefix("10.99.0.2/24"), a6 = prefix("fd99::2/64");
        /* the gateway's length doesn't matter: it is an address */
        InAddrPrefix gw4 = prefix("10.99.0.1/24"), gw6 = prefix("fd99::1/64");
        int br;

        ASSERT_OK(netdev_add_bridge(n, "br-test"));
        br = netdev_link_index(n, "br-test");
        ASSERT_OK(netdev_add_address(n, br, &a4));
        ASSERT_OK(netdev_add_address(n, br, &a6));
        ASSERT_FALSE(has_default_route("10.99.0.1"));

        ASSERT_OK(netdev_add_default_route(n, br, &gw4));
        ASSERT_TRUE(has_default_route("10.99.0.1"));
        ASSERT_FALSE(has_default_route("fd99::1"));
        ASSERT_OK(netdev_add_default_route(n, br, &gw6));
        ASSERT_TRUE(has_default_route("fd99::1"));
        ASSERT_ERROR(netdev_add_default_route(n, br, &gw4), EEXIST);
}
