/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "chase.h"
#include "fd-util.h"
#include "path-util.h"
#include "string-util.h"

int open_in_root(int root_fd, const char *path, int flags, mode_t mode, int *ret_fd) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        while (*path == '/')
                path++;
        /* A ".." in the walk (a symlink such as ../usr/lib/os-release)
         * fails with EAGAIN when anything was mounted or renamed anywhere
         * meanwhile, for the caller to try again (as openat2(2) says). */
        for (int i = 0;; i++) {
                fd = (int) syscall(SYS_openat2, root_fd, isempty(path) ? "." : path, &how, sizeof how);
                if (fd >= 0 || errno != EAGAIN || i >= 64)
                        break;
        }
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int mkdir_p_in_root(int root_fd, const char *path, mode_t mode, int *ret_fd) {
        _cleanup_free_ char *p = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *s;
        int r;

        if (!p)
                return -ENOMEM;
        path_simplify(p);

        /* One component at a time: each existing prefix is resolved in the
         * root, and the next component is created in what it resolved to. */
        s = p;
        for (;;) {
                char *slash, saved;

                s += strspn(s, "/");
                slash = strchrnul(s, '/');
                saved = *slash;
                *slash = '\0';

                r = open_in_root(root_fd, p, O_PATH | O_DIRECTORY, 0, &fd);
                if (r == -ENOENT) {
                        _cleanup_close_ int parent = -EBADF;
                        char *last = strrchr(p, '/');

                        if (last) {
                                *last = '\0';
                                r = open_in_root(root_fd, p, O_PATH | O_DIRECTORY, 0, &parent);
                                *last = '/';
                                last++;
                        } else {
                                r = open_in_root(root_fd, "", O_PATH | O_DIRECTORY, 0, &parent);
                                last = p;
                        }
                        if (r < 0)
                                return r;
                        if (mkdirat(parent, last, mode) < 0 && errno != EEXIST)
                                return -errno;
                        r = open_in_root(root_fd, p, O_PATH | O_DIRECTORY, 0, &fd);
                }
                if (r < 0)
                        return r;

                *slash = saved;
                if (saved == '\0' || slash[1 + strspn(slash + 1, "/")] == '\0')
                        break;
                fd = safe_close(fd);
                s = slash;
        }

        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}

int make_mount_point_in_root(int root_fd, const char *path, bool directory, mode_t mode, int *ret_fd) {
        _cleanup_free_ char *dir = NULL, *last = NULL;
        _cleanup_close_ int parent = -EBADF, fd = -EBADF;
        int r;

        if (directory)
                return mkdir_p_in_root(root_fd, path, mode, ret_fd);

        r = path_split_last(path, &dir, &last);
        if (r < 0)
                return r;
        r = mkdir_p_in_root(root_fd, dir, 0755, &parent);
        if (r < 0)
                return r;

        /* O_CREAT without following a symlink in the last component. */
        fd = openat(parent, last, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
        if (fd < 0 && errno != EISDIR && errno != ELOOP && errno != ETXTBSY && errno != EACCES)
                return -errno;
        fd = safe_close(fd);

        return open_in_root(root_fd, path, O_PATH, 0, ret_fd);
}

char *fd_path(int fd, char buf[static FD_PATH_MAX]) {
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%i", fd);
        return buf;
}

int fd_reopen(int fd, int flags) {
        char buf[FD_PATH_MAX];
        int r = open(fd_path(fd, buf), flags | O_CLOEXEC);

        return r < 0 ? -errno : r;
}
