/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* Copying a tree (a regular file, a symlink, or a directory with everything
 * below it) from one directory fd to another, where either side may belong
 * to someone we don't trust (a machine). Nothing is resolved by path below
 * the two directory fds: each entry is one name, looked at without following
 * it (fstatat(AT_SYMLINK_NOFOLLOW)), opened with O_NOFOLLOW and checked again
 * once open; the way down on both sides is openat(O_DIRECTORY | O_NOFOLLOW)
 * one name at a time. Symlinks are copied as symlinks, their targets
 * verbatim, and never followed, also at the top. So a symlink, whatever it
 * points at, can't lead the copy outside the two trees.
 *
 * Kept: the shape of the tree, contents, permission bits, access and
 * modification times. Not kept: ownership (what is created belongs to the
 * caller, as with cp without -p; and as cp does then, set-user-ID and
 * set-group-ID bits of files are dropped), hard links (each link becomes a
 * file of its own), ACLs, xattrs, holes. Device nodes, FIFOs and sockets are
 * refused with -EOPNOTSUPP; an entry that changes type between being looked
 * at and being opened with -ESTALE; a tree deeper than COPY_DEPTH_MAX with
 * -ELOOP.
 *
 * On failure the functions below return a negative errno and, if failed_at
 * is not NULL, set it to the path of the entry that failed relative to the
 * top ("" for the top itself; NULL when out of memory). Nothing is undone:
 * what was copied stays. New directories are created with mode 0700 and get
 * their own mode once their contents are complete. */

#define COPY_DEPTH_MAX 256U

typedef enum CopyFlags {
        /* Replace what is in the way at the destination (--force): a file
         * or symlink is replaced atomically (a temporary file renamed over
         * it), a directory is merged into, a non-directory in the way of a
         * directory is removed. A directory in the way of a non-directory
         * stays (-EISDIR). Without this flag, anything in the way is
         * -EEXIST. */
        COPY_REPLACE = 1 << 0,
} CopyFlags;

/* Who is told, as file contents are written, how many bytes more are: a
 * progress display (src/shared/progress.h). */
typedef struct CopyProgress {
        void (*written)(uint64_t bytes, void *userdata);
        void *userdata;
} CopyProgress;

/* Copies src_name in src_dir_fd to dst_name in dst_dir_fd. Both names are
 * single components. progress may be NULL. */
int copy_tree_at(int src_dir_fd, const char *src_name, int dst_dir_fd, const char *dst_name, CopyFlags flags,
                 const CopyProgress *progress, char **failed_at);

/* What copying src_name would write: the sizes of its regular files, found
 * the same careful way. */
int copy_tree_size_at(int src_dir_fd, const char *src_name, uint64_t *ret);

/* The same copy split between two processes with different credentials,
 * connected by a SOCK_SEQPACKET socket: copy_tree_send() reads the source
 * and sends what it finds, regular files as open fds (so the receiver needs
 * no access to the source at all), and copy_tree_receive() creates it.
 * `berth copy-to` reads as host root and creates as the machine's root.
 * When one side fails, the other sees the socket fail (-EPIPE) or close
 * (-ECONNABORTED); each returns its own error. */
int copy_tree_send(int sock, int src_dir_fd, const char *src_name, char **failed_at);
int copy_tree_receive(int sock, int dst_dir_fd, const char *dst_name, CopyFlags flags, const CopyProgress *progress,
                      char **failed_at);
