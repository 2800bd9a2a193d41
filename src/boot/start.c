/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>

#include "channel.h"
#include "fd-util.h"
#include "log.h"
#include "process-util.h"
#include "start.h"

void machine_processes_done(MachineProcesses *p) {
        p->leader_pidfd = safe_close(p->leader_pidfd);
        p->notify_fd = safe_close(p->notify_fd);
}

/* Reads what the children report until the inner child has exec'd. */
static int wait_started(int channel, MachineProcesses *p) {
        int r = 0;

        for (;;) {
                ChannelMessage msg;
                int fd = -EBADF;
                ssize_t n = channel_receive(channel, &msg, &fd);

                if (n < 0)
                        return log_error_errno((int) n, "Failed to hear from the machine's setup: %m");
                if (n == 0)
                        return r; /* everybody closed: init has been exec'd */

                switch (msg.type) {
                case CHANNEL_FD:
                        safe_close(p->notify_fd);
                        p->notify_fd = TAKE_FD(fd);
                        break;
                case CHANNEL_PID:
                        p->leader = msg.pid;
                        p->leader_pidfd = pidfd_open(p->leader, 0);
                        if (p->leader_pidfd < 0)
                                return log_error_errno(errno, "Failed to open a pidfd of the machine's init: %m");
                        break;
                case CHANNEL_ERROR:
                        if (r == 0)
                                r = channel_log_error(&msg);
                        break;
                default:
                        break;
                }
                safe_close(fd);
        }
}

int machine_start(const SpawnPlan *plan, MachineProcesses *p) {
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        void *stack = NULL;
        siginfo_t si;
        int r;

        r = channel_new(pair);
        if (r < 0)
                return log_error_errno(r, "Failed to create a socket pair: %m");

        /* We are suspended until the outer child is done (CLONE_VFORK); what
         * the children report waits in the channel meanwhile. */
        ChildArgs args = { .plan = plan, .channel = pair[1], .close_fd = pair[0] };
        p->outer_pid = clone_in_our_memory(outer_child_main, &args, CLONE_VFORK | CLONE_NEWNS | SIGCHLD, &stack);
        clone_stack_free(stack);
        if (p->outer_pid < 0)
                return log_error_errno(p->outer_pid, "Failed to start the machine's setup: %m");
        pair[1] = safe_close(pair[1]);

        r = wait_started(pair[0], p);
        if (r >= 0 && p->leader <= 0) {
                /* It died without a word: its status says how. */
                (void) wait_for_terminate(p->outer_pid, &si);
                p->outer_pid = 0;
                r = log_error_errno(SYNTHETIC_ERRNO(EIO), "Failed to start the machine: its setup died (%s).",
                                    si.si_code == CLD_EXITED ? "exited" : sigabbrev_np(si.si_status) ?: "?");
        }
        /* Otherwise the outer child is reaped later: its mount namespace,
         * going away as it exits, takes a while, and init is running. */
        return r;
}

void machine_stop_processes(MachineProcesses *p) {
        if (p->outer_pid > 0) {
                (void) wait_for_terminate(p->outer_pid, NULL);
                p->outer_pid = 0;
        }
        if (p->leader > 0) {
                (void) pidfd_send_signal(p->leader_pidfd, SIGKILL, NULL, 0);
                (void) wait_for_terminate(p->leader, NULL);
                p->leader = 0;
        }
}
