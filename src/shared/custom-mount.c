/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "caps.h"
#include "chase.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "mount-table.h"
#include "mount-util.h"
#include "process-util.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

static int *new_fds(size_t n) {
        int *fds = malloc(sizeof(int) * (n ?: 1));

        for (size_t i = 0; fds && i < n; i++)
                fds[i] = -EBADF;
        return fds;
}

static void close_many(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

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

char *custom_mount_overlay_workdir(const CustomMount *m, const char *machine) {
        _cleanup_free_ char *dir = NULL, *name = NULL;

        if (m->type != CUSTOM_MOUNT_OVERLAY || isempty(m->source) || m->source[0] == '+')
                return NULL;
        if (path_split_last(m->source, &dir, &name) < 0)
                return NULL;
        return strdup_printf("%s/.#%s" OVERLAY_WORKDIR_TAG "%s", streq(dir, "/") ? "" : dir, name, machine);
}

bool custom_mount_is_overlay_workdir(const char *path) {
        const char *last = strrchr(path, '/');

        return last && startswith(last + 1, ".#") && strstr(last + 1, OVERLAY_WORKDIR_TAG);
}

/* One layer of an overlay: a path in the machine's root ("+PATH": mapped
 * with it), or a host directory, idmapped into the machine's range. */
static int open_layer(int root_fd, const char *path, int userns_fd, int *ret_fd) {
        _cleanup_close_ int tree = -EBADF;
        int r;

        if (path[0] == '+')
                return open_in_root(root_fd, path + 1, O_PATH | O_DIRECTORY, 0, ret_fd);
        r = mount_clone_tree(AT_FDCWD, path, false, &tree);
        if (r >= 0 && userns_fd >= 0)
                r = mount_make_idmapped(tree, userns_fd, false);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(tree);
        return 0;
}

/* An upper layer in the machine's root: its work directory goes beside it
 * there (and stays, as systemd-nspawn's does), made as the machine's root. */
static int open_upper_in_root(int root_fd, const char *path, uid_t uid, const char *machine, int *ret_upper,
                              int *ret_work) {
        _cleanup_free_ char *dir = NULL, *name = NULL, *work = NULL;
        _cleanup_close_ int parent = -EBADF, upper = -EBADF, w = -EBADF;
        int r;

        r = path_split_last(path, &dir, &name);
        if (r >= 0)
                r = open_in_root(root_fd, dir, O_PATH | O_DIRECTORY, 0, &parent);
        if (r < 0)
                return r;
        work = strdup_printf(".#%s" OVERLAY_WORKDIR_TAG "%s", name, machine);
        if (!work)
                return -ENOMEM;
        upper = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0)
                return -errno;
        FsIds saved = fs_ids_switch(uid, uid);
        r = mkdirat(parent, work, 0700) < 0 && errno != EEXIST ? -errno : 0;
        fs_ids_restore(saved);
        if (r < 0)
                return r;
        w = openat(parent, work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (w < 0)
                return -errno;
        *ret_upper = TAKE_FD(upper);
        *ret_work = TAKE_FD(w);
        return 0;
}

/* The upper layer and its work directory, which must be on one mount: of
 * a host directory's parent (idmapped), the machine's root, or a tmpfs of
 * our own; a detached mount of ours in *ret_mount, to be kept open until
 * the overlay is made. */
static int open_upper(int root_fd, const CustomMount *m, int userns_fd, uid_t uid, const char *machine, int *ret_mount,
                      int *ret_upper, int *ret_work) {
        _cleanup_free_ char *work = custom_mount_overlay_workdir(m, machine), *dir = NULL, *name = NULL,
                            *work_dir = NULL, *work_name = NULL;
        _cleanup_close_ int parent = -EBADF, upper = -EBADF, w = -EBADF;
        int r;

        if (isempty(m->source))
                return mount_overlay_upper_tmpfs(0755, uid, uid, ret_mount, ret_upper, ret_work);
        if (m->source[0] == '+')
                return open_upper_in_root(root_fd, m->source + 1, uid, machine, ret_upper, ret_work);
        if (!work)
                return -ENOMEM;
        r = path_split_last(m->source, &dir, &name);
        if (r >= 0)
                r = path_split_last(work, &work_dir, &work_name);
        if (r >= 0)
                r = open_layer(-EBADF, dir, userns_fd, &parent);
        if (r < 0)
                return r;
        upper = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        w = openat(parent, work_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0 || w < 0)
                return -errno;
        *ret_mount = TAKE_FD(parent);
        *ret_upper = TAKE_FD(upper);
        *ret_work = TAKE_FD(w);
        return 0;
}

static int apply_overlay(int root_fd, const CustomMount *m, int userns_fd, uid_t uid, const char *machine) {
        _cleanup_close_ int upper_mount = -EBADF, upper = -EBADF, work = -EBADF, target = -EBADF;
        size_t n = strv_length(m->lower);
        _cleanup_free_ int *lower = new_fds(n);
        int r = 0;

        if (!lower)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = open_layer(root_fd, m->lower[i], userns_fd, &lower[i]);
        if (r >= 0 && m->type == CUSTOM_MOUNT_OVERLAY)
                r = open_upper(root_fd, m, userns_fd, uid, machine, &upper_mount, &upper, &work);
        if (r >= 0) {
                FsIds saved = fs_ids_switch(uid, uid);
                r = make_mount_point_in_root(root_fd, m->destination, true, 0755, &target);
                fs_ids_restore(saved);
        }
        if (r >= 0) {
                /* overlayfs works in its layers as who mounted it: as the
                 * machine's root, whose files an idmapped upper layer keeps
                 * as root's on the host (host root maps to nobody there). */
                FsIds saved = fs_ids_switch(uid, uid);
                r = caps_raise_effective();
                if (r >= 0)
                        r = mount_overlay(lower, n, upper, work, target);
                fs_ids_restore(saved);
        }
        close_many(lower, n);
        return r;
}

int custom_mounts_apply(int root_fd, const CustomMount *mounts, size_t n, int userns_fd, uid_t uid, const char *machine,
                        const char **what) {
        for (size_t i = 0; i < n; i++) {
                int r;

                *what = mounts[i].destination;
                if (mounts[i].type == CUSTOM_MOUNT_TMPFS)
                        r = apply_tmpfs(root_fd, &mounts[i], uid);
                else if (IN_SET(mounts[i].type, CUSTOM_MOUNT_OVERLAY, CUSTOM_MOUNT_OVERLAY_RO))
                        r = apply_overlay(root_fd, &mounts[i], userns_fd, uid, machine);
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
                STRV_FOREACH(l, mounts[i].lower) {
                        *what = *l;
                        if (**l != '+' && stat(*l, &st) < 0)
                                return -errno;
                        if (**l != '+' && !S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                }
                if (isempty(mounts[i].source) || mounts[i].source[0] == '+')
                        continue;
                *what = mounts[i].source;
                if (stat(mounts[i].source, &st) < 0)
                        return -errno;
                if (IN_SET(mounts[i].type, CUSTOM_MOUNT_OVERLAY, CUSTOM_MOUNT_OVERLAY_RO) && !S_ISDIR(st.st_mode))
                        return -ENOTDIR;
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
