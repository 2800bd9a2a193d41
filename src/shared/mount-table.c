/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <libmount/libmount.h>
#include <string.h>
#include <sys/mount.h>

#include "dlopen-util.h"
#include "mount-table.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

/* libmount, loaded when first needed. */
DLOPEN_NOTE(mount, "Mount options of --tmpfs=, and the mount table (cleaning up mounts)", "recommended",
            "libmount.so.1");
static void *libmount_dl;
static DLSYM_PROTOTYPE(mnt_optstr_get_flags);
static DLSYM_PROTOTYPE(mnt_get_builtin_optmap);
static DLSYM_PROTOTYPE(mnt_split_optstr);
static DLSYM_PROTOTYPE(mnt_new_table);
static DLSYM_PROTOTYPE(mnt_free_table);
static DLSYM_PROTOTYPE(mnt_new_iter);
static DLSYM_PROTOTYPE(mnt_free_iter);
static DLSYM_PROTOTYPE(mnt_table_parse_stream);
static DLSYM_PROTOTYPE(mnt_table_parse_file);
static DLSYM_PROTOTYPE(mnt_table_next_fs);
static DLSYM_PROTOTYPE(mnt_fs_get_target);
static DLSYM_PROTOTYPE(mnt_table_find_mountpoint);
static DLSYM_PROTOTYPE(mnt_fs_get_fstype);

static int dlopen_libmount(void) {
        return dlopen_many_sym(&libmount_dl, "libmount.so.1", DLSYM_ARG(mnt_optstr_get_flags),
                               DLSYM_ARG(mnt_get_builtin_optmap), DLSYM_ARG(mnt_split_optstr), DLSYM_ARG(mnt_new_table),
                               DLSYM_ARG(mnt_free_table), DLSYM_ARG(mnt_new_iter), DLSYM_ARG(mnt_free_iter),
                               DLSYM_ARG(mnt_table_parse_stream), DLSYM_ARG(mnt_table_parse_file),
                               DLSYM_ARG(mnt_table_next_fs), DLSYM_ARG(mnt_fs_get_target),
                               DLSYM_ARG(mnt_table_find_mountpoint), DLSYM_ARG(mnt_fs_get_fstype), NULL);
}

static void table_freep(struct libmnt_table **t) {
        if (*t)
                sym_mnt_free_table(*t);
}

static void iter_freep(struct libmnt_iter **i) {
        if (*i)
                sym_mnt_free_iter(*i);
}

int mount_options_parse(const char *options, unsigned long *ret_flags, char **ret_data) {
        _cleanup_free_ char *fs = NULL;
        unsigned long flags = 0;
        int r;

        if (isempty(options)) {
                *ret_flags = 0;
                *ret_data = NULL;
                return 0;
        }
        r = dlopen_libmount();
        if (r < 0)
                return r;
        r = sym_mnt_optstr_get_flags(options, &flags, sym_mnt_get_builtin_optmap(MNT_LINUX_MAP));
        if (r < 0)
                return -EINVAL;
        r = sym_mnt_split_optstr(options, NULL, NULL, &fs, 0, 0);
        if (r < 0)
                return -EINVAL;

        *ret_flags = flags;
        *ret_data = TAKE_PTR(fs);
        return 0;
}

static int table_load(FILE *f, struct libmnt_table **ret) {
        _cleanup_(table_freep) struct libmnt_table *t = NULL;
        int r;

        r = dlopen_libmount();
        if (r < 0)
                return r;
        t = sym_mnt_new_table();
        if (!t)
                return -ENOMEM;
        r = f ? sym_mnt_table_parse_stream(t, f, "mountinfo") : sym_mnt_table_parse_file(t, "/proc/self/mountinfo");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

int mount_table_list_under(FILE *f, const char *prefix, char ***ret) {
        _cleanup_(table_freep) struct libmnt_table *t = NULL;
        _cleanup_(iter_freep) struct libmnt_iter *i = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct libmnt_fs *fs;
        int r;

        r = table_load(f, &t);
        if (r < 0)
                return r;
        i = sym_mnt_new_iter(MNT_ITER_BACKWARD);
        if (!i)
                return -ENOMEM;

        /* Later mounts are listed later: walking backwards gives children
         * before their parents. */
        while (sym_mnt_table_next_fs(t, i, &fs) == 0) {
                const char *target = sym_mnt_fs_get_target(fs);

                if (!target || !path_startswith_dir(target, prefix))
                        continue;
                r = strv_extend(&l, target);
                if (r < 0)
                        return r;
        }

        *ret = l ? TAKE_PTR(l) : calloc(1, sizeof(char *));
        return *ret ? 0 : -ENOMEM;
}

int mount_table_fstype(const char *path, char **ret) {
        _cleanup_(table_freep) struct libmnt_table *t = NULL;
        struct libmnt_fs *fs;
        const char *type;
        int r;

        r = table_load(NULL, &t);
        if (r < 0)
                return r;
        fs = sym_mnt_table_find_mountpoint(t, path, MNT_ITER_BACKWARD);
        if (!fs)
                return -ENOENT;
        type = sym_mnt_fs_get_fstype(fs);
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
