/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "chase.h"
#include "fd-util.h"
#include "fileio.h"
#include "mount-setup.h"
#include "mount-util.h"
#include "notify.h"
#include "process-util.h"
#include "selinux-util.h"
#include "string-util.h"

typedef enum MountFlags {
        MOUNT_OWNED = 1 << 0, /* uid=/gid= of the machine's root */
        MOUNT_HOST_NETWORK_ONLY = 1 << 1,
        MOUNT_PRIVATE_NETWORK_ONLY = 1 << 2,
        MOUNT_BIND_READ_ONLY = 1 << 3, /* a read-only bind of the path on itself */
        MOUNT_BIND_WRITABLE = 1 << 4,  /* a writable bind of the path on itself */
        MOUNT_MASK = 1 << 5,           /* /dev/null bound over it */
        MOUNT_OPTIONAL = 1 << 6,       /* missing target: skip */
        MOUNT_APIFS_LABEL = 1 << 7,    /* takes the -L context */
} MountFlags;

typedef struct ApiMount {
        const char *where;
        const char *type; /* NULL: a bind, see flags */
        const char *options;
        unsigned long flags;
        MountFlags mount_flags;
} ApiMount;

#define RW_NOSUID (MS_NOSUID | MS_NODEV | MS_STRICTATIME)

/* In order: later entries may mount inside earlier ones. */
static const ApiMount outer_mounts[] = {
        { "/dev", "tmpfs", "mode=0755,size=4m,nr_inodes=64k", MS_NOSUID | MS_STRICTATIME,
          MOUNT_OWNED | MOUNT_APIFS_LABEL },
        { "/dev/shm", "tmpfs", "mode=01777,size=20%,nr_inodes=1m", RW_NOSUID, MOUNT_OWNED | MOUNT_APIFS_LABEL },
        { "/run", "tmpfs", "mode=0755,size=20%,nr_inodes=800k", RW_NOSUID, MOUNT_OWNED | MOUNT_APIFS_LABEL },
        { "/tmp", "tmpfs", "mode=01777,size=20%,nr_inodes=1m", RW_NOSUID, MOUNT_OWNED | MOUNT_APIFS_LABEL },
        { "/sys", "sysfs", NULL, MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, MOUNT_HOST_NETWORK_ONLY },
};

static const ApiMount inner_mounts[] = {
        { "/proc", "proc", NULL, MS_NOSUID | MS_NOEXEC | MS_NODEV, 0 },
        { "/proc/sys", NULL, NULL, 0, MOUNT_BIND_READ_ONLY },
        { "/proc/sys/net", NULL, NULL, 0, MOUNT_BIND_WRITABLE | MOUNT_PRIVATE_NETWORK_ONLY },
        { "/proc/sysrq-trigger", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/kcore", NULL, NULL, 0, MOUNT_MASK | MOUNT_OPTIONAL },
        { "/proc/keys", NULL, NULL, 0, MOUNT_MASK | MOUNT_OPTIONAL },
        { "/proc/timer_list", NULL, NULL, 0, MOUNT_MASK | MOUNT_OPTIONAL },
        { "/proc/kallsyms", NULL, NULL, 0, MOUNT_MASK | MOUNT_OPTIONAL },
        /* Hardware, and tunables of it: read-only, as systemd-nspawn has them. */
        { "/proc/acpi", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/apm", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/asound", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/bus", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/fs", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/irq", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/proc/scsi", NULL, NULL, 0, MOUNT_BIND_READ_ONLY | MOUNT_OPTIONAL },
        { "/sys", "sysfs", NULL, MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, MOUNT_PRIVATE_NETWORK_ONLY },
        { "/sys/fs/cgroup", "cgroup2", NULL, MS_NOSUID | MS_NOEXEC | MS_NODEV, 0 },
        { "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=620,gid=5", MS_NOSUID | MS_NOEXEC, MOUNT_APIFS_LABEL },
        { "/dev/mqueue", "mqueue", NULL, MS_NOSUID | MS_NOEXEC | MS_NODEV, 0 },
};

/* Binds "from" (a path in the root) over "where", read-only or not: a
 * detached copy gets its flags first, so it is never visible writable. */
static int bind_in_root(int root_fd, const char *from, int target_fd, bool read_only) {
        _cleanup_close_ int src = -EBADF, tree = -EBADF;
        int r;

        r = open_in_root(root_fd, from, O_PATH, 0, &src);
        if (r < 0)
                return r;
        tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0)
                return -errno;
        /* A clone takes the flags of the mount it comes from: a writable
         * one below a read-only one (/proc/sys/net in /proc/sys) must be
         * made writable. */
        if (read_only)
                r = mount_set_attributes(tree, NULL,
                                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                         false);
        else
                r = mount_change_attributes(tree, NULL, 0, MOUNT_ATTR_RDONLY, false);
        if (r < 0)
                return r;
        return RET_NERRNO(move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

static int mount_one(const MountSetup *m, const ApiMount *a) {
        _cleanup_free_ char *options = NULL, *labelled = NULL;
        _cleanup_close_ int target = -EBADF;
        char buf[FD_PATH_MAX];
        int r;

        if ((a->mount_flags & MOUNT_HOST_NETWORK_ONLY) && m->private_network)
                return 0;
        if ((a->mount_flags & MOUNT_PRIVATE_NETWORK_ONLY) && !m->private_network)
                return 0;

        if (a->type) {
                /* Made (where the tree lacks it) as the machine's root. */
                FsIds saved = fs_ids_switch(m->uid, m->uid);
                r = mkdir_p_in_root(m->root_fd, a->where, 0755, &target);
                fs_ids_restore(saved);
        } else
                r = open_in_root(m->root_fd, a->where, O_PATH, 0, &target);
        if (r == -ENOENT && (a->mount_flags & MOUNT_OPTIONAL))
                return 0;
        if (r < 0)
                return r;

        if (a->mount_flags & MOUNT_MASK)
                return bind_in_root(m->root_fd, "/dev/null", target, true);
        if (a->mount_flags & (MOUNT_BIND_READ_ONLY | MOUNT_BIND_WRITABLE))
                return bind_in_root(m->root_fd, a->where, target, a->mount_flags & MOUNT_BIND_READ_ONLY);

        if ((a->mount_flags & MOUNT_OWNED) && m->uid != 0)
                options = strdup_printf("%s,uid=%u,gid=%u", a->options, (unsigned) m->uid, (unsigned) m->uid);
        else
                options = a->options ? strdup(a->options) : NULL;
        if (a->options && !options)
                return -ENOMEM;
        if ((a->mount_flags & MOUNT_APIFS_LABEL) && m->apifs_context) {
                r = selinux_mount_options(options, m->apifs_context, &labelled);
                if (r < 0)
                        return r;
        }

        return mount_nofollow(a->type, fd_path(target, buf), a->type, a->flags, labelled ?: options);
}

/* Device nodes made with host privileges: the machine's user namespace
 * could not mknod them. They are the harmless ones only. */
static int setup_dev(const MountSetup *m) {
        static const struct {
                const char *name;
                unsigned major, minor;
        } nodes[] = {
                { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
                { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
        };
        static const struct {
                const char *name, *target;
        } links[] = {
                { "ptmx", "pts/ptmx" },          { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
        };
        _cleanup_close_ int dev = -EBADF;
        int r;

        r = open_in_root(m->root_fd, "/dev", O_RDONLY | O_DIRECTORY, 0, &dev);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
                    fchmodat(dev, nodes[i].name, 0666, 0) < 0) /* whatever our umask */
                        return -errno;
                /* tty belongs to the tty group (5) */
                if (fchownat(dev, nodes[i].name, m->uid, m->uid + (streq(nodes[i].name, "tty") ? 5 : 0),
                             AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                if (symlinkat(links[i].target, dev, links[i].name) < 0)
                        return -errno;
                if (fchownat(dev, links[i].name, m->uid, m->uid, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "mqueue", 0755) < 0)
                return -errno;

        if (m->console) {
                _cleanup_close_ int console = -EBADF;
                char buf[FD_PATH_MAX];

                console = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
                if (console < 0)
                        return -errno;
                r = mount_bind(m->console, fd_path(console, buf), false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_file_at(int dir_fd, const char *name, const char *text, uid_t uid, mode_t mode) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
        int r;

        if (fd < 0)
                return -errno;
        r = loop_write(fd, text, strlen(text));
        if (r < 0)
                return r;
        return RET_NERRNO(fchown(fd, uid, uid));
}

static int bind_machine_id(const MountSetup *m) {
        _cleanup_close_ int target = -EBADF;
        int r;

        r = open_in_root(m->root_fd, "/etc/machine-id", O_PATH, 0, &target);
        if (r < 0)
                return r;
        return bind_in_root(m->root_fd, "/run/host/machine-id", target, false);
}

/* /run/host: what the host tells the machine (systemd's container
 * interface). The directory stays the host's, so the machine can't replace
 * what is in it. */
static int setup_run_host(const MountSetup *m, int *ret_notify_fd) {
        _cleanup_close_ int host = -EBADF, notify = -EBADF;
        _cleanup_free_ char *socket_path = NULL;
        char buf[FD_PATH_MAX];
        int r;

        r = mkdir_p_in_root(m->root_fd, "/run/host", 0755, &host);
        if (r < 0)
                return r;
        r = write_file_at(host, "container-manager", "berth\n", 0, 0444);
        if (r >= 0 && m->host_os_release)
                r = write_file_at(host, "os-release", m->host_os_release, 0, 0444);
        if (r < 0)
                return r;

        socket_path = strjoin(fd_path(host, buf), "/notify");
        if (!socket_path)
                return -ENOMEM;
        r = notify_socket_open(socket_path, m->uid, m->uid, &notify);
        if (r < 0)
                return r;

        if (m->bind_machine_id) {
                char s[ID128_STRING_MAX + 1];

                /* The tree's /etc/machine-id is empty: the machine gets one
                 * without our writing to the tree. This lower bind is locked;
                 * mount_setup_inner() stacks an unlocked one on top, so that
                 * systemd-machine-id-commit can unmount that one and "commit"
                 * into this file, which is the machine's, on tmpfs. */
                id128_to_string(m->machine_id, s);
                strcat(s, "\n");
                r = write_file_at(host, "machine-id", s, m->uid, 0444);
                if (r < 0)
                        return r;
                r = bind_machine_id(m);
                if (r < 0)
                        return r;
        }

        *ret_notify_fd = TAKE_FD(notify);
        return 0;
}

/* What berth set on host0, for a systemd-networkd in the machine: without
 * it, networkd's own file for host0 (DHCP) would replace berth's addresses
 * with none. In /run, the machine's: it is gone with the machine. */
static int write_networkd_config(const MountSetup *m) {
        _cleanup_close_ int dir = -EBADF;
        FsIds saved;
        int r;

        /* /run/systemd is the machine's systemd's: made as its root. */
        saved = fs_ids_switch(m->uid, m->uid);
        r = mkdir_p_in_root(m->root_fd, "/run/systemd/network", 0755, &dir);
        fs_ids_restore(saved);
        if (r < 0)
                return r;
        return write_file_at(dir, "10-berth-host0.network", m->networkd_host0, m->uid, 0644);
}

int mount_setup_outer(const MountSetup *m, int *ret_notify_fd, const char **what) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(outer_mounts); i++) {
                *what = outer_mounts[i].where;
                r = mount_one(m, &outer_mounts[i]);
                if (r < 0)
                        return r;
        }

        *what = "/dev";
        r = setup_dev(m);
        if (r < 0)
                return r;

        if (m->networkd_host0) {
                *what = "/run/systemd/network";
                r = write_networkd_config(m);
                if (r < 0)
                        return r;
        }
        *what = "/run/host";
        return setup_run_host(m, ret_notify_fd);
}

/* A boot ID of the machine's own, new each boot (as systemd-nspawn gives
 * one): the kernel's is the host's, and a machine that reboots must be seen
 * to have rebooted. Bound read-only from a file in the machine's /run, which
 * is unlinked then. */
static int bind_boot_id(const MountSetup *m) {
        _cleanup_close_ int run = -EBADF, target = -EBADF;
        char s[ID128_UUID_STRING_MAX + 1];
        Id128 id;
        int r;

        r = id128_randomize(&id);
        if (r < 0)
                return r;
        id128_to_uuid_string(id, s);
        strcat(s, "\n");
        r = open_in_root(m->root_fd, "/proc/sys/kernel/random/boot_id", O_PATH, 0, &target);
        if (r >= 0)
                r = open_in_root(m->root_fd, "/run", O_PATH | O_DIRECTORY, 0, &run);
        if (r >= 0)
                r = write_file_at(run, ".berth-boot-id", s, 0, 0444);
        if (r < 0)
                return r;
        r = bind_in_root(m->root_fd, "/run/.berth-boot-id", target, true);
        (void) unlinkat(run, ".berth-boot-id", 0);
        return r;
}

int mount_setup_inner(const MountSetup *m, const char **what) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(inner_mounts); i++) {
                *what = inner_mounts[i].where;
                r = mount_one(m, &inner_mounts[i]);
                if (r < 0)
                        return r;
        }

        *what = "/proc/sys/kernel/random/boot_id";
        r = bind_boot_id(m);
        if (r < 0)
                return r;
        *what = "/etc/machine-id";
        return m->bind_machine_id ? bind_machine_id(m) : 0;
}

int mount_switch_root(const char *root_path, const char **what) {
        _cleanup_close_ int old_root = -EBADF, new_root = -EBADF;
        int r;

        /* The root must be a mount of our own mount namespace, not one the
         * kernel locked when copying it: bind it on itself. */
        *what = "root";
        r = mount_bind(root_path, root_path, true);
        if (r < 0)
                return r;

        old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        new_root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (old_root < 0 || new_root < 0)
                return -errno;

        *what = "pivot_root";
        if (fchdir(new_root) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;

        /* The old root is now stacked on ".": detach it, and with it every
         * host mount. */
        if (fchdir(old_root) < 0)
                return -errno;
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        return RET_NERRNO(chdir("/"));
}

bool mount_setup_proc_is_covered(void) {
        _cleanup_free_ char *text = NULL;

        if (read_full_file("/proc/self/mountinfo", &text, NULL) < 0)
                return true; /* can't tell: assume the worst, a helper is cheap */

        /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT …": a mount point below /proc.
         * binfmt_misc's is an empty directory, which the kernel allows. */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *f = line;

                for (int i = 0; i < 4 && f; i++) {
                        f = strchr(f, ' ');
                        f = f ? f + 1 : NULL;
                }
                if (f && startswith(f, "/proc/") && !startswith(f, "/proc/sys/fs/binfmt_misc "))
                        return true;
        }
        return false;
}

int mount_setup_proc_helper(const char *where) {
        /* Unpopulated and uncovered, this one proves to the kernel that
         * procfs is fully visible to whoever may see it. */
        return RET_NERRNO(mount("proc", where, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL));
}
