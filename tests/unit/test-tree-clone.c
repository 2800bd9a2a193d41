/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "caps.h"
#include "fd-util.h"
#include "fileio.h"
#include "string-util.h"
#include "tests.h"
#include "tree-clone.h"

/* TMP/src/tree is cloned to TMP/dst/copy; TMP/canary is a host file that
 * a symlink in the tree points at. */

/* 2001-01-01 and 2001-05-01, with nanoseconds. */
static const struct timespec old_times[2] = { { .tv_sec = 978307200, .tv_nsec = 123456789 },
                                              { .tv_sec = 988675200, .tv_nsec = 987654321 } };

#define MIB (1024 * 1024)

static int make_dir(int dir_fd, const char *name, mode_t mode) {
        int fd;

        ASSERT_TRUE(mkdirat(dir_fd, name, 0700) >= 0);
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(fchmod(fd, mode) >= 0);
        return fd;
}

/* Sets old_times on name (not following it), last of all. */
static void age(int dir_fd, const char *name) {
        ASSERT_TRUE(utimensat(dir_fd, name, old_times, AT_SYMLINK_NOFOLLOW) >= 0);
}

static void make_file(int dir_fd, const char *name, const char *text, mode_t mode) {
        ASSERT_OK(write_string_file_at(dir_fd, name, text, WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, mode));
        ASSERT_TRUE(fchmodat(dir_fd, name, mode, 0) >= 0);
}

/* The top of the tree and the directories for the clone. */
static int setup(int *ret_dst) {
        _cleanup_free_ char *src = tests_path("src"), *dst = tests_path("dst");
        _cleanup_close_ int s = -EBADF;

        ASSERT_TRUE(mkdir(src, 0755) >= 0);
        ASSERT_TRUE(mkdir(dst, 0755) >= 0);
        s = tests_open_dir("src");
        *ret_dst = tests_open_dir("dst");
        return make_dir(s, "tree", 0755);
}

static void clone_ok(int dst, CopyProgress *progress) {
        _cleanup_close_ int src = tests_open_dir("src");
        char *failed_at = NULL;
        int r = tree_clone_at(src, "tree", dst, "copy", progress, &failed_at);

        if (r != 0)
                tests_fail(__FILE__, __LINE__, "clone: %d (%s) at \"%s\"", r, strerror(-r), strna(failed_at));
        ASSERT_NULL(failed_at);
}

/* The same type, mode, owner, size and device number; the times old_times
 * (checked before anything reads it). */
static void assert_same_as(int src, const char *src_name, int dst, const char *name) {
        struct stat a, b;

        ASSERT_TRUE(fstatat(src, src_name, &a, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fstatat(dst, name, &b, AT_SYMLINK_NOFOLLOW) >= 0);
        if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_rdev != b.st_rdev ||
            (!S_ISDIR(a.st_mode) && a.st_size != b.st_size))
                tests_fail(__FILE__, __LINE__, "%s: %o %u:%u %lld copied as %o %u:%u %lld", name, a.st_mode, a.st_uid,
                           a.st_gid, (long long) a.st_size, b.st_mode, b.st_uid, b.st_gid, (long long) b.st_size);
        if (b.st_atim.tv_sec != old_times[0].tv_sec || b.st_atim.tv_nsec != old_times[0].tv_nsec ||
            b.st_mtim.tv_sec != old_times[1].tv_sec || b.st_mtim.tv_nsec != old_times[1].tv_nsec)
                tests_fail(__FILE__, __LINE__, "%s: times %lld.%09ld %lld.%09ld not copied", name,
                           (long long) b.st_atim.tv_sec, b.st_atim.tv_nsec, (long long) b.st_mtim.tv_sec,
                           b.st_mtim.tv_nsec);
        ASSERT_TRUE(a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

static void assert_text(int dir_fd, const char *name, const char *text) {
        _cleanup_free_ char *t = NULL;

        ASSERT_OK(read_full_file_at(dir_fd, name, 4096, &t, NULL));
        ASSERT_STREQ(t, text);
}

static void assert_link(int dir_fd, const char *name, const char *target) {
        char buf[4096];
        ssize_t n = readlinkat(dir_fd, name, buf, sizeof buf - 1);

        if (n < 0)
                tests_fail(__FILE__, __LINE__, "%s is not a symlink: %m", name);
        buf[n] = '\0';
        ASSERT_STREQ(buf, target);
}

/* TMP/top/name */
static char *tree_path(const char *top, const char *name) {
        _cleanup_free_ char *rel = strjoin(top, "/", name);

        ASSERT_NOT_NULL(rel);
        return tests_path(rel);
}

/* The attribute xname of TMP/src/tree/name and of TMP/dst/copy/name: the
 * same bytes (not following symlinks). */
static void assert_same_xattr(const char *name, const char *xname) {
        _cleanup_free_ char *a = tree_path("src/tree", name), *b = tree_path("dst/copy", name);
        char va[256], vb[256];
        ssize_t na = lgetxattr(a, xname, va, sizeof va), nb = lgetxattr(b, xname, vb, sizeof vb);

        if (na < 0)
                tests_fail(__FILE__, __LINE__, "%s of %s: %m", xname, a);
        if (nb != na || memcmp(va, vb, (size_t) na) != 0)
                tests_fail(__FILE__, __LINE__, "%s of %s not copied (%zd bytes, %zd in the source)", xname, b, nb, na);
}

static uint64_t progress_total;

static void count_written(uint64_t bytes, void *userdata) {
        ASSERT_TRUE(userdata == &progress_total);
        progress_total += bytes;
}

static void assert_same(int src, int dst, const char *name) {
        assert_same_as(src, name, dst, name);
}

static void make_sparse(int dir_fd, const char *name) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        char block[4096];
        struct stat st;

        ASSERT_TRUE(fd >= 0);
        memset(block, 'a', sizeof block);
        ASSERT_EQ(pwrite(fd, block, sizeof block, 0), sizeof block);
        memset(block, 'b', sizeof block);
        ASSERT_EQ(pwrite(fd, block, sizeof block, MIB), sizeof block);
        /* and a hole at the end */
        ASSERT_TRUE(ftruncate(fd, 2 * MIB) >= 0);
        ASSERT_TRUE(fstat(fd, &st) >= 0);
        if (st.st_blocks * 512 >= MIB)
                tests_skip("the temporary directory's filesystem makes no holes");
}

/* TMP/src/tree (everything with old_times):
 *     plain           "hello", 0644
 *     sparse          4 KiB of 'a' at 0 and of 'b' at 1 MiB, holes between and up
 *                     to 2 MiB: 0600
 *     h1, sub/h2, h3  three links to one file "linked", 0640
 *     shadow          → /etc/shadow          (copied as it is, never followed)
 *     up              → ../x
 *     fifo            0640
 *     socket          0600
 *     ro/             0555, empty
 *     sticky/         01777
 *     old/            0750, with old/file
 *     sub/            0700
 */
static void setup_basic(int tree) {
        static const char *const names[] = { "plain",  "sparse", "h1",     "shadow", "up", "fifo",
                                             "socket", "ro",     "sticky", "old",    "sub" };
        _cleanup_close_ int sub = -EBADF, ro = -EBADF, sticky = -EBADF, old = -EBADF;

        make_file(tree, "plain", "hello", 0644);
        make_sparse(tree, "sparse");
        make_file(tree, "h1", "linked", 0640);
        sub = make_dir(tree, "sub", 0700);
        ASSERT_TRUE(linkat(tree, "h1", sub, "h2", 0) >= 0);
        ASSERT_TRUE(linkat(tree, "h1", tree, "h3", 0) >= 0);
        ASSERT_TRUE(symlinkat("/etc/shadow", tree, "shadow") >= 0);
        ASSERT_TRUE(symlinkat("../x", tree, "up") >= 0);
        ASSERT_TRUE(mkfifoat(tree, "fifo", 0640) >= 0);
        ASSERT_TRUE(fchmodat(tree, "fifo", 0640, 0) >= 0);
        ASSERT_TRUE(mknodat(tree, "socket", S_IFSOCK | 0600, 0) >= 0);
        ASSERT_TRUE(fchmodat(tree, "socket", 0600, 0) >= 0);
        ro = make_dir(tree, "ro", 0555);
        sticky = make_dir(tree, "sticky", 01777);
        old = make_dir(tree, "old", 0750);
        make_file(old, "file", "old", 0600);

        age(old, "file");
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                age(tree, names[i]);
}

static void assert_sparse_copied(int dst) {
        _cleanup_close_ int fd = openat(dst, "sparse", O_RDONLY | O_CLOEXEC);
        char buf[4096];
        struct stat st;

        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(fstat(fd, &st) >= 0);
        ASSERT_EQ(st.st_size, 2 * MIB);
        if (st.st_blocks * 512 >= 256 * 1024)
                tests_fail(__FILE__, __LINE__, "the hole was filled: %lld blocks", (long long) st.st_blocks);
        ASSERT_EQ(pread(fd, buf, sizeof buf, 0), sizeof buf);
        ASSERT_TRUE(buf[0] == 'a' && buf[4095] == 'a');
        ASSERT_EQ(pread(fd, buf, sizeof buf, MIB / 2), sizeof buf);
        ASSERT_TRUE(buf[0] == 0 && buf[4095] == 0);
        ASSERT_EQ(pread(fd, buf, sizeof buf, MIB), sizeof buf);
        ASSERT_TRUE(buf[0] == 'b' && buf[4095] == 'b');
        ASSERT_EQ(pread(fd, buf, sizeof buf, 2 * MIB - 4096), sizeof buf);
        ASSERT_TRUE(buf[0] == 0 && buf[4095] == 0);
}

static void assert_links_copied(int src, int dst) {
        struct stat a, b, c, s;

        ASSERT_TRUE(fstatat(dst, "h1", &a, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fstatat(dst, "sub/h2", &b, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fstatat(dst, "h3", &c, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fstatat(src, "h1", &s, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(a.st_ino == b.st_ino && a.st_ino == c.st_ino && a.st_dev == b.st_dev);
        ASSERT_EQ(a.st_nlink, 3);
        ASSERT_TRUE(a.st_ino != s.st_ino);
}

TEST(clone_keeps_tree) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, src = -EBADF, copy = -EBADF;
        CopyProgress progress = { .written = count_written, .userdata = &progress_total };
        static const char *const same[] = { "plain", "sparse", "h1", "sub/h2", "h3",  "shadow",  "up",
                                            "fifo",  "socket", "ro", "sticky", "old", "old/file" };

        tree = setup(&dst);
        setup_basic(tree);
        age(tree, ".");
        clone_ok(dst, &progress);

        src = tests_open_dir("src");
        copy = tests_open_dir("dst/copy");
        assert_same_as(src, "tree", dst, "copy");
        for (size_t i = 0; i < ELEMENTSOF(same); i++)
                assert_same(tree, copy, same[i]);
        {
                struct stat st;
                ASSERT_TRUE(fstatat(copy, "sub", &st, AT_SYMLINK_NOFOLLOW) >= 0);
                ASSERT_EQ(st.st_mode, S_IFDIR | 0700);
        }
        assert_link(copy, "shadow", "/etc/shadow");
        assert_link(copy, "up", "../x");
        assert_text(copy, "plain", "hello");
        assert_text(copy, "sub/h2", "linked");
        assert_text(copy, "old/file", "old");
        assert_sparse_copied(copy);
        assert_links_copied(tree, copy);
        /* Data as copied (all of the sparse file where it was shared). */
        ASSERT_TRUE(progress_total >= 4096 * 2 + 5 + 6 && progress_total <= 2 * MIB + 5 + 6 + 3);
}

TEST(top_is_file_or_symlink) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF;
        char *failed_at = NULL;

        tree = setup(&dst);
        setup_basic(tree);
        ASSERT_EQ(tree_clone_at(tree, "plain", dst, "p", NULL, &failed_at), 0);
        assert_same_as(tree, "plain", dst, "p");
        assert_text(dst, "p", "hello");
        /* One of several links: a file of its own at the top. */
        ASSERT_EQ(tree_clone_at(tree, "h3", dst, "h", NULL, NULL), 0);
        assert_same_as(tree, "h3", dst, "h");
        ASSERT_OK(tree_clone_at(tree, "shadow", dst, "s", NULL, NULL));
        assert_same_as(tree, "shadow", dst, "s");
        assert_link(dst, "s", "/etc/shadow");
        ASSERT_OK(tree_clone_at(tree, "fifo", dst, "f", NULL, NULL));
        assert_same_as(tree, "fifo", dst, "f");
        ASSERT_NULL(failed_at);
}

TEST(destination_exists_and_bad_names) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, src = -EBADF;
        char *failed_at = NULL;

        tree = setup(&dst);
        src = tests_open_dir("src");
        make_file(tree, "plain", "hello", 0644);
        make_file(dst, "f", "old", 0644);
        ASSERT_TRUE(mkdirat(dst, "d", 0755) >= 0);
        ASSERT_TRUE(symlinkat("d", dst, "l") >= 0);
        ASSERT_TRUE(symlinkat("nowhere", dst, "dangling") >= 0);

        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "f", NULL, &failed_at), EEXIST);
        ASSERT_STREQ(failed_at, "");
        free(failed_at);
        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "d", NULL, NULL), EEXIST);
        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "l", NULL, NULL), EEXIST);
        ASSERT_ERROR(tree_clone_at(tree, "plain", dst, "dangling", NULL, NULL), EEXIST);
        ASSERT_TRUE(faccessat(dst, "d/plain", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
        assert_text(dst, "f", "old");

        ASSERT_ERROR(tree_clone_at(src, "tree/plain", dst, "x", NULL, NULL), EINVAL);
        ASSERT_ERROR(tree_clone_at(src, "..", dst, "x", NULL, NULL), EINVAL);
        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "a/b", NULL, NULL), EINVAL);
        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "", NULL, NULL), EINVAL);
        ASSERT_ERROR(tree_clone_at(src, "missing", dst, "x", NULL, &failed_at), ENOENT);
        ASSERT_STREQ(failed_at, "");
        free(failed_at);
}

/* A chain of n directories "d" in dir_fd. */
static void make_chain(int dir_fd, unsigned n) {
        int fd = dir_fd;

        for (unsigned i = 0; i < n; i++) {
                int next = make_dir(fd, "d", 0755);
                if (fd != dir_fd)
                        safe_close(fd);
                fd = next;
        }
        if (fd != dir_fd)
                safe_close(fd);
}

TEST(depth_limit) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, src = -EBADF;
        _cleanup_free_ char *expected = NULL;
        char *failed_at = NULL;

        tree = setup(&dst);
        src = tests_open_dir("src");
        make_chain(tree, COPY_DEPTH_MAX - 1);
        ASSERT_EQ(tree_clone_at(src, "tree", dst, "copy", NULL, NULL), 0);

        ASSERT_TRUE(mkdirat(tree, "deep", 0755) >= 0);
        {
                _cleanup_close_ int deep = openat(tree, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT_TRUE(deep >= 0);
                make_chain(deep, COPY_DEPTH_MAX);
        }
        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "copy2", NULL, &failed_at), ELOOP);
        /* "deep" and COPY_DEPTH_MAX - 1 of its "d" */
        expected = strdup("deep");
        for (unsigned i = 1; i < COPY_DEPTH_MAX; i++) {
                char *e = strjoin(expected, "/d");
                ASSERT_NOT_NULL(e);
                free(expected);
                expected = e;
        }
        ASSERT_STREQ(failed_at, expected);
        free(failed_at);
}

/* Root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH reads as anyone. */
static void drop_dac_override(void) {
        if (geteuid() == 0)
                ASSERT_OK(caps_restrict(
                        CAPS_ALL & ~((UINT64_C(1) << CAP_DAC_OVERRIDE) | (UINT64_C(1) << CAP_DAC_READ_SEARCH)), 0));
}

TEST(unreadable_directory) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, src = -EBADF, sub = -EBADF, locked = -EBADF;
        char *failed_at = NULL;

        tree = setup(&dst);
        src = tests_open_dir("src");
        make_file(tree, "a", "a", 0644);
        sub = make_dir(tree, "sub", 0755);
        locked = make_dir(sub, "locked", 0700);
        make_file(locked, "secret", "secret", 0600);
        ASSERT_TRUE(fchmod(locked, 0) >= 0);

        drop_dac_override();
        ASSERT_ERROR(tree_clone_at(src, "tree", dst, "copy", NULL, &failed_at), EACCES);
        ASSERT_STREQ(failed_at, "sub/locked");
        free(failed_at);
        ASSERT_TRUE(fchmod(locked, 0700) >= 0);
}

/* A version 2 file capability blob: cap_net_raw, permitted and effective. */
static void set_capability(int dir_fd, const char *name) {
        struct vfs_cap_data cap = {
                .magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
                .data = { { .permitted = 1U << CAP_NET_RAW } },
        };
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(fsetxattr(fd, "security.capability", &cap, sizeof cap, 0) >= 0);
}

static void set_trusted(const char *name) {
        _cleanup_free_ char *p = tree_path("src/tree", name);

        ASSERT_TRUE(lsetxattr(p, "trusted.berth", name, strlen(name), 0) >= 0);
}

/* TMP/src/tree, owned by 1234:5678 unless said otherwise (everything with
 * old_times):
 *     suid            04755 and cap_net_raw (chown() after either would clear them)
 *     null            the character device 1:3, 0666, trusted.berth
 *     link            → /etc/shadow, trusted.berth
 *     fifo            0600, trusted.berth
 *     sgid/           02750, owned by 0:5678
 *       file          0:0, 02711 (set-group-ID without group execute: mandatory locking once)
 */
TEST(owners_devices_capabilities) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, sgid = -EBADF, copy = -EBADF;
        static const char *const same[] = { "suid", "null", "link", "fifo", "sgid", "sgid/file" };

        if (geteuid() != 0)
                tests_skip("keeping owners, device nodes and file capabilities needs root");
        tree = setup(&dst);
        make_file(tree, "suid", "#!/bin/sh\n", 0755);
        ASSERT_TRUE(fchownat(tree, "suid", 1234, 5678, 0) >= 0);
        ASSERT_TRUE(fchmodat(tree, "suid", 04755, 0) >= 0);
        set_capability(tree, "suid");
        ASSERT_TRUE(mknodat(tree, "null", S_IFCHR | 0666, makedev(1, 3)) >= 0);
        ASSERT_TRUE(fchmodat(tree, "null", 0666, 0) >= 0);
        ASSERT_TRUE(symlinkat("/etc/shadow", tree, "link") >= 0);
        ASSERT_TRUE(mkfifoat(tree, "fifo", 0600) >= 0);
        sgid = make_dir(tree, "sgid", 02750);
        make_file(sgid, "file", "x", 02711);
        ASSERT_TRUE(fchownat(tree, "null", 1234, 5678, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fchownat(tree, "link", 1234, 5678, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fchownat(tree, "fifo", 1234, 5678, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(fchown(sgid, 0, 5678) >= 0);
        ASSERT_TRUE(fchmod(sgid, 02750) >= 0);
        set_trusted("null");
        set_trusted("link");
        set_trusted("fifo");
        age(sgid, "file");
        for (size_t i = 0; i < ELEMENTSOF(same); i++)
                age(tree, same[i]);

        clone_ok(dst, NULL);
        copy = tests_open_dir("dst/copy");
        for (size_t i = 0; i < ELEMENTSOF(same); i++)
                assert_same(tree, copy, same[i]);
        assert_same_xattr("suid", "security.capability");
        assert_same_xattr("null", "trusted.berth");
        assert_same_xattr("link", "trusted.berth");
        assert_same_xattr("fifo", "trusted.berth");
        assert_link(copy, "link", "/etc/shadow");
}

/* A POSIX ACL as the kernel takes it (little-endian, as where this runs):
 * owner rw, user 1234 r, group r, mask r, others nothing. */
struct acl_entry {
        uint16_t tag, perm;
        uint32_t id;
};
static const struct {
        uint32_t version;
        struct acl_entry e[5];
} acl = {
        .version = 2,
        .e = { { 0x01, 6, UINT32_MAX },
               { 0x02, 4, 1234 },
               { 0x04, 4, UINT32_MAX },
               { 0x10, 4, UINT32_MAX },
               { 0x20, 0, UINT32_MAX } },
};

static void set_xattr(const char *name, const char *xname, const void *value, size_t size, const char *why) {
        _cleanup_free_ char *p = tree_path("src/tree", name);

        if (lsetxattr(p, xname, value, size, 0) < 0 && errno == EOPNOTSUPP)
                tests_skip(why);
        ASSERT_TRUE(lgetxattr(p, xname, NULL, 0) >= 0);
}

static void assert_no_xattr(const char *name, const char *xname) {
        _cleanup_free_ char *p = tree_path("dst/copy", name);

        if (lgetxattr(p, xname, NULL, 0) >= 0)
                tests_fail(__FILE__, __LINE__, "%s has %s", p, xname);
        if (errno != ENODATA)
                tests_fail(__FILE__, __LINE__, "%s of %s: %m", xname, p);
}

/* TMP/src/tree:
 *     x       user.test
 *     d/      user.test
 *     acl     an access ACL
 *     dacl/   an access and a default ACL
 *     plain   none
 * and TMP/dst with a default ACL, that the copy must not take. */
TEST(xattrs_and_acls) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, copy = -EBADF;
        _cleanup_free_ char *dst_path = tests_path("dst");
        static const char *const all[] = { "x", "d", "acl", "dacl", "plain" };
        static const char *const no_user_xattrs = "the temporary directory's filesystem has no user attributes";
        static const char *const no_acls = "the temporary directory's filesystem has no POSIX ACLs";

        tree = setup(&dst);
        make_file(tree, "x", "x", 0644);
        safe_close(make_dir(tree, "d", 0755));
        make_file(tree, "acl", "acl", 0644);
        safe_close(make_dir(tree, "dacl", 0755));
        make_file(tree, "plain", "plain", 0644);
        set_xattr("x", "user.test", "value", 5, no_user_xattrs);
        set_xattr("d", "user.test", "dir value", 9, no_user_xattrs);
        set_xattr("acl", "system.posix_acl_access", &acl, sizeof acl, no_acls);
        set_xattr("dacl", "system.posix_acl_access", &acl, sizeof acl, no_acls);
        set_xattr("dacl", "system.posix_acl_default", &acl, sizeof acl, no_acls);
        ASSERT_TRUE(setxattr(dst_path, "system.posix_acl_default", &acl, sizeof acl, 0) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                age(tree, all[i]);
        age(tree, ".");

        clone_ok(dst, NULL);
        copy = tests_open_dir("dst/copy");
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                assert_same(tree, copy, all[i]);
        assert_same_xattr("x", "user.test");
        assert_same_xattr("d", "user.test");
        assert_same_xattr("acl", "system.posix_acl_access");
        assert_same_xattr("dacl", "system.posix_acl_access");
        assert_same_xattr("dacl", "system.posix_acl_default");
        assert_no_xattr("plain", "system.posix_acl_access");
        assert_no_xattr("d", "system.posix_acl_access");
        assert_no_xattr("d", "system.posix_acl_default");
        assert_no_xattr("x", "system.posix_acl_access");
}

/* TMP/src/tree/mnt a tmpfs and TMP/src/tree/bind a bind mount of
 * TMP/outside: both come out as empty directories. */
TEST(mounts_below_copied_empty) {
        _cleanup_free_ char *mnt = tests_path("src/tree/mnt"), *bind = tests_path("src/tree/bind");
        _cleanup_free_ char *outside = tests_path("outside");
        _cleanup_close_ int dst = -EBADF, tree = -EBADF, copy = -EBADF, m = -EBADF, o = -EBADF;
        struct stat st;

        tests_enter_mount_namespace();
        tree = setup(&dst);
        make_file(tree, "file", "file", 0644);
        safe_close(make_dir(tree, "mnt", 0755));
        safe_close(make_dir(tree, "bind", 0755));
        ASSERT_TRUE(mkdir(outside, 0755) >= 0);
        o = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(o >= 0);
        make_file(o, "in-bind", "x", 0644);
        ASSERT_TRUE(mount("tmpfs", mnt, "tmpfs", 0, "mode=0751") >= 0);
        m = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(m >= 0);
        make_file(m, "in-mount", "x", 0644);
        ASSERT_TRUE(mount(outside, bind, NULL, MS_BIND, NULL) >= 0);

        clone_ok(dst, NULL);
        copy = tests_open_dir("dst/copy");
        assert_text(copy, "file", "file");
        ASSERT_TRUE(fstatat(copy, "mnt", &st, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_EQ(st.st_mode, S_IFDIR | 0751);
        ASSERT_EQ(tests_count_entries(copy, "mnt"), 0);
        ASSERT_TRUE(fstatat(copy, "bind", &st, AT_SYMLINK_NOFOLLOW) >= 0);
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(tests_count_entries(copy, "bind"), 0);
}
