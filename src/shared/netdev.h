/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "in-addr-util.h"
#include "macro.h"

/* Links, addresses and routes, through libnl-route-3 (its one wrapper,
 * loaded when first used). A Netdev is a route netlink socket bound to one
 * network namespace: the one it was opened in, for as long as it lives.
 * Errors are negative errnos: -ENODEV for a link that is not there,
 * -EEXIST for one that is. */

typedef struct Netdev Netdev;

/* netns_fd: the network namespace to work in (-EBADF: the caller's). */
int netdev_open(int netns_fd, Netdev **ret);
Netdev *netdev_close(Netdev *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Netdev *, netdev_close);

/* The link's index (> 0), or -ENODEV. */
int netdev_link_index(Netdev *n, const char *name);
/* Its name, into buf (IFNAMSIZ). */
int netdev_link_name(Netdev *n, int ifindex, char *buf, size_t size);
/* Its alias (ip link set … alias …): what berth marks its zones' bridges
 * with. "" when it has none. */
int netdev_link_alias(Netdev *n, int ifindex, char *buf, size_t size);
int netdev_link_set_alias(Netdev *n, int ifindex, const char *alias);
/* Its kind ("bridge", "veth", …; "" for a physical link) into buf. */
int netdev_link_kind(Netdev *n, int ifindex, char *buf, size_t size);
/* The links enslaved to a bridge. */
int netdev_bridge_n_ports(Netdev *n, int bridge);

/* A veth pair: name here, peer in the namespace peer_netns_fd, name up and
 * (master > 0) a port of that bridge. */
int netdev_add_veth(Netdev *n, const char *name, const char *peer, int peer_netns_fd, int master);
/* A bridge, up, that forwards at once (no STP delay). */
int netdev_add_bridge(Netdev *n, const char *name);
/* A macvlan (bridge mode) or ipvlan (L2) link on parent, made in netns_fd
 * under name. */
int netdev_add_macvlan(Netdev *n, const char *name, int parent, int netns_fd);
int netdev_add_ipvlan(Netdev *n, const char *name, int parent, int netns_fd);
/* Moves a link into netns_fd, renamed to new_name (NULL: keeps its name). */
int netdev_link_move(Netdev *n, int ifindex, int netns_fd, const char *new_name);
int netdev_link_up(Netdev *n, int ifindex);
/* Removes a link by name (a veth takes its peer along); 0 if it is gone. */
int netdev_link_delete(Netdev *n, const char *name);

/* address/prefixlen on the link; IPv6 ones without duplicate detection, so
 * that they work at once. */
int netdev_add_address(Netdev *n, int ifindex, const InAddrPrefix *address);
/* The link's first address of family with global scope, or -ENOENT. */
int netdev_link_address(Netdev *n, int ifindex, int family, InAddrPrefix *ret);
/* The default route of the gateway's family, through ifindex. */
int netdev_add_default_route(Netdev *n, int ifindex, const InAddrPrefix *gateway);
/* Every prefix that a route (not a default one) or an address of the
 * namespace covers, in family. */
int netdev_prefixes_in_use(Netdev *n, int family, InAddrPrefix **ret, size_t *ret_n);
/* 1 if any of them lies in or around prefix, else 0. */
int netdev_prefix_in_use(Netdev *n, const InAddrPrefix *prefix);
/* The links that carry IPv6 routes learned from router advertisements. */
int netdev_ra_links(Netdev *n, int **ret, size_t *ret_n);
