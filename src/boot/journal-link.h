/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "users.h"

/* --link-journal= (journal-link.c). */

typedef struct JournalLink {
        LinkJournal mode;
        bool ephemeral;
        const char *root; /* the tree */
        int root_fd;
        Id128 uuid; /* the machine's ID */
        const MachineUsers *users;
} JournalLink;

/* Links the machine's journal as j->mode says. For a link of mode host,
 * *ret is the bind mount to make in the machine (its source NULL for none). */
int machine_link_journal(const JournalLink *j, CustomMount *ret);
