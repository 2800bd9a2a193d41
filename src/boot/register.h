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
        sd_bus_slot *slot;      /* the call, until machined answers */
        sd_event_source *await; /* the machine ended before the answer: how long we wait for it */
        bool registered;
        int error; /* < 0: machined refused, and --register=yes wanted it */
} Registration;

/* Asks machined to register the machine, as reg and r->mode say; the
 * answer comes through r->event. */
int machine_register(const MachineRegistration *reg, Registration *r);
/* The machine has ended. If machined has not answered yet, it may still
 * register the machine: the loop goes on until it answers (or
 * MACHINED_UNREGISTER_TIMEOUT passes), so that the undo log can then
 * unregister what it registered. Returns 1 when the loop is to wait, 0 when
 * it may end now. NULL r: no registration. */
int registration_await_answer(Registration *r);
void registration_done(Registration *r);
