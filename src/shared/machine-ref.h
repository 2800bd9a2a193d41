/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "registry.h"
#include "string-table.h"

/* Acting on a running machine known from its record, without trusting PIDs
 * that may have been reused since the record was written. */

/* Whether the cgroup cg (relative to the unified hierarchy) is the
 * machine's payload/ or below it. */
bool machine_ref_cgroup_is_in_payload(const MachineRecord *m, const char *cg);

/* A pidfd of the machine's init, verified to be in the machine's payload
 * cgroup. -ESRCH if the machine has no such process any more. */
int machine_ref_open_leader(const MachineRecord *m, int *ret_pidfd);

int machine_ref_signal_leader(const MachineRecord *m, int sig);

/* Signals the machine's supervisor, verified by its start time. */
int machine_ref_signal_supervisor(const MachineRecord *m, int sig);

/* Signals every process in the machine's payload cgroup. */
int machine_ref_signal_all(const MachineRecord *m, int sig);

/* The cgroup the leader is in (relative to the unified hierarchy), where
 * processes entering the machine go. */
int machine_ref_leader_cgroup(const MachineRecord *m, char **ret);

/* Who `berth kill --kill-whom=` signals. */
typedef enum KillWhom {
        KILL_WHOM_LEADER, /* the machine's init */
        KILL_WHOM_ALL,    /* every process in its payload cgroup */
        _KILL_WHOM_MAX,
        _KILL_WHOM_INVALID = -EINVAL,
} KillWhom;

DECLARE_STRING_TABLE_LOOKUP(kill_whom, KillWhom);

/* Signals whom; -ESRCH when nobody got it. */
int machine_ref_kill(const MachineRecord *m, KillWhom whom, int sig);
