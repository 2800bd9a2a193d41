/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* SELinux, through libselinux (the one wrapper file for it). On hosts
 * without SELinux every call here is a cheap no-op or a clear refusal. */

bool selinux_enabled(void);

/* Checks that a context string is one the loaded policy knows.
 * -EOPNOTSUPP when SELinux is off. */
int selinux_check_context(const char *context);

/* The context the next execve() gives the process (for -Z). */
int selinux_set_exec_context(const char *context);

/* Appends ",context=\"CONTEXT\"" for API filesystem mounts (for -L). */
int selinux_mount_options(const char *options, const char *context, char **ret);
