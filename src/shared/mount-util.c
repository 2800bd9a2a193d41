/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "chase.h"
#include "fd-util.h"
#include "mount-util.h"
#include "string-util.h"

int mount_nofollow(const char *what, const char *where, const char *type, unsigned long flags, const char *data) {
        return RET_NERRNO(mount(what, where, type, flags, data));
}

int mount_bind(const char *what, const char *where, bool recursive) {
        return mount_nofollow(what, where, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL);
}

int mount_set_attributes(int dir_fd, const char *path, uint64_t attr_set, bool recursive) {
        return mount_change_attributes(dir_fd, path, attr_set, 0, recursive);
}

int mount_change_attributes(int dir_fd, const char *path, uint64_t attr_set, uint64_t attr_clr, bool recursive) {
        struct mount_attr attr = { .attr_set = attr_set, .attr_clr = attr_clr };

        return RET_NERRNO(mount_setattr(
                dir_fd, path ?: "", (path ? 0 : AT_EMPTY_PATH) | (recursive ? AT_RECURSIVE : 0) | AT_SYMLINK_NOFOLLOW,
                &attr, sizeof attr));
}

int mount_clone_tree(int dir_fd, const char *path, bool recursive, int *ret_fd) {
        int fd = open_tree(dir_fd, path ?: "",
                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) |
                                   (path ? 0 : AT_EMPTY_PATH));

        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int mount_make_idmapped(int tree_fd, int userns_fd, bool recursive) {
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP,
                .userns_fd = (uint64_t) userns_fd,
        };

        return RET_NERRNO(
                mount_setattr(tree_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr));
}

int mount_attach(int tree_fd, int dir_fd, const char *where) {
        return RET_NERRNO(move_mount(tree_fd, "", dir_fd, where, MOVE_MOUNT_F_EMPTY_PATH));
}

int mount_tmpfs_detached(const char *mode, uid_t uid, int *ret_fd) {
        _cleanup_close_ int fs = -EBADF;
        char ids[DECIMAL_STR_MAX(uid_t)];
        int fd;

        snprintf(ids, sizeof ids, "%u", (unsigned) uid);
        fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "uid", ids, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "gid", ids, 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        fd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int mount_overlay_dirs(int tmp_fd, const char *dir, mode_t mode, uid_t uid, gid_t gid, int *ret_upper_fd,
                       int *ret_work_fd) {
        _cleanup_close_ int d = -EBADF, upper = -EBADF, work = -EBADF;

        if (mkdirat(tmp_fd, dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        d = openat(tmp_fd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
                return -errno;
        /* The overlay's root shows the upper layer's root. */
        if (mkdirat(d, "upper", mode & 07777) >= 0) {
                if (fchownat(d, "upper", uid, gid, 0) < 0 || fchmodat(d, "upper", mode & 07777, 0) < 0)
                        return -errno;
        } else if (errno != EEXIST)
                return -errno;
        if (mkdirat(d, "work", 0700) < 0 && errno != EEXIST)
                return -errno;
        upper = openat(d, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        work = openat(d, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0 || work < 0)
                return -errno;
        *ret_upper_fd = TAKE_FD(upper);
        *ret_work_fd = TAKE_FD(work);
        return 0;
}

int mount_overlay_upper_tmpfs(mode_t mode, uid_t uid, gid_t gid, int *ret_tmp_fd, int *ret_upper_fd, int *ret_work_fd) {
        _cleanup_close_ int tmp = -EBADF;
        int r;

        r = mount_tmpfs_detached("0700", 0, &tmp);
        if (r >= 0)
                r = mount_overlay_dirs(tmp, ".", mode, uid, gid, ret_upper_fd, ret_work_fd);
        if (r < 0)
                return r;
        *ret_tmp_fd = TAKE_FD(tmp);
        return 0;
}

int mount_overlay(const int *lower_fds, size_t n_lower, int upper_fd, int work_fd, int target_fd) {
        _cleanup_free_ char *data = NULL;
        char buf[FD_PATH_MAX];

        /* The layers by their fds' paths: they may be detached (idmapped
         * copies, a tmpfs of our own). Lowest last, as overlayfs lists them. */
        for (size_t i = n_lower; i > 0; i--) {
                char *t = strdup_printf("%s%s%s", data ?: "lowerdir=", data ? ":" : "", fd_path(lower_fds[i - 1], buf));
                if (!t)
                        return -ENOMEM;
                free(data);
                data = t;
        }
        if (upper_fd >= 0) {
                char b2[FD_PATH_MAX];
                char *t =
                        strdup_printf("%s,upperdir=%s,workdir=%s", data, fd_path(upper_fd, buf), fd_path(work_fd, b2));
                if (!t)
                        return -ENOMEM;
                free(data);
                data = t;
        }
        return mount_nofollow("overlay", fd_path(target_fd, buf), "overlay", MS_NODEV, data);
}

static int overlay_config(int fs, const char *key, int fd) {
        char buf[FD_PATH_MAX];

        return RET_NERRNO(fsconfig(fs, FSCONFIG_SET_STRING, key, fd_path(fd, buf), 0));
}

int mount_overlay_detached(const int *lower_fds, size_t n_lower, int upper_fd, int work_fd, int *ret_fd) {
        static const char *const options[][2] = {
                { "redirect_dir", "off" },
                { "metacopy", "off" },
                { "index", "off" },
        };
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        int r = 0, fd = -EBADF;

        if (fs < 0)
                return -errno;
        /* One layer and nothing to write: no overlay (overlayfs wants two),
         * the layer itself, read-only. */
        if (n_lower == 1 && upper_fd < 0) {
                r = mount_clone_tree(lower_fds[0], NULL, false, &fd);
                if (r >= 0)
                        r = mount_set_attributes(fd, NULL, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, false);
                if (r < 0) {
                        safe_close(fd);
                        return r;
                }
                *ret_fd = fd;
                return 0;
        }
        /* Highest first, as overlayfs lists them; by the fds' paths, as they
         * may be detached (idmapped copies). */
        for (size_t i = n_lower; i > 0 && r >= 0; i--) {
                r = overlay_config(fs, "lowerdir+", lower_fds[i - 1]);
                if (r == -EINVAL && i == n_lower)
                        return -EOPNOTSUPP; /* no "lowerdir+" */
        }
        if (r >= 0 && upper_fd >= 0)
                r = overlay_config(fs, "upperdir", upper_fd);
        if (r >= 0 && upper_fd >= 0)
                r = overlay_config(fs, "workdir", work_fd);
        for (size_t i = 0; r >= 0 && upper_fd >= 0 && i < ELEMENTSOF(options); i++)
                r = RET_NERRNO(fsconfig(fs, FSCONFIG_SET_STRING, options[i][0], options[i][1], 0));
        if (r >= 0)
                r = RET_NERRNO(fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
        if (r < 0)
                return r;
        fd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}
