/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* Path resolution inside a directory tree that is not ours to trust: every
 * symlink, absolute or "..", is resolved as if root_fd were "/", so nothing
 * resolves to a place outside the tree (openat2() with RESOLVE_IN_ROOT). */

int open_in_root(int root_fd, const char *path, int flags, mode_t mode, int *ret_fd);

/* Creates the directory path and its missing parents inside the tree, and
 * returns an O_PATH fd for it when ret_fd is not NULL. */
int mkdir_p_in_root(int root_fd, const char *path, mode_t mode, int *ret_fd);

/* Creates path inside the tree as a directory or an empty file (parents as
 * directories), and returns an O_PATH fd of it: a place to mount on. */
int make_mount_point_in_root(int root_fd, const char *path, bool directory, mode_t mode, int *ret_fd);

/* "/proc/self/fd/N", a path for the file behind an fd, for calls that need
 * a path (mount(2), overlay's layers). */
#define FD_PATH_MAX 32
char *fd_path(int fd, char buf[static FD_PATH_MAX]);
/* Opens what the (O_PATH) fd refers to anew, with flags: a file looked at
 * first, then opened as what it was found to be. */
int fd_reopen(int fd, int flags);
