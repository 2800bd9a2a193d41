/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Thin wrappers over mount(2) and the new mount API, returning -errno. */

int mount_nofollow(const char *what, const char *where, const char *type, unsigned long flags, const char *data);

/* A bind mount of what on where; recursive copies submounts too. */
int mount_bind(const char *what, const char *where, bool recursive);

/* Makes the mount at path (and with recursive, everything below it)
 * read-only, nosuid, nodev and noexec, as asked in attr_set (MOUNT_ATTR_*). */
int mount_set_attributes(int dir_fd, const char *path, uint64_t attr_set, bool recursive);
/* The same, clearing attr_clr (MOUNT_ATTR_RDONLY…) too. */
int mount_change_attributes(int dir_fd, const char *path, uint64_t attr_set, uint64_t attr_clr, bool recursive);

/* A detached copy of the tree at path (open_tree(OPEN_TREE_CLONE)). */
int mount_clone_tree(int dir_fd, const char *path, bool recursive, int *ret_fd);

/* Makes a detached tree idmapped through the given user namespace. Fails
 * with -EINVAL/-EOPNOTSUPP where the filesystem can't do it. */
int mount_make_idmapped(int tree_fd, int userns_fd, bool recursive);

/* Attaches a detached tree at where (relative to dir_fd). */
int mount_attach(int tree_fd, int dir_fd, const char *where);

/* A detached tmpfs (fsmount()) of the given mode and owner, without devices. */
int mount_tmpfs_detached(const char *mode, uid_t uid, int *ret_fd);
/* The upper and work directories of an overlay whose changes go nowhere: in
 * a detached tmpfs of their own; the upper one of the given mode and owner
 * (what the overlay's root then shows). The tmpfs's fd must stay open until
 * the overlay is mounted: a detached mount goes with it. */
int mount_overlay_upper_tmpfs(mode_t mode, uid_t uid, gid_t gid, int *ret_tmp_fd, int *ret_upper_fd, int *ret_work_fd);
/* The same in the directory dir of a tmpfs that the caller keeps (open at
 * tmp_fd): dir/upper and dir/work, made if missing, and reused as they are
 * otherwise (an ephemeral machine's changes across its reboots). */
int mount_overlay_dirs(int tmp_fd, const char *dir, mode_t mode, uid_t uid, gid_t gid, int *ret_upper_fd,
                       int *ret_work_fd);
/* Mounts an overlay of the layers open at lower_fds (lowest first), with
 * upper_fd and work_fd (-EBADF both: read-only), on the directory open at
 * target_fd. */
int mount_overlay(const int *lower_fds, size_t n_lower, int upper_fd, int work_fd, int target_fd);
/* The same as a detached mount (fsmount(): in no mount table until
 * attached), with options for an upper layer that outlives the mount (a
 * layered image's top): no redirects, no metacopy, no index, so the upper
 * directory holds whole files and plain whiteouts. Needs "lowerdir+"
 * (Linux 6.8): -EOPNOTSUPP before. */
int mount_overlay_detached(const int *lower_fds, size_t n_lower, int upper_fd, int work_fd, int *ret_fd);
