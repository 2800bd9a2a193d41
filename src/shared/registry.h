/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "bus-util.h"
#include "cgroup.h"
#include "id128.h"
#include "lock-util.h"
#include "macro.h"
#include "parse-util.h"
#include "string-table.h"
#include "undo.h"

/* berth's own record of each running machine, in RUNTIME/machines/NAME, so
 * that every verb works without machined, and so that the machines of dead
 * supervisors can be found and cleaned up.
 *
 * RUNTIME/machines/.#NAME.lck is the name lock: the supervisor holds it for
 * the machine's whole life. Whoever can take it knows the supervisor is gone,
 * and may run the record's undo log and remove the record. The record itself
 * is replaced atomically, so readers never see half of it. */

typedef enum MachineState {
        MACHINE_STARTING,
        MACHINE_RUNNING,
        MACHINE_STOPPING,
        _MACHINE_STATE_MAX,
        _MACHINE_STATE_INVALID = -EINVAL,
} MachineState;

DECLARE_STRING_TABLE_LOOKUP(machine_state, MachineState);

typedef struct MachineRecord {
        char *name;
        Id128 uuid;
        char *class;   /* "container" */
        char *service; /* "berth" */
        char *mode;    /* "boot" or "run" */
        MachineState state;
        pid_t supervisor;
        uint64_t supervisor_starttime;
        pid_t leader;
        char *root;
        bool ephemeral;
        int changes_fd; /* the supervisor's fd of the tmpfs an ephemeral machine's changes are in; -1: none */
        uid_t uid_base;
        uid_t uid_count; /* 0: no user namespace */
        MachineCgroup cgroup;
        bool registered; /* with systemd-machined */
        /* How the machine is confined, for the processes that enter it. */
        uint64_t capabilities; /* bounding set; RECORD_CAPABILITIES_UNKNOWN in records without it */
        uint64_t ambient_capabilities;
        bool no_new_privileges;
        bool seccomp; /* a system call filter is in machine_seccomp_path() */
        char *selinux_context;
        /* Its network, when berth made links for it. */
        char *link;       /* the host's side: ve-NAME or vb-NAME */
        char *zone;       /* --network-zone= */
        char **addresses; /* the machine's, "ADDRESS/LEN" */
        char **ports;     /* published: "tcp:HOSTPORT:MACHINEPORT" */
        usec_t since;     /* CLOCK_REALTIME */
        UndoLog undo;
} MachineRecord;

#define RECORD_CAPABILITIES_UNKNOWN UINT64_MAX

void machine_record_done(MachineRecord *r);

/* Takes the name lock (without waiting): -EBUSY if a live supervisor has it. */
int registry_lock_name(const char *dir, const char *name, LockFile *ret);

int registry_write(const char *dir, const MachineRecord *r);
int registry_read(const char *dir, const char *name, MachineRecord *ret);
/* Parses a record's text; exposed for tests. */
int registry_parse(const char *text, MachineRecord *ret);
int registry_format(const MachineRecord *r, char **ret);

/* Names of all records (live or stale), sorted. */
int registry_list_names(const char *dir, char ***ret);

/* Cleans up after a dead supervisor: if nobody holds NAME's lock, runs the
 * record's undo log and removes record and lock. Returns 1 if it cleaned,
 * 0 if the machine's supervisor is alive. bus: as for undo_log_run(). */
int registry_gc_one(const char *dir, const char *name, SystemBus *bus);

/* registry_gc_one() for every record, and removes lock files left without a
 * record. Returns the number of machines cleaned. */
int registry_gc(const char *dir, SystemBus *bus);

/* Removes the record of a machine whose lock we hold. */
int registry_remove(const char *dir, const char *name);
