/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fd-util.h"
#include "listen-fds.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

/* sd_listen_fds() ignores fds that are not for us without a word: say so. */
static void log_not_ours(void) {
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        pid_t p = 0;

        if (!fds)
                return;
        if (!pid || parse_pid(pid, &p) < 0 || p != getpid())
                log_debug("LISTEN_FDS=%s is not for us (LISTEN_PID=%s, we are %i): passing no sockets to the machine.",
                          fds, pid ?: "unset", (int) getpid());
}

int machine_take_listen_fds(MachineListenFds *l) {
        _cleanup_strv_free_ char **names = NULL;
        int n;

        log_not_ours();
        /* O_CLOEXEC from here on: no helper of ours inherits them. */
        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to take the sockets passed to us (LISTEN_FDS=): %m");
        if (n == 0)
                return 0;

        l->n = (size_t) n;
        l->names = TAKE_PTR(names);
        if (log_get_max_level() >= LOG_DEBUG) {
                _cleanup_free_ char *list = strv_join(l->names, ", ");

                log_debug("Passing %i socket(s) to the machine: %s.", n, list ?: "?");
        }
        return 0;
}

void machine_listen_fds_done(MachineListenFds *l) {
        for (size_t i = 0; i < l->n; i++)
                safe_close(SD_LISTEN_FDS_START + (int) i);
        l->names = strv_free(l->names);
        l->n = 0;
}

int listen_fds_install(const MachineListenFds *l, char ***env) {
        _cleanup_free_ char *names = NULL;
        char n[16];
        int r;

        if (l->n == 0)
                return 0;
        for (size_t i = 0; i < l->n; i++) {
                r = fd_set_cloexec(SD_LISTEN_FDS_START + (int) i, false);
                if (r < 0)
                        return r;
        }

        names = strv_join(l->names, ":");
        if (!names)
                return -ENOMEM;
        (void) snprintf(n, sizeof(n), "%zu", l->n);
        r = strv_env_setf(env, "LISTEN_FDS", n);
        return r < 0 ? r : strv_env_setf(env, "LISTEN_FDNAMES", names);
}

int listen_fds_set_pid(const MachineListenFds *l, char ***env) {
        char pid[16];

        if (l->n == 0)
                return 0;
        (void) snprintf(pid, sizeof(pid), "%i", (int) getpid());
        return strv_env_setf(env, "LISTEN_PID", pid);
}
