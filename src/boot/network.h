/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "in-addr-util.h"
#include "port-relay.h"
#include "record.h"
#include "users.h"

/* The machine's network (network.c): a network namespace of its own, owned
 * by its user namespace, made before it starts, with its links in it:
 *
 *   --network-veth      ve-NAME here, host0 there; a network of its own
 *                       from the address pool, NAT to the world
 *   --network-zone=Z    vb-NAME here, a port of the bridge vz-Z (made by
 *                       the zone's first machine, removed with its last),
 *                       host0 there; the zone's network, NAT
 *   --network-bridge=B  vb-NAME here, a port of B; B's network, if any
 *   --network-interface=, --network-macvlan=, --network-ipvlan=
 *   --network-namespace-path=   that namespace, joined
 *
 * host0 gets its addresses and default routes before init starts. What is
 * made on the host (links, zone bridges, nftables elements) is in the undo
 * log first. --port publishes machine ports on the host: DNAT in berth's
 * nftables table, and relays on the host's loopback addresses. */

/* A host link lent to the machine (--network-interface=), known there by
 * its index and kind: its name is the machine's to change. */
typedef struct LentLink {
        char *name;  /* on the host */
        int ifindex; /* in the machine */
        char kind[32];
} LentLink;

typedef struct MachineNetwork {
        int netns_fd; /* the machine's, or -EBADF: a fresh one is cloned, or the host's shared */
        char *host_netns_path;
        uint64_t host_netns_cookie;
        char *link; /* ours, on the host */
        int ifindex;
        InAddrPrefix address[2]; /* the machine's on host0: IPv4, IPv6 (family 0: none) */
        char **addresses;        /* the same, as text, for the record */
        char **ports;            /* published, as text ("tcp:8080:80") */
        char *networkd_host0;    /* the same for a systemd-networkd in the machine */
        LentLink *lent;          /* to give back */
        size_t n_lent;
        PortRelay *relay;
} MachineNetwork;

#define MACHINE_NETWORK_NULL \
        { .netns_fd = -EBADF }

int machine_setup_network(const BootConfig *c, const char *name, const MachineUsers *users, pid_t supervisor,
                          Record *rec, MachineNetwork *n);
/* Once the machine is gone: the links it was lent go back; relays close. */
void machine_release_network(MachineNetwork *n);
void machine_network_done(MachineNetwork *n);
