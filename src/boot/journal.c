/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The supervisor and the journal. Under a unit (berth@.service), our
 * messages go to the journal natively, with their priority and the
 * machine's name in MACHINE=, so that `journalctl -u berth@NAME` and
 * `journalctl MACHINE=NAME` find them. */

#include <systemd/sd-journal.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"

static const char *journal_machine;
static pid_t journal_pid;

static int journal_sink(int level, const char *message, void *userdata) {
        /* Only from the supervisor itself: its children share its memory
         * but not, after a while, its view of /run/systemd/journal. */
        if (getpid() != journal_pid)
                return -ECHILD;
        return sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", level, "MACHINE=%s", journal_machine,
                               "SYSLOG_IDENTIFIER=berth", NULL);
}

void machine_log_to_journal(const char *name) {
        journal_machine = name;
        journal_pid = getpid();
        log_set_journal_sink(name ? journal_sink : NULL, NULL);
}
