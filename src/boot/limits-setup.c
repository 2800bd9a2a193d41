/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "cgroup-limits.h"
#include "limits-setup.h"
#include "log.h"
#include "string-util.h"

int machine_apply_limits(const BootConfig *c, const char *name, const MachineCgroup *where, SystemBus *bus) {
        const Resources *res = &c->resources;
        _cleanup_(limit_failure_done) LimitFailure failure = {};
        LimitTarget t = { .cgroup = where };
        unsigned unsupported = 0;
        int r;

        if (res->set == 0)
                return 0;

        if (where->systemd_unit) {
                r = system_bus_get(bus, &t.bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the system bus to set limits on %s: %m",
                                               where->unit);
        }

        r = limits_apply(&t, res, &unsupported, &failure);
        if (r < 0) {
                _cleanup_free_ char *text = limit_failure_explain(&failure, res, name, r);
                return text ? log_error_errno(r, "%s", text) : log_oom();
        }
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                if (unsupported & (1U << k))
                        log_warning("%s= is not supported on this host (no %s controller for the machine, or no such "
                                    "limit in it), ignoring.",
                                    resource_kind_to_string(k), resource_controller(k, false));
        return 0;
}
