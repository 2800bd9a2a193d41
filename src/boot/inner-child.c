/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>

#include "boot.h"
#include "caps.h"
#include "enter.h"
#include "fd-util.h"
#include "log.h"
#include "mount-setup.h"
#include "notify.h"
#include "path-util.h"
#include "process-util.h"
#include "selinux-util.h"
#include "string-util.h"
#include "strv.h"
#include "sync.h"
#include "user-db.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* PDEATHSIG is tied to the supervisor, our parent (CLONE_PARENT). It may
 * have died before we asked for it: its pidfd tells. */
static void die_with_supervisor(Machine *m) {
        struct pollfd p = { .fd = m->supervisor_pidfd, .events = POLLIN };

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                _exit(EXIT_FAILURE);
        if (poll(&p, 1, 0) != 0)
                _exit(EXIT_FAILURE);
}

static void setup_console(Machine *m, int sync_fd) {
        int fd;

        if (setsid() < 0)
                sync_fail(sync_fd, errno, "start a session");
        if (m->console == CONSOLE_PIPE)
                return; /* our stdio is the supervisor's */

        /* As session leader without a controlling terminal, opening the
         * console makes it ours. */
        fd = open("/dev/console", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                sync_fail(sync_fd, errno, "open /dev/console");
        if (ioctl(fd, TIOCSCTTY, 0) < 0 && errno != EPERM)
                sync_fail(sync_fd, errno, "make /dev/console our terminal");
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        sync_fail(sync_fd, errno, "connect to /dev/console");
        if (fd > 2)
                safe_close(fd);
}

static char **build_environment(Machine *m, const UserEntry *user, int sync_fd) {
        _cleanup_strv_free_ char **env = NULL;
        char uuid[ID128_UUID_STRING_MAX];
        const char *term = getenv("TERM");
        int r = 0;

        if (m->console == CONSOLE_PIPE || isempty(term))
                term = "vt220";

        r = r ?: strv_env_setf(&env, "PATH", DEFAULT_PATH);
        r = r ?: strv_env_setf(&env, "container", "berth");
        r = r ?: strv_env_setf(&env, "container_uuid", id128_to_uuid_string(m->uuid, uuid));
        r = r ?: strv_env_setf(&env, "NOTIFY_SOCKET", NOTIFY_SOCKET_PATH);
        r = r ?: strv_env_setf(&env, "TERM", term);
        r = r ?: strv_env_setf(&env, "HOME", user ? user->home : "/root");
        r = r ?: strv_env_setf(&env, "USER", user ? user->name : "root");
        r = r ?: strv_env_setf(&env, "LOGNAME", user ? user->name : "root");
        if (user)
                r = r ?: strv_env_setf(&env, "SHELL", user->shell);
        STRV_FOREACH(e, m->config->environment)
                r = r ?: strv_env_set(&env, *e);
        if (r < 0)
                sync_fail(sync_fd, r, "set up the environment");
        return TAKE_PTR(env);
}

static char **build_argv(Machine *m, const UserEntry *user, int sync_fd) {
        _cleanup_strv_free_ char **argv = NULL;
        char *const *params = m->config->parameters;
        int r = 0;

        if (m->config->mode == BOOT_MODE_BOOT) {
                /* INIT-ARGS: an absolute first one names the init to run. */
                if (!params || !path_is_absolute(params[0]))
                        r = strv_extend(&argv, DEFAULT_INIT_PATH);
                STRV_FOREACH(p, (char **) params)
                        r = r ?: strv_extend(&argv, *p);
        } else if (strv_length(params) > 0)
                argv = strv_copy(params);
        else
                r = strv_extend(&argv, user ? user->shell : "/bin/sh");

        if (r < 0 || !argv)
                sync_fail(sync_fd, ENOMEM, "build the command line");
        return TAKE_PTR(argv);
}

static _noreturn_ void exec_payload(char **argv, char **env, int sync_fd) {
        if (reset_all_signals() < 0)
                sync_fail(sync_fd, errno, "reset signals");
        execve_search_path(argv, env);
        sync_fail(sync_fd, errno, "execute '%s' in the machine", argv[0]);
}

_noreturn_ void inner_child(Machine *m, int sync_fd) {
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
        die_with_supervisor(m);
        log_debug("Inner child running.");

        root_fd = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                sync_fail(sync_fd, errno, "open the machine's root");

        MountSetup ms = {
                .root_fd = root_fd,
                .uid = 0,
                .private_network = m->config->private_network,
                .bind_machine_id = m->bind_machine_id,
                .apifs_context = m->config->selinux_apifs_context,
        };
        r = mount_setup_inner(&ms, &what);
        if (r < 0)
                sync_fail(sync_fd, r, "set up %s in the machine", what);
        root_fd = safe_close(root_fd);

        log_debug("Inner mounts done.");
        r = mount_switch_root(STAGING_DIR, &what);
        if (r < 0)
                sync_fail(sync_fd, r, "switch to the machine's root (%s)", what);

        /* State: in the machine's root; nothing of the host's file system is
         * reachable any more. */
        if (sethostname(m->hostname, strlen(m->hostname)) < 0)
                sync_fail(sync_fd, errno, "set hostname '%s'", m->hostname);

        log_debug("Switched root.");
        setup_console(m, sync_fd);

        if (m->config->user) {
                r = user_db_find_user("/etc/passwd", m->config->user, &user);
                if (r == -ESRCH)
                        sync_fail(sync_fd, SYNTHETIC_ERRNO(ESRCH), "find user '%s' in the machine's /etc/passwd",
                                  m->config->user);
                if (r < 0)
                        sync_fail(sync_fd, r, "read /etc/passwd in the machine");
        }
        env = build_environment(m, m->config->user ? &user : NULL, sync_fd);
        argv = build_argv(m, m->config->user ? &user : NULL, sync_fd);

        r = selinux_set_exec_context(m->config->selinux_context);
        if (r < 0)
                sync_fail(sync_fd, r, "set SELinux context '%s'", m->config->selinux_context);

        r = caps_limit_bounding_set(caps_machine_default(m->config->private_network));
        if (r < 0)
                sync_fail(sync_fd, r, "limit the capability bounding set");

        if (m->config->user) {
                /* Looked up in the machine's own files, like its groups. */
                r = enter_become_user(&user);
                if (r < 0)
                        sync_fail(sync_fd, r, "become user '%s'", user.name);
        }

        /* --chdir must work; a user's home may be missing (as nobody's
         * /nonexistent is): then "/", as login(1) does. */
        const char *wd = m->config->working_directory ?: (m->config->user ? user.home : "/");
        if (chdir(wd) < 0 && (m->config->working_directory || chdir("/") < 0))
                sync_fail(sync_fd, errno, "change to directory '%s' in the machine", wd);

        r = close_all_fds_except((const int[]) { 0, 1, 2, sync_fd }, 4);
        if (r < 0)
                sync_fail(sync_fd, r, "close file descriptors");

        log_debug("Executing %s.", argv[0]);
        if (m->config->as_pid2) {
                pid_t pid = fork();

                if (pid < 0)
                        sync_fail(sync_fd, errno, "fork the command");
                if (pid == 0)
                        exec_payload(argv, env, sync_fd);
                safe_close(sync_fd);
                _exit(stub_init(pid));
        }

        exec_payload(argv, env, sync_fd);
}

int inner_child_main(void *args) {
        ChildArgs *a = args;

        inner_child(a->machine, a->sync_fd);
}
