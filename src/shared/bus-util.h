/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

/* The system bus, with sd-bus: one connection a process, opened where it
 * is first needed and handed to whoever calls systemd-machined
 * (machined.h) or systemd (systemd-manager.h). */

typedef struct SystemBus {
        sd_bus *bus;
        int error; /* why it could not be opened (< 0), so that it is tried once */
} SystemBus;

/* The connection, opened on first use (DBUS_SYSTEM_BUS_ADDRESS is
 * honoured). The reference stays b's. Once opening failed, returns that
 * error again without trying. */
int system_bus_get(SystemBus *b, sd_bus **ret);
/* Flushes and closes the connection; the next system_bus_get() opens anew. */
void system_bus_close(SystemBus *b);

/* Whether a service owns (or can be activated for) a well-known name:
 * org.freedesktop.machine1 for machined, org.freedesktop.systemd1 for
 * systemd as PID 1. Asking the bus, not looking at /run/systemd/system. */
int bus_name_has_owner(sd_bus *bus, const char *name);

/* For the modules that make calls: r, with the bus error's text in
 * *ret_message (NULL without one) when ret_message is not NULL. */
int bus_take_error(int r, const sd_bus_error *e, char **ret_message);

static inline void bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}
#define _cleanup_bus_error_ _cleanup_(bus_error_freep)
