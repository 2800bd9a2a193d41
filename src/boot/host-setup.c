/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the supervisor prepares on the host before any child exists. Each
 * side effect is written into the machine's record (its undo log) before it
 * is made, so that a supervisor killed at any point leaves a record from
 * which the next berth command can clean up. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "boot.h"
#include "fd-util.h"
#include "image.h"
#include "log.h"
#include "machine-name.h"
#include "mount-table.h"
#include "mount-util.h"
#include "path-util.h"
#include "process-util.h"
#include "string-util.h"
#include "time-util.h"
#include "uid-shift.h"
#include "userns.h"

#define MACHINES_DIR BERTH_RUNTIME_DIR "/machines"
#define UID_RANGE_DIR BERTH_RUNTIME_DIR "/uid-range"
#define NSPAWN_UID_DIR "/run/systemd/nspawn-uid"

int machine_write_record(Machine *m, MachineState state) {
        MachineRecord *r = &m->record;
        int k;

        r->state = state;
        r->leader = m->leader;
        r->uid_base = m->uid_base;
        r->uid_count = m->uid_count;
        r->registered = m->registered;
        k = free_and_strdup(&r->unified_mount, m->unified_mount);
        if (k >= 0)
                k = free_and_strdup(&r->cgroup, m->cgroup);
        if (k >= 0)
                k = free_and_strdup(&r->unit, m->unit);
        if (k < 0)
                return log_oom();

        k = registry_write(MACHINES_DIR, r);
        if (k < 0)
                return log_error_errno(k, "Failed to write record of machine '%s': %m", m->name);
        return 0;
}

int machine_intend(Machine *m, UndoType type, const char *path) {
        return undo_log_push(&m->record.undo, type, path) < 0 ? log_oom() : 0;
}

static int record_init(Machine *m) {
        MachineRecord *r = &m->record;

        *r = (MachineRecord) {
                .name = strdup(m->name),
                .uuid = m->uuid,
                .class = strdup("container"),
                .service = strdup("berth"),
                .mode = strdup(boot_mode_to_string(m->config->mode)),
                .supervisor = m->supervisor_pid,
                .root = strdup(m->root),
                .ephemeral = m->config->ephemeral,
                .since = now(CLOCK_REALTIME),
        };
        (void) pid_get_starttime(m->supervisor_pid, &r->supervisor_starttime);
        if (!r->name || !r->class || !r->service || !r->mode || !r->root)
                return log_oom();
        return 0;
}

int machine_lock(Machine *m) {
        _cleanup_free_ char *lock_path = NULL, *cgroup = NULL, *console = NULL;
        MachineRecord stale;
        int r;

        r = registry_lock_name(MACHINES_DIR, m->name, &m->name_lock);
        if (r == -EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "Machine '%s' is already running.", m->name);
        if (r < 0)
                return log_error_errno(r, "Failed to lock machine name '%s': %m", m->name);

        /* We hold the name: a record under it is of a supervisor that died.
         * Undo what that one left before making anything new. */
        if (registry_read(MACHINES_DIR, m->name, &stale) >= 0) {
                log_debug("Cleaning up after the dead supervisor of machine '%s'.", m->name);
                (void) undo_log_run(&stale.undo);
                machine_record_done(&stale);
        }

        r = record_init(m);
        if (r < 0)
                return r;
        r = machine_plan_cgroup(m);
        if (r < 0)
                return r;
        lock_path = image_lock_path(m->root);
        if (!lock_path)
                return log_oom();

        /* The first record names what we are about to make. The UID range's
         * lock is named later: an unheld one left behind is harmless, and
         * userns_gc_range_locks() removes it. */
        console = strjoin(CONSOLE_LOG_DIR "/", m->name);
        if (!console)
                return log_oom();

        r = machine_intend(m, UNDO_LOCK_FILE, lock_path);
        if (r >= 0)
                r = machine_plan_limits(m);
        if (r >= 0 && m->cgroup_mode == CGROUP_MODE_OWN) {
                /* The whole scope is ours to remove. (In the other modes the
                 * cgroup is systemd's: see machine_setup_cgroup().) */
                cgroup = path_join(m->unified_mount, m->cgroup);
                r = cgroup ? machine_intend(m, UNDO_CGROUP, cgroup) : log_oom();
        }
        if (r >= 0)
                r = machine_intend(m, UNDO_FILE, console);
        if (r >= 0)
                r = machine_write_record(m, MACHINE_STARTING);
        if (r < 0)
                return r;

        r = image_lock(m->root, m->config->ephemeral, &m->image_lock);
        if (r == -EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "Directory '%s' is in use by another machine.", m->root);
        if (r < 0)
                return log_error_errno(r, "Failed to lock directory '%s': %m", m->root);
        return 0;
}

/* A range the tree already is in: remembered by us, or (as systemd-nspawn
 * does) the owner of a tree's root that is not owned by root. */
static uid_t remembered_range(Machine *m) {
        struct stat st;
        uid_t base;

        if (uid_shift_read(m->root_fd, &base) >= 0)
                return base;
        if (fstat(m->root_fd, &st) >= 0 && st.st_uid != 0 && st.st_uid % UID_RANGE_SIZE == 0 &&
            st.st_uid >= UID_RANGE_FIRST && st.st_uid <= UID_RANGE_LAST)
                return st.st_uid;
        return UID_INVALID;
}

static int lock_range(Machine *m, uid_t preferred) {
        const UidRangeLookup lookup = {
                .lock_dir = UID_RANGE_DIR,
                .passwd_path = "/etc/passwd",
                .group_path = "/etc/group",
                .foreign_lock_dir = NSPAWN_UID_DIR,
        };
        int r;

        if (m->config->private_users == PRIVATE_USERS_FIXED) {
                m->uid_base = m->config->uid_base;
                m->uid_count = m->config->uid_count;
                r = userns_lock_range(&lookup, m->uid_base, m->uid_count, &m->uid_lock);
        } else {
                m->uid_count = UID_RANGE_SIZE;
                r = userns_pick_range(&lookup, m->name, preferred, &m->uid_base, &m->uid_lock);
        }
        if (r == -EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "UID range %u is in use by another machine.",
                                       (unsigned) m->uid_base);
        if (r == -EEXIST)
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST), "UID range %u…%u holds host users or groups.",
                                       (unsigned) m->uid_base, (unsigned) (m->uid_base + m->uid_count - 1));
        if (r == -EADDRINUSE)
                return log_error_errno(SYNTHETIC_ERRNO(EADDRINUSE), "No free UID range is left.");
        if (r < 0)
                return log_error_errno(r, "Failed to pick a UID range: %m");

        return machine_intend(m, UNDO_LOCK_FILE, m->uid_lock.path);
}

/* Tries an idmapped mount of the tree: the tree stays owned by 0 on disk
 * and appears owned by the machine's range. */
static int try_idmap(Machine *m) {
        _cleanup_close_ int tree = -EBADF;
        int r;

        r = mount_clone_tree(AT_FDCWD, m->root, true, &tree);
        if (r < 0)
                return r;
        r = mount_make_idmapped(tree, m->userns_fd, true);
        if (r < 0)
                return r;
        m->root_tree_fd = TAKE_FD(tree);
        return 0;
}

static int setup_ownership(Machine *m, uid_t remembered) {
        Ownership o = m->config->ownership;
        int r;

        if (o == OWNERSHIP_OFF || m->config->private_users == PRIVATE_USERS_IDENTITY) {
                m->ownership = OWNERSHIP_OFF;
                return 0;
        }

        if (remembered != UID_INVALID && o == OWNERSHIP_MAP)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                       "Directory '%s' was chowned to UID range %u before; it can't be idmapped. "
                                       "Use --private-users-ownership=chown or auto.",
                                       m->root, (unsigned) remembered);

        if (o == OWNERSHIP_MAP || (o == OWNERSHIP_AUTO && remembered == UID_INVALID)) {
                r = try_idmap(m);
                if (r >= 0) {
                        m->ownership = OWNERSHIP_MAP;
                        return 0;
                }
                if (o == OWNERSHIP_MAP)
                        return log_error_errno(r, "Failed to set up an idmapped mount of '%s': %m", m->root);

                _cleanup_free_ char *fstype = NULL;
                (void) mount_table_fstype(m->root, &fstype);
                log_debug("No idmapped mounts on '%s' (%s): %s; chowning it once instead.", m->root, strna(fstype),
                          strerror(ERRNO_VALUE(r)));
        }

        /* Chown once, and remember the range on the tree. */
        m->ownership = OWNERSHIP_CHOWN;
        if (remembered == m->uid_base)
                return 0;
        if (m->config->ephemeral)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY),
                                       "Directory '%s' would have to be chowned to UID range %u, which an ephemeral "
                                       "machine must not do (its filesystem has no idmapped mounts).",
                                       m->root, (unsigned) m->uid_base);

        if (!m->config->quiet)
                log_info("Chowning '%s' to UID range %u (once).", m->root, (unsigned) m->uid_base);
        r = uid_shift_tree(m->root_fd, remembered == UID_INVALID ? 0 : remembered, m->uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to chown '%s' to UID range %u: %m", m->root, (unsigned) m->uid_base);
        r = uid_shift_write(m->root_fd, m->uid_base);
        if (r < 0)
                return log_error_errno(r, "Failed to remember UID range on '%s': %m", m->root);
        return 0;
}

int machine_setup_userns(Machine *m) {
        uid_t remembered = UID_INVALID;
        int r;

        switch (m->config->private_users) {
        case PRIVATE_USERS_NO:
                m->uid_base = m->uid_count = 0;
                m->ownership = OWNERSHIP_OFF;
                return 0;
        case PRIVATE_USERS_IDENTITY:
                m->uid_base = 0;
                m->uid_count = UID_RANGE_SIZE;
                break;
        case PRIVATE_USERS_PICK:
        case PRIVATE_USERS_FIXED:
                if (m->config->ownership != OWNERSHIP_OFF)
                        remembered = remembered_range(m);
                r = lock_range(m, remembered);
                if (r < 0)
                        return r;
                break;
        default:
                assert_not_reached();
        }

        r = userns_new(m->uid_base, m->uid_count, &m->userns_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to create user namespace: %m");

        return setup_ownership(m, remembered);
}

int machine_setup_console(Machine *m) {
        char name[64];
        int r;

        if (m->console == CONSOLE_PIPE)
                return 0;

        m->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m->pty_master < 0)
                return log_error_errno(errno, "Failed to allocate the console pty: %m");
        if (unlockpt(m->pty_master) < 0 || ptsname_r(m->pty_master, name, sizeof name) != 0)
                return log_error_errno(errno, "Failed to set up the console pty: %m");
        m->pty_slave_path = strdup(name);
        if (!m->pty_slave_path)
                return log_oom();

        /* The machine's root owns its console; group tty (5) inside. */
        if (chown(name, m->uid_base, m->uid_base + 5) < 0 || chmod(name, 0620) < 0)
                return log_error_errno(errno, "Failed to hand the console pty to the machine: %m");

        m->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m->pty_slave < 0)
                return log_error_errno(errno, "Failed to open the console pty: %m");

        _cleanup_free_ char *log = strjoin(CONSOLE_LOG_DIR "/", m->name);
        if (!log)
                return log_oom();
        r = console_log_open(log, &m->console_log);
        if (r < 0)
                return log_error_errno(r, "Failed to create the console log '%s': %m", log);
        return 0;
}

void machine_undo_host(Machine *m) {
        const char *dir = MACHINES_DIR;
        int r;

        /* Out of the machine's cgroup first, so that it can be removed. In
         * a unit's cgroup we stay: systemd removes it once we are gone. */
        if (m->cgroup_mode != CGROUP_MODE_UNIT && m->cgroup_origin)
                (void) cgroup_attach(m->unified_mount, m->cgroup_origin, 0);

        lock_file_release(&m->uid_lock);
        lock_file_release(&m->image_lock);

        r = undo_log_run(&m->record.undo);
        if (r < 0)
                log_warning_errno(r, "Failed to clean up after machine '%s', ignoring: %m", m->name);

        if (m->name_lock.fd >= 0) {
                (void) registry_remove(dir, m->name);
                lock_file_release(&m->name_lock);
        }
}
