/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fd-util.h"
#include "fileio.h"
#include "id128.h"
#include "process-util.h"
#include "string-util.h"
#include "user-db.h"
#include "userns.h"

#define N_CANDIDATES ((UID_RANGE_LAST - UID_RANGE_FIRST) / UID_RANGE_SIZE + 1)

uid_t userns_range_candidate(const char *name) {
        uint64_t h = hash_fnv1a64(name, strlen(name));
        return UID_RANGE_FIRST + (uid_t) (h % N_CANDIDATES) * UID_RANGE_SIZE;
}

static int range_held_by_host(const UidRangeLookup *l, uid_t base, uid_t count) {
        int r;

        r = user_db_has_id_in_range(l->passwd_path, false, base, count);
        if (r != 0)
                return r;
        r = user_db_has_id_in_range(l->group_path, true, base, count);
        if (r != 0)
                return r;

        /* systemd-nspawn keeps its own locks; a range it holds is not free. */
        if (l->foreign_lock_dir) {
                char p[256];

                snprintf(p, sizeof p, "%s/%u", l->foreign_lock_dir, (unsigned) base);
                if (access(p, F_OK) >= 0)
                        return 1;
        }
        return 0;
}

int userns_lock_range(const UidRangeLookup *l, uid_t base, uid_t count, LockFile *ret) {
        _cleanup_free_ char *p = NULL;
        LockFile lock = LOCK_FILE_NULL;
        int r;

        if (asprintf(&p, "%s/%u", l->lock_dir, (unsigned) base) < 0)
                return -ENOMEM;

        r = lock_file_acquire(p, LOCK_EX | LOCK_NB, &lock);
        if (r < 0)
                return r;

        /* Checked under the lock, so that two pickers can't both pass it. */
        r = range_held_by_host(l, base, count);
        if (r != 0) {
                lock_file_release(&lock);
                return r < 0 ? r : -EEXIST;
        }

        *ret = lock;
        return 0;
}

int userns_pick_range(const UidRangeLookup *l, const char *name, uid_t preferred, uid_t *ret_base, LockFile *ret_lock) {
        uid_t start = userns_range_candidate(name);
        int r;

        if (preferred != UID_INVALID) {
                r = userns_lock_range(l, preferred, UID_RANGE_SIZE, ret_lock);
                if (r >= 0) {
                        *ret_base = preferred;
                        return 0;
                }
                if (r != -EBUSY && r != -EEXIST)
                        return r;
        }

        for (uint32_t i = 0; i < N_CANDIDATES; i++) {
                uid_t base = UID_RANGE_FIRST +
                             ((start - UID_RANGE_FIRST) / UID_RANGE_SIZE + i) % N_CANDIDATES * UID_RANGE_SIZE;

                r = userns_lock_range(l, base, UID_RANGE_SIZE, ret_lock);
                if (r == -EBUSY || r == -EEXIST)
                        continue;
                if (r < 0)
                        return r;
                *ret_base = base;
                return 0;
        }
        return -EADDRINUSE;
}

static int write_map(pid_t pid, const char *file, uid_t base, uid_t count, uid_t extra) {
        char path[64], map[96];

        snprintf(path, sizeof path, "/proc/%i/%s", pid, file);
        if (extra == UID_INVALID)
                snprintf(map, sizeof map, "0 %u %u\n", (unsigned) base, (unsigned) count);
        else
                snprintf(map, sizeof map, "0 %u %u\n%u %u 1\n", (unsigned) base, (unsigned) count, (unsigned) count,
                         (unsigned) extra);
        return write_string_file(path, map, WRITE_FILE_NO_NEWLINE);
}

/* The holder shares our memory (CLONE_VM) and runs while we go on: it makes
 * raw system calls only, touching neither the heap nor anything of ours. It
 * closes its copy of the pipe's write end, then waits until we close ours. */
static int holder_main(void *arg) {
        const int *fds = arg;
        char c;

        (void) syscall(SYS_close, fds[1]);
        (void) syscall(SYS_read, fds[0], &c, 1);
        return 0;
}

int userns_new(uid_t base, uid_t count, int *ret_fd) {
        return userns_new_with_extra(base, count, UID_INVALID, ret_fd);
}

int userns_new_with_extra(uid_t base, uid_t count, uid_t extra, int *ret_fd) {
        _cleanup_close_pair_ int pipe_fds[2] = { -EBADF, -EBADF };
        void *stack = NULL;
        char path[64];
        int fd = -EBADF, r;
        pid_t pid;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;

        /* A copy the holder reads, which we leave alone while it runs. */
        const int holder_fds[2] = { pipe_fds[0], pipe_fds[1] };

        /* The namespace's owner is whoever creates it: let that be the
         * range's first UID rather than root. Per-user limits (inotify
         * instances, namespaces, …) are counted against the owner up the
         * namespace tree; owned by root, all machines would share root's
         * (128 inotify instances are gone after a few dozen systemds). Only
         * our effective UID changes, and back: real and saved stay 0. */
        if (base != 0 && setresuid(-1, base, -1) >= 0) {
                pid = clone_in_our_memory(holder_main, (void *) holder_fds, CLONE_NEWUSER | SIGCHLD, &stack);
                if (setresuid(-1, 0, -1) < 0)
                        abort();   /* can't happen: our saved UID is 0 */
                if (pid == -EPERM) /* unprivileged user namespaces are disabled here */
                        pid = clone_in_our_memory(holder_main, (void *) holder_fds, CLONE_NEWUSER | SIGCHLD, &stack);
        } else
                pid = clone_in_our_memory(holder_main, (void *) holder_fds, CLONE_NEWUSER | SIGCHLD, &stack);
        if (pid < 0)
                return pid;

        r = write_map(pid, "uid_map", base, count, extra);
        if (r >= 0)
                r = write_map(pid, "gid_map", base, count, extra);
        if (r >= 0) {
                snprintf(path, sizeof path, "/proc/%i/ns/user", pid);
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        r = -errno;
        }

        pipe_fds[1] = safe_close(pipe_fds[1]);
        (void) wait_for_terminate(pid, NULL);
        clone_stack_free(stack);

        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

int userns_gc_range_locks(const char *lock_dir) {
        DIR *d = opendir(lock_dir);
        int ret = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *p = NULL;
                int r;

                if (de->d_name[0] == '.')
                        continue;
                p = strdup_printf("%s/%s", lock_dir, de->d_name);
                if (!p) {
                        ret = -ENOMEM;
                        break;
                }
                r = lock_file_remove_stale(p);
                if (r < 0 && r != -EBUSY && ret == 0)
                        ret = r;
        }
        closedir(d);
        return ret;
}
