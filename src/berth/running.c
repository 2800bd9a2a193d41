/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <systemd/sd-daemon.h>

#include "log.h"
#include "machined.h"
#include "machine-name.h"
#include "running.h"

int machine_get(const char *name, MachineRecord *ret) {
        int r;

        if (!machine_name_is_valid(name))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid machine name '%s'.", name);
        (void) registry_gc_one(MACHINES_DIR, name);
        r = registry_read(MACHINES_DIR, name, ret);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ESRCH), "Machine '%s' is not running.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to read the record of machine '%s': %m", name);
        return 0;
}

void machine_limit_target(const MachineRecord *m, sd_bus *bus, LimitTarget *ret) {
        *ret = (LimitTarget) {
                .unified_mount = m->unified_mount,
                .cgroup = m->cgroup,
                .unit = m->unit,
                .systemd_unit = m->systemd_unit,
                .cgroups_v1 = m->cgroups_v1,
                .bus = bus,
        };
}

int systemd_manager_bus(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

        /* Not booted with systemd: nothing to ask. Booted: systemd must
         * also be on the bus (it may be gone, or not there yet). */
        if (sd_booted() <= 0 || machined_bus_open(&bus) < 0 ||
            machined_name_has_owner(bus, "org.freedesktop.systemd1") <= 0) {
                *ret = NULL;
                return 0;
        }
        *ret = TAKE_PTR(bus);
        return 1;
}
