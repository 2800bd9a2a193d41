/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <libmount/libmount.h>
#include <string.h>
#include <sys/mount.h>

#include "mount-table.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_free_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

int mount_options_parse(const char *options, unsigned long *ret_flags, char **ret_data) {
        _cleanup_free_ char *fs = NULL;
        unsigned long flags = 0;
        int r;

        if (isempty(options)) {
                *ret_flags = 0;
                *ret_data = NULL;
                return 0;
        }
        r = mnt_optstr_get_flags(options, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP));
        if (r < 0)
                return -EINVAL;
        r = mnt_split_optstr(options, NULL, NULL, &fs, 0, 0);
        if (r < 0)
                return -EINVAL;

        *ret_flags = flags;
        *ret_data = TAKE_PTR(fs);
        return 0;
}

static int table_load(FILE *f, struct libmnt_table **ret) {
        _cleanup_(mnt_free_tablep) struct libmnt_table *t = mnt_new_table();
        int r;

        if (!t)
                return -ENOMEM;
        r = f ? mnt_table_parse_stream(t, f, "mountinfo") : mnt_table_parse_file(t, "/proc/self/mountinfo");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

static bool path_is_under(const char *path, const char *prefix) {
        const char *rest;

        if (streq(prefix, "/"))
                return true;
        rest = startswith(path, prefix);
        return rest && (*rest == '\0' || *rest == '/');
}

int mount_table_list_under(FILE *f, const char *prefix, char ***ret) {
        _cleanup_(mnt_free_tablep) struct libmnt_table *t = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *i = mnt_new_iter(MNT_ITER_BACKWARD);
        _cleanup_strv_free_ char **l = NULL;
        struct libmnt_fs *fs;
        int r;

        if (!i)
                return -ENOMEM;
        r = table_load(f, &t);
        if (r < 0)
                return r;

        /* Later mounts are listed later: walking backwards gives children
         * before their parents. */
        while (mnt_table_next_fs(t, i, &fs) == 0) {
                const char *target = mnt_fs_get_target(fs);

                if (!target || !path_is_under(target, prefix))
                        continue;
                r = strv_extend(&l, target);
                if (r < 0)
                        return r;
        }

        *ret = l ? TAKE_PTR(l) : calloc(1, sizeof(char *));
        return *ret ? 0 : -ENOMEM;
}

int mount_table_fstype(const char *path, char **ret) {
        _cleanup_(mnt_free_tablep) struct libmnt_table *t = NULL;
        struct libmnt_fs *fs;
        const char *type;
        int r;

        r = table_load(NULL, &t);
        if (r < 0)
                return r;
        fs = mnt_table_find_mountpoint(t, path, MNT_ITER_BACKWARD);
        if (!fs)
                return -ENOENT;
        type = mnt_fs_get_fstype(fs);
        if (!type)
                return -ENODATA;
        *ret = strdup(type);
        return *ret ? 0 : -ENOMEM;
}

int mount_table_umount_under(const char *prefix) {
        _cleanup_strv_free_ char **l = NULL;
        int r, ret = 0;

        r = mount_table_list_under(NULL, prefix, &l);
        if (r < 0)
                return r;
        STRV_FOREACH(m, l)
                if (umount2(*m, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT && ret == 0)
                        ret = -errno;
        return ret;
}
