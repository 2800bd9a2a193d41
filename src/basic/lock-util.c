/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "lock-util.h"
#include "string-util.h"

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = c;
                if (c == '\0')
                        break;
        }
        return 0;
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        char *slash;

        if (!p)
                return -ENOMEM;
        slash = strrchr(p, '/');
        if (!slash || slash == p)
                return 0;
        *slash = '\0';
        return mkdir_p(p, mode);
}

static int lock_fd(int fd, int operation) {
        if (operation & LOCK_OFD) {
                struct flock fl = {
                        .l_type = (operation & LOCK_EX) ? F_WRLCK : F_RDLCK,
                        .l_whence = SEEK_SET,
                };

                if (fcntl(fd, (operation & LOCK_NB) ? F_OFD_SETLK : F_OFD_SETLKW, &fl) < 0)
                        return IN_SET(errno, EAGAIN, EACCES) ? -EBUSY : -errno;
                return 0;
        }
        if (flock(fd, operation) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        return 0;
}

static int open_and_lock(const char *path, int operation, bool create, int *ret_fd) {
        for (;;) {
                _cleanup_close_ int fd = -EBADF;
                struct stat a, b;
                int r;

                fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
                if (fd < 0)
                        return -errno;
                r = lock_fd(fd, operation);
                if (r < 0)
                        return r;

                /* A releasing holder unlinks the file after we opened it but
                 * before we got the lock: our lock would then be on a file
                 * nobody else can find. Try again on the current one. */
                if (fstat(fd, &a) < 0)
                        return -errno;
                if (stat(path, &b) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        continue;

                *ret_fd = TAKE_FD(fd);
                return 0;
        }
}

int lock_file_acquire(const char *path, int operation, LockFile *ret) {
        _cleanup_free_ char *p = strdup(path);
        int fd, r;

        if (!p)
                return -ENOMEM;
        r = open_and_lock(path, operation, true, &fd);
        if (r == -ENOENT) {
                /* The directory is missing (the first lock since boot). */
                r = mkdir_parents(path, 0755);
                if (r < 0)
                        return r;
                r = open_and_lock(path, operation, true, &fd);
        }
        if (r < 0)
                return r;

        *ret = (LockFile) {
                .path = TAKE_PTR(p),
                .fd = fd,
                .operation = operation & ~LOCK_NB,
        };
        return 0;
}

void lock_file_release(LockFile *l) {
        if (l->fd >= 0) {
                /* Only unlink what nobody else holds: upgrade without waiting. */
                if (l->path && ((l->operation & ~LOCK_OFD) == LOCK_EX ||
                                lock_fd(l->fd, (l->operation & LOCK_OFD) | LOCK_EX | LOCK_NB) >= 0))
                        (void) unlink(l->path);
                l->fd = safe_close(l->fd);
        }
        l->path = (free(l->path), NULL);
}

int lock_file_remove_stale(const char *path) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = open_and_lock(path, LOCK_EX | LOCK_NB, false, &fd);
        if (r == -ENOENT)
                return 0;
        r = r ?: lock_fd(fd, LOCK_OFD | LOCK_EX | LOCK_NB);
        if (r < 0)
                return r;
        (void) unlink(path);
        return 0;
}
