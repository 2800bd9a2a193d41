/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "boot-config.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "fileio.h"
#include "string-util.h"
#include "tests.h"

typedef struct Tree {
        char *root, *src, *outside;
        int root_fd;
} Tree;

static void tree_done(Tree *t) {
        free(t->root);
        free(t->src);
        free(t->outside);
        safe_close(t->root_fd);
}

/* root/ (the machine's tree, with a symlink "escape" → "/"), src/ (a host
 * directory with a file), and outside/ (where nothing may appear). */
static void tree_make(Tree *t) {
        _cleanup_free_ char *file = NULL, *link = NULL;

        *t = (Tree) { .root = tests_path("root"),
                      .src = tests_path("src"),
                      .outside = tests_path("outside"),
                      .root_fd = -EBADF };
        ASSERT_OK(RET_NERRNO(mkdir(t->root, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(t->src, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(t->outside, 0755)));
        file = strjoin(t->src, "/hello");
        link = strjoin(t->root, "/escape");
        ASSERT_OK(write_string_file_at(AT_FDCWD, file, "hi", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, 0644));
        ASSERT_OK(RET_NERRNO(symlink("/", link)));
}

/* The tree's fd, opened in the mount namespace we mount in. */
static void tree_open(Tree *t) {
        t->root_fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(t->root_fd >= 0);
}

static CustomMount bind_of(const char *src, const char *dst, CustomMountType type) {
        return (CustomMount) { .type = type, .source = (char *) src, .destination = (char *) dst, .recursive = true };
}

TEST(check_sources) {
        _cleanup_(tree_done) Tree t = {};
        _cleanup_free_ char *missing = tests_path("missing");
        const char *what = NULL;

        tree_make(&t);
        CustomMount ok[] = {
                bind_of(t.src, "/a", CUSTOM_MOUNT_BIND),
                { .type = CUSTOM_MOUNT_TMPFS, .destination = (char *) "/t" }, /* no source to check */
        };
        ASSERT_OK(custom_mounts_check_sources(ok, ELEMENTSOF(ok), &what));

        CustomMount bad[] = { bind_of(t.src, "/a", CUSTOM_MOUNT_BIND), bind_of(missing, "/b", CUSTOM_MOUNT_BIND_RO) };
        ASSERT_ERROR(custom_mounts_check_sources(bad, ELEMENTSOF(bad), &what), ENOENT);
        ASSERT_STREQ(what, missing);
}

TEST(apply_in_order) {
        _cleanup_(tree_done) Tree t = {};
        _cleanup_free_ char *hello = NULL, *ro = NULL, *tmp = NULL, *over = NULL;
        const char *what = NULL;
        struct statfs sfs;
        struct stat st;

        tree_make(&t);
        tests_enter_userns();
        tree_open(&t);
        CustomMount mounts[] = {
                bind_of(t.src, "/srv/data", CUSTOM_MOUNT_BIND), /* made, with its parent */
                bind_of(t.src, "/ro", CUSTOM_MOUNT_BIND_RO),
                { .type = CUSTOM_MOUNT_TMPFS, .destination = (char *) "/t", .options = (char *) "mode=0700" },
                /* later ones go on top of earlier ones */
                { .type = CUSTOM_MOUNT_TMPFS, .destination = (char *) "/srv/data" },
        };
        ASSERT_OK(custom_mounts_apply(t.root_fd, mounts, ELEMENTSOF(mounts), -EBADF, 0, NULL, &what));

        hello = strjoin(t.root, "/ro/hello");
        ro = strjoin(t.root, "/ro/new");
        tmp = strjoin(t.root, "/t");
        over = strjoin(t.root, "/srv/data/hello");
        ASSERT_OK(RET_NERRNO(access(hello, R_OK)));
        ASSERT_ERROR(RET_NERRNO(open(ro, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), EROFS);
        ASSERT_OK(RET_NERRNO(statfs(tmp, &sfs)));
        ASSERT_EQ(sfs.f_type, TMPFS_MAGIC);
        ASSERT_OK(RET_NERRNO(stat(tmp, &st)));
        ASSERT_EQ(st.st_mode & 07777, 0700);
        ASSERT_ERROR(RET_NERRNO(access(over, F_OK)), ENOENT); /* hidden by the tmpfs */
}

TEST(destinations_stay_in_the_tree) {
        _cleanup_(tree_done) Tree t = {};
        _cleanup_free_ char *inside = NULL, *dest = NULL;
        const char *what = NULL;

        tree_make(&t);
        tests_enter_userns();
        tree_open(&t);
        /* "/escape" is a symlink to "/": resolved in the tree, it is the
         * tree's root, never the host's. */
        dest = strjoin("/escape", t.outside, "/x");
        CustomMount m = bind_of(t.src, dest, CUSTOM_MOUNT_BIND);
        ASSERT_OK(custom_mounts_apply(t.root_fd, &m, 1, -EBADF, 0, NULL, &what));

        inside = strjoin(t.root, t.outside, "/x/hello");
        ASSERT_OK(RET_NERRNO(access(inside, F_OK)));
        ASSERT_TRUE(access(t.outside, F_OK) == 0);
        _cleanup_free_ char *host_x = strjoin(t.outside, "/x");
        ASSERT_ERROR(RET_NERRNO(access(host_x, F_OK)), ENOENT);
}

TEST(idmap_needs_a_user_namespace) {
        _cleanup_(tree_done) Tree t = {};
        const char *what = NULL;

        tree_make(&t);
        tests_enter_userns();
        tree_open(&t);
        CustomMount m = bind_of(t.src, "/a", CUSTOM_MOUNT_BIND);
        m.idmap = true;
        ASSERT_ERROR(custom_mounts_apply(t.root_fd, &m, 1, -EBADF, 0, NULL, &what), EINVAL);
        ASSERT_STREQ(what, "/a");
}
