/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "host-files.h"
#include "lock-util.h"
#include "path-util.h"
#include "string-util.h"
#include "tests.h"

#define STUB "# This is the stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n"
#define UPLINK "# uplink\nnameserver 192.0.2.1\nnameserver 2001:db8::1\n"
#define STATIC "# static\nnameserver 127.0.0.53\n"
#define ZONE_DATA "TZif2 fake zone data\n"

/* --- A fake host, for the plans ------------------------------------------------ */

static char *put(const char *root, const char *path, const char *text) {
        _cleanup_free_ char *dir = NULL, *last = NULL;
        char *p = path_join(root, path);

        ASSERT_NOT_NULL(p);
        ASSERT_OK(path_split_last(p, &dir, &last));
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_string_file(p, text, WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        return p;
}

static void put_link(const char *root, const char *path, const char *target) {
        _cleanup_free_ char *dir = NULL, *last = NULL, *p = path_join(root, path);

        ASSERT_NOT_NULL(p);
        ASSERT_OK(path_split_last(p, &dir, &last));
        ASSERT_OK(mkdir_p(dir, 0755));
        (void) unlink(p);
        if (symlink(target, p) < 0)
                tests_fail(__FILE__, __LINE__, "symlink %s: %s", p, strerror(errno));
}

static void drop(const char *root, const char *path) {
        _cleanup_free_ char *p = path_join(root, path);

        ASSERT_TRUE(unlink(p) >= 0);
}

/* The host as systemd-resolved leaves it: /etc/resolv.conf is the stub's. */
static char *resolved_host(void) {
        char *root = tests_path("host");

        free(put(root, "/etc/resolv.conf", STUB));
        free(put(root, RESOLVED_STUB_RESOLV_CONF, STUB));
        free(put(root, RESOLVED_UPLINK_RESOLV_CONF, UPLINK));
        free(put(root, STATIC_RESOLV_CONF, STATIC));
        return root;
}

static void plan_resolv(ResolvConfMode mode, const ResolvConfContext *ctx, int expected_r, HostFileAction action,
                        const char *text, const char *source) {
        _cleanup_(host_file_done) HostFile f = {};
        int r;

        r = host_file_plan_resolv_conf(mode, ctx, &f);
        if (r != expected_r)
                tests_fail(__FILE__, __LINE__, "%s: returned %d, expected %d", resolv_conf_mode_to_string(mode), r,
                           expected_r);
        if (f.action != action)
                tests_fail(__FILE__, __LINE__, "%s: action %d, expected %d", resolv_conf_mode_to_string(mode),
                           (int) f.action, (int) action);
        ASSERT_STREQ(f.path, "/etc/resolv.conf");
        ASSERT_STREQ_PTR(f.text, text);
        ASSERT_STREQ_PTR(f.source, source);
}

#define NAT(root) (&(ResolvConfContext) { .private_network = true, .nat = true, .root = (root) })
#define PRIVATE(root) (&(ResolvConfContext) { .private_network = true, .root = (root) })
#define HOST_NETWORK(root) (&(ResolvConfContext) { .root = (root) })

TEST(resolv_conf_auto_nat) {
        _cleanup_free_ char *root = resolved_host();

        /* resolved's uplink servers, when it has them */
        plan_resolv(RESOLV_CONF_AUTO, NAT(root), 0, HOST_FILE_COPY, UPLINK, NULL);

        /* else the host's file, if it names a server the machine reaches */
        drop(root, RESOLVED_UPLINK_RESOLV_CONF);
        plan_resolv(RESOLV_CONF_AUTO, NAT(root), 1, HOST_FILE_KEEP, NULL, NULL);

        static const char *const unreachable[] = {
                "nameserver 127.0.0.53\n",
                "nameserver 127.0.0.1\nnameserver ::1\n",
                "# nameserver 192.0.2.9\nnameserver 127.0.0.53\n",
                "; nameserver 192.0.2.9\n",
                "search example.com\noptions edns0\n",
                "nameservers 192.0.2.9\n",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(unreachable); i++) {
                free(put(root, "/etc/resolv.conf", unreachable[i]));
                plan_resolv(RESOLV_CONF_AUTO, NAT(root), 1, HOST_FILE_KEEP, NULL, NULL);
        }

        static const char *const reachable[] = {
                "nameserver 127.0.0.53\nnameserver 192.0.2.53\n",
                "nameserver\t192.0.2.53\n",
                "nameserver 2001:db8::53\n",
                "options edns0\nnameserver 10.0.0.1 # the router\n",
                "nameserver 192.0.2.53", /* no newline at the end */
        };
        for (size_t i = 0; i < ELEMENTSOF(reachable); i++) {
                free(put(root, "/etc/resolv.conf", reachable[i]));
                plan_resolv(RESOLV_CONF_AUTO, NAT(root), 0, HOST_FILE_COPY, reachable[i], NULL);
        }

        /* no file at all: nothing to give */
        drop(root, "/etc/resolv.conf");
        plan_resolv(RESOLV_CONF_AUTO, NAT(root), 1, HOST_FILE_KEEP, NULL, NULL);
}

TEST(resolv_conf_auto_private) {
        _cleanup_free_ char *root = resolved_host();

        /* a network berth doesn't route: nothing known to work */
        plan_resolv(RESOLV_CONF_AUTO, PRIVATE(root), 0, HOST_FILE_KEEP, NULL, NULL);
        drop(root, RESOLVED_UPLINK_RESOLV_CONF);
        plan_resolv(RESOLV_CONF_AUTO, PRIVATE(root), 0, HOST_FILE_KEEP, NULL, NULL);
}

TEST(resolv_conf_auto_host_network) {
        _cleanup_free_ char *root = resolved_host();

        /* the stub is reachable on the host's network */
        plan_resolv(RESOLV_CONF_AUTO, HOST_NETWORK(root), 0, HOST_FILE_COPY, STUB, NULL);
        drop(root, RESOLVED_STUB_RESOLV_CONF);
        free(put(root, "/etc/resolv.conf", "nameserver 192.0.2.7\n"));
        plan_resolv(RESOLV_CONF_AUTO, HOST_NETWORK(root), 0, HOST_FILE_COPY, "nameserver 192.0.2.7\n", NULL);
        drop(root, "/etc/resolv.conf");
        plan_resolv(RESOLV_CONF_AUTO, HOST_NETWORK(root), 0, HOST_FILE_KEEP, NULL, NULL);
}

TEST(resolv_conf_modes) {
        _cleanup_free_ char *root = resolved_host(), *host = NULL, *stat_ = NULL, *uplink = NULL, *stub = NULL;
        const ResolvConfContext *contexts[] = { NAT(root), PRIVATE(root), HOST_NETWORK(root) };

        free(put(root, "/etc/resolv.conf", "nameserver 192.0.2.7\n"));
        host = path_join(root, "/etc/resolv.conf");
        stat_ = path_join(root, STATIC_RESOLV_CONF);
        uplink = path_join(root, RESOLVED_UPLINK_RESOLV_CONF);
        stub = path_join(root, RESOLVED_STUB_RESOLV_CONF);

        /* whatever the network: the mode says it all */
        for (size_t i = 0; i < ELEMENTSOF(contexts); i++) {
                const ResolvConfContext *c = contexts[i];

                plan_resolv(RESOLV_CONF_OFF, c, 0, HOST_FILE_KEEP, NULL, NULL);
                plan_resolv(RESOLV_CONF_DELETE, c, 0, HOST_FILE_DELETE, NULL, NULL);
                plan_resolv(RESOLV_CONF_COPY_HOST, c, 0, HOST_FILE_COPY, "nameserver 192.0.2.7\n", NULL);
                plan_resolv(RESOLV_CONF_COPY_STATIC, c, 0, HOST_FILE_COPY, STATIC, NULL);
                plan_resolv(RESOLV_CONF_COPY_UPLINK, c, 0, HOST_FILE_COPY, UPLINK, NULL);
                plan_resolv(RESOLV_CONF_COPY_STUB, c, 0, HOST_FILE_COPY, STUB, NULL);
                plan_resolv(RESOLV_CONF_REPLACE_HOST, c, 0, HOST_FILE_REPLACE, "nameserver 192.0.2.7\n", NULL);
                plan_resolv(RESOLV_CONF_REPLACE_STATIC, c, 0, HOST_FILE_REPLACE, STATIC, NULL);
                plan_resolv(RESOLV_CONF_REPLACE_UPLINK, c, 0, HOST_FILE_REPLACE, UPLINK, NULL);
                plan_resolv(RESOLV_CONF_REPLACE_STUB, c, 0, HOST_FILE_REPLACE, STUB, NULL);
                plan_resolv(RESOLV_CONF_BIND_HOST, c, 0, HOST_FILE_BIND, NULL, host);
                plan_resolv(RESOLV_CONF_BIND_STATIC, c, 0, HOST_FILE_BIND, NULL, stat_);
                plan_resolv(RESOLV_CONF_BIND_UPLINK, c, 0, HOST_FILE_BIND, NULL, uplink);
                plan_resolv(RESOLV_CONF_BIND_STUB, c, 0, HOST_FILE_BIND, NULL, stub);
        }

        /* a copy of what isn't there: an error, not an empty file */
        drop(root, STATIC_RESOLV_CONF);
        _cleanup_(host_file_done) HostFile f = {};
        ASSERT_ERROR(host_file_plan_resolv_conf(RESOLV_CONF_COPY_STATIC, NAT(root), &f), ENOENT);
        ASSERT_ERROR(host_file_plan_resolv_conf(RESOLV_CONF_REPLACE_STATIC, NAT(root), &f), ENOENT);
        ASSERT_NULL(f.text);
}

static void plan_timezone(TimezoneMode mode, const char *root, HostFileAction action, const char *text,
                          const char *source) {
        _cleanup_(host_file_done) HostFile f = {};
        int r;

        r = host_file_plan_timezone(mode, root, &f);
        if (r != 0)
                tests_fail(__FILE__, __LINE__, "%s: %s", timezone_mode_to_string(mode), strerror(-r));
        if (f.action != action)
                tests_fail(__FILE__, __LINE__, "%s: action %d, expected %d", timezone_mode_to_string(mode),
                           (int) f.action, (int) action);
        ASSERT_STREQ(f.path, "/etc/localtime");
        ASSERT_STREQ_PTR(f.text, text);
        ASSERT_STREQ_PTR(f.source, source);
}

TEST(timezone_symlink) {
        _cleanup_free_ char *root = tests_path("host"), *localtime = NULL;

        free(put(root, "/usr/share/zoneinfo/Etc/UTC", ZONE_DATA));
        put_link(root, "/etc/localtime", "../usr/share/zoneinfo/Etc/UTC");
        localtime = path_join(root, "/etc/localtime");

        plan_timezone(TIMEZONE_AUTO, root, HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Etc/UTC", NULL);
        plan_timezone(TIMEZONE_SYMLINK, root, HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Etc/UTC", NULL);
        /* a copy of the zone the link leads to, over whatever the tree has
         * (a link, usually), as systemd-nspawn's */
        plan_timezone(TIMEZONE_COPY, root, HOST_FILE_REPLACE, ZONE_DATA, NULL);
        plan_timezone(TIMEZONE_BIND, root, HOST_FILE_BIND, NULL, localtime);
        plan_timezone(TIMEZONE_DELETE, root, HOST_FILE_DELETE, NULL, NULL);
        plan_timezone(TIMEZONE_OFF, root, HOST_FILE_KEEP, NULL, NULL);

        /* however the host's link spells the way, the machine's is relative */
        put_link(root, "/etc/localtime", "/usr/share/zoneinfo/Europe/Berlin");
        plan_timezone(TIMEZONE_AUTO, root, HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Europe/Berlin", NULL);
        put_link(root, "/etc/localtime", "../../usr/share/zoneinfo/America/Argentina/Buenos_Aires");
        plan_timezone(TIMEZONE_AUTO, root, HOST_FILE_SYMLINK, "../usr/share/zoneinfo/America/Argentina/Buenos_Aires",
                      NULL);
}

TEST(timezone_file) {
        _cleanup_free_ char *root = tests_path("host"), *localtime = NULL;

        localtime = put(root, "/etc/localtime", ZONE_DATA);
        plan_timezone(TIMEZONE_AUTO, root, HOST_FILE_REPLACE, ZONE_DATA, NULL);
        plan_timezone(TIMEZONE_COPY, root, HOST_FILE_REPLACE, ZONE_DATA, NULL);
        plan_timezone(TIMEZONE_SYMLINK, root, HOST_FILE_KEEP, NULL, NULL); /* no zone name to link to */
        plan_timezone(TIMEZONE_BIND, root, HOST_FILE_BIND, NULL, localtime);
        plan_timezone(TIMEZONE_DELETE, root, HOST_FILE_DELETE, NULL, NULL);
        plan_timezone(TIMEZONE_OFF, root, HOST_FILE_KEEP, NULL, NULL);
}

TEST(timezone_missing) {
        _cleanup_free_ char *root = tests_path("host"), *etc = NULL;

        etc = path_join(root, "/etc");
        ASSERT_OK(mkdir_p(etc, 0755));
        plan_timezone(TIMEZONE_AUTO, root, HOST_FILE_DELETE, NULL, NULL);
        plan_timezone(TIMEZONE_DELETE, root, HOST_FILE_DELETE, NULL, NULL);
        plan_timezone(TIMEZONE_COPY, root, HOST_FILE_KEEP, NULL, NULL);
        plan_timezone(TIMEZONE_SYMLINK, root, HOST_FILE_KEEP, NULL, NULL);
        plan_timezone(TIMEZONE_BIND, root, HOST_FILE_KEEP, NULL, NULL);
        plan_timezone(TIMEZONE_OFF, root, HOST_FILE_KEEP, NULL, NULL);
}

/* --- Applying, in a machine's tree --------------------------------------------- */

typedef struct Tree {
        char *path;
        int fd;
} Tree;

static void tree_done(Tree *t) {
        free(t->path);
        safe_close(t->fd);
}

static void tree_make(Tree *t) {
        t->path = tests_path("tree");
        free(put(t->path, "/usr/share/zoneinfo/Etc/UTC", ZONE_DATA));
        free(put(t->path, "/usr/share/zoneinfo/Europe/Berlin", ZONE_DATA));
        free(put(t->path, "/etc/hostname", "m\n"));
        t->fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(t->fd >= 0);
}

static char *tree_read(const Tree *t, const char *path) {
        _cleanup_free_ char *p = path_join(t->path, path);
        char *text = NULL;

        if (read_full_file(p, &text, NULL) < 0)
                return NULL;
        return text;
}

/* The link's target, or NULL when it is no symlink. */
static char *tree_link(const Tree *t, const char *path) {
        _cleanup_free_ char *p = path_join(t->path, path);
        char buf[4096];
        ssize_t n = readlink(p, buf, sizeof buf - 1);

        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return strdup(buf);
}

static struct stat tree_lstat(const Tree *t, const char *path) {
        _cleanup_free_ char *p = path_join(t->path, path);
        struct stat st;

        if (lstat(p, &st) < 0)
                tests_fail(__FILE__, __LINE__, "lstat %s: %s", p, strerror(errno));
        return st;
}

static bool tree_exists(const Tree *t, const char *path) {
        _cleanup_free_ char *p = path_join(t->path, path);
        struct stat st;

        return lstat(p, &st) >= 0;
}

/* An old mtime, which any write would change. */
static void tree_age(const Tree *t, const char *path) {
        _cleanup_free_ char *p = path_join(t->path, path);
        struct timespec ts[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };

        ASSERT_TRUE(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) >= 0);
}

#define RESOLV(a, t) (&(HostFile) { .action = (a), .path = "/etc/resolv.conf", .text = (char *) (t) })
#define LOCALTIME(a, t) (&(HostFile) { .action = (a), .path = "/etc/localtime", .text = (char *) (t) })

TEST(apply_copy) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct stat before, after;

        tree_make(&t);
        /* made where there is none */
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_COPY, UPLINK), t.fd));
        a = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(a, UPLINK);
        before = tree_lstat(&t, "/etc/resolv.conf");
        ASSERT_TRUE(S_ISREG(before.st_mode));
        ASSERT_EQ(before.st_mode & 07777, 0644);

        /* written into the one there: the same file */
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_COPY, "nameserver 192.0.2.7\n"), t.fd));
        b = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(b, "nameserver 192.0.2.7\n");
        after = tree_lstat(&t, "/etc/resolv.conf");
        ASSERT_EQ(after.st_ino, before.st_ino);
        free(b);

        /* a shorter text leaves nothing of the longer one */
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_COPY, "x\n"), t.fd));
        b = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(b, "x\n");
}

TEST(apply_copy_over_symlink) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *link = NULL, *target = NULL;

        tree_make(&t);
        free(put(t.path, "/run/systemd/resolve/stub-resolv.conf", STUB));
        put_link(t.path, "/etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf");

        ASSERT_ERROR(host_file_apply(RESOLV(HOST_FILE_COPY, UPLINK), t.fd), ELOOP);
        /* the link and what it points to are as they were */
        link = tree_link(&t, "/etc/resolv.conf");
        ASSERT_STREQ(link, "../run/systemd/resolve/stub-resolv.conf");
        target = tree_read(&t, "/run/systemd/resolve/stub-resolv.conf");
        ASSERT_STREQ(target, STUB);

        /* a dangling one too: nothing made where it points */
        put_link(t.path, "/etc/resolv.conf", "../run/nowhere/resolv.conf");
        ASSERT_ERROR(host_file_apply(RESOLV(HOST_FILE_COPY, UPLINK), t.fd), ELOOP);
        ASSERT_FALSE(tree_exists(&t, "/run/nowhere"));
}

TEST(apply_replace) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *text = NULL, *target = NULL;
        struct stat st;

        tree_make(&t);
        free(put(t.path, "/run/systemd/resolve/stub-resolv.conf", STUB));
        put_link(t.path, "/etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf");

        /* the link itself is replaced; what it pointed to is left */
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_REPLACE, UPLINK), t.fd));
        st = tree_lstat(&t, "/etc/resolv.conf");
        ASSERT_TRUE(S_ISREG(st.st_mode));
        text = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(text, UPLINK);
        target = tree_read(&t, "/run/systemd/resolve/stub-resolv.conf");
        ASSERT_STREQ(target, STUB);
        free(text);

        /* over a file, and where there is none */
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_REPLACE, "y\n"), t.fd));
        text = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(text, "y\n");
        free(text);
        ASSERT_TRUE(unlinkat(t.fd, "etc/resolv.conf", 0) >= 0);
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_REPLACE, "z\n"), t.fd));
        text = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(text, "z\n");

        /* and no temporary file left beside it */
        ASSERT_FALSE(tree_exists(&t, "/etc/.#resolv.conf.berth"));
}

TEST(apply_delete) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *target = NULL;

        tree_make(&t);
        free(put(t.path, "/etc/resolv.conf", STUB));
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_DELETE, NULL), t.fd));
        ASSERT_FALSE(tree_exists(&t, "/etc/resolv.conf"));
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_DELETE, NULL), t.fd)); /* gone: fine */

        /* a link goes, not what it points to */
        put_link(t.path, "/etc/localtime", "../usr/share/zoneinfo/Etc/UTC");
        ASSERT_OK(host_file_apply(LOCALTIME(HOST_FILE_DELETE, NULL), t.fd));
        ASSERT_FALSE(tree_exists(&t, "/etc/localtime"));
        target = tree_read(&t, "/usr/share/zoneinfo/Etc/UTC");
        ASSERT_STREQ(target, ZONE_DATA);
}

TEST(apply_keep_and_bind) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *text = NULL;
        HostFile bind = { .action = HOST_FILE_BIND, .path = "/etc/resolv.conf", .source = (char *) "/etc/resolv.conf" };

        tree_make(&t);
        free(put(t.path, "/etc/resolv.conf", STUB));
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_KEEP, NULL), t.fd));
        ASSERT_OK(host_file_apply(&bind, t.fd)); /* a mount of the outer child's, not done here */
        text = tree_read(&t, "/etc/resolv.conf");
        ASSERT_STREQ(text, STUB);
}

TEST(apply_symlink) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *link = NULL, *text = NULL;
        struct stat st;

        tree_make(&t);
        /* over a file */
        free(put(t.path, "/etc/localtime", "old zone\n"));
        ASSERT_OK(host_file_apply(LOCALTIME(HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Etc/UTC"), t.fd));
        link = tree_link(&t, "/etc/localtime");
        ASSERT_STREQ(link, "../usr/share/zoneinfo/Etc/UTC");
        free(link);

        /* over another link */
        ASSERT_OK(host_file_apply(LOCALTIME(HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Europe/Berlin"), t.fd));
        link = tree_link(&t, "/etc/localtime");
        ASSERT_STREQ(link, "../usr/share/zoneinfo/Europe/Berlin");
        free(link);

        /* a zone the machine doesn't have: left as it is */
        ASSERT_ERROR(host_file_apply(LOCALTIME(HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Mars/Olympus"), t.fd), ENOENT);
        link = tree_link(&t, "/etc/localtime");
        ASSERT_STREQ(link, "../usr/share/zoneinfo/Europe/Berlin");
        free(link);

        /* where there is none */
        ASSERT_TRUE(unlinkat(t.fd, "etc/localtime", 0) >= 0);
        ASSERT_OK(host_file_apply(LOCALTIME(HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Etc/UTC"), t.fd));
        link = tree_link(&t, "/etc/localtime");
        ASSERT_STREQ(link, "../usr/share/zoneinfo/Etc/UTC");
        st = tree_lstat(&t, "/etc/localtime");
        ASSERT_TRUE(S_ISLNK(st.st_mode));
        text = tree_read(&t, "/etc/localtime"); /* and it resolves in the tree */
        ASSERT_STREQ(text, ZONE_DATA);
}

TEST(apply_unchanged) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *link = NULL;
        struct stat before, after;

        tree_make(&t);
        free(put(t.path, "/etc/resolv.conf", UPLINK));
        tree_age(&t, "/etc/resolv.conf");
        before = tree_lstat(&t, "/etc/resolv.conf");

        /* the same text: not written, neither copied nor replaced */
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_COPY, UPLINK), t.fd));
        ASSERT_OK(host_file_apply(RESOLV(HOST_FILE_REPLACE, UPLINK), t.fd));
        after = tree_lstat(&t, "/etc/resolv.conf");
        ASSERT_EQ(after.st_ino, before.st_ino);
        ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
        ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
        ASSERT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
        ASSERT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);

        /* the same zone, however the link spells it */
        put_link(t.path, "/etc/localtime", "/usr/share/zoneinfo/Etc/UTC");
        tree_age(&t, "/etc/localtime");
        before = tree_lstat(&t, "/etc/localtime");
        ASSERT_OK(host_file_apply(LOCALTIME(HOST_FILE_SYMLINK, "../usr/share/zoneinfo/Etc/UTC"), t.fd));
        after = tree_lstat(&t, "/etc/localtime");
        ASSERT_EQ(after.st_ino, before.st_ino);
        ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
        link = tree_link(&t, "/etc/localtime");
        ASSERT_STREQ(link, "/usr/share/zoneinfo/Etc/UTC");
}

TEST(apply_stays_in_tree) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };
        _cleanup_free_ char *outside = tests_path("outside"), *escaped = NULL;

        /* the machine's /etc a link out of the tree: resolved in it */
        t.path = tests_path("tree");
        ASSERT_OK(mkdir_p(outside, 0755));
        ASSERT_OK(mkdir_p(t.path, 0755));
        put_link(t.path, "/etc", outside);
        t.fd = open(t.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(t.fd >= 0);

        (void) host_file_apply(RESOLV(HOST_FILE_COPY, UPLINK), t.fd);
        (void) host_file_apply(RESOLV(HOST_FILE_REPLACE, UPLINK), t.fd);
        escaped = path_join(outside, "resolv.conf");
        ASSERT_TRUE(access(escaped, F_OK) < 0);

        free(put(outside, "/localtime", ZONE_DATA));
        (void) host_file_apply(LOCALTIME(HOST_FILE_DELETE, NULL), t.fd);
        free(escaped);
        escaped = path_join(outside, "localtime");
        ASSERT_TRUE(access(escaped, F_OK) >= 0);
}

TEST(apply_without_etc) {
        _cleanup_(tree_done) Tree t = { .fd = -EBADF };

        t.path = tests_path("tree");
        ASSERT_OK(mkdir_p(t.path, 0755));
        t.fd = open(t.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(t.fd >= 0);
        ASSERT_TRUE(host_file_apply(RESOLV(HOST_FILE_COPY, UPLINK), t.fd) < 0);
        ASSERT_FALSE(tree_exists(&t, "/etc"));
}
