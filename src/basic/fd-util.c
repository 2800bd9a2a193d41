/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"

int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd); /* Linux always frees the fd, even on EINTR */
                errno = saved;
        }
        return -EBADF;
}

int fd_check_same(int fd, const struct stat *st) {
        struct stat now;

        if (fstat(fd, &now) < 0)
                return -errno;
        if (now.st_dev != st->st_dev || now.st_ino != st->st_ino || ((now.st_mode ^ st->st_mode) & S_IFMT))
                return -ESTALE;
        return 0;
}

int fd_set_cloexec(int fd, bool cloexec) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        flags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        return RET_NERRNO(fcntl(fd, F_SETFD, flags));
}

int fd_set_nonblock(int fd, bool nonblock) {
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0)
                return -errno;
        flags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        return RET_NERRNO(fcntl(fd, F_SETFL, flags));
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return x < y ? -1 : x > y;
}

int close_all_fds_except(const int except[], size_t n_except) {
        int sorted[n_except + 1];
        size_t n = 0;
        int from = 0;

        for (size_t i = 0; i < n_except; i++)
                if (except[i] >= 0)
                        sorted[n++] = except[i];
        qsort(sorted, n, sizeof(int), cmp_int);

        /* close_range() closes each gap between the fds we keep in one call. */
        for (size_t i = 0; i <= n; i++) {
                int to = i < n ? sorted[i] - 1 : (int) (~0U >> 1);

                if (from <= to && syscall(SYS_close_range, (unsigned) from, (unsigned) to, 0) < 0)
                        return -errno;
                if (i < n)
                        from = sorted[i] + 1;
        }
        return 0;
}

int fd_move_to(int fd, int to, bool cloexec) {
        if (fd == to)
                return fd_set_cloexec(fd, cloexec);
        if (dup3(fd, to, cloexec ? O_CLOEXEC : 0) < 0)
                return -errno;
        safe_close(fd);
        return to;
}

ssize_t send_with_fds(int sock, const void *data, size_t size, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr cmsghdr;
                char buf[CMSG_SPACE(sizeof(int) * 8)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n_fds > 8)
                return -E2BIG;
        if (n_fds > 0) {
                struct cmsghdr *c;

                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }

        return RET_NERRNO(sendmsg(sock, &mh, MSG_NOSIGNAL));
}

ssize_t receive_with_fds(int sock, void *data, size_t size, int *ret_fds, size_t n_fds) {
        union {
                struct cmsghdr cmsghdr;
                char buf[CMSG_SPACE(sizeof(int) * 8)];
        } control = {};
        struct iovec iov = { .iov_base = data, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;

        for (size_t i = 0; i < n_fds; i++)
                ret_fds[i] = -EBADF;

        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                size_t k;

                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (i < n_fds)
                                ret_fds[i] = fd;
                        else
                                safe_close(fd); /* more than we asked for */
                }
        }
        return n;
}

int loop_read_exact(int fd, void *buf, size_t size) {
        char *p = buf;

        while (size > 0) {
                ssize_t n = read(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EPIPE;
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

int loop_write(int fd, const void *buf, size_t size) {
        const char *p = buf;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

static int fd_give_anonymous_pipe(int fd, uid_t uid) {
        struct statfs sfs;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISFIFO(st.st_mode) || st.st_uid != 0 || uid == 0)
                return 0;
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        if (sfs.f_type != PIPEFS_MAGIC)
                return 0;
        return fchown(fd, uid, uid) < 0 ? -errno : 1;
}

int stdio_give_anonymous_pipes(uid_t uid) {
        int r = 0;

        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
                int k = fd_give_anonymous_pipe(fd, uid);
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}
