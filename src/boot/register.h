/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "bus-util.h"
#include "machined.h"
#include "record.h"

/* Registers the machine with systemd-machined, as mode says (register.c).
 * *ret_registered says whether it is. */
int machine_register(RegisterMode mode, const MachineRegistration *reg, SystemBus *bus, Record *rec,
                     bool *ret_registered);
