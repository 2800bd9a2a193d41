/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "bus-util.h"
#include "image.h"
#include "lock-util.h"
#include "machine-identity.h"
#include "record.h"

/* One owner for a name and for a tree: the name lock beside the machine's
 * record (registry.h), held for the machine's whole life, and the tree's
 * locks (image.h), as systemd-nspawn and systemd-machined take them. */

typedef struct MachineLocks {
        LockFile name;
        ImageLock image;
        bool marked_read_only; /* marked read-only, and nothing else keeps the tree unwritten: booted read-only */
} MachineLocks;

#define MACHINE_LOCKS_NULL \
        { .name = LOCK_FILE_NULL, .image = IMAGE_LOCK_NULL }

/* Takes the name. A record found under it is of a supervisor that died:
 * what that one left is undone first. */
int machine_claim_name(const char *name, SystemBus *bus, MachineLocks *l);
/* The end of the machine: runs the record's undo log, removes the record
 * and gives the name back. */
void machine_release_name(const char *name, Record *rec, SystemBus *bus, MachineLocks *l);

/* Locks the tree (a directory or a disk image): exclusively, or shared for
 * a machine that only reads it (ephemeral, read-only, volatile, or an
 * image marked read-only). */
int machine_lock_tree(const BootConfig *c, const MachineIdentity *id, Record *rec, MachineLocks *l);
void machine_unlock_tree(MachineLocks *l);
