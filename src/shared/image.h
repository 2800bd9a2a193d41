/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "lock-util.h"
#include "macro.h"

/* OS trees: where they are, whether they look bootable, and who uses them. */

/* The image NAME in the image store (a directory), or -ENOENT. */
int image_find(const char *image_dir, const char *name, char **ret_path);

/* Locks the tree: exclusively for a machine that writes to it, shared for
 * ephemeral machines, which only read it. -EBUSY when taken. */
int image_lock(const char *tree, bool shared, LockFile *ret);

/* The tree's os-release text, from /etc/os-release or /usr/lib/os-release,
 * resolved inside the tree; -EBADFD if it is not a regular file. */
int os_release_read(int tree_fd, char **ret);

/* The executable at path inside the tree exists (symlinks resolved inside
 * the tree). -ENOENT if missing, -EACCES if not executable. */
int image_check_executable(int tree_fd, const char *path);

/* Whether a user of the host other than root can walk down to the tree:
 * every directory from "/" to the tree itself lets someone who is not root
 * search it (its mode, for owner, group or others not root; any ACL counts
 * as yes). Then *ret_dir is the tree's parent, the directory to close. */
int image_reachable_by_users(const char *tree, char **ret_dir);
