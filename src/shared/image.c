/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "path-util.h"
#include "string-util.h"

int image_find(const char *image_dir, const char *name, char **ret_path) {
        _cleanup_free_ char *p = path_join(image_dir, name);
        struct stat st;

        if (!p)
                return -ENOMEM;
        if (stat(p, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        *ret_path = TAKE_PTR(p);
        return 0;
}

int image_resolve(const char *directory, const char *machine, const char *image_dir, char **ret_path, char **ret_root) {
        _cleanup_free_ char *path = NULL;
        int r;

        *ret_path = NULL;
        if (directory)
                path = strdup(directory);
        else if (machine) {
                r = image_find(image_dir, machine, &path);
                if (r < 0)
                        return r;
        } else if (!(path = getcwd(NULL, 0)))
                return -errno;
        if (!path)
                return -ENOMEM;

        *ret_root = realpath(path, NULL);
        r = *ret_root ? 0 : -errno;
        *ret_path = TAKE_PTR(path);
        return r;
}

char *image_lock_path(const char *tree) {
        _cleanup_free_ char *dir = NULL, *last = NULL;

        if (path_split_last(tree, &dir, &last) < 0)
                return NULL;
        return strdup_printf("%s/.#%s.lck", dir, last);
}

int image_lock(const char *tree, bool shared, LockFile *ret) {
        _cleanup_free_ char *p = image_lock_path(tree);

        if (!p)
                return -ENOMEM;
        return lock_file_acquire(p, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB, ret);
}

int os_release_read(int tree_fd, char **ret) {
        static const char *const candidates[] = { "/etc/os-release", "/usr/lib/os-release" };
        int r = -ENOENT;

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                /* Not ours to trust: only a regular file (a FIFO would
                 * block us, a device feed us). */
                r = open_in_root(tree_fd, candidates[i], O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &fd);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (!S_ISREG(st.st_mode))
                        return -EBADFD;
                return read_full_fd(fd, 64 * 1024, ret, NULL);
        }
        return r;
}

int image_check_executable(int tree_fd, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = open_in_root(tree_fd, path, O_PATH, 0, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                return -EACCES;
        return 0;
}
