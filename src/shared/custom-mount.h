/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "boot-config.h"

/* --bind, --bind-ro, --tmpfs and --overlay, applied in the order given, after the API
 * filesystems (so that a bind may go into /run or /tmp). Done with host
 * privileges: a bind source is a host path, opened before the machine's
 * namespaces exist. Destinations are resolved inside the root; those that
 * are missing are made, as the machine's root (uid, its host UID). */
int custom_mounts_apply(int root_fd, const CustomMount *mounts, size_t n, int userns_fd, uid_t uid, const char *machine,
                        const char **what);

/* --overlay=: the layers that are host directories are idmapped into the
 * machine's range (userns_fd), so that -U works with them; an empty upper
 * layer is a tmpfs. The work directory of a host upper layer is beside it,
 * as UPPER/../.#NAME.berth-work~MACHINE: made empty by the supervisor
 * before the machine starts, and removed with it (UNDO_WORKDIR). NULL for
 * an overlay without one, or with its upper layer in the machine's root
 * ("+", whose work directory is made there, the same way named, and
 * stays). */
#define OVERLAY_WORKDIR_TAG ".berth-work~"
char *custom_mount_overlay_workdir(const CustomMount *m, const char *machine);
bool custom_mount_is_overlay_workdir(const char *path) _pure_;

/* Checks each bind source before anything is set up: -ENOENT and friends,
 * with *what naming the source. */
int custom_mounts_check_sources(const CustomMount *mounts, size_t n, const char **what);

/* Whether something may be mounted on path (absolute, simplified) in a
 * machine: not on its root, and not on or below the file systems the
 * machine gets from us (/proc, /sys, /dev itself, /dev/pts, /dev/mqueue,
 * /run/host), which would hide the mount or be replaced by it. */
bool custom_mount_destination_is_allowed(const char *path) _pure_;

#define CUSTOM_MOUNT_REFUSED                                                                                          \
        "the machine gets /, /proc, /sys, /dev, /dev/pts, /dev/mqueue and /run/host from berth; a mount there would " \
        "hide them or be hidden"
