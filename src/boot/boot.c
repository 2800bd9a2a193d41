/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "boot.h"
#include "chase.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "lock-util.h"
#include "log.h"
#include "mount-setup.h"
#include "machine-name.h"
#include "path-util.h"
#include "process-util.h"
#include "selinux-util.h"
#include "string-util.h"
#include "strv.h"
#include "sync.h"

#define MACHINES_DIR BERTH_RUNTIME_DIR "/machines"

static void machine_done(Machine *m) {
        free(m->name);
        free(m->root);
        safe_close(m->root_fd);
        free(m->hostname);
        free(m->host_os_release);
        free(m->journal_mount.source);
        free(m->journal_mount.destination);
        safe_close(m->supervisor_pidfd);
        lock_file_release(&m->uid_lock);
        safe_close(m->userns_fd);
        safe_close(m->root_tree_fd);
        lock_file_release(&m->name_lock);
        lock_file_release(&m->image_lock);
        free(m->unified_mount);
        free(m->cgroup);
        free(m->cgroup_origin);
        free(m->unit);
        sd_bus_flush_close_unref(m->bus);
        safe_close(m->pty_master);
        safe_close(m->pty_slave);
        console_log_free(m->console_log);
        free(m->pty_slave_path);
        safe_close(m->sync_fd);
        safe_close(m->notify_fd);
        safe_close(m->leader_pidfd);
        machine_record_done(&m->record);
        pty_forward_free(m->forward);
        sd_event_unref(m->event);
}

/* The tree's machine ID, when it has a valid one. */
static int read_tree_machine_id(Machine *m, bool *ret_present, Id128 *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *s = NULL;
        int r;

        *ret_present = false;
        r = open_in_root(m->root_fd, "/etc/machine-id", O_RDONLY | O_NOCTTY, 0, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        *ret_present = true;
        if (read_full_fd(fd, 4096, &s, NULL) < 0)
                return 0;
        strstrip_trailing(s);
        return id128_from_string(s, ret) >= 0 && !id128_is_null(*ret) ? 1 : 0;
}

static int find_tree(Machine *m) {
        const BootConfig *c = m->config;
        _cleanup_free_ char *path = NULL;
        int r;

        r = image_resolve(c->directory, c->machine, BERTH_IMAGE_DIR, &path, &m->root);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0 && !path && c->machine && !c->directory)
                return log_error_errno(r, "Failed to find image '%s' in %s: %m", c->machine, BERTH_IMAGE_DIR);
        if (r < 0)
                return log_error_errno(r, "Failed to find directory '%s': %m", path ?: ".");
        if (streq(m->root, "/"))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Refusing to boot the host's root directory.");
        for (const char *p = m->root; *p; p++)
                if ((unsigned char) *p < ' ')
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                               "Refusing directory path with control characters.");

        m->root_fd = open(m->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->root_fd < 0)
                return log_error_errno(errno, "Failed to open directory '%s': %m", m->root);
        return 0;
}

static int check_tree(Machine *m) {
        const BootConfig *c = m->config;
        _cleanup_free_ char *os_release = NULL;
        _cleanup_close_ int usr = -EBADF;
        const char *init = DEFAULT_INIT_PATH;
        int r;

        if (c->mode == BOOT_MODE_RUN) {
                r = open_in_root(m->root_fd, "/usr", O_PATH | O_DIRECTORY, 0, &usr);
                if (r < 0)
                        return log_error_errno(SYNTHETIC_ERRNO(ENOTDIR),
                                               "Directory '%s' doesn't look like an OS tree: /usr is missing.",
                                               m->root);
                return 0;
        }

        r = os_release_read(m->root_fd, &os_release);
        if (r < 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                       "Directory '%s' doesn't look like an OS tree: neither /etc/os-release nor "
                                       "/usr/lib/os-release is there.",
                                       m->root);

        if (c->parameters && path_is_absolute(c->parameters[0]))
                init = c->parameters[0];
        r = image_check_executable(m->root_fd, init);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "Directory '%s' has no %s to boot.", m->root, init);
        if (r < 0)
                return log_error_errno(r, "Directory '%s' has no executable %s to boot: %m", m->root, init);
        return 0;
}

/* Everything that can be checked before the first side effect. */
static int machine_prepare(Machine *m) {
        const BootConfig *c = m->config;
        const char *what = NULL;
        bool present = false;
        Id128 tree_id = {};
        int r;

        r = find_tree(m);
        if (r < 0)
                return r;

        if (c->machine)
                m->name = strdup(c->machine);
        else {
                const char *slash = strrchr(m->root, '/');
                m->name = strdup(slash + 1);
                if (m->name && !machine_name_is_valid(m->name))
                        return log_usage("Directory name '%s' is not a valid machine name; name the machine with -M.",
                                         m->name);
        }
        m->hostname = strdup(c->hostname ?: m->name);
        if (!m->name || !m->hostname)
                return log_oom();

        r = check_tree(m);
        if (r < 0)
                return r;

        r = custom_mounts_check_sources(c->mounts, c->n_mounts, &what);
        if (r < 0)
                return log_error_errno(r, "Failed to find bind source '%s': %m", what);

        if (c->selinux_context || c->selinux_apifs_context) {
                const char *ctx = c->selinux_context ?: c->selinux_apifs_context;
                r = selinux_check_context(ctx);
                if (r == -EOPNOTSUPP)
                        return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                               "SELinux is not enabled on this host: can't use context '%s'.", ctx);
                if (r < 0)
                        return log_error_errno(r, "SELinux context '%s' is not valid: %m", ctx);
        }

        /* The machine's UUID: --uuid, else the tree's machine ID, else new. */
        r = read_tree_machine_id(m, &present, &tree_id);
        if (c->set_by & SETTING_UUID)
                m->uuid = c->uuid;
        else if (r > 0)
                m->uuid = tree_id;
        else if (id128_randomize(&m->uuid) < 0)
                return log_error_errno(errno, "Failed to generate a UUID: %m");
        /* An empty machine-id gets one bound over it, never written. */
        m->bind_machine_id = present && r <= 0;

        m->console = console_mode_resolve(c->console, c->mode, isatty(STDIN_FILENO), isatty(STDOUT_FILENO));

        if (read_full_file("/etc/os-release", &m->host_os_release, NULL) < 0)
                (void) read_full_file("/usr/lib/os-release", &m->host_os_release, NULL);

        r = mkdir_p(STAGING_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", STAGING_DIR);
        m->proc_helper = c->private_users != PRIVATE_USERS_NO && mount_setup_proc_is_covered();
        if (m->proc_helper) {
                r = mkdir_p(PROC_HELPER_DIR, 0755);
                if (r < 0)
                        return log_error_errno(r, "Failed to create %s: %m", PROC_HELPER_DIR);
        }

        m->supervisor_pid = getpid();
        m->supervisor_pidfd = pidfd_open(m->supervisor_pid, 0);
        if (m->supervisor_pidfd < 0)
                return log_error_errno(errno, "Failed to open a pidfd of ourselves: %m");
        return 0;
}

/* Reads what the children report until the inner child has exec'd. */
static int machine_wait_started(Machine *m) {
        int r = 0;

        for (;;) {
                SyncMessage msg;
                int fd;
                ssize_t n = receive_with_fds(m->sync_fd, &msg, sizeof msg, &fd, 1);

                if (n == -EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno((int) n, "Failed to hear from the machine's setup: %m");
                if (n == 0)
                        break; /* everybody closed: init has been exec'd */
                if ((size_t) n != sizeof msg) {
                        safe_close(fd);
                        continue;
                }

                switch (msg.type) {
                case SYNC_NOTIFY_FD:
                        safe_close(m->notify_fd);
                        m->notify_fd = fd;
                        break;
                case SYNC_LEADER:
                        safe_close(fd);
                        m->leader = msg.pid;
                        m->leader_pidfd = pidfd_open(m->leader, 0);
                        if (m->leader_pidfd < 0)
                                return log_error_errno(errno, "Failed to open a pidfd of the machine's init: %m");
                        break;
                case SYNC_ERROR:
                        safe_close(fd);
                        msg.text[sizeof msg.text - 1] = '\0';
                        if (r == 0)
                                r = log_error_errno(msg.error ?: EIO, "Failed to %s: %m", msg.text);
                        break;
                default:
                        safe_close(fd);
                }
        }
        return r;
}

static int machine_spawn(Machine *m) {
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        void *stack = NULL;
        siginfo_t si;
        int r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "Failed to create a socket pair: %m");

        /* We are suspended until the outer child is done (CLONE_VFORK); what
         * the children report waits in the socket meanwhile. */
        ChildArgs args = { .machine = m, .sync_fd = pair[1], .close_fd = pair[0] };
        m->outer_pid = clone_in_our_memory(outer_child_main, &args, CLONE_VFORK | CLONE_NEWNS | SIGCHLD, &stack);
        clone_stack_free(stack);
        if (m->outer_pid < 0)
                return log_error_errno(m->outer_pid, "Failed to start the machine's setup: %m");
        pair[1] = safe_close(pair[1]);
        m->sync_fd = TAKE_FD(pair[0]);

        r = machine_wait_started(m);
        m->sync_fd = safe_close(m->sync_fd);
        if (r >= 0 && m->leader <= 0) {
                /* It died without a word: its status says how. */
                (void) wait_for_terminate(m->outer_pid, &si);
                m->outer_pid = 0;
                r = log_error_errno(SYNTHETIC_ERRNO(EIO), "Failed to start the machine: its setup died (%s).",
                                    si.si_code == CLD_EXITED ? "exited" : sigabbrev_np(si.si_status) ?: "?");
        }
        /* Otherwise the outer child is reaped later: its mount namespace,
         * going away as it exits, takes a while, and init is running. */
        return r;
}

static void machine_reap_outer(Machine *m) {
        if (m->outer_pid <= 0)
                return;
        (void) wait_for_terminate(m->outer_pid, NULL);
        m->outer_pid = 0;
}

static void machine_reap_leader(Machine *m) {
        if (m->leader <= 0)
                return;
        (void) pidfd_send_signal(m->leader_pidfd, SIGKILL, NULL, 0);
        (void) wait_for_terminate(m->leader, NULL);
        m->leader = 0;
}

static void log_start(Machine *m) {
        if (m->config->quiet)
                return;
        if (m->config->mode == BOOT_MODE_RUN && m->console != CONSOLE_INTERACTIVE)
                return;
        log_info("%s machine '%s' from %s.", m->config->mode == BOOT_MODE_BOOT ? "Booting" : "Running", m->name,
                 m->root);
        if (m->console == CONSOLE_INTERACTIVE)
                log_info("Press ^] three times within 1s to kill the machine.");
}

int boot_machine(const BootConfig *config) {
        _cleanup_(machine_done) Machine m = {
                .config = config,
                .root_fd = -EBADF,
                .supervisor_pidfd = -EBADF,
                .uid_lock = LOCK_FILE_NULL,
                .userns_fd = -EBADF,
                .root_tree_fd = -EBADF,
                .name_lock = LOCK_FILE_NULL,
                .image_lock = LOCK_FILE_NULL,
                .pty_master = -EBADF,
                .pty_slave = -EBADF,
                .sync_fd = -EBADF,
                .notify_fd = -EBADF,
                .leader_pidfd = -EBADF,
        };
        int r;

        /* Signals are taken through the event loop; block them before any
         * child exists (children unblock before they exec). */
        if (sigprocmask_many(SIG_BLOCK, NULL, SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGWINCH, -1) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        log_debug("Starting.");
        machine_log_to_journal(config->machine);
        r = machine_prepare(&m);
        machine_log_to_journal(r < 0 ? NULL : m.name);
        if (r < 0)
                return r;

        log_debug("Checked the tree.");

        r = machine_lock(&m);
        if (r >= 0) {
                log_debug("Locked name and image.");
                r = machine_setup_userns(&m);
        }
        if (r >= 0) {
                log_debug("User namespace ready (base %u, %s).", (unsigned) m.uid_base,
                          ownership_to_string(m.ownership));
                r = machine_setup_journal_link(&m);
        }
        if (r >= 0)
                r = machine_setup_cgroup(&m);
        if (r >= 0) {
                log_debug("Cgroup ready.");
                r = machine_setup_console(&m);
        }
        if (r >= 0) {
                log_start(&m);
                r = machine_spawn(&m);
        }
        if (r >= 0) {
                log_debug("Machine started, leader %i.", m.leader);
                r = machine_register(&m);
        }
        if (r >= 0)
                r = machine_write_record(&m, config->mode == BOOT_MODE_RUN ? MACHINE_RUNNING : MACHINE_STARTING);
        if (r >= 0) {
                if (!config->notify_ready)
                        (void) sd_notify(false, "READY=1\nSTATUS=Machine started.");
                r = machine_supervise(&m);
        }

        log_debug("Machine stopped.");
        machine_reap_outer(&m);
        machine_reap_leader(&m);
        machine_undo_host(&m);
        log_debug("Cleaned up.");
        /* Errors are logged by now; m.name goes with m. */
        machine_log_to_journal(NULL);
        return r < 0 ? r : m.exit_status;
}
