/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

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

#define DLSYM_PROTOTYPE(symbol) typeof(symbol) *sym_##symbol
#define DLSYM_ARG(symbol) (void **) &sym_##symbol, #symbol

int dlopen_many_sym(void **dl, const char *filename, ...) _sentinel_;
