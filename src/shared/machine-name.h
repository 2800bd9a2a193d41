/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

#define MACHINE_NAME_MAX 64

/* A machine name is a hostname label sequence: 1–64 characters of
 * [a-zA-Z0-9-_.], not starting with '.' or '-', not ending with '.', no "..".
 * It is checked before any file is touched, since it becomes part of paths
 * (records, locks, cgroups) and of unit names. */
bool machine_name_is_valid(const char *s) _pure_;

/* A hostname as the machine will see it: the same rules. */
bool hostname_is_valid(const char *s) _pure_;

/* systemd's unit name escaping: '/' becomes '-', and '-', '\\', a leading '.'
 * and anything outside [a-zA-Z0-9:_.] become \xNN. */
char *unit_name_escape(const char *s);
