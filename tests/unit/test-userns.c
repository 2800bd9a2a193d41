/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <stdint.h> /* userns.h uses UINT32_C() without including it */

#include "fileio.h"
#include "lock-util.h"
#include "tests.h"
#include "userns.h"

/* The candidate after base, wrapping around at the end of the pool. */
static uid_t next_candidate(uid_t base) {
        return base == UID_RANGE_LAST ? UID_RANGE_FIRST : base + UID_RANGE_SIZE;
}

static bool file_exists(const char *p) {
        return access(p, F_OK) >= 0;
}

static char *lock_path(uid_t base) {
        char name[64];

        snprintf(name, sizeof name, "locks/%u", (unsigned) base);
        return tests_path(name);
}

/* Everything in the test's directory: locks/, passwd, group, nspawn/. */
typedef struct Lookup {
        UidRangeLookup l;
        char *lock_dir, *passwd, *group, *foreign;
} Lookup;

static void lookup_done(Lookup *k) {
        free(k->lock_dir);
        free(k->passwd);
        free(k->group);
        free(k->foreign);
}

static Lookup lookup_new(const char *passwd_text, const char *group_text) {
        Lookup k = {
                .lock_dir = tests_path("locks"),
                .passwd = tests_path("passwd"),
                .group = tests_path("group"),
                .foreign = tests_path("nspawn"),
        };

        ASSERT_OK(write_string_file(k.passwd, passwd_text, WRITE_FILE_CREATE));
        ASSERT_OK(write_string_file(k.group, group_text, WRITE_FILE_CREATE));
        ASSERT_OK(mkdir_p(k.foreign, 0755));
        k.l = (UidRangeLookup) {
                .lock_dir = k.lock_dir,
                .passwd_path = k.passwd,
                .group_path = k.group,
                .foreign_lock_dir = k.foreign,
        };
        return k;
}

static const char host_passwd[] = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n";
static const char host_group[] = "root:x:0:\nnogroup:x:65534:\n";

/* The values are remembered on disk (a tree keeps its range), so the hash
 * must never change. These are FNV-1a 64 of the name, modulo the number of
 * candidates, computed independently of berth. */
TEST(candidate_is_stable) {
        ASSERT_EQ(userns_range_candidate("web"), 166264832);       /* 0x09e90000 */
        ASSERT_EQ(userns_range_candidate("debian-12"), 756547584); /* 0x2d180000 */
        ASSERT_EQ(userns_range_candidate("a"), 1761869824);        /* 0x69040000 */
        ASSERT_EQ(userns_range_candidate("m1"), userns_range_candidate("m1"));
}

TEST(candidate_is_aligned_and_in_pool) {
        static const char *const names[] = { "a",
                                             "b",
                                             "web",
                                             "debian-12",
                                             "x.y_z",
                                             "Z",
                                             "a123456789012345678901234567890123456789012345678901234567890123" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                uid_t c = userns_range_candidate(names[i]);

                ASSERT_EQ(c % UID_RANGE_SIZE, 0);
                ASSERT_TRUE(c >= UID_RANGE_FIRST);
                ASSERT_TRUE(c <= UID_RANGE_LAST);
        }
        ASSERT_EQ(UID_RANGE_FIRST % UID_RANGE_SIZE, 0);
        ASSERT_EQ(UID_RANGE_LAST % UID_RANGE_SIZE, 0);
}

TEST(pick_takes_candidate) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        _cleanup_free_ char *p = lock_path(userns_range_candidate("web"));
        uid_t base = 0;

        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &base, &lock));
        ASSERT_EQ(base, userns_range_candidate("web"));
        ASSERT_TRUE(lock.fd >= 0);
        ASSERT_TRUE(file_exists(p));

        lock_file_release(&lock);
        ASSERT_FALSE(file_exists(p));
}

TEST(pick_same_name_while_held) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL, c = LOCK_FILE_NULL;
        uid_t first = 0, second = 0, third = 0;

        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &first, &a));
        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &second, &b));
        ASSERT_TRUE(second != first);
        ASSERT_EQ(second, next_candidate(first));

        /* once the first is free again, it is picked again */
        lock_file_release(&a);
        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &third, &c));
        ASSERT_EQ(third, first);
}

TEST(pick_skips_range_with_host_user) {
        const uid_t cand = userns_range_candidate("web");
        char passwd[256];
        uid_t base = 0;
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        _cleanup_free_ char *p = lock_path(cand);

        snprintf(passwd, sizeof passwd, "%ssvc:x:%u:%u::/:/bin/sh\n", host_passwd, (unsigned) (cand + 5),
                 (unsigned) (cand + 5));
        _cleanup_(lookup_done) Lookup k = lookup_new(passwd, host_group);

        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &base, &lock));
        ASSERT_EQ(base, next_candidate(cand));
        ASSERT_FALSE(file_exists(p)); /* the refused range's lock is not left behind */
}

TEST(pick_skips_range_with_host_group) {
        const uid_t cand = userns_range_candidate("web");
        char group[256];
        uid_t base = 0;
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;

        snprintf(group, sizeof group, "%ssvc:x:%u:\n", host_group, (unsigned) (cand + UID_RANGE_SIZE - 1));
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, group);

        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &base, &lock));
        ASSERT_EQ(base, next_candidate(cand));
}

TEST(pick_host_user_just_outside) {
        const uid_t cand = userns_range_candidate("web");
        char passwd[512];
        uid_t base = 0;
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;

        /* IDs right next to the range leave it free */
        snprintf(passwd, sizeof passwd, "%sa:x:%u:%u::/:/bin/sh\nb:x:%u:%u::/:/bin/sh\n", host_passwd,
                 (unsigned) (cand - 1), (unsigned) (cand - 1), (unsigned) (cand + UID_RANGE_SIZE),
                 (unsigned) (cand + UID_RANGE_SIZE));
        _cleanup_(lookup_done) Lookup k = lookup_new(passwd, host_group);

        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &base, &lock));
        ASSERT_EQ(base, cand);
}

TEST(pick_preferred) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL;
        const uid_t preferred = next_candidate(next_candidate(userns_range_candidate("web")));
        uid_t base = 0;

        ASSERT_OK(userns_pick_range(&k.l, "web", preferred, &base, &a));
        ASSERT_EQ(base, preferred);

        /* taken: back to the name's candidate */
        ASSERT_OK(userns_pick_range(&k.l, "web", preferred, &base, &b));
        ASSERT_EQ(base, userns_range_candidate("web"));
}

TEST(pick_skips_foreign_lock) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        const uid_t cand = userns_range_candidate("web");
        char name[64];
        _cleanup_free_ char *nspawn_lock = NULL;
        uid_t base = 0;

        /* systemd-nspawn holds the candidate */
        snprintf(name, sizeof name, "nspawn/%u", (unsigned) cand);
        nspawn_lock = tests_path(name);
        ASSERT_OK(write_string_file(nspawn_lock, "", WRITE_FILE_CREATE));

        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &base, &lock));
        ASSERT_EQ(base, next_candidate(cand));
        ASSERT_TRUE(file_exists(nspawn_lock)); /* never touched */
}

TEST(pick_without_foreign_lock_dir) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        uid_t base = 0;

        k.l.foreign_lock_dir = NULL;
        ASSERT_OK(userns_pick_range(&k.l, "web", UID_INVALID, &base, &lock));
        ASSERT_EQ(base, userns_range_candidate("web"));
}

/* A name whose candidate is the last range of the pool. */
static const char *name_at_end_of_pool(void) {
        static char name[32];

        for (unsigned i = 0; i < 10000000; i++) {
                snprintf(name, sizeof name, "n%u", i);
                if (userns_range_candidate(name) == UID_RANGE_LAST)
                        return name;
        }
        tests_fail(__FILE__, __LINE__, "no name hashes to the last range");
}

TEST(pick_wraps_around) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL;
        const char *name = name_at_end_of_pool();
        uid_t base = 0;

        ASSERT_OK(userns_pick_range(&k.l, name, UID_INVALID, &base, &a));
        ASSERT_EQ(base, UID_RANGE_LAST);

        /* the last range of the pool is taken: the next is the first */
        ASSERT_OK(userns_pick_range(&k.l, name, UID_INVALID, &base, &b));
        ASSERT_EQ(base, UID_RANGE_FIRST);
}

TEST(lock_range_busy_and_exists) {
        const uid_t busy = UID_RANGE_FIRST, hosted = UID_RANGE_FIRST + 4 * UID_RANGE_SIZE;
        char passwd[256];
        _cleanup_(lock_file_release) LockFile a = LOCK_FILE_NULL;
        LockFile b = LOCK_FILE_NULL;
        _cleanup_free_ char *hosted_lock = lock_path(hosted), *busy_lock = lock_path(busy);

        snprintf(passwd, sizeof passwd, "%ssvc:x:%u:0::/:/bin/sh\n", host_passwd, (unsigned) hosted);
        _cleanup_(lookup_done) Lookup k = lookup_new(passwd, host_group);

        ASSERT_OK(userns_lock_range(&k.l, busy, UID_RANGE_SIZE, &a));
        ASSERT_TRUE(file_exists(busy_lock));
        ASSERT_ERROR(userns_lock_range(&k.l, busy, UID_RANGE_SIZE, &b), EBUSY);
        ASSERT_TRUE(file_exists(busy_lock)); /* still the holder's */

        ASSERT_ERROR(userns_lock_range(&k.l, hosted, UID_RANGE_SIZE, &b), EEXIST);
        ASSERT_FALSE(file_exists(hosted_lock));
        ASSERT_EQ(b.fd, -EBADF);

        /* the range below the host user's is free */
        ASSERT_OK(userns_lock_range(&k.l, hosted - UID_RANGE_SIZE, UID_RANGE_SIZE, &b));
        lock_file_release(&b);
}

TEST(gc_range_locks) {
        _cleanup_(lookup_done) Lookup k = lookup_new(host_passwd, host_group);
        _cleanup_(lock_file_release) LockFile held = LOCK_FILE_NULL;
        _cleanup_free_ char *held_path = lock_path(UID_RANGE_FIRST);
        _cleanup_free_ char *stale = lock_path(UID_RANGE_FIRST + UID_RANGE_SIZE);
        _cleanup_free_ char *stale2 = lock_path(UID_RANGE_LAST), *hidden = tests_path("locks/.keep");

        ASSERT_OK(userns_lock_range(&k.l, UID_RANGE_FIRST, UID_RANGE_SIZE, &held));
        ASSERT_OK(write_string_file(stale, "", WRITE_FILE_CREATE));
        ASSERT_OK(write_string_file(stale2, "", WRITE_FILE_CREATE));
        ASSERT_OK(write_string_file(hidden, "", WRITE_FILE_CREATE));

        ASSERT_OK(userns_gc_range_locks(k.lock_dir));
        ASSERT_TRUE(file_exists(held_path));
        ASSERT_FALSE(file_exists(stale));
        ASSERT_FALSE(file_exists(stale2));
        ASSERT_TRUE(file_exists(hidden));

        /* the held one is still locked */
        LockFile again = LOCK_FILE_NULL;
        ASSERT_ERROR(userns_lock_range(&k.l, UID_RANGE_FIRST, UID_RANGE_SIZE, &again), EBUSY);
}

TEST(gc_range_locks_missing_dir) {
        _cleanup_free_ char *p = tests_path("no-locks");

        ASSERT_OK(userns_gc_range_locks(p));
}
