/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth stats: what machines used (cgroup-stats.h), for people as a table
 * and for schedulers as one JSON document; and the same figures as
 * properties of berth show. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-stats.h"
#include "log.h"
#include "machine-paths.h"
#include "output.h"
#include "registry.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "verbs.h"

static const Column stats_columns[] = {
        { "MACHINE", "machine" },
        { "STATE", "state" },
        { "CPU", "cpu_text", COLUMN_TEXT_ONLY },
        { "CPU", "cpu_usec", COLUMN_JSON_ONLY },
        { "USER", "cpu_user_usec", COLUMN_JSON_ONLY },
        { "SYSTEM", "cpu_system_usec", COLUMN_JSON_ONLY },
        { "MEMORY", "memory_text", COLUMN_TEXT_ONLY },
        { "MEMORY", "memory_current", COLUMN_JSON_ONLY },
        { "PEAK", "peak_text", COLUMN_TEXT_ONLY },
        { "PEAK", "memory_peak", COLUMN_JSON_ONLY },
        { "SWAP", "swap_text", COLUMN_TEXT_ONLY },
        { "SWAP", "swap_current", COLUMN_JSON_ONLY },
        { "TASKS", "tasks" },
        { "IO READ", "io_read_text", COLUMN_TEXT_ONLY },
        { "IO READ", "io_read_bytes", COLUMN_JSON_ONLY },
        { "IO WRITE", "io_write_text", COLUMN_TEXT_ONLY },
        { "IO WRITE", "io_write_bytes", COLUMN_JSON_ONLY },
        { "READS", "io_read_ops", COLUMN_JSON_ONLY },
        { "WRITES", "io_write_ops", COLUMN_JSON_ONLY },
        { "NET RX", "net_rx_text", COLUMN_TEXT_ONLY },
        { "NET RX", "net_rx_bytes", COLUMN_JSON_ONLY },
        { "NET TX", "net_tx_text", COLUMN_TEXT_ONLY },
        { "NET TX", "net_tx_bytes", COLUMN_JSON_ONLY },
        { "SINCE", "since", COLUMN_JSON_ONLY },
};

static int add_amount(Table *t, uint64_t v) {
        return v == UINT64_MAX ? table_add_null(t) : table_add_uint(t, v);
}

static int add_bytes_text(Table *t, uint64_t v) {
        char b[FORMAT_BYTES_MAX];

        return table_add_string(t, v == UINT64_MAX ? NULL : format_bytes(b, sizeof b, v));
}

/* Bytes for people, then for scripts. */
static int add_bytes(Table *t, uint64_t v) {
        return add_bytes_text(t, v) ?: add_amount(t, v);
}

/* "12.3s (user 10.1s, system 2.2s)" */
static int add_cpu_text(Table *t, const MachineStats *s) {
        char buf[96];

        if (s->cpu_usec == UINT64_MAX)
                return table_add_null(t);
        snprintf(buf, sizeof buf, "%.1fs", (double) s->cpu_usec / USEC_PER_SEC);
        if (s->cpu_user_usec != UINT64_MAX && s->cpu_system_usec != UINT64_MAX) {
                size_t n = strlen(buf);
                snprintf(buf + n, sizeof buf - n, " (user %.1fs, sys %.1fs)", (double) s->cpu_user_usec / USEC_PER_SEC,
                         (double) s->cpu_system_usec / USEC_PER_SEC);
        }
        return table_add_string(t, buf);
}

static int add_stats_row(Table *t, const MachineRecord *m) {
        MachineStats s;
        int r;

        r = machine_stats_read(&m->cgroup, m->link, m->supervisor, &s);
        if (r < 0)
                return r;
        r = r ?: table_add_string(t, m->name);
        r = r ?: table_add_string(t, machine_state_text(m));
        r = r ?: add_cpu_text(t, &s);
        r = r ?: add_amount(t, s.cpu_usec);
        r = r ?: add_amount(t, s.cpu_user_usec);
        r = r ?: add_amount(t, s.cpu_system_usec);
        r = r ?: add_bytes(t, s.memory_current);
        r = r ?: add_bytes(t, s.memory_peak);
        r = r ?: add_bytes(t, s.swap_current);
        r = r ?: add_amount(t, s.tasks);
        r = r ?: add_bytes(t, s.io_read_bytes);
        r = r ?: add_bytes(t, s.io_write_bytes);
        r = r ?: add_amount(t, s.io_read_ops);
        r = r ?: add_amount(t, s.io_write_ops);
        r = r ?: add_bytes(t, s.net_rx_bytes);
        r = r ?: add_bytes(t, s.net_tx_bytes);
        r = r ?: (m->since > 0 ? table_add_uint(t, m->since) : table_add_null(t));
        return r;
}

/* The names given, or every running machine's. */
static int stats_names(char **args, char ***ret) {
        int r;

        if (*args) {
                *ret = strv_copy(args);
                return *ret ? 0 : log_oom();
        }
        (void) registry_gc(MACHINES_DIR, cli_bus());
        r = registry_list_names(MACHINES_DIR, ret);
        return r < 0 ? log_error_errno(r, "Failed to list machines: %m") : 0;
}

int verb_stats(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },
                {},
        };
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_strv_free_ char **names = NULL;
        bool json = false, named;
        int opt, r, ret = 0;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (opt == 'h') {
                        printf("berth stats [NAME…] [--json]\n\n"
                               "Show what running machines (all, or those named) used since they started:\n"
                               "CPU time (user, system), memory now and at its peak, swap, tasks, block\n"
                               "I/O bytes and operations, network bytes where the machine has a link of\n"
                               "its own. Figures the host does not count are '-' (null in JSON).\n\n"
                               "     --json  One JSON array on stdout, an object per machine\n"
                               "  -h --help  Show this help\n");
                        return 0;
                }
                if (opt != 'j')
                        return verb_bad_option(argv[0], opt, argv);
                json = true;
        }
        named = optind < argc;
        r = stats_names(argv + optind, &names);
        if (r < 0)
                return r;

        t = table_new(stats_columns, ELEMENTSOF(stats_columns));
        if (!t)
                return log_oom();
        STRV_FOREACH(name, names) {
                MachineRecord m;

                /* Named: each must run. All: those gone meanwhile are not. */
                r = named ? machine_get(*name, &m) : registry_read(MACHINES_DIR, *name, &m);
                if (r < 0) {
                        ret = named ? (ret ?: r) : ret;
                        continue;
                }
                r = add_stats_row(t, &m);
                machine_record_done(&m);
                if (r < 0)
                        return log_oom();
        }

        if (named && table_rows(t) == 0)
                return ret;
        r = json ? table_print_json(t, stdout) : table_print(t, stdout, "machine", "machines");
        if (r < 0)
                return log_error_errno(r, "Failed to show the machines: %m");
        return ret;
}

/* --- For show ------------------------------------------------------------- */

/* A figure as systemctl show prints one, then as JSON. */
static int add_show_figure(Table *t, uint64_t v) {
        char buf[DECIMAL_STR_MAX(uint64_t)];

        if (v == UINT64_MAX)
                return table_add_string(t, "[not set]") ?: table_add_null(t);
        snprintf(buf, sizeof buf, "%" PRIu64, v);
        return table_add_string(t, buf) ?: table_add_uint(t, v);
}

static uint64_t nsec(uint64_t usec) {
        return usec == UINT64_MAX ? usec : usec * 1000;
}

int machine_show_stats(Table *t, const MachineRecord *m) {
        MachineStats s;
        int r;

        r = machine_stats_read(&m->cgroup, m->link, m->supervisor, &s);
        if (r < 0)
                return r;
        r = r ?: add_show_figure(t, nsec(s.cpu_usec));
        r = r ?: add_show_figure(t, nsec(s.cpu_user_usec));
        r = r ?: add_show_figure(t, nsec(s.cpu_system_usec));
        r = r ?: add_show_figure(t, s.memory_peak);
        r = r ?: add_show_figure(t, s.swap_current);
        r = r ?: add_show_figure(t, s.io_read_bytes);
        r = r ?: add_show_figure(t, s.io_write_bytes);
        r = r ?: add_show_figure(t, s.io_read_ops);
        r = r ?: add_show_figure(t, s.io_write_ops);
        r = r ?: add_show_figure(t, s.net_rx_bytes);
        r = r ?: add_show_figure(t, s.net_tx_bytes);
        return r;
}
