/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log.h"
#include "record.h"

int record_intend(Record *r, UndoType type, const char *path) {
        if (undo_log_push(&r->undo, type, path) < 0)
                return log_oom();
        return r->save(r);
}

void record_forget(Record *r, UndoType type, const char *path) {
        undo_log_forget(&r->undo, type, path);
}

int record_set_state(Record *r, MachineState state) {
        r->state = state;
        return r->save(r);
}
