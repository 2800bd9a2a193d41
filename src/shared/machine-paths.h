/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* Every place on the host named after a machine, in one module: the
 * supervisor makes them, the verbs find them, the undo log removes them.
 * Each function returns a new string (NULL when out of memory); name must
 * be a valid machine name (machine-name.h). */

/* Records (NAME) and name locks (.#NAME.lck): registry.h. */
#define MACHINES_DIR BERTH_RUNTIME_DIR "/machines"
/* The last console lines of each machine: console-log.h. */
#define CONSOLE_LOG_DIR BERTH_RUNTIME_DIR "/console"
/* The locks of the UID ranges in use (userns.h), one file a range. */
#define UID_RANGE_DIR BERTH_RUNTIME_DIR "/uid-range"
/* The system call filter of each running machine, for the processes that
 * enter it (seccomp-util.h). */
#define SECCOMP_DIR BERTH_RUNTIME_DIR "/seccomp"
/* Filters once built, by what they were built from: no machine's. */
#define CACHE_DIR BERTH_RUNTIME_DIR "/cache"
/* systemd-nspawn's, so that the two never pick the same range. */
#define NSPAWN_UID_RANGE_DIR "/run/systemd/nspawn-uid"

/* CONSOLE_LOG_DIR/NAME */
char *machine_console_log_path(const char *name);
/* SECCOMP_DIR/NAME */
char *machine_seccomp_path(const char *name);
/* BERTH_LOG_DIR/NAME.log: the console of a machine `berth start` runs
 * without systemd. */
char *machine_start_log_path(const char *name);
/* berth@NAME.service: the unit that runs the machine under systemd. */
char *machine_service_unit(const char *name);
/* machine-NAME.scope (escaped as systemd-machined does): the machine's
 * cgroup when nobody gave it a unit. */
char *machine_scope_unit(const char *name);
/* IMAGE_DIR/NAME: where the image NAME would be. */
char *machine_image_path(const char *image_dir, const char *name);
/* DIR/.#LAST.lck beside the tree DIR/LAST, as systemd-machined names it. */
char *machine_image_lock_path(const char *tree);
/* The lock nspawn and machined take on an image whatever path reaches it:
 * /run/systemd/nspawn/locks/inode-DEV:INO of a directory or file. */
char *machine_image_global_lock_path(dev_t dev, ino_t ino);

/* The network lock: whoever picks addresses, makes or removes a zone's
 * bridge or changes berth's nftables table holds it. */
#define NETWORK_LOCK_PATH BERTH_RUNTIME_DIR "/.#network.lck"
/* A machine's link on the host: prefix ("ve-" for --network-veth, "vb-"
 * for a bridge's or zone's port) and the name, or, when that is too long
 * for a link name, the name's first three characters, a '~' (which no
 * machine name has: no short name can look like a shortened one) and eight
 * hex digits of a hash of all of it: "vb-deb~0c5a6f1e". */
char *machine_link_name(const char *prefix, const char *name);
/* "vz-ZONE" */
char *zone_bridge_name(const char *zone);
/* The alias berth gives its zones' bridges: a bridge of that name without
 * it is not berth's to join or remove. */
#define ZONE_BRIDGE_ALIAS "berth zone"
