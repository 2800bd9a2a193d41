/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "machine-identity.h"

/* The supervisor: `berth boot` and `berth run` (src/berth/verb-boot.c).
 *
 * Three processes take part in starting a machine:
 *
 *   supervisor  (host namespaces) prepares what lives on the host: locks,
 *               the UID range and its user namespace, the cgroups, the
 *               console pty. Stays for the machine's whole life.
 *   outer child (a private mount namespace, host privileges) mounts the
 *               root and the API filesystems the machine must not undo,
 *               then joins the machine's user namespace and clones:
 *   inner child (all the machine's namespaces; PID 1) mounts what only a
 *               process inside can mount, switches root and execs init.
 *
 * The supervisor's work is an ordered table of phases (boot.c), each in a
 * file of its own that knows only what it is given: check.c, lock.c,
 * users.c, journal-link.c, cgroups.c, limits-setup.c, network.c,
 * console.c, confine.c, listen-fds.c, start.c (with outer-child.c, inner-child.c,
 * stub-init.c), register.c, supervise.c.
 * What a phase does on the host goes into the machine's record first
 * (record.h). */

/* Works out which machine the config is about (machine-identity.h), and
 * says what is wrong if that can't be done. */
int boot_identify(const BootConfig *config, MachineIdentity *ret);

/* Boots or runs the machine id and supervises it until it stops. Returns
 * the exit status berth should end with (>= 0), or a negative errno after
 * logging. */
int boot_machine(const BootConfig *config, const MachineIdentity *id);

/* Under a unit, our messages go to the journal with MACHINE=name (NULL:
 * back to stderr). name must stay valid until then. (journal.c) */
void machine_log_to_journal(const char *name);
