/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "netns-util.h"
#include "path-util.h"
#include "string-util.h"
#include "tests.h"

static uint64_t inode_of(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                tests_fail(__FILE__, __LINE__, "stat %s: %s", path, strerror(errno));
        return (uint64_t) st.st_ino;
}

static uint64_t self_inode(void) {
        return inode_of("/proc/self/ns/net");
}

/* What the undo log knows a namespace by. */
static uint64_t self_cookie(void) {
        uint64_t c = 0;

        ASSERT_OK(netns_cookie(&c));
        return c;
}

static void kill_and_wait(pid_t pid) {
        ASSERT_TRUE(kill(pid, SIGKILL) >= 0);
        ASSERT_TRUE(waitpid(pid, NULL, 0) == pid);
}

TEST(identify_fresh) {
        _cleanup_free_ char *path = NULL, *expected = NULL;
        uint64_t inode = 0;

        tests_enter_netns();
        ASSERT_OK(netns_identify(getpid(), &path, &inode));
        /* neither init's nor named: ours, by our PID */
        expected = strdup_printf("/proc/%i/ns/net", (int) getpid());
        ASSERT_STREQ(path, expected);
        ASSERT_EQ(inode, self_cookie());
        ASSERT_EQ(inode_of(path), self_inode());
}

TEST(identify_here) {
        _cleanup_free_ char *path = NULL;
        uint64_t inode = 0;
        struct stat st;

        ASSERT_OK(netns_identify(getpid(), &path, &inode));
        ASSERT_EQ(inode, self_cookie());
        /* a path that reaches it from anywhere */
        ASSERT_TRUE(path_is_absolute(path));
        ASSERT_EQ(inode_of(path), self_inode());
        /* init's, when it is init's (and we may look) */
        if (stat("/proc/1/ns/net", &st) >= 0 && (uint64_t) st.st_ino == self_inode())
                ASSERT_STREQ(path, "/proc/1/ns/net");
}

/* `ip netns add NAME`, in a mount namespace of the test's own. */
static void name_netns(const char *name) {
        _cleanup_free_ char *p = strjoin("/run/netns/", name);

        ASSERT_TRUE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) >= 0);
        if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
                tests_fail(__FILE__, __LINE__, "mount tmpfs on /run: %s", strerror(errno));
        ASSERT_TRUE(mkdir("/run/netns", 0755) >= 0);
        ASSERT_OK(write_string_file(p, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        if (mount("/proc/self/ns/net", p, NULL, MS_BIND, NULL) < 0)
                tests_fail(__FILE__, __LINE__, "bind mount the namespace on %s: %s", p, strerror(errno));
}

TEST(identify_named) {
        _cleanup_free_ char *path = NULL;
        uint64_t inode = 0;

        tests_enter_netns();
        if (geteuid() == 0 && unshare(CLONE_NEWNS) < 0)
                tests_fail(__FILE__, __LINE__, "unshare mounts: %s", strerror(errno));
        name_netns("berth-test");
        ASSERT_OK(netns_identify(getpid(), &path, &inode));
        ASSERT_STREQ(path, "/run/netns/berth-test");
        ASSERT_EQ(inode, self_cookie());
}

TEST(identify_named_with_colon) {
        _cleanup_free_ char *path = NULL, *expected = NULL;
        uint64_t inode = 0;

        tests_enter_netns();
        if (geteuid() == 0 && unshare(CLONE_NEWNS) < 0)
                tests_fail(__FILE__, __LINE__, "unshare mounts: %s", strerror(errno));
        /* a name the undo log's "INODE:PATH:WHAT" could not hold */
        name_netns("a:b");
        ASSERT_OK(netns_identify(getpid(), &path, &inode));
        expected = strdup_printf("/proc/%i/ns/net", (int) getpid());
        ASSERT_STREQ(path, expected);
}

TEST(enter_and_leave) {
        _cleanup_free_ char *path_a = NULL, *self_path = NULL;
        uint64_t a, b, ignored;
        int saved = 4242;
        pid_t pid;

        tests_enter_netns();
        a = self_cookie();
        ASSERT_OK(netns_identify(getpid(), &self_path, &ignored));
        pid = tests_holder();
        path_a = strdup_printf("/proc/%i/ns/net", (int) pid);

        /* on to another */
        ASSERT_TRUE(unshare(CLONE_NEWNET) >= 0);
        b = self_cookie();
        ASSERT_TRUE(a != b);

        ASSERT_OK(netns_enter(path_a, a, &saved));
        ASSERT_TRUE(saved >= 0);
        ASSERT_EQ(self_cookie(), a);
        ASSERT_TRUE(fcntl(saved, F_GETFD) & FD_CLOEXEC);

        /* there already: nothing to go back to */
        int again = 4242;
        ASSERT_OK(netns_enter(path_a, a, &again));
        ASSERT_EQ(again, -EBADF);
        netns_leave(again);
        ASSERT_EQ(self_cookie(), a);

        netns_leave(saved);
        ASSERT_EQ(self_cookie(), b);
        ASSERT_TRUE(fcntl(saved, F_GETFD) < 0); /* closed */

        /* another namespace under the path: refused, and we stay */
        saved = 4242;
        /* (not a + 1: cookies are handed out in order, that may be b) */
        ASSERT_ERROR(netns_enter(path_a, UINT64_C(0xdeadbeefdeadbeef), &saved), ESTALE);
        ASSERT_EQ(saved, 4242);
        ASSERT_EQ(self_cookie(), b);
        /* our own old path goes with us: it names b now, not a */
        ASSERT_ERROR(netns_enter(self_path, a, &saved), ESTALE);
        ASSERT_EQ(self_cookie(), b);

        /* gone with its last process */
        kill_and_wait(pid);
        ASSERT_ERROR(netns_enter(path_a, a, &saved), ESTALE);
        ASSERT_EQ(saved, 4242);
        ASSERT_EQ(self_cookie(), b);
}

TEST(enter_missing_path) {
        _cleanup_free_ char *missing = tests_path("no-such-netns");
        int saved = 4242;

        uint64_t self = self_cookie();

        /* another namespace: it is looked for, and isn't there */
        ASSERT_ERROR(netns_enter(missing, UINT64_C(0xdeadbeefdeadbeef), &saved), ESTALE);
        ASSERT_ERROR(netns_enter("/proc/2147483647/ns/net", UINT64_C(0xdeadbeefdeadbeef), &saved), ESTALE);
        ASSERT_EQ(saved, 4242);
        ASSERT_EQ(self_cookie(), self);

        /* our own: nothing to enter, wherever the path leads */
        ASSERT_OK(netns_enter(missing, self, &saved));
        ASSERT_EQ(saved, -EBADF);
}

/* A user namespace, child of ours, held by a process: its fd. */
static int new_userns(pid_t *ret_pid) {
        int pipe_fd[2], fd;
        pid_t pid;
        char c;

        ASSERT_TRUE(pipe2(pipe_fd, O_CLOEXEC) >= 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                (void) !write(pipe_fd[1], "x", 1);
                for (;;)
                        pause();
        }
        close(pipe_fd[1]);
        if (read(pipe_fd[0], &c, 1) != 1)
                tests_skip("no nested user namespaces here");
        close(pipe_fd[0]);

        _cleanup_free_ char *p = strdup_printf("/proc/%i/ns/user", (int) pid);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        *ret_pid = pid;
        return fd;
}

TEST(new_in_userns) {
        _cleanup_close_ int userns = -EBADF, netns = -EBADF, owner = -EBADF, own_userns = -EBADF;
        int bad = 4242;
        struct stat a, b;
        uint64_t before;
        pid_t pid;

        tests_enter_netns();
        before = self_inode();
        userns = new_userns(&pid);

        ASSERT_OK(netns_new_in_userns(userns, &netns));
        ASSERT_TRUE(netns >= 0);
        ASSERT_TRUE(fcntl(netns, F_GETFD) & FD_CLOEXEC);
        /* a new one, and we are where we were */
        ASSERT_TRUE(fstat(netns, &a) >= 0);
        ASSERT_TRUE((uint64_t) a.st_ino != before);
        ASSERT_EQ(self_inode(), before);
        /* owned by that user namespace */
        owner = ioctl(netns, NS_GET_USERNS);
        ASSERT_TRUE(owner >= 0);
        ASSERT_TRUE(fstat(owner, &a) >= 0 && fstat(userns, &b) >= 0);
        ASSERT_EQ(a.st_ino, b.st_ino);

        /* not a user namespace, or our own (which can't be joined) */
        own_userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(netns_new_in_userns(own_userns, &bad) < 0);
        ASSERT_TRUE(netns_new_in_userns(netns, &bad) < 0);
        ASSERT_EQ(bad, 4242);
        ASSERT_EQ(self_inode(), before);

        kill_and_wait(pid);
}
