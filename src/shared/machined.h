/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "id128.h"
#include "macro.h"

/* systemd-machined and systemd (PID 1) over the system bus, with sd-bus.
 * Errors come back as negative errnos; when ret_message is not NULL, it
 * gets the bus error's text (or NULL). */

/* The system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured). */
int machined_bus_open(sd_bus **ret);

/* Whether a service owns (or can be activated for) a well-known name:
 * org.freedesktop.machine1 for machined, org.freedesktop.systemd1 for
 * systemd as PID 1. Asking the bus, not looking at /run/systemd/system. */
int machined_name_has_owner(sd_bus *bus, const char *name);

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

/* UnregisterMachine. A machine machined does not know is fine. */
int machined_unregister(sd_bus *bus, const char *name, char **ret_message);

/* StartUnit(unit, "replace") and waits for the job to finish. */
int systemd_start_unit(sd_bus *bus, const char *unit, char **ret_message);

/* Asks systemd (PID 1) for a transient scope unit named scope in slice
 * holding pid, with Delegate=yes, and waits until it is started. */
int systemd_start_scope(sd_bus *bus, const char *scope, const char *slice, const char *description, pid_t pid,
                        char **ret_message);

/* StopUnit(unit, "replace") and waits for the job to finish. */
int systemd_stop_unit(sd_bus *bus, const char *unit, char **ret_message);

/* SetUnitProperties(unit, runtime) with n properties of type "t". */
int systemd_set_unit_properties(sd_bus *bus, const char *unit, const char *const *names, const uint64_t *values,
                                size_t n, char **ret_message);

/* Reload: systemd reads its unit files again (after enable/disable). */
int systemd_reload(sd_bus *bus, char **ret_message);
