/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "console-log.h"
#include "record.h"

/* The machine's console: a pty whose slave is the machine's /dev/console
 * (none in pipe mode: then the machine gets our stdio), and the file of
 * its last lines for `berth status`. */

typedef struct MachineConsole {
        ConsoleMode mode; /* resolved: never autopipe */
        int pty_master;
        int pty_slave; /* kept open, so that the master never sees a hangup */
        char *pty_slave_path;
        ConsoleLog *log;
} MachineConsole;

#define MACHINE_CONSOLE_NULL \
        { .pty_master = -EBADF, .pty_slave = -EBADF }

int machine_setup_console(const BootConfig *c, const char *name, uid_t uid_base, Record *rec, MachineConsole *con);
/* Closes the pty and removes the log. */
void machine_console_done(MachineConsole *con);
