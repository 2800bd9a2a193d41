/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "cgroup.h"
#include "check.h"
#include "confine.h"
#include "console.h"
#include "listen-fds.h"
#include "network.h"
#include "root.h"
#include "users.h"

/* Starting the machine: the outer child (outer-child.c) and the inner one
 * (inner-child.c), which becomes its init. What they need is all in the
 * plan, read-only: both share the supervisor's memory (CLONE_VM|
 * CLONE_VFORK), so no page tables are copied, which makes starting a
 * machine about as cheap as starting a process. The supervisor waits while
 * the outer child works, the outer child while the inner one works, until
 * it execs init. The inner child is cloned with CLONE_PARENT: it is the
 * supervisor's child, so the supervisor reaps it and gets its status. */

typedef struct SpawnPlan {
        const BootConfig *config;
        const char *name;
        const char *root; /* the tree (a directory or a disk image) */
        const MachineFacts *facts;
        const MachineRoot *tree;
        /* This boot's copies of the detached mounts of the tree (idmapped,
         * or a disk image's root) and of a /usr partition, or -EBADF. */
        int root_mount_fd, usr_mount_fd;
        const MachineUsers *users;
        const CustomMount *journal_mount; /* a bind for --link-journal=host, or NULL */
        const MachineCgroup *cgroup;
        const MachineNetwork *network;
        const MachineConsole *console;
        const MachineConfinement *confinement;
        const MachineListenFds *listen_fds; /* for init, at 3… */
} SpawnPlan;

typedef struct MachineProcesses {
        pid_t outer_pid; /* reaped late: its mount namespace takes a while to go */
        pid_t leader;    /* init, as the host sees it; 0 once reaped */
        int leader_pidfd;
        int notify_fd; /* bound at the machine's /run/host/notify */
} MachineProcesses;

#define MACHINE_PROCESSES_NULL \
        { .leader_pidfd = -EBADF, .notify_fd = -EBADF }

/* Starts the machine; returns once its init has been exec'd. */
int machine_start(const SpawnPlan *plan, MachineProcesses *p);
/* Reaps the outer child, and kills and reaps init if it still runs. */
void machine_stop_processes(MachineProcesses *p);
void machine_processes_done(MachineProcesses *p);

/* The children, started with clone() in our memory; they never return. */
typedef struct ChildArgs {
        const SpawnPlan *plan;
        int channel;  /* the child's end of its channel to the supervisor */
        int close_fd; /* the supervisor's end, for the child to close */
} ChildArgs;

/* What the children send besides errors (channel.h): the notify socket
 * (CHANNEL_FD) and init's PID (CHANNEL_PID). */

int outer_child_main(void *args);
int inner_child_main(void *args);
_noreturn_ void inner_child(const SpawnPlan *plan, int channel);

/* stub-init.c: PID 1 for `run --as-pid2`. Returns the exit status. */
int stub_init(pid_t main_child);
