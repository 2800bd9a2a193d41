/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "bus-util.h"
#include "macro.h"
#include "string-table.h"

/* The undo log: every side effect a machine has on the host (a lock file, a
 * cgroup, a mount, a registration) is written down before it is made, as
 * "type:path" (or "machined:NAME"). The
 * supervisor runs the log in reverse on every exit path; when the supervisor
 * was killed, the next berth command finds the log in the machine's record
 * and runs it instead. Each step is idempotent, so running it for an effect
 * that was never made, or twice, does no harm. */

typedef enum UndoType {
        UNDO_LOCK_FILE, /* remove a lock file nobody holds */
        UNDO_CGROUP,    /* kill what is in a cgroup (absolute path) and remove it */
        UNDO_MOUNTS,    /* detach every mount at or below a path */
        UNDO_FILE,      /* remove a file of ours (in the runtime directory only) */
        UNDO_MACHINED,  /* unregister a machine (by name) from systemd-machined */
        UNDO_CGROUP_V1, /* kill what is in a v1 cgroup (absolute path) and remove it */
        /* In a network namespace, as "COOKIE:PATH:WHAT" (undo_network_entry()): */
        UNDO_LINK,     /* remove a link ("NAME@IFINDEX": only that one; a veth takes its peer along) */
        UNDO_ZONE,     /* remove a zone's bridge, and its NAT, once no link is its port */
        UNDO_FIREWALL, /* remove an element of berth's nftables table (firewall.h) */
        UNDO_WORKDIR,  /* remove an overlay's work directory (custom_mount_overlay_workdir()) */
        _UNDO_TYPE_MAX,
        _UNDO_TYPE_INVALID = -EINVAL,
} UndoType;

DECLARE_STRING_TABLE_LOOKUP(undo_type, UndoType);

typedef struct UndoLog {
        char **entries; /* in the order the effects were made */
} UndoLog;

int undo_log_push(UndoLog *u, UndoType type, const char *path);
/* What follows "type:" for the network types: the namespace (netns-util.h)
 * and what to undo there. NULL when out of memory. */
char *undo_network_entry(uint64_t netns_cookie, const char *netns_path, const char *what);
/* The WHAT of a link: "NAME", or "NAME@IFINDEX" once it is made. */
char *undo_link_entry(const char *name, int ifindex);
/* Forgets the last entry for path (an effect undone by hand). */
void undo_log_forget(UndoLog *u, UndoType type, const char *path);
/* Runs all entries, newest first, and empties the log. Returns the first
 * error, having tried every entry. bus: the process's connection to the
 * system bus (for unregistering from machined), or NULL for none. */
int undo_log_run(UndoLog *u, SystemBus *bus);
void undo_log_done(UndoLog *u);

/* Runs one serialized entry. */
int undo_entry_run(const char *entry, SystemBus *bus);
bool undo_entry_is_valid(const char *entry) _pure_;
