/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/stat.h>

#include <dirent.h>
#include <sys/types.h>

#include "macro.h"

int safe_close(int fd);
static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void close_pairp(int (*p)[2]) {
        safe_close((*p)[0]);
        safe_close((*p)[1]);
}
#define _cleanup_close_pair_ _cleanup_(close_pairp)

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* fd is what was looked at as st (same device, inode and type), not
 * something put there meanwhile: -ESTALE if not. */
int fd_check_same(int fd, const struct stat *st);

int fd_set_cloexec(int fd, bool cloexec);
int fd_set_nonblock(int fd, bool nonblock);

/* Closes every fd except those listed (which need not be sorted). */
int close_all_fds_except(const int except[], size_t n_except);

/* Moves fd to the number "to" (dup3 without O_CLOEXEC unless asked), closing
 * the original; a no-op when it already is there. */
int fd_move_to(int fd, int to, bool cloexec);

/* SCM_RIGHTS: send or receive data plus up to n_fds fds over a socket. On
 * receipt, fds come with O_CLOEXEC set; missing fds are -EBADF. */
ssize_t send_with_fds(int sock, const void *data, size_t size, const int *fds, size_t n_fds);
ssize_t receive_with_fds(int sock, void *data, size_t size, int *ret_fds, size_t n_fds);

/* Reads exactly size bytes, or returns -EPIPE on an early end of file. */
int loop_read_exact(int fd, void *buf, size_t size);
/* Writes all of buf, retrying short writes. */
int loop_write(int fd, const void *buf, size_t size);

/* Gives each of stdin, stdout and stderr that is an anonymous pipe of
 * root's to uid (and its GID); files, named FIFOs, terminals and pipes of
 * others are left alone, and so is everything for uid 0. A machine's root
 * can then open them again (/proc/self/fd/N, /dev/stderr), which a pipe of
 * the host's root, unmapped in its user namespace, forbids. Returns 0, or
 * the first error (having tried all three). */
int stdio_give_anonymous_pipes(uid_t uid);
