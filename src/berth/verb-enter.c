/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth shell [USER@]NAME [-- COMMAND…] and berth login NAME: a session
 * inside a running machine, entered with setns() (nothing of D-Bus or
 * systemd needed inside).
 *
 *   berth (host)                stays outside: forwards the terminal, waits
 *    └─ entering child          joins the machine (all namespaces, the
 *        │                      leader's cgroup), finds the user in the
 *        │                      machine's /etc/passwd, allocates a pty
 *        │                      from the machine's devpts and passes its
 *        │                      master out; waits for:
 *        └─ session             PID N of the machine: setsid, the pty
 *                               slave as its terminal, the user's
 *                               groups/GID/UID, a clean environment, exec
 *
 * Without a terminal the session gets our stdin/stdout/stderr as they are,
 * and we exit with its status. */

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <termios.h>

#include "enter.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "process-util.h"
#include "ptyfwd.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "verbs.h"

typedef struct EnterRequest {
        const char *verb;
        char *user;  /* NULL: root */
        char **argv; /* the command; NULL: the user's shell, or login */
        bool login;  /* run the machine's login program */
        bool tty;    /* allocate a pty and forward our terminal */
        const char *term;
} EnterRequest;

/* The session: PID N of the machine, root of its user namespace. */
static _noreturn_ void run_session(const EnterRequest *req, const UserEntry *u, const char *slave, int channel) {
        _cleanup_strv_free_ char **env = NULL, **argv = NULL;
        int r;

        if (setsid() < 0)
                channel_fail(channel, errno, "start a session");
        if (slave) {
                /* As session leader, the first terminal we open is ours. */
                int fd = open(slave, O_RDWR | O_CLOEXEC);
                if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
                        channel_fail(channel, errno, "open terminal %s in the machine", slave);
                for (int i = 0; i < 3; i++)
                        if (dup2(fd, i) < 0)
                                channel_fail(channel, errno, "connect to terminal %s", slave);
                if (fd > 2)
                        safe_close(fd);
        }

        r = enter_environment(u, req->term, &env);
        if (r < 0)
                channel_fail(channel, r, "set up the environment");

        if (req->login)
                r = strv_extend(&argv, "login");
        else if (req->argv)
                argv = strv_copy(req->argv);
        else {
                /* The user's shell, as a login shell: argv[0] is "-bash". */
                const char *base = strrchr(u->shell, '/');
                r = strv_consume(&argv, strjoin("-", base ? base + 1 : u->shell));
        }
        if (r < 0 || !argv)
                channel_fail(channel, ENOMEM, "build the command line");

        if (!req->login) {
                r = enter_become_user(u);
                if (r < 0)
                        channel_fail(channel, r, "become user '%s'", u->name);
        }
        if (chdir(req->login ? "/" : u->home) < 0 && chdir("/") < 0)
                channel_fail(channel, errno, "change to the home directory");

        r = close_all_fds_except((const int[]) { 0, 1, 2, channel }, 4);
        if (r < 0)
                channel_fail(channel, r, "close file descriptors");
        if (reset_all_signals() < 0)
                channel_fail(channel, errno, "reset signals");

        if (req->login || req->argv)
                execve_search_path(argv, env);
        else
                execve(u->shell, argv, env);
        channel_fail(channel, errno, "execute '%s' in the machine",
                     req->login  ? "login"
                     : req->argv ? req->argv[0]
                                 : u->shell);
}

typedef struct SessionArgs {
        const EnterRequest *req;
        const UserEntry *user;
        const char *slave;
        int channel;
} SessionArgs;

static int session_main(void *arg) {
        const SessionArgs *a = arg;

        run_session(a->req, a->user, a->slave, a->channel);
}

/* The entering child, in the machine: finds the user, makes the session's
 * terminal, starts the session and ends with its status. */
static int enter_child(const EnterTarget *t, int channel, void *userdata) {
        const EnterRequest *req = userdata;
        _cleanup_(user_entry_done) UserEntry u = {};
        _cleanup_close_ int master = -EBADF;
        char slave[64] = "";
        siginfo_t si;
        pid_t pid;
        int r;

        /* State: root of the machine's user namespace, in all its namespaces
         * but (until we fork) its PID namespace; "/" is the machine's. */
        r = user_db_find_user("/etc/passwd", req->user ?: "root", &u);
        if (r == -ENOENT && (!req->user || streq(req->user, "root")))
                /* No /etc/passwd at all (--volatile=yes, a bare tree): root
                 * is root all the same, as systemd knows it without one. */
                r = user_entry_root(&u);
        if (r == -ESRCH)
                channel_fail_message(channel, ESRCH, "User '%s' does not exist in machine '%s'.", req->user ?: "root",
                                     t->machine.name);
        if (r < 0)
                channel_fail(channel, r, "read the machine's /etc/passwd");

        if (req->tty) {
                /* The machine's own devpts: `tty` inside says /dev/pts/N. */
                master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, sizeof slave) != 0)
                        channel_fail(channel, errno, "allocate a pseudo-terminal in the machine");
                if (channel_send(channel, CHANNEL_FD, 0, master) < 0)
                        _exit(EXIT_FAILURE);
        }

        /* Without a terminal, nothing to do until it execs: it may share
         * our memory. */
        SessionArgs a = { .req = req, .user = &u, .slave = req->tty ? slave : NULL, .channel = channel };
        pid = spawn_child(session_main, &a, !req->tty);
        if (pid < 0)
                channel_fail(channel, pid, "fork in the machine");

        master = safe_close(master);
        safe_close(channel);
        /* Our parent going away (^]^]^], a signal) ends the session too. */
        (void) prctl(PR_SET_PDEATHSIG, SIGHUP);
        if (wait_for_terminate(pid, &si) < 0)
                return EXIT_FAILURE;
        return exit_status_from_siginfo(&si);
}

static void on_escape(PTYForward *f, void *userdata) {
        sd_event *e = userdata;

        (void) sd_event_exit(e, 0);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        int *status = userdata;

        *status = exit_status_from_siginfo(si);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* Forwards our terminal to the session's until it ends (or ^]^]^]). */
static int forward_terminal(pid_t child, int master, int *ret_status) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(pty_forward_freep) PTYForward *f = NULL;
        int status = -1, r;

        r = sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_child(e, NULL, child, WEXITED, on_child_exit, &status);
        if (r >= 0)
                r = pty_forward_new(e, master, STDIN_FILENO, STDOUT_FILENO, PTY_FORWARD_RAW, &f);
        if (r < 0)
                return log_error_errno(r, "Failed to forward the terminal: %m");
        pty_forward_set_escape_handler(f, on_escape, e);

        r = sd_event_loop(e);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        if (status < 0) {
                /* ^]^]^]: hang up the session's terminal. */
                f = pty_forward_free(f);
                (void) kill(child, SIGHUP);
                status = 130;
        } else {
                pty_forward_drain(f);
                f = pty_forward_free(f);
        }
        *ret_status = status;
        return 0;
}

/* With a terminal: the pty master arrives first (or an error), then we
 * forward until the session ends. */
static int run_with_terminal(pid_t pid, int channel, int *ret_status) {
        _cleanup_close_ int master = -EBADF;
        ChannelMessage msg;
        ssize_t n;
        int r;

        n = channel_receive(channel, &msg, &master);
        if (n > 0 && msg.type == CHANNEL_ERROR) {
                (void) wait_for_terminate(pid, NULL);
                return channel_log_error(&msg);
        }
        if (n <= 0 || msg.type != CHANNEL_FD || master < 0)
                return 0; /* enter_wait() tells what happened */

        r = forward_terminal(pid, master, ret_status);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) wait_for_terminate(pid, NULL);
                return r;
        }
        /* Reaped by the event loop; an error after the pty was passed
         * (exec failed) is still in the channel. */
        if (channel_receive(channel, &msg, NULL) > 0 && msg.type == CHANNEL_ERROR)
                return channel_log_error(&msg);
        return 1;
}

static int enter_machine(const EnterRequest *req, const char *name) {
        _cleanup_(enter_target_done) EnterTarget t = { .leader_pidfd = -EBADF };
        _cleanup_close_ int channel = -EBADF;
        ChannelMessage msg;
        int status = 0, r;
        pid_t pid;

        r = machine_enter_open(name, &t);
        if (r < 0)
                return r;

        /* Our stdio passed through (autopkgtest's pipes): the machine's
         * root's, as in a privileged container. */
        if (!req->tty) {
                r = stdio_give_anonymous_pipes(t.machine.uid_base);
                if (r < 0)
                        log_debug_errno(r, "Failed to give our stdio pipes to the machine's root, ignoring: %m");
        }

        /* SIGCHLD is taken by the event loop; the child unblocks. */
        if (sigprocmask_many(SIG_BLOCK, NULL, SIGCHLD, SIGWINCH, -1) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        /* With a terminal we forward it while the session runs: a process
         * of its own. Without one we only wait: it may share our memory,
         * and we go on when it is done; what it says waits in the channel. */
        EnterSpec spec = { .namespaces = ENTER_ALL_NAMESPACES, .join_cgroup = true, .share_memory = !req->tty };
        r = enter_spawn(&t, &spec, enter_child, (void *) req, &pid, &channel);
        if (r < 0)
                return log_error_errno(r, "Failed to fork: %m");

        if (req->tty) {
                r = run_with_terminal(pid, channel, &status);
                if (r != 0)
                        return r < 0 ? r : status;
        }
        if (enter_wait(pid, channel, &msg, &status) > 0)
                return channel_log_error(&msg);
        /* Killed with the machine: that is not the command's doing. */
        if (status > 128 && pidfd_send_signal(t.leader_pidfd, 0, NULL, 0) < 0 && errno == ESRCH)
                return log_error_errno(SYNTHETIC_ERRNO(ESRCH), "Machine '%s' stopped while the %s ran.", name,
                                       req->argv ? "command" : "session");
        return status;
}

/* Options of shell and login; *ret_failure_status (if given) is set by
 * --failure-exit-status=. */
static int parse_enter_argv(int argc, char *argv[], const char *usage, bool *ret_help, int *ret_failure_status) {
        enum { ARG_FAILURE_EXIT_STATUS = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "failure-exit-status", required_argument, NULL, ARG_FAILURE_EXIT_STATUS },
                {},
        };
        uint32_t u;
        int opt;

        *ret_help = false;
        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        printf("%s", usage);
                        *ret_help = true;
                        return 0;
                case ARG_FAILURE_EXIT_STATUS:
                        if (!ret_failure_status)
                                return verb_bad_option(argv[0], '?', argv);
                        if (safe_atou32(optarg, 10, &u) < 0 || u < 1 || u > 255)
                                return verb_bad_value("failure-exit-status", optarg, "expected a number from 1 to 255");
                        *ret_failure_status = (int) u;
                        break;
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }
        return 0;
}

int verb_shell(int argc, char *argv[]) {
        _cleanup_free_ char *user = NULL, *name = NULL;
        int failure_status = 0;
        bool help;
        int r;

        r = parse_enter_argv(argc, argv,
                             "berth shell [USER@]NAME [--] [COMMAND [ARGS…]]\n\n"
                             "Run COMMAND, or USER's login shell, in a running machine, as USER (default: root,\n"
                             "from the machine's own /etc/passwd). On a terminal, the session gets a terminal of\n"
                             "the machine's own (^] three times within 1s leaves); otherwise stdin, stdout and\n"
                             "stderr are passed through. Exits with COMMAND's status.\n\n"
                             "     --failure-exit-status=N  Exit with N (1-255) instead of 1 when berth fails:\n"
                             "                              the machine is not running, can't be entered, or\n"
                             "                              stopped while COMMAND ran (as ssh uses 255)\n"
                             "  -h --help                   Show this help\n",
                             &help, &failure_status);
        if (r < 0 || help)
                return r;
        if (optind >= argc)
                return log_usage("'berth shell' needs a machine name.");

        r = enter_parse_user_at_name(argv[optind], &user, &name);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid USER@NAME '%s'.", argv[optind]);

        /* "berth shell NAME -- CMD": options ended at NAME, so the "--" is ours. */
        int cmd = optind + 1;
        if (cmd < argc && streq(argv[cmd], "--"))
                cmd++;

        EnterRequest req = {
                .verb = "shell",
                .user = user,
                .argv = cmd < argc ? argv + cmd : NULL,
                .tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO),
        };
        req.term = req.tty ? (getenv("TERM") ?: "vt220") : "dumb";
        r = enter_machine(&req, name);
        /* The reason is logged; the status says only that it was ours. */
        return r < 0 && failure_status > 0 ? failure_status : r;
}

int verb_login(int argc, char *argv[]) {
        bool help;
        int r;

        r = parse_enter_argv(argc, argv,
                             "berth login NAME\n\n"
                             "A login prompt of the running machine's own login program, on a terminal of the\n"
                             "machine's own. Log in with the machine's passwords; ^] three times within 1s\n"
                             "leaves.\n\n"
                             "  -h --help  Show this help\n",
                             &help, NULL);
        if (r < 0 || help)
                return r;
        if (optind + 1 != argc)
                return log_usage("'berth login' needs exactly one machine name.");
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
                return log_error_errno(SYNTHETIC_ERRNO(ENOTTY), "'berth login' needs a terminal.");

        EnterRequest req = {
                .verb = "login",
                .login = true,
                .tty = true,
                .term = getenv("TERM") ?: "vt220",
        };
        return enter_machine(&req, argv[optind]);
}
