/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "fd-util.h"
#include "log.h"
#include "machine-paths.h"

void machine_console_done(MachineConsole *con) {
        con->pty_master = safe_close(con->pty_master);
        con->pty_slave = safe_close(con->pty_slave);
        free(con->pty_slave_path);
        con->pty_slave_path = NULL;
        con->log = console_log_free(con->log);
}

static int open_pty(uid_t uid_base, MachineConsole *con) {
        char name[64];

        con->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (con->pty_master < 0)
                return log_error_errno(errno, "Failed to allocate the console pty: %m");
        if (unlockpt(con->pty_master) < 0 || ptsname_r(con->pty_master, name, sizeof name) != 0)
                return log_error_errno(errno, "Failed to set up the console pty: %m");
        con->pty_slave_path = strdup(name);
        if (!con->pty_slave_path)
                return log_oom();

        /* The machine's root owns its console; group tty (5) inside. */
        if (chown(name, uid_base, uid_base + 5) < 0 || chmod(name, 0620) < 0)
                return log_error_errno(errno, "Failed to hand the console pty to the machine: %m");

        con->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (con->pty_slave < 0)
                return log_error_errno(errno, "Failed to open the console pty: %m");
        return 0;
}

int machine_setup_console(const BootConfig *c, const char *name, uid_t uid_base, Record *rec, MachineConsole *con) {
        _cleanup_free_ char *log = NULL;
        int r;

        con->mode = console_mode_resolve(c->console, c->mode, isatty(STDIN_FILENO), isatty(STDOUT_FILENO));
        if (con->mode == CONSOLE_PIPE) {
                /* The command gets our stdio as they are: pipes the
                 * machine's root can open again, as in berth shell. */
                r = stdio_give_anonymous_pipes(uid_base);
                if (r < 0)
                        log_debug_errno(r, "Failed to give our stdio pipes to the machine's root, ignoring: %m");
                return 0;
        }

        r = open_pty(uid_base, con);
        if (r < 0)
                return r;

        log = machine_console_log_path(name);
        if (!log)
                return log_oom();
        r = record_intend(rec, UNDO_FILE, log);
        if (r < 0)
                return r;
        r = console_log_open(log, &con->log);
        if (r < 0)
                return log_error_errno(r, "Failed to create the console log '%s': %m", log);
        return 0;
}
