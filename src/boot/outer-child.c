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

/* Ephemeral machines (and --volatile=overlay): the tree becomes the
 * read-only lower layer of an overlay whose upper layer is in the
 * supervisor's tmpfs (root.c), so it is gone with the machine, and starting
 * costs the same for any size of tree. A reboot in the machine finds its
 * changes there again. Done with host privileges, so the overlay may use
 * trusted xattrs on its upper layer and the idmapped tree as its lower
 * one. layer: the tmpfs's directory for the overlay on where. */
static void setup_overlay(const SpawnPlan *p, const char *where, const char *layer, int channel) {
        _cleanup_close_ int lower = -EBADF, upper = -EBADF, work = -EBADF;
        struct stat st;
        int r;

        lower = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (lower < 0 || fstat(lower, &st) < 0)
                channel_fail(channel, errno, "open the machine's root");
        /* The overlay's root looks like the tree's (as the machine sees it). */
        r = mount_overlay_dirs(p->tree->overlay_fd, layer, st.st_mode, st.st_uid, st.st_gid, &upper, &work);
        if (r < 0)
                channel_fail(channel, r, "prepare the ephemeral overlay");
        r = mount_overlay(&lower, 1, upper, work, lower);
        if (r < 0)
                channel_fail(channel, r, "mount the ephemeral overlay on '%s'", p->root);
}

/* --volatile=state: the tree read-only, and a tmpfs on its /var. */
static void setup_volatile_state(const SpawnPlan *p, int channel) {
        _cleanup_close_ int tmp = -EBADF;
        int r;

        r = mount_set_attributes(AT_FDCWD, STAGING_DIR, MOUNT_ATTR_RDONLY, true);
        if (r >= 0)
                r = mount_tmpfs_detached("0755", p->users->uid_base, &tmp);
        if (r >= 0)
                r = mount_attach(tmp, AT_FDCWD, STAGING_DIR "/var");
        if (r < 0)
                channel_fail(channel, r, "mount a tmpfs on /var of '%s'", p->root);
}

/* What an empty root needs around /usr for init to start (as systemd's
 * base-filesystem): the top directories, and the merged-/usr symlinks of
 * those that are in /usr. Owned by the machine's root. */
static int make_base_filesystem(int root_fd, int usr_fd, uid_t uid) {
        static const struct {
                const char *name;
                mode_t mode;
        } dirs[] = {
                { "usr", 0755 },  { "etc", 0755 }, { "var", 0755 }, { "run", 0755 },  { "tmp", 01777 },
                { "proc", 0555 }, { "sys", 0555 }, { "dev", 0755 }, { "root", 0700 }, { "home", 0755 },
        };
        static const char *const links[] = { "bin", "sbin", "lib", "lib64" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdirat(root_fd, dirs[i].name, dirs[i].mode) < 0 ||
                    fchmodat(root_fd, dirs[i].name, dirs[i].mode, 0) < 0 ||
                    fchownat(root_fd, dirs[i].name, uid, uid, 0) < 0)
                        return -errno;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *target = path_join("usr", links[i]);

                if (!target)
                        return -ENOMEM;
                if (faccessat(usr_fd, links[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (symlinkat(target, root_fd, links[i]) < 0 ||
                    fchownat(root_fd, links[i], uid, uid, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        return 0;
}

/* --volatile=yes: a tmpfs root, with only the tree's /usr in it, read-only. */
static void setup_volatile_yes(const SpawnPlan *p, int channel) {
        _cleanup_close_ int root = -EBADF, usr_dir = -EBADF, usr = -EBADF, tmp = -EBADF;
        int r;

        /* The tree's /usr resolved in the tree: a symlink there must not
         * lead to the host's. */
        root = open(STAGING_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = root < 0 ? -errno : open_in_root(root, "/usr", O_PATH | O_DIRECTORY, 0, &usr_dir);
        if (r >= 0)
                r = mount_clone_tree(usr_dir, NULL, true, &usr);
        if (r < 0)
                channel_fail(channel, r, "find /usr in '%s'", p->root);
        r = mount_set_attributes(usr, NULL, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, true);
        if (r >= 0)
                r = mount_tmpfs_detached("0755", p->users->uid_base, &tmp);
        if (r >= 0)
                r = make_base_filesystem(tmp, usr, p->users->uid_base);
        if (r >= 0)
                r = RET_NERRNO(umount2(STAGING_DIR, MNT_DETACH));
        if (r >= 0)
                r = mount_attach(tmp, AT_FDCWD, STAGING_DIR);
        if (r >= 0)
                r = mount_attach(usr, AT_FDCWD, STAGING_DIR "/usr");
        if (r < 0)
                channel_fail(channel, r, "set up a tmpfs root with the /usr of '%s'", p->root);
}

/* The tree on STAGING_DIR: an idmapped copy, a disk image's root file
 * system, or a bind mount of the directory. */
static void attach_tree(const SpawnPlan *p, int channel) {
        int r;

        /* Not on the tree's own path: the machine's root user could not
         * walk there (/var/lib/machines is 0700). */
        if (p->root_mount_fd >= 0)
                r = mount_attach(p->root_mount_fd, AT_FDCWD, STAGING_DIR);
        else
                r = mount_bind(p->root, STAGING_DIR, true);
        if (r < 0)
                channel_fail(channel, r, "mount '%s' as the machine's root", p->root);
        /* Device nodes in the tree are not devices: only berth's /dev
         * (mounted later, with the nodes it makes) is. */
        r = mount_set_attributes(AT_FDCWD, STAGING_DIR, MOUNT_ATTR_NODEV, true);
        if (r < 0)
                channel_fail(channel, r, "mount '%s' without devices", p->root);
}

/* A disk image's /usr partition, on the root; under an overlay of its own
 * when the root is one (an overlay doesn't show what is mounted below its
 * lower layer). */
static void attach_usr(const SpawnPlan *p, bool overlay, int channel) {
        int r;

        if (p->usr_mount_fd < 0)
                return;
        r = mount_attach(p->usr_mount_fd, AT_FDCWD, STAGING_DIR "/usr");
        if (r < 0)
                channel_fail(channel, r, "mount the /usr partition of '%s'", p->root);
        if (overlay)
                setup_overlay(p, STAGING_DIR "/usr", "usr", channel);
}

static void setup_root(const SpawnPlan *p, int channel) {
        VolatileMode v = p->config->volatile_mode;
        bool overlay = p->config->ephemeral || v == VOLATILE_OVERLAY;
        int r;

        attach_tree(p, channel);
        if (overlay)
                setup_overlay(p, STAGING_DIR, "root", channel);
        attach_usr(p, overlay, channel);
        if (v == VOLATILE_STATE)
                setup_volatile_state(p, channel);
        else if (v == VOLATILE_YES)
                setup_volatile_yes(p, channel);

        if (p->tree->read_only) {
                r = mount_set_attributes(AT_FDCWD, STAGING_DIR, MOUNT_ATTR_RDONLY, true);
                if (r < 0)
                        channel_fail(channel, r, "make the root of '%s' read-only", p->root);
        }
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
                r = custom_mounts_apply(root_fd, &m, 1, p->users->userns_fd, p->users->uid_base, NULL, &what);
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
                .bind_machine_id = p->tree->bind_machine_id,
                .machine_id = p->tree->uuid,
                .console = p->console->pty_slave_path,
                .host_os_release = p->facts->host_os_release,
                .apifs_context = p->config->selinux_apifs_context,
                .networkd_host0 = p->network->networkd_host0,
        };
        r = mount_setup_outer(&ms, &notify_fd, &what);
        if (r < 0)
                channel_fail(channel, r, "set up %s in the machine", what);

        log_debug("API filesystems mounted.");
        r = custom_mounts_apply(root_fd, p->config->mounts, p->config->n_mounts, u->userns_fd, u->uid_base, p->name,
                                &what);
        if (r < 0)
                channel_fail(channel, r, "mount '%s' in the machine", what);
        if (p->journal_mount) {
                r = custom_mounts_apply(root_fd, p->journal_mount, 1, u->userns_fd, u->uid_base, NULL, &what);
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
