/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "chase.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "machine-paths.h"
#include "path-util.h"
#include "string-util.h"

int image_lock_paths(const char *path, char **ret_global, char **ret_local) {
        _cleanup_free_ char *global = NULL, *local = NULL;
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        /* A block device is named by its number; one under /dev needs no
         * lock beside it (as systemd does it). */
        if (S_ISBLK(st.st_mode))
                global = strdup_printf("/run/systemd/nspawn/locks/block-%u:%u", major(st.st_rdev), minor(st.st_rdev));
        else
                global = machine_image_global_lock_path(st.st_dev, st.st_ino);
        if (!global)
                return -ENOMEM;
        if (!(S_ISBLK(st.st_mode) && path_startswith_dir(path, "/dev"))) {
                local = machine_image_lock_path(path);
                if (!local)
                        return -ENOMEM;
        }
        *ret_global = TAKE_PTR(global);
        *ret_local = TAKE_PTR(local);
        return 0;
}

int image_lock(const char *path, int operation, ImageLock *ret) {
        _cleanup_free_ char *global = NULL, *local = NULL;
        ImageLock l = IMAGE_LOCK_NULL;
        int r;

        r = image_lock_paths(path, &global, &local);
        if (r < 0)
                return r;
        /* In systemd's order: the global one first. */
        r = lock_file_acquire(global, operation | LOCK_OFD | LOCK_NB, &l.global);
        if (r < 0)
                return r;
        r = local ? lock_file_acquire(local, operation | LOCK_OFD | LOCK_NB, &l.local) : 0;
        if (r == -EROFS && operation == LOCK_SH)
                r = 0; /* a vendor image on a read-only /usr: the global lock is enough to read */
        if (r < 0) {
                lock_file_release(&l.global);
                return r;
        }
        *ret = l;
        return 0;
}

void image_lock_release(ImageLock *l) {
        lock_file_release(&l->local);
        lock_file_release(&l->global);
}

/* A regular file of the tree (symlinks resolved inside it), read: looked
 * at before it is opened for reading, since the tree is not ours to trust
 * (a FIFO would block us, a device node would be the host's device). */
static int read_tree_file(int tree_fd, const char *path, size_t max, char **ret) {
        _cleanup_close_ int fd = -EBADF, file = -EBADF;
        struct stat st;
        int r;

        r = open_in_root(tree_fd, path, O_PATH, 0, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        file = fd_reopen(fd, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (file < 0)
                return file;
        return read_full_fd(file, max, ret, NULL);
}

int os_release_read(int tree_fd, char **ret) {
        static const char *const candidates[] = { "/etc/os-release", "/usr/lib/os-release" };
        int r = -ENOENT;

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                r = read_tree_file(tree_fd, candidates[i], 64 * 1024, ret);
                if (r != -ENOENT)
                        return r;
        }
        return r;
}

int image_read_hostname(int tree_fd, char **ret) {
        int r = read_tree_file(tree_fd, "/etc/hostname", 256, ret);

        if (r >= 0)
                strstrip_trailing(*ret);
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

/* Whether someone who is not root may search the directory at path. */
static int searchable_by_users(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (getxattr(path, "system.posix_acl_access", NULL, 0) >= 0)
                return 1;
        return (st.st_mode & S_IXOTH) || ((st.st_mode & S_IXGRP) && st.st_gid != 0) ||
               ((st.st_mode & S_IXUSR) && st.st_uid != 0);
}

int image_reachable_by_users(const char *tree, char **ret_dir) {
        _cleanup_free_ char *p = strdup(tree);
        int r;

        if (!p)
                return -ENOMEM;
        /* "/a/b/c": "/", "/a", "/a/b", "/a/b/c", cutting at each slash. */
        for (char *slash = p;; slash = strchr(slash + 1, '/')) {
                char c = slash ? *slash : '\0';

                if (slash && slash != p)
                        *slash = '\0';
                r = searchable_by_users(slash == p ? "/" : p);
                if (slash && slash != p)
                        *slash = c;
                if (r <= 0)
                        return r;
                if (!slash)
                        break;
        }
        _cleanup_free_ char *dir = NULL, *last = NULL;
        r = path_split_last(tree, &dir, &last);
        if (r < 0)
                return r;
        *ret_dir = TAKE_PTR(dir);
        return 1;
}
