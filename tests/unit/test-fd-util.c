/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* basic/fd-util: what test-basic.c (full) does not cover. */

#include <fcntl.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "tests.h"

static ino_t inode_of(int fd) {
        struct stat st;

        return fstat(fd, &st) < 0 ? 0 : st.st_ino;
}

/* As the inner child does with the sockets of socket activation: each fd
 * to its place, though another one may sit there, without O_CLOEXEC. */
TEST(fds_move_to_sequence) {
        _cleanup_close_pair_ int p[2] = { -EBADF, -EBADF };
        _cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC),
                            zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        int fds[3];
        ino_t want[3];

        ASSERT_TRUE(null >= 0 && zero >= 0 && pipe2(p, O_CLOEXEC) >= 0);
        /* 101 goes to 100 and 100 to 101 (a swap); 120 to 102. */
        fds[0] = dup3(null, 101, O_CLOEXEC);
        fds[1] = dup3(zero, 100, O_CLOEXEC);
        fds[2] = fcntl(p[0], F_DUPFD_CLOEXEC, 120);
        ASSERT_TRUE(fds[0] == 101 && fds[1] == 100 && fds[2] >= 120);
        for (size_t i = 0; i < 3; i++)
                want[i] = inode_of(fds[i]);
        ASSERT_TRUE(want[0] != want[1] && want[1] != want[2]);

        ASSERT_OK(fds_move_to_sequence(fds, 3, 100));
        for (int i = 0; i < 3; i++) {
                ASSERT_EQ(inode_of(100 + i), want[i]);
                ASSERT_EQ(fcntl(100 + i, F_GETFD) & FD_CLOEXEC, 0);
        }
        ASSERT_TRUE(fcntl(fds[2], F_GETFD) < 0); /* the original is closed */

        /* In place already: only O_CLOEXEC goes. */
        ASSERT_OK(fd_set_cloexec(100, true));
        ASSERT_OK(fds_move_to_sequence((const int[]) { 100 }, 1, 100));
        ASSERT_EQ(inode_of(100), want[0]);
        ASSERT_EQ(fcntl(100, F_GETFD) & FD_CLOEXEC, 0);
        ASSERT_OK(fds_move_to_sequence(NULL, 0, 100));
        for (int i = 0; i < 3; i++)
                safe_close(100 + i);
}
