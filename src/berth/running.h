/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bus-util.h"
#include "cgroup-limits.h"
#include "enter.h"
#include "machine-paths.h"
#include "registry.h"

/* The process's one connection to the system bus (opened when a verb first
 * needs it; main() closes it). */
SystemBus *cli_bus(void);

/* The running machine NAME, for a verb: stale records (of dead supervisors)
 * are cleaned up first, so what is returned has a live supervisor. Logs
 * "Machine 'NAME' is not running." and friends. */
int machine_get(const char *name, MachineRecord *ret);

/* The running machine NAME, opened for entering (enter.h). Logs. */
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
        char *cpu_text;    /* "weight 100, quota 50%" */
} MachineLimits;

int machine_limits_get(const MachineRecord *m, MachineLimits *ret);
void machine_limits_done(MachineLimits *l);
/* -ENODATA when the host has no such limit for the machine. */
int machine_limits_value(const MachineLimits *l, ResourceKind k, uint64_t *ret);
