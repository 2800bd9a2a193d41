/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "oci-layer.h"
#include "string-util.h"
#include "tar-util.h"
#include "tests.h"

/* Layer tarballs are made here byte by byte (ustar headers, pax records
 * for xattrs), so a test says exactly which entries come in which order. */

typedef struct Tar {
        char *data;
        size_t size;
} Tar;

static void tar_grow(Tar *t, const void *p, size_t n) {
        size_t padded = (n + 511) / 512 * 512;

        t->data = realloc(t->data, t->size + padded);
        ASSERT_NOT_NULL(t->data);
        memset(t->data + t->size, 0, padded);
        if (n > 0)
                memcpy(t->data + t->size, p, n);
        t->size += padded;
}

static void tar_header(Tar *t, const char *name, char type, mode_t mode, unsigned uid, size_t size, const char *link) {
        unsigned char h[512] = {};
        unsigned sum = 0;

        ASSERT_TRUE(strlen(name) < 100 && (!link || strlen(link) < 100));
        memcpy(h, name, strlen(name));
        snprintf((char *) h + 100, 8, "%07o", (unsigned) mode);
        snprintf((char *) h + 108, 8, "%07o", uid);
        snprintf((char *) h + 116, 8, "%07o", uid);
        snprintf((char *) h + 124, 12, "%011zo", size);
        snprintf((char *) h + 136, 12, "%011o", 978307200u);
        h[156] = (unsigned char) type;
        if (link)
                memcpy(h + 157, link, strlen(link));
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memset(h + 148, ' ', 8);
        for (size_t i = 0; i < sizeof h; i++)
                sum += h[i];
        snprintf((char *) h + 148, 8, "%06o", sum);
        tar_grow(t, h, sizeof h);
}

/* A pax header with one record "key=value" for the next entry: the record
 * is "LEN key=value\n", LEN counting its own digits. */
static void tar_pax(Tar *t, const char *key, const char *value) {
        size_t body = 1 + strlen(key) + 1 + strlen(value) + 1, len = body + 1;
        char rec[512];

        while (len != body + (size_t) snprintf(NULL, 0, "%zu", len))
                len = body + (size_t) snprintf(NULL, 0, "%zu", len);
        snprintf(rec, sizeof rec, "%zu %s=%s\n", len, key, value);
        ASSERT_EQ(strlen(rec), len);
        tar_header(t, "PaxHeader", 'x', 0644, 0, len, NULL);
        tar_grow(t, rec, len);
}

static void tar_file(Tar *t, const char *name, mode_t mode, unsigned uid, const char *content) {
        tar_header(t, name, '0', mode, uid, strlen(content), NULL);
        tar_grow(t, content, strlen(content));
}

static void tar_dir(Tar *t, const char *name, mode_t mode, unsigned uid) {
        tar_header(t, name, '5', mode, uid, 0, NULL);
}

static void tar_empty(Tar *t, const char *name) {
        tar_header(t, name, '0', 0644, 0, 0, NULL);
}

/* The end: two zero blocks, and padding to a 10K record as tar writes. */
static void tar_end(Tar *t) {
        static const char zeros[1024];

        tar_grow(t, zeros, sizeof zeros);
        while (t->size % 10240 != 0)
                tar_grow(t, zeros, 512);
}

/* TMP/name holding the tarball (ended), opened for reading. */
static int tar_save(Tar *t, const char *name) {
        char *path = tests_path(name);
        int fd;

        tar_end(t);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(loop_write(fd, t->data, t->size));
        ASSERT_TRUE(lseek(fd, 0, SEEK_SET) == 0);
        free(t->data);
        free(path);
        *t = (Tar) {};
        return fd;
}

/* A new empty directory TMP/name. */
static int new_dir(const char *name) {
        char *path = tests_path(name);

        ASSERT_TRUE(mkdir(path, 0755) >= 0);
        free(path);
        return tests_open_dir(name);
}

/* Unpacks; the error text (NULL on success) is returned in *ret_error. */
static int unpack(int in_fd, int dir_fd, char blob[SHA256_HEX_SIZE], char diff[SHA256_HEX_SIZE], char **ret_error) {
        int r = oci_layer_unpack(in_fd, dir_fd, UINT64_MAX, NULL, blob, diff, ret_error);

        if (r == -EOPNOTSUPP)
                tests_skip("libarchive or libcrypto is not installed");
        return r;
}

static void unpack_ok(int in_fd, int dir_fd) {
        char *error = NULL;
        int r = unpack(in_fd, dir_fd, NULL, NULL, &error);

        if (r < 0)
                tests_fail(__FILE__, __LINE__, "unpacking: %s (%s)", strerror(-r), strna(error));
        ASSERT_NULL(error);
}

static void need_root(const char *why) {
        if (geteuid() != 0)
                tests_skip(why);
}

static bool is_whiteout_at(int dir_fd, const char *path) {
        struct stat st;

        return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISCHR(st.st_mode) &&
               st.st_rdev == makedev(0, 0);
}

#define ASSERT_MODE_OWNER(dir_fd, path, mode, uid)                                       \
        do {                                                                             \
                struct stat _st;                                                         \
                ASSERT_OK(RET_NERRNO(fstatat(dir_fd, path, &_st, AT_SYMLINK_NOFOLLOW))); \
                ASSERT_EQ(_st.st_mode, mode);                                            \
                ASSERT_EQ(_st.st_uid, uid);                                              \
        } while (0)

static bool exists_at(int dir_fd, const char *path) {
        struct stat st;

        return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}

/* The value of the xattr (not following), "" if it has none. */
static const char *xattr_at(int dir_fd, const char *path, const char *attr) {
        static char buf[256];
        char p[512];
        ssize_t n;

        snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dir_fd, path);
        n = lgetxattr(p, attr, buf, sizeof buf - 1);
        buf[n < 0 ? 0 : n] = '\0';
        return buf;
}

static char *content_at(int dir_fd, const char *path) {
        char *c = NULL;

        ASSERT_OK(read_full_file_at(dir_fd, path, 1024 * 1024, &c, NULL));
        return c;
}

TEST(unpack_plain_entries) {
        _cleanup_close_ int in = -EBADF, dir = new_dir("layer");
        char blob[SHA256_HEX_SIZE], diff[SHA256_HEX_SIZE], whole[SHA256_HEX_SIZE];
        char *error = NULL, *c;
        struct stat st, st2;
        Tar t = {};

        need_root("numeric owners need root");
        tar_dir(&t, "./", 0755, 0);
        tar_dir(&t, "./etc/", 0750, 1000);
        tar_pax(&t, "SCHILY.xattr.user.berth", "yes");
        tar_file(&t, "./etc/hostname", 0640, 1000, "layer\n");
        tar_header(&t, "./etc/hostname2", '1', 0640, 1000, 0, "./etc/hostname");
        tar_header(&t, "./etc/link", '2', 0777, 0, 0, "hostname");
        in = tar_save(&t, "layer.tar");
        ASSERT_OK(unpack(in, dir, blob, diff, &error));
        ASSERT_NULL(error);

        /* uncompressed: the blob is the tar */
        ASSERT_OK(sha256_fd(in, whole));
        ASSERT_STREQ(blob, whole);
        ASSERT_STREQ(diff, whole);
        ASSERT_TRUE(sha256_hex_is_valid(diff));

        ASSERT_MODE_OWNER(dir, "etc", S_IFDIR | 0750, 1000);
        ASSERT_OK(fstatat(dir, "etc/hostname", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode, S_IFREG | 0640);
        ASSERT_EQ(st.st_mtime, 978307200);
        ASSERT_EQ(st.st_nlink, 2);
        ASSERT_OK(fstatat(dir, "etc/hostname2", &st2, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_ino, st2.st_ino);
        ASSERT_STREQ(xattr_at(dir, "etc/hostname", "user.berth"), "yes");
        c = content_at(dir, "etc/hostname");
        ASSERT_STREQ(c, "layer\n");
        free(c);
        ASSERT_OK(fstatat(dir, "etc/link", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISLNK(st.st_mode));
}

TEST(unpack_whiteouts) {
        _cleanup_close_ int in = -EBADF, dir = new_dir("layer");
        Tar t = {};

        tar_dir(&t, "etc/", 0755, 0);
        tar_empty(&t, "etc/.wh.gone");
        tar_empty(&t, ".wh.top");
        /* in a directory the tar names no entry for */
        tar_empty(&t, "usr/share/.wh.doc");
        /* named as GNU tar does */
        tar_empty(&t, "./etc/.wh.dotted");
        in = tar_save(&t, "layer.tar");
        unpack_ok(in, dir);
        ASSERT_TRUE(is_whiteout_at(dir, "etc/gone"));
        ASSERT_TRUE(is_whiteout_at(dir, "top"));
        ASSERT_TRUE(is_whiteout_at(dir, "usr/share/doc"));
        ASSERT_FALSE(exists_at(dir, "etc/.wh.gone"));
        ASSERT_FALSE(exists_at(dir, ".wh.top"));
        ASSERT_TRUE(is_whiteout_at(dir, "etc/dotted"));
        ASSERT_EQ(tests_count_entries(dir, "etc"), 2);
}

/* The layer's own entry of the same name wins over its whiteout, in either
 * order, whatever its type. */
TEST(unpack_whiteout_and_same_name) {
        _cleanup_close_ int in = -EBADF, dir = new_dir("layer");
        char *c;
        Tar t = {};

        tar_empty(&t, ".wh.first");
        tar_file(&t, "first", 0644, 0, "kept\n");
        tar_file(&t, "second", 0644, 0, "kept too\n");
        tar_empty(&t, ".wh.second");
        tar_empty(&t, ".wh.dir");
        tar_dir(&t, "dir/", 0700, 0);
        tar_file(&t, "dir/inside", 0644, 0, "x");
        in = tar_save(&t, "layer.tar");
        unpack_ok(in, dir);
        c = content_at(dir, "first");
        ASSERT_STREQ(c, "kept\n");
        free(c);
        c = content_at(dir, "second");
        ASSERT_STREQ(c, "kept too\n");
        free(c);
        ASSERT_TRUE(exists_at(dir, "dir/inside"));
        ASSERT_EQ(tests_count_entries(dir, "."), 3);
}

/* ".wh..wh..opq" before the directory's own entry and its siblings, and
 * after them: the directory is opaque, with its own mode and owner. */
TEST(unpack_opaque_before_and_after) {
        _cleanup_close_ int in = -EBADF, dir = new_dir("layer");
        Tar t = {};

        need_root("trusted.* xattrs need root");
        tar_empty(&t, "before/.wh..wh..opq");
        tar_file(&t, "before/a", 0644, 0, "a");
        tar_dir(&t, "before/", 0750, 42);
        tar_dir(&t, "after/", 0705, 43);
        tar_file(&t, "after/b", 0644, 0, "b");
        tar_empty(&t, "after/.wh..wh..opq");
        tar_dir(&t, "plain/", 0755, 0);
        tar_empty(&t, ".wh..wh..opq"); /* the top itself */
        in = tar_save(&t, "layer.tar");
        unpack_ok(in, dir);
        ASSERT_STREQ(xattr_at(dir, "before", "trusted.overlay.opaque"), "y");
        ASSERT_STREQ(xattr_at(dir, "after", "trusted.overlay.opaque"), "y");
        ASSERT_STREQ(xattr_at(dir, "plain", "trusted.overlay.opaque"), "");
        ASSERT_STREQ(xattr_at(dir, ".", "trusted.overlay.opaque"), "y");
        ASSERT_MODE_OWNER(dir, "before", S_IFDIR | 0750, 42);
        ASSERT_MODE_OWNER(dir, "after", S_IFDIR | 0705, 43);
        ASSERT_TRUE(exists_at(dir, "before/a"));
        ASSERT_TRUE(exists_at(dir, "after/b"));
        ASSERT_EQ(tests_count_entries(dir, "before"), 1);
        ASSERT_EQ(tests_count_entries(dir, "after"), 1);
}

/* The tar (with a good entry first) is refused with error (0: any, where
 * libarchive refuses, with an errno of its choice), and the error text
 * names the entry. Each case unpacks into a new directory TMP/dir. */
static void refused(Tar *t, const char *dir_name, int error, const char *entry) {
        _cleanup_close_ int in = -EBADF, dir = new_dir(dir_name);
        char *e = NULL;
        int r;

        in = tar_save(t, "refused.tar");
        r = unpack(in, dir, NULL, NULL, &e);
        if (error == 0 ? r >= 0 : r != -error)
                tests_fail(__FILE__, __LINE__, "'%s': %s, expected %s (%s)", entry, strerror(-r), strerror(error),
                           strna(e));
        ASSERT_NOT_NULL(e);
        if (!strstr(e, entry))
                tests_fail(__FILE__, __LINE__, "'%s' not named in: %s", entry, e);
        free(e);
}

static Tar good_start(void) {
        Tar t = {};

        tar_file(&t, "good", 0644, 0, "fine");
        return t;
}

TEST(unpack_refuses) {
        Tar t;

        t = good_start();
        tar_file(&t, "../x", 0644, 0, "out");
        refused(&t, "dotdot", EPERM, "../x");

        t = good_start();
        tar_file(&t, "/abs", 0644, 0, "out");
        refused(&t, "absolute", EPERM, "/abs");

        t = good_start();
        tar_empty(&t, "etc/.wh..wh.foo");
        refused(&t, "wh-wh", EPERM, "etc/.wh..wh.foo");

        t = good_start();
        tar_empty(&t, ".wh.");
        refused(&t, "wh-empty", EPERM, ".wh.");

        t = good_start();
        tar_file(&t, ".wh.dir/file", 0644, 0, "x");
        refused(&t, "wh-dir", EPERM, ".wh.dir/file");

        t = good_start();
        tar_pax(&t, "SCHILY.xattr.trusted.overlay.opaque", "y");
        tar_dir(&t, "d/", 0755, 0);
        refused(&t, "xattr", EPERM, "d/");

        t = good_start();
        tar_pax(&t, "SCHILY.xattr.trusted.overlay.redirect", "/elsewhere");
        tar_file(&t, "f", 0644, 0, "x");
        refused(&t, "xattr2", EPERM, "f");

        /* through a symlink of the archive: a file, and a whiteout */
        t = good_start();
        tar_header(&t, "link", '2', 0777, 0, 0, "/tmp");
        tar_file(&t, "link/escaped", 0644, 0, "x");
        refused(&t, "symlink", 0, "link/escaped");
        t = good_start();
        tar_header(&t, "link", '2', 0777, 0, 0, ".");
        tar_empty(&t, "link/.wh.good");
        refused(&t, "symlink-wh", EPERM, "link/.wh.good");
        t = good_start();
        tar_header(&t, "link", '2', 0777, 0, 0, "/tmp");
        tar_empty(&t, "link/.wh..wh..opq");
        refused(&t, "symlink-opq", EPERM, "link/.wh..wh..opq");
}

TEST(unpack_max_bytes) {
        _cleanup_close_ int in = -EBADF, dir = new_dir("layer");
        char *e = NULL;
        Tar t = {};
        int r;

        tar_file(&t, "a", 0644, 0, "0123456789");
        tar_file(&t, "b", 0644, 0, "0123456789");
        in = tar_save(&t, "layer.tar");
        r = oci_layer_unpack(in, dir, 15, NULL, NULL, NULL, &e);
        if (r == -EOPNOTSUPP)
                tests_skip("libarchive is not installed");
        ASSERT_ERROR(r, ENOSPC);
        ASSERT_TRUE(e && strstr(e, "'b'"));
        free(e);
}

TEST(unpack_garbage) {
        _cleanup_close_ int in = -EBADF, dir = new_dir("layer");
        char *e = NULL, *path = tests_path("garbage");
        int r;

        ASSERT_OK(write_string_file(path, "this is not a tar at all, and a bit longer than a few bytes\n",
                                    WRITE_FILE_CREATE));
        in = open(path, O_RDONLY | O_CLOEXEC);
        r = unpack(in, dir, NULL, NULL, &e);
        ASSERT_TRUE(r < 0);
        ASSERT_NOT_NULL(e);
        free(e);
        free(path);
}

/* A tar with a bit of everything, as TMP/name. */
static int sample_layer(const char *name) {
        Tar t = {};

        tar_dir(&t, "etc/", 0755, 0);
        tar_file(&t, "etc/hostname", 0644, 0, "sample\n");
        tar_empty(&t, "etc/.wh.motd");
        tar_dir(&t, "var/", 0755, 0);
        tar_empty(&t, "var/.wh..wh..opq");
        tar_file(&t, "var/new", 0600, 0, "new\n");
        return tar_save(&t, name);
}

/* TMP/name.SUFFIX, compressed by the command, opened. */
static int compressed(const char *name, const char *command, const char *suffix) {
        char *in = tests_path(name), *cmd = NULL;
        int fd;

        ASSERT_TRUE(asprintf(&cmd, "%s <'%s' >'%s%s'", command, in, in, suffix) > 0);
        ASSERT_EQ(system(cmd), 0);
        free(cmd);
        cmd = strjoin_real(in, suffix, NULL);
        fd = open(cmd, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        free(cmd);
        free(in);
        return fd;
}

static void compressed_same_diff_id(const char *command, const char *suffix) {
        _cleanup_close_ int tar = -EBADF, blob = -EBADF, dir = -EBADF;
        char blob_digest[SHA256_HEX_SIZE], diff[SHA256_HEX_SIZE], want_blob[SHA256_HEX_SIZE],
                want_diff[SHA256_HEX_SIZE], *error = NULL;

        need_root("trusted.* xattrs need root");
        tar = sample_layer("sample.tar");
        ASSERT_OK(sha256_fd(tar, want_diff));
        blob = compressed("sample.tar", command, suffix);
        ASSERT_OK(sha256_fd(blob, want_blob));
        ASSERT_TRUE(strcmp(want_blob, want_diff) != 0);
        dir = new_dir(suffix);
        ASSERT_OK(unpack(blob, dir, blob_digest, diff, &error));
        ASSERT_STREQ(blob_digest, want_blob);
        ASSERT_STREQ(diff, want_diff);
        ASSERT_TRUE(is_whiteout_at(dir, "etc/motd"));
        ASSERT_STREQ(xattr_at(dir, "var", "trusted.overlay.opaque"), "y");
        /* all of the blob was read */
        ASSERT_EQ(lseek(blob, 0, SEEK_CUR), lseek(blob, 0, SEEK_END));
}

TEST(unpack_gzip) {
        compressed_same_diff_id("gzip -n -c", ".gz");
}

TEST(unpack_zstd) {
        if (system("zstd --version >/dev/null 2>&1") != 0)
                tests_skip("no zstd command to compress with");
        compressed_same_diff_id("zstd -q -c", ".zst");
}

/* Data after the tar's end (a record's padding, or more) counts in both
 * digests, as the whole blob is the layer. */
TEST(unpack_trailing_data) {
        _cleanup_close_ int tar = -EBADF, dir = new_dir("layer");
        char blob[SHA256_HEX_SIZE], diff[SHA256_HEX_SIZE], want[SHA256_HEX_SIZE], *error = NULL;
        Tar t = {};

        tar_file(&t, "a", 0644, 0, "a");
        tar = tar_save(&t, "layer.tar");
        ASSERT_TRUE(lseek(tar, 0, SEEK_END) > 0);
        ASSERT_OK(loop_write(tar, "trailing", 8));
        ASSERT_TRUE(lseek(tar, 0, SEEK_SET) == 0);
        ASSERT_OK(sha256_fd(tar, want));
        ASSERT_OK(unpack(tar, dir, blob, diff, &error));
        ASSERT_STREQ(blob, want);
        ASSERT_STREQ(diff, want);

        /* but not much more of it than max_bytes (beyond what was read
         * ahead with the tar's last block) */
        ASSERT_OK(ftruncate(tar, 1024 * 1024));
        ASSERT_TRUE(lseek(tar, 0, SEEK_SET) == 0);
        close(TAKE_FD(dir));
        dir = new_dir("again");
        ASSERT_ERROR(oci_layer_unpack(tar, dir, 10, NULL, NULL, NULL, &error), EFBIG);
        ASSERT_NOT_NULL(error);
        free(error);
}

/* Packing writes TMP/name, and gives its fd (at its start). */
static int pack(int dir_fd, const char *name, OciPackFilter filter, char diff[SHA256_HEX_SIZE], char **ret_error,
                int *ret) {
        char *path = tests_path(name);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        uint64_t size = 0;

        ASSERT_TRUE(fd >= 0);
        *ret = oci_layer_pack(dir_fd, fd, filter, NULL, NULL, diff, &size, ret_error);
        if (*ret == -EOPNOTSUPP)
                tests_skip("libarchive or libcrypto is not installed");
        if (*ret >= 0)
                ASSERT_EQ(size, (uint64_t) lseek(fd, 0, SEEK_END));
        ASSERT_TRUE(lseek(fd, 0, SEEK_SET) == 0);
        free(path);
        return fd;
}

static int pack_ok(int dir_fd, const char *name, OciPackFilter filter, char diff[SHA256_HEX_SIZE]) {
        char *error = NULL, check[SHA256_HEX_SIZE];
        int r, fd = pack(dir_fd, name, filter, diff, &error, &r);

        if (r < 0)
                tests_fail(__FILE__, __LINE__, "packing: %s (%s)", strerror(-r), strna(error));
        ASSERT_OK(sha256_fd(fd, check));
        ASSERT_STREQ(check, diff);
        return fd;
}

static bool same_bytes(int a, int b) {
        char *x = NULL, *y = NULL;
        size_t nx = 0, ny = 0;
        bool same;

        ASSERT_OK(read_full_fd(a, 64 * 1024 * 1024, &x, &nx));
        ASSERT_OK(read_full_fd(b, 64 * 1024 * 1024, &y, &ny));
        same = nx == ny && memcmp(x, y, nx) == 0;
        free(x);
        free(y);
        return same;
}

static bool file_has(int fd, const char *needle) {
        char *x = NULL;
        size_t n = 0;
        bool found;

        ASSERT_TRUE(lseek(fd, 0, SEEK_SET) == 0);
        ASSERT_OK(read_full_fd(fd, 64 * 1024 * 1024, &x, &n));
        found = memmem(x, n, needle, strlen(needle)) != NULL;
        free(x);
        ASSERT_TRUE(lseek(fd, 0, SEEK_SET) == 0);
        return found;
}

/* An upper directory as overlayfs leaves it: the sample layer unpacked,
 * plus a hard link, a user xattr, overlayfs's own xattrs, and the xattr
 * kind of whiteout. */
static int upper_tree(void) {
        _cleanup_close_ int tar = sample_layer("upper.tar");
        int dir = new_dir("upper");
        char p[512];

        unpack_ok(tar, dir);
        ASSERT_OK(linkat(dir, "etc/hostname", dir, "etc/hostname.link", 0));
        ASSERT_OK(mknodat(dir, "etc/xwhiteout", S_IFREG | 0644, 0));
        snprintf(p, sizeof p, "/proc/self/fd/%d/etc/xwhiteout", dir);
        ASSERT_OK(lsetxattr(p, "trusted.overlay.whiteout", "", 0, 0));
        snprintf(p, sizeof p, "/proc/self/fd/%d/etc/hostname", dir);
        ASSERT_OK(lsetxattr(p, "trusted.overlay.origin", "\0\1\2", 3, 0));
        ASSERT_OK(lsetxattr(p, "user.kept", "yes", 3, 0));
        ASSERT_OK(symlinkat("hostname", dir, "etc/name"));
        return dir;
}

TEST(pack_round_trip) {
        _cleanup_close_ int upper = -EBADF, packed = -EBADF, again = -EBADF, plain = -EBADF;
        char diff[SHA256_HEX_SIZE], diff2[SHA256_HEX_SIZE], blob[SHA256_HEX_SIZE], *error = NULL;
        struct stat st, st2;

        need_root("trusted.* xattrs need root");
        upper = upper_tree();
        packed = pack_ok(upper, "packed.tar", NULL, diff);
        ASSERT_FALSE(file_has(packed, "trusted.overlay"));
        ASSERT_TRUE(file_has(packed, "user.kept"));
        ASSERT_FALSE(file_has(packed, "atime"));
        ASSERT_FALSE(file_has(packed, "ctime"));

        /* as a plain tarball: whiteouts are ".wh." files, the opaque marker
         * one more in its directory */
        plain = new_dir("plain");
        ASSERT_OK(tar_unpack(packed, plain, UINT64_MAX, NULL, &error));
        ASSERT_OK(fstatat(plain, "etc/.wh.motd", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISREG(st.st_mode) && st.st_size == 0);
        ASSERT_TRUE(exists_at(plain, "etc/.wh.xwhiteout"));
        ASSERT_FALSE(exists_at(plain, "etc/xwhiteout"));
        ASSERT_FALSE(exists_at(plain, "etc/motd"));
        ASSERT_TRUE(exists_at(plain, "var/.wh..wh..opq"));
        ASSERT_STREQ(xattr_at(plain, "var", "trusted.overlay.opaque"), "");
        ASSERT_STREQ(xattr_at(plain, "etc/hostname", "user.kept"), "yes");
        ASSERT_OK(fstatat(plain, "etc/hostname", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_OK(fstatat(plain, "etc/hostname.link", &st2, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_ino, st2.st_ino);

        /* and as a layer again: the same whiteouts, the same digest */
        ASSERT_TRUE(lseek(packed, 0, SEEK_SET) == 0);
        again = new_dir("again");
        ASSERT_OK(unpack(packed, again, blob, diff2, &error));
        ASSERT_STREQ(diff2, diff);
        ASSERT_TRUE(is_whiteout_at(again, "etc/motd"));
        ASSERT_TRUE(is_whiteout_at(again, "etc/xwhiteout"));
        ASSERT_STREQ(xattr_at(again, "var", "trusted.overlay.opaque"), "y");
        ASSERT_STREQ(xattr_at(again, "etc/hostname", "trusted.overlay.origin"), "");
        ASSERT_TRUE(exists_at(again, "etc/name"));
        ASSERT_EQ(tests_count_entries(again, "var"), 1);
}

/* The same tree packs to the same bytes: again, and in another process. */
TEST(pack_is_reproducible) {
        _cleanup_close_ int upper = -EBADF, one = -EBADF, two = -EBADF, three = -EBADF;
        char diff[SHA256_HEX_SIZE], diff2[SHA256_HEX_SIZE], *path;
        int status;
        pid_t pid;

        need_root("trusted.* xattrs need root");
        upper = upper_tree();
        one = pack_ok(upper, "one.tar", NULL, diff);
        two = pack_ok(upper, "two.tar", NULL, diff2);
        ASSERT_STREQ(diff, diff2);
        ASSERT_TRUE(same_bytes(one, two));
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                char d[SHA256_HEX_SIZE];

                (void) pack_ok(upper, "three.tar", NULL, d);
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        path = tests_path("three.tar");
        three = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(three >= 0);
        free(path);
        ASSERT_TRUE(lseek(one, 0, SEEK_SET) == 0);
        ASSERT_TRUE(same_bytes(one, three));
}

static OciPackAction identity_filter(const char *path, const struct stat *st, void *userdata) {
        if (streq(path, "etc/machine-id"))
                return OCI_PACK_EMPTY;
        if (streq(path, "etc/ssh") || streq(path, "var/lib/systemd/random-seed"))
                return OCI_PACK_SKIP;
        return OCI_PACK_KEEP;
}

TEST(pack_filter) {
        _cleanup_close_ int dir = new_dir("tree"), packed = -EBADF, out = new_dir("out");
        char diff[SHA256_HEX_SIZE], *error = NULL;
        struct stat st;

        ASSERT_OK(mkdirat(dir, "etc", 0755));
        ASSERT_OK(mkdirat(dir, "etc/ssh", 0755));
        ASSERT_OK(mkdirat(dir, "var", 0755));
        ASSERT_OK(mkdirat(dir, "var/lib", 0755));
        ASSERT_OK(mkdirat(dir, "var/lib/systemd", 0755));
        ASSERT_OK(write_string_file_at(dir, "etc/machine-id", "0123456789abcdef0123456789abcdef", WRITE_FILE_CREATE,
                                       0444));
        ASSERT_OK(write_string_file_at(dir, "etc/ssh/ssh_host_ed25519_key", "secret", WRITE_FILE_CREATE, 0600));
        ASSERT_OK(write_string_file_at(dir, "var/lib/systemd/random-seed", "seed", WRITE_FILE_CREATE, 0600));
        ASSERT_OK(write_string_file_at(dir, "var/lib/systemd/kept", "kept", WRITE_FILE_CREATE, 0644));
        packed = pack_ok(dir, "filtered.tar", identity_filter, diff);
        ASSERT_FALSE(file_has(packed, "secret"));
        ASSERT_FALSE(file_has(packed, "0123456789abcdef"));
        ASSERT_OK(tar_unpack(packed, out, UINT64_MAX, NULL, &error));
        ASSERT_OK(fstatat(out, "etc/machine-id", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISREG(st.st_mode) && st.st_size == 0);
        ASSERT_EQ(st.st_mode & 07777, 0444);
        ASSERT_FALSE(exists_at(out, "etc/ssh"));
        ASSERT_FALSE(exists_at(out, "var/lib/systemd/random-seed"));
        ASSERT_TRUE(exists_at(out, "var/lib/systemd/kept"));
}

TEST(pack_refuses_whiteout_names) {
        _cleanup_close_ int dir = new_dir("tree"), packed = -EBADF;
        char diff[SHA256_HEX_SIZE], *error = NULL;
        int r;

        ASSERT_OK(mkdirat(dir, "etc", 0755));
        ASSERT_OK(write_string_file_at(dir, "etc/.wh.sneaky", "x", WRITE_FILE_CREATE, 0644));
        packed = pack(dir, "refused.tar", NULL, diff, &error, &r);
        ASSERT_ERROR(r, EINVAL);
        ASSERT_TRUE(error && strstr(error, "etc/.wh.sneaky"));
        free(error);
}

/* What overlayfs makes of an unpacked layer: over a lower layer, a whiteout
 * hides a file, an opaque directory all the lower one held. */
TEST(overlayfs_takes_the_layer) {
        _cleanup_close_ int lower = new_dir("lower"), tar = -EBADF, layer = new_dir("layer"), merged = -EBADF;
        char *options = NULL, *lp = tests_path("lower"), *up = tests_path("layer"), *mp = tests_path("merged");

        need_root("mounting overlayfs with trusted.* xattrs needs root");
        ASSERT_OK(mkdirat(lower, "etc", 0755));
        ASSERT_OK(mkdirat(lower, "var", 0755));
        ASSERT_OK(write_string_file_at(lower, "etc/motd", "old", WRITE_FILE_CREATE, 0644));
        ASSERT_OK(write_string_file_at(lower, "etc/issue", "stays", WRITE_FILE_CREATE, 0644));
        ASSERT_OK(write_string_file_at(lower, "var/old", "hidden", WRITE_FILE_CREATE, 0644));
        tar = sample_layer("layer.tar");
        unpack_ok(tar, layer);
        ASSERT_OK(mkdir(mp, 0755));
        tests_enter_mount_namespace();
        ASSERT_TRUE(asprintf(&options, "lowerdir=%s:%s", up, lp) > 0);
        if (mount("overlay", mp, "overlay", MS_RDONLY, options) < 0)
                tests_fail(__FILE__, __LINE__, "mount overlay %s: %s", options, strerror(errno));
        merged = tests_open_dir("merged");
        ASSERT_FALSE(exists_at(merged, "etc/motd"));
        ASSERT_TRUE(exists_at(merged, "etc/issue"));
        ASSERT_TRUE(exists_at(merged, "etc/hostname"));
        ASSERT_FALSE(exists_at(merged, "var/old"));
        ASSERT_TRUE(exists_at(merged, "var/new"));
        close(TAKE_FD(merged));
        ASSERT_OK(umount2(mp, MNT_DETACH));
        free(options);
        free(lp);
        free(up);
        free(mp);
}
