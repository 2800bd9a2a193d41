/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "fileio.h"
#include "tests.h"
#include "user-db.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "# not an entry\n"
                             "alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\n"
                             "bob:x:1001:100:::\n"
                             "broken line\n"
                             "short:x:5:5\n"
                             "carol:x:notanumber:1::/home/carol:/bin/sh\n"
                             "dave:x:1002:-1::/home/dave:/bin/sh\n"
                             "4242:x:3000:3000::/home/digits:/bin/sh\n"
                             "last:x:2000:2000::/home/last:/bin/sh";

static const char group[] = "root:x:0:\n"
                            "wheel:x:10:alice\n"
                            "audio:x:29:bob,alicex\n"
                            "video:x:44:xalice,bob\n"
                            "users:x:100:alice,bob\n"
                            "plugdev:x:46:carl,alice,dora\n"
                            "broken\n"
                            "badgid:x:abc:alice\n"
                            "alice:x:1000:\n"
                            "self:x:1000:alice\n";

static char *write_file(const char *name, const char *text) {
        char *p = tests_path(name);

        ASSERT_OK(write_string_file(p, text, WRITE_FILE_CREATE));
        return p;
}

TEST(find_user_by_name) {
        _cleanup_free_ char *p = write_file("passwd", passwd);
        _cleanup_(user_entry_done) UserEntry u = {}, last = {};

        ASSERT_OK(user_db_find_user(p, "alice", &u));
        ASSERT_STREQ(u.name, "alice");
        ASSERT_EQ(u.uid, 1000);
        ASSERT_EQ(u.gid, 1000);
        ASSERT_STREQ(u.home, "/home/alice");
        ASSERT_STREQ(u.shell, "/bin/zsh");

        /* the last line has no newline */
        ASSERT_OK(user_db_find_user(p, "last", &last));
        ASSERT_EQ(last.uid, 2000);
        ASSERT_STREQ(last.shell, "/bin/sh");
}

TEST(find_user_by_number) {
        _cleanup_free_ char *p = write_file("passwd", passwd);
        _cleanup_(user_entry_done) UserEntry r = {}, d = {};

        ASSERT_OK(user_db_find_user(p, "0", &r));
        ASSERT_STREQ(r.name, "root");
        ASSERT_STREQ(r.home, "/root");

        ASSERT_OK(user_db_find_user(p, "3000", &d));
        ASSERT_STREQ(d.name, "4242");
}

TEST(find_user_defaults) {
        _cleanup_free_ char *p = write_file("passwd", passwd);
        _cleanup_(user_entry_done) UserEntry u = {};

        /* empty home and shell */
        ASSERT_OK(user_db_find_user(p, "1001", &u));
        ASSERT_STREQ(u.name, "bob");
        ASSERT_EQ(u.gid, 100);
        ASSERT_STREQ(u.home, "/");
        ASSERT_STREQ(u.shell, "/bin/sh");
}

TEST(find_user_missing) {
        _cleanup_free_ char *p = write_file("passwd", passwd), *none = tests_path("none");
        UserEntry u = {};

        ASSERT_ERROR(user_db_find_user(p, "nobody", &u), ESRCH);
        ASSERT_ERROR(user_db_find_user(p, "99", &u), ESRCH);
        ASSERT_ERROR(user_db_find_user(p, "ali", &u), ESRCH);
        ASSERT_ERROR(user_db_find_user(p, "broken line", &u), ESRCH);
        ASSERT_ERROR(user_db_find_user(p, "short", &u), ESRCH); /* too few fields */
        ASSERT_ERROR(user_db_find_user(p, "carol", &u), ESRCH); /* bad UID */
        ASSERT_ERROR(user_db_find_user(p, "dave", &u), ESRCH);  /* bad GID */
        ASSERT_ERROR(user_db_find_user(p, "4242", &u), ESRCH);  /* digits: a UID */
        ASSERT_NULL(u.name);

        ASSERT_ERROR(user_db_find_user(none, "root", &u), ENOENT);
}

static void check_groups(const char *group_path, const char *user, gid_t primary, const gid_t *expected, size_t n) {
        _cleanup_free_ gid_t *g = NULL;
        size_t k = 99;

        ASSERT_OK(user_db_supplementary_groups(group_path, user, primary, &g, &k));
        ASSERT_EQ(k, n);
        for (size_t i = 0; i < n; i++)
                ASSERT_EQ(g[i], expected[i]);
}

TEST(supplementary_groups) {
        _cleanup_free_ char *p = write_file("group", group), *none = tests_path("none");

        /* member lists are matched whole, in file order; the primary group is left out */
        check_groups(p, "alice", 1000, (const gid_t[]) { 10, 100, 46 }, 3);
        check_groups(p, "bob", 100, (const gid_t[]) { 29, 44 }, 2);
        check_groups(p, "dora", 46, NULL, 0);
        check_groups(p, "carl", 1, (const gid_t[]) { 46 }, 1);
        check_groups(p, "nobody", 1, NULL, 0);
        check_groups(none, "alice", 1000, NULL, 0);
}

/* One passwd or group line at a time, around the range's edges. */
static int has_id(bool is_group, const char *line, uid_t base, uid_t count) {
        _cleanup_free_ char *p = write_file(is_group ? "group" : "passwd", line);

        return user_db_has_id_in_range(p, is_group, base, count);
}

#define BASE 524288U
#define COUNT 65536U

TEST(has_id_in_range_uid_field) {
        char line[128];
        const uid_t in[] = { BASE, BASE + 1, BASE + COUNT - 1 }, out[] = { BASE - 1, BASE + COUNT, 0, 4294967294U };

        for (size_t i = 0; i < ELEMENTSOF(in); i++) {
                snprintf(line, sizeof line, "u:x:%u:0::/:/bin/sh\n", (unsigned) in[i]);
                ASSERT_EQ(has_id(false, line, BASE, COUNT), 1);
        }
        for (size_t i = 0; i < ELEMENTSOF(out); i++) {
                snprintf(line, sizeof line, "u:x:%u:0::/:/bin/sh\n", (unsigned) out[i]);
                ASSERT_EQ(has_id(false, line, BASE, COUNT), 0);
        }
}

TEST(has_id_in_range_gid_field) {
        char line[128];
        const uid_t in[] = { BASE, BASE + COUNT - 1 }, out[] = { BASE - 1, BASE + COUNT };

        /* a user whose primary group is in the range holds the range too */
        for (size_t i = 0; i < ELEMENTSOF(in); i++) {
                snprintf(line, sizeof line, "u:x:0:%u::/:/bin/sh\n", (unsigned) in[i]);
                ASSERT_EQ(has_id(false, line, BASE, COUNT), 1);
        }
        for (size_t i = 0; i < ELEMENTSOF(out); i++) {
                snprintf(line, sizeof line, "u:x:0:%u::/:/bin/sh\n", (unsigned) out[i]);
                ASSERT_EQ(has_id(false, line, BASE, COUNT), 0);
        }
}

TEST(has_id_in_range_group_file) {
        char line[128];
        const uid_t in[] = { BASE, BASE + COUNT - 1 }, out[] = { BASE - 1, BASE + COUNT };

        for (size_t i = 0; i < ELEMENTSOF(in); i++) {
                snprintf(line, sizeof line, "g:x:%u:\n", (unsigned) in[i]);
                ASSERT_EQ(has_id(true, line, BASE, COUNT), 1);
        }
        for (size_t i = 0; i < ELEMENTSOF(out); i++) {
                snprintf(line, sizeof line, "g:x:%u:alice\n", (unsigned) out[i]);
                ASSERT_EQ(has_id(true, line, BASE, COUNT), 0);
        }
}

TEST(has_id_in_range_other_fields_dont_count) {
        /* numbers in the name, GECOS, home or member list are not IDs */
        ASSERT_EQ(has_id(false, "524288:x:1:1:524288:/524288:/bin/sh\n", BASE, COUNT), 0);
        ASSERT_EQ(has_id(true, "524288:x:1:524288\n", BASE, COUNT), 0);
        /* nor are malformed lines */
        ASSERT_EQ(has_id(false, "u:x:524288x:0::/:/bin/sh\nbroken\n\n", BASE, COUNT), 0);
        /* and a line further down is found */
        ASSERT_EQ(has_id(false, "root:x:0:0::/:/bin/sh\nu:x:530000:530000::/:/bin/sh\n", BASE, COUNT), 1);
}

TEST(has_id_in_range_top_of_id_space) {
        /* base + count reaching 2^32 must not wrap */
        ASSERT_EQ(has_id(false, "u:x:4294901760:0::/:/bin/sh\n", 4294901760U, 65535U), 1);
        ASSERT_EQ(has_id(false, "u:x:4294967294:0::/:/bin/sh\n", 4294901760U, 65535U), 1);
        ASSERT_EQ(has_id(false, "u:x:0:0::/:/bin/sh\n", 4294901760U, 65535U), 0);
}

TEST(has_id_in_range_missing_file) {
        _cleanup_free_ char *none = tests_path("none");

        ASSERT_EQ(user_db_has_id_in_range(none, false, BASE, COUNT), 0);
        ASSERT_EQ(user_db_has_id_in_range(none, true, 0, 65536), 0);
}
