/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "macro.h"

/* The mount table and mount option strings, through libmount (the one
 * wrapper file for it). */

/* Splits an option string such as "mode=0700,size=1G,nosuid,ro" into
 * MS_* flags and the filesystem's own options ("mode=0700,size=1G"). */
int mount_options_parse(const char *options, unsigned long *ret_flags, char **ret_data);

/* Mount points at or below prefix, deepest first (the order to unmount them
 * in), read from a mountinfo stream (f, for tests) or /proc/self/mountinfo. */
int mount_table_list_under(FILE *f, const char *prefix, char ***ret);

/* The filesystem type of the mount that holds path. */
int mount_table_fstype(const char *path, char **ret);

/* Detaches every mount at or below prefix (lazily), deepest first. */
int mount_table_umount_under(const char *prefix);
