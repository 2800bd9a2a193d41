/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/* System calls by name, and systemd's named groups of them ("@clock",
 * "@mount", …), which --system-call-filter= and SystemCallFilter= take as
 * systemd-nspawn does. No libseccomp here: names are checked when a filter
 * is built (seccomp-util.h). */

/* Every system call the kernel knows (as libseccomp knows them). */
#define SYSCALL_GROUP_KNOWN "@known"

typedef struct SyscallGroup {
        const char *name; /* "@clock" */
        const char *help;
        const char *const *members; /* system calls and other groups, NULL-terminated */
} SyscallGroup;

const SyscallGroup *syscall_group_find(const char *name);
/* The groups one by one, NULL after the last (@known is not among them). */
const SyscallGroup *syscall_group_by_index(size_t i);

/* [a-z0-9_]+, as system call names are. */
bool syscall_name_is_valid(const char *s) _pure_;

/* Adds what name stands for to *list, groups expanded (without duplicates):
 * a system call, or every member of a group. "@known" stays as it is.
 * -EINVAL for an unknown group. */
int syscall_expand(const char *name, char ***list);

/* One --system-call-filter= value: system call names and @groups separated
 * by spaces, the whole list a deny list when it starts with "~". Adds the
 * words (unexpanded) to *allow or *deny. -EINVAL for a malformed word or an
 * empty list, -ENOENT for an unknown group. */
int syscall_filter_parse(const char *value, char ***allow, char ***deny);
