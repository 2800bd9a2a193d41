/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "lock-util.h"
#include "macro.h"

/* OS trees: where they are, whether they look bootable, and who uses them. */

/* An image's locks, the ones systemd-nspawn and systemd-machined take too
 * (open file description locks): .#NAME.lck beside it, and the one under
 * /run/systemd/nspawn/locks/ named by its inode (a block device: by its
 * number), whatever path reaches it.
 * Shared for who only reads the image (an ephemeral machine), exclusive for
 * who writes, renames or removes it. */
typedef struct ImageLock {
        LockFile global, local;
} ImageLock;

#define IMAGE_LOCK_NULL \
        { .global = LOCK_FILE_NULL, .local = LOCK_FILE_NULL }

/* operation: LOCK_SH or LOCK_EX; never waits: -EBUSY when taken. */
int image_lock(const char *path, int operation, ImageLock *ret);
void image_lock_release(ImageLock *l);
/* The paths of both lock files, for an undo log (a block device under
 * /dev has only the global one, "block-MAJ:MIN": *ret_local NULL). */
int image_lock_paths(const char *path, char **ret_global, char **ret_local);

/* The tree's os-release text, from /etc/os-release or /usr/lib/os-release,
 * resolved inside the tree; -EBADFD if it is not a regular file. */
int os_release_read(int tree_fd, char **ret);
/* The tree's /etc/hostname, the same careful way, without its newline. */
int image_read_hostname(int tree_fd, char **ret);

/* The executable at path inside the tree exists (symlinks resolved inside
 * the tree). -ENOENT if missing, -EACCES if not executable. */
int image_check_executable(int tree_fd, const char *path);

/* Whether a user of the host other than root can walk down to the tree:
 * every directory from "/" to the tree itself lets someone who is not root
 * search it (its mode, for owner, group or others not root; any ACL counts
 * as yes). Then *ret_dir is the tree's parent, the directory to close. */
int image_reachable_by_users(const char *tree, char **ret_dir);
