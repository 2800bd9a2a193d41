/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "lock-util.h"
#include "machine-identity.h"
#include "record.h"
#include "root.h"

/* The machine's users: its UID range (picked and locked, or given), the
 * user namespace that maps it, and how the tree's files get the range's
 * owners (an idmapped mount of the tree, or a chown once). */

typedef struct MachineUsers {
        uid_t uid_base, uid_count; /* uid_count == 0: no user namespace (--private-users=no) */
        Ownership ownership;       /* what is done: map, chown or off */
        LockFile uid_lock;
        int userns_fd;
        int root_tree_fd; /* the tree, idmapped and detached (ownership map), or a layered image's overlay */
} MachineUsers;

#define MACHINE_USERS_NULL \
        { .uid_lock = LOCK_FILE_NULL, .userns_fd = -EBADF, .root_tree_fd = -EBADF }

int machine_setup_users(const BootConfig *c, const MachineIdentity *id, const MachineRoot *t, Record *rec,
                        MachineUsers *u);
/* Gives the range back (its lock file goes with the undo log). */
void machine_release_users(MachineUsers *u);
void machine_users_done(MachineUsers *u);
