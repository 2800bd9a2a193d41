/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small test harness: each test-<module>.c defines TEST(name) functions,
 * which register themselves; tests.c runs them all and prints TAP lines.
 * A failed assertion ends the test with a message naming file and line. */

typedef void (*test_fn_t)(void);
void tests_register(const char *name, test_fn_t fn);
_Noreturn void tests_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Skips the running test (exit 77 unless BERTH_TESTS_MUST_WORK=1). */
void tests_skip(const char *why);
/* Makes the running test root of a user namespace of its own (mapping our
 * UID and GID to 0) with a private mount namespace: capabilities there,
 * none on the host. Skips the test where user namespaces can't be made. */
void tests_enter_userns(void);
/* Gives the running test a network namespace of its own, with all
 * capabilities over it (in a user namespace of its own when not root): no
 * link, address, route or nftables rule it makes reaches the host's
 * network. Skips the test where that can't be done. */
void tests_enter_netns(void);
/* An fd of another new network namespace (owned by the same user namespace
 * as the test's), the test staying in its own. */
int tests_new_netns_fd(void);
/* A child that sits in the test's namespaces until killed (or the test
 * ends): /proc/PID/ns/… stay a way to them when the test moves on. */
pid_t tests_holder(void);
/* A fresh temporary directory for the running test, removed at exit. */
const char *tests_tmpdir(void);
/* The test ends without LeakSanitizer's check: for tests that leave the
 * process unable to do it (a system call filter that denies getppid(),
 * which its tracer polls). */
void tests_no_leak_check(void);
/* tests_tmpdir()/name, newly allocated (the test fails if out of memory). */
char *tests_path(const char *name);
/* TMP/name, opened as a directory (or the test fails). */
int tests_open_dir(const char *name);
/* A mount namespace of the test's own, so that no mount outlives it:
 * root's, or a user namespace's where we are not root. */
void tests_enter_mount_namespace(void);
/* The entries of the directory name in dir_fd, but "." and "..". */
unsigned tests_count_entries(int dir_fd, const char *name);

#define TEST(name)                                                       \
        static void test_##name(void);                                   \
        __attribute__((constructor)) static void register_##name(void) { \
                tests_register(#name, test_##name);                      \
        }                                                                \
        static void test_##name(void)

#define ASSERT_TRUE(expr)                                                           \
        do {                                                                        \
                if (!(expr))                                                        \
                        tests_fail(__FILE__, __LINE__, "expected true: %s", #expr); \
        } while (0)

#define ASSERT_FALSE(expr)                                                           \
        do {                                                                         \
                if (expr)                                                            \
                        tests_fail(__FILE__, __LINE__, "expected false: %s", #expr); \
        } while (0)

/* expr returns >= 0 on success, -errno on failure. */
#define ASSERT_OK(expr)                                                                              \
        do {                                                                                         \
                long _r = (long) (expr);                                                             \
                if (_r < 0)                                                                          \
                        tests_fail(__FILE__, __LINE__, "%s failed: %s", #expr, strerror((int) -_r)); \
        } while (0)

#define ASSERT_ERROR(expr, err)                                                                           \
        do {                                                                                              \
                long _r = (long) (expr);                                                                  \
                if (_r != -(long) (err))                                                                  \
                        tests_fail(__FILE__, __LINE__, "%s returned %ld, expected -%s", #expr, _r, #err); \
        } while (0)

#define ASSERT_EQ(a, b)                                                                           \
        do {                                                                                      \
                long long _a = (long long) (a), _b = (long long) (b);                             \
                if (_a != _b)                                                                     \
                        tests_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b); \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                                   \
        do {                                                                                                 \
                const char *_a = (a), *_b = (b);                                                             \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                                       \
                        tests_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, _a ?: "(null)", \
                                   _b ?: "(null)");                                                          \
        } while (0)

/* Both NULL, or equal strings. */
#define ASSERT_STREQ_PTR(a, b)                   \
        do {                                     \
                const char *_x = (a), *_y = (b); \
                if (_x || _y)                    \
                        ASSERT_STREQ(_x, _y);    \
        } while (0)

#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

/* String tables: every value has a name that maps back to it. */

#define CHECK_TABLE(name, max, ...)                                                         \
        do {                                                                                \
                static const char *const _names[] = { __VA_ARGS__ };                        \
                ASSERT_EQ(ELEMENTSOF(_names), max);                                         \
                for (int _i = 0; _i < (int) (max); _i++) {                                  \
                        const char *_s = name##_to_string(_i);                              \
                        ASSERT_STREQ(_s, _names[_i]);                                       \
                        ASSERT_EQ(name##_from_string(_s), _i);                              \
                        ASSERT_STREQ(name##_to_string(name##_from_string(_names[_i])), _s); \
                }                                                                           \
                ASSERT_NULL(name##_to_string(max));                                         \
                ASSERT_NULL(name##_to_string(-1));                                          \
                ASSERT_NULL(name##_to_string(-EINVAL));                                     \
                ASSERT_ERROR(name##_from_string("bogus"), EINVAL);                          \
                ASSERT_ERROR(name##_from_string(""), EINVAL);                               \
                ASSERT_ERROR(name##_from_string(NULL), EINVAL);                             \
        } while (0)
