/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "in-addr-util.h"
#include "macro.h"
#include "string-table.h"

/* How a machine is networked: systemd-nspawn's options (--network-veth,
 * --network-bridge=, --network-zone=, --network-interface=,
 * --network-macvlan=, --network-ipvlan=, --network-namespace-path=, -p)
 * and [Network] keys, parsed. Any of the first six gives the machine a
 * network namespace of its own, as --private-network does. */

typedef struct PortForward {
        int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t host_port;
        uint16_t machine_port;
} PortForward;

typedef struct NetworkConfig {
        bool veth;            /* ve-NAME here, host0 inside */
        char *bridge;         /* vb-NAME here, a port of this existing bridge */
        char *zone;           /* vb-NAME here, a port of vz-ZONE, made when needed */
        char **interfaces;    /* host links moved in, given back at the end */
        char **macvlan;       /* mv-IF inside, on host link IF */
        char **ipvlan;        /* iv-IF inside, on host link IF */
        char *namespace_path; /* a network namespace to join instead of making one */
        PortForward *ports;
        size_t n_ports;
        InAddrPrefix pool[2]; /* --address-pool=: IPv4, IPv6; family 0 for the default */
} NetworkConfig;

void network_config_done(NetworkConfig *c);
int network_config_copy(NetworkConfig *dst, const NetworkConfig *src);

/* Whether the machine gets a network namespace of its own from c (not
 * counting --private-network). */
bool network_config_private(const NetworkConfig *c) _pure_;
/* Whether berth makes a link for the machine that it also gives addresses
 * and NAT (veth or zone; a bridge of the user's is left to its network). */
bool network_config_addressed(const NetworkConfig *c) _pure_;

/* "[tcp|udp:]HOSTPORT[:MACHINEPORT]": appends to c->ports; -EINVAL for a
 * malformed one, -EEXIST for a host port and protocol given twice. */
int network_config_add_port(NetworkConfig *c, const char *spec);
/* A host link name for --network-interface= and friends (appended), or a
 * bridge or zone name: -EINVAL for one that is no valid link name (a zone:
 * too long for "vz-" in front of it). */
int network_config_add_link(char ***l, const char *name);
int network_config_set_bridge(NetworkConfig *c, const char *name);
int network_config_set_zone(NetworkConfig *c, const char *name);
/* An IPv4 prefix wider than /24, or an IPv6 one wider than /64: room for
 * more than one network. */
int network_config_set_pool(NetworkConfig *c, const char *prefix);

/* "tcp:8080:80" */
int port_forward_to_string(const PortForward *p, char **ret);
int port_forward_from_string(const char *s, PortForward *ret);

/* A valid link name (IFNAMSIZ, no '/', ':', '%' or whitespace). */
bool ifname_is_valid(const char *s) _pure_;

/* --resolv-conf=, as systemd-nspawn's. */
typedef enum ResolvConfMode {
        RESOLV_CONF_OFF,
        RESOLV_CONF_COPY_HOST,
        RESOLV_CONF_COPY_STATIC,
        RESOLV_CONF_COPY_UPLINK,
        RESOLV_CONF_COPY_STUB,
        RESOLV_CONF_REPLACE_HOST,
        RESOLV_CONF_REPLACE_STATIC,
        RESOLV_CONF_REPLACE_UPLINK,
        RESOLV_CONF_REPLACE_STUB,
        RESOLV_CONF_BIND_HOST,
        RESOLV_CONF_BIND_STATIC,
        RESOLV_CONF_BIND_UPLINK,
        RESOLV_CONF_BIND_STUB,
        RESOLV_CONF_DELETE,
        RESOLV_CONF_AUTO,
        _RESOLV_CONF_MODE_MAX,
        _RESOLV_CONF_MODE_INVALID = -EINVAL,
} ResolvConfMode;

DECLARE_STRING_TABLE_LOOKUP(resolv_conf_mode, ResolvConfMode);

/* --timezone=, as systemd-nspawn's. */
typedef enum TimezoneMode {
        TIMEZONE_OFF,
        TIMEZONE_COPY,
        TIMEZONE_BIND,
        TIMEZONE_SYMLINK,
        TIMEZONE_DELETE,
        TIMEZONE_AUTO,
        _TIMEZONE_MODE_MAX,
        _TIMEZONE_MODE_INVALID = -EINVAL,
} TimezoneMode;

DECLARE_STRING_TABLE_LOOKUP(timezone_mode, TimezoneMode);
