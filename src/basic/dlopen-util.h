/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* Libraries that only some code paths need are loaded when first needed, as
 * systemd does for its optional ones: linking them would make every start
 * of berth map and relocate them, and `berth run` has no time to spare.
 *
 * Each wrapper file declares its symbols as
 *
 *     static DLSYM_PROTOTYPE(mnt_new_table);
 *
 * and loads them with
 *
 *     dlopen_many_sym(&dl, "libmount.so.1", DLSYM_ARG(mnt_new_table), …, NULL);
 *
 * which loads the library once, resolves every symbol or none, and returns
 * -EOPNOTSUPP when the library is missing. */

/* What is loaded this way is declared in the binary, in an ELF note in the
 * section ".note.dlopen" (systemd's "ELF dlopen metadata": owner "FDO",
 * type 0x407c0c0a, a JSON array as the note's descriptor), so that packagers
 * and tools (readelf -p .note.dlopen, systemd-analyze dlopen-metadata) see
 * what berth may load, for which feature, and how much it matters:
 *
 *     DLOPEN_NOTE(mount, "Mount options and tables", "recommended", "libmount.so.1");
 *
 * priority is "required", "recommended" or "suggested". */
#define DLOPEN_NOTE_OWNER "FDO"
#define DLOPEN_NOTE_TYPE UINT32_C(0x407c0c0a)

#define DLOPEN_NOTE(feature, description, priority, soname)                                                     \
        DLOPEN_NOTE_JSON(dlopen_note_##feature, "[{\"feature\":\"" #feature "\",\"description\":\"" description \
                                                "\",\"priority\":\"" priority "\",\"soname\":[\"" soname "\"]}]")

#define DLOPEN_NOTE_JSON(variable, json)                                                 \
        __attribute__((used, section(".note.dlopen"), aligned(4))) static const struct { \
                uint32_t n_namesz, n_descsz, n_type;                                     \
                char name[sizeof(DLOPEN_NOTE_OWNER)];                                    \
                _Alignas(4) char desc[sizeof(json)];                                     \
        } variable = {                                                                   \
                .n_namesz = sizeof(DLOPEN_NOTE_OWNER),                                   \
                .n_descsz = sizeof(json),                                                \
                .n_type = DLOPEN_NOTE_TYPE,                                              \
                .name = DLOPEN_NOTE_OWNER,                                               \
                .desc = json,                                                            \
        }

#define DLSYM_PROTOTYPE(symbol) typeof(symbol) *sym_##symbol
#define DLSYM_ARG(symbol) (void **) &sym_##symbol, #symbol

int dlopen_many_sym(void **dl, const char *filename, ...) _sentinel_;
