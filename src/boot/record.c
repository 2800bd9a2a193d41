/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log.h"
#include "record.h"

int record_note(Record *r, UndoType type, const char *path) {
        return undo_log_push(&r->undo, type, path) < 0 ? log_oom() : 0;
}

int record_intend(Record *r, UndoType type, const char *path) {
        int k = record_note(r, type, path);

        return k < 0 ? k : r->save(r);
}

void record_forget(Record *r, UndoType type, const char *path) {
        undo_log_forget(&r->undo, type, path);
}

int record_set_state(Record *r, MachineState state) {
        r->state = state;
        return r->save(r);
}
