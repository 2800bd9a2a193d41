/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* Capabilities: a machine's bounding set, and their names.
 *
 * The bounding set a machine gets by default is systemd-nspawn's, so that
 * what runs under nspawn runs here. Nothing in it lets the machine load
 * modules, set the host clock, or reach raw devices. CAP_NET_ADMIN only
 * with a network of its own. */

#define CAPS_LAST_KNOWN 40 /* CAP_CHECKPOINT_RESTORE */
#define CAPS_ALL ((UINT64_C(1) << (CAPS_LAST_KNOWN + 1)) - 1)

uint64_t caps_machine_default(bool private_network) _pure_;

/* "CAP_SYS_ADMIN", "cap_sys_admin" or "sys_admin" → 21; -EINVAL if unknown. */
int capability_from_name(const char *name);
/* "CAP_SYS_ADMIN" for 21; NULL when unknown. */
const char *capability_to_name(int cap) _const_;

/* A list of capability names (separated by spaces or commas), or "all"
 * where allow_all: the set it names. -EINVAL and the bad word in *ret_bad
 * (pointing into s, NUL-less: its length in *ret_bad_len) when one is
 * unknown. */
int caps_parse_list(const char *s, bool allow_all, uint64_t *ret, const char **ret_bad, size_t *ret_bad_len);
/* "cap_chown cap_kill …" (systemd's way of showing a set), "" for none. */
char *caps_format(uint64_t set);

/* Drops every capability not in keep from the bounding set, and clears the
 * ambient set. What we have now stays ours (a system call filter may still
 * need CAP_SYS_ADMIN to be installed): caps_restrict() takes it. */
int caps_limit_bounding_set(uint64_t keep);

/* Drops every capability not in keep from the permitted and effective
 * sets; the inheritable set becomes ambient (which must be in keep). With
 * ambient, keep-caps is turned on, so that the permitted set survives a
 * change to another user, after which caps_raise_ambient() raises them. */
int caps_restrict(uint64_t keep, uint64_t ambient);
/* Raises ambient into the ambient set (a change from root to another user
 * clears it: call after it), so that the next program gets them. */
int caps_raise_ambient(uint64_t ambient);

/* Raises every permitted capability into the effective set (which a
 * setfsuid() away from 0 trims of the file system ones). */
int caps_raise_effective(void);
