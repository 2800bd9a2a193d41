/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "chase.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "mount-table.h"
#include "mount-util.h"
#include "process-util.h"
#include "path-util.h"
#include "string-util.h"

static int apply_bind(int root_fd, const CustomMount *m, int userns_fd, uid_t uid) {
        _cleanup_close_ int tree = -EBADF, target = -EBADF;
        struct stat st;
        int r;

        if (stat(m->source, &st) < 0)
                return -errno;
        r = mount_clone_tree(AT_FDCWD, m->source, m->recursive, &tree);
        if (r < 0)
                return r;
        if (m->idmap) {
                if (userns_fd < 0)
                        return -EINVAL; /* no user namespace to map to */
                r = mount_make_idmapped(tree, userns_fd, m->recursive);
                if (r < 0)
                        return r;
        }
        if (m->type == CUSTOM_MOUNT_BIND_RO) {
                r = mount_set_attributes(tree, NULL, MOUNT_ATTR_RDONLY, m->recursive);
                if (r < 0)
                        return r;
        }

        FsIds saved = fs_ids_switch(uid, uid);
        r = make_mount_point_in_root(root_fd, m->destination, S_ISDIR(st.st_mode), 0755, &target);
        fs_ids_restore(saved);
        if (r < 0)
                return r;
        return RET_NERRNO(move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

static int apply_tmpfs(int root_fd, const CustomMount *m, uid_t uid) {
        _cleanup_free_ char *data = NULL, *owned = NULL;
        _cleanup_close_ int target = -EBADF;
        unsigned long flags;
        char buf[FD_PATH_MAX];
        int r;

        r = mount_options_parse(m->options, &flags, &data);
        if (r < 0)
                return r;

        /* Owned by the machine's root unless the options say otherwise. */
        if (uid != 0 && (!data || (!strstr(data, "uid=") && !strstr(data, "gid=")))) {
                owned = strdup_printf("%s%suid=%u,gid=%u", strempty(data), isempty(data) ? "" : ",", (unsigned) uid,
                                      (unsigned) uid);
                if (!owned)
                        return -ENOMEM;
        }

        FsIds saved = fs_ids_switch(uid, uid);
        r = mkdir_p_in_root(root_fd, m->destination, 0755, &target);
        fs_ids_restore(saved);
        if (r < 0)
                return r;
        return mount_nofollow("tmpfs", fd_path(target, buf), "tmpfs", flags | MS_NODEV, owned ?: data);
}

int custom_mounts_apply(int root_fd, const CustomMount *mounts, size_t n, int userns_fd, uid_t uid, const char **what) {
        for (size_t i = 0; i < n; i++) {
                int r;

                *what = mounts[i].destination;
                if (mounts[i].type == CUSTOM_MOUNT_TMPFS)
                        r = apply_tmpfs(root_fd, &mounts[i], uid);
                else
                        r = apply_bind(root_fd, &mounts[i], userns_fd, uid);
                if (r < 0)
                        return r;
        }
        return 0;
}

int custom_mounts_check_sources(const CustomMount *mounts, size_t n, const char **what) {
        for (size_t i = 0; i < n; i++) {
                struct stat st;

                if (mounts[i].type == CUSTOM_MOUNT_TMPFS)
                        continue;
                *what = mounts[i].source;
                if (stat(mounts[i].source, &st) < 0)
                        return -errno;
        }
        return 0;
}

bool custom_mount_destination_is_allowed(const char *path) {
        static const char *const under[] = { "/proc", "/sys", "/dev/pts", "/dev/mqueue", "/run/host" };

        if (streq(path, "/") || streq(path, "/dev"))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(under); i++)
                if (path_startswith_dir(path, under[i]))
                        return false;
        return true;
}
