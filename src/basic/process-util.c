/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>

#include "fileio.h"
#include "parse-util.h"
#include "process-util.h"
#include "string-util.h"
#include "strv.h"

pid_t clone3_fork(struct clone_args *args) {
        return (pid_t) syscall(SYS_clone3, args, sizeof(struct clone_args));
}

pid_t clone_in_our_memory(int (*fn)(void *), void *arg, int flags, void **ret_stack) {
        void *stack =
                mmap(NULL, CLONE_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        pid_t pid;

        if (stack == MAP_FAILED)
                return -errno;
        pid = clone(fn, (char *) stack + CLONE_STACK_SIZE, flags | CLONE_VM, arg);
        if (pid < 0) {
                int e = errno;
                (void) munmap(stack, CLONE_STACK_SIZE);
                return -e;
        }
        *ret_stack = stack;
        return pid;
}

void clone_stack_free(void *stack) {
        if (stack)
                (void) munmap(stack, CLONE_STACK_SIZE);
}

FsIds fs_ids_switch(uid_t uid, gid_t gid) {
        FsIds saved = { .uid = (uid_t) setfsuid(uid), .gid = (gid_t) setfsgid(gid) };

        return saved;
}

void fs_ids_restore(FsIds saved) {
        (void) setfsuid(saved.uid);
        (void) setfsgid(saved.gid);
}

int keyring_new_session(void) {
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) >= 0)
                return 0;
        /* No keyrings in this kernel, or the keyring calls are filtered
         * away from us (in a machine ourselves): none to reach either. */
        return errno == ENOSYS || errno == EPERM ? 0 : -errno;
}

pid_t spawn_child(int (*fn)(void *), void *arg, bool share_memory) {
        void *stack = NULL;
        pid_t pid;

        if (share_memory) {
                pid = clone_in_our_memory(fn, arg, CLONE_VFORK | SIGCHLD, &stack);
                clone_stack_free(stack);
                return pid;
        }
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(fn(arg));
        return pid;
}

int wait_for_terminate(pid_t pid, siginfo_t *ret) {
        siginfo_t si = {};

        for (;;) {
                if (waitid(P_PID, (id_t) pid, &si, WEXITED) >= 0)
                        break;
                if (errno != EINTR)
                        return -errno;
        }
        if (ret)
                *ret = si;
        return 0;
}

int exit_status_from_siginfo(const siginfo_t *si) {
        if (si->si_code == CLD_EXITED)
                return si->si_status;
        return 128 + si->si_status;
}

int sigprocmask_many(int how, sigset_t *old, ...) {
        sigset_t ss;
        va_list ap;
        int sig;

        sigemptyset(&ss);
        va_start(ap, old);
        while ((sig = va_arg(ap, int)) > 0)
                sigaddset(&ss, sig);
        va_end(ap);
        return RET_NERRNO(sigprocmask(how, &ss, old));
}

int reset_all_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL, .sa_flags = SA_RESTART };
        sigset_t ss;

        for (int sig = 1; sig < _NSIG; sig++) {
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                (void) sigaction(sig, &sa, NULL); /* fails for the few reserved ones */
        }
        sigemptyset(&ss);
        return RET_NERRNO(sigprocmask(SIG_SETMASK, &ss, NULL));
}

int pidfd_get_pid(int pidfd, pid_t *ret) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        int r;

        snprintf(path, sizeof path, "/proc/self/fdinfo/%i", pidfd);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        p = strstr(text, "\nPid:");
        if (!p)
                return -ENOTTY; /* not a pidfd */
        p += strlen("\nPid:");
        p += strspn(p, " \t");
        char *eol = strchr(p, '\n');
        if (eol)
                *eol = '\0';
        r = parse_pid(p, ret);
        return r == -ERANGE ? -ESRCH : r; /* "-1": the process is gone */
}

bool pid_is_alive(pid_t pid) {
        char path[64], state;
        _cleanup_free_ char *stat = NULL;
        const char *p;

        if (pid <= 0)
                return false;
        snprintf(path, sizeof path, "/proc/%i/stat", pid);
        if (read_full_file(path, &stat, NULL) < 0)
                return false;
        p = strrchr(stat, ')');
        if (!p || sscanf(p + 1, " %c", &state) != 1)
                return false;
        return state != 'Z' && state != 'X';
}

int pid_get_starttime(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *stat = NULL;
        char path[64];
        const char *p;
        unsigned long long v;
        int r;

        snprintf(path, sizeof path, "/proc/%i/stat", pid);
        r = read_full_file(path, &stat, NULL);
        if (r < 0)
                return r;
        /* Fields after the command name: state is field 3, starttime is field 22. */
        p = strrchr(stat, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        if (sscanf(p, " %llu", &v) != 1)
                return -EIO;
        *ret = v;
        return 0;
}

int die_with_parent(pid_t expected_parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return -errno;
        /* The parent may have died before we asked: then we were reparented. */
        if (expected_parent > 0 && getppid() != expected_parent)
                return -ESRCH;
        return 0;
}

void execve_search_path(char **argv, char **env) {
        const char *path = strv_env_get(env, "PATH");
        int saved = ENOENT;

        if (strchr(argv[0], '/') || isempty(path)) {
                execve(argv[0], argv, env);
                return;
        }
        for (const char *p = path; p && *p;) {
                const char *colon = strchrnul(p, ':');
                _cleanup_free_ char *full = strdup_printf("%.*s/%s", (int) (colon - p), p, argv[0]);

                if (!full)
                        return;
                execve(full, argv, env);
                if (errno == EACCES)
                        saved = EACCES;
                else if (errno != ENOENT && errno != ENOTDIR)
                        return;
                p = *colon ? colon + 1 : NULL;
        }
        errno = saved;
}
