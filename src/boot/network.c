/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "address-pool.h"
#include "fd-util.h"
#include "fileio.h"
#include "firewall.h"
#include "log.h"
#include "machine-paths.h"
#include "netdev.h"
#include "netns-util.h"
#include "network.h"
#include "registry.h"
#include "string-util.h"
#include "strv.h"

#define HOST0 "host0"

/* Everything one setup needs, for the steps below. */
typedef struct Setup {
        const BootConfig *config;
        const NetworkConfig *nc;
        const char *name;
        Record *rec;
        MachineNetwork *n;
        Netdev *host;    /* talks to the host's namespace */
        Netdev *machine; /* to the machine's */
        LockFile lock;   /* the network lock, while we pick and publish */
        AddressPool pool;
        InAddrPrefix network[2]; /* the machine's /24 and /64 */
        unsigned families;       /* 2, or 1 on a host without IPv6 */
        unsigned host_number;    /* its number in them */
        int master;              /* the bridge our link joins, or 0 */
        bool zone_made;          /* by us, just now */
        Firewall *firewall;      /* opened first, for machines behind NAT: nothing is made without it */
} Setup;

void machine_network_done(MachineNetwork *n) {
        n->netns_fd = safe_close(n->netns_fd);
        n->host_netns_path = mfree(n->host_netns_path);
        n->link = mfree(n->link);
        n->addresses = strv_free(n->addresses);
        n->ports = strv_free(n->ports);
        n->networkd_host0 = mfree(n->networkd_host0);
        for (size_t i = 0; i < n->n_lent; i++)
                free(n->lent[i].name);
        n->lent = mfree(n->lent);
        n->n_lent = 0;
        n->relay = port_relay_free(n->relay);
}

/* --- The namespace ---------------------------------------------------------- */

static int make_namespace(const BootConfig *c, const MachineUsers *u, MachineNetwork *n) {
        int r;

        if (c->network.namespace_path) {
                /* Joined as it is: the machine's root has no power over it. */
                n->netns_fd = open(c->network.namespace_path, O_RDONLY | O_CLOEXEC);
                if (n->netns_fd < 0)
                        return log_error_errno(errno, "Failed to open network namespace '%s': %m",
                                               c->network.namespace_path);
                return 0;
        }
        r = netns_new_in_userns(u->uid_count > 0 ? u->userns_fd : -EBADF, &n->netns_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to make the machine's network namespace: %m");
        return 0;
}

static int loopback_up(Setup *s) {
        int r, lo = netdev_link_index(s->machine, "lo");

        r = lo < 0 ? lo : netdev_link_up(s->machine, lo);
        if (r < 0)
                return log_error_errno(r, "Failed to bring up the machine's loopback link: %m");
        return 0;
}

/* --- Addresses -------------------------------------------------------------- */

/* A host with IPv6 switched off (ipv6.disable=1, or disable_ipv6): the
 * machines get IPv4 alone. */
static unsigned host_families(void) {
        _cleanup_free_ char *v = NULL;

        if (read_one_line_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", &v) < 0 || !streq(v, "0"))
                return 1;
        return 2;
}

static Id128 host_machine_id(void) {
        _cleanup_free_ char *s = NULL;
        Id128 id = {};

        if (read_one_line_file("/etc/machine-id", &s) >= 0)
                (void) id128_from_string(s, &id);
        return id;
}

/* What is in use: every prefix the host's routes and addresses cover, and
 * the addresses of other machines' records (a machine whose supervisor was
 * killed before its links were made, or after they went, still has its
 * network until its record is cleaned up). Read once for a search. */
typedef struct InUse {
        InAddrPrefix *p;
        size_t n;
} InUse;

static int in_use_add_records(Setup *s, InUse *u) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = registry_list_names(MACHINES_DIR, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(other, names) {
                MachineRecord m;

                if (streq(*other, s->name) || registry_read(MACHINES_DIR, *other, &m) < 0)
                        continue;
                STRV_FOREACH(a, m.addresses) {
                        InAddrPrefix *more = reallocarray(u->p, u->n + 1, sizeof(InAddrPrefix));

                        if (!more) {
                                machine_record_done(&m);
                                return -ENOMEM;
                        }
                        u->p = more;
                        if (in_addr_prefix_from_string(*a, true, &u->p[u->n]) < 0)
                                continue;
                        /* The machine's network, as its address says. */
                        u->n++;
                }
                machine_record_done(&m);
        }
        return 0;
}

static int in_use_read(Setup *s, InUse *u) {
        _cleanup_free_ InAddrPrefix *v6 = NULL;
        size_t n6 = 0;
        InAddrPrefix *all;
        int r;

        r = netdev_prefixes_in_use(s->host, AF_INET, &u->p, &u->n);
        if (r >= 0 && s->families > 1)
                r = netdev_prefixes_in_use(s->host, AF_INET6, &v6, &n6);
        if (r < 0)
                return r;
        all = reallocarray(u->p, u->n + n6 + 1, sizeof(InAddrPrefix));
        if (!all)
                return -ENOMEM;
        u->p = all;
        if (n6 > 0)
                memcpy(u->p + u->n, v6, n6 * sizeof(InAddrPrefix));
        u->n += n6;
        return in_use_add_records(s, u);
}

static bool in_use_overlaps(const InUse *u, const InAddrPrefix *prefix) {
        for (size_t i = 0; i < u->n; i++)
                if (in_addr_prefix_overlaps(&u->p[i], prefix))
                        return true;
        return false;
}

/* A network of the pool that nothing in use touches: the first free one
 * from where the key's hash points. */
static int pick_network(Setup *s, const char *key) {
        uint64_t size = address_pool_size(&s->pool), first = address_pool_first_network(&s->pool, key);
        char buf[IN_ADDR_PREFIX_STRING_MAX];
        _cleanup_free_ InAddrPrefix *used = NULL;
        InUse u = {};
        InAddrPrefix net[2];
        int r;

        r = in_use_read(s, &u);
        used = u.p;
        if (r < 0)
                return log_error_errno(r, "Failed to read the host's routes and addresses: %m");
        for (uint64_t i = 0; i < size; i++) {
                r = address_pool_network(&s->pool, (first + i) % size, net);
                if (r < 0)
                        return log_error_errno(r, "Failed to pick a network: %m");
                if (in_use_overlaps(&u, &net[0]) || (s->families > 1 && in_use_overlaps(&u, &net[1])))
                        continue;
                s->network[0] = net[0];
                s->network[1] = net[1];
                return 0;
        }
        return log_error_errno(SYNTHETIC_ERRNO(EADDRNOTAVAIL),
                               "Failed to pick a network for '%s': every /24 of %s is in use on the host "
                               "(choose another pool with --address-pool=).",
                               key, in_addr_prefix_to_string(&s->pool.ipv4, true, buf));
}

/* The host numbers other machines of the zone have, from their records. */
static int zone_numbers_taken(Setup *s, bool taken[static 256]) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = registry_list_names(MACHINES_DIR, &names);
        if (r < 0)
                return log_error_errno(r, "Failed to list machines: %m");
        STRV_FOREACH(other, names) {
                MachineRecord m;

                if (streq(*other, s->name) || registry_read(MACHINES_DIR, *other, &m) < 0)
                        continue;
                if (streq_ptr(m.zone, s->nc->zone))
                        STRV_FOREACH(a, m.addresses) {
                                InAddrPrefix p;

                                if (in_addr_prefix_from_string(*a, true, &p) < 0 || p.family != AF_INET ||
                                    !in_addr_prefix_contains(&s->network[0], &p.address))
                                        continue;
                                taken[p.address.bytes[3]] = true; /* a /24's host number: 0…255 */
                        }
                machine_record_done(&m);
        }
        return 0;
}

static int pick_zone_number(Setup *s) {
        bool taken[256] = {};
        unsigned h = address_pool_first_host(s->name);
        int r;

        r = zone_numbers_taken(s, taken);
        if (r < 0)
                return r;
        for (unsigned i = ADDRESS_POOL_HOST_FIRST; i <= ADDRESS_POOL_HOST_LAST; i++, h = address_pool_next_host(h))
                if (!taken[h]) {
                        s->host_number = h;
                        return 0;
                }
        return log_error_errno(SYNTHETIC_ERRNO(EADDRNOTAVAIL), "Failed to join zone '%s': it is full (%u machines).",
                               s->nc->zone, ADDRESS_POOL_HOST_LAST - ADDRESS_POOL_HOST_FIRST + 1);
}

/* The machine's addresses, as the record and the guest see them; and as
 * systemd-networkd in the machine is told to keep them (its own file for
 * host0 asks for DHCP, and would drop ours). */
static int note_addresses(Setup *s) {
        char buf[2][IN_ADDR_PREFIX_STRING_MAX], gw[2][IN_ADDR_PREFIX_STRING_MAX];
        InAddrPrefix a[2], g[2];
        int r;

        r = address_pool_host(s->network, s->host_number, a);
        if (r >= 0)
                r = address_pool_host(s->network, 1, g);
        if (r < 0)
                return log_error_errno(r, "Failed to pick the machine's addresses: %m");
        for (unsigned i = 0; i < s->families; i++) {
                s->n->address[i] = a[i];
                if (strv_extend(&s->n->addresses, in_addr_prefix_to_string(&a[i], true, buf[i])) < 0)
                        return log_oom();
                in_addr_prefix_to_string(&g[i], false, gw[i]);
        }
        if (s->families > 1)
                s->n->networkd_host0 = strdup_printf("# berth: host0 as berth set it up before init started.\n"
                                                     "[Match]\nName=" HOST0 "\n\n"
                                                     "[Network]\nAddress=%s\nAddress=%s\nGateway=%s\n"
                                                     "Gateway=%s\nLinkLocalAddressing=ipv6\nIPv6AcceptRA=no\n",
                                                     buf[0], buf[1], gw[0], gw[1]);
        else
                s->n->networkd_host0 = strdup_printf("# berth: host0 as berth set it up before init started.\n"
                                                     "[Match]\nName=" HOST0 "\n\n"
                                                     "[Network]\nAddress=%s\nGateway=%s\n"
                                                     "LinkLocalAddressing=no\n",
                                                     buf[0], gw[0]);
        return s->n->networkd_host0 ? 0 : log_oom();
}

/* --- Links ------------------------------------------------------------------- */

/* The host's side of a link it owns: host 1 of the network. */
static int add_gateway_addresses(Setup *s, int ifindex, const char *link) {
        InAddrPrefix gw[2];
        int r;

        r = address_pool_host(s->network, 1, gw);
        for (unsigned i = 0; r >= 0 && i < s->families; i++)
                r = netdev_add_address(s->host, ifindex, &gw[i]);
        if (r < 0)
                return log_error_errno(r, "Failed to give '%s' its addresses: %m", link);
        return 0;
}

/* Our links on the host take no router advertisements (a machine could
 * send some, and become the host's router) and make no addresses of their
 * own from them. Before they are up. */
static int quiet_link(Setup *s, const char *link) {
        static const char *const keys[] = { "accept_ra", "autoconf" };

        if (s->families < 2)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                _cleanup_free_ char *p = strjoin("/proc/sys/net/ipv6/conf/", link, "/", keys[i]);
                int r;

                if (!p)
                        return log_oom();
                r = write_string_file_at(AT_FDCWD, p, "0", 0, 0);
                if (r < 0)
                        return log_error_errno(r, "Failed to set %s: %m", p);
        }
        return 0;
}

static int intend(Setup *s, UndoType type, const char *what) {
        _cleanup_free_ char *e = undo_network_entry(s->n->host_netns_cookie, s->n->host_netns_path, what);

        if (!e)
                return log_oom();
        return record_intend(s->rec, type, e);
}

/* An effect that was not made after all. */
static void forget(Setup *s, UndoType type, const char *what) {
        _cleanup_free_ char *e = undo_network_entry(s->n->host_netns_cookie, s->n->host_netns_path, what);

        if (e)
                record_forget(s->rec, type, e);
}

/* vz-ZONE: joined if it is there (its addresses say the zone's network),
 * made if not. Every member notes it in its undo log; the last to leave
 * removes it. */
static int setup_zone(Setup *s) {
        _cleanup_free_ char *bridge = zone_bridge_name(s->nc->zone);
        char kind[32], alias[64];
        int r;

        if (!bridge)
                return log_oom();

        /* A link of that name that is not a zone's (no bridge, or a bridge
         * without the addresses berth gives one) is someone else's: refused,
         * and not noted, so that nobody removes it. */
        s->master = netdev_link_index(s->host, bridge);
        if (s->master > 0) {
                r = netdev_link_kind(s->host, s->master, kind, sizeof kind);
                if (r >= 0 && !streq(kind, "bridge"))
                        return log_error_errno(SYNTHETIC_ERRNO(ENOTTY),
                                               "Failed to join zone '%s': link '%s' exists and is no bridge.",
                                               s->nc->zone, bridge);
                if (r >= 0 && (netdev_link_alias(s->host, s->master, alias, sizeof alias) < 0 ||
                               !streq(alias, ZONE_BRIDGE_ALIAS)))
                        return log_error_errno(SYNTHETIC_ERRNO(EEXIST),
                                               "Failed to join zone '%s': bridge '%s' exists and is not a zone's "
                                               "(berth did not make it).",
                                               s->nc->zone, bridge);
                r = r ?: netdev_link_address(s->host, s->master, AF_INET, &s->network[0]);
                if (s->families > 1)
                        r = r ?: netdev_link_address(s->host, s->master, AF_INET6, &s->network[1]);
                if (r < 0)
                        return log_error_errno(r,
                                               "Failed to join zone '%s': bridge '%s' has no addresses "
                                               "(it was not made by berth): %m",
                                               s->nc->zone, bridge);
                in_addr_prefix_mask(&s->network[0]);
                in_addr_prefix_mask(&s->network[1]);
                /* Every member notes the zone; the last to leave removes it. */
                return intend(s, UNDO_ZONE, bridge);
        }
        if (s->master != -ENODEV)
                return log_error_errno(s->master, "Failed to look for bridge '%s': %m", bridge);

        r = pick_network(s, bridge);
        if (r < 0)
                return r;
        r = intend(s, UNDO_ZONE, bridge);
        if (r < 0)
                return r;
        r = netdev_add_bridge(s->host, bridge);
        if (r == -EEXIST) /* made meanwhile, by someone else: not ours to remove */
                forget(s, UNDO_ZONE, bridge);
        if (r < 0)
                return log_error_errno(r, "Failed to make bridge '%s': %m", bridge);
        s->master = netdev_link_index(s->host, bridge);
        r = s->master < 0 ? s->master : netdev_link_set_alias(s->host, s->master, ZONE_BRIDGE_ALIAS);
        if (r < 0)
                return log_error_errno(r, "Failed to set up bridge '%s': %m", bridge);
        r = quiet_link(s, bridge);
        if (r < 0)
                return r;
        s->zone_made = true;
        log_debug("Zone '%s' made: bridge %s.", s->nc->zone, bridge);
        return add_gateway_addresses(s, s->master, bridge);
}

static int find_bridge(Setup *s) {
        char kind[32];
        int r;

        s->master = netdev_link_index(s->host, s->nc->bridge);
        if (s->master == -ENODEV)
                return log_error_errno(SYNTHETIC_ERRNO(ENODEV), "Failed to join bridge '%s': no such link.",
                                       s->nc->bridge);
        if (s->master < 0)
                return log_error_errno(s->master, "Failed to look for bridge '%s': %m", s->nc->bridge);
        r = netdev_link_kind(s->host, s->master, kind, sizeof kind);
        if (r < 0)
                return log_error_errno(r, "Failed to look at link '%s': %m", s->nc->bridge);
        if (!streq(kind, "bridge"))
                return log_error_errno(SYNTHETIC_ERRNO(ENOTTY),
                                       "Failed to join bridge '%s': the link is a %s, no bridge.", s->nc->bridge,
                                       isempty(kind) ? "device" : kind);
        return 0;
}

/* ve-NAME or vb-NAME here, host0 in the machine. */
static int make_veth(Setup *s) {
        _cleanup_free_ char *link = NULL, *noted = NULL;
        bool port = s->nc->bridge || s->nc->zone;
        int r;

        link = machine_link_name(port ? "vb-" : "ve-", s->name);
        if (!link)
                return log_oom();
        /* A link of that name is someone else's: refused before it is
         * noted, so that nobody removes it. */
        r = netdev_link_index(s->host, link);
        if (r > 0)
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST),
                                       "Failed to make link '%s': a link of that name exists already.", link);
        if (r != -ENODEV)
                return log_error_errno(r, "Failed to look for link '%s': %m", link);
        r = intend(s, UNDO_LINK, link);
        if (r < 0)
                return r;
        r = netdev_add_veth(s->host, link, HOST0, s->n->netns_fd, s->master);
        if (r == -EEXIST) {
                forget(s, UNDO_LINK, link); /* made meanwhile, by someone else */
                return log_error_errno(r, "Failed to make link '%s': a link of that name exists already.", link);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to make link '%s': %m", link);

        /* From now on the undo log removes this link only, by its index:
         * its name may be someone else's once it is gone. */
        s->n->ifindex = netdev_link_index(s->host, link);
        if (s->n->ifindex < 0)
                return log_error_errno(s->n->ifindex, "Failed to find link '%s': %m", link);
        noted = undo_link_entry(link, s->n->ifindex);
        if (!noted)
                return log_oom();
        r = intend(s, UNDO_LINK, noted);
        if (r < 0)
                return r;
        forget(s, UNDO_LINK, link);

        r = quiet_link(s, link);
        r = r ?: netdev_link_up(s->host, s->n->ifindex);
        if (r < 0)
                return log_error_errno(r, "Failed to bring up link '%s': %m", link);
        s->n->link = TAKE_PTR(link);
        return 0;
}

/* host0's addresses and default routes, before init can look. */
static int configure_host0(Setup *s) {
        int r, ifindex = netdev_link_index(s->machine, HOST0);
        InAddrPrefix gw[2];

        r = ifindex < 0 ? ifindex : netdev_link_up(s->machine, ifindex);
        if (r < 0)
                return log_error_errno(r, "Failed to bring up " HOST0 " in the machine: %m");
        if (s->n->address[0].family == 0)
                return 0;
        r = address_pool_host(s->network, 1, gw);
        for (unsigned i = 0; r >= 0 && i < s->families; i++)
                r = netdev_add_address(s->machine, ifindex, &s->n->address[i]);
        for (unsigned i = 0; r >= 0 && i < s->families; i++)
                r = netdev_add_default_route(s->machine, ifindex, &gw[i]);
        if (r < 0)
                return log_error_errno(r, "Failed to give " HOST0 " its addresses and routes: %m");
        return 0;
}

/* --- Links lent to the machine ------------------------------------------------ */

static int move_interfaces(Setup *s) {
        STRV_FOREACH(i, s->nc->interfaces) {
                int r, ifindex = netdev_link_index(s->host, *i);
                LentLink *l;

                if (ifindex == -ENODEV)
                        return log_error_errno(ifindex, "Failed to move link '%s' into the machine: no such link.", *i);
                if (ifindex < 0)
                        return log_error_errno(ifindex, "Failed to look for link '%s': %m", *i);
                l = reallocarray(s->n->lent, s->n->n_lent + 1, sizeof(LentLink));
                if (!l)
                        return log_oom();
                s->n->lent = l;
                l = &s->n->lent[s->n->n_lent];
                *l = (LentLink) { .name = strdup(*i) };
                if (!l->name)
                        return log_oom();
                r = netdev_link_kind(s->host, ifindex, l->kind, sizeof l->kind);
                r = r ?: netdev_link_move(s->host, ifindex, s->n->netns_fd, NULL);
                if (r < 0) {
                        free(l->name);
                        return log_error_errno(r, "Failed to move link '%s' into the machine: %m", *i);
                }
                /* Noted once it is there: it must come back. */
                s->n->n_lent++;
                l->ifindex = netdev_link_index(s->machine, *i);
                if (l->ifindex < 0)
                        return log_error_errno(l->ifindex, "Failed to find link '%s' in the machine: %m", *i);
        }
        return 0;
}

static int add_virtual_links(Setup *s, char **parents, const char *prefix, bool ipvlan) {
        STRV_FOREACH(p, parents) {
                _cleanup_free_ char *name = strjoin(prefix, *p);
                int r, parent = netdev_link_index(s->host, *p);

                if (!name)
                        return log_oom();
                if (strlen(name) >= 16)
                        name[15] = '\0';
                if (parent == -ENODEV)
                        return log_error_errno(parent, "Failed to make %s on link '%s': no such link.",
                                               ipvlan ? "an ipvlan" : "a macvlan", *p);
                r = parent < 0 ? parent
                    : ipvlan   ? netdev_add_ipvlan(s->host, name, parent, s->n->netns_fd)
                               : netdev_add_macvlan(s->host, name, parent, s->n->netns_fd);
                if (r < 0)
                        return log_error_errno(r, "Failed to make %s '%s' on link '%s': %m",
                                               ipvlan ? "ipvlan" : "macvlan", name, *p);
        }
        return 0;
}

/* --- Forwarding, NAT, ports ----------------------------------------------------- */

static void write_sysctl(const char *path, const char *value) {
        int r = write_string_file_at(AT_FDCWD, path, value, 0, 0);

        if (r < 0)
                log_warning_errno(r, "Failed to set %s to %s, ignoring: %m", path, value);
}

/* Routing between the machine and the world. IPv6 forwarding makes the
 * kernel ignore router advertisements on links that take them as a host
 * does (accept_ra=1): the links the host has learned routes on from them
 * are told to take them anyway (2) first, so that it keeps its own IPv6
 * routes. Only those: not "default" (every later link, ours included,
 * would take advertisements, from machines too). Never turned off again:
 * other machines, or the host's administrator, may rely on it. */
static void enable_forwarding(Setup *s) {
        _cleanup_free_ char *forwarding = NULL;
        _cleanup_free_ int *ra = NULL;
        size_t n_ra = 0;
        int r;

        write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
        if (s->families < 2)
                return;
        if (read_one_line_file("/proc/sys/net/ipv6/conf/all/forwarding", &forwarding) >= 0 && streq(forwarding, "1"))
                return;
        r = netdev_ra_links(s->host, &ra, &n_ra);
        if (r < 0)
                log_warning_errno(r, "Failed to find the links with routes from router advertisements, ignoring: %m");
        for (size_t i = 0; i < n_ra; i++) {
                _cleanup_free_ char *p = NULL, *v = NULL;
                char name[IFNAMSIZ];

                if (netdev_link_name(s->host, ra[i], name, sizeof name) < 0)
                        continue;
                p = strjoin("/proc/sys/net/ipv6/conf/", name, "/accept_ra");
                if (p && read_one_line_file(p, &v) >= 0 && streq(v, "1"))
                        write_sysctl(p, "2");
        }
        write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
}

/* Docker's FORWARD chain drops what it does not know: our machines then
 * reach nothing, and would not say why. Looked at when the table is made:
 * by the first machine of a while. */
static void warn_forward_drop(Firewall *f) {
        _cleanup_free_ char *where = NULL;

        if (firewall_forward_drops(f, &where) <= 0)
                return;
        log_warning("The host's firewall drops forwarded packets (policy of chain '%s'): machines will not reach "
                    "beyond the host; allow them with e.g. 'iptables -I DOCKER-USER -i ve-+ -j ACCEPT' and the "
                    "same for vz-+, or an 'iifname { \"ve-*\", \"vz-*\" } accept' rule in that chain.",
                    where);
}

static const char *proto_name(int protocol) {
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

/* What the machine adds to berth's table: the NAT of its network (a
 * zone's, when the zone is new: it stays as long as the zone), and a DNAT
 * element per published port and family. Its own go into the undo log,
 * in one entry, first. */
static int setup_nat(Setup *s) {
        _cleanup_free_ FirewallElement *e = NULL;
        _cleanup_free_ char *what = NULL;
        size_t n = 0, own;
        int r;

        e = calloc(2 + 2 * s->nc->n_ports, sizeof(FirewallElement));
        if (!e)
                return log_oom();
        for (unsigned i = 0; i < s->families; i++)
                e[n++] = (FirewallElement) { .kind = FIREWALL_MASQUERADE, .address = s->network[i] };
        for (size_t i = 0; i < s->nc->n_ports; i++)
                for (unsigned fam = 0; fam < s->families; fam++)
                        e[n++] = (FirewallElement) {
                                .kind = s->nc->ports[i].protocol == IPPROTO_UDP ? FIREWALL_UDP : FIREWALL_TCP,
                                .address = s->n->address[fam],
                                .port = s->nc->ports[i].host_port,
                                .machine_port = s->nc->ports[i].machine_port,
                        };
        /* A zone's NAT is the zone's (undo.c removes it with the bridge). */
        own = s->nc->zone ? s->families : 0;
        if (n > own) {
                r = firewall_elements_to_string(e + own, n - own, &what);
                if (r < 0)
                        return log_oom();
                r = intend(s, UNDO_FIREWALL, what);
                if (r < 0)
                        return r;
        }

        /* The zone's NAT too: a zone's first machine may have died before
         * it could add it. Adding what is there already is nothing. */
        r = firewall_add(s->firewall, e, n);
        if (r < 0 && what)
                forget(s, UNDO_FIREWALL, what); /* one transaction: nothing was added */
        if (r == -EEXIST) {
                /* Which port: the masquerade elements come first, and are
                 * never taken (adding one that is there is nothing). */
                const FirewallElement *ports = e + s->families;
                int k = firewall_find_taken(s->firewall, ports, n - s->families);

                if (k >= 0)
                        return log_error_errno(r, "Failed to publish port %s:%u: another machine publishes it.",
                                               proto_name(ports[k].kind == FIREWALL_UDP ? IPPROTO_UDP : IPPROTO_TCP),
                                               (unsigned) ports[k].port);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to set up NAT and published ports in nftables: %m");
        if (r > 0)
                warn_forward_drop(s->firewall);

        for (size_t i = 0; i < s->nc->n_ports; i++) {
                char *text = NULL;

                if (port_forward_to_string(&s->nc->ports[i], &text) < 0 || strv_consume(&s->n->ports, text) < 0)
                        return log_oom();
        }
        return 0;
}

static int setup_relay(Setup *s) {
        const PortForward *p = NULL;
        int r;

        r = port_relay_new(s->nc->ports, s->nc->n_ports, s->n->address, &s->n->relay, &p);
        if (r == -EADDRINUSE)
                return log_error_errno(r, "Failed to publish port %s:%u: it is in use on the host's loopback.",
                                       proto_name(p->protocol), (unsigned) p->host_port);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on the host's loopback for published ports: %m");
        return 0;
}

/* --- The phase --------------------------------------------------------------------- */

static int setup_links(Setup *s) {
        bool addressed = network_config_addressed(s->nc);
        int r;

        if (s->nc->veth || s->nc->bridge || s->nc->zone || s->nc->n_ports > 0) {
                r = lock_file_acquire(NETWORK_LOCK_PATH, LOCK_EX, &s->lock);
                if (r < 0)
                        return log_error_errno(r, "Failed to take the network lock: %m");
        }
        address_pool_init(&s->pool, s->nc->pool, host_machine_id());
        if (addressed) {
                /* Before anything is made: without it, nothing should be. */
                r = firewall_open(&s->firewall);
                if (r == -EOPNOTSUPP)
                        return log_error_errno(r, "Failed to set up NAT: libnftables is missing.");
                if (r < 0)
                        return log_error_errno(r, "Failed to set up NAT: %m");
        }

        if (s->nc->zone) {
                r = setup_zone(s);
                if (r < 0)
                        return r;
                r = pick_zone_number(s);
        } else if (s->nc->bridge)
                r = find_bridge(s);
        else if (s->nc->veth) {
                r = pick_network(s, s->name);
                s->host_number = ADDRESS_POOL_HOST_FIRST;
        } else
                r = 0;
        if (r < 0)
                return r;
        if (addressed) {
                r = note_addresses(s);
                if (r < 0)
                        return r;
        }

        if (s->nc->veth || s->nc->bridge || s->nc->zone) {
                r = make_veth(s);
                if (r >= 0 && s->nc->veth && !s->nc->bridge && !s->nc->zone)
                        r = add_gateway_addresses(s, s->n->ifindex, s->n->link);
                if (r < 0)
                        return r;
        }
        if (addressed) {
                enable_forwarding(s);
                r = setup_nat(s);
                if (r >= 0)
                        r = setup_relay(s);
                if (r < 0)
                        return r;
        }
        lock_file_release(&s->lock);

        r = move_interfaces(s);
        r = r ?: add_virtual_links(s, s->nc->macvlan, "mv-", false);
        r = r ?: add_virtual_links(s, s->nc->ipvlan, "iv-", true);
        if (r < 0)
                return r;
        if (s->n->link)
                r = configure_host0(s);
        return r;
}

int machine_setup_network(const BootConfig *c, const char *name, const MachineUsers *users, pid_t supervisor,
                          Record *rec, MachineNetwork *n) {
        Setup s = {
                .config = c,
                .nc = &c->network,
                .name = name,
                .rec = rec,
                .n = n,
                .lock = LOCK_FILE_NULL,
                .families = host_families(),
        };
        int r;

        /* --private-network alone: init is cloned into a new namespace. */
        if (!network_config_private(&c->network) && !c->network.namespace_path)
                return 0;

        r = make_namespace(c, users, n);
        if (r < 0 || c->network.namespace_path)
                return r;

        r = netns_identify(supervisor, &n->host_netns_path, &n->host_netns_cookie);
        if (r < 0)
                return log_error_errno(r, "Failed to find our network namespace: %m");
        r = netdev_open(-EBADF, &s.host);
        r = r ?: netdev_open(n->netns_fd, &s.machine);
        if (r == -EOPNOTSUPP)
                r = log_error_errno(r, "Failed to set up the machine's network: libnl-route-3 is missing.");
        else if (r < 0)
                r = log_error_errno(r, "Failed to talk netlink: %m");
        r = r ?: loopback_up(&s);
        r = r ?: setup_links(&s);

        lock_file_release(&s.lock);
        netdev_close(s.host);
        netdev_close(s.machine);
        firewall_close(s.firewall);
        if (r >= 0 && n->link)
                log_debug("Network ready: %s here, " HOST0 " in the machine%s%s.", n->link,
                          n->addresses ? " with " : "", n->addresses ? n->addresses[0] : "");
        return r;
}

void machine_release_network(MachineNetwork *n) {
        _cleanup_(netdev_closep) Netdev *machine = NULL;
        _cleanup_close_ int host = -EBADF;
        int r;

        n->relay = port_relay_free(n->relay);
        if (n->n_lent == 0)
                return;
        /* Init is gone, the namespace is still ours: what was lent goes
         * back under its own name, if it is still the link we lent (the
         * machine may have renamed it, and made another of its name). */
        host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        r = host < 0 ? -errno : netdev_open(n->netns_fd, &machine);
        for (size_t i = 0; i < n->n_lent; i++) {
                const LentLink *l = &n->lent[i];
                char kind[sizeof l->kind];
                int k = r;

                if (k >= 0)
                        k = netdev_link_kind(machine, l->ifindex, kind, sizeof kind);
                if (k >= 0 && !streq(kind, l->kind))
                        k = -ENODEV; /* the index is another link's now */
                if (k >= 0)
                        k = netdev_link_move(machine, l->ifindex, host, l->name);
                if (k < 0)
                        log_warning_errno(k, "Failed to give link '%s' back to the host: %m", l->name);
        }
}
