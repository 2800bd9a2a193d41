/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "copy.h"

/* The copy of an OS image (`berth clone`, `berth import-fs`): unlike
 * copy_tree_at(), which is for copying files in and out of machines, it
 * keeps everything that makes the tree an image.
 *
 * When the source is a btrfs subvolume and the destination directory is on
 * btrfs, a writable snapshot of it is made instead of a copy (should that
 * fail for any reason, the tree is copied). Subvolumes below the source are
 * not in the snapshot: they come out as empty directories, as they do in a
 * copy (next paragraph).
 *
 * The copy walks the source as copy_tree_at() does: one name at a time,
 * each entry looked at with fstatat(AT_SYMLINK_NOFOLLOW), opened with
 * O_NOFOLLOW and checked again once open; symlinks are never followed, also
 * at the top. It doesn't cross into other mounts: a directory below the top
 * on another filesystem than the top (a mount point, a nested btrfs
 * subvolume) or the root of a bind mount is copied as an empty directory
 * with its own attributes. (A non-directory mounted over another is copied
 * as what is seen.)
 *
 * Kept: contents, with their holes (the whole file is shared with
 * FICLONE where the filesystem can); owner and group; the whole mode,
 * set-user-ID, set-group-ID and sticky bits included; access and
 * modification times (of symlinks too); every extended attribute, which
 * covers ACLs, file capabilities and SELinux labels (of symlinks and device
 * nodes too, set through /proc/self/fd); hard links within the tree;
 * device nodes, FIFOs and sockets. An attribute the destination can't take
 * is an error, except those of namespaces other than user, trusted,
 * security and system (say "btrfs.compression") where the destination
 * filesystem doesn't know them. An ACL the destination entry would get from
 * a default ACL of the directory it is made in is removed where the source
 * has none.
 *
 * Not kept: file attributes (chattr: immutable, append-only, nodatacow…),
 * so that a clone of a read-only image is writable; change times and birth
 * times (nobody can set them); hard links to files outside the tree.
 *
 * Keeping owners, device nodes and capabilities needs root; without it such
 * a tree fails (-EPERM) rather than being copied with less. */

/* Clones src_name in src_dir_fd to dst_name in dst_dir_fd (both single
 * components; dst_name must not exist: -EEXIST). progress may be NULL; a
 * file shared with FICLONE counts with its size at once, a snapshot not at
 * all. Returns 1 when a snapshot was made, 0 when the tree was copied.
 *
 * On failure, returns a negative errno and, if failed_at is not NULL, sets
 * it to the path of the entry that failed relative to the top ("" for the
 * top itself; NULL when out of memory). Nothing is undone: remove what
 * there is with rm_rf_at(). A tree deeper than COPY_DEPTH_MAX fails with
 * -ELOOP; an entry that changes type between being looked at and being
 * opened with -ESTALE. */
int tree_clone_at(int src_dir_fd, const char *src_name, int dst_dir_fd, const char *dst_name,
                  const CopyProgress *progress, char **failed_at);
