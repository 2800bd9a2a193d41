/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "lock-util.h"
#include "macro.h"

/* OS trees: where they are, whether they look bootable, and who uses them. */

/* The image NAME in the image store (a directory), or -ENOENT. */
int image_find(const char *image_dir, const char *name, char **ret_path);

/* The tree a machine boots: directory (-D), else the image machine (-M) in
 * image_dir, else the working directory; *ret_root is it resolved (absolute,
 * no symlinks). *ret_path is the path as found, also when resolving it
 * failed (for messages); NULL when it wasn't found at all. */
int image_resolve(const char *directory, const char *machine, const char *image_dir, char **ret_path, char **ret_root);

/* "DIR/.#NAME.lck" beside the tree "DIR/NAME", as systemd-machined names it. */
char *image_lock_path(const char *tree);

/* Locks the tree: exclusively for a machine that writes to it, shared for
 * ephemeral machines, which only read it. -EBUSY when taken. */
int image_lock(const char *tree, bool shared, LockFile *ret);

/* The tree's os-release text, from /etc/os-release or /usr/lib/os-release,
 * resolved inside the tree; -EBADFD if it is not a regular file. */
int os_release_read(int tree_fd, char **ret);

/* The executable at path inside the tree exists (symlinks resolved inside
 * the tree). -ENOENT if missing, -EACCES if not executable. */
int image_check_executable(int tree_fd, const char *path);
