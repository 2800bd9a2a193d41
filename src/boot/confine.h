/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "boot-config.h"
#include "record.h"

/* How the machine is confined: its capabilities, no-new-privileges, and
 * its system call filter (confine.c). Init gets it before it runs
 * (inner-child.c); processes that enter the machine later get the same
 * (enter.h), from the record and the filter's copy kept for them. */

typedef struct MachineConfinement {
        uint64_t bounding; /* the capability bounding set */
        uint64_t ambient;
        bool no_new_privileges;
        char *seccomp; /* the filter's blob (seccomp-util.h), NULL for none */
        size_t seccomp_size;
} MachineConfinement;

int machine_setup_confinement(const BootConfig *c, const char *name, Record *rec, MachineConfinement *ret);
void machine_confinement_done(MachineConfinement *m);
