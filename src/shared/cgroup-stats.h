/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

/* What a machine has used since it started (or since its last reboot,
 * which gives it a new payload/ cgroup), from its cgroups: cgroup2 files
 * where the controller is there (cpu.stat is core cgroup2, in every
 * cgroup), the machine's v1 cgroups on a hybrid host; network bytes from
 * the host's side of its own link. Every figure is UINT64_MAX where the
 * host does not count it for the machine. */

typedef struct MachineStats {
        uint64_t cpu_usec, cpu_user_usec, cpu_system_usec;
        uint64_t memory_current, memory_peak, swap_current; /* bytes */
        uint64_t tasks;
        uint64_t io_read_bytes, io_write_bytes, io_read_ops, io_write_ops;
        uint64_t net_rx_bytes, net_tx_bytes; /* as the machine sees them: rx what it received */
} MachineStats;

/* c: the machine's cgroups; link: the host's side of its own link, or
 * NULL, in the network namespace of the process supervisor. Never fails for
 * a figure it can't read (that one is unknown); -ENOMEM only. */
int machine_stats_read(const MachineCgroup *c, const char *link, pid_t supervisor, MachineStats *ret);
