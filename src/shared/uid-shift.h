/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* Where idmapped mounts are not available, a tree is chowned into its
 * machine's UID range once, and the range is remembered in an extended
 * attribute on the tree's root, so that the next boot picks the same range
 * and need not chown again. */

#define UID_SHIFT_XATTR "user.berth.uid_shift"

/* The remembered base: -ENODATA when the tree was never shifted. */
int uid_shift_read(int tree_fd, uid_t *ret_base);
int uid_shift_write(int tree_fd, uid_t base);

/* Moves every file's owner and group (and ACL entries, and the root ID of
 * namespaced file capabilities) from the range at from_base to the range at
 * to_base. IDs outside the 64K range are left alone. Never crosses a mount
 * point (another file system, or a bind mount of anything, even of the
 * tree's own), never follows a symlink. */
int uid_shift_tree(int tree_fd, uid_t from_base, uid_t to_base);
