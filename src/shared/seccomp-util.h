/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* A machine's system call filter, built with libseccomp (loaded when a
 * filter is built: seccomp-util.c is its one wrapper) into a blob of BPF
 * programs, which is installed with seccomp(2) alone. The supervisor builds
 * it (or finds it in its cache), installs it in the machine's init before
 * init runs, and keeps the blob for the processes that enter the machine
 * later, which install the same. Every filter's refusal is an error
 * (EPERM), never a kill: a farm's build that meets it fails like on a
 * machine without the call. */

/* The filter, as systemd-nspawn's default policy has it: an allow list of
 * what a system container needs (system calls that need a capability only
 * when caps, the machine's bounding set, has it), plus allow, minus deny
 * (names and @groups, syscall-groups.h); every other system call the
 * kernel knows fails with EPERM, one it doesn't (newer than libseccomp)
 * with ENOSYS, so that programs fall back; and socket(AF_NETLINK, …,
 * NETLINK_AUDIT) fails with EAFNOSUPPORT (audit is not namespaced). For
 * every ABI the host runs (x86-64 with i386 and x32, …). -EOPNOTSUPP
 * without libseccomp. */
int seccomp_build_machine_filter(uint64_t caps, char **allow, char **deny, char **ret_blob, size_t *ret_size);

/* Whether blob is a well-formed filter blob. */
bool seccomp_blob_is_valid(const char *blob, size_t size) _pure_;

/* Installs the filter of a blob on the calling process (needs
 * CAP_SYS_ADMIN in its user namespace, or no-new-privileges). */
int seccomp_install_blob(const char *blob, size_t size);
