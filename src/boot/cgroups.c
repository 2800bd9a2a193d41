/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The machine's cgroup on the unified hierarchy, in one of three places:
 *
 *   own      no systemd on the host (as on a bare hybrid host): we make
 *            machine.slice/machine-NAME.scope ourselves and remove it.
 *   systemd  systemd is PID 1 (it owns org.freedesktop.systemd1 on the
 *            system bus): it makes a transient scope machine-NAME.scope with
 *            Delegate=yes for us, and removes it once it is empty.
 *   unit     --keep-unit: we run as a unit's main process (berth@.service,
 *            Delegate=yes): the unit's cgroup is the machine's.
 *
 * In each, the machine's cgroup gets supervisor/ (us) and payload/ (the
 * machine, delegated to its root). Not CreateMachine(): machined would make
 * the scope with the machine's init in it, and init, started by then, would
 * find itself outside the cgroup namespace it was given. */

#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "boot.h"
#include "log.h"
#include "machine-name.h"
#include "machined.h"
#include "path-util.h"
#include "string-util.h"

/* "a-b.slice" lives at /a.slice/a-b.slice: each dash a level. */
static char *slice_path(const char *slice) {
        _cleanup_free_ char *p = strdup("");
        const char *end = endswith(slice, ".slice");

        if (!p || !end)
                return NULL;
        for (const char *dash = slice;; dash++) {
                dash = strchrnul(dash, '-');
                if (dash > end)
                        dash = end;
                char *n = strdup_printf("%s/%.*s.slice", p, (int) (dash - slice), slice);
                if (!n)
                        return NULL;
                free(p);
                p = n;
                if (dash >= end)
                        break;
        }
        return TAKE_PTR(p);
}

/* systemd as PID 1 owns org.freedesktop.systemd1 on the system bus. Not
 * booted with systemd (no /run/systemd/system), it can't; booted with it,
 * we still ask the bus, which may be gone or not yet there. */
static bool systemd_is_manager(Machine *m) {
        int r;

        if (sd_booted() <= 0)
                return false;

        r = machined_bus_open(&m->bus);
        if (r < 0) {
                log_debug_errno(r, "No system bus: %m");
                return false;
        }
        r = machined_name_has_owner(m->bus, "org.freedesktop.systemd1");
        if (r < 0)
                log_debug_errno(r, "Failed to ask the system bus for systemd: %m");
        return r > 0;
}

int machine_plan_cgroup(Machine *m) {
        int r;

        r = cgroup_detect("/sys/fs/cgroup", &m->cgroup_layout, &m->unified_mount);
        if (r == -ENOMEDIUM)
                return log_error_errno(SYNTHETIC_ERRNO(ENOMEDIUM),
                                       "No cgroup2 hierarchy on this host (neither /sys/fs/cgroup nor "
                                       "/sys/fs/cgroup/unified is one).");
        if (r < 0)
                return log_error_errno(r, "Failed to find the cgroup2 hierarchy: %m");

        r = cgroup_pid_get_path(0, &m->cgroup_origin);
        if (r < 0)
                return log_error_errno(r, "Failed to find our own cgroup: %m");

        if (m->config->keep_unit) {
                const char *last = strrchr(m->cgroup_origin, '/');

                m->cgroup_mode = CGROUP_MODE_UNIT;
                m->cgroup = strdup(m->cgroup_origin);
                m->unit = strdup(last ? last + 1 : m->cgroup_origin);
                if (!m->cgroup || !m->unit)
                        return log_oom();
                if (streq(m->cgroup, "/"))
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                               "--keep-unit: we run in the root cgroup, not in a unit of our own.");
                return 0;
        }

        m->unit = machine_scope_name(m->name);
        if (!m->unit)
                return log_oom();

        if (systemd_is_manager(m)) {
                _cleanup_free_ char *slice = slice_path(m->config->slice ?: "machine.slice");

                if (!slice)
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid slice '%s'.", m->config->slice);
                m->cgroup_mode = CGROUP_MODE_SYSTEMD;
                m->cgroup = path_join(slice, m->unit);
        } else {
                m->cgroup_mode = CGROUP_MODE_OWN;
                m->cgroup = strjoin("/", m->config->slice ?: "machine.slice", "/", m->unit);
        }
        return m->cgroup ? 0 : log_oom();
}

/* In systemd's cgroups, what is ours to remove is payload/: supervisor/
 * holds us until we exit, and systemd removes the rest after us. */
static int intend_payload(Machine *m) {
        _cleanup_free_ char *payload = strjoin(m->unified_mount, m->cgroup, "/payload");
        int r;

        if (!payload)
                return log_oom();
        r = machine_intend(m, UNDO_CGROUP, payload);
        if (r < 0)
                return r;
        return machine_write_record(m, MACHINE_STARTING);
}

int machine_setup_cgroup(Machine *m) {
        _cleanup_free_ char *message = NULL, *scope = NULL;
        int r;

        switch (m->cgroup_mode) {
        case CGROUP_MODE_OWN: {
                _cleanup_free_ char *parent = NULL, *last = NULL;

                r = path_split_last(m->cgroup, &parent, &last);
                if (r < 0)
                        return log_oom();
                r = cgroup_create_scope(m->unified_mount, parent, last, &scope);
                if (r == -EEXIST)
                        return log_error_errno(SYNTHETIC_ERRNO(EEXIST),
                                               "Cgroup '%s%s' exists already: another manager runs a machine named "
                                               "'%s'.",
                                               m->unified_mount, m->cgroup, m->name);
                if (r < 0)
                        return log_error_errno(r, "Failed to create cgroup '%s%s': %m", m->unified_mount, m->cgroup);
                break;
        }

        case CGROUP_MODE_SYSTEMD: {
                _cleanup_free_ char *description = strjoin("berth machine ", m->name);

                if (!description)
                        return log_oom();
                r = systemd_start_scope(m->bus, m->unit, m->config->slice ?: "machine.slice", description, getpid(),
                                        &message);
                if (r < 0)
                        return log_error_errno(r, "Failed to create scope unit %s: %s", m->unit,
                                               message ?: strerror(ERRNO_VALUE(r)));
                /* Where systemd put us is the truth. */
                free(m->cgroup);
                m->cgroup = NULL;
                r = cgroup_pid_get_path(0, &m->cgroup);
                if (r < 0)
                        return log_error_errno(r, "Failed to find the cgroup of %s: %m", m->unit);
                r = intend_payload(m);
                if (r < 0)
                        return r;
                break;
        }

        case CGROUP_MODE_UNIT:
                r = intend_payload(m);
                if (r < 0)
                        return r;
                break;

        default:
                assert_not_reached();
        }

        r = cgroup_create_subgroups(m->unified_mount, m->cgroup, m->uid_base, m->uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the cgroups of machine '%s' in '%s%s': %m", m->name,
                                       m->unified_mount, m->cgroup);
        return machine_setup_limits(m);
}
