/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "id128.h"
#include "macro.h"

/* The API filesystems of a machine, mounted into its root before it starts.
 * Two halves:
 *
 *   outer: done with host privileges in a private mount namespace, before
 *          the machine's own namespaces exist. When the machine then gets a
 *          mount namespace of its own user namespace, the kernel locks these
 *          mounts: the machine can neither unmount them nor lift their flags.
 *   inner: what only a process inside the machine's namespaces can mount
 *          (its /proc, its cgroup2, its devpts, its mqueue, and sysfs of its
 *          own network namespace).
 *
 * Every path inside the root is resolved inside the root, so that a tree's
 * symlinks never lead a mount or a file out to the host. On failure, *what
 * names the step that failed, for the error message. */

typedef struct MountSetup {
        int root_fd;          /* O_PATH fd of the machine's root */
        uid_t uid;            /* host UID (and GID) of the machine's root */
        bool private_network; /* sysfs is then mounted inside */
        bool bind_machine_id; /* bind /run/host/machine-id over /etc/machine-id */
        Id128 machine_id;
        const char *console;         /* host path of the console pty, or NULL */
        const char *host_os_release; /* text of the host's os-release */
        const char *apifs_context;   /* SELinux context for API filesystems, or NULL */
        const char *networkd_host0;  /* /run/systemd/network/10-berth-host0.network, or NULL */
} MountSetup;

/* /dev (with its nodes and the console), /dev/shm, /run, /run/host, /tmp,
 * /sys when the network is the host's, and the machine's own networkd
 * configuration of host0. Returns the notify socket, bound
 * at /run/host/notify, in *ret_notify_fd. */
int mount_setup_outer(const MountSetup *m, int *ret_notify_fd, const char **what);

/* /proc and its read-only and masked parts, /sys for a private network,
 * /sys/fs/cgroup, /dev/pts, /dev/mqueue. */
int mount_setup_inner(const MountSetup *m, const char **what);

/* Makes root_path the root directory (pivot_root) and drops the old one:
 * nothing of the host's file system stays reachable. */
int mount_switch_root(const char *root_path, const char **what);

/* The kernel lets a user namespace mount procfs only if its mount namespace
 * already has a procfs mount that is fully visible: none of its locked
 * children covers anything. Inside a container /proc is usually covered
 * (/proc/sys read-only, /proc/kcore masked…), so the machine's own /proc
 * would be refused. Whether that is so here: */
bool mount_setup_proc_is_covered(void);
/* Mounts a fresh, uncovered procfs at where (outside the machine's root, in
 * the outer child's mount namespace, which the machine's inherits; it goes
 * with the old root when the machine switches root). */
int mount_setup_proc_helper(const char *where);
