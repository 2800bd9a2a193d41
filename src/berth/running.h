/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "registry.h"

#define MACHINES_DIR BERTH_RUNTIME_DIR "/machines"

/* The running machine NAME, for a verb: stale records (of dead supervisors)
 * are cleaned up first, so what is returned has a live supervisor. Logs
 * "Machine 'NAME' is not running." and friends. */
int machine_get(const char *name, MachineRecord *ret);
