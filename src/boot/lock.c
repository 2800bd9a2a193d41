/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <time.h>

#include "fileio.h"
#include "image-store.h"
#include "lock.h"
#include "log.h"
#include "machine-ref.h"
#include "machine-paths.h"

/* Whether a machine of this name runs, and is not on its way out. */
static bool machine_runs(const char *name) {
        MachineRecord m;
        bool runs;

        if (registry_read(MACHINES_DIR, name, &m) < 0)
                return false;
        runs = m.state != MACHINE_STOPPING && machine_ref_signal_supervisor(&m, 0) >= 0;
        machine_record_done(&m);
        return runs;
}

/* Somebody holds the name: a machine that runs (then it is taken), or one
 * whose supervisor is cleaning up, or a berth command looking whether the
 * machine is dead (they are done soon): then we wait for them. */
static int lock_name(const char *name, LockFile *ret) {
        int r;

        for (int i = 0;; i++) {
                r = registry_lock_name(MACHINES_DIR, name, ret);
                if (r != -EBUSY || machine_runs(name))
                        return r;
                if (i >= 1000) /* 10 s */
                        return -EBUSY;
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
}

int machine_claim_name(const char *name, SystemBus *bus, MachineLocks *l) {
        MachineRecord stale;
        int r;

        r = lock_name(name, &l->name);
        if (r == -EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "Machine '%s' is already running.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to lock machine name '%s': %m", name);

        /* We hold the name: a record under it is of a supervisor that died.
         * Undo what that one left before making anything new, and drop
         * what it was killed writing. */
        (void) remove_stale_temporaries(MACHINES_DIR);
        if (registry_read(MACHINES_DIR, name, &stale) >= 0) {
                log_debug("Cleaning up after the dead supervisor of machine '%s'.", name);
                (void) undo_log_run(&stale.undo, bus);
                machine_record_done(&stale);
        }
        return 0;
}

void machine_release_name(const char *name, Record *rec, SystemBus *bus, MachineLocks *l) {
        int r;

        r = undo_log_run(&rec->undo, bus);
        if (r < 0)
                log_warning_errno(r, "Failed to clean up after machine '%s', ignoring: %m", name);
        if (l->name.fd >= 0) {
                (void) registry_remove(MACHINES_DIR, name);
                lock_file_release(&l->name);
        }
}

int machine_lock_tree(const BootConfig *c, const MachineIdentity *id, Record *rec, MachineLocks *l) {
        const char *root = id->root;
        _cleanup_free_ char *global = NULL, *local = NULL;
        bool only_read;
        int r;

        /* A tree marked read-only is booted read-only, as nspawn does (the
         * mark is looked at only where that changes something). */
        only_read = c->ephemeral || c->read_only || c->volatile_mode != VOLATILE_NO;
        l->marked_read_only = !only_read && image_tree_is_read_only(root) > 0;
        only_read = only_read || l->marked_read_only;

        r = image_lock_paths(root, &global, &local);
        if (r < 0)
                return log_error_errno(r, "Failed to look at '%s': %m", root);
        r = record_intend(rec, UNDO_LOCK_FILE, global);
        if (r >= 0 && local)
                r = record_intend(rec, UNDO_LOCK_FILE, local);
        if (r < 0)
                return r;
        r = image_lock(root, only_read ? LOCK_SH : LOCK_EX, &l->image);
        if (r == -EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "%s '%s' is in use by another machine.",
                                       id->disk ? "Image" : "Directory", root);
        if (r < 0)
                return log_error_errno(r, "Failed to lock '%s': %m", root);
        return 0;
}

void machine_unlock_tree(MachineLocks *l) {
        image_lock_release(&l->image);
}
