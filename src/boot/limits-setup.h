/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "bus-util.h"
#include "cgroup.h"

/* The machine's resource limits (--property=, [Resources]), on its cgroups
 * where the host's controllers are (cgroup-limits.h). A limit the host can't
 * enforce is warned about, not fatal. */
int machine_apply_limits(const BootConfig *c, const char *name, const MachineCgroup *where, SystemBus *bus);
