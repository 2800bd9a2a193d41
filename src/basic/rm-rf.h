/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Removing a tree (an OS image, a half-made copy of one) that may hold
 * anything a machine put there. The walk goes down one name at a time with
 * openat(O_DIRECTORY | O_NOFOLLOW) below dir_fd, and builds no paths, so:
 *
 *   - a symlink is removed itself, never what it points at, also at the top;
 *   - it never crosses into another mount: a directory on another filesystem
 *     than its parent, or the root of a mount (bind mounts of the same
 *     filesystem included, where statx() can tell), is not entered, and the
 *     removal fails with -EBUSY; nothing under it is touched. A mount point
 *     at the top is refused the same way. A btrfs subvolume nested in its
 *     parent (a device number of its own, but no mount: the snapshot of an
 *     image, the subvolumes in one) is removed like a directory where
 *     statx() tells it is no mount (Linux 5.8), and refused like a mount
 *     where it can't;
 *   - a directory we may not write to or search (an image may have 0555
 *     directories) is made 0700 first, where we may change it;
 *   - the immutable and append-only attributes of regular files and
 *     directories are cleared where they are in the way (that needs
 *     CAP_LINUX_IMMUTABLE).
 *
 * The first error is returned, but what can be removed is removed. A tree
 * deeper than RM_RF_DEPTH_MAX fails with -ELOOP (the levels below stay).
 * Each level holds a directory fd, so a tree that deep also needs a limit
 * on open files above it. */

#define RM_RF_DEPTH_MAX 4096U

/* Removes name in dir_fd (a single component) and, if it is a directory,
 * everything below it. A name that doesn't exist is not an error. */
int rm_rf_at(int dir_fd, const char *name);

/* The same for an absolute path: its last component, in its directory. */
int rm_rf_path(const char *path);
