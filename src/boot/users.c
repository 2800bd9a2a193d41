/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "log.h"
#include "machine-paths.h"
#include "mount-table.h"
#include "mount-util.h"
#include "string-util.h"
#include "uid-shift.h"
#include "users.h"
#include "userns.h"

void machine_release_users(MachineUsers *u) {
        lock_file_release(&u->uid_lock);
}

void machine_users_done(MachineUsers *u) {
        lock_file_release(&u->uid_lock);
        u->userns_fd = safe_close(u->userns_fd);
        u->root_tree_fd = safe_close(u->root_tree_fd);
}

/* A range the tree already is in: remembered by us, or (as systemd-nspawn
 * does) the owner of a tree's root that is not owned by root. */
static uid_t remembered_range(int root_fd) {
        struct stat st;
        uid_t base;

        if (uid_shift_read(root_fd, &base) >= 0)
                return base;
        if (fstat(root_fd, &st) >= 0 && st.st_uid != 0 && st.st_uid % UID_RANGE_SIZE == 0 &&
            st.st_uid >= UID_RANGE_FIRST && st.st_uid <= UID_RANGE_LAST)
                return st.st_uid;
        return UID_INVALID;
}

static int lock_range(const BootConfig *c, const char *name, uid_t preferred, Record *rec, MachineUsers *u) {
        const UidRangeLookup lookup = {
                .lock_dir = UID_RANGE_DIR,
                .passwd_path = "/etc/passwd",
                .group_path = "/etc/group",
                .foreign_lock_dir = NSPAWN_UID_RANGE_DIR,
        };
        int r;

        if (c->private_users == PRIVATE_USERS_FIXED) {
                u->uid_base = c->uid_base;
                u->uid_count = c->uid_count;
                r = userns_lock_range(&lookup, u->uid_base, u->uid_count, &u->uid_lock);
        } else {
                u->uid_count = UID_RANGE_SIZE;
                r = userns_pick_range(&lookup, name, preferred, &u->uid_base, &u->uid_lock);
        }
        if (r == -EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "UID range %u is in use by another machine.",
                                       (unsigned) u->uid_base);
        if (r == -EEXIST)
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST), "UID range %u…%u holds host users or groups.",
                                       (unsigned) u->uid_base, (unsigned) (u->uid_base + u->uid_count - 1));
        if (r == -EADDRINUSE)
                return log_error_errno(SYNTHETIC_ERRNO(EADDRINUSE), "No free UID range is left.");
        if (r < 0)
                return log_error_errno(r, "Failed to pick a UID range: %m");

        /* Named once taken: only then is its name known. Saved with the
         * next effect: an unheld lock file left behind meanwhile is
         * harmless, and userns_gc_range_locks() removes it. */
        return record_note(rec, UNDO_LOCK_FILE, u->uid_lock.path);
}

/* A layered image's overlay, its files mapped into the range. Host root
 * (as overlayfs works in the top's work/) is the range's UID count in the
 * top's mapping: what it leaves there, whiteouts and files being copied
 * up, is owned by that UID, not by root, on disk. */
static int mount_layers_idmapped(const MachineRoot *t, MachineUsers *u) {
        _cleanup_close_ int top = -EBADF;
        int r;

        r = userns_new_with_extra(u->uid_base, u->uid_count, 0, &top);
        if (r < 0)
                return log_error_errno(r, "Failed to create a user namespace for the top of '%s': %m", t->layered_path);
        return machine_root_mount_layers(t, u->userns_fd, top, &u->root_tree_fd);
}

/* Tries an idmapped mount of the tree: the tree stays owned by 0 on disk
 * and appears owned by the machine's range. A disk image's file systems,
 * mounted detached by us, are idmapped as they are. */
static int try_idmap(const char *root, const MachineRoot *t, MachineUsers *u) {
        _cleanup_close_ int tree = -EBADF;
        int r;

        if (t->layered.dir_fd >= 0)
                return mount_layers_idmapped(t, u);
        if (t->mount_fd >= 0) {
                r = mount_make_idmapped(t->mount_fd, u->userns_fd, false);
                if (r >= 0 && t->usr_mount_fd >= 0)
                        r = mount_make_idmapped(t->usr_mount_fd, u->userns_fd, false);
                return r;
        }

        r = mount_clone_tree(AT_FDCWD, root, true, &tree);
        if (r < 0)
                return r;
        r = mount_make_idmapped(tree, u->userns_fd, true);
        if (r < 0)
                return r;
        u->root_tree_fd = TAKE_FD(tree);
        return 0;
}

/* A layered image whose files are not mapped (no user namespace, or
 * ownership off): its overlay of the layers as they are. */
static int mount_layers_as_they_are(const MachineRoot *t, MachineUsers *u) {
        if (t->layered.dir_fd < 0 || u->root_tree_fd >= 0)
                return 0;
        return machine_root_mount_layers(t, -EBADF, -EBADF, &u->root_tree_fd);
}

/* Chowns the tree into the range once, and remembers the range on it. */
static int chown_once(const BootConfig *c, const char *root, const MachineRoot *t, uid_t remembered, MachineUsers *u) {
        int r;

        u->ownership = OWNERSHIP_CHOWN;
        if (remembered == u->uid_base)
                return 0;
        if (t->lower_read_only)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY),
                                       "Directory '%s' would have to be chowned to UID range %u, which a machine "
                                       "that only reads it (ephemeral, read-only or volatile) must not do (its "
                                       "filesystem has no idmapped mounts).",
                                       root, (unsigned) u->uid_base);

        if (!c->quiet)
                log_info("Chowning '%s' to UID range %u (once).", root, (unsigned) u->uid_base);
        r = uid_shift_tree(t->fd, remembered == UID_INVALID ? 0 : remembered, u->uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to chown '%s' to UID range %u: %m", root, (unsigned) u->uid_base);
        r = uid_shift_write(t->fd, u->uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to remember UID range on '%s': %m", root);
        return 0;
}

static int setup_ownership(const BootConfig *c, const char *root, const MachineRoot *t, uid_t remembered,
                           MachineUsers *u) {
        Ownership o = c->ownership;
        int r;

        if (o == OWNERSHIP_OFF || c->private_users == PRIVATE_USERS_IDENTITY) {
                u->ownership = OWNERSHIP_OFF;
                return 0;
        }

        if (remembered != UID_INVALID && o == OWNERSHIP_MAP)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                       "Directory '%s' was chowned to UID range %u before; it can't be idmapped. "
                                       "Use --private-users-ownership=chown or auto.",
                                       root, (unsigned) remembered);

        if (o == OWNERSHIP_MAP || (o == OWNERSHIP_AUTO && remembered == UID_INVALID)) {
                r = try_idmap(root, t, u);
                if (r >= 0) {
                        u->ownership = OWNERSHIP_MAP;
                        return 0;
                }
                if (t->layered.dir_fd >= 0)
                        return r; /* logged */
                if (o == OWNERSHIP_MAP || t->mount_fd >= 0)
                        return log_error_errno(r, "Failed to set up an idmapped mount of '%s': %m", root);

                _cleanup_free_ char *fstype = NULL;
                (void) mount_table_fstype(root, &fstype);
                log_debug("No idmapped mounts on '%s' (%s): %s; chowning it once instead.", root, strna(fstype),
                          strerror(ERRNO_VALUE(r)));
        }
        if (t->mount_fd >= 0 || t->layered.dir_fd >= 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                       "Image '%s' can't be chowned into the machine's UID range: use "
                                       "--private-users-ownership=map (or auto), or off for an image chowned "
                                       "already.",
                                       root);
        return chown_once(c, root, t, remembered, u);
}

/* With the tree's files mapped to the machine's root (or no user namespace
 * at all), what the machine's root makes is owned by root on the host: a
 * set-user-ID file it makes would be set-user-ID root for whoever on the
 * host can reach it. So nobody but root may. */
static int refuse_reachable(const BootConfig *c, const char *root, const MachineUsers *u) {
        if (c->ephemeral || c->read_only || c->volatile_mode != VOLATILE_NO ||
            !(u->ownership == OWNERSHIP_MAP || u->uid_base == 0))
                return 0;
        return machine_refuse_reachable(root, "to boot", ", or use --ephemeral");
}

int machine_setup_users(const BootConfig *c, const MachineIdentity *id, const MachineRoot *t, Record *rec,
                        MachineUsers *u) {
        uid_t remembered = UID_INVALID;
        int r;

        switch (c->private_users) {
        case PRIVATE_USERS_NO:
                u->uid_base = u->uid_count = 0;
                u->ownership = OWNERSHIP_OFF;
                r = mount_layers_as_they_are(t, u);
                if (r < 0)
                        return r;
                return id->disk ? 0 : refuse_reachable(c, id->root, u);
        case PRIVATE_USERS_IDENTITY:
                u->uid_base = 0;
                u->uid_count = UID_RANGE_SIZE;
                break;
        case PRIVATE_USERS_PICK:
        case PRIVATE_USERS_FIXED:
                if (c->ownership != OWNERSHIP_OFF)
                        remembered = remembered_range(t->fd);
                r = lock_range(c, id->name, remembered, rec, u);
                if (r < 0)
                        return r;
                break;
        default:
                assert_not_reached();
        }

        r = userns_new(u->uid_base, u->uid_count, &u->userns_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to create user namespace: %m");

        r = setup_ownership(c, id->root, t, remembered, u);
        if (r >= 0)
                r = mount_layers_as_they_are(t, u);
        if (r < 0)
                return r;
        /* A disk image is mounted only in the machine's mount namespace. */
        return id->disk ? 0 : refuse_reachable(c, id->root, u);
}
