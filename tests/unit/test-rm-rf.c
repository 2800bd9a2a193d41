/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fileio.h"
#include "rm-rf.h"
#include "tests.h"

/* TMP/top is what is removed; TMP/outside a directory of the host that
 * symlinks and bind mounts in it lead to, which must stay as it is. */

static int open_tmp(void) {
        int fd = open(tests_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        return fd;
}

static int make_dir(int dir_fd, const char *name, mode_t mode) {
        int fd;

        ASSERT_TRUE(mkdirat(dir_fd, name, mode) >= 0);
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        return fd;
}

static void make_file(int dir_fd, const char *name) {
        ASSERT_OK(write_string_file_at(dir_fd, name, name, WRITE_FILE_CREATE, 0644));
}

static bool exists(int dir_fd, const char *name) {
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return true;
        ASSERT_EQ(errno, ENOENT);
        return false;
}

static void setup_outside(int tmp) {
        _cleanup_close_ int fd = make_dir(tmp, "outside", 0755);

        make_file(fd, "keep");
}

static void assert_outside_untouched(int tmp) {
        _cleanup_free_ char *text = NULL;

        ASSERT_OK(read_full_file_at(tmp, "outside/keep", 4096, &text, NULL));
        ASSERT_STREQ(text, "keep\n");
}

/* TMP/top:
 *     file, sub/deep/leaf
 *     ro/         0555, with files and ro/inner/ (0555, with a file)
 *     closed/     0000, with a file
 *     to-outside  → TMP/outside        (the link goes, not what it leads to)
 *     to-keep     → ../outside/keep
 *     dangling    → nowhere
 *     fifo
 */
TEST(removes_tree) {
        _cleanup_close_ int tmp = open_tmp(), top = -EBADF, sub = -EBADF, deep = -EBADF, ro = -EBADF, inner = -EBADF,
                            closed = -EBADF;
        _cleanup_free_ char *outside = tests_path("outside");

        setup_outside(tmp);
        top = make_dir(tmp, "top", 0755);
        make_file(top, "file");
        sub = make_dir(top, "sub", 0755);
        deep = make_dir(sub, "deep", 0700);
        make_file(deep, "leaf");
        ro = make_dir(top, "ro", 0755);
        make_file(ro, "a");
        make_file(ro, "b");
        inner = make_dir(ro, "inner", 0755);
        make_file(inner, "c");
        ASSERT_TRUE(fchmod(inner, 0555) >= 0);
        ASSERT_TRUE(fchmod(ro, 0555) >= 0);
        closed = make_dir(top, "closed", 0755);
        make_file(closed, "d");
        ASSERT_TRUE(fchmod(closed, 0) >= 0);
        ASSERT_TRUE(symlinkat(outside, top, "to-outside") >= 0);
        ASSERT_TRUE(symlinkat("../outside/keep", top, "to-keep") >= 0);
        ASSERT_TRUE(symlinkat("nowhere", top, "dangling") >= 0);
        ASSERT_TRUE(mkfifoat(top, "fifo", 0600) >= 0);

        ASSERT_OK(rm_rf_at(tmp, "top"));
        ASSERT_FALSE(exists(tmp, "top"));
        assert_outside_untouched(tmp);
        ASSERT_TRUE(exists(tmp, "outside"));
}

TEST(missing_and_bad_names) {
        _cleanup_close_ int tmp = open_tmp();

        ASSERT_EQ(rm_rf_at(tmp, "nothing-here"), 0);
        ASSERT_ERROR(rm_rf_at(tmp, ""), EINVAL);
        ASSERT_ERROR(rm_rf_at(tmp, NULL), EINVAL);
        ASSERT_ERROR(rm_rf_at(tmp, "."), EINVAL);
        ASSERT_ERROR(rm_rf_at(tmp, ".."), EINVAL);
        ASSERT_ERROR(rm_rf_at(tmp, "a/b"), EINVAL);
        ASSERT_ERROR(rm_rf_at(-EBADF, "x"), EBADF);
}

TEST(top_file_and_symlink) {
        _cleanup_close_ int tmp = open_tmp();
        _cleanup_free_ char *outside = tests_path("outside");

        setup_outside(tmp);
        make_file(tmp, "file");
        ASSERT_TRUE(symlinkat(outside, tmp, "link") >= 0);
        ASSERT_OK(rm_rf_at(tmp, "file"));
        ASSERT_OK(rm_rf_at(tmp, "link"));
        ASSERT_FALSE(exists(tmp, "file"));
        ASSERT_FALSE(exists(tmp, "link"));
        assert_outside_untouched(tmp);

        /* A relative path is no single name; AT_FDCWD is a directory too. */
        ASSERT_TRUE(fchdir(tmp) >= 0);
        make_file(AT_FDCWD, "here");
        ASSERT_OK(rm_rf_at(AT_FDCWD, "here"));
        ASSERT_FALSE(exists(tmp, "here"));
}

/* Returns -errno when the attribute can't be set. */
static int set_flags(int fd, int add) {
        int flags;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return -errno;
        flags |= add;
        return ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0 ? -errno : 0;
}

static int open_file(int dir_fd, const char *name) {
        int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        return fd;
}

TEST(immutable_and_append_only) {
        _cleanup_close_ int tmp = open_tmp(), top = -EBADF, dir = -EBADF, imm = -EBADF, app = -EBADF;
        int r;

        top = make_dir(tmp, "top", 0755);
        make_file(top, "immutable");
        make_file(top, "append-only");
        dir = make_dir(top, "immutable-dir", 0755);
        make_file(dir, "inside");

        imm = open_file(top, "immutable");
        r = set_flags(imm, FS_IMMUTABLE_FL);
        if (r == -EPERM)
                tests_skip("setting the immutable attribute needs CAP_LINUX_IMMUTABLE");
        if (IN_SET(r, -ENOTTY, -EOPNOTSUPP, -EINVAL))
                tests_skip("the temporary directory's filesystem has no immutable attribute");
        ASSERT_OK(r);
        app = open_file(top, "append-only");
        ASSERT_OK(set_flags(app, FS_APPEND_FL));
        ASSERT_OK(set_flags(dir, FS_IMMUTABLE_FL | FS_APPEND_FL));
        ASSERT_ERROR(unlinkat(top, "immutable", 0) < 0 ? -errno : 0, EPERM);

        ASSERT_OK(rm_rf_at(tmp, "top"));
        ASSERT_FALSE(exists(tmp, "top"));
}

static void mount_tmpfs(const char *name) {
        _cleanup_free_ char *p = tests_path(name);
        _cleanup_close_ int fd = -EBADF;

        ASSERT_TRUE(mount("tmpfs", p, "tmpfs", 0, "mode=0755") >= 0);
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        make_file(fd, "in-mount");
}

static void assert_in_mount(int tmp, const char *dir) {
        _cleanup_close_ int fd = openat(tmp, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(exists(fd, "in-mount"));
}

TEST(mount_below_is_left_alone) {
        _cleanup_close_ int tmp = -EBADF, top = -EBADF, a = -EBADF, z = -EBADF;
        _cleanup_free_ char *mnt = tests_path("top/m/mnt"), *top_mnt = tests_path("top-mnt");

        tests_enter_mount_namespace();
        tmp = open_tmp();
        top = make_dir(tmp, "top", 0755);
        a = make_dir(top, "a", 0755);
        make_file(a, "file");
        safe_close(make_dir(top, "m", 0755));
        ASSERT_TRUE(mkdirat(tmp, "top/m/mnt", 0755) >= 0);
        mount_tmpfs("top/m/mnt");
        z = make_dir(top, "z", 0755);
        make_file(z, "file");

        /* What is beside the mount goes; the mount and what is in it stay. */
        ASSERT_ERROR(rm_rf_at(tmp, "top"), EBUSY);
        assert_in_mount(tmp, "top/m/mnt");
        ASSERT_FALSE(exists(tmp, "top/a"));
        ASSERT_FALSE(exists(tmp, "top/z"));

        ASSERT_TRUE(umount2(mnt, MNT_DETACH) >= 0);
        ASSERT_OK(rm_rf_at(tmp, "top"));
        ASSERT_FALSE(exists(tmp, "top"));

        /* A mount at the top is refused the same way. */
        ASSERT_TRUE(mkdirat(tmp, "top-mnt", 0755) >= 0);
        mount_tmpfs("top-mnt");
        ASSERT_ERROR(rm_rf_at(tmp, "top-mnt"), EBUSY);
        assert_in_mount(tmp, "top-mnt");
        ASSERT_TRUE(umount2(top_mnt, MNT_DETACH) >= 0);
}

/* A bind mount of the same filesystem has the same st_dev: statx() tells. */
TEST(bind_mount_below_is_left_alone) {
        _cleanup_close_ int tmp = -EBADF, top = -EBADF;
        _cleanup_free_ char *outside = tests_path("outside"), *mnt = tests_path("top/bind");

        tests_enter_mount_namespace();
        tmp = open_tmp();
        setup_outside(tmp);
        top = make_dir(tmp, "top", 0755);
        safe_close(make_dir(top, "bind", 0755));
        make_file(top, "file");
        ASSERT_TRUE(mount(outside, mnt, NULL, MS_BIND, NULL) >= 0);

        ASSERT_ERROR(rm_rf_at(tmp, "top"), EBUSY);
        assert_outside_untouched(tmp);
        ASSERT_FALSE(exists(tmp, "top/file"));
        ASSERT_TRUE(umount2(mnt, MNT_DETACH) >= 0);
        ASSERT_OK(rm_rf_at(tmp, "top"));
        assert_outside_untouched(tmp);
}

/* A chain of n directories "d" below dir_fd/name. */
static void make_chain(int dir_fd, const char *name, unsigned n) {
        int fd = make_dir(dir_fd, name, 0755);

        for (unsigned i = 0; i < n; i++) {
                int next = make_dir(fd, "d", 0755);
                safe_close(fd);
                fd = next;
        }
        safe_close(fd);
}

TEST(depth_limit) {
        _cleanup_close_ int tmp = open_tmp();
        struct rlimit rl;

        /* Each level holds a directory fd (root may raise the hard limit). */
        ASSERT_TRUE(getrlimit(RLIMIT_NOFILE, &rl) >= 0);
        if (rl.rlim_cur < RM_RF_DEPTH_MAX + 64) {
                rl.rlim_cur = RM_RF_DEPTH_MAX + 64;
                rl.rlim_max = MAX(rl.rlim_max, rl.rlim_cur);
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        tests_skip("the limit on open files is below the depth limit, and can't be raised");
        }

        /* The top and 4096 levels below it: refused, and so is removing
         * the levels above. */
        make_chain(tmp, "deep", RM_RF_DEPTH_MAX);
        ASSERT_ERROR(rm_rf_at(tmp, "deep"), ELOOP);
        ASSERT_TRUE(exists(tmp, "deep/d/d"));

        /* From one level down, the top and 4095 levels below it: removed. */
        {
                _cleanup_close_ int deep = openat(tmp, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT_TRUE(deep >= 0);
                ASSERT_OK(rm_rf_at(deep, "d"));
                ASSERT_FALSE(exists(deep, "d"));
        }
        ASSERT_OK(rm_rf_at(tmp, "deep"));
        ASSERT_FALSE(exists(tmp, "deep"));
}
