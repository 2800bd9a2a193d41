/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth freeze, berth thaw: a whole machine stops being scheduled and goes
 * on where it was (machine-freeze.h). */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "machine-freeze.h"
#include "running.h"
#include "verbs.h"

static int freeze_one(const char *name, bool freeze) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        int r;

        r = machine_get(name, &m);
        if (r < 0)
                return r;
        r = machine_cgroup_freeze(&m.cgroup, freeze);
        if (r == -EOPNOTSUPP)
                return log_error_errno(r, "Can't %s machine '%s': the host's cgroup2 tree has no freezer.",
                                       freeze ? "freeze" : "thaw", name);
        if (r == -ETIMEDOUT)
                return log_error_errno(r,
                                       "Machine '%s' did not freeze within 10s (a process stuck in the kernel?); "
                                       "left running.",
                                       name);
        if (r < 0)
                return log_error_errno(r, "Failed to %s machine '%s': %m", freeze ? "freeze" : "thaw", name);
        return 0;
}

static int freeze_verb(int argc, char *argv[], bool freeze, const char *usage) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int opt, ret = 0;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (opt == 'h') {
                        printf("%s", usage);
                        return 0;
                }
                return verb_bad_option(argv[0], opt, argv);
        }
        if (optind >= argc)
                return log_usage("'berth %s' needs at least one machine name.", argv[0]);

        for (int i = optind; i < argc; i++) {
                int r = freeze_one(argv[i], freeze);
                ret = ret ?: r;
        }
        return ret;
}

int verb_freeze(int argc, char *argv[]) {
        return freeze_verb(argc, argv, true,
                           "berth freeze NAME…\n\n"
                           "Freeze running machines: every process in them stops being scheduled,\n"
                           "where it is, until 'berth thaw'. The machine's state is then 'frozen'.\n"
                           "Stopping or terminating a frozen machine thaws it first.\n\n"
                           "  -h --help  Show this help\n");
}

int verb_thaw(int argc, char *argv[]) {
        return freeze_verb(argc, argv, false,
                           "berth thaw NAME…\n\n"
                           "Thaw frozen machines: their processes go on where they were.\n\n"
                           "  -h --help  Show this help\n");
}
