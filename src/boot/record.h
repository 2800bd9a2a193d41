/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "registry.h"
#include "undo.h"

/* The machine's record (registry.h): what every verb knows of a running
 * machine, and its undo log. Phases don't write it. They say what they are
 * about to do on the host (record_intend(), before doing it: a supervisor
 * killed at any point leaves a record from which the next berth command
 * cleans up), and what state the machine is in; the supervisor composes the
 * record from every phase's state and writes it, in one place (boot.c). */

typedef struct Record Record;
struct Record {
        UndoLog undo;
        MachineState state;
        int (*save)(Record *r); /* composes the whole record and writes it; logs its failure */
};

/* Notes an effect about to be made, and saves the record: once this
 * returns, the effect may be made. */
int record_intend(Record *r, UndoType type, const char *path);
/* Only notes it: for a phase that notes several effects before it makes
 * any (its last record_intend() saves them all), and for an effect that is
 * harmless when the record loses it (the next save has it). */
int record_note(Record *r, UndoType type, const char *path);
/* Forgets an effect that was undone by hand, or never made. */
void record_forget(Record *r, UndoType type, const char *path);
int record_set_state(Record *r, MachineState state);
