/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The machine's resource limits (--property=, [Resources]).
 *
 * On a hybrid host the controllers are on v1 hierarchies, which the
 * machine's cgroup2 tree can't reach: there the machine gets a cgroup of
 * its own in the memory, cpu and pids hierarchies (and blkio for IOWeight=),
 * named like its scope, below the supervisor's own cgroup and never above
 * it. The outer child joins them before it clones the machine, so init and
 * everything below it is limited from its first instruction. They are made
 * even without limits, so that `berth set-property` can add some later. */

#include <string.h>

#include "boot.h"
#include "cgroup-limits.h"
#include "log.h"
#include "machined.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

static int plan_v1(Machine *m, const char *controller) {
        _cleanup_free_ char *own = NULL, *dir = NULL;
        int r;

        r = cgroup_v1_find("/sys/fs/cgroup", controller, 0, &own);
        if (r == -ENOMEDIUM)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to find our own cgroup in the %s hierarchy: %m", controller);
        dir = path_join(own, m->unit);
        if (!dir)
                return log_oom();
        /* Named before it is made, and removed after the cgroup2 tree (the
         * undo log runs backwards), when it is empty. */
        r = machine_intend(m, UNDO_CGROUP_V1, dir);
        if (r < 0)
                return r;
        return strv_consume(&m->record.cgroups_v1, TAKE_PTR(dir)) < 0 ? log_oom() : 0;
}

int machine_plan_limits(Machine *m) {
        int r;

        m->record.systemd_unit = m->cgroup_mode != CGROUP_MODE_OWN;
        if (m->cgroup_layout != CGROUP_LAYOUT_HYBRID)
                return 0;

        for (const char *const *c = limits_v1_controllers; *c; c++) {
                r = plan_v1(m, *c);
                if (r < 0)
                        return r;
        }
        if (resources_has(&m->config->resources, RESOURCE_IO_WEIGHT))
                return plan_v1(m, "blkio");
        return 0;
}

static void limit_target(Machine *m, LimitTarget *ret) {
        *ret = (LimitTarget) {
                .unified_mount = m->unified_mount,
                .cgroup = m->cgroup,
                .unit = m->unit,
                .systemd_unit = m->record.systemd_unit,
                .cgroups_v1 = m->record.cgroups_v1,
                .bus = m->bus,
        };
}

int machine_setup_limits(Machine *m) {
        const Resources *res = &m->config->resources;
        unsigned unsupported = 0;
        LimitTarget t;
        int r;

        STRV_FOREACH(d, m->record.cgroups_v1) {
                _cleanup_free_ char *parent = NULL, *last = NULL, *made = NULL;

                r = path_split_last(*d, &parent, &last);
                if (r >= 0)
                        r = cgroup_v1_create(parent, last, &made);
                if (r < 0)
                        return log_error_errno(r, "Failed to create cgroup '%s': %m", *d);
        }

        if (res->set == 0)
                return 0;

        if (m->record.systemd_unit && !m->bus) {
                r = machined_bus_open(&m->bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the system bus to set limits on %s: %m",
                                               m->unit);
        }

        limit_target(m, &t);
        r = limits_apply(&t, res, m->name, &unsupported);
        if (r < 0)
                return r;
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                if (unsupported & (1U << k))
                        log_warning("%s= is not supported on this host (no %s controller for the machine), ignoring.",
                                    resource_kind_to_string(k), resource_controller(k, false));
        return 0;
}
