/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "chase.h"
#include "caps.h"
#include "console-log.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "log.h"
#include "machine-name.h"
#include "machine-ref.h"
#include "systemd-manager.h"
#include "output.h"
#include "path-util.h"
#include "process-util.h"
#include "registry.h"
#include "running.h"
#include "string-table.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"
#include "userns.h"
#include "verbs.h"

#define STATUS_CONSOLE_LINES 10
#define STOP_TIMEOUT_DEFAULT (90 * USEC_PER_SEC)
/* After SIGKILL, how long the supervisor may take to clean up. */
#define TERMINATE_GRACE (10 * USEC_PER_SEC)
#define POLL_INTERVAL (50 * USEC_PER_MSEC)

/* The options of the machine verbs: one table, of which each verb takes
 * the options it names (help for all). */
typedef enum ArgSet {
        ARG_JSON = 1 << 0,
        ARG_PROPERTY = 1 << 1,
        ARG_VALUE = 1 << 2,
        ARG_SIGNAL = 1 << 3,
        ARG_KILL_WHOM = 1 << 4,
        ARG_TIMEOUT = 1 << 5,
} ArgSet;

typedef struct Args {
        bool help;
        bool json;
        bool value;
        char **properties; /* NULL: all */
        int signal;
        KillWhom whom;
        usec_t timeout;
} Args;

static void args_done(Args *a) {
        a->properties = strv_free(a->properties);
}

enum {
        OPT_JSON = 0x100,
        OPT_VALUE,
        OPT_KILL_WHOM,
        OPT_TIMEOUT,
};

/* clang-format off */
static const struct {
        struct option option;
        const char *short_option; /* for getopt's option string */
        ArgSet set;               /* 0: every verb */
} machine_options[] = {
        { { "help",      no_argument,       NULL, 'h'           }, "h",  0             },
        { { "json",      no_argument,       NULL, OPT_JSON      }, "",   ARG_JSON      },
        { { "property",  required_argument, NULL, 'p'           }, "p:", ARG_PROPERTY  },
        { { "value",     no_argument,       NULL, OPT_VALUE     }, "",   ARG_VALUE     },
        { { "signal",    required_argument, NULL, 's'           }, "s:", ARG_SIGNAL    },
        { { "kill-whom", required_argument, NULL, OPT_KILL_WHOM }, "",   ARG_KILL_WHOM },
        { { "timeout",   required_argument, NULL, OPT_TIMEOUT   }, "",   ARG_TIMEOUT   },
};
/* clang-format on */

/* "TERM", "SIGTERM", "term", "15", "RTMIN", "SIGRTMIN+4", "RTMAX-2": as
 * kill(1) and systemd take them. Signal 0 is no signal: refused. */
static int parse_signal(const char *s, int *ret) {
        const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        int sig = 0, k;

        if (isdigit((unsigned char) s[0])) {
                if (safe_atoi(s, &sig) < 0)
                        return -EINVAL;
        } else if (strncasecmp(n, "RTMIN", 5) == 0 || strncasecmp(n, "RTMAX", 5) == 0) {
                bool max = toupper((unsigned char) n[4]) == 'X';

                sig = max ? SIGRTMAX : SIGRTMIN;
                n += 5;
                if (*n) {
                        if (*n != (max ? '-' : '+') || !isdigit((unsigned char) n[1]) || safe_atoi(n + 1, &k) < 0 ||
                            k > SIGRTMAX - SIGRTMIN)
                                return -EINVAL;
                        sig += max ? -k : k;
                }
        } else
                for (int i = 1; i < SIGRTMIN; i++) {
                        const char *abbrev = sigabbrev_np(i);

                        if (abbrev && strcasecmp(abbrev, n) == 0) {
                                sig = i;
                                break;
                        }
                }
        if (sig < 1 || sig > SIGRTMAX)
                return -EINVAL;
        *ret = sig;
        return 0;
}

#define SIGNAL_NAME_MAX 24
static const char *signal_name(int sig, char buf[static SIGNAL_NAME_MAX]) {
        const char *abbrev = sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

        if (abbrev)
                snprintf(buf, SIGNAL_NAME_MAX, "SIG%s", abbrev);
        else if (sig >= SIGRTMIN)
                snprintf(buf, SIGNAL_NAME_MAX, "SIGRTMIN+%i", sig - SIGRTMIN);
        else
                snprintf(buf, SIGNAL_NAME_MAX, "signal %i", sig);
        return buf;
}

static void print_signals(void) {
        char buf[SIGNAL_NAME_MAX];

        for (int i = 1; i < SIGRTMIN; i++)
                if (sigabbrev_np(i))
                        printf("%s\n", signal_name(i, buf));
        printf("SIGRTMIN+N (N: 0…%i)\n", SIGRTMAX - SIGRTMIN);
}

/* -p Name,State -p Leader: the names, in one list. */
static int add_properties(char ***l, const char *arg) {
        const char *p = arg;

        for (;;) {
                _cleanup_free_ char *name = NULL;
                int r = extract_field(&p, ',', &name);

                if (r < 0)
                        return r;
                if (!name)
                        break;
                if (!isempty(name) && strv_consume(l, TAKE_PTR(name)) < 0)
                        return -ENOMEM;
        }
        /* "-p ''" still selects: nothing. */
        if (!*l) {
                *l = calloc(1, sizeof(char *));
                if (!*l)
                        return -ENOMEM;
        }
        return 0;
}

/* One option of the machine verbs: 0, or < 0 after logging. */
static int parse_arg(Args *a, int opt, const char *arg) {
        switch (opt) {
        case OPT_JSON:
                a->json = true;
                return 0;
        case 'p':
                return add_properties(&a->properties, arg) < 0 ? log_oom() : 0;
        case OPT_VALUE:
                a->value = true;
                return 0;
        case 's':
                if (streq(arg, "help")) {
                        print_signals();
                        a->help = true;
                        return 0;
                }
                if (parse_signal(arg, &a->signal) < 0)
                        return verb_bad_value("signal", arg,
                                              "expected a signal name or number such as SIGTERM, HUP, 9 or RTMIN+4");
                return 0;
        case OPT_KILL_WHOM:
                a->whom = kill_whom_from_string(arg);
                if (a->whom < 0)
                        return verb_bad_value("kill-whom", arg, "expected leader or all");
                return 0;
        case OPT_TIMEOUT:
                if (parse_sec(arg, &a->timeout) < 0 || a->timeout == 0)
                        return verb_bad_value("timeout", arg, "expected a time span such as 30, 90s, 5min or infinity");
                return 0;
        default:
                assert_not_reached();
        }
}

/* Parses the options of a machine verb (those in set, and --help), leaving
 * the positional arguments at argv[optind]. Options may follow the names,
 * as with machinectl: no name starts with '-'. */
static int parse_args(int argc, char *argv[], const char *usage, ArgSet set, Args *a) {
        struct option options[ELEMENTSOF(machine_options) + 1] = {};
        char short_options[16] = ":";
        size_t n = 0;
        int opt, r;

        *a = (Args) { .signal = SIGTERM, .whom = KILL_WHOM_ALL, .timeout = STOP_TIMEOUT_DEFAULT };
        for (size_t i = 0; i < ELEMENTSOF(machine_options); i++)
                if (machine_options[i].set == 0 || (machine_options[i].set & set)) {
                        options[n++] = machine_options[i].option;
                        strcat(short_options, machine_options[i].short_option);
                }

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, short_options, options, NULL)) >= 0) {
                if (opt == 'h') {
                        printf("%s", usage);
                        a->help = true;
                        return 0;
                }
                if (opt == '?' || opt == ':')
                        return verb_bad_option(argv[0], opt, argv);
                r = parse_arg(a, opt, optarg);
                if (r < 0 || a->help)
                        return r;
        }
        return 0;
}

/* The machine's os-release as the machine sees it (an ephemeral machine's
 * overlay, a tree changed since boot): through its leader's root. The
 * tree's own, if the leader can't be reached. */
static int machine_os_release(const MachineRecord *m, char **ret) {
        _cleanup_close_ int pidfd = -EBADF, root = -EBADF;
        char path[64];

        if (machine_ref_open_leader(m, &pidfd) >= 0) {
                snprintf(path, sizeof path, "/proc/%i/root", m->leader);
                root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                        root = safe_close(root);
                if (root >= 0 && os_release_read(root, ret) >= 0)
                        return 0;
                root = safe_close(root);
        }
        root = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        return os_release_read(root, ret);
}

static void os_of(const MachineRecord *m, char **ret_id, char **ret_version) {
        _cleanup_free_ char *text = NULL;

        *ret_id = *ret_version = NULL;
        if (machine_os_release(m, &text) < 0)
                return;
        (void) env_text_get(text, "ID", ret_id);
        (void) env_text_get(text, "VERSION_ID", ret_version);
}

static const Column list_columns[] = {
        { "MACHINE", "machine" }, { "CLASS", "class" },     { "SERVICE", "service" },     { "STATE", "state" },
        { "OS", "os" },           { "VERSION", "version" }, { "ADDRESSES", "addresses" }, { "LEADER", "leader" },
};

/* The machine's addresses without their prefix lengths, as machinectl
 * shows them. */
static int add_addresses(Table *t, char *const *with_prefix) {
        _cleanup_strv_free_ char **l = NULL;

        STRV_FOREACH(a, (char **) with_prefix) {
                char *p = strndup(*a, strcspn(*a, "/"));
                if (!p || strv_consume(&l, p) < 0)
                        return -ENOMEM;
        }
        return table_add_strv(t, l);
}

static int add_machine_row(Table *t, const MachineRecord *m) {
        _cleanup_free_ char *os = NULL, *version = NULL;
        int r = 0;

        os_of(m, &os, &version);
        r = r ?: table_add_string(t, m->name);
        r = r ?: table_add_string(t, m->class);
        r = r ?: table_add_string(t, m->service);
        r = r ?: table_add_string(t, machine_state_text(m));
        r = r ?: table_add_string(t, os);
        r = r ?: table_add_string(t, version);
        r = r ?: add_addresses(t, m->addresses);
        r = r ?: (m->leader > 0 ? table_add_uint(t, (uint64_t) m->leader) : table_add_null(t));
        return r;
}

int verb_list(int argc, char *argv[]) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_(args_done) Args a = {};
        int r;

        r = parse_args(argc, argv,
                       "berth list [--json]\n\nList running machines.\n\n"
                       "     --json  One JSON array on stdout\n  -h --help  Show this help\n",
                       ARG_JSON, &a);
        if (r < 0 || a.help)
                return r;
        if (optind < argc)
                return log_usage("'berth list' takes no arguments.");

        (void) registry_gc(MACHINES_DIR, cli_bus());
        (void) userns_gc_range_locks(UID_RANGE_DIR);
        (void) remove_stale_temporaries(SECCOMP_DIR);
        (void) remove_stale_temporaries(CACHE_DIR);
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

        r = a.json ? table_print_json(t, stdout) : table_print(t, stdout, "machine", "machines");
        return r < 0 ? log_error_errno(r, "Failed to show the machines: %m") : 0;
}

typedef int (*machine_action_t)(const MachineRecord *m, const Args *a);

/* The verbs that act on each machine named: all are tried, the first
 * failure is returned. */
static int for_each_machine(int argc, char *argv[], const char *usage, ArgSet set, machine_action_t action) {
        _cleanup_(args_done) Args a = {};
        int r, ret = 0;

        r = parse_args(argc, argv, usage, set, &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc)
                return log_usage("'berth %s' needs at least one machine name.", argv[0]);

        for (int i = optind; i < argc; i++) {
                MachineRecord m;

                r = machine_get(argv[i], &m);
                if (r >= 0) {
                        r = action(&m, &a);
                        machine_record_done(&m);
                }
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

static int poweroff_one(const MachineRecord *m, const Args *a) {
        int r;

        /* A booted init powers off on SIGRTMIN+4 (as machinectl sends it);
         * a command run as PID 1 can't be asked, so its supervisor stops it. */
        r = machine_thaw_if_frozen(m);
        if (r < 0)
                return r;
        if (streq_ptr(m->mode, "run"))
                r = machine_ref_signal_supervisor(m, SIGTERM);
        else
                r = machine_ref_signal_leader(m, SIGRTMIN + 4);
        if (r < 0)
                return log_error_errno(r, "Failed to power off machine '%s': %m", m->name);
        return 0;
}

static int reboot_one(const MachineRecord *m, const Args *a) {
        int r;

        /* SIGINT is systemd's ctrl-alt-del: it reboots; the supervisor sees
         * init end with a reboot and exits 133. A command run as PID 1 has
         * no such request to answer. */
        if (streq_ptr(m->mode, "run"))
                return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                       "Machine '%s' runs a command, not an init: it can't be rebooted.", m->name);
        r = machine_thaw_if_frozen(m);
        if (r < 0)
                return r;
        r = machine_ref_signal_leader(m, SIGINT);
        if (r < 0)
                return log_error_errno(r, "Failed to reboot machine '%s': %m", m->name);
        return 0;
}

static int terminate_one(const MachineRecord *m, const Args *a) {
        _cleanup_free_ char *payload = path_join(m->cgroup.path, "payload");
        _cleanup_free_ char *path = NULL;
        int r;

        if (!payload)
                return log_oom();
        /* Everything in the machine at once; its supervisor sees init die
         * and cleans up. */
        path = path_join(m->cgroup.unified_mount, payload);
        if (!path)
                return log_oom();
        /* A frozen machine dies too, but its init would be reaped only
         * once thawed. */
        (void) machine_thaw_if_frozen(m);
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

static int kill_one(const MachineRecord *m, const Args *a) {
        char sig[SIGNAL_NAME_MAX];
        int r;

        r = machine_ref_kill(m, a->whom, a->signal);
        if (r < 0)
                return log_error_errno(r, "Failed to send %s to %s of machine '%s': %m", signal_name(a->signal, sig),
                                       a->whom == KILL_WHOM_LEADER ? "the leader" : "the processes", m->name);
        return 0;
}

int verb_poweroff(int argc, char *argv[]) {
        return for_each_machine(argc, argv,
                                "berth poweroff NAME…\n\nAsk machines to power off (their init shuts down).\n\n"
                                "  -h --help  Show this help\n",
                                0, poweroff_one);
}

int verb_reboot(int argc, char *argv[]) {
        return for_each_machine(argc, argv,
                                "berth reboot NAME…\n\nAsk booted machines to reboot (SIGINT to their init; once it\n"
                                "has shut down, the machine's supervisor exits with status 133).\n\n"
                                "  -h --help  Show this help\n",
                                0, reboot_one);
}

int verb_terminate(int argc, char *argv[]) {
        return for_each_machine(argc, argv,
                                "berth terminate NAME…\n\nKill machines now, without a shutdown.\n\n"
                                "  -h --help  Show this help\n",
                                0, terminate_one);
}

int verb_kill(int argc, char *argv[]) {
        return for_each_machine(argc, argv,
                                "berth kill NAME… [--signal=SIG] [--kill-whom=leader|all]\n\n"
                                "Send a signal to the processes of machines.\n\n"
                                "  -s --signal=SIG         The signal: a name (SIGTERM, TERM), a number, or\n"
                                "                          RTMIN+N (default: SIGTERM; 'help' lists them)\n"
                                "     --kill-whom=leader|all\n"
                                "                          Only the machine's init, or every process in it\n"
                                "                          (default: all)\n"
                                "  -h --help               Show this help\n",
                                ARG_SIGNAL | ARG_KILL_WHOM, kill_one);
}

/* The leader's command name, read while a pidfd pins the PID: -ESRCH if the
 * leader is not (any more) the machine's. */
static int leader_comm(const MachineRecord *m, char **ret) {
        _cleanup_close_ int pidfd = -EBADF;
        _cleanup_free_ char *comm = NULL;
        char path[64];
        int r;

        r = machine_ref_open_leader(m, &pidfd);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, "/proc/%i/comm", m->leader);
        r = read_one_line_file(path, &comm);
        if (r < 0)
                return r;
        if (pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
                return -ESRCH; /* it died, and the PID may be another's now */
        *ret = TAKE_PTR(comm);
        return 0;
}

/* The texts and lists status shows besides the record's own fields. */
typedef struct MachineStatus {
        char *title;  /* "NAME(ID)", as machinectl */
        char *since;  /* "Tue 2026-11-24 10:00:00 UTC; 3min 20s ago" */
        char *comm;   /* the leader's */
        char *leader; /* "1234 (systemd)" */
        char *service;
        char *uids;
        char *os_id, *os_version, *os_pretty_name;
        char **console; /* the last lines */
        MachineLimits limits;
} MachineStatus;

static void machine_status_done(MachineStatus *s) {
        free(s->title);
        free(s->since);
        free(s->comm);
        free(s->leader);
        free(s->service);
        free(s->uids);
        free(s->os_id);
        free(s->os_version);
        free(s->os_pretty_name);
        strv_free(s->console);
        machine_limits_done(&s->limits);
}

static int machine_status_console(const MachineRecord *m, char ***ret) {
        _cleanup_free_ char *path = machine_console_log_path(m->name);
        int r;

        if (!path)
                return -ENOMEM;
        r = console_log_tail(path, STATUS_CONSOLE_LINES, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* None kept (--console=pipe), or unreadable: no lines. */
                if (r != -ENOENT)
                        log_debug_errno(r, "Failed to read the console log '%s', ignoring: %m", path);
                *ret = calloc(1, sizeof(char *));
                if (!*ret)
                        return -ENOMEM;
        }
        return 0;
}

static int machine_status_get(const MachineRecord *m, MachineStatus *s) {
        char id[ID128_STRING_MAX], ts[64], ago[64];
        _cleanup_free_ char *os_release = NULL;

        if (machine_os_release(m, &os_release) >= 0 &&
            (env_text_get(os_release, "ID", &s->os_id) < 0 ||
             env_text_get(os_release, "VERSION_ID", &s->os_version) < 0 ||
             env_text_get(os_release, "PRETTY_NAME", &s->os_pretty_name) < 0))
                return -ENOMEM;
        if (machine_status_console(m, &s->console) < 0)
                return -ENOMEM;
        (void) leader_comm(m, &s->comm);
        if (machine_limits_get(m, &s->limits) == -ENOMEM)
                return -ENOMEM;

        s->title = strdup_printf("%s(%s)", m->name, id128_to_string(m->uuid, id));
        s->service = strdup_printf("%s; class %s", strna(m->service), strna(m->class));
        if (m->uid_count > 0)
                s->uids = strdup_printf("%u (%u UIDs)", (unsigned) m->uid_base, (unsigned) m->uid_count);
        else
                s->uids = strdup("none");
        if (!s->title || !s->service || !s->uids)
                return -ENOMEM;
        if (m->since > 0) {
                usec_t n = now(CLOCK_REALTIME);

                s->since = strjoin(format_timestamp(ts, sizeof ts, m->since), "; ",
                                   format_timespan_ago(ago, sizeof ago, n > m->since ? n - m->since : 0));
                if (!s->since)
                        return -ENOMEM;
        }
        if (m->leader > 0) {
                s->leader = s->comm ? strdup_printf("%i (%s)", m->leader, s->comm) : strdup_printf("%i", m->leader);
                if (!s->leader)
                        return -ENOMEM;
        }
        return 0;
}

/* Each line for people (TEXT_ONLY) or the typed fields for scripts
 * (JSON_ONLY), or both. */
static const Column status_columns[] = {
        { "", "title", COLUMN_TEXT_ONLY },
        { "Machine", "machine", COLUMN_JSON_ONLY },
        { "Id", "id", COLUMN_JSON_ONLY },
        { "State", "state" },
        { "Since", "since_text", COLUMN_TEXT_ONLY },
        { "Since", "since", COLUMN_JSON_ONLY },
        { "Leader", "leader_text", COLUMN_TEXT_ONLY },
        { "Leader", "leader", COLUMN_JSON_ONLY },
        { "Leader command", "leader_comm", COLUMN_JSON_ONLY },
        { "Service", "service_text", COLUMN_TEXT_ONLY },
        { "Service", "service", COLUMN_JSON_ONLY },
        { "Class", "class", COLUMN_JSON_ONLY },
        { "Mode", "mode" },
        { "Root", "root" },
        { "Ephemeral", "ephemeral" },
        { "UID Shift", "uid_text", COLUMN_TEXT_ONLY },
        { "UID base", "uid_base", COLUMN_JSON_ONLY },
        { "UID count", "uid_count", COLUMN_JSON_ONLY },
        { "CGroup", "cgroup" },
        { "Memory", "memory_text", COLUMN_TEXT_ONLY },
        { "Tasks", "tasks_text", COLUMN_TEXT_ONLY },
        { "CPU", "cpu_text", COLUMN_TEXT_ONLY },
        { "Memory current", "memory_current", COLUMN_JSON_ONLY },
        { "Memory max", "memory_max", COLUMN_JSON_ONLY },
        { "Memory high", "memory_high", COLUMN_JSON_ONLY },
        { "Tasks current", "tasks_current", COLUMN_JSON_ONLY },
        { "Tasks max", "tasks_max", COLUMN_JSON_ONLY },
        { "CPU weight", "cpu_weight", COLUMN_JSON_ONLY },
        { "CPU quota", "cpu_quota_percent", COLUMN_JSON_ONLY },
        { "IO weight", "io_weight", COLUMN_JSON_ONLY },
        { "Allowed CPUs", "allowed_cpus", COLUMN_JSON_ONLY },
        { "Supervisor", "supervisor" },
        { "OS", "os_pretty_name" },
        { "OS ID", "os", COLUMN_JSON_ONLY },
        { "OS version", "version", COLUMN_JSON_ONLY },
        { "Link", "link" },
        { "Zone", "zone", COLUMN_JSON_ONLY },
        { "Addresses", "addresses" },
        { "Ports", "ports" },
        { "Console", "console" },
};

static int add_pid(Table *t, pid_t pid) {
        return pid > 0 ? table_add_uint(t, (uint64_t) pid) : table_add_null(t);
}

/* A number, or null for unknown or "infinity". */
static int add_amount(Table *t, uint64_t v) {
        return v == UINT64_MAX ? table_add_null(t) : table_add_uint(t, v);
}

static int add_limit(Table *t, const MachineLimits *l, ResourceKind k) {
        uint64_t v;

        if (machine_limits_value(l, k, &v) < 0)
                return table_add_null(t);
        if (k == RESOURCE_CPU_QUOTA && v != RESOURCE_INFINITY)
                v /= USEC_PER_SEC / 100;
        return add_amount(t, v);
}

static int add_limit_cells(Table *t, const MachineLimits *l) {
        int r = 0;

        r = r ?: table_add_string(t, l->memory_text);
        r = r ?: table_add_string(t, l->tasks_text);
        r = r ?: table_add_string(t, l->cpu_text);
        r = r ?: add_amount(t, l->usage.memory);
        r = r ?: add_limit(t, l, RESOURCE_MEMORY_MAX);
        r = r ?: add_limit(t, l, RESOURCE_MEMORY_HIGH);
        r = r ?: add_amount(t, l->usage.tasks);
        r = r ?: add_limit(t, l, RESOURCE_TASKS_MAX);
        r = r ?: add_limit(t, l, RESOURCE_CPU_WEIGHT);
        r = r ?: add_limit(t, l, RESOURCE_CPU_QUOTA);
        r = r ?: add_limit(t, l, RESOURCE_IO_WEIGHT);
        r = r ?: table_add_string(t, l->cpus_text);
        return r;
}

static int add_status_row(Table *t, const MachineRecord *m, const MachineStatus *s) {
        char id[ID128_STRING_MAX];
        int r = 0;

        r = r ?: table_add_string(t, s->title);
        r = r ?: table_add_string(t, m->name);
        r = r ?: table_add_string(t, id128_to_string(m->uuid, id));
        r = r ?: table_add_string(t, machine_state_text(m));
        r = r ?: table_add_string(t, s->since);
        r = r ?: (m->since > 0 ? table_add_uint(t, m->since) : table_add_null(t));
        r = r ?: table_add_string(t, s->leader);
        r = r ?: add_pid(t, m->leader);
        r = r ?: table_add_string(t, s->comm);
        r = r ?: table_add_string(t, s->service);
        r = r ?: table_add_string(t, m->service);
        r = r ?: table_add_string(t, m->class);
        r = r ?: table_add_string(t, m->mode);
        r = r ?: table_add_string(t, m->root);
        r = r ?: table_add_bool(t, m->ephemeral);
        r = r ?: table_add_string(t, s->uids);
        r = r ?: table_add_uint(t, m->uid_base);
        r = r ?: table_add_uint(t, m->uid_count);
        r = r ?: table_add_string(t, m->cgroup.path);
        r = r ?: add_limit_cells(t, &s->limits);
        r = r ?: add_pid(t, m->supervisor);
        r = r ?: table_add_string(t, s->os_pretty_name);
        r = r ?: table_add_string(t, s->os_id);
        r = r ?: table_add_string(t, s->os_version);
        r = r ?: table_add_string(t, m->link);
        r = r ?: table_add_string(t, m->zone);
        r = r ?: table_add_strv(t, m->addresses);
        r = r ?: table_add_strv(t, m->ports);
        r = r ?: table_add_strv(t, s->console);
        return r;
}

int verb_status(int argc, char *argv[]) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(args_done) Args a = {};
        int r, ret = 0;

        r = parse_args(argc, argv,
                       "berth status NAME… [--json]\n\n"
                       "Show the state of running machines: leader, root, UID range, cgroup, OS,\n"
                       "and the last lines of their console.\n\n"
                       "     --json  One JSON array on stdout, an object per machine\n"
                       "  -h --help  Show this help\n",
                       ARG_JSON, &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc)
                return log_usage("'berth status' needs at least one machine name.");

        t = table_new(status_columns, ELEMENTSOF(status_columns));
        if (!t)
                return log_oom();
        for (int i = optind; i < argc; i++) {
                MachineRecord m;
                MachineStatus s = {};

                r = machine_get(argv[i], &m);
                if (r < 0) {
                        ret = ret ?: r;
                        continue;
                }
                r = machine_status_get(&m, &s);
                if (r >= 0)
                        r = add_status_row(t, &m, &s);
                machine_status_done(&s);
                machine_record_done(&m);
                if (r < 0)
                        return log_oom();
        }

        /* Nothing at all when no machine was found: only the error. */
        if (table_rows(t) == 0)
                return ret;
        r = a.json ? table_print_json(t, stdout) : table_print_fields(t, stdout);
        if (r < 0)
                return log_error_errno(r, "Failed to show the machines: %m");
        return ret;
}

/* machined's properties (machinectl show), and berth's own. */
static const Column show_columns[] = {
        { "Name", "Name" },
        { "Id", "Id" },
        { "Timestamp", "Timestamp", COLUMN_TEXT_ONLY },
        { "Timestamp", "Timestamp", COLUMN_JSON_ONLY }, /* µs since the epoch, like D-Bus */
        { "Service", "Service" },
        { "Unit", "Unit" },
        { "Leader", "Leader" },
        { "Class", "Class" },
        { "RootDirectory", "RootDirectory" },
        { "State", "State" },
        { "Mode", "Mode" },
        { "Supervisor", "Supervisor" },
        { "Ephemeral", "Ephemeral" },
        { "UIDShift", "UIDShift" },
        { "UIDCount", "UIDCount" },
        { "ControlGroup", "ControlGroup" },
#define LIMIT_PROPERTY(name)                 \
        { name, name, COLUMN_TEXT_ONLY }, {  \
                name, name, COLUMN_JSON_ONLY \
        }
        LIMIT_PROPERTY("MemoryCurrent"),
        LIMIT_PROPERTY("MemoryMax"),
        LIMIT_PROPERTY("MemoryHigh"),
        LIMIT_PROPERTY("TasksCurrent"),
        LIMIT_PROPERTY("TasksMax"),
        LIMIT_PROPERTY("CPUWeight"),
        LIMIT_PROPERTY("CPUQuota"),
        LIMIT_PROPERTY("IOWeight"),
        LIMIT_PROPERTY("MemorySwapMax"),
        LIMIT_PROPERTY("CPUQuotaPeriodUSec"),
        LIMIT_PROPERTY("AllowedCPUs"),
        LIMIT_PROPERTY("AllowedMemoryNodes"),
        LIMIT_PROPERTY("IOReadBandwidthMax"),
        LIMIT_PROPERTY("IOWriteBandwidthMax"),
        LIMIT_PROPERTY("IOReadIOPSMax"),
        LIMIT_PROPERTY("IOWriteIOPSMax"),
        STATS_SHOW_COLUMNS(LIMIT_PROPERTY),
#undef LIMIT_PROPERTY
        { "CapabilityBoundingSet", "CapabilityBoundingSet" },
        { "AmbientCapabilities", "AmbientCapabilities" },
        { "NoNewPrivileges", "NoNewPrivileges" },
        { "NetworkLink", "NetworkLink" },
        { "Zone", "Zone" },
        { "Addresses", "Addresses" },
        { "Ports", "Ports" },
};

/* A limit as systemctl show prints one ("infinity", "[not set]"), then as
 * JSON (a number, or null). */
static int add_show_limit(Table *t, const MachineLimits *l, ResourceKind k) {
        _cleanup_free_ char *text = NULL;
        uint64_t v;
        int r;

        if (machine_limits_value(l, k, &v) < 0)
                return table_add_string(t, "[not set]") ?: table_add_null(t);
        if (v == RESOURCE_INFINITY)
                r = table_add_string(t, "infinity");
        else if (k == RESOURCE_CPU_QUOTA) {
                r = resource_value_to_string(k, v, &text);
                r = r ?: table_add_string(t, text);
        } else {
                char buf[DECIMAL_STR_MAX(uint64_t)];
                snprintf(buf, sizeof buf, "%" PRIu64, v);
                r = table_add_string(t, buf);
        }
        return r ?: add_limit(t, l, k);
}

static int add_show_usage(Table *t, uint64_t v) {
        char buf[DECIMAL_STR_MAX(uint64_t)];

        if (v == UINT64_MAX)
                return table_add_string(t, "[not set]") ?: table_add_null(t);
        snprintf(buf, sizeof buf, "%" PRIu64, v);
        return table_add_string(t, buf) ?: table_add_uint(t, v);
}

static int add_show_limits(Table *t, const MachineRecord *m) {
        _cleanup_(machine_limits_done) MachineLimits l = {};
        int r;

        r = machine_limits_get(m, &l);
        if (r < 0)
                return r;
        r = r ?: add_show_usage(t, l.usage.memory);
        r = r ?: add_show_limit(t, &l, RESOURCE_MEMORY_MAX);
        r = r ?: add_show_limit(t, &l, RESOURCE_MEMORY_HIGH);
        r = r ?: add_show_usage(t, l.usage.tasks);
        r = r ?: add_show_limit(t, &l, RESOURCE_TASKS_MAX);
        r = r ?: add_show_limit(t, &l, RESOURCE_CPU_WEIGHT);
        r = r ?: add_show_limit(t, &l, RESOURCE_CPU_QUOTA);
        r = r ?: add_show_limit(t, &l, RESOURCE_IO_WEIGHT);
        r = r ?: add_show_limit(t, &l, RESOURCE_MEMORY_SWAP_MAX);
        r = r ?: add_show_limit(t, &l, RESOURCE_CPU_QUOTA_PERIOD);
        for (ResourceKind k = RESOURCE_ALLOWED_CPUS; r >= 0 && k <= RESOURCE_IO_WRITE_IOPS_MAX; k++)
                r = machine_limits_show_cells(t, &l, k);
        return r;
}

/* As systemctl show has them: capabilities by name, lower case. */
static int add_show_confinement(Table *t, const MachineRecord *m) {
        _cleanup_free_ char *bounding = NULL, *ambient = NULL;
        int r;

        if (m->capabilities == RECORD_CAPABILITIES_UNKNOWN)
                r = table_add_null(t);
        else {
                bounding = caps_format(m->capabilities);
                r = bounding ? table_add_string(t, bounding) : -ENOMEM;
        }
        ambient = caps_format(m->ambient_capabilities);
        r = r ?: (ambient ? table_add_string(t, ambient) : -ENOMEM);
        return r ?: table_add_bool(t, m->no_new_privileges);
}

static int add_show_row(Table *t, const MachineRecord *m) {
        char id[ID128_STRING_MAX], ts[64];
        int r = 0;

        r = r ?: table_add_string(t, m->name);
        r = r ?: table_add_string(t, id128_to_string(m->uuid, id));
        r = r ?: table_add_string(t, m->since > 0 ? format_timestamp(ts, sizeof ts, m->since) : NULL);
        r = r ?: (m->since > 0 ? table_add_uint(t, m->since) : table_add_null(t));
        r = r ?: table_add_string(t, m->service);
        r = r ?: table_add_string(t, m->cgroup.unit);
        r = r ?: add_pid(t, m->leader);
        r = r ?: table_add_string(t, m->class);
        r = r ?: table_add_string(t, m->root);
        r = r ?: table_add_string(t, machine_state_text(m));
        r = r ?: table_add_string(t, m->mode);
        r = r ?: add_pid(t, m->supervisor);
        r = r ?: table_add_bool(t, m->ephemeral);
        r = r ?: table_add_uint(t, m->uid_base);
        r = r ?: table_add_uint(t, m->uid_count);
        r = r ?: table_add_string(t, m->cgroup.path);
        r = r ?: add_show_limits(t, m);
        r = r ?: machine_show_stats(t, m);
        r = r ?: add_show_confinement(t, m);
        r = r ?: table_add_string(t, m->link);
        r = r ?: table_add_string(t, m->zone);
        r = r ?: table_add_strv(t, m->addresses);
        r = r ?: table_add_strv(t, m->ports);
        return r;
}

int verb_show(int argc, char *argv[]) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(args_done) Args a = {};
        MachineRecord m;
        int r;

        r = parse_args(argc, argv,
                       "berth show NAME [-p PROP…] [--value] [--json]\n\n"
                       "Show the properties of a running machine, one NAME=VALUE a line.\n\n"
                       "  -p --property=NAME[,NAME…]  Only these properties (may be repeated)\n"
                       "     --value                  Only the values\n"
                       "     --json                   One JSON object on stdout\n"
                       "  -h --help                   Show this help\n",
                       ARG_PROPERTY | ARG_VALUE | ARG_JSON, &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc)
                return log_usage("'berth show' needs a machine name.");
        if (optind + 1 < argc)
                return log_usage("'berth show' takes one machine name.");
        if (a.json && a.value)
                return log_usage("'berth show' takes --value or --json, not both.");

        r = machine_get(argv[optind], &m);
        if (r < 0)
                return r;
        t = table_new(show_columns, ELEMENTSOF(show_columns));
        r = t ? add_show_row(t, &m) : -ENOMEM;
        machine_record_done(&m);
        if (r < 0)
                return log_oom();

        if (a.json)
                r = table_print_json_object(t, 0, a.properties, stdout);
        else
                r = table_print_properties(t, stdout, a.properties, a.value);
        if (r < 0)
                return log_error_errno(r, "Failed to show machine '%s': %m", argv[optind]);
        return 0;
}

/* Whether the machine m (as its record was) is gone: its record removed or
 * now another supervisor's, or its supervisor dead, in which case what it
 * left is cleaned up here. */
static bool machine_is_gone(const MachineRecord *m) {
        MachineRecord cur;
        uint64_t starttime;
        bool other;
        int r;

        r = registry_read(MACHINES_DIR, m->name, &cur);
        if (r == -ENOENT)
                return true;
        if (r >= 0) {
                other = cur.supervisor != m->supervisor || cur.supervisor_starttime != m->supervisor_starttime;
                machine_record_done(&cur);
                if (other)
                        return true;
        }
        if (pid_is_alive(m->supervisor) && pid_get_starttime(m->supervisor, &starttime) >= 0 &&
            starttime == m->supervisor_starttime)
                return false;
        return registry_gc_one(MACHINES_DIR, m->name, cli_bus()) > 0;
}

/* Polls until every machine not yet gone[] is, or until timeout has passed;
 * returns how many are left. */
static size_t wait_gone(const MachineRecord *ms, size_t n, bool *gone, usec_t timeout) {
        usec_t start = now(CLOCK_MONOTONIC);

        for (;;) {
                size_t left = 0;

                for (size_t i = 0; i < n; i++)
                        if (!gone[i] && !(gone[i] = machine_is_gone(&ms[i])))
                                left++;
                if (left == 0 || (timeout != USEC_INFINITY && now(CLOCK_MONOTONIC) - start >= timeout))
                        return left;
                (void) usleep(POLL_INTERVAL);
        }
}

/* Powers the machines off, all at once, and waits for them together. */
static int stop_machines(MachineRecord *ms, size_t n, usec_t timeout) {
        _cleanup_free_ bool *gone = calloc(n + 1, sizeof(bool));
        char span[64];
        int ret = 0;

        if (!gone)
                return log_oom();
        if (wait_gone(ms, n, gone, timeout) == 0)
                return 0;

        for (size_t i = 0; i < n; i++)
                if (!gone[i]) {
                        log_warning("Machine '%s' did not power off within %s, terminating it.", ms[i].name,
                                    format_timespan(span, sizeof span, timeout));
                        (void) terminate_one(&ms[i], NULL);
                }
        if (wait_gone(ms, n, gone, TERMINATE_GRACE) == 0)
                return 0;

        for (size_t i = 0; i < n; i++)
                if (!gone[i])
                        ret = ret
                                      ?: log_error_errno(SYNTHETIC_ERRNO(ETIMEDOUT), "Machine '%s' did not stop.",
                                                         ms[i].name);
        return ret;
}

/* A machine that runs as berth@NAME.service of systemd. */
static bool machine_is_service(const MachineRecord *m) {
        _cleanup_free_ char *unit = machine_service_unit(m->name);

        return m->cgroup.systemd_unit && unit && streq_ptr(m->cgroup.unit, unit);
}

static int stop_unit(sd_bus *bus, const MachineRecord *m) {
        _cleanup_free_ char *message = NULL;
        int r;

        r = machine_thaw_if_frozen(m);
        if (r < 0)
                return r;
        r = systemd_stop_unit(bus, m->cgroup.unit, &message);
        if (r < 0)
                return log_error_errno(r, "Failed to stop %s: %s", m->cgroup.unit, message ?: strerror(ERRNO_VALUE(r)));
        return 0;
}

int verb_stop(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        _cleanup_(args_done) Args a = {};
        _cleanup_free_ MachineRecord *ms = NULL;
        size_t n = 0;
        int r, ret = 0;

        r = parse_args(argc, argv,
                       "berth stop NAME… [--timeout=SEC]\n\n"
                       "Power machines off and wait until they are gone; terminate those still\n"
                       "running after SEC. Machines that run as berth@NAME.service of systemd are\n"
                       "stopped through systemd (with the unit's own stop timeout).\n\n"
                       "     --timeout=SEC  How long to wait for a poweroff (default: 90s; or infinity)\n"
                       "  -h --help         Show this help\n",
                       ARG_TIMEOUT, &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc)
                return log_usage("'berth stop' needs at least one machine name.");

        ms = calloc((size_t) (argc - optind), sizeof(MachineRecord));
        if (!ms)
                return log_oom();
        (void) systemd_manager_bus(&bus);
        for (int i = optind; i < argc; i++) {
                r = machine_get(argv[i], &ms[n]);
                if (r >= 0 && bus && machine_is_service(&ms[n])) {
                        /* systemd stops its unit: the same poweroff, and
                         * it knows the machine was stopped on purpose. */
                        r = stop_unit(bus, &ms[n]);
                        machine_record_done(&ms[n]);
                } else if (r >= 0) {
                        r = poweroff_one(&ms[n], &a);
                        if (r >= 0)
                                n++;
                        else
                                machine_record_done(&ms[n]);
                }
                ret = ret ?: r;
        }

        r = stop_machines(ms, n, a.timeout);
        for (size_t i = 0; i < n; i++)
                machine_record_done(&ms[i]);
        return ret ?: r;
}
