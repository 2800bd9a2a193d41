/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fd-util.h"
#include "notify.h"
#include "parse-util.h"
#include "string-util.h"

void notify_message_done(NotifyMessage *m) {
        free(m->status);
        *m = (NotifyMessage) { .exit_status = -1 };
}

int notify_parse(const char *buf, size_t size, NotifyMessage *ret) {
        NotifyMessage m = { .exit_status = -1 };

        if (memchr(buf, '\0', size))
                return -EBADMSG;

        for (const char *p = buf, *end = buf + size; p < end;) {
                const char *eol = memchr(p, '\n', (size_t) (end - p)) ?: end;
                _cleanup_free_ char *line = strndup(p, (size_t) (eol - p));
                const char *v;

                if (!line) {
                        notify_message_done(&m);
                        return -ENOMEM;
                }
                p = eol + 1;

                if (streq(line, "READY=1"))
                        m.ready = true;
                else if (streq(line, "STOPPING=1"))
                        m.stopping = true;
                else if ((v = startswith(line, "STATUS="))) {
                        if (free_and_strdup(&m.status, v) < 0) {
                                notify_message_done(&m);
                                return -ENOMEM;
                        }
                } else if ((v = startswith(line, "EXIT_STATUS="))) {
                        int s;
                        if (safe_atoi(v, &s) >= 0 && s >= 0 && s <= 255)
                                m.exit_status = s;
                }
        }

        *ret = m;
        return 0;
}

int notify_socket_open(const char *path, uid_t owner, gid_t group, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        if (chown(path, owner, group) < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return -errno;

        *ret_fd = TAKE_FD(fd);
        return 0;
}

int notify_receive(int fd, char *buf, size_t size, size_t *ret_size, pid_t *ret_sender) {
        union {
                struct cmsghdr cmsghdr;
                uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 8)];
        } control = {};
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof control,
        };
        pid_t sender = 0;
        ssize_t n;

        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return -errno;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET)
                        continue;
                if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                        struct ucred uc;
                        memcpy(&uc, CMSG_DATA(c), sizeof uc);
                        sender = uc.pid;
                } else if (c->cmsg_type == SCM_RIGHTS) {
                        /* We take no fds from a machine. */
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < k; i++) {
                                int x;
                                memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof x);
                                safe_close(x);
                        }
                }
        }
        if ((size_t) n >= size || (mh.msg_flags & MSG_TRUNC))
                return -EMSGSIZE;

        *ret_size = (size_t) n;
        *ret_sender = sender;
        return 0;
}
