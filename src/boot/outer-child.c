/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "boot.h"
#include "chase.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "log.h"
#include "mount-setup.h"
#include "mount-util.h"
#include "path-util.h"
#include "process-util.h"
#include "string-util.h"
#include "sync.h"

/* Ephemeral machines: the tree becomes the read-only lower layer of an
 * overlay whose upper layer is a tmpfs private to this mount namespace, so
 * it is gone with the machine, and starting costs the same for any size of
 * tree. Done with host privileges, so the overlay may use trusted xattrs on
 * its upper layer and the idmapped tree as its lower one. */
static void setup_overlay(Machine *m, int sync_fd) {
        _cleanup_close_ int fs = -EBADF, tmp = -EBADF, lower = -EBADF, upper = -EBADF, work = -EBADF;
        _cleanup_free_ char *data = NULL;
        char l[FD_PATH_MAX], u[FD_PATH_MAX], w[FD_PATH_MAX];
        struct stat st;

        fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                sync_fail(sync_fd, errno, "create the tmpfs for the ephemeral overlay");
        tmp = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        if (tmp < 0)
                sync_fail(sync_fd, errno, "mount the tmpfs for the ephemeral overlay");

        lower = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (lower < 0 || fstat(lower, &st) < 0)
                sync_fail(sync_fd, errno, "open the machine's root");

        /* The overlay's root shows the upper layer's root: make it look
         * like the tree's (as the machine sees it). */
        if (mkdirat(tmp, "upper", st.st_mode & 07777) < 0 || fchownat(tmp, "upper", st.st_uid, st.st_gid, 0) < 0 ||
            fchmodat(tmp, "upper", st.st_mode & 07777, 0) < 0 || mkdirat(tmp, "work", 0700) < 0)
                sync_fail(sync_fd, errno, "prepare the ephemeral overlay");
        upper = openat(tmp, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
        work = openat(tmp, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (upper < 0 || work < 0)
                sync_fail(sync_fd, errno, "prepare the ephemeral overlay");

        data = strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s", fd_path(lower, l), fd_path(upper, u),
                             fd_path(work, w));
        if (!data)
                sync_fail(sync_fd, ENOMEM, "prepare the ephemeral overlay");
        if (mount("overlay", STAGING_DIR, "overlay", 0, data) < 0)
                sync_fail(sync_fd, errno, "mount the ephemeral overlay on '%s'", m->root);
}

static void setup_root(Machine *m, int sync_fd) {
        int r;

        /* Not on the tree's own path: the machine's root user could not
         * walk there (/var/lib/machines is 0700). */
        if (m->root_tree_fd >= 0)
                r = mount_attach(m->root_tree_fd, AT_FDCWD, STAGING_DIR); /* idmapped by the supervisor */
        else
                r = mount_bind(m->root, STAGING_DIR, true);
        if (r < 0)
                sync_fail(sync_fd, r, "mount '%s' as the machine's root", m->root);

        if (m->config->ephemeral)
                setup_overlay(m, sync_fd);
}

static void join_userns(Machine *m, int sync_fd) {
        if (m->userns_fd < 0)
                return;
        /* From here on our capabilities are those of the machine's root, in
         * its user namespace only: the host's are gone for good. */
        if (setns(m->userns_fd, CLONE_NEWUSER) < 0)
                sync_fail(sync_fd, errno, "join the machine's user namespace");
        if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                sync_fail(sync_fd, errno, "become root in the machine's user namespace");
}

static _noreturn_ void outer_child(Machine *m, int sync_fd) {
        _cleanup_free_ char *payload = NULL;
        _cleanup_close_ int root_fd = -EBADF, notify_fd = -EBADF;
        const char *what = NULL;
        pid_t pid;
        int r;

        /* State: a child of the supervisor, host root with all capabilities,
         * in every host namespace but a private mount namespace (cloned with
         * CLONE_NEWNS). We hold the supervisor's fds: the user namespace,
         * the idmapped tree, the console pty. */
        if (die_with_parent(m->supervisor_pid) < 0)
                _exit(EXIT_FAILURE);

        /* Nothing we mount from here on propagates to the host. */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                sync_fail(sync_fd, errno, "make our mounts private");

        log_debug("Outer child running.");
        setup_root(m, sync_fd);
        log_debug("Root mounted.");

        root_fd = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                sync_fail(sync_fd, errno, "open the machine's root");

        MountSetup ms = {
                .root_fd = root_fd,
                .uid = m->uid_base,
                .private_network = m->config->private_network,
                .bind_machine_id = m->bind_machine_id,
                .machine_id = m->uuid,
                .console = m->pty_slave_path,
                .host_os_release = m->host_os_release,
                .apifs_context = m->config->selinux_apifs_context,
        };
        r = mount_setup_outer(&ms, &notify_fd, &what);
        if (r < 0)
                sync_fail(sync_fd, r, "set up %s in the machine", what);

        log_debug("API filesystems mounted.");
        r = custom_mounts_apply(root_fd, m->config->mounts, m->config->n_mounts, m->userns_fd, m->uid_base, &what);
        if (r < 0)
                sync_fail(sync_fd, r, "mount '%s' in the machine", what);
        if (m->journal_mount.source) {
                r = custom_mounts_apply(root_fd, &m->journal_mount, 1, m->userns_fd, m->uid_base, &what);
                if (r < 0)
                        sync_fail(sync_fd, r, "bind the journal '%s' into the machine", what);
        }

        r = sync_send(sync_fd, SYNC_NOTIFY_FD, 0, notify_fd);
        if (r < 0)
                _exit(EXIT_FAILURE);
        notify_fd = safe_close(notify_fd);

        /* Into payload/: the machine's cgroup namespace is rooted where we
         * are when we clone it. */
        payload = path_join(m->cgroup, "payload");
        if (!payload)
                sync_fail(sync_fd, ENOMEM, "join the payload cgroup");
        r = cgroup_attach(m->unified_mount, payload, 0);
        if (r < 0)
                sync_fail(sync_fd, r, "join cgroup '%s'", payload);
        STRV_FOREACH(d, m->record.cgroups_v1) {
                r = cgroup_v1_attach(*d, 0);
                if (r < 0)
                        sync_fail(sync_fd, r, "join cgroup '%s'", *d);
        }

        if (m->proc_helper) {
                r = mount_setup_proc_helper(PROC_HELPER_DIR);
                if (r < 0)
                        sync_fail(sync_fd, r, "mount a procfs at %s", PROC_HELPER_DIR);
        }

        join_userns(m, sync_fd);
        log_debug("Joined the user namespace.");

        /* The machine's namespaces, owned by its user namespace; our mounts
         * are copied into its mount namespace and locked there. The child
         * is the supervisor's (CLONE_PARENT), not ours. */
        int flags = CLONE_PARENT | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
                    (m->config->private_network ? CLONE_NEWNET : 0);
        if (m->config->as_pid2) {
                /* PID 1 stays, as the stub init, and never execs: it needs
                 * memory of its own. */
                struct clone_args args = { .flags = (uint64_t) flags };

                pid = clone3_fork(&args);
                if (pid == 0)
                        inner_child(m, sync_fd);
        } else {
                ChildArgs a = { .machine = m, .sync_fd = sync_fd, .close_fd = -EBADF };
                void *stack = NULL;

                /* We go on once the inner child has exec'd init (or died). */
                pid = clone_in_our_memory(inner_child_main, &a, flags | CLONE_VFORK, &stack);
                clone_stack_free(stack);
        }
        if (pid < 0)
                sync_fail(sync_fd, pid, "create the machine's namespaces");

        log_debug("Cloned the machine's namespaces.");
        (void) sync_send(sync_fd, SYNC_LEADER, pid, -EBADF);
        _exit(EXIT_SUCCESS);
}

int outer_child_main(void *args) {
        ChildArgs *a = args;

        safe_close(a->close_fd);
        outer_child(a->machine, a->sync_fd);
}
