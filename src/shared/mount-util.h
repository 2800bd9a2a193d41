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
