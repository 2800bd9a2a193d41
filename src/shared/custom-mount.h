/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "boot-config.h"

/* --bind, --bind-ro and --tmpfs, applied in the order given, after the API
 * filesystems (so that a bind may go into /run or /tmp). Done with host
 * privileges: a bind source is a host path, opened before the machine's
 * namespaces exist. Destinations are resolved inside the root. */
int custom_mounts_apply(int root_fd, const CustomMount *mounts, size_t n, int userns_fd, uid_t uid, const char **what);

/* Checks each bind source before anything is set up: -ENOENT and friends,
 * with *what naming the source. */
int custom_mounts_check_sources(const CustomMount *mounts, size_t n, const char **what);
