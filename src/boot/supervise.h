/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "cgroup.h"
#include "console.h"
#include "record.h"
#include "start.h"

/* The machine's life, from its init's start to its end (supervise.c). */

typedef struct Supervision {
        const BootConfig *config;
        const char *name;
        const MachineConsole *console;
        const MachineProcesses *processes;
        const MachineCgroup *cgroup;
        Record *record; /* its state follows the machine's */
} Supervision;

/* Runs until init ends: forwards the console, passes READY=1 on, turns
 * SIGTERM into a poweroff, enforces --timeout. Returns 0 once init has
 * ended and been reaped, with the exit status berth should end with, or a
 * negative errno after logging (init may still run). */
int machine_supervise(const Supervision *s, int *ret_exit_status);
