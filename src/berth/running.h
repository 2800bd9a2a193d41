/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bus-util.h"
#include "cgroup-limits.h"
#include "enter.h"
#include "machine-paths.h"
#include "output.h"
#include "registry.h"

/* The process's one connection to the system bus (opened when a verb first
 * needs it; main() closes it). */
SystemBus *cli_bus(void);

/* The running machine NAME, for a verb: stale records (of dead supervisors)
 * are cleaned up first, so what is returned has a live supervisor. Logs
 * "Machine 'NAME' is not running." and friends. */
int machine_get(const char *name, MachineRecord *ret);
/* The same without a word: -ENOENT when it is not running. name must be
 * a valid machine name. */
int machine_find(const char *name, MachineRecord *ret);

/* The machine's state for people and scripts: its record's, or "frozen"
 * when it is frozen (berth freeze) and not stopping. */
const char *machine_state_text(const MachineRecord *m);

/* Thaws m if it is frozen, so that it can answer a stop; logs a failure. */
int machine_thaw_if_frozen(const MachineRecord *m);

/* The running machine NAME, opened for entering (enter.h); a frozen one is
 * refused. Logs. */
int machine_enter_open(const char *name, EnterTarget *ret);

/* The system bus, if systemd (PID 1) is on it: 1 and the bus (cli_bus()'s),
 * or 0 and NULL. Verbs then go through systemd's units. */
int systemd_manager_bus(sd_bus **ret);

/* A running machine's limits and usage, for status and show
 * (verb-limits.c). The texts are NULL where there is nothing to say. */
typedef struct MachineLimits {
        Resources limits; /* as in force, of the kinds the host has */
        LimitUsage usage;
        char *memory_text; /* "12.3M (max: 64.0M)" */
        char *tasks_text;  /* "7 (limit: 100)" */
        char *cpu_text;    /* "weight 100, quota 50%, CPUs 0-1" */
        char *cpus_text;   /* AllowedCPUs=, "0-1" */
} MachineLimits;

int machine_limits_get(const MachineRecord *m, MachineLimits *ret);
void machine_limits_done(MachineLimits *l);
/* -ENODATA when the host has no such limit for the machine. */
int machine_limits_value(const MachineLimits *l, ResourceKind k, uint64_t *ret);
/* The two cells (text, JSON) of a set or per-device limit in berth show:
 * "0-1", or "254:0 1048576, 8:0 infinity" and a list. */
int machine_limits_show_cells(Table *t, const MachineLimits *l, ResourceKind k);

/* The figures of berth stats as properties of berth show (verb-stats.c):
 * the cells of STATS_SHOW_COLUMNS, in that order. */
#define STATS_SHOW_COLUMNS(column)                                                                              \
        column("CPUUsageNSec"), column("CPUUsageUserNSec"), column("CPUUsageSystemNSec"), column("MemoryPeak"), \
                column("MemorySwapCurrent"), column("IOReadBytes"), column("IOWriteBytes"),                     \
                column("IOReadOperations"), column("IOWriteOperations"), column("IPIngressBytes"),              \
                column("IPEgressBytes")
int machine_show_stats(Table *t, const MachineRecord *m);
