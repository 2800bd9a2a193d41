/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <signal.h>
#include <sys/wait.h>

#include "start.h"
#include "process-util.h"

/* PID 1 for `berth run --as-pid2`: a command that does not expect to be
 * PID 1 runs as PID 2. We reap every orphan, pass on requests to stop, and
 * end with the command's exit status (the kernel then kills what is left). */
int stub_init(pid_t main_child) {
        static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGRTMIN + 3); /* systemd's halt */
        sigaddset(&mask, SIGRTMIN + 4); /* systemd's poweroff */
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&mask, forwarded[i]);
        /* Blocked signals are queued even for a PID 1 without handlers. */
        if (sigprocmask(SIG_SETMASK, &mask, NULL) < 0)
                return EXIT_FAILURE;

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&mask, &si);

                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        /* A poweroff or halt request means: stop the command. */
                        (void) kill(main_child, sig >= SIGRTMIN ? SIGTERM : sig);
                        continue;
                }

                for (;;) {
                        int status;
                        pid_t pid = waitpid(-1, &status, WNOHANG);

                        if (pid <= 0)
                                break;
                        if (pid != main_child)
                                continue;
                        if (WIFEXITED(status))
                                return WEXITSTATUS(status);
                        return 128 + WTERMSIG(status);
                }
        }
}
