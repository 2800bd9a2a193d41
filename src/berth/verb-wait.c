/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth wait NAME… [--for=ready|running|stopped|removed] [--timeout=SEC]:
 * returns once each machine is in the state asked for. Not by polling:
 *
 *   - the records in MACHINES_DIR are replaced whole (rename()) whenever a
 *     machine's state changes, and removed when it ends: inotify says so;
 *   - a supervisor that dies without a word (SIGKILL) is seen through a
 *     pidfd of it, and its record cleaned up, as any verb does;
 *   - "running" asks systemd in the machine, which answers once its boot
 *     is done (systemctl is-system-running --wait);
 *   - "removed" watches the image store for the image going.
 *
 * A machine not there yet is waited for (`berth boot … & berth wait m`);
 * one that ends while we wait for it to be ready has failed to be. */

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "image-store.h"
#include "lock-util.h"
#include "log.h"
#include "machine-name.h"
#include "parse-util.h"
#include "process-util.h"
#include "running.h"
#include "string-table.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"
#include "verbs.h"

#define WATCHLESS_INTERVAL_MS 200

typedef enum WaitFor {
        WAIT_READY,
        WAIT_RUNNING,
        WAIT_STOPPED,
        WAIT_REMOVED,
        _WAIT_FOR_MAX,
        _WAIT_FOR_INVALID = -EINVAL,
} WaitFor;

static const char *const wait_for_table[_WAIT_FOR_MAX] = {
        [WAIT_READY] = "ready",
        [WAIT_RUNNING] = "running",
        [WAIT_STOPPED] = "stopped",
        [WAIT_REMOVED] = "removed",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP(wait_for, WaitFor);

/* Where a machine is, as a record says. */
typedef struct Seen {
        bool present; /* a live supervisor */
        bool ever;    /* present at some point while we waited */
        MachineState state;
        bool run_mode; /* a command, not an init: "running" once started */
        int supervisor_pidfd;
} Seen;

static usec_t left_of(usec_t deadline) {
        usec_t n = now(CLOCK_MONOTONIC);

        return deadline == USEC_INFINITY ? USEC_INFINITY : deadline > n ? deadline - n : 0;
}

static int poll_timeout(usec_t deadline) {
        usec_t left = left_of(deadline);

        if (left == USEC_INFINITY)
                return -1;
        return (int) MIN((left + 999) / 1000, (usec_t) INT_MAX);
}

/* The record's word, after a dead supervisor's has been cleaned up. */
static int look(const char *name, Seen *s) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        int r;

        s->supervisor_pidfd = safe_close(s->supervisor_pidfd);
        (void) registry_gc_one(MACHINES_DIR, name, cli_bus());
        r = registry_read(MACHINES_DIR, name, &m);
        s->present = r >= 0;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read the record of machine '%s': %m", name);
        s->ever = true;
        s->state = m.state;
        s->run_mode = streq_ptr(m.mode, "run");
        /* It dies after we read: the pidfd says so at once. Before: the
         * pidfd is of nothing (or not of it), and the next look sees. */
        s->supervisor_pidfd = pidfd_open(m.supervisor, 0);
        return 0;
}

/* The state reached, for the line on a timeout. */
static const char *seen_text(const Seen *s) {
        if (!s->present)
                return "it is not running";
        switch (s->state) {
        case MACHINE_STARTING:
                return "it is starting";
        case MACHINE_RUNNING:
                return "it is ready";
        case MACHINE_STOPPING:
                return "it is stopping";
        default:
                return "its state is unknown";
        }
}

/* What else `systemctl is-system-running` may answer. */
static const char *const system_states[] = { "initializing", "starting", "maintenance", "stopping", "offline", NULL };

/* Asks systemd in the machine whether it has booted, and waits for its
 * answer: 1 running (or degraded), 0 not (answer in *ret_state), or an
 * error. Through `berth shell`, so the machine is entered as always. */
static int ask_system_state(const char *name, usec_t deadline, char **ret_state) {
        _cleanup_close_pair_ int pipe_fds[2] = { -EBADF, -EBADF };
        char *argv[] = { (char *) "berth",     (char *) "shell",
                         (char *) name,        (char *) "--",
                         (char *) "systemctl", (char *) "is-system-running",
                         (char *) "--wait",    NULL };
        posix_spawn_file_actions_t fa;
        char buf[256];
        size_t n = 0;
        pid_t pid;
        int r, status;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = -posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r < 0)
                return r;
        pipe_fds[1] = safe_close(pipe_fds[1]);

        for (;;) {
                struct pollfd p = { .fd = pipe_fds[0], .events = POLLIN };
                ssize_t k;

                r = poll(&p, 1, poll_timeout(deadline));
                if (r < 0 && errno != EINTR)
                        r = -errno;
                if (r <= 0) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                        return r < 0 ? r : -ETIME;
                }
                k = read(pipe_fds[0], buf + n, sizeof buf - 1 - n);
                if (k <= 0 || (n += (size_t) k) == sizeof buf - 1)
                        break;
        }
        (void) waitpid(pid, &status, 0);
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (streq(buf, "running") || streq(buf, "degraded"))
                return 1;
        /* Not an answer of systemd's: berth shell failed (the machine
         * ended, or has no systemd). */
        if (!strv_contains((char *const *) system_states, buf))
                return -ESRCH;
        *ret_state = strdup(buf);
        return *ret_state ? 0 : -ENOMEM;
}

/* Asking systemd in the machine failed: 0 if the machine went meanwhile
 * (the next look says how), else an error: it can't be asked (no systemd,
 * no systemctl), and nothing would change that. */
static int shell_failed(const char *name) {
        _cleanup_(machine_record_done) MachineRecord m = {};

        (void) registry_gc_one(MACHINES_DIR, name, cli_bus());
        if (registry_read(MACHINES_DIR, name, &m) < 0 || m.state != MACHINE_RUNNING)
                return 0;
        return log_error_errno(SYNTHETIC_ERRNO(EPROTO),
                               "Machine '%s' is ready, but 'systemctl is-system-running' could not be run in it: "
                               "is systemd its init? (--for=ready does without.)",
                               name);
}

/* 1 once what is asked for holds, 0 not yet, or an error (logged). */
static int check(const char *name, WaitFor what, const Seen *s, usec_t deadline) {
        _cleanup_free_ char *state = NULL, *path = NULL;
        bool disk;
        int r;

        switch (what) {
        case WAIT_STOPPED:
                return !s->present;
        case WAIT_REMOVED:
                if (s->present)
                        return 0;
                r = image_find(BERTH_IMAGE_DIR, name, &path, &disk);
                return r == -ENOENT ? 1 : r < 0 ? log_error_errno(r, "Failed to look for image '%s': %m", name) : 0;
        case WAIT_READY:
        case WAIT_RUNNING:
                if (!s->present && s->ever)
                        return log_error_errno(SYNTHETIC_ERRNO(ESRCH), "Machine '%s' stopped before it was %s.", name,
                                               wait_for_to_string(what));
                if (!s->present || s->state != MACHINE_RUNNING)
                        return 0;
                if (what == WAIT_READY || s->run_mode)
                        return 1;
                r = ask_system_state(name, deadline, &state);
                if (r == 0 && streq(state, "stopping"))
                        return 0; /* on its way down: it ends, or boots again (--reboot=loop) */
                if (r == 0)
                        return log_error_errno(SYNTHETIC_ERRNO(EPROTO), "Machine '%s' has booted, but is %s.", name,
                                               state);
                if (r == -ETIME)
                        return 0; /* the deadline says */
                if (r == -ESRCH)
                        return shell_failed(name); /* it went meanwhile, or can't be asked */
                if (r < 0)
                        return log_error_errno(r, "Failed to ask machine '%s' how it is: %m", name);
                return 1;
        default:
                assert_not_reached();
        }
}

/* Sleeps until the records change, the supervisor dies, the store changes,
 * or the deadline: 0, or -ETIME. Without a watch (inotify_fd < 0), it
 * wakes every WATCHLESS_INTERVAL_MS too, for another look. */
static int sleep_for_change(int inotify_fd, const Seen *s, usec_t deadline) {
        struct pollfd p[2];
        int timeout = poll_timeout(deadline), n = 0, r;
        char buf[4096];

        if (inotify_fd >= 0)
                p[n++] = (struct pollfd) { .fd = inotify_fd, .events = POLLIN };
        if (s->supervisor_pidfd >= 0)
                p[n++] = (struct pollfd) { .fd = s->supervisor_pidfd, .events = POLLIN };
        if (timeout == 0)
                return -ETIME;
        if (inotify_fd < 0 && (timeout < 0 || timeout > WATCHLESS_INTERVAL_MS))
                timeout = WATCHLESS_INTERVAL_MS;

        r = poll(p, n, timeout);
        if (r < 0 && errno != EINTR)
                return -errno;
        if (r == 0 && left_of(deadline) == 0)
                return -ETIME;
        if (inotify_fd >= 0)
                while (read(inotify_fd, buf, sizeof buf) > 0)
                        ;
        return 0;
}

static int watch_new(WaitFor what, int *ret) {
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        int r;

        if (fd < 0 && IN_SET(errno, EMFILE, ENFILE, ENOSPC, ENOMEM)) {
                /* Out of inotify instances (machines' systemd use many, and
                 * those of user namespaces count against their creator):
                 * look again every WATCHLESS_INTERVAL instead. */
                log_debug_errno(errno, "Can't watch the machines, looking every now and then: %m");
                *ret = -EBADF;
                return 0;
        }
        if (fd < 0)
                return log_error_errno(errno, "Failed to watch the machines: %m");
        r = mkdir_p(MACHINES_DIR, 0755); /* no machine yet since boot */
        if (r >= 0 && inotify_add_watch(fd, MACHINES_DIR, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) < 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s: %m", MACHINES_DIR);
        if (what == WAIT_REMOVED)
                for (const char *const *d = image_search_path(BERTH_IMAGE_DIR); *d; d++)
                        (void) inotify_add_watch(fd, *d, IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR);
        *ret = TAKE_FD(fd);
        return 0;
}

static int wait_one(const char *name, WaitFor what, usec_t timeout, usec_t deadline) {
        _cleanup_close_ int watch = -EBADF;
        Seen s = { .supervisor_pidfd = -EBADF };
        char t[32];
        int r;

        r = watch_new(what, &watch);
        while (r >= 0) {
                /* Looked at after the watch is set: no change is missed. */
                r = look(name, &s);
                if (r >= 0)
                        r = check(name, what, &s, deadline);
                if (r != 0)
                        break;
                r = sleep_for_change(watch, &s, deadline);
                if (r == -ETIME)
                        r = log_error_errno(SYNTHETIC_ERRNO(ETIME), "Machine '%s' is not %s after %s: %s.", name,
                                            wait_for_to_string(what), format_timespan(t, sizeof t, timeout),
                                            seen_text(&s));
                else if (r < 0)
                        r = log_error_errno(r, "Failed to wait for machine '%s': %m", name);
        }
        safe_close(s.supervisor_pidfd);
        return r < 0 ? r : 0;
}

static void help(void) {
        printf("berth wait NAME… [--for=ready|running|stopped|removed] [--timeout=SEC]\n\n"
               "Wait until each machine is in a state: ready (its init said READY=1;\n"
               "a command run is ready once started), running (ready, and systemd in it\n"
               "says its boot is done: running or degraded), stopped (no longer running),\n"
               "removed (stopped, and no image of the name). A machine not there yet is\n"
               "waited for; one that stops while waited for to be ready or running fails.\n\n"
               "     --for=STATE     The state to wait for (default: ready)\n"
               "     --timeout=SEC   Give up after SEC (default: infinity), exit 1\n"
               "  -h --help          Show this help\n");
}

int verb_wait(int argc, char *argv[]) {
        enum { ARG_FOR = 0x100, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "for", required_argument, NULL, ARG_FOR },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {},
        };
        WaitFor what = WAIT_READY;
        usec_t timeout = USEC_INFINITY, deadline;
        int opt, r;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return 0;
                case ARG_FOR:
                        what = wait_for_from_string(optarg);
                        if (what < 0)
                                return verb_bad_value("for", optarg, "expected ready, running, stopped or removed");
                        break;
                case ARG_TIMEOUT:
                        if (parse_sec(optarg, &timeout) < 0)
                                return verb_bad_value("timeout", optarg,
                                                      "expected a time span such as 30, 90s, 5min or infinity");
                        break;
                default:
                        return verb_bad_option("wait", opt, argv);
                }
        if (optind >= argc)
                return log_usage("berth wait needs at least one machine name.");
        for (int i = optind; i < argc; i++)
                if (!machine_name_is_valid(argv[i]) && !(what == WAIT_REMOVED && image_name_is_valid(argv[i])))
                        return log_usage("Invalid machine name '%s'.", argv[i]);

        /* One deadline for all of them. */
        deadline = timeout == USEC_INFINITY ? USEC_INFINITY : now(CLOCK_MONOTONIC) + timeout;
        for (int i = optind; i < argc; i++) {
                r = wait_one(argv[i], what, timeout, deadline);
                if (r < 0)
                        return r;
        }
        return 0;
}
