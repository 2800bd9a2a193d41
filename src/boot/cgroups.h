/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "bus-util.h"
#include "cgroup.h"
#include "record.h"

/* The machine's cgroups (cgroups.c says where, and who makes them). */

/* Who made the machine's cgroup, and so who removes it. */
typedef enum CGroupMode {
        CGROUP_MODE_OWN,     /* no systemd: we make machine.slice/machine-NAME.scope */
        CGROUP_MODE_SYSTEMD, /* systemd is PID 1: a transient scope it made for us */
        CGROUP_MODE_UNIT,    /* --keep-unit: the cgroup of the unit we run in */
} CGroupMode;

typedef struct MachineCgroups {
        MachineCgroup where; /* as the record keeps it */
        CGroupLayout layout;
        CGroupMode mode;
        char *origin; /* where the supervisor was before */
} MachineCgroups;

int machine_setup_cgroups(const BootConfig *c, const char *name, uid_t uid_base, SystemBus *bus, Record *rec,
                          MachineCgroups *g);
/* Before the machine boots again (--reboot=loop): its payload/ cgroup, and
 * whatever the last boot's init made below it, removed and made afresh. */
int machine_renew_cgroups(const BootConfig *c, uid_t uid_base, MachineCgroups *g);
/* The supervisor leaves the machine's cgroup, so that it can be removed. */
void machine_leave_cgroups(MachineCgroups *g);
void machine_cgroups_done(MachineCgroups *g);
