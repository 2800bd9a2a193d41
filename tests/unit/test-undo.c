/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/stat.h>

#include "fileio.h"
#include "lock-util.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"
#include "undo.h"

static bool file_exists(const char *p) {
        return access(p, F_OK) >= 0;
}

static void touch(const char *p) {
        ASSERT_OK(write_string_file(p, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
}

static void assert_entries(const UndoLog *u, const char *const *expected) {
        size_t i = 0;

        for (; expected[i]; i++) {
                ASSERT_NOT_NULL(u->entries);
                ASSERT_STREQ(u->entries[i], expected[i]);
        }
        ASSERT_EQ(strv_length(u->entries), i);
}

TEST(push_and_forget) {
        _cleanup_(undo_log_done) UndoLog u = {};

        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, "/run/a"));
        ASSERT_OK(undo_log_push(&u, UNDO_CGROUP, "/sys/fs/cgroup/b"));
        ASSERT_OK(undo_log_push(&u, UNDO_MOUNTS, "/run/c"));
        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, "/run/a"));
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "cgroup:/sys/fs/cgroup/b", "mounts:/run/c",
                                                   "lock:/run/a", NULL });

        /* the last entry for the path goes, the earlier one stays */
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run/a");
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "cgroup:/sys/fs/cgroup/b", "mounts:/run/c", NULL });

        /* type and path must both match */
        undo_log_forget(&u, UNDO_MOUNTS, "/run/a");
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run/c");
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run");
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "cgroup:/sys/fs/cgroup/b", "mounts:/run/c", NULL });

        undo_log_forget(&u, UNDO_CGROUP, "/sys/fs/cgroup/b");
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "mounts:/run/c", NULL });
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run/a");
        undo_log_forget(&u, UNDO_MOUNTS, "/run/c");
        assert_entries(&u, (const char *const[]) { NULL });
        undo_log_forget(&u, UNDO_MOUNTS, "/run/c"); /* on an empty log */
}

TEST(entry_is_valid) {
        static const char *const good[] = {
                "lock:/run/berth/uid-range/524288",
                "cgroup:/sys/fs/cgroup/machine.slice/machine-web.scope",
                "mounts:/run/berth/mnt/web",
                "lock:/",
                "lock:/a..b/c..",
                "mounts:/with space:and colon",
                "cgroup1:/sys/fs/cgroup/memory/machine-web.scope",
        };
        static const char *const bad[] = {
                "",
                "lock",
                "lock:",
                ":/a",
                "/a",
                "lock:relative",
                "lock:./a",
                "lock:/a/../b",
                "lock:/..",
                "cgroup:/sys/fs/cgroup/..",
                "mounts:../x",
                "cgroup1:/tmp/x",
                "cgroup1:/sys/fs/cgroupx/memory",
                "bogus:/a",
                "LOCK:/a",
                "lock /a",
                "averyveryverylongtype:/a",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!undo_entry_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" refused", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (undo_entry_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" accepted", bad[i]);
                if (undo_entry_run(bad[i], NULL) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" was run", bad[i]);
        }
}

TEST(entry_run_lock) {
        _cleanup_free_ char *p = tests_path("x.lck"), *entry = NULL, *missing = tests_path("missing.lck");
        _cleanup_free_ char *missing_entry = NULL;
        LockFile l = LOCK_FILE_NULL;

        entry = strjoin("lock:", p);
        missing_entry = strjoin("lock:", missing);

        /* unheld: removed */
        touch(p);
        ASSERT_OK(undo_entry_run(entry, NULL));
        ASSERT_FALSE(file_exists(p));

        /* missing: nothing to do */
        ASSERT_EQ(undo_entry_run(missing_entry, NULL), 0);

        /* held by someone (a later machine that took the range): left */
        ASSERT_OK(lock_file_acquire(p, LOCK_EX | LOCK_NB, &l));
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_TRUE(file_exists(p));
        lock_file_release(&l);
        ASSERT_FALSE(file_exists(p));
}

TEST(entry_run_missing_cgroup) {
        _cleanup_free_ char *p = tests_path("no-such-cgroup/machine-web.scope"), *entry = NULL;

        entry = strjoin("cgroup:", p);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_FALSE(file_exists(p));
}

TEST(entry_run_missing_cgroup_v1) {
        /* Not a cgroup at all (missing, or an ordinary directory): left. */
        ASSERT_EQ(undo_entry_run("cgroup1:/sys/fs/cgroup/no-such-controller/machine-web.scope", NULL), 0);
}

TEST(entry_run_mounts_without_mounts) {
        _cleanup_free_ char *p = tests_path("mnt"), *entry = NULL;

        ASSERT_TRUE(mkdir(p, 0755) >= 0);
        entry = strjoin("mounts:", p);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_TRUE(file_exists(p));
}

/* The order entries run in, newest first, shows in the error returned:
 * the first error met, after every entry was tried. A lock entry fails
 * with -ENOTDIR below a regular file, and with -EISDIR on a directory. */
static void make_failing_log(UndoLog *u, bool isdir_newest, char **ret_plain) {
        _cleanup_free_ char *plain = tests_path("plain.lck"), *file = tests_path("file");
        _cleanup_free_ char *below_file = tests_path("file/x"), *dir = tests_path("dir");

        touch(plain);
        touch(file);
        ASSERT_TRUE(mkdir(dir, 0755) >= 0 || errno == EEXIST);

        ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, plain));
        if (isdir_newest) {
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, below_file));
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, dir));
        } else {
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, dir));
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, below_file));
        }
        *ret_plain = TAKE_PTR(plain);
}

TEST(log_run_newest_first) {
        _cleanup_(undo_log_done) UndoLog u = {}, v = {};
        _cleanup_free_ char *plain = NULL;

        make_failing_log(&u, true, &plain);
        ASSERT_ERROR(undo_log_run(&u, NULL), EISDIR);
        ASSERT_NULL(u.entries);           /* emptied */
        ASSERT_FALSE(file_exists(plain)); /* the oldest entry ran too */

        free(plain);
        make_failing_log(&v, false, &plain);
        ASSERT_ERROR(undo_log_run(&v, NULL), ENOTDIR);
        ASSERT_NULL(v.entries);
        ASSERT_FALSE(file_exists(plain));
}

TEST(log_run_all_fine) {
        _cleanup_(undo_log_done) UndoLog u = {};
        _cleanup_free_ char *a = tests_path("a.lck"), *b = tests_path("b.lck"), *c = tests_path("cg/none");

        ASSERT_EQ(undo_log_run(&u, NULL), 0); /* empty */

        touch(a);
        touch(b);
        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, a));
        ASSERT_OK(undo_log_push(&u, UNDO_CGROUP, c));
        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, b));
        ASSERT_EQ(undo_log_run(&u, NULL), 0);
        ASSERT_NULL(u.entries);
        ASSERT_FALSE(file_exists(a));
        ASSERT_FALSE(file_exists(b));

        /* and running it again does no harm */
        ASSERT_EQ(undo_log_run(&u, NULL), 0);
}

TEST(undo_type_table) {
        CHECK_TABLE(undo_type, _UNDO_TYPE_MAX, "lock", "cgroup", "mounts", "file", "machined", "cgroup1");
}
