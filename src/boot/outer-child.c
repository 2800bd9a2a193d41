/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "channel.h"
#include "chase.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "log.h"
#include "mount-setup.h"
#include "mount-util.h"
#include "path-util.h"
#include "process-util.h"
#include "string-util.h"
#include "start.h"
#include "strv.h"

/* Ephemeral machines: the tree becomes the read-only lower layer of an
 * overlay whose upper layer is a tmpfs private to this mount namespace, so
 * it is gone with the machine, and starting costs the same for any size of
 * tree. Done with host privileges, so the overlay may use trusted xattrs on
 * its upper layer and the idmapped tree as its lower one. */
static void setup_overlay(const SpawnPlan *p, int channel) {
        _cleanup_close_ int fs = -EBADF, tmp = -EBADF, lower = -EBADF, upper = -EBADF, work = -EBADF;
        _cleanup_free_ char *data = NULL;
        char l[FD_PATH_MAX], u[FD_PATH_MAX], w[FD_PATH_MAX];
        struct stat st;

        fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                channel_fail(channel, errno, "create the tmpfs for the ephemeral overlay");
        tmp = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        if (tmp < 0)
                channel_fail(channel, errno, "mount the tmpfs for the ephemeral overlay");

        lower = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (lower < 0 || fstat(lower, &st) < 0)
                channel_fail(channel, errno, "open the machine's root");

        /* The overlay's root shows the upper layer's root: make it look
         * like the tree's (as the machine sees it). */
        if (mkdirat(tmp, "upper", st.st_mode & 07777) < 0 || fchownat(tmp, "upper", st.st_uid, st.st_gid, 0) < 0 ||
            fchmodat(tmp, "upper", st.st_mode & 07777, 0) < 0 || mkdirat(tmp, "work", 0700) < 0)
                channel_fail(channel, errno, "prepare the ephemeral overlay");
        upper = openat(tmp, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
        work = openat(tmp, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (upper < 0 || work < 0)
                channel_fail(channel, errno, "prepare the ephemeral overlay");

        data = strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s", fd_path(lower, l), fd_path(upper, u),
                             fd_path(work, w));
        if (!data)
                channel_fail(channel, ENOMEM, "prepare the ephemeral overlay");
        if (mount("overlay", STAGING_DIR, "overlay", MS_NODEV, data) < 0)
                channel_fail(channel, errno, "mount the ephemeral overlay on '%s'", p->root);
}

static void setup_root(const SpawnPlan *p, int channel) {
        int r;

        /* Not on the tree's own path: the machine's root user could not
         * walk there (/var/lib/machines is 0700). */
        if (p->users->root_tree_fd >= 0)
                r = mount_attach(p->users->root_tree_fd, AT_FDCWD, STAGING_DIR); /* idmapped by the supervisor */
        else
                r = mount_bind(p->root, STAGING_DIR, true);
        if (r < 0)
                channel_fail(channel, r, "mount '%s' as the machine's root", p->root);
        /* Device nodes in the tree are not devices: only berth's /dev
         * (mounted later, with the nodes it makes) is. */
        r = mount_set_attributes(AT_FDCWD, STAGING_DIR, MOUNT_ATTR_NODEV, true);
        if (r < 0)
                channel_fail(channel, r, "mount '%s' without devices", p->root);

        if (p->config->ephemeral)
                setup_overlay(p, channel);
}

static void join_userns(const SpawnPlan *p, int channel) {
        if (p->users->userns_fd < 0)
                return;
        /* From here on our capabilities are those of the machine's root, in
         * its user namespace only: the host's are gone for good. */
        if (setns(p->users->userns_fd, CLONE_NEWUSER) < 0)
                channel_fail(channel, errno, "join the machine's user namespace");
        if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                channel_fail(channel, errno, "become root in the machine's user namespace");
}

/* --resolv-conf=bind-*, --timezone=bind: the host's file, read-only. As
 * systemd-nspawn, a failure is only a warning. */
static void bind_host_files(const SpawnPlan *p, int root_fd) {
        const HostFile *files[] = { &p->facts->resolv_conf, &p->facts->localtime };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                const HostFile *f = files[i];
                const char *what = NULL;
                int r;

                if (f->action != HOST_FILE_BIND)
                        continue;
                CustomMount m = {
                        .type = CUSTOM_MOUNT_BIND_RO,
                        .source = f->source,
                        .destination = (char *) f->path,
                };
                r = custom_mounts_apply(root_fd, &m, 1, p->users->userns_fd, p->users->uid_base, &what);
                if (r < 0)
                        log_warning_errno(r, "Failed to bind %s into the machine, ignoring: %m", f->source);
        }
}

/* The API filesystems, and what --bind, --tmpfs and --link-journal ask
 * for; returns the notify socket bound in the machine's /run/host. */
static int mount_machine(const SpawnPlan *p, int root_fd, int channel) {
        const MachineUsers *u = p->users;
        _cleanup_close_ int notify_fd = -EBADF;
        const char *what = NULL;
        int r;

        MountSetup ms = {
                .root_fd = root_fd,
                .uid = u->uid_base,
                .private_network = boot_config_private_network(p->config),
                .bind_machine_id = p->facts->bind_machine_id,
                .machine_id = p->facts->uuid,
                .console = p->console->pty_slave_path,
                .host_os_release = p->facts->host_os_release,
                .apifs_context = p->config->selinux_apifs_context,
                .networkd_host0 = p->network->networkd_host0,
        };
        r = mount_setup_outer(&ms, &notify_fd, &what);
        if (r < 0)
                channel_fail(channel, r, "set up %s in the machine", what);

        log_debug("API filesystems mounted.");
        r = custom_mounts_apply(root_fd, p->config->mounts, p->config->n_mounts, u->userns_fd, u->uid_base, &what);
        if (r < 0)
                channel_fail(channel, r, "mount '%s' in the machine", what);
        if (p->journal_mount) {
                r = custom_mounts_apply(root_fd, p->journal_mount, 1, u->userns_fd, u->uid_base, &what);
                if (r < 0)
                        channel_fail(channel, r, "bind the journal '%s' into the machine", what);
        }
        bind_host_files(p, root_fd);
        return TAKE_FD(notify_fd);
}

/* Into payload/ (the machine's cgroup namespace is rooted where we are
 * when we clone it), and the machine's v1 cgroups on a hybrid host. */
static void join_cgroups(const SpawnPlan *p, int channel) {
        _cleanup_free_ char *payload = path_join(p->cgroup->path, "payload");
        int r;

        if (!payload)
                channel_fail(channel, ENOMEM, "join the payload cgroup");
        r = cgroup_attach(p->cgroup->unified_mount, payload, 0);
        if (r < 0)
                channel_fail(channel, r, "join cgroup '%s'", payload);
        STRV_FOREACH(d, p->cgroup->v1) {
                r = cgroup_v1_attach(*d, 0);
                if (r < 0)
                        channel_fail(channel, r, "join cgroup '%s'", *d);
        }
}

/* The machine's namespaces, owned by its user namespace; our mounts are
 * copied into its mount namespace and locked there. The child is the
 * supervisor's (CLONE_PARENT), not ours. */
static pid_t clone_machine(const SpawnPlan *p, int channel) {
        int flags = CLONE_PARENT | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
                    (boot_config_private_network(p->config) && p->network->netns_fd < 0 ? CLONE_NEWNET : 0);
        void *stack = NULL;
        pid_t pid;

        if (p->config->as_pid2) {
                /* PID 1 stays, as the stub init, and never execs: it needs
                 * memory of its own. */
                struct clone_args args = { .flags = (uint64_t) flags };

                pid = clone3_fork(&args);
                if (pid == 0)
                        inner_child(p, channel);
                return pid;
        }

        /* We go on once the inner child has exec'd init (or died). */
        ChildArgs a = { .plan = p, .channel = channel, .close_fd = -EBADF };
        pid = clone_in_our_memory(inner_child_main, &a, flags | CLONE_VFORK, &stack);
        clone_stack_free(stack);
        return pid;
}

static _noreturn_ void outer_child(const SpawnPlan *p, int channel) {
        _cleanup_close_ int root_fd = -EBADF, notify_fd = -EBADF;
        pid_t pid;
        int r;

        /* State: a child of the supervisor, host root with all capabilities,
         * in every host namespace but a private mount namespace (cloned with
         * CLONE_NEWNS). We hold the supervisor's fds: the user namespace,
         * the idmapped tree, the console pty. */
        if (die_with_parent(p->facts->supervisor_pid) < 0)
                _exit(EXIT_FAILURE);

        /* Nothing we mount from here on propagates to the host. */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                channel_fail(channel, errno, "make our mounts private");

        log_debug("Outer child running.");
        setup_root(p, channel);
        log_debug("Root mounted.");

        root_fd = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                channel_fail(channel, errno, "open the machine's root");

        /* The machine's network namespace, made beforehand (network.c):
         * joined while we still have the host's privileges, which a
         * namespace given by --network-namespace-path= asks for, and before
         * the API filesystems, so that a /sys mounted here shows its links. */
        if (p->network->netns_fd >= 0 && setns(p->network->netns_fd, CLONE_NEWNET) < 0)
                channel_fail(channel, errno, "join the machine's network namespace");

        notify_fd = mount_machine(p, root_fd, channel);
        r = channel_send(channel, CHANNEL_FD, 0, notify_fd);
        if (r < 0)
                _exit(EXIT_FAILURE);
        notify_fd = safe_close(notify_fd);

        join_cgroups(p, channel);
        if (p->facts->proc_helper) {
                r = mount_setup_proc_helper(PROC_HELPER_DIR);
                if (r < 0)
                        channel_fail(channel, r, "mount a procfs at %s", PROC_HELPER_DIR);
        }

        join_userns(p, channel);
        log_debug("Joined the user namespace.");

        pid = clone_machine(p, channel);
        if (pid < 0)
                channel_fail(channel, pid, "create the machine's namespaces");

        log_debug("Cloned the machine's namespaces.");
        (void) channel_send(channel, CHANNEL_PID, pid, -EBADF);
        _exit(EXIT_SUCCESS);
}

int outer_child_main(void *args) {
        ChildArgs *a = args;

        safe_close(a->close_fd);
        outer_child(a->plan, a->channel);
}
