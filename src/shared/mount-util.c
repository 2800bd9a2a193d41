/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "mount-util.h"

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
        int fd = open_tree(dir_fd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));

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
