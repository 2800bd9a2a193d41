/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log.h"
#include "machine-freeze.h"
#include "machine-name.h"
#include "running.h"
#include "systemd-manager.h"

SystemBus *cli_bus(void) {
        static SystemBus bus = {};

        return &bus;
}

int machine_find(const char *name, MachineRecord *ret) {
        (void) registry_gc_one(MACHINES_DIR, name, cli_bus());
        return registry_read(MACHINES_DIR, name, ret);
}

int machine_get(const char *name, MachineRecord *ret) {
        int r;

        if (!machine_name_is_valid(name))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid machine name '%s'.", name);
        r = machine_find(name, ret);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ESRCH), "Machine '%s' is not running.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to read the record of machine '%s': %m", name);
        return 0;
}

int machine_enter_open(const char *name, EnterTarget *ret) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        int r;

        r = machine_get(name, &m);
        if (r < 0)
                return r;
        /* Whatever joins a frozen machine's cgroup freezes with it: we
         * would hang. */
        if (machine_cgroup_is_frozen(&m.cgroup) > 0)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY),
                                       "Machine '%s' is frozen: thaw it first ('berth thaw %s').", name, name);
        r = enter_target_open(&m, ret);
        if (r == -EBADMSG)
                return log_error_errno(r,
                                       "Failed to read the system call filter of machine '%s' (%s): it is gone or "
                                       "damaged, and nobody enters a machine without it.",
                                       name, SECCOMP_DIR);
        if (r < 0)
                return log_error_errno(r, "Failed to find the init process of machine '%s': %m", name);
        return 0;
}

int systemd_manager_bus(sd_bus **ret) {
        *ret = NULL;
        return systemd_manager_present(cli_bus(), ret) > 0 ? 1 : 0;
}

const char *machine_state_text(const MachineRecord *m) {
        if (m->state != MACHINE_STOPPING && machine_cgroup_is_frozen(&m->cgroup) > 0)
                return "frozen";
        return machine_state_to_string(m->state);
}

int machine_thaw_if_frozen(const MachineRecord *m) {
        int r;

        if (machine_cgroup_is_frozen(&m->cgroup) <= 0)
                return 0;
        r = machine_cgroup_freeze(&m->cgroup, false);
        if (r < 0)
                return log_error_errno(r, "Failed to thaw machine '%s': %m", m->name);
        log_debug("Thawed machine '%s' first.", m->name);
        return 0;
}
