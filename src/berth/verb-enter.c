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
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <termios.h>

#include "enter.h"
#include "fd-util.h"
#include "log.h"
#include "machine-ref.h"
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

/* What the entering child tells us: an error, or the pty master (fd). */
typedef struct EnterMessage {
        int error;
        bool complete; /* text is the whole message, not "Failed to <text>" */
        char text[256];
} EnterMessage;

static _noreturn_ void child_fail(int sock, int error, const char *format, ...) _printf_(3, 4);
static void child_fail(int sock, int error, const char *format, ...) {
        EnterMessage msg = { .error = ERRNO_VALUE(error) };
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(msg.text, sizeof msg.text, format, ap);
        va_end(ap);
        (void) send_with_fds(sock, &msg, sizeof msg, NULL, 0);
        _exit(EXIT_FAILURE);
}

/* The session: PID N of the machine, root of its user namespace. */
static _noreturn_ void run_session(const EnterRequest *req, const UserEntry *u, const char *slave, int sock) {
        _cleanup_strv_free_ char **env = NULL, **argv = NULL;
        int r;

        if (setsid() < 0)
                child_fail(sock, errno, "start a session");
        if (slave) {
                /* As session leader, the first terminal we open is ours. */
                int fd = open(slave, O_RDWR | O_CLOEXEC);
                if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
                        child_fail(sock, errno, "open terminal %s in the machine", slave);
                for (int i = 0; i < 3; i++)
                        if (dup2(fd, i) < 0)
                                child_fail(sock, errno, "connect to terminal %s", slave);
                if (fd > 2)
                        safe_close(fd);
        }

        r = enter_environment(u, req->term, &env);
        if (r < 0)
                child_fail(sock, r, "set up the environment");

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
                child_fail(sock, ENOMEM, "build the command line");

        if (!req->login) {
                r = enter_become_user(u);
                if (r < 0)
                        child_fail(sock, r, "become user '%s'", u->name);
        }
        if (chdir(req->login ? "/" : u->home) < 0 && chdir("/") < 0)
                child_fail(sock, errno, "change to the home directory");

        r = close_all_fds_except((const int[]) { 0, 1, 2, sock }, 4);
        if (r < 0)
                child_fail(sock, r, "close file descriptors");
        if (reset_all_signals() < 0)
                child_fail(sock, errno, "reset signals");

        if (req->login || req->argv)
                execve_search_path(argv, env);
        else
                execve(u->shell, argv, env);
        child_fail(sock, errno, "execute '%s' in the machine",
                   req->login  ? "login"
                   : req->argv ? req->argv[0]
                               : u->shell);
}

typedef struct SessionArgs {
        const EnterRequest *req;
        const UserEntry *user;
        int sock;
} SessionArgs;

static int session_main(void *arg) {
        const SessionArgs *a = arg;

        run_session(a->req, a->user, NULL, a->sock);
}

/* The entering child: joins the machine, then forks the session and waits
 * for it, to end with its status. */
static _noreturn_ void run_enter_child(const EnterRequest *req, const MachineRecord *m, int leader_pidfd,
                                       const char *cgroup, int sock) {
        _cleanup_(user_entry_done) UserEntry u = {};
        _cleanup_close_ int master = -EBADF;
        char slave[64] = "";
        siginfo_t si;
        pid_t pid;
        int r;

        r = enter_namespaces(leader_pidfd, ENTER_ALL_NAMESPACES, m->unified_mount, cgroup, m->cgroups_v1);
        if (r < 0)
                child_fail(sock, r, "enter machine '%s'", m->name);

        /* State: root of the machine's user namespace, in all its namespaces
         * but (until we fork) its PID namespace; "/" is the machine's. */
        r = user_db_find_user("/etc/passwd", req->user ?: "root", &u);
        if (r == -ESRCH) {
                EnterMessage msg = { .error = ESRCH, .complete = true };
                snprintf(msg.text, sizeof msg.text, "User '%s' does not exist in machine '%s'.", req->user ?: "root",
                         m->name);
                (void) send_with_fds(sock, &msg, sizeof msg, NULL, 0);
                _exit(EXIT_FAILURE);
        }
        if (r < 0)
                child_fail(sock, r, "read the machine's /etc/passwd");

        if (req->tty) {
                /* The machine's own devpts: `tty` inside says /dev/pts/N. */
                master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, sizeof slave) != 0)
                        child_fail(sock, errno, "allocate a pseudo-terminal in the machine");
                EnterMessage msg = {};
                if (send_with_fds(sock, &msg, sizeof msg, &master, 1) < 0)
                        _exit(EXIT_FAILURE);
        }

        if (req->tty) {
                pid = fork();
                if (pid == 0)
                        run_session(req, &u, slave, sock);
        } else {
                /* Nothing to do until it execs: share our memory. */
                SessionArgs a = { .req = req, .user = &u, .sock = sock };
                void *stack = NULL;

                pid = clone_in_our_memory(session_main, &a, CLONE_VFORK | SIGCHLD, &stack);
                clone_stack_free(stack);
        }
        if (pid < 0)
                child_fail(sock, pid == -1 ? errno : pid, "fork in the machine");

        master = safe_close(master);
        sock = safe_close(sock);
        /* Our parent going away (^]^]^], a signal) ends the session too. */
        (void) prctl(PR_SET_PDEATHSIG, SIGHUP);
        if (wait_for_terminate(pid, &si) < 0)
                _exit(EXIT_FAILURE);
        _exit(exit_status_from_siginfo(&si));
}

typedef struct EnterChildArgs {
        const EnterRequest *req;
        const MachineRecord *m;
        int leader;
        const char *cgroup;
        int sock;
} EnterChildArgs;

static int enter_child_main(void *arg) {
        const EnterChildArgs *a = arg;

        run_enter_child(a->req, a->m, a->leader, a->cgroup, a->sock);
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

static int log_child_error(EnterMessage *msg) {
        msg->text[sizeof msg->text - 1] = '\0';
        if (msg->complete)
                return log_error_errno(SYNTHETIC_ERRNO(msg->error), "%s", msg->text);
        return log_error_errno(msg->error, "Failed to %s: %m", msg->text);
}

static int enter_machine(const EnterRequest *req, const char *name) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_close_ int leader = -EBADF, master = -EBADF;
        _cleanup_free_ char *cgroup = NULL;
        EnterMessage msg = {};
        siginfo_t si;
        int status = 0, r;
        pid_t pid;

        r = machine_get(name, &m);
        if (r < 0)
                return r;
        r = machine_ref_open_leader(&m, &leader);
        if (r >= 0)
                r = machine_ref_leader_cgroup(&m, &cgroup);
        if (r < 0)
                return log_error_errno(r, "Failed to find the init process of machine '%s': %m", name);

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "Failed to create a socket pair: %m");

        /* SIGCHLD is taken by the event loop; the child unblocks. */
        if (sigprocmask_many(SIG_BLOCK, NULL, SIGCHLD, SIGWINCH, -1) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        if (req->tty) {
                /* We forward the terminal while it runs: a process of its own. */
                pid = fork();
                if (pid == 0) {
                        pair[0] = safe_close(pair[0]);
                        run_enter_child(req, &m, leader, cgroup, pair[1]);
                }
                if (pid < 0)
                        return log_error_errno(errno, "Failed to fork: %m");
        } else {
                /* Without a terminal we only wait: it may share our memory,
                 * and we go on when it is done (CLONE_VFORK); what it says
                 * waits in the socket. */
                EnterChildArgs a = { .req = req, .m = &m, .leader = leader, .cgroup = cgroup, .sock = pair[1] };
                void *stack = NULL;

                pid = clone_in_our_memory(enter_child_main, &a, CLONE_VFORK | SIGCHLD, &stack);
                clone_stack_free(stack);
                if (pid < 0)
                        return log_error_errno(pid, "Failed to fork: %m");
        }
        pair[1] = safe_close(pair[1]);

        /* Either the pty master arrives, or an error, or the socket closes
         * (the session was exec'd without a terminal). */
        for (;;) {
                int fd = -EBADF;
                ssize_t n = receive_with_fds(pair[0], &msg, sizeof msg, &fd, 1);

                if (n <= 0)
                        break;
                if (msg.error != 0) {
                        safe_close(fd);
                        (void) wait_for_terminate(pid, NULL);
                        return log_child_error(&msg);
                }
                if (fd >= 0) {
                        master = fd;
                        break;
                }
        }

        if (master >= 0) {
                r = forward_terminal(pid, master, &status);
                if (r < 0) {
                        (void) kill(pid, SIGKILL);
                        (void) wait_for_terminate(pid, NULL);
                        return r;
                }
                /* An error after the pty was passed (exec failed)? */
                if (receive_with_fds(pair[0], &msg, sizeof msg, NULL, 0) > 0 && msg.error != 0)
                        return log_child_error(&msg);
                return status;
        }

        /* No terminal: wait for the session to end, taking a late error. */
        if (wait_for_terminate(pid, &si) < 0)
                return log_error_errno(errno, "Failed to wait for the session: %m");
        if (receive_with_fds(pair[0], &msg, sizeof msg, NULL, 0) > 0 && msg.error != 0)
                return log_child_error(&msg);
        return exit_status_from_siginfo(&si);
}

static int parse_enter_argv(int argc, char *argv[], const char *usage, bool *ret_help) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
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
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }
        return 0;
}

int verb_shell(int argc, char *argv[]) {
        _cleanup_free_ char *user = NULL, *name = NULL;
        bool help;
        int r;

        r = parse_enter_argv(argc, argv,
                             "berth shell [USER@]NAME [--] [COMMAND [ARGS…]]\n\n"
                             "Run COMMAND, or USER's login shell, in a running machine, as USER (default: root,\n"
                             "from the machine's own /etc/passwd). On a terminal, the session gets a terminal of\n"
                             "the machine's own (^] three times within 1s leaves); otherwise stdin, stdout and\n"
                             "stderr are passed through. Exits with COMMAND's status.\n\n"
                             "  -h --help  Show this help\n",
                             &help);
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
        return enter_machine(&req, name);
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
                             &help);
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
