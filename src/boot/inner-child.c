/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <termios.h>

#include "channel.h"
#include "caps.h"
#include "enter.h"
#include "fd-util.h"
#include "log.h"
#include "mount-setup.h"
#include "notify.h"
#include "path-util.h"
#include "process-util.h"
#include "seccomp-util.h"
#include "selinux-util.h"
#include "string-util.h"
#include "strv.h"
#include "start.h"
#include "user-db.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* PDEATHSIG is tied to the supervisor, our parent (CLONE_PARENT). It may
 * have died before we asked for it: its pidfd tells. */
static void die_with_supervisor(const SpawnPlan *p) {
        struct pollfd pfd = { .fd = p->facts->supervisor_pidfd, .events = POLLIN };

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                _exit(EXIT_FAILURE);
        if (poll(&pfd, 1, 0) != 0)
                _exit(EXIT_FAILURE);
}

static void setup_console(const SpawnPlan *p, int channel) {
        int fd;

        if (setsid() < 0)
                channel_fail(channel, errno, "start a session");
        if (p->console->mode == CONSOLE_PIPE)
                return; /* our stdio is the supervisor's */

        /* As session leader without a controlling terminal, opening the
         * console makes it ours. */
        fd = open("/dev/console", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                channel_fail(channel, errno, "open /dev/console");
        if (ioctl(fd, TIOCSCTTY, 0) < 0 && errno != EPERM)
                channel_fail(channel, errno, "make /dev/console our terminal");
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        channel_fail(channel, errno, "connect to /dev/console");
        if (fd > 2)
                safe_close(fd);
}

static char **build_environment(const SpawnPlan *p, const UserEntry *user, int channel) {
        _cleanup_strv_free_ char **env = NULL;
        char uuid[ID128_UUID_STRING_MAX];
        const char *term = getenv("TERM");
        int r = 0;

        if (p->console->mode == CONSOLE_PIPE || isempty(term))
                term = "vt220";

        r = r ?: strv_env_setf(&env, "PATH", DEFAULT_PATH);
        r = r ?: strv_env_setf(&env, "container", "berth");
        r = r ?: strv_env_setf(&env, "container_uuid", id128_to_uuid_string(p->tree->uuid, uuid));
        r = r ?: strv_env_setf(&env, "NOTIFY_SOCKET", NOTIFY_SOCKET_PATH);
        r = r ?: strv_env_setf(&env, "TERM", term);
        r = r ?: strv_env_setf(&env, "HOME", user ? user->home : "/root");
        r = r ?: strv_env_setf(&env, "USER", user ? user->name : "root");
        r = r ?: strv_env_setf(&env, "LOGNAME", user ? user->name : "root");
        if (user)
                r = r ?: strv_env_setf(&env, "SHELL", user->shell);
        STRV_FOREACH(e, p->config->environment)
                r = r ?: strv_env_set(&env, *e);
        if (r < 0)
                channel_fail(channel, r, "set up the environment");
        return TAKE_PTR(env);
}

static char **build_argv(const SpawnPlan *p, const UserEntry *user, int channel) {
        _cleanup_strv_free_ char **argv = NULL;
        char *const *params = p->config->parameters;
        int r = 0;

        if (p->config->mode == BOOT_MODE_BOOT) {
                /* INIT-ARGS: an absolute first one names the init to run. */
                if (!params || !path_is_absolute(params[0]))
                        r = strv_extend(&argv, DEFAULT_INIT_PATH);
                STRV_FOREACH(a, (char **) params)
                        r = r ?: strv_extend(&argv, *a);
        } else if (strv_length(params) > 0)
                argv = strv_copy(params);
        else
                r = strv_extend(&argv, user ? user->shell : "/bin/sh");

        if (r < 0 || !argv)
                channel_fail(channel, ENOMEM, "build the command line");
        return TAKE_PTR(argv);
}

static _noreturn_ void exec_payload(const SpawnPlan *p, char **argv, char **env, int channel) {
        if (reset_all_signals() < 0)
                channel_fail(channel, errno, "reset signals");
        /* Ours: PID 1, or PID 2 under the stub. */
        if (listen_fds_set_pid(p->listen_fds, &env) < 0)
                channel_fail(channel, ENOMEM, "set LISTEN_PID");
        execve_search_path(argv, env);
        channel_fail(channel, errno, "execute '%s' in the machine", argv[0]);
}

/* The machine's confinement, the last thing before its payload runs (we
 * still change user, directory and fds, which the filter allows). */
static void confine(const SpawnPlan *p, int channel) {
        const MachineConfinement *m = p->confinement;
        int r;

        /* Not the keyring of whoever started us (the administrator's,
         * with their secrets): a new, empty one. */
        r = keyring_new_session();
        if (r < 0)
                channel_fail(channel, r, "make a session keyring of the machine's own");

        r = selinux_set_exec_context(p->config->selinux_context);
        if (r < 0)
                channel_fail(channel, r, "set SELinux context '%s'", p->config->selinux_context);

        r = caps_limit_bounding_set(m->bounding);
        if (r < 0)
                channel_fail(channel, r, "limit the capability bounding set");

        if (m->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                channel_fail(channel, errno, "turn on no-new-privileges");

        /* With CAP_SYS_ADMIN in the machine's user namespace, which we
         * still have (whatever the bounding set now says): the filter
         * doesn't need no-new-privileges then. */
        if (m->seccomp) {
                r = seccomp_install_blob(m->seccomp, m->seccomp_size);
                if (r < 0)
                        channel_fail(channel, r, "install the system call filter");
        }

        r = caps_restrict(m->bounding, m->ambient);
        if (r < 0)
                channel_fail(channel, r, "limit the capabilities");
}

/* /etc/resolv.conf and /etc/localtime from the host's (host-files.h),
 * written as the machine's root. As systemd-nspawn, a failure is only a
 * warning; a symlink (a resolved of the machine's own), a read-only tree
 * or a time zone the machine lacks are left alone quietly. */
static void setup_host_files(const SpawnPlan *p, int root_fd) {
        const HostFile *files[] = { &p->facts->resolv_conf, &p->facts->localtime };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                int r = host_file_apply(files[i], root_fd);

                if (IN_SET(r, -ELOOP, -EROFS, -ENOENT))
                        log_debug_errno(r, "Left %s of the machine alone: %m", files[i]->path);
                else if (r < 0)
                        log_warning_errno(r, "Failed to set up %s in the machine, ignoring: %m", files[i]->path);
        }
}

/* What crosses into the machine: stdio, and the sockets we were started
 * with (socket activation) at 3…; the channel to the supervisor closes at
 * the exec. */
static int close_fds(const SpawnPlan *p, int channel, char ***env) {
        const MachineListenFds *l = p->listen_fds;
        int keep[4 + l->n];
        int r;

        keep[0] = 0, keep[1] = 1, keep[2] = 2, keep[3] = channel;
        for (size_t i = 0; i < l->n; i++)
                keep[4 + i] = SD_LISTEN_FDS_START + (int) i;
        r = close_all_fds_except(keep, 4 + l->n);
        if (r < 0)
                return r;
        return listen_fds_install(l, env);
}

_noreturn_ void inner_child(const SpawnPlan *p, int channel) {
        _cleanup_(user_entry_done) UserEntry user = {};
        _cleanup_strv_free_ char **env = NULL, **argv = NULL;
        _cleanup_close_ int root_fd = -EBADF;
        const char *what = NULL;
        int r;

        /* State: PID 1 of the machine's PID namespace, in all its namespaces
         * (user, mount, UTS, IPC, cgroup rooted at payload/, maybe net), root
         * in its user namespace with all capabilities there and none on the
         * host. The mounts of the outer child are locked. The root is still
         * the host's. */
        die_with_supervisor(p);
        log_debug("Inner child running.");

        root_fd = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                channel_fail(channel, errno, "open the machine's root");

        MountSetup ms = {
                .root_fd = root_fd,
                .uid = 0,
                .private_network = boot_config_private_network(p->config),
                .bind_machine_id = p->tree->bind_machine_id,
                .apifs_context = p->config->selinux_apifs_context,
        };
        r = mount_setup_inner(&ms, &what);
        if (r < 0)
                channel_fail(channel, r, "set up %s in the machine", what);
        setup_host_files(p, root_fd);
        root_fd = safe_close(root_fd);

        log_debug("Inner mounts done.");
        r = mount_switch_root(STAGING_DIR, &what);
        if (r < 0)
                channel_fail(channel, r, "switch to the machine's root (%s)", what);

        /* State: in the machine's root; nothing of the host's file system is
         * reachable any more. */
        if (sethostname(p->facts->hostname, strlen(p->facts->hostname)) < 0)
                channel_fail(channel, errno, "set hostname '%s'", p->facts->hostname);

        log_debug("Switched root.");
        setup_console(p, channel);

        if (p->config->user) {
                r = user_db_find_user("/etc/passwd", p->config->user, &user);
                if (r == -ESRCH)
                        channel_fail(channel, SYNTHETIC_ERRNO(ESRCH), "find user '%s' in the machine's /etc/passwd",
                                     p->config->user);
                if (r < 0)
                        channel_fail(channel, r, "read /etc/passwd in the machine");
        }
        env = build_environment(p, p->config->user ? &user : NULL, channel);
        argv = build_argv(p, p->config->user ? &user : NULL, channel);

        confine(p, channel);

        if (p->config->user) {
                /* Looked up in the machine's own files, like its groups. */
                r = enter_become_user(&user);
                if (r < 0)
                        channel_fail(channel, r, "become user '%s'", user.name);
        }
        r = caps_raise_ambient(p->confinement->ambient);
        if (r < 0)
                channel_fail(channel, r, "raise the ambient capabilities");

        /* --chdir must work; a user's home may be missing (as nobody's
         * /nonexistent is): then "/", as login(1) does. */
        const char *wd = p->config->working_directory ?: (p->config->user ? user.home : "/");
        if (chdir(wd) < 0 && (p->config->working_directory || chdir("/") < 0))
                channel_fail(channel, errno, "change to directory '%s' in the machine", wd);

        r = close_fds(p, channel, &env);
        if (r < 0)
                channel_fail(channel, r, "close file descriptors");

        log_debug("Executing %s.", argv[0]);
        if (p->config->as_pid2) {
                pid_t pid = fork();

                if (pid < 0)
                        channel_fail(channel, errno, "fork the command");
                if (pid == 0)
                        exec_payload(p, argv, env, channel);
                safe_close(channel);
                (void) close_all_fds_except((const int[]) { 0, 1, 2 }, 3); /* the sockets are the command's */
                _exit(stub_init(pid));
        }

        exec_payload(p, argv, env, channel);
}

int inner_child_main(void *args) {
        ChildArgs *a = args;

        inner_child(a->plan, a->channel);
}
