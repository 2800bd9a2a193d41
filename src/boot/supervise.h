/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "boot-config.h"
#include "cgroup.h"
#include "console.h"
#include "record.h"
#include "register.h"
#include "start.h"

/* The machine's life, from its init's start to its end (supervise.c). */

#define EXIT_FORCE_RESTART 133 /* systemd's code for "reboot me" */

typedef struct Supervision {
        sd_event *event; /* the supervisor's loop (machine_event_new()) */
        const BootConfig *config;
        const char *name;
        const MachineConsole *console;
        const MachineProcesses *processes;
        const MachineCgroup *cgroup;
        Record *record;             /* its state follows the machine's */
        Registration *registration; /* waited for once init has ended (register.h) */
        usec_t deadline;            /* --timeout: CLOCK_MONOTONIC, the same for every boot; or USEC_INFINITY */
        bool *stop_requested;       /* set once asked to stop (SIGTERM…): no reboot then */
} Supervision;

/* The supervisor's event loop: made before the machine is registered
 * (register.h answers come through it), run by machine_supervise(). */
int machine_event_new(sd_event **ret);

/* Runs until init ends: forwards the console, passes READY=1 on, turns
 * SIGTERM into a poweroff, enforces --timeout. Returns 0 once init has
 * ended and been reaped, with the exit status berth should end with, or a
 * negative errno after logging (init may still run). */
int machine_supervise(const Supervision *s, int *ret_exit_status);

/* What remains of the loop's sources once it has run (none): another
 * machine_supervise() may follow on the same loop after a reboot. */
