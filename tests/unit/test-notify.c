/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "notify.h"
#include "tests.h"

static void parse(const char *text, NotifyMessage *ret) {
        ASSERT_OK(notify_parse(text, strlen(text), ret));
}

TEST(notify_parse_ready_status) {
        NotifyMessage m;

        parse("READY=1\nSTATUS=Booting up…\nEXIT_STATUS=3\n", &m);
        ASSERT_TRUE(m.ready);
        ASSERT_FALSE(m.stopping);
        ASSERT_STREQ(m.status, "Booting up…");
        ASSERT_EQ(m.exit_status, 3);
        notify_message_done(&m);
        ASSERT_NULL(m.status);
        ASSERT_EQ(m.exit_status, -1);
}

TEST(notify_parse_stopping) {
        NotifyMessage m;

        parse("STOPPING=1", &m);
        ASSERT_TRUE(m.stopping);
        ASSERT_FALSE(m.ready);
        ASSERT_NULL(m.status);
        ASSERT_EQ(m.exit_status, -1);
        notify_message_done(&m);
}

TEST(notify_parse_other_lines) {
        NotifyMessage m;

        /* unknown keys, other values and a line of its own are ignored */
        parse("MAINPID=42\nREADY=0\nREADY=11\nWATCHDOG=1\n\nX_FOO=READY=1\n", &m);
        ASSERT_FALSE(m.ready);
        ASSERT_FALSE(m.stopping);
        ASSERT_NULL(m.status);
        ASSERT_EQ(m.exit_status, -1);
        notify_message_done(&m);

        parse("", &m);
        ASSERT_FALSE(m.ready);
        ASSERT_EQ(m.exit_status, -1);
        notify_message_done(&m);
}

TEST(notify_parse_status) {
        NotifyMessage m;

        parse("STATUS=first\nSTATUS=second\n", &m);
        ASSERT_STREQ(m.status, "second"); /* the last one wins */
        notify_message_done(&m);

        parse("STATUS=\n", &m);
        ASSERT_STREQ(m.status, "");
        notify_message_done(&m);

        parse("STATUS=a=b with spaces", &m);
        ASSERT_STREQ(m.status, "a=b with spaces");
        notify_message_done(&m);
}

static int exit_status_of(const char *text) {
        NotifyMessage m;
        int s;

        parse(text, &m);
        s = m.exit_status;
        notify_message_done(&m);
        return s;
}

TEST(notify_parse_exit_status_range) {
        ASSERT_EQ(exit_status_of("EXIT_STATUS=0"), 0);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=1"), 1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=255"), 255);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=256"), -1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=-1"), -1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=99999999999"), -1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=abc"), -1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=3x"), -1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS="), -1);
        ASSERT_EQ(exit_status_of("EXIT_STATUS=7\nEXIT_STATUS=300"), 7);
}

TEST(notify_parse_embedded_nul) {
        static const char text[] = "READY=1\0STATUS=x";
        NotifyMessage m = { .exit_status = -1 };

        ASSERT_ERROR(notify_parse(text, sizeof text - 1, &m), EBADMSG);
        ASSERT_ERROR(notify_parse("\0", 1, &m), EBADMSG);
        ASSERT_ERROR(notify_parse("READY=1\n\0", 9, &m), EBADMSG);
        ASSERT_FALSE(m.ready);
        ASSERT_NULL(m.status);

        /* size counts, not the terminating NUL */
        ASSERT_OK(notify_parse(text, 7, &m));
        ASSERT_TRUE(m.ready);
        notify_message_done(&m);
}

/* Sends one datagram to path from a fresh socket, as a machine's init
 * would. */
static void send_to(const char *path, const char *text) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(strlen(path) < sizeof sa.sun_path);
        strcpy(sa.sun_path, path);
        ASSERT_EQ(sendto(fd, text, strlen(text), 0, (struct sockaddr *) &sa, sizeof sa), (long) strlen(text));
}

static void wait_readable(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        ASSERT_EQ(poll(&p, 1, 5000), 1);
}

TEST(notify_socket_receive) {
        _cleanup_free_ char *path = tests_path("notify");
        _cleanup_close_ int fd = -EBADF;
        char buf[4096];
        NotifyMessage m;
        size_t size = 0;
        pid_t sender = 0, child;
        struct stat st;
        int status;

        ASSERT_OK(notify_socket_open(path, getuid(), getgid(), &fd));
        ASSERT_TRUE(stat(path, &st) >= 0);
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        ASSERT_EQ(st.st_uid, getuid());
        ASSERT_EQ(st.st_gid, getgid());
        ASSERT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

        /* nothing there yet: no waiting */
        ASSERT_ERROR(notify_receive(fd, buf, sizeof buf, &size, &sender), EAGAIN);

        /* The sender is a child, so that its PID can't be ours by chance. */
        child = fork();
        ASSERT_TRUE(child >= 0);
        if (child == 0) {
                send_to(path, "READY=1\nSTATUS=Started.");
                _exit(0);
        }
        ASSERT_TRUE(waitpid(child, &status, 0) == child);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        wait_readable(fd);
        ASSERT_OK(notify_receive(fd, buf, sizeof buf, &size, &sender));
        ASSERT_EQ(sender, child);
        ASSERT_EQ(size, strlen("READY=1\nSTATUS=Started."));
        ASSERT_OK(notify_parse(buf, size, &m));
        ASSERT_TRUE(m.ready);
        ASSERT_STREQ(m.status, "Started.");
        notify_message_done(&m);

        /* from ourselves */
        send_to(path, "STOPPING=1");
        wait_readable(fd);
        ASSERT_OK(notify_receive(fd, buf, sizeof buf, &size, &sender));
        ASSERT_EQ(sender, getpid());
        ASSERT_EQ(size, 10);
}

TEST(notify_receive_too_big) {
        _cleanup_free_ char *path = tests_path("notify");
        _cleanup_close_ int fd = -EBADF;
        char small[16], buf[64];
        size_t size = 0;
        pid_t sender = 0;

        ASSERT_OK(notify_socket_open(path, getuid(), getgid(), &fd));
        send_to(path, "STATUS=this message does not fit in sixteen bytes");
        wait_readable(fd);
        ASSERT_ERROR(notify_receive(fd, small, sizeof small, &size, &sender), EMSGSIZE);
        ASSERT_EQ(size, 0);

        /* the next datagram is not affected */
        send_to(path, "READY=1");
        wait_readable(fd);
        ASSERT_OK(notify_receive(fd, buf, sizeof buf, &size, &sender));
        ASSERT_EQ(size, 7);
}

TEST(notify_receive_refuses_fds) {
        _cleanup_free_ char *path = tests_path("notify");
        _cleanup_close_ int fd = -EBADF, sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        _cleanup_close_pair_ int p[2] = { -EBADF, -EBADF };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[64], c;
        size_t size = 0;
        pid_t sender = 0;

        ASSERT_OK(notify_socket_open(path, getuid(), getgid(), &fd));
        ASSERT_TRUE(sk >= 0);
        ASSERT_TRUE(pipe2(p, O_CLOEXEC | O_NONBLOCK) >= 0);
        strcpy(sa.sun_path, path);
        ASSERT_TRUE(connect(sk, (struct sockaddr *) &sa, sizeof sa) >= 0);

        /* A datagram with the pipe's write end in it: the receiver must
         * close what it got, so that the pipe sees its end once we close
         * our copy. */
        ASSERT_EQ(send_with_fds(sk, "READY=1", 7, &p[1], 1), 7);
        p[1] = safe_close(p[1]);
        wait_readable(fd);
        ASSERT_OK(notify_receive(fd, buf, sizeof buf, &size, &sender));
        ASSERT_EQ(size, 7);
        ASSERT_EQ(read(p[0], &c, 1), 0); /* -1 with EAGAIN if a copy leaked */
}

TEST(notify_socket_reopen) {
        _cleanup_free_ char *path = tests_path("notify");
        _cleanup_close_ int a = -EBADF, b = -EBADF;
        char buf[64];
        size_t size = 0;
        pid_t sender = 0;

        /* a socket file left by a previous run is replaced */
        ASSERT_OK(notify_socket_open(path, getuid(), getgid(), &a));
        a = safe_close(a);
        ASSERT_OK(notify_socket_open(path, getuid(), getgid(), &b));
        send_to(path, "READY=1");
        wait_readable(b);
        ASSERT_OK(notify_receive(b, buf, sizeof buf, &size, &sender));
}

TEST(notify_socket_path_too_long) {
        char path[200];
        int fd = -EBADF;

        memset(path, 'x', sizeof path - 1);
        path[0] = '/';
        path[sizeof path - 1] = '\0';
        ASSERT_ERROR(notify_socket_open(path, getuid(), getgid(), &fd), ENAMETOOLONG);
        ASSERT_EQ(fd, -EBADF);
}
