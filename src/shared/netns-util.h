/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Network namespaces. What a machine does to the host's network it does in
 * the namespace its supervisor runs in, which need not be the first one
 * (the tests run berth in namespaces of their own): the undo log names the
 * namespace by a path that reaches it from anywhere, and its cookie (the
 * kernel's 64-bit ID of a namespace, never reused, unlike an inode), so
 * that whoever runs the log works on the right one, or knows it is gone. */

/* The cookie of the caller's network namespace. */
int netns_cookie(uint64_t *ret);

/* A path to the caller's network namespace: /proc/1/ns/net when it is
 * init's, /run/netns/NAME when `ip netns` named it, else
 * /proc/SELF_PID/ns/net (which goes with us; so does a namespace nobody
 * else holds); and its cookie. */
int netns_identify(pid_t self_pid, char **ret_path, uint64_t *ret_cookie);

/* Moves the caller into the namespace at path if that is still the one with
 * cookie, with the namespace it was in, to go back to, in *ret_saved
 * (-EBADF if it was there already). -ESTALE when the namespace is gone (or
 * the path leads to another). The caller must be single-threaded. */
int netns_enter(const char *path, uint64_t cookie, int *ret_saved);
/* Back to saved, and closes it. */
void netns_leave(int saved);

/* A new network namespace owned by the user namespace userns_fd (-EBADF:
 * ours), so that the machine's root can configure it, and sysfs can be
 * mounted for it. */
int netns_new_in_userns(int userns_fd, int *ret);
