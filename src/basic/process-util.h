/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "macro.h"

struct clone_args;

/* clone3() without a new stack: returns like fork(), 0 in the child. */
pid_t clone3_fork(struct clone_args *args);

/* A child that shares our memory (CLONE_VM, with whatever else flags asks
 * for), running fn(arg) on a stack of its own. With CLONE_VFORK we are
 * suspended until the child execs or exits, which makes this the cheapest
 * way to start a child: no page tables to copy, no copy-on-write faults
 * afterwards. Such a child must not change state we rely on: the
 * environment, stdio buffers, our errno after it ends. The stack is
 * returned in *ret_stack, to be freed with clone_stack_free() once the
 * child has exited or exec'd. */
#define CLONE_STACK_SIZE (1024 * 1024)
pid_t clone_in_our_memory(int (*fn)(void *), void *arg, int flags, void **ret_stack);
void clone_stack_free(void *stack);

/* Runs fn(arg) in a child, whose exit status is what fn returns: forked,
 * or with share_memory in our memory (clone_in_our_memory() with
 * CLONE_VFORK), we suspended until it execs or exits. Returns its PID, or
 * -errno. */
pid_t spawn_child(int (*fn)(void *), void *arg, bool share_memory);

/* Waits for a child, retrying on EINTR. */
int wait_for_terminate(pid_t pid, siginfo_t *ret);

/* The conventional exit status of a waited-for child: its code, or 128+signal. */
int exit_status_from_siginfo(const siginfo_t *si) _pure_;

/* Blocks or restores a set of signals for the whole process. */
int sigprocmask_many(int how, sigset_t *old, ...);

/* Resets all signal handlers to SIG_DFL and unblocks everything: for children
 * about to exec. */
int reset_all_signals(void);

/* The PID behind a pidfd (from /proc/self/fdinfo). */
int pidfd_get_pid(int pidfd, pid_t *ret);

/* The process is alive (exists and is not a zombie we could see). */
bool pid_is_alive(pid_t pid);

/* Start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat), to tell a PID from a later reuse of it. */
int pid_get_starttime(pid_t pid, uint64_t *ret);

/* Makes the calling child die with SIGKILL when its parent dies, and checks
 * that the parent (expected_parent, or any when 0) has not died already. */
int die_with_parent(pid_t expected_parent);

/* File system IDs: what files are created as, and checked against. */
typedef struct FsIds {
        uid_t uid;
        gid_t gid;
} FsIds;

/* Creates files as uid:gid from now on (setfsuid(), setfsgid()); returns
 * what was before, for fs_ids_restore(). Host root making directories in a
 * machine's tree makes them as the machine's root this way: on an idmapped
 * tree host root has no ID at all. */
FsIds fs_ids_switch(uid_t uid, gid_t gid);
void fs_ids_restore(FsIds saved);

/* Gives the calling process a new, empty session keyring: whatever keyring
 * it inherited (its caller's, with their secrets) is out of reach. 0 where
 * the kernel has no keyrings, or where keyctl() is filtered away from us. */
int keyring_new_session(void);

/* execvp() that searches argv[0] in the PATH of env, not of environ, and
 * touches no global state (callers may share another process's memory).
 * Returns only on failure, with errno set (EACCES if a candidate was not
 * executable, else ENOENT). */
void execve_search_path(char **argv, char **env);
