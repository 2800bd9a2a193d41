/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "in-addr-util.h"
#include "macro.h"
#include "string-table.h"

/* berth's nftables table, through libnftables (its one wrapper, loaded when
 * first used). One table, "inet berth", in the network namespace of the
 * process, with fixed rules and per-machine elements of its sets:
 *
 *   masq4, masq6   the machines' subnets: what leaves them for anywhere
 *                  else is masqueraded
 *   tcp4 … udp6    host port : machine address . machine port, the DNAT
 *                  of --port, for packets to any of the host's addresses
 *                  but loopback (those are relayed, port-relay.h)
 *
 * A machine adds its elements and removes them; whoever removes the last
 * element removes the table. */

typedef enum FirewallKind {
        FIREWALL_MASQUERADE, /* address: a subnet */
        FIREWALL_TCP,        /* port → address . machine_port */
        FIREWALL_UDP,
        _FIREWALL_KIND_MAX,
        _FIREWALL_KIND_INVALID = -EINVAL,
} FirewallKind;

DECLARE_STRING_TABLE_LOOKUP(firewall_kind, FirewallKind);

typedef struct FirewallElement {
        FirewallKind kind;
        InAddrPrefix address;
        uint16_t port, machine_port;
} FirewallElement;

/* "masquerade 10.0.0.0/24,tcp4 8080 10.0.0.2 80": the elements, for the
 * undo log, and back. */
int firewall_elements_to_string(const FirewallElement *e, size_t n, char **ret);
int firewall_elements_from_string(const char *s, FirewallElement **ret, size_t *ret_n);

typedef struct Firewall Firewall;

int firewall_open(Firewall **ret);
Firewall *firewall_close(Firewall *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(Firewall *, firewall_close);

/* Adds the elements in one transaction, after making the table when there
 * is none: 1 if it was made, 0 if not. -EEXIST when a key is taken (a host
 * port another machine publishes): then nothing was added. */
int firewall_add(Firewall *f, const FirewallElement *e, size_t n);
/* Which of the elements has a key that is taken: its index, or -ENOENT. */
int firewall_find_taken(Firewall *f, const FirewallElement *e, size_t n);
/* Removes the elements (those that are not there are fine, and so are
 * ports whose key now leads elsewhere: they are left alone); then the
 * table, if nothing is left in it. */
int firewall_remove(Firewall *f, const FirewallElement *e, size_t n);

/* 1 if a base chain of another table drops forwarded packets by policy
 * (as Docker's FORWARD chain does), with "FAMILY TABLE CHAIN" in *ret. */
int firewall_forward_drops(Firewall *f, char **ret);
