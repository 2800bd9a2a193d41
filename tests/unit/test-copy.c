/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "copy.h"
#include "fd-util.h"
#include "fileio.h"
#include "lock-util.h"
#include "string-util.h"
#include "tests.h"

/* TMP/src is the tree to copy, TMP/dst where it goes, TMP/canary a host
 * file and TMP/canary-dir a host directory that hostile symlinks point at:
 * after every test they hold exactly what the setup put there. */

static const struct timespec old_times[2] = { { .tv_sec = 1000000000, .tv_nsec = 123456789 },
                                              { .tv_sec = 1100000000, .tv_nsec = 987654321 } };

static void write_at(int dir_fd, const char *name, const char *text, mode_t mode) {
        ASSERT_OK(write_string_file_at(dir_fd, name, text, WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, mode));
        ASSERT_TRUE(fchmodat(dir_fd, name, mode, 0) >= 0);
        ASSERT_TRUE(utimensat(dir_fd, name, old_times, 0) >= 0);
}

static void setup_canaries(void) {
        _cleanup_free_ char *canary = tests_path("canary"), *dir = tests_path("canary-dir");
        _cleanup_close_ int fd = -EBADF;

        ASSERT_OK(write_string_file(canary, "host", WRITE_FILE_CREATE));
        ASSERT_TRUE(chmod(canary, 0600) >= 0);
        ASSERT_TRUE(mkdir(dir, 0700) >= 0);
        fd = tests_open_dir("canary-dir");
        write_at(fd, "inner", "host inner", 0600);
}

static void assert_canaries_untouched(void) {
        _cleanup_free_ char *canary = tests_path("canary"), *inner = tests_path("canary-dir/inner");
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        _cleanup_close_ int fd = tests_open_dir("canary-dir");
        DIR *d;
        int n = 0;

        ASSERT_OK(read_full_file(canary, &text, NULL));
        ASSERT_STREQ(text, "host\n");
        ASSERT_OK(read_full_file(inner, &text2, NULL));
        ASSERT_STREQ(text2, "host inner");
        d = fdopendir(TAKE_FD(fd));
        ASSERT_NOT_NULL(d);
        for (struct dirent *de; (de = readdir(d));)
                n++;
        closedir(d);
        ASSERT_EQ(n, 3); /* ".", "..", "inner" */
}

/* TMP/src/tree:
 *     file        "hello", 0644
 *     exec        "#!/bin/sh", 04755 (set-user-ID, dropped by the copy)
 *     private     "secret", 0600
 *     empty       "", 0444
 *     sub/        0750
 *       deep/     0555, read-only with something in it
 *         leaf    "leaf", 0640
 *     up          → ../../..            (copied as a link, not followed)
 *     abs         → /                   (likewise)
 *     canary      → TMP/canary          (likewise)
 *     canary-dir  → TMP/canary-dir      (likewise: not descended into)
 *     rel         → sub/deep/leaf
 *     dangling    → nowhere/at/all
 */
static void setup_tree(void) {
        _cleanup_free_ char *src = tests_path("src"), *canary = tests_path("canary");
        _cleanup_free_ char *canary_dir = tests_path("canary-dir");
        _cleanup_close_ int tree = -EBADF, sub = -EBADF, deep = -EBADF;
        const char *const links[][2] = {
                { "up", "../../.." },       { "abs", "/" },
                { "canary", canary },       { "canary-dir", canary_dir },
                { "rel", "sub/deep/leaf" }, { "dangling", "nowhere/at/all" },
        };

        setup_canaries();
        ASSERT_OK(mkdir_p(src, 0755));
        tree = tests_open_dir("src");
        ASSERT_TRUE(mkdirat(tree, "tree", 0755) >= 0);
        safe_close(tree);
        tree = tests_open_dir("src/tree");

        write_at(tree, "file", "hello", 0644);
        write_at(tree, "exec", "#!/bin/sh\n", 04755);
        write_at(tree, "private", "secret", 0600);
        write_at(tree, "empty", "", 0444);
        ASSERT_TRUE(mkdirat(tree, "sub", 0750) >= 0);
        sub = openat(tree, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(sub >= 0);
        ASSERT_TRUE(mkdirat(sub, "deep", 0755) >= 0);
        deep = openat(sub, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(deep >= 0);
        write_at(deep, "leaf", "leaf", 0640);
        ASSERT_TRUE(fchmod(deep, 0555) >= 0);
        ASSERT_TRUE(futimens(deep, old_times) >= 0);
        ASSERT_TRUE(futimens(sub, old_times) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                ASSERT_TRUE(symlinkat(links[i][1], tree, links[i][0]) >= 0);
                ASSERT_TRUE(utimensat(tree, links[i][0], old_times, AT_SYMLINK_NOFOLLOW) >= 0);
        }
        ASSERT_TRUE(futimens(tree, old_times) >= 0);
}

/* Read-only directories would stop the test runner's rm -rf (without root). */
static void make_writable(const char *name) {
        _cleanup_free_ char *p = tests_path(name);

        (void) chmod(p, 0755);
}

static void cleanup_tree(void) {
        make_writable("src/tree/sub/deep");
        make_writable("dst/tree/sub/deep");
        make_writable("dst/copy/sub/deep");
}

/* The modification time, and the access time when the source was never
 * read before (reading it changes its atime, and the copy takes that). */
static bool first_copy;

static void assert_times(int dir_fd, const char *name) {
        struct stat st;

        ASSERT_TRUE(fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0);
        if (st.st_mtim.tv_sec != old_times[1].tv_sec || st.st_mtim.tv_nsec != old_times[1].tv_nsec ||
            (first_copy && (st.st_atim.tv_sec != old_times[0].tv_sec || st.st_atim.tv_nsec != old_times[0].tv_nsec)))
                tests_fail(__FILE__, __LINE__, "%s: times %lld.%09ld %lld.%09ld not copied", name,
                           (long long) st.st_atim.tv_sec, st.st_atim.tv_nsec, (long long) st.st_mtim.tv_sec,
                           st.st_mtim.tv_nsec);
}

static void assert_file(int dir_fd, const char *name, const char *text, mode_t mode) {
        _cleanup_free_ char *t = NULL;
        struct stat st;

        ASSERT_TRUE(fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0);
        if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode)
                tests_fail(__FILE__, __LINE__, "%s: mode %o, expected a file with %o", name, st.st_mode, mode);
        assert_times(dir_fd, name); /* before reading it changes the atime */
        ASSERT_OK(read_full_file_at(dir_fd, name, 4096, &t, NULL));
        ASSERT_STREQ(t, text);
}

static void assert_link(int dir_fd, const char *name, const char *target) {
        char buf[4096];
        ssize_t n;

        assert_times(dir_fd, name); /* before readlink changes the atime */
        n = readlinkat(dir_fd, name, buf, sizeof buf - 1);
        if (n < 0)
                tests_fail(__FILE__, __LINE__, "%s is not a symlink: %m", name);
        buf[n] = '\0';
        ASSERT_STREQ(buf, target);
}

static void assert_dir_mode(int dir_fd, const char *name, mode_t mode) {
        struct stat st;

        ASSERT_TRUE(fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0);
        if (!S_ISDIR(st.st_mode) || (st.st_mode & 07777) != mode)
                tests_fail(__FILE__, __LINE__, "%s: mode %o, expected a directory with %o", name, st.st_mode, mode);
        assert_times(dir_fd, name);
}

/* The copy of setup_tree()'s tree at dir_fd/name. */
static void assert_tree_copied(int dir_fd, const char *name) {
        _cleanup_free_ char *canary = tests_path("canary"), *canary_dir = tests_path("canary-dir");
        _cleanup_close_ int tree = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int n = 0;
        DIR *d;

        ASSERT_TRUE(tree >= 0);
        assert_dir_mode(dir_fd, name, 0755);
        assert_file(tree, "file", "hello", 0644);
        assert_file(tree, "exec", "#!/bin/sh\n", 0755);
        assert_file(tree, "private", "secret", 0600);
        assert_file(tree, "empty", "", 0444);
        assert_dir_mode(tree, "sub", 0750);
        assert_dir_mode(tree, "sub/deep", 0555);
        assert_file(tree, "sub/deep/leaf", "leaf", 0640);
        assert_link(tree, "up", "../../..");
        assert_link(tree, "abs", "/");
        assert_link(tree, "canary", canary);
        assert_link(tree, "canary-dir", canary_dir);
        assert_link(tree, "rel", "sub/deep/leaf");
        assert_link(tree, "dangling", "nowhere/at/all");

        /* nothing else, no temporary files */
        d = fdopendir(TAKE_FD(tree));
        ASSERT_NOT_NULL(d);
        for (struct dirent *de; (de = readdir(d));)
                n++;
        closedir(d);
        ASSERT_EQ(n, 2 + 11);
}

static int make_dst(void) {
        _cleanup_free_ char *dst = tests_path("dst");

        ASSERT_TRUE(mkdir(dst, 0755) >= 0);
        return tests_open_dir("dst");
}

TEST(copy_tree) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        char *failed_at = NULL;

        setup_tree();
        src = tests_open_dir("src");
        dst = make_dst();
        ASSERT_OK(copy_tree_at(src, "tree", dst, "copy", 0, NULL, &failed_at));
        ASSERT_NULL(failed_at);
        first_copy = true;
        assert_tree_copied(dst, "copy");
        first_copy = false;
        assert_canaries_untouched();
        cleanup_tree();
}

TEST(copy_single_file_and_link) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, tree = -EBADF;

        setup_tree();
        src = tests_open_dir("src");
        tree = tests_open_dir("src/tree");
        dst = make_dst();
        ASSERT_OK(copy_tree_at(tree, "private", dst, "p", 0, NULL, NULL));
        assert_file(dst, "p", "secret", 0600);

        /* A symlink at the top is copied as a link too, never followed. */
        ASSERT_OK(copy_tree_at(tree, "canary-dir", dst, "cd", 0, NULL, NULL));
        {
                _cleanup_free_ char *canary_dir = tests_path("canary-dir");
                assert_link(dst, "cd", canary_dir);
        }
        ASSERT_OK(copy_tree_at(tree, "up", dst, "up", 0, NULL, NULL));
        assert_link(dst, "up", "../../..");
        ASSERT_OK(copy_tree_at(tree, "canary", dst, "c", 0, NULL, NULL));
        {
                _cleanup_free_ char *canary = tests_path("canary");
                assert_link(dst, "c", canary);
        }
        assert_canaries_untouched();
        cleanup_tree();
}

TEST(existing_destination_without_replace) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, tree = -EBADF;
        _cleanup_free_ char *canary = tests_path("canary"), *canary_dir = tests_path("canary-dir");
        char *failed_at = NULL;

        setup_tree();
        src = tests_open_dir("src");
        tree = tests_open_dir("src/tree");
        dst = make_dst();
        write_at(dst, "f", "old", 0644);
        ASSERT_TRUE(mkdirat(dst, "d", 0755) >= 0);
        ASSERT_TRUE(symlinkat(canary, dst, "to-canary") >= 0);
        ASSERT_TRUE(utimensat(dst, "to-canary", old_times, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(symlinkat(canary_dir, dst, "to-canary-dir") >= 0);

        ASSERT_ERROR(copy_tree_at(tree, "file", dst, "f", 0, NULL, &failed_at), EEXIST);
        ASSERT_STREQ(failed_at, "");
        free(failed_at);
        ASSERT_ERROR(copy_tree_at(tree, "file", dst, "d", 0, NULL, NULL), EEXIST);
        ASSERT_ERROR(copy_tree_at(src, "tree", dst, "d", 0, NULL, NULL), EEXIST);
        ASSERT_ERROR(copy_tree_at(tree, "file", dst, "to-canary", 0, NULL, NULL), EEXIST);
        ASSERT_ERROR(copy_tree_at(src, "tree", dst, "to-canary-dir", 0, NULL, NULL), EEXIST);
        ASSERT_ERROR(copy_tree_at(tree, "abs", dst, "to-canary", 0, NULL, NULL), EEXIST);

        assert_file(dst, "f", "old", 0644);
        assert_link(dst, "to-canary", canary);
        assert_canaries_untouched();
        cleanup_tree();
}

TEST(replace) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, tree = -EBADF, merged = -EBADF;
        _cleanup_free_ char *canary = tests_path("canary"), *canary_dir = tests_path("canary-dir");

        setup_tree();
        src = tests_open_dir("src");
        tree = tests_open_dir("src/tree");
        dst = make_dst();
        write_at(dst, "f", "old", 0600);
        ASSERT_TRUE(symlinkat(canary, dst, "to-canary") >= 0);
        ASSERT_TRUE(symlinkat(canary_dir, dst, "to-canary-dir") >= 0);
        ASSERT_TRUE(mkdirat(dst, "full", 0700) >= 0);
        write_at(dst, "not-a-dir", "x", 0644);

        /* a file over a file */
        ASSERT_OK(copy_tree_at(tree, "file", dst, "f", COPY_REPLACE, NULL, NULL));
        assert_file(dst, "f", "hello", 0644);
        /* a file over a symlink replaces the link, not what it points at */
        ASSERT_OK(copy_tree_at(tree, "file", dst, "to-canary", COPY_REPLACE, NULL, NULL));
        assert_file(dst, "to-canary", "hello", 0644);
        /* a directory over a symlink to a directory: a directory of its own */
        ASSERT_OK(copy_tree_at(src, "tree", dst, "to-canary-dir", COPY_REPLACE, NULL, NULL));
        assert_tree_copied(dst, "to-canary-dir");
        /* a directory over a file */
        ASSERT_OK(copy_tree_at(src, "tree", dst, "not-a-dir", COPY_REPLACE, NULL, NULL));
        assert_tree_copied(dst, "not-a-dir");
        /* a file over a directory: refused, the directory stays */
        ASSERT_ERROR(copy_tree_at(tree, "file", dst, "full", COPY_REPLACE, NULL, NULL), EISDIR);
        {
                struct stat st;
                ASSERT_TRUE(fstatat(dst, "full", &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode));
        }

        /* a directory over a directory: merged, replacing what is in the way */
        merged = openat(dst, "full", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(merged >= 0);
        write_at(merged, "kept", "kept", 0644);
        write_at(merged, "file", "old", 0600);
        ASSERT_TRUE(symlinkat(canary_dir, merged, "sub") >= 0);
        ASSERT_OK(copy_tree_at(src, "tree", dst, "full", COPY_REPLACE, NULL, NULL));
        assert_file(merged, "kept", "kept", 0644);
        assert_file(merged, "file", "hello", 0644);
        assert_dir_mode(merged, "sub/deep", 0555);
        assert_link(merged, "canary-dir", canary_dir);
        /* and again, over itself (without "kept", to compare the trees) */
        ASSERT_TRUE(unlinkat(merged, "kept", 0) >= 0);
        ASSERT_OK(copy_tree_at(src, "tree", dst, "full", COPY_REPLACE, NULL, NULL));
        assert_tree_copied(dst, "full");

        assert_canaries_untouched();
        make_writable("dst/to-canary-dir/sub/deep");
        make_writable("dst/not-a-dir/sub/deep");
        make_writable("dst/full/sub/deep");
        cleanup_tree();
}

TEST(no_descent_through_symlinks_in_destination) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, copy = -EBADF;
        _cleanup_free_ char *canary_dir = tests_path("canary-dir");

        setup_tree();
        src = tests_open_dir("src");
        dst = make_dst();
        /* dst/copy exists; its "sub" leads to the host directory */
        ASSERT_TRUE(mkdirat(dst, "copy", 0755) >= 0);
        copy = tests_open_dir("dst/copy");
        ASSERT_TRUE(symlinkat(canary_dir, copy, "sub") >= 0);
        ASSERT_TRUE(symlinkat("../../canary", copy, "file") >= 0);

        ASSERT_ERROR(copy_tree_at(src, "tree", dst, "copy", 0, NULL, NULL), EEXIST);
        assert_canaries_untouched();
        ASSERT_OK(copy_tree_at(src, "tree", dst, "copy", COPY_REPLACE, NULL, NULL));
        assert_tree_copied(dst, "copy");
        assert_canaries_untouched();
        cleanup_tree();
}

TEST(refuses_special_files) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, sub = -EBADF;
        char *failed_at = NULL;

        setup_tree();
        src = tests_open_dir("src");
        sub = tests_open_dir("src/tree/sub");
        dst = make_dst();
        ASSERT_TRUE(mkfifoat(sub, "fifo", 0644) >= 0);
        ASSERT_ERROR(copy_tree_at(src, "tree", dst, "copy", 0, NULL, &failed_at), EOPNOTSUPP);
        ASSERT_STREQ(failed_at, "sub/fifo");
        free(failed_at);
        ASSERT_ERROR(copy_tree_at(sub, "fifo", dst, "fifo", 0, NULL, &failed_at), EOPNOTSUPP);
        ASSERT_STREQ(failed_at, "");
        free(failed_at);
        cleanup_tree();
}

TEST(bad_names_and_missing_source) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        char *failed_at = NULL;

        setup_tree();
        src = tests_open_dir("src");
        dst = make_dst();
        ASSERT_ERROR(copy_tree_at(src, "tree/file", dst, "x", 0, NULL, NULL), EINVAL);
        ASSERT_ERROR(copy_tree_at(src, "..", dst, "x", 0, NULL, NULL), EINVAL);
        ASSERT_ERROR(copy_tree_at(src, "tree", dst, "a/b", 0, NULL, NULL), EINVAL);
        ASSERT_ERROR(copy_tree_at(src, "tree", dst, ".", 0, NULL, NULL), EINVAL);
        ASSERT_ERROR(copy_tree_at(src, "missing", dst, "x", 0, NULL, &failed_at), ENOENT);
        ASSERT_STREQ(failed_at, "");
        free(failed_at);
        ASSERT_TRUE(faccessat(dst, "x", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
        cleanup_tree();
}

TEST(depth_limit) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, fd = -EBADF;
        char *failed_at = NULL;

        setup_tree();
        src = tests_open_dir("src");
        dst = make_dst();
        ASSERT_TRUE(mkdirat(src, "deep", 0755) >= 0);
        fd = openat(src, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (unsigned i = 0; i < COPY_DEPTH_MAX; i++) {
                int next;

                ASSERT_TRUE(mkdirat(fd, "d", 0755) >= 0);
                next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT_TRUE(next >= 0);
                safe_close(fd);
                fd = next;
        }
        ASSERT_ERROR(copy_tree_at(src, "deep", dst, "deep", 0, NULL, &failed_at), ELOOP);
        ASSERT_NOT_NULL(failed_at);
        ASSERT_TRUE(strlen(failed_at) == 2 * COPY_DEPTH_MAX - 1);
        free(failed_at);
        cleanup_tree();
}

/* copy_tree_receive() in a child, as `berth copy-to` runs it. Returns the
 * child's pid; its exit status is the receiver's -errno. */
static pid_t fork_receiver(int sock, int other, int dst, const char *name, CopyFlags flags) {
        pid_t pid = fork();

        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                safe_close(other);
                _exit(-copy_tree_receive(sock, dst, name, flags, NULL, NULL));
        }
        safe_close(sock);
        return pid;
}

static int wait_receiver(pid_t pid) {
        int status;

        ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
        ASSERT_TRUE(WIFEXITED(status));
        return -WEXITSTATUS(status);
}

TEST(copy_over_socket) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        int pair[2];
        pid_t pid;

        setup_tree();
        src = tests_open_dir("src");
        dst = make_dst();
        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) >= 0);
        pid = fork_receiver(pair[1], pair[0], dst, "copy", 0);
        ASSERT_OK(copy_tree_send(pair[0], src, "tree", NULL));
        safe_close(pair[0]);
        ASSERT_OK(wait_receiver(pid));
        first_copy = true;
        assert_tree_copied(dst, "copy");
        first_copy = false;
        assert_canaries_untouched();

        /* the receiver fails (EEXIST): the sender sees the socket go */
        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) >= 0);
        pid = fork_receiver(pair[1], pair[0], dst, "copy", 0);
        {
                /* depending on how far it got before the receiver left */
                int r = copy_tree_send(pair[0], src, "tree", NULL);
                ASSERT_TRUE(r == 0 || r == -EPIPE);
        }
        safe_close(pair[0]);
        ASSERT_ERROR(wait_receiver(pid), EEXIST);

        /* with COPY_REPLACE it merges */
        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) >= 0);
        pid = fork_receiver(pair[1], pair[0], dst, "copy", COPY_REPLACE);
        ASSERT_OK(copy_tree_send(pair[0], src, "tree", NULL));
        safe_close(pair[0]);
        ASSERT_OK(wait_receiver(pid));
        assert_tree_copied(dst, "copy");
        cleanup_tree();
}

TEST(receiver_refuses_bad_streams) {
        _cleanup_close_ int dst = -EBADF;
        int pair[2];
        pid_t pid;

        dst = make_dst();

        /* the sender gives up before anything is complete */
        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) >= 0);
        pid = fork_receiver(pair[1], pair[0], dst, "x", 0);
        safe_close(pair[0]);
        ASSERT_ERROR(wait_receiver(pid), ECONNABORTED);

        /* garbage */
        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) >= 0);
        pid = fork_receiver(pair[1], pair[0], dst, "x", 0);
        ASSERT_TRUE(send(pair[0], "garbage", 7, MSG_NOSIGNAL) == 7);
        ASSERT_ERROR(wait_receiver(pid), EBADMSG);
        safe_close(pair[0]);

        ASSERT_TRUE(faccessat(dst, "x", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
}
