/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/file.h>

#include "macro.h"

/* A lock file held with flock(), or with an open file description lock
 * (LOCK_OFD). The lock lives as long as the fd; the file is removed on
 * release when nobody else holds it. */
typedef struct LockFile {
        char *path;
        int fd;
        int operation; /* LOCK_SH or LOCK_EX */
} LockFile;

#define LOCK_FILE_NULL ((LockFile) { .fd = -EBADF })

/* In operation: an open file description lock (fcntl(F_OFD_SETLK)) rather
 * than flock(). systemd's kind: nspawn and machined lock images with it.
 * The two kinds do not see each other. */
#define LOCK_OFD (1 << 16)

/* Takes the lock on path (created with its parent directory if missing).
 * LOCK_NB in operation: fail with -EBUSY instead of waiting. Checks after
 * locking that the file was not removed meanwhile by a releasing holder. */
int lock_file_acquire(const char *path, int operation, LockFile *ret);

/* Releases the lock and removes the file, unless another process holds it. */
void lock_file_release(LockFile *l);

/* Removes a lock file nobody holds with either kind of lock (a leftover of
 * a killed process). Returns -EBUSY when somebody holds it, 0 when removed
 * or already gone. */
int lock_file_remove_stale(const char *path);

int mkdir_parents(const char *path, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
