/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>

#include "cgroup.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "log.h"
#include "machine-name.h"
#include "machine-ref.h"
#include "output.h"
#include "path-util.h"
#include "process-util.h"
#include "registry.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "userns.h"
#include "verbs.h"

/* Parses the options every machine verb has (--help, --json), leaving the
 * positional arguments at argv[optind]. */
static int parse_common(int argc, char *argv[], const char *usage, bool allow_json, bool *ret_json, bool *ret_help) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        int opt;

        *ret_help = false;
        if (ret_json)
                *ret_json = false;
        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        printf("%s", usage);
                        *ret_help = true;
                        return 0;
                case 'j':
                        if (!allow_json)
                                return log_usage("Unknown option '--json' for 'berth %s'.", argv[0]);
                        *ret_json = true;
                        break;
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }
        return 0;
}

static void os_of(const MachineRecord *m, char **ret_id, char **ret_version) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = open(m->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        *ret_id = *ret_version = NULL;
        if (fd < 0 || os_release_read(fd, &text) < 0)
                return;
        (void) env_text_get(text, "ID", ret_id);
        (void) env_text_get(text, "VERSION_ID", ret_version);
}

static const Column list_columns[] = {
        { "MACHINE", "machine" }, { "CLASS", "class" },     { "SERVICE", "service" }, { "STATE", "state" },
        { "OS", "os" },           { "VERSION", "version" }, { "LEADER", "leader" },
};

static int add_machine_row(Table *t, const MachineRecord *m) {
        _cleanup_free_ char *os = NULL, *version = NULL;
        int r = 0;

        os_of(m, &os, &version);
        r = r ?: table_add_string(t, m->name);
        r = r ?: table_add_string(t, m->class);
        r = r ?: table_add_string(t, m->service);
        r = r ?: table_add_string(t, machine_state_to_string(m->state));
        r = r ?: table_add_string(t, os);
        r = r ?: table_add_string(t, version);
        r = r ?: (m->leader > 0 ? table_add_uint(t, (uint64_t) m->leader) : table_add_null(t));
        return r;
}

int verb_list(int argc, char *argv[]) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_strv_free_ char **names = NULL;
        bool json, help;
        int r;

        r = parse_common(argc, argv,
                         "berth list [--json]\n\nList running machines.\n\n"
                         "  --json     One JSON array on stdout\n  -h --help  Show this help\n",
                         true, &json, &help);
        if (r < 0 || help)
                return r;
        if (optind < argc)
                return log_usage("'berth list' takes no arguments.");

        (void) registry_gc(MACHINES_DIR);
        (void) userns_gc_range_locks(BERTH_RUNTIME_DIR "/uid-range");
        r = registry_list_names(MACHINES_DIR, &names);
        if (r < 0)
                return log_error_errno(r, "Failed to list machines: %m");

        t = table_new(list_columns, ELEMENTSOF(list_columns));
        if (!t)
                return log_oom();
        STRV_FOREACH(name, names) {
                MachineRecord m;

                if (registry_read(MACHINES_DIR, *name, &m) < 0)
                        continue; /* gone meanwhile */
                r = add_machine_row(t, &m);
                machine_record_done(&m);
                if (r < 0)
                        return log_oom();
        }

        r = json ? table_print_json(t, stdout) : table_print(t, stdout, "machine", "machines");
        return r < 0 ? log_oom() : 0;
}

typedef int (*machine_action_t)(const MachineRecord *m);

static int for_each_machine(int argc, char *argv[], const char *usage, machine_action_t action) {
        bool help;
        int r, ret = 0;

        r = parse_common(argc, argv, usage, false, NULL, &help);
        if (r < 0 || help)
                return r;
        if (optind >= argc)
                return log_usage("'berth %s' needs at least one machine name.", argv[0]);

        for (int i = optind; i < argc; i++) {
                MachineRecord m;

                r = machine_get(argv[i], &m);
                if (r >= 0) {
                        r = action(&m);
                        machine_record_done(&m);
                }
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

static int poweroff_one(const MachineRecord *m) {
        int r;

        /* A booted init powers off on SIGRTMIN+4 (as machinectl sends it);
         * a command run as PID 1 can't be asked, so its supervisor stops it. */
        if (streq_ptr(m->mode, "run"))
                r = machine_ref_signal_supervisor(m, SIGTERM);
        else
                r = machine_ref_signal_leader(m, SIGRTMIN + 4);
        if (r < 0)
                return log_error_errno(r, "Failed to power off machine '%s': %m", m->name);
        return 0;
}

static int terminate_one(const MachineRecord *m) {
        _cleanup_free_ char *payload = path_join(m->cgroup, "payload");
        _cleanup_free_ char *path = NULL;
        int r;

        if (!payload)
                return log_oom();
        /* Everything in the machine at once; its supervisor sees init die
         * and cleans up. */
        path = path_join(m->unified_mount, payload);
        if (!path)
                return log_oom();
        r = machine_ref_signal_leader(m, SIGKILL);
        if (r >= 0) {
                _cleanup_free_ char *kill_file = path_join(path, "cgroup.kill");
                if (kill_file)
                        (void) write_string_file(kill_file, "1", WRITE_FILE_NO_NEWLINE);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to terminate machine '%s': %m", m->name);
        return 0;
}

int verb_poweroff(int argc, char *argv[]) {
        return for_each_machine(argc, argv,
                                "berth poweroff NAME…\n\nAsk machines to power off (their init shuts down).\n\n"
                                "  -h --help  Show this help\n",
                                poweroff_one);
}

int verb_terminate(int argc, char *argv[]) {
        return for_each_machine(argc, argv,
                                "berth terminate NAME…\n\nKill machines now, without a shutdown.\n\n"
                                "  -h --help  Show this help\n",
                                terminate_one);
}
