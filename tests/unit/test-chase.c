/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "chase.h"
#include "fd-util.h"
#include "fileio.h"
#include "lock-util.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

/* The tree is TMP/a/b/root, so that "../../.." from the root reaches TMP on
 * the host. Its hostile symlinks, and where they would lead on the host:
 *
 *     abs           → /                           the host's /
 *     up            → ../../..                    TMP
 *     abs-tmp       → TMP                         TMP
 *     dangling      → ../../../created-outside    TMP/created-outside
 *     dangling-abs  → TMP/created-outside-abs     TMP/created-outside-abs
 *     host-secret   → TMP/secret                  TMP/secret (exists)
 *
 * TMP/secret is a host file. After each test, TMP must hold exactly what the
 * setup put there: nothing was created or changed outside the root. */

static int setup_tree(void) {
        _cleanup_free_ char *root = tests_path("a/b/root"), *secret = tests_path("secret");
        _cleanup_free_ char *abs_outside = tests_path("created-outside-abs");
        static const char *const links[][2] = {
                { "abs", "/" },
                { "up", "../../.." },
                { "dangling", "../../../created-outside" },
        };
        int fd;

        ASSERT_OK(mkdir_p(root, 0755));
        ASSERT_OK(write_string_file(secret, "host", WRITE_FILE_CREATE));
        ASSERT_TRUE(chmod(secret, 0600) >= 0);

        fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                ASSERT_TRUE(symlinkat(links[i][1], fd, links[i][0]) >= 0);
        ASSERT_TRUE(symlinkat(tests_tmpdir(), fd, "abs-tmp") >= 0);
        ASSERT_TRUE(symlinkat(abs_outside, fd, "dangling-abs") >= 0);
        ASSERT_TRUE(symlinkat(secret, fd, "host-secret") >= 0);
        return fd;
}

/* The names in a directory, sorted, comma-separated. */
static char *dir_names(const char *path) {
        _cleanup_strv_free_ char **l = NULL;
        char *joined = NULL;
        DIR *d = opendir(path);

        if (!d)
                tests_fail(__FILE__, __LINE__, "opendir %s: %m", path);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        ASSERT_OK(strv_extend(&l, de->d_name));
        closedir(d);

        for (size_t i = 0; l && l[i]; i++)
                for (size_t j = i + 1; l[j]; j++)
                        if (strcmp(l[i], l[j]) > 0) {
                                char *t = l[i];
                                l[i] = l[j];
                                l[j] = t;
                        }
        for (size_t i = 0; l && l[i]; i++) {
                char *n = strjoin(joined ?: "", joined ? "," : "", l[i]);
                ASSERT_NOT_NULL(n);
                free(joined);
                joined = n;
        }
        return joined ?: strdup("");
}

static void assert_dir_names(const char *path, const char *expected) {
        _cleanup_free_ char *names = dir_names(path);

        if (!streq(names, expected))
                tests_fail(__FILE__, __LINE__, "%s holds \"%s\", expected \"%s\"", path, names, expected);
}

static void assert_host_untouched(void) {
        _cleanup_free_ char *a = tests_path("a"), *b = tests_path("a/b"), *secret = tests_path("secret");
        _cleanup_free_ char *text = NULL;
        struct stat st;

        assert_dir_names(tests_tmpdir(), "a,secret");
        assert_dir_names(a, "b");
        assert_dir_names(b, "root");
        ASSERT_OK(read_full_file(secret, &text, NULL));
        ASSERT_STREQ(text, "host\n");
        ASSERT_TRUE(stat(secret, &st) >= 0);
        ASSERT_EQ(st.st_mode & 07777, 0600);
}

static bool same_inode(int fd, const char *path) {
        struct stat a, b;

        return fstat(fd, &a) >= 0 && stat(path, &b) >= 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The host path TMP as seen inside the root, e.g. "abs/tmp/berth-unit-N/x":
 * through the "abs" link it would reach TMP/x on the host. */
static char *via_abs(const char *name) {
        char *p = strjoin("abs", tests_tmpdir(), "/", name);

        ASSERT_NOT_NULL(p);
        return p;
}

static char *read_fd(int fd) {
        char *t = NULL;

        ASSERT_OK(read_full_fd(fd, 4096, &t, NULL));
        return t;
}

TEST(open_in_root_does_not_reach_host_files) {
        _cleanup_close_ int root_fd = setup_tree();
        _cleanup_free_ char *abs_secret = via_abs("secret");
        const char *const paths[] = {
                "up/secret", "abs-tmp/secret", abs_secret, "../../../secret", "/../../../secret", "host-secret",
        };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                int fd = -EBADF, r = open_in_root(root_fd, paths[i], O_RDONLY, 0, &fd);
                if (r != -ENOENT)
                        tests_fail(__FILE__, __LINE__, "open_in_root(\"%s\") = %d, expected -ENOENT", paths[i], r);
                ASSERT_EQ(fd, -EBADF);
        }
        assert_host_untouched();
}

TEST(open_in_root_resolves_inside) {
        _cleanup_close_ int root_fd = setup_tree(), self = -EBADF, slash = -EBADF;
        _cleanup_free_ char *root = tests_path("a/b/root"), *inside = tests_path("a/b/root/secret");
        const char *const paths[] = {
                "secret", "/secret", "up/secret", "../../../secret", "abs/secret", "up/up/secret"
        };

        ASSERT_OK(write_string_file(inside, "inside", WRITE_FILE_CREATE));
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_close_ int fd = -EBADF;
                _cleanup_free_ char *t = NULL;

                ASSERT_OK(open_in_root(root_fd, paths[i], O_RDONLY, 0, &fd));
                t = read_fd(fd);
                if (!streq(t, "inside\n"))
                        tests_fail(__FILE__, __LINE__, "open_in_root(\"%s\") opened a file with \"%s\"", paths[i], t);
                ASSERT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        }

        ASSERT_OK(open_in_root(root_fd, "", O_PATH | O_DIRECTORY, 0, &self));
        ASSERT_TRUE(same_inode(self, root));
        ASSERT_OK(open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0, &slash));
        ASSERT_TRUE(same_inode(slash, root));

        unlink(inside);
        assert_host_untouched();
}

TEST(open_in_root_creates_inside) {
        _cleanup_close_ int root_fd = setup_tree(), a = -EBADF, b = -EBADF, c = -EBADF, d = -EBADF;
        _cleanup_free_ char *root = tests_path("a/b/root"), *abs_secret = via_abs("secret");
        _cleanup_free_ char *in_dangling = tests_path("a/b/root/created-outside");
        _cleanup_free_ char *in_up = tests_path("a/b/root/new"), *in_secret = tests_path("a/b/root/secret");

        /* O_CREAT through a dangling link creates its target in the root */
        ASSERT_OK(open_in_root(root_fd, "dangling", O_WRONLY | O_CREAT, 0644, &a));
        ASSERT_TRUE(same_inode(a, in_dangling));

        ASSERT_OK(open_in_root(root_fd, "up/new", O_WRONLY | O_CREAT | O_EXCL, 0644, &b));
        ASSERT_TRUE(same_inode(b, in_up));

        /* O_TRUNC of what would be the host's file */
        ASSERT_OK(open_in_root(root_fd, "up/secret", O_WRONLY | O_CREAT | O_TRUNC, 0644, &c));
        ASSERT_EQ(write(c, "x", 1), 1);
        ASSERT_TRUE(same_inode(c, in_secret));

        /* the link's target directory doesn't exist in the root */
        ASSERT_ERROR(open_in_root(root_fd, "dangling-abs", O_WRONLY | O_CREAT, 0644, &d), ENOENT);
        ASSERT_ERROR(open_in_root(root_fd, abs_secret, O_WRONLY | O_CREAT | O_TRUNC, 0644, &d), ENOENT);

        /* nothing else was made in the root either */
        assert_dir_names(root, "abs,abs-tmp,created-outside,dangling,dangling-abs,host-secret,new,secret,up");
        assert_host_untouched();
}

TEST(mkdir_p_in_root_stays_inside) {
        _cleanup_close_ int root_fd = setup_tree(), fd = -EBADF;
        _cleanup_free_ char *abs_z = via_abs("z"), *xy = tests_path("a/b/root/x/y");
        _cleanup_free_ char *z = NULL, *w = NULL, *v = tests_path("a/b/root/v"), *u = tests_path("a/b/root/u/t");
        struct stat st;

        ASSERT_OK(mkdir_p_in_root(root_fd, "up/x/y", 0755, &fd));
        ASSERT_TRUE(stat(xy, &st) >= 0 && S_ISDIR(st.st_mode));
        ASSERT_TRUE(same_inode(fd, xy));

        /* again: everything exists */
        fd = safe_close(fd);
        ASSERT_OK(mkdir_p_in_root(root_fd, "/x/y/", 0755, &fd));
        ASSERT_TRUE(same_inode(fd, xy));

        ASSERT_OK(mkdir_p_in_root(root_fd, abs_z, 0755, NULL));
        z = strjoin(tests_tmpdir(), "/a/b/root", tests_tmpdir(), "/z");
        ASSERT_TRUE(stat(z, &st) >= 0 && S_ISDIR(st.st_mode));

        ASSERT_OK(mkdir_p_in_root(root_fd, "abs-tmp/w", 0755, NULL));
        w = strjoin(tests_tmpdir(), "/a/b/root", tests_tmpdir(), "/w");
        ASSERT_TRUE(stat(w, &st) >= 0 && S_ISDIR(st.st_mode));

        ASSERT_OK(mkdir_p_in_root(root_fd, "../../../v", 0755, NULL));
        ASSERT_TRUE(stat(v, &st) >= 0 && S_ISDIR(st.st_mode));

        ASSERT_OK(mkdir_p_in_root(root_fd, "up//./u/../u/t", 0755, NULL));
        ASSERT_TRUE(stat(u, &st) >= 0 && S_ISDIR(st.st_mode));

        assert_host_untouched();
}

TEST(mkdir_p_in_root_dangling_link) {
        _cleanup_close_ int root_fd = setup_tree();
        _cleanup_free_ char *in_root = tests_path("a/b/root/created-outside/sub");
        _cleanup_free_ char *in_root_abs = NULL;

        /* Failing is fine, and so is creating the link's target inside
         * the root; creating it on the host is not. */
        if (mkdir_p_in_root(root_fd, "dangling/sub", 0755, NULL) >= 0)
                ASSERT_TRUE(access(in_root, F_OK) >= 0);
        in_root_abs = strjoin(tests_tmpdir(), "/a/b/root", tests_tmpdir(), "/created-outside-abs/sub");
        if (mkdir_p_in_root(root_fd, "dangling-abs/sub", 0755, NULL) >= 0)
                ASSERT_TRUE(access(in_root_abs, F_OK) >= 0);

        assert_host_untouched();
}

TEST(make_mount_point_in_root_stays_inside) {
        _cleanup_close_ int root_fd = setup_tree(), f = -EBADF, d = -EBADF, s = -EBADF;
        _cleanup_free_ char *conf = tests_path("a/b/root/etc/resolv.conf"), *mnt = NULL, *abs_mnt = NULL;
        _cleanup_free_ char *in_secret = tests_path("a/b/root/secret");
        struct stat st;

        ASSERT_OK(make_mount_point_in_root(root_fd, "up/etc/resolv.conf", false, 0644, &f));
        ASSERT_TRUE(stat(conf, &st) >= 0 && S_ISREG(st.st_mode));
        ASSERT_TRUE(same_inode(f, conf));
        ASSERT_EQ(fcntl(f, F_GETFL) & O_PATH, O_PATH);

        abs_mnt = via_abs("mnt");
        ASSERT_OK(make_mount_point_in_root(root_fd, abs_mnt, true, 0755, &d));
        mnt = strjoin(tests_tmpdir(), "/a/b/root", tests_tmpdir(), "/mnt");
        ASSERT_TRUE(stat(mnt, &st) >= 0 && S_ISDIR(st.st_mode));
        ASSERT_TRUE(same_inode(d, mnt));

        /* TMP/secret exists on the host, but not in the root: it is made there */
        ASSERT_OK(make_mount_point_in_root(root_fd, "up/secret", false, 0644, &s));
        ASSERT_TRUE(same_inode(s, in_secret));
        ASSERT_TRUE(stat(in_secret, &st) >= 0 && st.st_size == 0);

        assert_host_untouched();
}

TEST(make_mount_point_in_root_link_as_last_component) {
        _cleanup_close_ int root_fd = setup_tree();
        _cleanup_free_ char *secret = strjoin(tests_tmpdir(), "/a/b/root", tests_tmpdir(), "/secret");
        _cleanup_free_ char *outside = tests_path("a/b/root/created-outside");
        _cleanup_free_ char *outside_abs = strjoin(tests_tmpdir(), "/a/b/root", tests_tmpdir(), "/created-outside-abs");
        const char *const links[][2] = {
                { "host-secret", secret },
                { "dangling", outside },
                { "dangling-abs", outside_abs },
        };

        /* A link in the last place is followed inside the root, if at all:
         * failing is fine, and so is a mount point where the link leads in
         * the root. */
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_close_ int fd = -EBADF;

                if (make_mount_point_in_root(root_fd, links[i][0], false, 0644, &fd) >= 0 &&
                    !same_inode(fd, links[i][1]))
                        tests_fail(__FILE__, __LINE__, "mount point on the link \"%s\" is not %s", links[i][0],
                                   links[i][1]);
        }
        assert_host_untouched();
}

TEST(fd_path) {
        char buf[FD_PATH_MAX];

        ASSERT_STREQ(fd_path(5, buf), "/proc/self/fd/5");
        ASSERT_STREQ(fd_path(2147483647, buf), "/proc/self/fd/2147483647");
}
