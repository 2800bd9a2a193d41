/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "in-addr-util.h"
#include "macro.h"
#include "network-config.h"

/* Published ports on the host's loopback addresses. nftables can send a
 * packet to 127.0.0.1 on to a machine only with route_localnet, which would
 * also let the machine reach whatever listens on the host's 127.0.0.1; a
 * packet to ::1 not at all. So the supervisor listens on 127.0.0.1:PORT and
 * [::1]:PORT itself, and relays: TCP connection by connection, UDP datagram
 * by datagram (a flow per client, forgotten after a minute without
 * traffic), to the machine's address in the same family. */

typedef struct PortRelay PortRelay;

/* Binds the listening sockets (-EADDRINUSE: a port is taken on the host's
 * loopback; *ret_port says which). target: the machine's IPv4 and IPv6
 * addresses (family 0: none in that family, no relay for it). */
int port_relay_new(const PortForward *ports, size_t n_ports, const InAddrPrefix target[static 2], PortRelay **ret,
                   const PortForward **ret_port);
/* Starts serving in the event loop. */
int port_relay_attach(PortRelay *r, sd_event *e);
/* Leaves the loop it was attached to: the connections through it end, the
 * listeners stay open (and may be attached to another loop). */
void port_relay_detach(PortRelay *r);
PortRelay *port_relay_free(PortRelay *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(PortRelay *, port_relay_free);
