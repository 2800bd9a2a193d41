/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "boot-config.h"
#include "bus-util.h"
#include "machined.h"
#include "record.h"

/* Registration with systemd-machined (register.c): asked for without
 * waiting, answered while the machine runs. */

typedef struct Registration {
        RegisterMode mode;
        char *name;
        Record *record;
        SystemBus *bus;
        sd_event *event;
        sd_bus_slot *slot; /* the call, until machined answers */
        bool registered;
        int error; /* < 0: machined refused, and --register=yes wanted it */
} Registration;

/* Asks machined to register the machine, as reg and r->mode say; the
 * answer comes through r->event. */
int machine_register(const MachineRegistration *reg, Registration *r);
/* At the end: a question machined never answered is dropped (and so is
 * its undo step: nothing was registered). */
void registration_done(Registration *r);
