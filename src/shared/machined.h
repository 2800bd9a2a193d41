/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "id128.h"
#include "macro.h"

/* systemd-machined (org.freedesktop.machine1) over the system bus. Errors
 * come back as negative errnos; when ret_message is not NULL, it gets the
 * bus error's text (or NULL). */

#define MACHINED_SERVICE "org.freedesktop.machine1"

typedef struct MachineRegistration {
        const char *name;
        Id128 uuid;
        const char *service; /* "berth" */
        const char *class;   /* "container" */
        pid_t leader;
        const char *root_directory;
        const int *ifindices;
        size_t n_ifindices;
} MachineRegistration;

/* RegisterMachineWithNetwork: machined finds the machine's unit from the
 * leader's cgroup. */
int machined_register(sd_bus *bus, const MachineRegistration *r, char **ret_message);
/* The same, without waiting: callback gets machined's reply (with the bus
 * attached to an event loop). */
int machined_register_async(sd_bus *bus, const MachineRegistration *r, sd_bus_message_handler_t callback,
                            void *userdata, sd_bus_slot **ret_slot);

#define MACHINED_UNREGISTER_TIMEOUT (5 * 1000 * 1000ULL) /* µs */

/* UnregisterMachine, waiting MACHINED_UNREGISTER_TIMEOUT at most. A machine
 * machined does not know is fine. */
int machined_unregister(sd_bus *bus, const char *name, char **ret_message);
