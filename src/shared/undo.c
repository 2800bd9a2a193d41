/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "cgroup.h"
#include "lock-util.h"
#include "machine-name.h"
#include "machined.h"
#include "mount-table.h"
#include "path-util.h"
#include "string-table.h"
#include "string-util.h"
#include "strv.h"
#include "undo.h"

static const char *const undo_type_table[_UNDO_TYPE_MAX] = {
        [UNDO_LOCK_FILE] = "lock", [UNDO_CGROUP] = "cgroup",     [UNDO_MOUNTS] = "mounts",
        [UNDO_FILE] = "file",      [UNDO_MACHINED] = "machined", [UNDO_CGROUP_V1] = "cgroup1",
};
DEFINE_STRING_TABLE_LOOKUP(undo_type, UndoType);

int undo_log_push(UndoLog *u, UndoType type, const char *path) {
        char *e = strjoin(undo_type_to_string(type), ":", path);

        if (!e)
                return -ENOMEM;
        return strv_consume(&u->entries, e);
}

void undo_log_forget(UndoLog *u, UndoType type, const char *path) {
        _cleanup_free_ char *e = strjoin(undo_type_to_string(type), ":", path);
        size_t n = strv_length(u->entries);

        if (!e)
                return;
        for (size_t i = n; i > 0; i--)
                if (streq(u->entries[i - 1], e)) {
                        free(u->entries[i - 1]);
                        memmove(u->entries + i - 1, u->entries + i, (n - i + 1) * sizeof(char *));
                        return;
                }
}

static int parse_entry(const char *entry, UndoType *ret_type, const char **ret_path) {
        const char *colon = strchr(entry, ':');
        char type[16];
        UndoType t;

        if (!colon || (size_t) (colon - entry) >= sizeof type)
                return -EINVAL;
        memcpy(type, entry, (size_t) (colon - entry));
        type[colon - entry] = '\0';
        t = undo_type_from_string(type);
        if (t < 0)
                return -EINVAL;
        if (t == UNDO_MACHINED) {
                if (!machine_name_is_valid(colon + 1))
                        return -EINVAL;
                *ret_type = t;
                *ret_path = colon + 1;
                return 0;
        }
        /* Only absolute paths without "..": a record is not trusted to
         * point anywhere else. */
        if (!path_is_absolute(colon + 1) || !path_has_no_dotdot(colon + 1))
                return -EINVAL;
        if (t == UNDO_FILE && !path_startswith_dir(colon + 1, BERTH_RUNTIME_DIR))
                return -EINVAL;
        if (t == UNDO_CGROUP_V1 && !path_startswith_dir(colon + 1, "/sys/fs/cgroup"))
                return -EINVAL;
        *ret_type = t;
        *ret_path = colon + 1;
        return 0;
}

bool undo_entry_is_valid(const char *entry) {
        UndoType t;
        const char *p;

        return parse_entry(entry, &t, &p) >= 0;
}

int undo_entry_run(const char *entry, SystemBus *bus) {
        UndoType t;
        const char *path;
        int r;

        r = parse_entry(entry, &t, &path);
        if (r < 0)
                return r;

        switch (t) {
        case UNDO_LOCK_FILE:
                r = lock_file_remove_stale(path);
                return r == -EBUSY ? 0 : r; /* somebody else's now */
        case UNDO_CGROUP:
                return cgroup_kill_and_remove("/", path);
        case UNDO_CGROUP_V1:
                return cgroup_v1_kill_and_remove(path);
        case UNDO_MOUNTS:
                return mount_table_umount_under(path);
        case UNDO_FILE:
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        case UNDO_MACHINED: {
                sd_bus *b;

                /* No bus or no machined: nothing is registered any more. */
                if (!bus || system_bus_get(bus, &b) < 0)
                        return 0;
                r = machined_unregister(b, path, NULL);
                return r == -ENOENT || r == -ECONNREFUSED || r == -EHOSTDOWN ? 0 : r;
        }
        default:
                return -EINVAL;
        }
}

int undo_log_run(UndoLog *u, SystemBus *bus) {
        size_t n = strv_length(u->entries);
        int ret = 0;

        for (size_t i = n; i > 0; i--) {
                int r = undo_entry_run(u->entries[i - 1], bus);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        u->entries = strv_free(u->entries);
        return ret;
}

void undo_log_done(UndoLog *u) {
        u->entries = strv_free(u->entries);
}
