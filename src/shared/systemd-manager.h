/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "macro.h"

/* systemd as PID 1 (org.freedesktop.systemd1.Manager) over the system bus.
 * Errors come back as negative errnos; when ret_message is not NULL, it
 * gets the bus error's text (or NULL). */

/* 1 (and the bus, if ret) when systemd manages this host: it was booted
 * with systemd, and systemd is on the system bus. 0 otherwise. */
int systemd_manager_present(SystemBus *b, sd_bus **ret);

/* StartUnit(unit, "replace") and waits for the job to finish. */
int systemd_start_unit(sd_bus *bus, const char *unit, char **ret_message);

/* Asks for a transient scope unit named scope in slice holding pid, with
 * Delegate=yes, and waits until it is started. */
int systemd_start_scope(sd_bus *bus, const char *scope, const char *slice, const char *description, pid_t pid,
                        char **ret_message);

/* StopUnit(unit, "replace") and waits for the job to finish. */
int systemd_stop_unit(sd_bus *bus, const char *unit, char **ret_message);

/* A unit property of systemd's: "t" (a number), "ay" (a bit mask: the
 * CPUs of AllowedCPUs=) or "a(st)" (a device path and a number each:
 * IOReadBandwidthMax=), by which of bytes and paths is set. */
typedef struct UnitProperty {
        const char *name;
        uint64_t value;       /* "t" */
        const uint8_t *bytes; /* "ay", n_bytes of them (0: the empty mask) */
        size_t n_bytes;
        bool is_bytes;
        char **paths; /* "a(st)": paths[i] with values[i] */
        const uint64_t *values;
} UnitProperty;

/* SetUnitProperties(unit, runtime) with n properties. */
int systemd_set_unit_properties(sd_bus *bus, const char *unit, const UnitProperty *properties, size_t n,
                                char **ret_message);

/* Reload: systemd reads its unit files again (after enable/disable). */
int systemd_reload(sd_bus *bus, char **ret_message);
