/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "netns-util.h"
#include "path-util.h"
#include "process-util.h"
#include "string-util.h"

static int inode_of(const char *path, uint64_t *ret) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_ino;
        return 0;
}

int netns_cookie(uint64_t *ret) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        socklen_t len = sizeof *ret;

        if (fd < 0)
                return -errno;
        return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret, &len) < 0 ? -errno : 0;
}

/* A name `ip netns add` made for it. */
static int find_named(uint64_t inode, char **ret) {
        DIR *d = opendir("/run/netns");

        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *p = NULL;
                uint64_t i = 0;

                if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
                        continue;
                p = path_join("/run/netns", de->d_name);
                if (!p) {
                        closedir(d);
                        return -ENOMEM;
                }
                if (inode_of(p, &i) >= 0 && i == inode) {
                        *ret = TAKE_PTR(p);
                        closedir(d);
                        return 1;
                }
        }
        closedir(d);
        return 0;
}

int netns_identify(pid_t self_pid, char **ret_path, uint64_t *ret_cookie) {
        _cleanup_free_ char *p = NULL;
        uint64_t self = 0, init = 0, cookie = 0;
        int r;

        r = netns_cookie(&cookie);
        if (r < 0)
                return r;
        r = inode_of("/proc/self/ns/net", &self);
        if (r < 0)
                return r;
        if (inode_of("/proc/1/ns/net", &init) >= 0 && init == self)
                p = strdup("/proc/1/ns/net");
        else {
                r = find_named(self, &p);
                if (r < 0)
                        return r;
                if (r == 0)
                        p = strdup_printf("/proc/%i/ns/net", (int) self_pid);
        }
        if (!p)
                return -ENOMEM;
        *ret_path = TAKE_PTR(p);
        *ret_cookie = cookie;
        return 0;
}

int netns_enter(const char *path, uint64_t cookie, int *ret_saved) {
        _cleanup_close_ int fd = -EBADF, saved = -EBADF;
        uint64_t c = 0;
        int r;

        /* Already there (the path may be a dead process's by now). */
        r = netns_cookie(&c);
        if (r < 0)
                return r;
        if (c == cookie) {
                *ret_saved = -EBADF;
                return 0;
        }

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? -ESTALE : -errno;
        saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (saved < 0)
                return -errno;
        if (setns(fd, CLONE_NEWNET) < 0)
                return -errno;
        r = netns_cookie(&c);
        if (r < 0 || c != cookie) {
                /* A later namespace under the same name, or a reused PID's. */
                netns_leave(TAKE_FD(saved));
                return r < 0 ? r : -ESTALE;
        }
        *ret_saved = TAKE_FD(saved);
        return 0;
}

void netns_leave(int saved) {
        if (saved < 0)
                return;
        if (setns(saved, CLONE_NEWNET) < 0)
                abort(); /* whatever we did next would be done to the wrong namespace */
        safe_close(saved);
}

typedef struct NewNetns {
        int userns_fd;
        int netns_fd; /* the child opens it: we share its fd table */
} NewNetns;

static int new_netns_child(void *arg) {
        NewNetns *n = arg;

        /* State: our memory and fd table, our user namespace; single
         * process, own fs: we may join another user namespace, and get
         * all capabilities in it. */
        if ((n->userns_fd >= 0 && setns(n->userns_fd, CLONE_NEWUSER) < 0) || unshare(CLONE_NEWNET) < 0)
                return errno;
        n->netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        return n->netns_fd < 0 ? errno : 0;
}

int netns_new_in_userns(int userns_fd, int *ret) {
        NewNetns n = { .userns_fd = userns_fd, .netns_fd = -EBADF };
        void *stack = NULL;
        siginfo_t si;
        pid_t pid;
        int r;

        pid = clone_in_our_memory(new_netns_child, &n, CLONE_VFORK | CLONE_FILES | SIGCHLD, &stack);
        clone_stack_free(stack);
        if (pid < 0)
                return pid;
        r = wait_for_terminate(pid, &si);
        if (r < 0)
                return r;
        if (si.si_code != CLD_EXITED || si.si_status != 0) {
                safe_close(n.netns_fd);
                return si.si_code == CLD_EXITED ? -si.si_status : -EPROTO;
        }
        *ret = n.netns_fd;
        return 0;
}
