/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sched.h>

#include "channel.h"
#include "macro.h"
#include "registry.h"
#include "user-db.h"

/* Entering a running machine from the host: the one way `berth shell`,
 * `login`, `copy-to`, `copy-from`, `bind` (and whatever comes later) get
 * into a machine.
 *
 *   berth (host)               opens the machine: its record, a pidfd of
 *    │                         its init verified against the record, the
 *    │                         cgroup to join (enter_target_open())
 *    └─ entering child         enter_spawn(): non-dumpable, every fd but
 *                              the ones meant to pass closed, into the
 *                              leader's cgroups, the machine's namespaces
 *                              joined in one setns(), dies with berth;
 *                              then does its work, and reports a failure
 *                              over its channel (channel.h), never logs
 *
 * berth waits with enter_wait() and says what the child reported, once. */

/* All of a machine's namespaces. */
#define ENTER_ALL_NAMESPACES \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)

typedef struct EnterTarget {
        MachineRecord machine;
        int leader_pidfd; /* the machine's init, verified to be in its payload cgroup */
        char *cgroup;     /* the leader's cgroup (relative to the unified hierarchy) */
        char *seccomp;    /* the machine's system call filter (seccomp-util.h), read on the host */
        size_t seccomp_size;
} EnterTarget;

/* Opens the running machine m for entering, taking the record: its init,
 * and its system call filter. -ESRCH when it has no such init any more;
 * -EBADMSG when its filter is missing or damaged (nobody enters a machine
 * unconfined). */
int enter_target_open(MachineRecord *m, EnterTarget *ret);
void enter_target_done(EnterTarget *t);

typedef struct EnterSpec {
        int namespaces;      /* CLONE_NEW* to join; 0: none (the child joins later, enter_join()) */
        bool join_cgroup;    /* move into the leader's cgroups first */
        const int *keep_fds; /* kept open besides stdio, the channel and the leader's pidfd */
        size_t n_keep_fds;
        bool share_memory; /* run in our memory, we suspended until it execs or exits */
} EnterSpec;

/* What the entering child does once it is in: it returns an exit status,
 * execs, or fails through channel_fail(channel, …). */
typedef int (*EnterChildFn)(const EnterTarget *t, int channel, void *userdata);

/* Starts a child that enters t as spec says and then runs fn. Returns its
 * PID and our end of its channel. */
int enter_spawn(const EnterTarget *t, const EnterSpec *spec, EnterChildFn fn, void *userdata, pid_t *ret_pid,
                int *ret_channel);

typedef enum EnterJoinFlags {
        ENTER_JOIN_CGROUP = 1 << 0,  /* move into the leader's cgroups first */
        ENTER_JOIN_CONFINE = 1 << 1, /* then take the machine's confinement */
} EnterJoinFlags;

/* In the calling process: becomes non-dumpable first (once we are in the
 * machine's user namespace, its root could otherwise ptrace us and read our
 * memory and fds, host fds among them), moves into the leader's cgroups
 * (ENTER_JOIN_CGROUP) while we still may, then joins the namespaces of the
 * leader, all in one setns(): the kernel orders them. With CLONE_NEWUSER we
 * become root of the machine's user namespace (its UID 0), with its
 * capabilities and none on the host; a machine without a user namespace of
 * its own (--private-users=no) shares ours, which is then not joined. With
 * CLONE_NEWPID only our children are in the machine's PID namespace: fork.
 * With CLONE_NEWNS our root and working directory are the machine's root.
 *
 * ENTER_JOIN_CONFINE: then we are confined as the machine's own processes
 * are: a new session keyring (none of the caller's), the machine's bounding
 * set, no inheritable or ambient capabilities, no-new-privileges if the
 * machine has it, its SELinux label for what we exec, and its system call
 * filter, last. */
int enter_join(const EnterTarget *t, int namespaces, EnterJoinFlags flags);

/* Waits for a child of enter_spawn(), reading what is left in its channel:
 * 1 with its report when it reported a failure; else 0 with its exit
 * status (128+signal when killed) in *ret_status. */
int enter_wait(pid_t pid, int channel, ChannelMessage *ret_report, int *ret_status);

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
