/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>

#include "fd-util.h"
#include "ptyfwd.h"
#include "tests.h"
#include "time-util.h"

#define ESC "\x1d" /* ^] */

/* pty_escape_feed() */

TEST(escape_three_within_a_second) {
        EscapeState s = {};

        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, 1000));
        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, 1000 + 400 * USEC_PER_MSEC));
        ASSERT_TRUE(pty_escape_feed(&s, ESC, 1, 1000 + 900 * USEC_PER_MSEC));
}

TEST(escape_three_in_one_buffer) {
        EscapeState s = {};

        ASSERT_TRUE(pty_escape_feed(&s, ESC ESC ESC, 3, 5 * USEC_PER_SEC));
}

TEST(escape_two_are_not_enough) {
        EscapeState s = {};

        ASSERT_FALSE(pty_escape_feed(&s, ESC ESC, 2, 5 * USEC_PER_SEC));
        ASSERT_FALSE(pty_escape_feed(&s, "x", 1, 5 * USEC_PER_SEC));
        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, 5 * USEC_PER_SEC)); /* the count started over */
}

TEST(escape_gap_resets) {
        EscapeState s = {};
        uint64_t t = 10 * USEC_PER_SEC;

        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, t));
        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, t + 500 * USEC_PER_MSEC));
        /* more than a second after the first: this one starts a new count */
        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, t + 1100 * USEC_PER_MSEC));
        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, t + 1200 * USEC_PER_MSEC));
        ASSERT_TRUE(pty_escape_feed(&s, ESC, 1, t + 1300 * USEC_PER_MSEC));
}

TEST(escape_long_gap_between_presses) {
        EscapeState s = {};
        uint64_t t = 10 * USEC_PER_SEC;

        ASSERT_FALSE(pty_escape_feed(&s, ESC ESC, 2, t));
        ASSERT_FALSE(pty_escape_feed(&s, ESC, 1, t + 5 * USEC_PER_SEC));
}

TEST(escape_other_byte_resets) {
        EscapeState s = {};

        ASSERT_FALSE(pty_escape_feed(&s, ESC ESC "a" ESC, 4, USEC_PER_SEC));
        ASSERT_FALSE(pty_escape_feed(&s, ESC "\r", 2, USEC_PER_SEC));
        ASSERT_FALSE(pty_escape_feed(&s, ESC ESC, 2, USEC_PER_SEC));
        ASSERT_TRUE(pty_escape_feed(&s, ESC, 1, USEC_PER_SEC));
}

/* A real pty pair, forwarded on an sd-event loop. */

typedef struct Pty {
        int master, slave;
} Pty;

static void pty_done(Pty *p) {
        safe_close(p->master);
        safe_close(p->slave);
}

static Pty pty_open(void) {
        Pty p = { .master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), .slave = -EBADF };
        struct termios t;
        char *name;

        if (p.master < 0)
                tests_skip("no pseudo-terminals here");
        ASSERT_TRUE(grantpt(p.master) >= 0);
        ASSERT_TRUE(unlockpt(p.master) >= 0);
        name = ptsname(p.master);
        ASSERT_NOT_NULL(name);
        p.slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        ASSERT_TRUE(p.slave >= 0);

        /* raw, so that what the slave side writes arrives byte for byte */
        ASSERT_TRUE(tcgetattr(p.slave, &t) >= 0);
        cfmakeraw(&t);
        ASSERT_TRUE(tcsetattr(p.slave, TCSANOW, &t) >= 0);
        return p;
}

/* Runs the loop until n bytes could be read from fd (non-blocking), or
 * fails after five seconds. */
static void run_until_read(sd_event *e, int fd, char *buf, size_t n) {
        usec_t deadline = now(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;
        size_t got = 0;

        while (got < n) {
                ssize_t k;

                if (now(CLOCK_MONOTONIC) > deadline)
                        tests_fail(__FILE__, __LINE__, "only %zu of %zu bytes arrived", got, n);
                ASSERT_OK(sd_event_run(e, 100 * USEC_PER_MSEC));
                k = read(fd, buf + got, n - got);
                if (k < 0 && errno != EAGAIN)
                        tests_fail(__FILE__, __LINE__, "read: %m");
                if (k > 0)
                        got += (size_t) k;
        }
}

/* Runs the loop for a while, for what should not happen. */
static void run_for(sd_event *e, usec_t usec) {
        usec_t deadline = now(CLOCK_MONOTONIC) + usec;

        while (now(CLOCK_MONOTONIC) < deadline)
                ASSERT_OK(sd_event_run(e, 20 * USEC_PER_MSEC));
}

TEST(pty_forward_read_only) {
        _cleanup_(pty_done) Pty p = pty_open();
        _cleanup_close_pair_ int out[2] = { -EBADF, -EBADF };
        _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(pty_forward_freep) PTYForward *f = NULL;
        char buf[64] = {}, c;

        ASSERT_TRUE(pipe2(out, O_CLOEXEC) >= 0);
        ASSERT_OK(fd_set_nonblock(out[0], true));
        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pty_forward_new(e, p.master, devnull, out[1], PTY_FORWARD_READ_ONLY, &f));

        ASSERT_EQ(write(p.slave, "console output\n", 15), 15);
        run_until_read(e, out[0], buf, 15);
        ASSERT_STREQ(buf, "console output\n");

        /* and more, in a second write */
        memset(buf, 0, sizeof buf);
        ASSERT_EQ(write(p.slave, "login: ", 7), 7);
        run_until_read(e, out[0], buf, 7);
        ASSERT_STREQ(buf, "login: ");

        /* nothing more than was written */
        run_for(e, 100 * USEC_PER_MSEC);
        ASSERT_EQ(read(out[0], &c, 1), -1);
        ASSERT_EQ(errno, EAGAIN);
}

TEST(pty_forward_free_restores_flags) {
        _cleanup_(pty_done) Pty p = pty_open();
        _cleanup_close_pair_ int out[2] = { -EBADF, -EBADF };
        _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        PTYForward *f = NULL;

        ASSERT_TRUE(pipe2(out, O_CLOEXEC) >= 0);
        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pty_forward_new(e, p.master, devnull, out[1], PTY_FORWARD_READ_ONLY, &f));
        f = pty_forward_free(f);
        ASSERT_NULL(f);

        /* our stdout is blocking again, and the master stays open */
        ASSERT_EQ(fcntl(out[1], F_GETFL) & O_NONBLOCK, 0);
        ASSERT_TRUE(fcntl(p.master, F_GETFD) >= 0);
}

TEST(pty_forward_drain_mode) {
        _cleanup_(pty_done) Pty p = pty_open();
        _cleanup_close_pair_ int out[2] = { -EBADF, -EBADF };
        _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(pty_forward_freep) PTYForward *f = NULL;
        char big[8192], c;

        ASSERT_TRUE(pipe2(out, O_CLOEXEC | O_NONBLOCK) >= 0);
        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pty_forward_new(e, p.master, devnull, out[1], PTY_FORWARD_DRAIN, &f));

        /* Read and dropped: more than the pty's buffer can be written
         * without blocking the writer, and nothing comes out. */
        memset(big, 'x', sizeof big);
        ASSERT_OK(fd_set_nonblock(p.slave, true));
        for (int i = 0; i < 64; i++) {
                size_t done = 0;
                usec_t deadline = now(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;

                while (done < sizeof big) {
                        ssize_t k = write(p.slave, big + done, sizeof big - done);
                        if (k < 0 && errno != EAGAIN)
                                tests_fail(__FILE__, __LINE__, "write: %m");
                        if (k > 0)
                                done += (size_t) k;
                        else {
                                if (now(CLOCK_MONOTONIC) > deadline)
                                        tests_fail(__FILE__, __LINE__, "the pty is not drained");
                                ASSERT_OK(sd_event_run(e, 100 * USEC_PER_MSEC));
                        }
                }
        }
        run_for(e, 50 * USEC_PER_MSEC);
        ASSERT_EQ(read(out[0], &c, 1), -1);
        ASSERT_EQ(errno, EAGAIN);
}

static void on_escape(PTYForward *f, void *userdata) {
        unsigned *n = userdata;

        (*n)++;
}

TEST(pty_forward_interactive_input_and_escape) {
        _cleanup_(pty_done) Pty p = pty_open();
        _cleanup_close_pair_ int in[2] = { -EBADF, -EBADF }, out[2] = { -EBADF, -EBADF };
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(pty_forward_freep) PTYForward *f = NULL;
        unsigned escapes = 0;
        char buf[64] = {};

        ASSERT_TRUE(pipe2(in, O_CLOEXEC) >= 0);
        ASSERT_TRUE(pipe2(out, O_CLOEXEC) >= 0);
        ASSERT_OK(fd_set_nonblock(out[0], true));
        ASSERT_OK(fd_set_nonblock(p.slave, true));
        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(pty_forward_new(e, p.master, in[0], out[1], 0, &f));
        pty_forward_set_escape_handler(f, on_escape, &escapes);

        /* what we type reaches the machine */
        ASSERT_EQ(write(in[1], "ls\r", 3), 3);
        run_until_read(e, p.slave, buf, 3);
        ASSERT_STREQ(buf, "ls\r");
        ASSERT_EQ(escapes, 0);

        /* ^]^]^] is ours, not the machine's */
        ASSERT_EQ(write(in[1], ESC ESC ESC, 3), 3);
        for (int i = 0; i < 50 && escapes == 0; i++)
                ASSERT_OK(sd_event_run(e, 100 * USEC_PER_MSEC));
        ASSERT_EQ(escapes, 1);
        ASSERT_EQ(read(p.slave, buf, sizeof buf), -1);
        ASSERT_EQ(errno, EAGAIN);
}
