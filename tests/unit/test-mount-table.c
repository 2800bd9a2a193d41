/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/mount.h>

#include "fileio.h"
#include "mount-table.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

TEST(mount_options_parse) {
        _cleanup_free_ char *data = NULL;
        unsigned long flags = 0;

        ASSERT_OK(mount_options_parse("mode=0700,size=1G,nosuid,ro", &flags, &data));
        ASSERT_EQ(flags, MS_NOSUID | MS_RDONLY);
        ASSERT_STREQ(data, "mode=0700,size=1G");
}

TEST(mount_options_parse_flags_only) {
        _cleanup_free_ char *data = NULL;
        unsigned long flags = 0;

        ASSERT_OK(mount_options_parse("nodev,noexec,nosuid", &flags, &data));
        ASSERT_EQ(flags, MS_NODEV | MS_NOEXEC | MS_NOSUID);
        ASSERT_TRUE(data == NULL || streq(data, ""));
}

TEST(mount_options_parse_data_only) {
        _cleanup_free_ char *data = NULL;
        unsigned long flags = 1;

        ASSERT_OK(mount_options_parse("mode=1777,uid=0,nr_inodes=1m", &flags, &data));
        ASSERT_EQ(flags, 0);
        ASSERT_STREQ(data, "mode=1777,uid=0,nr_inodes=1m");
}

TEST(mount_options_parse_empty) {
        char *data = (char *) "untouched";
        unsigned long flags = 1;

        ASSERT_OK(mount_options_parse("", &flags, &data));
        ASSERT_EQ(flags, 0);
        ASSERT_NULL(data);

        flags = 1;
        data = (char *) "untouched";
        ASSERT_OK(mount_options_parse(NULL, &flags, &data));
        ASSERT_EQ(flags, 0);
        ASSERT_NULL(data);
}

/* A mount table as the kernel writes it: parents before children, "\040"
 * for a space, and neighbours whose names start like /run. */
static const char mountinfo[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                                "23 22 0:21 / /run rw,nosuid,nodev shared:2 - tmpfs tmpfs rw,mode=755\n"
                                "24 22 0:22 / /running rw - tmpfs tmpfs rw\n"
                                "25 23 0:23 / /run/a rw - tmpfs tmpfs rw\n"
                                "26 23 0:24 / /run/b rw - tmpfs tmpfs rw\n"
                                "27 25 0:25 / /run/a/x rw - tmpfs tmpfs rw\n"
                                "28 23 0:26 / /run/with\\040space rw - tmpfs tmpfs rw\n"
                                "29 22 0:27 / /run2 rw - tmpfs tmpfs rw\n"
                                "30 22 0:28 / /runa/run rw - tmpfs tmpfs rw\n";

static char *list_under(const char *prefix) {
        _cleanup_strv_free_ char **l = NULL;
        FILE *f = fmemopen((void *) mountinfo, strlen(mountinfo), "r");
        char *joined = strdup("");

        ASSERT_NOT_NULL(f);
        ASSERT_OK(mount_table_list_under(f, prefix, &l));
        fclose(f);
        ASSERT_NOT_NULL(l);
        STRV_FOREACH(m, l) {
                char *n = strjoin(joined, *joined ? "|" : "", *m);
                ASSERT_NOT_NULL(n);
                free(joined);
                joined = n;
        }
        return joined;
}

static void check_list_under(const char *prefix, const char *expected) {
        _cleanup_free_ char *l = list_under(prefix);

        if (!streq(l, expected))
                tests_fail(__FILE__, __LINE__, "mounts under %s: \"%s\", expected \"%s\"", prefix, l, expected);
}

TEST(mount_table_list_under) {
        /* children before their parents: the order to unmount in */
        check_list_under("/run", "/run/with space|/run/a/x|/run/b|/run/a|/run");
        check_list_under("/run/a", "/run/a/x|/run/a");
        check_list_under("/run/a/x", "/run/a/x");
        check_list_under("/running", "/running");
        check_list_under("/run/with space", "/run/with space");
}

TEST(mount_table_list_under_prefix_boundaries) {
        check_list_under("/ru", "");
        check_list_under("/run/a/", "/run/a/x|/run/a");
        check_list_under("/nothing", "");
        check_list_under("/run/ax", "");
}

TEST(mount_table_list_under_root) {
        check_list_under("/", "/runa/run|/run2|/run/with space|/run/a/x|/run/b|/run/a|/running|/run|/");
}

TEST(mount_table_fstype) {
        _cleanup_free_ char *root = NULL, *proc = NULL, *in_proc = NULL;

        ASSERT_OK(mount_table_fstype("/", &root));
        ASSERT_NOT_NULL(root);
        ASSERT_TRUE(strlen(root) > 0);

        /* the tests rely on /proc anyway */
        ASSERT_OK(mount_table_fstype("/proc", &proc));
        ASSERT_STREQ(proc, "proc");
        ASSERT_OK(mount_table_fstype("/proc/self", &in_proc));
        ASSERT_STREQ(in_proc, "proc");
}

/* umount_under of a path without mounts has nothing to do: no privileges
 * needed, nothing touched. */
TEST(mount_table_umount_under_nothing) {
        _cleanup_free_ char *p = tests_path("no-mounts-here");

        ASSERT_OK(mount_table_umount_under(p));
}
