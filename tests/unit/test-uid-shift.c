/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fileio.h"
#include "string-util.h"
#include "tests.h"
#include "uid-shift.h"

#define BASE 0x80000

TEST(remember) {
        _cleanup_free_ char *dir = tests_path("tree");
        _cleanup_close_ int fd = -EBADF;
        uid_t base;

        ASSERT_OK(RET_NERRNO(mkdir(dir, 0755)));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_ERROR(uid_shift_read(fd, &base), ENODATA);
        ASSERT_OK(uid_shift_write(fd, BASE));
        ASSERT_OK(uid_shift_read(fd, &base));
        ASSERT_EQ(base, BASE);
        ASSERT_OK(uid_shift_write(fd, 2 * BASE));
        ASSERT_OK(uid_shift_read(fd, &base));
        ASSERT_EQ(base, 2 * BASE);
}

static char *make(const char *dir, const char *name, mode_t type, uid_t uid, gid_t gid) {
        char *p = strjoin(dir, "/", name);

        ASSERT_NOT_NULL(p);
        if (type == S_IFDIR)
                ASSERT_OK(RET_NERRNO(mkdir(p, 0755)));
        else if (type == S_IFLNK)
                ASSERT_OK(RET_NERRNO(symlink("target", p)));
        else
                ASSERT_OK(write_string_file_at(AT_FDCWD, p, "x", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, 0644));
        ASSERT_OK(RET_NERRNO(lchown(p, uid, gid)));
        return p;
}

static void assert_owner(const char *p, uid_t uid, gid_t gid) {
        struct stat st;

        ASSERT_OK(RET_NERRNO(lstat(p, &st)));
        ASSERT_EQ(st.st_uid, uid);
        ASSERT_EQ(st.st_gid, gid);
}

TEST(shift_tree) {
        _cleanup_free_ char *dir = tests_path("tree"), *root_file = NULL, *user_file = NULL, *outside = NULL,
                            *link = NULL, *sub = NULL, *deep = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (geteuid() != 0)
                tests_skip("chowning into a 64K range needs root");

        ASSERT_OK(RET_NERRNO(mkdir(dir, 0755)));
        root_file = make(dir, "root", S_IFREG, 0, 0);
        user_file = make(dir, "user", S_IFREG, 5, 7);
        outside = make(dir, "outside", S_IFREG, 70000, 70000); /* not in the 64K range: left alone */
        link = make(dir, "link", S_IFLNK, 0, 0);               /* the link itself, not its target */
        sub = make(dir, "sub", S_IFDIR, 1000, 1000);
        deep = make(sub, "deep", S_IFREG, 65535, 65535);

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(uid_shift_tree(fd, 0, BASE));
        assert_owner(dir, BASE, BASE);
        assert_owner(root_file, BASE, BASE);
        assert_owner(user_file, BASE + 5, BASE + 7);
        assert_owner(outside, 70000, 70000);
        assert_owner(link, BASE, BASE);
        assert_owner(sub, BASE + 1000, BASE + 1000);
        assert_owner(deep, BASE + 65535, BASE + 65535);

        /* And back. */
        ASSERT_OK(uid_shift_tree(fd, BASE, 0));
        assert_owner(root_file, 0, 0);
        assert_owner(user_file, 5, 7);
        assert_owner(deep, 65535, 65535);
}

TEST(shift_stays_on_its_mount) {
        _cleanup_free_ char *dir = tests_path("tree"), *mnt = NULL, *file = NULL, *inner = NULL,
                            *host = tests_path("host"), *secret = NULL, *bound = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (geteuid() != 0)
                tests_skip("chowning into a 64K range needs root");
        ASSERT_OK(RET_NERRNO(unshare(CLONE_NEWNS)));
        ASSERT_OK(RET_NERRNO(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)));

        ASSERT_OK(RET_NERRNO(mkdir(dir, 0755)));
        file = make(dir, "file", S_IFREG, 0, 0);
        mnt = make(dir, "mnt", S_IFDIR, 0, 0);
        ASSERT_OK(RET_NERRNO(mount("tmpfs", mnt, "tmpfs", 0, "mode=0755")));
        inner = make(mnt, "inner", S_IFREG, 0, 0);
        /* A host directory of the same file system, bound into the tree. */
        ASSERT_OK(RET_NERRNO(mkdir(host, 0755)));
        secret = make(host, "secret", S_IFREG, 0, 0);
        bound = make(dir, "srv", S_IFDIR, 0, 0);
        ASSERT_OK(RET_NERRNO(mount(host, bound, NULL, MS_BIND, NULL)));

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(uid_shift_tree(fd, 0, BASE));
        assert_owner(file, BASE, BASE);
        assert_owner(inner, 0, 0);  /* another file system: not the tree's */
        assert_owner(secret, 0, 0); /* the host's, bound in: not the tree's either */
        assert_owner(host, 0, 0);
}
