/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* The machine's cgroup on the unified (v2) hierarchy:
 *
 *     machine.slice/machine-NAME.scope/     the machine
 *         supervisor/                       the supervisor (on the host)
 *         payload/                          the container, delegated
 *
 * payload/ is the root of the container's cgroup namespace and belongs to
 * the machine's root user, so that systemd inside manages its own tree. */

typedef enum CGroupLayout {
        CGROUP_LAYOUT_UNIFIED, /* cgroup2 at /sys/fs/cgroup */
        CGROUP_LAYOUT_HYBRID,  /* v1 controllers, cgroup2 at /sys/fs/cgroup/unified for tracking */
        _CGROUP_LAYOUT_MAX,
        _CGROUP_LAYOUT_INVALID = -EINVAL,
} CGroupLayout;

/* Where a machine's cgroups are, as its record keeps them. */
typedef struct MachineCgroup {
        char *unified_mount; /* where the unified hierarchy is mounted */
        char *path;          /* the machine's cgroup, relative to unified_mount */
        char *unit;          /* the unit that cgroup belongs to */
        bool systemd_unit;   /* systemd manages that unit: its properties go through systemd */
        char **v1;           /* the machine's v1 cgroups (absolute), on a hybrid host */
} MachineCgroup;

void machine_cgroup_done(MachineCgroup *c);

/* Where the unified hierarchy is mounted, and which layout the host has.
 * -ENOMEDIUM when there is no cgroup2 mount at all. */
int cgroup_detect(const char *sys_fs_cgroup, CGroupLayout *ret_layout, char **ret_unified_mount);

/* The cgroup of pid (0: ourselves) on the unified hierarchy ("0::/path"). */
int cgroup_pid_get_path(pid_t pid, char **ret);

/* Creates parent (if missing) and parent/scope_name below it (-EEXIST if
 * that exists), for a machine whose cgroup nobody else manages. Returns
 * the path of the scope, relative to the hierarchy. */
int cgroup_create_scope(const char *unified_mount, const char *parent, const char *scope_name, char **ret_path);

/* In the machine's cgroup path (ours, made by us, by systemd, or a unit's):
 * creates supervisor/ and moves us there, creates payload/, enables for it
 * the controllers path has, and delegates it to uid:gid. */
int cgroup_create_subgroups(const char *unified_mount, const char *path, uid_t uid, gid_t gid);

/* Moves pid into unified_mount/path. */
int cgroup_attach(const char *unified_mount, const char *path, pid_t pid);

/* Kills everything in unified_mount/path and below, waits (briefly) until
 * it is empty and removes the cgroups, children first. Missing is fine. */
int cgroup_kill_and_remove(const char *unified_mount, const char *path);

/* Whether unified_mount/path has any process in it or below. */
int cgroup_is_populated(const char *unified_mount, const char *path);

/* The files the kernel says belong to a delegated cgroup
 * (/sys/kernel/cgroup/delegate), with a fallback list. */
int cgroup_delegate_files(char ***ret);

/* Cgroup v1 hierarchies, where a hybrid host keeps its controllers (memory,
 * cpu, pids, blkio). berth makes cgroups there only below its own. */

/* The v1 cgroup of pid (0: ourselves) in controller's hierarchy. */
int cgroup_v1_pid_get_path(pid_t pid, const char *controller, char **ret);
/* The directory of pid's cgroup in controller's hierarchy mounted at
 * sys_fs_cgroup/controller. -ENOMEDIUM if there is no such hierarchy. */
int cgroup_v1_find(const char *sys_fs_cgroup, const char *controller, pid_t pid, char **ret_dir);
/* Creates parent_dir/name (one that exists is reused). */
int cgroup_v1_create(const char *parent_dir, const char *name, char **ret_dir);
int cgroup_v1_attach(const char *dir, pid_t pid);
/* Kills what is left in dir and below, and removes them. Missing is fine. */
int cgroup_v1_kill_and_remove(const char *dir);
