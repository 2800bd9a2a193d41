/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Socket activation (sd_listen_fds(3)): the sockets that started us, passed
 * on to the machine's PID 1 (or PID 2 under --as-pid2) as fds 3… with
 * LISTEN_FDS, LISTEN_FDNAMES and its own LISTEN_PID, as systemd-nspawn
 * does. systemd in the machine takes a listening socket through a socket
 * unit of its own with the same ListenStream=. */

/* The sockets stay where the protocol put them, SD_LISTEN_FDS_START…
 * (3…) in our table and every child's, O_CLOEXEC: only the machine's init
 * gets them. */
typedef struct MachineListenFds {
        char **names;
        size_t n;
} MachineListenFds;

/* Takes the fds passed to us, when LISTEN_PID is ours, and removes LISTEN_*
 * from our environment either way, so that nothing else inherits them.
 * They stay open for the supervisor's whole life: a machine that reboots
 * (--reboot=loop) gets them again. */
int machine_take_listen_fds(MachineListenFds *l);
void machine_listen_fds_done(MachineListenFds *l);

/* In the inner child, just before its exec: the fds at 3… without
 * O_CLOEXEC, and LISTEN_FDS and LISTEN_FDNAMES in env. LISTEN_PID is set at
 * the exec (listen_fds_set_pid()), by the process that execs. */
int listen_fds_install(const MachineListenFds *l, char ***env);
int listen_fds_set_pid(const MachineListenFds *l, char ***env);
