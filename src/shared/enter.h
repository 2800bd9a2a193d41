/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sched.h>

#include "macro.h"
#include "user-db.h"

/* Joining a running machine from the host: `berth shell`, `login`,
 * `copy-to`, `copy-from`, `bind`. These run in a child process of their own,
 * which then is partly or wholly inside the machine. */

/* All of a machine's namespaces. */
#define ENTER_ALL_NAMESPACES \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)

/* In the calling process: becomes non-dumpable first (once we are in the
 * machine's user namespace, its root could otherwise ptrace us and read our
 * memory and fds, host fds among them), moves into cgroup (a path relative
 * to unified_mount, unless NULL) while we still may, then joins the
 * namespaces in flags of the process behind leader_pidfd, all in one
 * setns(): the kernel orders them. With CLONE_NEWUSER we become root of the
 * machine's user namespace (its UID 0), with its capabilities and no host
 * ones. With CLONE_NEWPID only our children are in the machine's PID
 * namespace: fork. With CLONE_NEWNS our root and working directory are the
 * machine's root. cgroups_v1: the machine's v1 cgroups, joined with its
 * cgroup2 one. */
int enter_namespaces(int leader_pidfd, int flags, const char *unified_mount, const char *cgroup, char **cgroups_v1);

/* The environment of a session of user u in the machine, from nothing:
 * TERM (as given), HOME, USER, LOGNAME, SHELL, PATH, and LANG from the
 * machine's /etc/locale.conf or /etc/default/locale. Reads files relative
 * to "/": call after joining the machine's mount namespace. */
int enter_environment(const UserEntry *u, const char *term, char ***ret);

/* Becomes user u: supplementary groups from the machine's /etc/group, then
 * GID and UID. */
int enter_become_user(const UserEntry *u);

/* Splits "[USER@]NAME": ret_user is NULL without '@'. -EINVAL when either
 * part is empty. */
int enter_parse_user_at_name(const char *s, char **ret_user, char **ret_name);
