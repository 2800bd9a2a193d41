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
 * find itself outside the cgroup namespace it was given.
 *
 * On a hybrid host the controllers are on v1 hierarchies, which the
 * machine's cgroup2 tree can't reach: there the machine gets a cgroup of
 * its own in the memory, cpu, pids, blkio and cpuset hierarchies,
 * named like its scope, below the supervisor's own cgroup and never above
 * it. The outer child joins them before it clones the machine, so init and
 * everything below it is limited (limits.c) from its first instruction.
 * They are made even without limits, so that `berth set-property` can add
 * some later. */

#include <stdio.h>
#include <string.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bpf-devices.h"
#include "fileio.h"
#include "cgroup-limits.h"
#include "cgroups.h"
#include "log.h"
#include "machine-paths.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"
#include "systemd-manager.h"

void machine_cgroups_done(MachineCgroups *g) {
        machine_cgroup_done(&g->where);
        free(g->origin);
        g->origin = NULL;
}

void machine_leave_cgroups(MachineCgroups *g) {
        /* In a unit's cgroup we stay: systemd removes it once we are gone. */
        if (g->mode != CGROUP_MODE_UNIT && g->origin)
                (void) cgroup_attach(g->where.unified_mount, g->origin, 0);
}

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

/* Where the machine's cgroup is to be, and who makes it. */
static int plan(const BootConfig *c, const char *name, SystemBus *bus, MachineCgroups *g) {
        MachineCgroup *w = &g->where;
        int r;

        r = cgroup_detect("/sys/fs/cgroup", &g->layout, &w->unified_mount);
        if (r == -ENOMEDIUM)
                return log_error_errno(SYNTHETIC_ERRNO(ENOMEDIUM),
                                       "No cgroup2 hierarchy on this host (neither /sys/fs/cgroup nor "
                                       "/sys/fs/cgroup/unified is one).");
        if (r < 0)
                return log_error_errno(r, "Failed to find the cgroup2 hierarchy: %m");

        r = cgroup_pid_get_path(0, &g->origin);
        if (r < 0)
                return log_error_errno(r, "Failed to find our own cgroup: %m");

        if (c->keep_unit) {
                const char *last = strrchr(g->origin, '/');

                g->mode = CGROUP_MODE_UNIT;
                w->path = strdup(g->origin);
                w->unit = strdup(last ? last + 1 : g->origin);
                if (!w->path || !w->unit)
                        return log_oom();
                if (streq(w->path, "/"))
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                               "--keep-unit: we run in the root cgroup, not in a unit of our own.");
        } else {
                w->unit = machine_scope_unit(name);
                if (!w->unit)
                        return log_oom();
                if (systemd_manager_present(bus, NULL) > 0) {
                        _cleanup_free_ char *slice = slice_path(c->slice ?: "machine.slice");

                        if (!slice)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid slice '%s'.", c->slice);
                        g->mode = CGROUP_MODE_SYSTEMD;
                        w->path = path_join(slice, w->unit);
                } else {
                        g->mode = CGROUP_MODE_OWN;
                        w->path = strjoin("/", c->slice ?: "machine.slice", "/", w->unit);
                }
                if (!w->path)
                        return log_oom();
        }
        w->systemd_unit = g->mode != CGROUP_MODE_OWN;
        return 0;
}

/* What is ours to remove: in our own mode the whole scope; in systemd's
 * cgroups payload/ (supervisor/ holds us until we exit, and systemd removes
 * the rest after us). Named before it is made. */
static int intend_unified(MachineCgroups *g, Record *rec) {
        _cleanup_free_ char *p = NULL;

        if (g->mode == CGROUP_MODE_OWN)
                p = path_join(g->where.unified_mount, g->where.path);
        else
                p = strjoin(g->where.unified_mount, g->where.path, "/payload");
        if (!p)
                return log_oom();
        return record_intend(rec, UNDO_CGROUP, p);
}

static int create_own_scope(const char *name, MachineCgroup *w) {
        _cleanup_free_ char *parent = NULL, *last = NULL, *scope = NULL;
        int r;

        r = path_split_last(w->path, &parent, &last);
        if (r < 0)
                return log_oom();
        r = cgroup_create_scope(w->unified_mount, parent, last, &scope);
        if (r == -EEXIST && cgroup_is_populated(w->unified_mount, w->path) == 0) {
                /* We hold the name: an empty scope of it is a dead machine's
                 * (whose cleanup was cut short). Take it back. */
                log_debug("Removing the stale cgroup '%s%s'.", w->unified_mount, w->path);
                r = cgroup_kill_and_remove(w->unified_mount, w->path);
                if (r >= 0)
                        r = cgroup_create_scope(w->unified_mount, parent, last, &scope);
        }
        if (r == -EEXIST)
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST),
                                       "Cgroup '%s%s' exists already: another manager runs a machine named '%s'.",
                                       w->unified_mount, w->path, name);
        if (r < 0)
                return log_error_errno(r, "Failed to create cgroup '%s%s': %m", w->unified_mount, w->path);
        return 0;
}

static int start_scope(const BootConfig *c, const char *name, SystemBus *bus, MachineCgroup *w) {
        _cleanup_free_ char *message = NULL, *description = strjoin("berth machine ", name);
        sd_bus *b = NULL;
        int r;

        if (!description)
                return log_oom();
        r = system_bus_get(bus, &b);
        if (r >= 0)
                r = systemd_start_scope(b, w->unit, c->slice ?: "machine.slice", description, getpid(), &message);
        if (r < 0)
                return log_error_errno(r, "Failed to create scope unit %s: %s", w->unit,
                                       message ?: strerror(ERRNO_VALUE(r)));
        /* Where systemd put us is the truth. */
        free(w->path);
        w->path = NULL;
        r = cgroup_pid_get_path(0, &w->path);
        if (r < 0)
                return log_error_errno(r, "Failed to find the cgroup of %s: %m", w->unit);
        return 0;
}

/* The machine's cgroup in a v1 controller's hierarchy, below ours: noted
 * in the record before the unified one (and saved with it, before any is
 * made), so that it is removed after the cgroup2 tree (the undo log runs
 * backwards), empty by then. */
static int plan_v1(const char *controller, Record *rec, MachineCgroup *w) {
        _cleanup_free_ char *own = NULL, *dir = NULL;
        int r;

        r = cgroup_v1_find("/sys/fs/cgroup", controller, 0, &own);
        if (r == -ENOMEDIUM)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to find our own cgroup in the %s hierarchy: %m", controller);
        dir = path_join(own, w->unit);
        if (!dir)
                return log_oom();
        r = record_note(rec, UNDO_CGROUP_V1, dir);
        if (r < 0)
                return r;
        return strv_consume(&w->v1, TAKE_PTR(dir)) < 0 ? log_oom() : 0;
}

static int plan_hybrid(const BootConfig *c, Record *rec, MachineCgroups *g) {
        int r;

        if (g->layout != CGROUP_LAYOUT_HYBRID)
                return 0;
        for (const char *const *ctl = limits_v1_controllers; *ctl; ctl++) {
                r = plan_v1(*ctl, rec, &g->where);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The devices the machine may use: the harmless ones, and device nodes
 * bound in with --bind= (as systemd-nspawn allows them), nothing else; not
 * even a device node the tree itself holds. */
static int restrict_devices(const BootConfig *c, const MachineCgroup *w) {
        _cleanup_free_ DeviceRule *rules = calloc(bpf_devices_machine_default_count + c->n_mounts, sizeof(DeviceRule));
        _cleanup_free_ char *payload = strjoin(w->unified_mount, w->path, "/payload");
        size_t n = 0;
        int r;

        if (!rules || !payload)
                return log_oom();
        for (size_t i = 0; i < bpf_devices_machine_default_count; i++)
                rules[n++] = bpf_devices_machine_default[i];
        for (size_t i = 0; i < c->n_mounts; i++) {
                struct stat st;

                if (c->mounts[i].type == CUSTOM_MOUNT_TMPFS || stat(c->mounts[i].source, &st) < 0 ||
                    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                        continue;
                rules[n++] = (DeviceRule) {
                        .type = S_ISCHR(st.st_mode) ? 'c' : 'b',
                        .major = major(st.st_rdev),
                        .minor = minor(st.st_rdev),
                        .access = c->mounts[i].type == CUSTOM_MOUNT_BIND_RO ? DEVICE_ACCESS_READ
                                                                            : DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE,
                };
        }
        r = bpf_devices_attach(payload, rules, n);
        if (r == -EPERM && access("/run/host/container-manager", F_OK) >= 0) {
                /* We run in a machine ourselves, whose filter keeps bpf() from
                 * us: its device program holds for ours too (programs
                 * apply to every cgroup below theirs). */
                log_debug("No device program of our own: the enclosing machine's applies.");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to restrict the devices of the machine (cgroup '%s'): %m", payload);
        return 0;
}

int machine_renew_cgroups(const BootConfig *c, uid_t uid_base, MachineCgroups *g) {
        MachineCgroup *w = &g->where;
        _cleanup_free_ char *payload = path_join(w->path, "payload");
        int r;

        if (!payload)
                return log_oom();
        r = cgroup_kill_and_remove(w->unified_mount, payload);
        if (r >= 0)
                r = cgroup_create_subgroups(w->unified_mount, w->path, uid_base, uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to make the cgroup '%s%s' anew: %m", w->unified_mount, payload);
        return restrict_devices(c, w);
}

/* A new v1 cpuset cgroup has no CPUs and no memory nodes, and no process
 * may join it: it gets its parent's (unless AllowedCPUs= says otherwise). */
static int init_cpuset(const char *parent, const char *dir) {
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

        if (!startswith(dir, "/sys/fs/cgroup/cpuset/"))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *from = path_join(parent, files[i]), *to = path_join(dir, files[i]), *text = NULL;
                int r;

                if (!from || !to)
                        return -ENOMEM;
                r = read_one_line_file(from, &text);
                if (r >= 0)
                        r = write_string_file(to, text, WRITE_FILE_NO_NEWLINE);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int create_v1(const MachineCgroup *w) {
        STRV_FOREACH(d, w->v1) {
                _cleanup_free_ char *parent = NULL, *last = NULL, *made = NULL;
                int r = path_split_last(*d, &parent, &last);

                if (r >= 0)
                        r = cgroup_v1_create(parent, last, &made);
                if (r >= 0)
                        r = init_cpuset(parent, made);
                if (r < 0)
                        return log_error_errno(r, "Failed to create cgroup '%s': %m", *d);
        }
        return 0;
}

int machine_setup_cgroups(const BootConfig *c, const char *name, uid_t uid_base, SystemBus *bus, Record *rec,
                          MachineCgroups *g) {
        MachineCgroup *w = &g->where;
        int r;

        r = plan(c, name, bus, g);
        if (r >= 0)
                r = plan_hybrid(c, rec, g);
        if (r < 0)
                return r;
        if (g->mode == CGROUP_MODE_OWN) {
                r = intend_unified(g, rec);
                if (r >= 0)
                        r = create_own_scope(name, w);
        } else if (g->mode == CGROUP_MODE_SYSTEMD) {
                r = start_scope(c, name, bus, w);
                if (r >= 0)
                        r = intend_unified(g, rec);
        } else
                r = intend_unified(g, rec);
        if (r < 0)
                return r;

        r = cgroup_create_subgroups(w->unified_mount, w->path, uid_base, uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the cgroups of machine '%s' in '%s%s': %m", name,
                                       w->unified_mount, w->path);
        r = restrict_devices(c, w);
        if (r < 0)
                return r;
        return create_v1(w);
}
