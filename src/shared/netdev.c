/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dlopen-util.h"
#include "fd-util.h"
#include "netdev.h"
#include "string-util.h"

/* libnl-3 and libnl-route-3: only machines with a network of their own
 * need them. */
DLOPEN_NOTE(netlink, "Links, addresses and routes of machines with a network of their own", "recommended",
            "libnl-route-3.so.200");
DLOPEN_NOTE(netlink_core, "Netlink sockets, for the links of machines (libnl-route-3 needs it)", "recommended",
            "libnl-3.so.200");
static void *libnl_dl, *libnl_route_dl;
static DLSYM_PROTOTYPE(nl_socket_alloc);
static DLSYM_PROTOTYPE(nl_socket_free);
static DLSYM_PROTOTYPE(nl_connect);
static DLSYM_PROTOTYPE(nl_cache_free);
static DLSYM_PROTOTYPE(nl_cache_get_first);
static DLSYM_PROTOTYPE(nl_cache_get_next);
static DLSYM_PROTOTYPE(nl_addr_build);
static DLSYM_PROTOTYPE(nl_addr_put);
static DLSYM_PROTOTYPE(nl_addr_set_prefixlen);
static DLSYM_PROTOTYPE(nl_addr_get_prefixlen);
static DLSYM_PROTOTYPE(nl_addr_get_family);
static DLSYM_PROTOTYPE(nl_addr_get_len);
static DLSYM_PROTOTYPE(nl_addr_get_binary_addr);
static DLSYM_PROTOTYPE(rtnl_link_alloc);
static DLSYM_PROTOTYPE(rtnl_link_put);
static DLSYM_PROTOTYPE(rtnl_link_alloc_cache);
static DLSYM_PROTOTYPE(rtnl_link_get_kernel);
static DLSYM_PROTOTYPE(rtnl_link_add);
static DLSYM_PROTOTYPE(rtnl_link_change);
static DLSYM_PROTOTYPE(rtnl_link_delete);
static DLSYM_PROTOTYPE(rtnl_link_set_name);
static DLSYM_PROTOTYPE(rtnl_link_set_type);
static DLSYM_PROTOTYPE(rtnl_link_get_type);
static DLSYM_PROTOTYPE(rtnl_link_set_flags);
static DLSYM_PROTOTYPE(rtnl_link_set_master);
static DLSYM_PROTOTYPE(rtnl_link_get_master);
static DLSYM_PROTOTYPE(rtnl_link_set_link);
static DLSYM_PROTOTYPE(rtnl_link_set_ns_fd);
static DLSYM_PROTOTYPE(rtnl_link_get_ifindex);
static DLSYM_PROTOTYPE(rtnl_link_get_name);
static DLSYM_PROTOTYPE(rtnl_link_get_ifalias);
static DLSYM_PROTOTYPE(rtnl_link_set_ifalias);
static DLSYM_PROTOTYPE(rtnl_link_veth_alloc);
static DLSYM_PROTOTYPE(rtnl_link_veth_get_peer);
static DLSYM_PROTOTYPE(rtnl_link_macvlan_set_mode);
static DLSYM_PROTOTYPE(rtnl_link_ipvlan_set_mode);
static DLSYM_PROTOTYPE(rtnl_addr_alloc);
static DLSYM_PROTOTYPE(rtnl_addr_put);
static DLSYM_PROTOTYPE(rtnl_addr_alloc_cache);
static DLSYM_PROTOTYPE(rtnl_addr_add);
static DLSYM_PROTOTYPE(rtnl_addr_set_ifindex);
static DLSYM_PROTOTYPE(rtnl_addr_get_ifindex);
static DLSYM_PROTOTYPE(rtnl_addr_set_local);
static DLSYM_PROTOTYPE(rtnl_addr_get_local);
static DLSYM_PROTOTYPE(rtnl_addr_set_flags);
static DLSYM_PROTOTYPE(rtnl_addr_set_broadcast);
static DLSYM_PROTOTYPE(rtnl_addr_get_family);
static DLSYM_PROTOTYPE(rtnl_addr_get_scope);
static DLSYM_PROTOTYPE(rtnl_route_alloc);
static DLSYM_PROTOTYPE(rtnl_route_put);
static DLSYM_PROTOTYPE(rtnl_route_alloc_cache);
static DLSYM_PROTOTYPE(rtnl_route_add);
static DLSYM_PROTOTYPE(rtnl_route_set_family);
static DLSYM_PROTOTYPE(rtnl_route_set_dst);
static DLSYM_PROTOTYPE(rtnl_route_get_dst);
static DLSYM_PROTOTYPE(rtnl_route_set_table);
static DLSYM_PROTOTYPE(rtnl_route_get_table);
static DLSYM_PROTOTYPE(rtnl_route_set_protocol);
static DLSYM_PROTOTYPE(rtnl_route_get_protocol);
static DLSYM_PROTOTYPE(rtnl_route_get_nnexthops);
static DLSYM_PROTOTYPE(rtnl_route_nexthop_n);
static DLSYM_PROTOTYPE(rtnl_route_nh_get_ifindex);
static DLSYM_PROTOTYPE(rtnl_route_add_nexthop);
static DLSYM_PROTOTYPE(rtnl_route_nh_alloc);
static DLSYM_PROTOTYPE(rtnl_route_nh_set_gateway);
static DLSYM_PROTOTYPE(rtnl_route_nh_set_ifindex);

static int dlopen_libnl(void) {
        int r;

        r = dlopen_many_sym(&libnl_dl, "libnl-3.so.200", DLSYM_ARG(nl_socket_alloc), DLSYM_ARG(nl_socket_free),
                            DLSYM_ARG(nl_connect), DLSYM_ARG(nl_cache_free), DLSYM_ARG(nl_cache_get_first),
                            DLSYM_ARG(nl_cache_get_next), DLSYM_ARG(nl_addr_build), DLSYM_ARG(nl_addr_put),
                            DLSYM_ARG(nl_addr_set_prefixlen), DLSYM_ARG(nl_addr_get_prefixlen),
                            DLSYM_ARG(nl_addr_get_family), DLSYM_ARG(nl_addr_get_len),
                            DLSYM_ARG(nl_addr_get_binary_addr), NULL);
        if (r < 0)
                return r;
        return dlopen_many_sym(
                &libnl_route_dl, "libnl-route-3.so.200", DLSYM_ARG(rtnl_link_alloc), DLSYM_ARG(rtnl_link_put),
                DLSYM_ARG(rtnl_link_alloc_cache), DLSYM_ARG(rtnl_link_get_kernel), DLSYM_ARG(rtnl_link_add),
                DLSYM_ARG(rtnl_link_change), DLSYM_ARG(rtnl_link_delete), DLSYM_ARG(rtnl_link_set_name),
                DLSYM_ARG(rtnl_link_set_type), DLSYM_ARG(rtnl_link_get_type), DLSYM_ARG(rtnl_link_set_flags),
                DLSYM_ARG(rtnl_link_set_master), DLSYM_ARG(rtnl_link_get_master), DLSYM_ARG(rtnl_link_set_link),
                DLSYM_ARG(rtnl_link_set_ns_fd), DLSYM_ARG(rtnl_link_get_ifindex), DLSYM_ARG(rtnl_link_get_name),
                DLSYM_ARG(rtnl_link_get_ifalias), DLSYM_ARG(rtnl_link_set_ifalias), DLSYM_ARG(rtnl_link_veth_alloc),
                DLSYM_ARG(rtnl_link_veth_get_peer), DLSYM_ARG(rtnl_link_macvlan_set_mode),
                DLSYM_ARG(rtnl_link_ipvlan_set_mode), DLSYM_ARG(rtnl_addr_alloc), DLSYM_ARG(rtnl_addr_put),
                DLSYM_ARG(rtnl_addr_alloc_cache), DLSYM_ARG(rtnl_addr_add), DLSYM_ARG(rtnl_addr_set_ifindex),
                DLSYM_ARG(rtnl_addr_get_ifindex), DLSYM_ARG(rtnl_addr_set_local), DLSYM_ARG(rtnl_addr_get_local),
                DLSYM_ARG(rtnl_addr_set_flags), DLSYM_ARG(rtnl_addr_set_broadcast), DLSYM_ARG(rtnl_addr_get_family),
                DLSYM_ARG(rtnl_addr_get_scope), DLSYM_ARG(rtnl_route_alloc), DLSYM_ARG(rtnl_route_put),
                DLSYM_ARG(rtnl_route_alloc_cache), DLSYM_ARG(rtnl_route_add), DLSYM_ARG(rtnl_route_set_family),
                DLSYM_ARG(rtnl_route_set_dst), DLSYM_ARG(rtnl_route_get_dst), DLSYM_ARG(rtnl_route_set_table),
                DLSYM_ARG(rtnl_route_get_table), DLSYM_ARG(rtnl_route_set_protocol), DLSYM_ARG(rtnl_route_get_protocol),
                DLSYM_ARG(rtnl_route_get_nnexthops), DLSYM_ARG(rtnl_route_nexthop_n),
                DLSYM_ARG(rtnl_route_nh_get_ifindex), DLSYM_ARG(rtnl_route_add_nexthop), DLSYM_ARG(rtnl_route_nh_alloc),
                DLSYM_ARG(rtnl_route_nh_set_gateway), DLSYM_ARG(rtnl_route_nh_set_ifindex), NULL);
}

/* _cleanup_ for libnl's objects, whose destructors we only have by dlsym. */
#define DEFINE_NL_CLEANUP(name, type, destructor) \
        static void name(type **p) {              \
                if (*p)                           \
                        sym_##destructor(*p);     \
        }
DEFINE_NL_CLEANUP(link_putp, struct rtnl_link, rtnl_link_put)
DEFINE_NL_CLEANUP(addr_putp, struct nl_addr, nl_addr_put)
DEFINE_NL_CLEANUP(rtaddr_putp, struct rtnl_addr, rtnl_addr_put)
DEFINE_NL_CLEANUP(route_putp, struct rtnl_route, rtnl_route_put)
DEFINE_NL_CLEANUP(cache_freep, struct nl_cache, nl_cache_free)
#define _cleanup_link_ _cleanup_(link_putp)
#define _cleanup_nladdr_ _cleanup_(addr_putp)
#define _cleanup_cache_ _cleanup_(cache_freep)

/* libnl's errors as errnos: the ones that say something, EIO for the rest. */
static int errno_of(int nlerr) {
        static const int map[] = {
                [NLE_INTR] = EINTR,          [NLE_AGAIN] = EAGAIN,         [NLE_NOMEM] = ENOMEM,
                [NLE_EXIST] = EEXIST,        [NLE_INVAL] = EINVAL,         [NLE_RANGE] = ERANGE,
                [NLE_MSGSIZE] = EMSGSIZE,    [NLE_OPNOTSUPP] = EOPNOTSUPP, [NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
                [NLE_OBJ_NOTFOUND] = ENODEV, [NLE_NOADDR] = EADDRNOTAVAIL, [NLE_BUSY] = EBUSY,
                [NLE_NOACCESS] = EACCES,     [NLE_PERM] = EPERM,           [NLE_NODEV] = ENODEV,
        };
        int e = nlerr < 0 ? -nlerr : nlerr;

        if (e == 0)
                return 0;
        return -((size_t) e < ELEMENTSOF(map) && map[e] ? map[e] : EIO);
}

struct Netdev {
        struct nl_sock *sock;
};

int netdev_open(int netns_fd, Netdev **ret) {
        _cleanup_close_ int self = -EBADF;
        Netdev *n;
        int r;

        r = dlopen_libnl();
        if (r < 0)
                return r;
        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        n->sock = sym_nl_socket_alloc();
        if (!n->sock) {
                free(n);
                return -ENOMEM;
        }

        /* A netlink socket talks to the namespace it was made in: make it
         * there, and come back. Safe: we are single-threaded. */
        if (netns_fd >= 0) {
                self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (self < 0 || setns(netns_fd, CLONE_NEWNET) < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        r = errno_of(sym_nl_connect(n->sock, NETLINK_ROUTE));
        if (self >= 0 && setns(self, CLONE_NEWNET) < 0)
                abort(); /* stuck in the machine's namespace: nothing we did after could be right */
        if (r < 0)
                goto fail;
        *ret = n;
        return 0;
fail:
        sym_nl_socket_free(n->sock);
        free(n);
        return r;
}

Netdev *netdev_close(Netdev *n) {
        if (!n)
                return NULL;
        sym_nl_socket_free(n->sock);
        free(n);
        return NULL;
}

static int get_link(Netdev *n, int ifindex, const char *name, struct rtnl_link **ret) {
        return errno_of(sym_rtnl_link_get_kernel(n->sock, ifindex, name, ret));
}

int netdev_link_index(Netdev *n, const char *name) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r;

        if (strlen(name) >= IFNAMSIZ)
                return -ENODEV;
        r = get_link(n, 0, name, &l);
        return r < 0 ? r : sym_rtnl_link_get_ifindex(l);
}

static int copy_out(const char *v, char *buf, size_t size) {
        if (strlen(strempty(v)) >= size)
                return -ENAMETOOLONG;
        strcpy(buf, strempty(v));
        return 0;
}

int netdev_link_name(Netdev *n, int ifindex, char *buf, size_t size) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r = get_link(n, ifindex, NULL, &l);

        return r < 0 ? r : copy_out(sym_rtnl_link_get_name(l), buf, size);
}

int netdev_link_alias(Netdev *n, int ifindex, char *buf, size_t size) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r = get_link(n, ifindex, NULL, &l);

        return r < 0 ? r : copy_out(sym_rtnl_link_get_ifalias(l), buf, size);
}

int netdev_link_kind(Netdev *n, int ifindex, char *buf, size_t size) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        const char *kind;
        int r;

        r = get_link(n, ifindex, NULL, &l);
        if (r < 0)
                return r;
        kind = sym_rtnl_link_get_type(l);
        return copy_out(kind, buf, size);
}

int netdev_bridge_n_ports(Netdev *n, int bridge) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r, count = 0;

        r = errno_of(sym_rtnl_link_alloc_cache(n->sock, AF_UNSPEC, &cache));
        if (r < 0)
                return r;
        for (struct nl_object *o = sym_nl_cache_get_first(cache); o; o = sym_nl_cache_get_next(o))
                if (sym_rtnl_link_get_master((struct rtnl_link *) o) == bridge)
                        count++;
        return count;
}

static int add_link(Netdev *n, struct rtnl_link *l) {
        return errno_of(sym_rtnl_link_add(n->sock, l, NLM_F_CREATE | NLM_F_EXCL));
}

/* libnl cuts a longer name short, silently. */
static bool name_fits(const char *name) {
        return name && strlen(name) > 0 && strlen(name) < IFNAMSIZ;
}

int netdev_add_veth(Netdev *n, const char *name, const char *peer, int peer_netns_fd, int master) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        struct rtnl_link *p;

        if (!name_fits(name) || !name_fits(peer))
                return -EINVAL;
        l = sym_rtnl_link_veth_alloc();
        if (!l)
                return -ENOMEM;
        sym_rtnl_link_set_name(l, name);
        sym_rtnl_link_set_flags(l, IFF_UP);
        if (master > 0)
                sym_rtnl_link_set_master(l, master);
        p = sym_rtnl_link_veth_get_peer(l);
        sym_rtnl_link_set_name(p, peer);
        sym_rtnl_link_set_ns_fd(p, peer_netns_fd);
        sym_rtnl_link_put(p); /* get_peer() took a reference */
        return add_link(n, l);
}

/* A new link object of kind, named name. */
static int new_link(const char *kind, const char *name, struct rtnl_link **ret) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r;

        if (!name_fits(name))
                return -EINVAL;
        l = sym_rtnl_link_alloc();
        if (!l)
                return -ENOMEM;
        r = errno_of(sym_rtnl_link_set_type(l, kind));
        if (r < 0)
                return r;
        sym_rtnl_link_set_name(l, name);
        *ret = TAKE_PTR(l);
        return 0;
}

int netdev_add_bridge(Netdev *n, const char *name) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r;

        r = new_link("bridge", name, &l);
        if (r < 0)
                return r;
        /* Without STP (the default) a port forwards as soon as it is up. */
        sym_rtnl_link_set_flags(l, IFF_UP);
        return add_link(n, l);
}

static int add_child_link(Netdev *n, const char *kind, const char *name, int parent, int netns_fd) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r;

        r = new_link(kind, name, &l);
        if (r < 0)
                return r;
        if (streq(kind, "macvlan"))
                r = errno_of(sym_rtnl_link_macvlan_set_mode(l, MACVLAN_MODE_BRIDGE));
        else
                r = errno_of(sym_rtnl_link_ipvlan_set_mode(l, IPVLAN_MODE_L2));
        if (r < 0)
                return r;
        sym_rtnl_link_set_link(l, parent);
        sym_rtnl_link_set_ns_fd(l, netns_fd);
        return add_link(n, l);
}

int netdev_add_macvlan(Netdev *n, const char *name, int parent, int netns_fd) {
        return add_child_link(n, "macvlan", name, parent, netns_fd);
}

int netdev_add_ipvlan(Netdev *n, const char *name, int parent, int netns_fd) {
        return add_child_link(n, "ipvlan", name, parent, netns_fd);
}

static int change_link(Netdev *n, int ifindex, struct rtnl_link *change) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r;

        r = get_link(n, ifindex, NULL, &l);
        if (r < 0)
                return r;
        return errno_of(sym_rtnl_link_change(n->sock, l, change, 0));
}

int netdev_link_move(Netdev *n, int ifindex, int netns_fd, const char *new_name) {
        _cleanup_link_ struct rtnl_link *c = NULL;

        if (new_name && !name_fits(new_name))
                return -EINVAL;
        c = sym_rtnl_link_alloc();
        if (!c)
                return -ENOMEM;
        sym_rtnl_link_set_ns_fd(c, netns_fd);
        if (new_name)
                sym_rtnl_link_set_name(c, new_name);
        return change_link(n, ifindex, c);
}

int netdev_link_set_alias(Netdev *n, int ifindex, const char *alias) {
        _cleanup_link_ struct rtnl_link *c = sym_rtnl_link_alloc();

        if (!c)
                return -ENOMEM;
        sym_rtnl_link_set_ifalias(c, alias);
        return change_link(n, ifindex, c);
}

int netdev_link_up(Netdev *n, int ifindex) {
        _cleanup_link_ struct rtnl_link *c = sym_rtnl_link_alloc();

        if (!c)
                return -ENOMEM;
        sym_rtnl_link_set_flags(c, IFF_UP);
        return change_link(n, ifindex, c);
}

int netdev_link_delete(Netdev *n, const char *name) {
        _cleanup_link_ struct rtnl_link *l = NULL;
        int r;

        r = get_link(n, 0, name, &l);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        r = errno_of(sym_rtnl_link_delete(n->sock, l));
        return r == -ENODEV ? 0 : r;
}

static struct nl_addr *nl_addr_of(const InAddrPrefix *p) {
        struct nl_addr *a = sym_nl_addr_build(p->family, p->address.bytes, in_addr_family_size(p->family));

        if (a)
                sym_nl_addr_set_prefixlen(a, (int) p->prefixlen);
        return a;
}

static int prefix_of(struct nl_addr *a, InAddrPrefix *ret) {
        int family = sym_nl_addr_get_family(a);

        if (!IN_SET(family, AF_INET, AF_INET6) || sym_nl_addr_get_len(a) != in_addr_family_size(family))
                return -EAFNOSUPPORT;
        *ret = (InAddrPrefix) { .family = family, .prefixlen = (unsigned) sym_nl_addr_get_prefixlen(a) };
        memcpy(ret->address.bytes, sym_nl_addr_get_binary_addr(a), in_addr_family_size(family));
        return 0;
}

int netdev_add_address(Netdev *n, int ifindex, const InAddrPrefix *address) {
        _cleanup_(rtaddr_putp) struct rtnl_addr *a = sym_rtnl_addr_alloc();
        _cleanup_nladdr_ struct nl_addr *local = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        local = nl_addr_of(address);
        if (!local)
                return -ENOMEM;
        sym_rtnl_addr_set_ifindex(a, ifindex);
        r = errno_of(sym_rtnl_addr_set_local(a, local));
        if (r < 0)
                return r;
        if (address->family == AF_INET6)
                sym_rtnl_addr_set_flags(a, IFA_F_NODAD);
        else if (address->prefixlen < 31) {
                /* The broadcast address, as `ip addr add … brd +` and
                 * systemd-networkd set it: networkd, finding an address of
                 * its configuration without one, would fight over it. */
                _cleanup_nladdr_ struct nl_addr *b = NULL;
                InAddrPrefix bc = *address;

                for (unsigned i = bc.prefixlen; i < 32; i++)
                        bc.address.bytes[i / 8] |= (uint8_t) (0x80 >> (i % 8));
                bc.prefixlen = 32;
                b = nl_addr_of(&bc);
                if (!b)
                        return -ENOMEM;
                r = errno_of(sym_rtnl_addr_set_broadcast(a, b));
                if (r < 0)
                        return r;
        }
        return errno_of(sym_rtnl_addr_add(n->sock, a, NLM_F_CREATE | NLM_F_EXCL));
}

int netdev_link_address(Netdev *n, int ifindex, int family, InAddrPrefix *ret) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        int r;

        r = errno_of(sym_rtnl_addr_alloc_cache(n->sock, &cache));
        if (r < 0)
                return r;
        for (struct nl_object *o = sym_nl_cache_get_first(cache); o; o = sym_nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;

                if (sym_rtnl_addr_get_ifindex(a) != ifindex || sym_rtnl_addr_get_family(a) != family ||
                    sym_rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
                        continue;
                return prefix_of(sym_rtnl_addr_get_local(a), ret);
        }
        return -ENOENT;
}

int netdev_add_default_route(Netdev *n, int ifindex, const InAddrPrefix *gateway) {
        _cleanup_(route_putp) struct rtnl_route *rt = sym_rtnl_route_alloc();
        _cleanup_nladdr_ struct nl_addr *dst = NULL, *gw = NULL;
        InAddrPrefix any = { .family = gateway->family };
        InAddrPrefix g = *gateway;
        struct rtnl_nexthop *nh;
        int r;

        if (!rt)
                return -ENOMEM;
        g.prefixlen = in_addr_family_bits(g.family);
        dst = nl_addr_of(&any);
        gw = nl_addr_of(&g);
        nh = sym_rtnl_route_nh_alloc();
        if (!dst || !gw || !nh)
                return -ENOMEM;
        sym_rtnl_route_nh_set_gateway(nh, gw);
        sym_rtnl_route_nh_set_ifindex(nh, ifindex);
        sym_rtnl_route_add_nexthop(rt, nh); /* the route owns it now */
        r = errno_of(sym_rtnl_route_set_family(rt, (uint8_t) g.family));
        r = r ?: errno_of(sym_rtnl_route_set_dst(rt, dst));
        if (r < 0)
                return r;
        sym_rtnl_route_set_table(rt, RT_TABLE_MAIN);
        sym_rtnl_route_set_protocol(rt, RTPROT_STATIC);
        return errno_of(sym_rtnl_route_add(n->sock, rt, NLM_F_CREATE | NLM_F_EXCL));
}

typedef struct Prefixes {
        InAddrPrefix *p;
        size_t n;
} Prefixes;

static int prefixes_add(Prefixes *l, const InAddrPrefix *p) {
        InAddrPrefix *m = reallocarray(l->p, l->n + 1, sizeof(InAddrPrefix));

        if (!m)
                return -ENOMEM;
        l->p = m;
        l->p[l->n++] = *p;
        return 0;
}

static int routes_in_use(Netdev *n, int family, Prefixes *l) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        InAddrPrefix p;
        int r;

        r = errno_of(sym_rtnl_route_alloc_cache(n->sock, family, 0, &cache));
        if (r < 0)
                return r;
        for (struct nl_object *o = sym_nl_cache_get_first(cache); o; o = sym_nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *) o;

                /* The local table holds our own addresses, which are
                 * looked at as such; a default route covers everything. */
                if (sym_rtnl_route_get_table(rt) == RT_TABLE_LOCAL)
                        continue;
                if (prefix_of(sym_rtnl_route_get_dst(rt), &p) < 0 || p.prefixlen == 0)
                        continue;
                r = prefixes_add(l, &p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int addresses_in_use(Netdev *n, int family, Prefixes *l) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        InAddrPrefix p;
        int r;

        r = errno_of(sym_rtnl_addr_alloc_cache(n->sock, &cache));
        if (r < 0)
                return r;
        for (struct nl_object *o = sym_nl_cache_get_first(cache); o; o = sym_nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;

                if (sym_rtnl_addr_get_family(a) != family || prefix_of(sym_rtnl_addr_get_local(a), &p) < 0)
                        continue;
                r = prefixes_add(l, &p);
                if (r < 0)
                        return r;
        }
        return 0;
}

int netdev_prefixes_in_use(Netdev *n, int family, InAddrPrefix **ret, size_t *ret_n) {
        Prefixes l = {};
        int r;

        r = routes_in_use(n, family, &l);
        if (r >= 0)
                r = addresses_in_use(n, family, &l);
        if (r < 0) {
                free(l.p);
                return r;
        }
        *ret = l.p;
        *ret_n = l.n;
        return 0;
}

int netdev_prefix_in_use(Netdev *n, const InAddrPrefix *prefix) {
        _cleanup_free_ InAddrPrefix *p = NULL;
        size_t k;
        int r;

        r = netdev_prefixes_in_use(n, prefix->family, &p, &k);
        if (r < 0)
                return r;
        for (size_t i = 0; i < k; i++)
                if (in_addr_prefix_overlaps(&p[i], prefix))
                        return 1;
        return 0;
}

int netdev_ra_links(Netdev *n, int **ret, size_t *ret_n) {
        _cleanup_cache_ struct nl_cache *cache = NULL;
        _cleanup_free_ int *l = NULL;
        size_t k = 0;
        int r;

        r = errno_of(sym_rtnl_route_alloc_cache(n->sock, AF_INET6, 0, &cache));
        if (r < 0)
                return r;
        for (struct nl_object *o = sym_nl_cache_get_first(cache); o; o = sym_nl_cache_get_next(o)) {
                struct rtnl_route *rt = (struct rtnl_route *) o;

                if (sym_rtnl_route_get_protocol(rt) != RTPROT_RA)
                        continue;
                for (int i = 0; i < sym_rtnl_route_get_nnexthops(rt); i++) {
                        int ifindex = sym_rtnl_route_nh_get_ifindex(sym_rtnl_route_nexthop_n(rt, i));
                        bool seen = false;
                        int *m;

                        for (size_t j = 0; j < k; j++)
                                seen = seen || l[j] == ifindex;
                        if (seen || ifindex <= 0)
                                continue;
                        m = reallocarray(l, k + 1, sizeof(int));
                        if (!m)
                                return -ENOMEM;
                        l = m;
                        l[k++] = ifindex;
                }
        }
        *ret = TAKE_PTR(l);
        *ret_n = k;
        return 0;
}
