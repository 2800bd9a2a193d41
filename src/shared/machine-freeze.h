/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "cgroup.h"

/* Freezing a running machine: every process in it stops being scheduled
 * where it is, and goes on from there once thawed; nothing in it is told.
 *
 * It is the cgroup2 freezer of the machine's payload/ cgroup (cgroup.freeze
 * is core cgroup2: every non-root cgroup has it, with controllers or
 * without, so it works on a hybrid host's unified tree too). Not the unit's
 * (systemd's FreezeUnit()): that would freeze the supervisor with it, and a
 * frozen supervisor can't answer a stop. The file is not delegated, so the
 * machine can't thaw itself. */

/* Freezes (freeze) or thaws the machine whose cgroup is c, and waits (up to
 * 10 s) until the kernel says it is done. Freezing one that is frozen, or
 * thawing one that is not, is fine. -EOPNOTSUPP without a cgroup2 freezer
 * (Linux < 5.2); -ETIMEDOUT when it did not freeze in time (a process stuck
 * in the kernel), after which the machine is thawed again. */
int machine_cgroup_freeze(const MachineCgroup *c, bool freeze);

/* 1 when the machine is frozen, 0 if not (or freezing is not supported),
 * -errno when its cgroup can't be read. */
int machine_cgroup_is_frozen(const MachineCgroup *c);

/* The same for the running machine called name (its record in
 * machines_dir, MACHINES_DIR): -ESRCH when it is not running. For verbs
 * that need a machine to hold still for a while (berth commit). */
int machine_freeze_by_name(const char *machines_dir, const char *name, bool freeze);
