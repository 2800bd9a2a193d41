/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <math.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dlopen-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "id128.h"
#include "lock-util.h"
#include "parse-util.h"
#include "path-util.h"
#include "process-util.h"
#include "progress.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"
#include "time-util.h"

static bool file_exists(const char *p) {
        return access(p, F_OK) >= 0;
}

static bool fd_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

/* string-util */

TEST(startswith_endswith) {
        ASSERT_STREQ(startswith("machine-foo", "machine-"), "foo");
        ASSERT_STREQ(startswith("abc", ""), "abc");
        ASSERT_NULL(startswith("mach", "machine"));
        ASSERT_STREQ(endswith("foo.scope", ".scope"), ".scope");
        ASSERT_STREQ(endswith("foo", ""), "");
        ASSERT_NULL(endswith("scope", "x.scope"));
        ASSERT_NULL(endswith("foo.scopex", ".scope"));
}

TEST(strjoin_and_strip) {
        _cleanup_free_ char *a = strjoin("a", "/", "b", "", "c");
        _cleanup_free_ char *b = strdup("value \t\n\n");
        _cleanup_free_ char *c = strdup_printf("%s=%d", "N", 42);

        ASSERT_STREQ(a, "a/bc");
        ASSERT_STREQ(strstrip_trailing(b), "value");
        ASSERT_STREQ(c, "N=42");
}

TEST(free_and_strdup) {
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(free_and_strdup(&s, "one"));
        ASSERT_STREQ(s, "one");
        ASSERT_OK(free_and_strdup(&s, "two"));
        ASSERT_STREQ(s, "two");
        ASSERT_OK(free_and_strdup(&s, NULL));
        ASSERT_NULL(s);
}

TEST(format_bytes) {
        char buf[FORMAT_BYTES_MAX];

        ASSERT_STREQ(format_bytes(buf, sizeof buf, 0), "0B");
        ASSERT_STREQ(format_bytes(buf, sizeof buf, 1023), "1023B");
        ASSERT_STREQ(format_bytes(buf, sizeof buf, 1024), "1.0K");
        ASSERT_STREQ(format_bytes(buf, sizeof buf, 1536), "1.5K");
        ASSERT_STREQ(format_bytes(buf, sizeof buf, UINT64_C(64) << 20), "64.0M");
        ASSERT_STREQ(format_bytes(buf, sizeof buf, (UINT64_C(1) << 30) * 3 / 2), "1.5G");
        ASSERT_STREQ(format_bytes(buf, sizeof buf, UINT64_MAX), "15.9E");
}

/* What a progress line wrote on the terminal (master side), as text: all
 * that arrives until the terminal is quiet for 100ms. */
static void read_terminal(int master, char *buf, size_t size) {
        size_t have = 0;

        for (;;) {
                struct pollfd pfd = { .fd = master, .events = POLLIN };
                ssize_t n;

                if (poll(&pfd, 1, have == 0 ? 5000 : 100) <= 0)
                        break;
                n = read(master, buf + have, size - 1 - have);
                if (n <= 0)
                        break;
                have += (size_t) n;
        }
        ASSERT_TRUE(have > 0);
        buf[have] = '\0';
}

TEST(progress) {
        _cleanup_close_ int master = -EBADF, slave = -EBADF;
        _cleanup_close_pair_ int pipe_fd[2] = { -EBADF, -EBADF };
        char buf[256];
        Progress p;

        /* Not a terminal: nothing at all, but it still counts. */
        ASSERT_OK(pipe2(pipe_fd, O_CLOEXEC | O_NONBLOCK));
        progress_init(&p, pipe_fd[1], 100);
        progress_add(&p, 40);
        progress_end(&p, true, "Copied");
        ASSERT_EQ(p.done, 40);
        ASSERT_TRUE(read(pipe_fd[0], buf, sizeof buf) < 0 && errno == EAGAIN);

        /* A terminal: a line redrawn in place, then the summary. */
        ASSERT_OK(openpty(&master, &slave, NULL, NULL, NULL));
        progress_init(&p, slave, 100);
        progress_add(&p, 50); /* the first one draws */
        read_terminal(master, buf, sizeof buf);
        ASSERT_TRUE(startswith(buf, "\r\033[K50B of 100B (50%), "));
        ASSERT_TRUE(strstr(buf, "/s, ") && endswith(buf, " left"));
        progress_add(&p, 10); /* too soon after: not drawn */
        ASSERT_EQ(p.done, 60);
        progress_end(&p, true, "Copied");
        read_terminal(master, buf, sizeof buf);
        ASSERT_TRUE(startswith(buf, "\r\033[KCopied 60B in "));

        /* Unknown total: no percentage; a failure leaves a clean line. */
        progress_init(&p, slave, UINT64_MAX);
        progress_add(&p, 2048);
        read_terminal(master, buf, sizeof buf);
        ASSERT_TRUE(startswith(buf, "\r\033[K2.0K, "));
        ASSERT_NULL(strstr(buf, "%"));
        progress_end(&p, false, "Copied");
        read_terminal(master, buf, sizeof buf);
        ASSERT_STREQ(buf, "\r\033[K");
}

TEST(utf8_is_valid) {
        ASSERT_TRUE(utf8_is_valid(""));
        ASSERT_TRUE(utf8_is_valid("plain"));
        ASSERT_TRUE(utf8_is_valid("d\xc3\xa9"
                                  "bian"));              /* é */
        ASSERT_TRUE(utf8_is_valid("\xe2\x82\xac"));      /* € */
        ASSERT_TRUE(utf8_is_valid("\xf0\x9f\x90\xa7"));  /* 🐧 */
        ASSERT_FALSE(utf8_is_valid("\xc3"));             /* cut short */
        ASSERT_FALSE(utf8_is_valid("\xc3x"));            /* no continuation */
        ASSERT_FALSE(utf8_is_valid("\xc0\xaf"));         /* overlong '/' */
        ASSERT_FALSE(utf8_is_valid("\xed\xa0\x80"));     /* a surrogate */
        ASSERT_FALSE(utf8_is_valid("\xf4\x90\x80\x80")); /* past U+10FFFF */
        ASSERT_FALSE(utf8_is_valid("\xff"));
}

TEST(string_is_safe) {
        ASSERT_TRUE(string_is_safe("/var/lib/machines/a b$c"));
        ASSERT_TRUE(string_is_safe(""));
        ASSERT_FALSE(string_is_safe("a\"b"));
        ASSERT_FALSE(string_is_safe("a'b"));
        ASSERT_FALSE(string_is_safe("a\\b"));
        ASSERT_FALSE(string_is_safe("a\nb"));
        ASSERT_FALSE(string_is_safe("a\x7f"));
        ASSERT_FALSE(string_is_safe("\xc3\xa4"));
}

TEST(hexchar) {
        ASSERT_EQ(unhexchar('0'), 0);
        ASSERT_EQ(unhexchar('9'), 9);
        ASSERT_EQ(unhexchar('a'), 10);
        ASSERT_EQ(unhexchar('F'), 15);
        ASSERT_ERROR(unhexchar('g'), EINVAL);
        ASSERT_EQ(hexchar(0), '0');
        ASSERT_EQ(hexchar(10), 'a');
        ASSERT_EQ(hexchar(0x1f), 'f');
}

/* Splits p completely and checks the fields it gave. */
static void check_fields(const char *s, char sep, const char *const *expected) {
        const char *p = s;
        size_t i = 0;

        for (;;) {
                _cleanup_free_ char *f = NULL;
                int r = extract_field(&p, sep, &f);

                ASSERT_OK(r);
                if (r == 0) {
                        ASSERT_NULL(f);
                        break;
                }
                ASSERT_NOT_NULL(expected[i]);
                ASSERT_STREQ(f, expected[i]);
                i++;
        }
        ASSERT_NULL(expected[i]);
}

TEST(extract_field) {
        check_fields("a:b:c", ':', (const char *const[]) { "a", "b", "c", NULL });
        check_fields("a\\:b:c", ':', (const char *const[]) { "a:b", "c", NULL });
        check_fields("a\\\\:b", ':', (const char *const[]) { "a\\", "b", NULL });
        /* a backslash before anything else is kept */
        check_fields("a\\nb:c\\", ':', (const char *const[]) { "a\\nb", "c\\", NULL });
        check_fields("a::b", ':', (const char *const[]) { "a", "", "b", NULL });
        check_fields("a:", ':', (const char *const[]) { "a", "", NULL });
        check_fields("", ':', (const char *const[]) { "", NULL });
        check_fields("rbind,idmap", ',', (const char *const[]) { "rbind", "idmap", NULL });
}

/* strv */

TEST(strv_basics) {
        _cleanup_strv_free_ char **l = NULL, **c = NULL;

        ASSERT_EQ(strv_length(l), 0);
        ASSERT_FALSE(strv_contains(l, "a"));
        ASSERT_OK(strv_extend(&l, "a"));
        ASSERT_OK(strv_consume(&l, strdup("b")));
        ASSERT_ERROR(strv_consume(&l, NULL), ENOMEM);
        ASSERT_EQ(strv_length(l), 2);
        ASSERT_STREQ(l[0], "a");
        ASSERT_STREQ(l[1], "b");
        ASSERT_NULL(l[2]);
        ASSERT_TRUE(strv_contains(l, "b"));
        ASSERT_FALSE(strv_contains(l, "c"));

        c = strv_copy(l);
        ASSERT_NOT_NULL(c);
        ASSERT_EQ(strv_length(c), 2);
        ASSERT_TRUE(c[0] != l[0]);
        ASSERT_STREQ(c[1], "b");
}

TEST(strv_env) {
        _cleanup_strv_free_ char **l = NULL;

        ASSERT_OK(strv_env_set(&l, "A=1"));
        ASSERT_OK(strv_env_set(&l, "AB=2"));
        ASSERT_OK(strv_env_setf(&l, "C", "x y"));
        ASSERT_OK(strv_env_set(&l, "A=3"));
        ASSERT_EQ(strv_length(l), 3);
        ASSERT_STREQ(l[0], "A=3");
        ASSERT_STREQ(strv_env_get(l, "A"), "3");
        ASSERT_STREQ(strv_env_get(l, "AB"), "2");
        ASSERT_STREQ(strv_env_get(l, "C"), "x y");
        ASSERT_NULL(strv_env_get(l, "B"));
        ASSERT_NULL(strv_env_get(l, "ABC"));
}

TEST(env_assignment_is_valid) {
        ASSERT_TRUE(env_assignment_is_valid("A=1"));
        ASSERT_TRUE(env_assignment_is_valid("_a9=")); /* empty value is fine */
        ASSERT_TRUE(env_assignment_is_valid("PATH=/a=b"));
        ASSERT_FALSE(env_assignment_is_valid("=x"));
        ASSERT_FALSE(env_assignment_is_valid("A"));
        ASSERT_FALSE(env_assignment_is_valid("1A=x"));
        ASSERT_FALSE(env_assignment_is_valid("A B=x"));
        ASSERT_FALSE(env_assignment_is_valid("A-B=x"));
        ASSERT_FALSE(env_assignment_is_valid(""));
}

/* path-util */

TEST(path_join) {
        _cleanup_free_ char *a = path_join("/a/", "/b"), *b = path_join("a", "b/c"), *c = path_join("/", "x");

        ASSERT_STREQ(a, "/a/b");
        ASSERT_STREQ(b, "a/b/c");
        ASSERT_STREQ(c, "/x");
}

/* Simplifies in place: in a buffer of exactly strlen(in) + 1 bytes,
 * followed by guard bytes that must stay as they are. */
static void check_simplify(const char *in, const char *out) {
        size_t l = strlen(in);
        _cleanup_free_ char *p = malloc(l + 1 + 4);

        ASSERT_NOT_NULL(p);
        memcpy(p, in, l + 1);
        memcpy(p + l + 1, "\xa5\xa5\xa5\xa5", 4);
        ASSERT_TRUE(path_simplify(p) == p);
        if (memcmp(p + l + 1, "\xa5\xa5\xa5\xa5", 4) != 0)
                tests_fail(__FILE__, __LINE__, "path_simplify(\"%s\") wrote past the string's end", in);
        ASSERT_STREQ(p, out);
}

TEST(path_simplify) {
        check_simplify("//a/./b//", "/a/b");
        check_simplify("/", "/");
        check_simplify("///", "/");
        check_simplify("a/./b/", "a/b");
        check_simplify("./", ".");
        check_simplify(".", ".");
        check_simplify("", "");               /* nothing to make "." of, in place */
        check_simplify("/a/../b", "/a/../b"); /* ".." is left alone */
}

TEST(path_has_no_dotdot) {
        ASSERT_TRUE(path_has_no_dotdot("/a/b"));
        ASSERT_TRUE(path_has_no_dotdot("/a/..b/c.."));
        ASSERT_TRUE(path_has_no_dotdot("/a/.../b"));
        ASSERT_FALSE(path_has_no_dotdot(".."));
        ASSERT_FALSE(path_has_no_dotdot("/.."));
        ASSERT_FALSE(path_has_no_dotdot("/a/../b"));
        ASSERT_FALSE(path_has_no_dotdot("../a"));
        ASSERT_FALSE(path_has_no_dotdot("a/.."));
}

static void check_split(const char *p, const char *dir, const char *last) {
        _cleanup_free_ char *d = NULL, *l = NULL;

        ASSERT_OK(path_split_last(p, &d, &l));
        ASSERT_STREQ(d, dir);
        ASSERT_STREQ(l, last);
}

TEST(path_split_last) {
        char *d = NULL, *l = NULL;

        check_split("/a/b", "/a", "b");
        check_split("/a//b/", "/a", "b");
        check_split("/a", "/", "a");
        check_split("a", ".", "a");
        check_split("a/b", "a", "b");
        ASSERT_ERROR(path_split_last("/", &d, &l), EINVAL);
        ASSERT_ERROR(path_split_last("//.", &d, &l), EINVAL);
        ASSERT_NULL(d);
        ASSERT_NULL(l);
}

TEST(path_make_absolute_cwd) {
        _cleanup_free_ char *a = NULL, *b = NULL, *expected = tests_path("x/y");

        ASSERT_TRUE(path_is_absolute("/a"));
        ASSERT_FALSE(path_is_absolute("a"));
        ASSERT_FALSE(path_is_absolute(NULL));

        ASSERT_TRUE(chdir(tests_tmpdir()) >= 0);
        ASSERT_OK(path_make_absolute_cwd("x/./y/", &a));
        ASSERT_STREQ(a, expected);
        ASSERT_OK(path_make_absolute_cwd("/abs//p", &b));
        ASSERT_STREQ(b, "/abs/p");
}

/* parse-util */

TEST(safe_atou) {
        uint32_t u = 7;
        uint64_t v = 7;
        int i = 7;

        ASSERT_OK(safe_atou32("42", 10, &u));
        ASSERT_EQ(u, 42);
        ASSERT_OK(safe_atou32("4294967295", 10, &u));
        ASSERT_EQ(u, UINT32_MAX);
        ASSERT_OK(safe_atou32("ff", 16, &u));
        ASSERT_EQ(u, 255);
        ASSERT_OK(safe_atou32("0755", 8, &u));
        ASSERT_EQ(u, 0755);

        u = 7;
        ASSERT_ERROR(safe_atou32("4294967296", 10, &u), ERANGE);
        ASSERT_ERROR(safe_atou32("-1", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32("+1", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32(" 1", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32("1 ", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32("1x", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32("0x10", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32("", 10, &u), EINVAL);
        ASSERT_ERROR(safe_atou32("a", 10, &u), EINVAL);
        ASSERT_EQ(u, 7); /* untouched on failure */

        ASSERT_OK(safe_atou64("18446744073709551615", 10, &v));
        ASSERT_TRUE(v == UINT64_MAX);
        ASSERT_ERROR(safe_atou64("18446744073709551616", 10, &v), ERANGE);

        ASSERT_OK(safe_atoi("-5", &i));
        ASSERT_EQ(i, -5);
        ASSERT_ERROR(safe_atoi("2147483648", &i), ERANGE);
        ASSERT_ERROR(safe_atoi(" 5", &i), EINVAL);
        ASSERT_ERROR(safe_atoi("5a", &i), EINVAL);
        ASSERT_ERROR(safe_atoi("", &i), EINVAL);
}

TEST(parse_pid_and_mode) {
        pid_t pid = 0;
        mode_t mode = 0;

        ASSERT_OK(parse_pid("1", &pid));
        ASSERT_EQ(pid, 1);
        ASSERT_ERROR(parse_pid("0", &pid), ERANGE);
        ASSERT_ERROR(parse_pid("2147483648", &pid), ERANGE);
        ASSERT_ERROR(parse_pid("-1", &pid), EINVAL);

        ASSERT_OK(parse_mode("0755", &mode));
        ASSERT_EQ(mode, 0755);
        ASSERT_OK(parse_mode("7777", &mode));
        ASSERT_EQ(mode, 07777);
        ASSERT_ERROR(parse_mode("10000", &mode), ERANGE);
        ASSERT_ERROR(parse_mode("8", &mode), EINVAL);
}

TEST(parse_boolean) {
        const char *yes[] = { "1", "yes", "YES", "y", "true", "True", "t", "on", "ON" };
        const char *no[] = { "0", "no", "n", "false", "FALSE", "f", "off", "Off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                ASSERT_EQ(parse_boolean(yes[i]), 1);
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                ASSERT_EQ(parse_boolean(no[i]), 0);
        ASSERT_ERROR(parse_boolean(""), EINVAL);
        ASSERT_ERROR(parse_boolean("maybe"), EINVAL);
        ASSERT_ERROR(parse_boolean("yes "), EINVAL);
        ASSERT_ERROR(parse_boolean("2"), EINVAL);
}

static void check_sec(const char *s, usec_t expected) {
        usec_t u = 0;

        ASSERT_OK(parse_sec(s, &u));
        if (u != expected)
                tests_fail(__FILE__, __LINE__, "parse_sec(\"%s\") = %llu, expected %llu", s, (unsigned long long) u,
                           (unsigned long long) expected);
}

TEST(parse_sec) {
        usec_t u = 42;

        check_sec("90", 90 * USEC_PER_SEC);
        check_sec("90s", 90 * USEC_PER_SEC);
        check_sec("90 sec", 90 * USEC_PER_SEC);
        check_sec("1.5min", 90 * USEC_PER_SEC);
        check_sec("100ms", 100 * USEC_PER_MSEC);
        check_sec("10msec", 10 * USEC_PER_MSEC);
        check_sec("500us", 500);
        check_sec("1m", 60 * USEC_PER_SEC);
        check_sec("1h 30min", 5400 * USEC_PER_SEC);
        check_sec("1h30min", 5400 * USEC_PER_SEC);
        check_sec("2 hours", 7200 * USEC_PER_SEC);
        check_sec("1d", 86400 * USEC_PER_SEC);
        check_sec("0", 0);
        check_sec("infinity", USEC_INFINITY);

        ASSERT_ERROR(parse_sec("", &u), EINVAL);
        ASSERT_ERROR(parse_sec("   ", &u), EINVAL);
        ASSERT_ERROR(parse_sec("abc", &u), EINVAL);
        ASSERT_ERROR(parse_sec("-5", &u), EINVAL);
        ASSERT_ERROR(parse_sec("5x", &u), EINVAL);
        ASSERT_ERROR(parse_sec("5mss", &u), EINVAL);
        ASSERT_ERROR(parse_sec("5 parsecs", &u), EINVAL);
        ASSERT_ERROR(parse_sec("99999999999999999999d", &u), ERANGE);
        ASSERT_EQ(u, 42);
}

/* time-util */

TEST(format_timespan) {
        char buf[64];

        ASSERT_STREQ(format_timespan(buf, sizeof buf, 0), "0ms");
        ASSERT_STREQ(format_timespan(buf, sizeof buf, 250 * USEC_PER_MSEC), "250ms");
        ASSERT_STREQ(format_timespan(buf, sizeof buf, 1500 * USEC_PER_MSEC), "1.500s");
        ASSERT_STREQ(format_timespan(buf, sizeof buf, 59999 * USEC_PER_MSEC), "59.999s");
        ASSERT_STREQ(format_timespan(buf, sizeof buf, 200 * USEC_PER_SEC), "3min 20s");
        ASSERT_STREQ(format_timespan(buf, sizeof buf, USEC_INFINITY), "infinity");
}

/* What format_timespan() shows, parse_sec() reads back. */
TEST(format_timespan_parses_back) {
        static const usec_t values[] = { 0,
                                         5 * USEC_PER_MSEC,
                                         999 * USEC_PER_MSEC,
                                         USEC_PER_SEC,
                                         1500 * USEC_PER_MSEC,
                                         60 * USEC_PER_SEC,
                                         3600 * USEC_PER_SEC,
                                         USEC_INFINITY };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                usec_t u;

                ASSERT_OK(parse_sec(format_timespan(buf, sizeof buf, values[i]), &u));
                if (u != values[i])
                        tests_fail(__FILE__, __LINE__, "\"%s\" parsed as %llu, expected %llu", buf,
                                   (unsigned long long) u, (unsigned long long) values[i]);
        }
}

TEST(format_timestamp) {
        char buf[64];

        ASSERT_TRUE(setenv("TZ", "UTC", 1) >= 0);
        tzset();
        ASSERT_STREQ(format_timestamp(buf, sizeof buf, UINT64_C(1700000000) * USEC_PER_SEC + 999999),
                     "Tue 2023-11-14 22:13:20 UTC");
}

TEST(now) {
        usec_t a = now(CLOCK_MONOTONIC), b;

        ASSERT_TRUE(a > 0);
        (void) usleep(2000);
        b = now(CLOCK_MONOTONIC);
        ASSERT_TRUE(b >= a + 2 * USEC_PER_MSEC);
        ASSERT_TRUE(now(CLOCK_REALTIME) > UINT64_C(1600000000) * USEC_PER_SEC);
}

/* process-util */

static int set_and_return(void *arg) {
        *(int *) arg = 42;
        return 7;
}

TEST(clone_in_our_memory) {
        void *stack = NULL;
        siginfo_t si = {};
        int shared = 0;
        pid_t pid;

        /* CLONE_VFORK: we go on once the child has exited */
        pid = clone_in_our_memory(set_and_return, &shared, CLONE_VFORK | SIGCHLD, &stack);
        ASSERT_OK(pid);
        ASSERT_NOT_NULL(stack);
        ASSERT_EQ(shared, 42);
        ASSERT_OK(wait_for_terminate(pid, &si));
        ASSERT_EQ(si.si_pid, pid);
        ASSERT_EQ(exit_status_from_siginfo(&si), 7);
        clone_stack_free(stack);
        clone_stack_free(NULL);
}

TEST(exit_status_and_liveness) {
        _cleanup_close_pair_ int p[2] = { -EBADF, -EBADF };
        siginfo_t si = {};
        pid_t pid;
        char c = 0;

        ASSERT_TRUE(pipe2(p, O_CLOEXEC) >= 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
                _exit(read(p[0], &c, 1) == 1 ? c : 100);
        ASSERT_TRUE(pid_is_alive(pid));
        ASSERT_FALSE(pid_is_alive(0));
        ASSERT_FALSE(pid_is_alive(-1));

        c = 3;
        ASSERT_EQ(write(p[1], &c, 1), 1);
        /* a zombie is not alive */
        ASSERT_OK(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOWAIT));
        ASSERT_FALSE(pid_is_alive(pid));
        ASSERT_OK(wait_for_terminate(pid, &si));
        ASSERT_EQ(exit_status_from_siginfo(&si), 3);
        ASSERT_FALSE(pid_is_alive(pid));
        ASSERT_ERROR(wait_for_terminate(pid, &si), ECHILD);

        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        ASSERT_TRUE(kill(pid, SIGKILL) >= 0);
        ASSERT_OK(wait_for_terminate(pid, &si));
        ASSERT_EQ(exit_status_from_siginfo(&si), 128 + SIGKILL);
}

/* The command name in /proc/PID/stat may contain ") " and digits: the start
 * time must come out the same whatever it is. */
TEST(pid_get_starttime) {
        _cleanup_close_pair_ int go[2] = { -EBADF, -EBADF }, done[2] = { -EBADF, -EBADF };
        uint64_t self = 0, before = 0, after = 0;
        siginfo_t si;
        pid_t pid;
        char c = 0;

        ASSERT_OK(pid_get_starttime(getpid(), &self));
        ASSERT_TRUE(self > 0);
        ASSERT_TRUE(pipe2(go, O_CLOEXEC) >= 0);
        ASSERT_TRUE(pipe2(done, O_CLOEXEC) >= 0);

        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (read(go[0], &c, 1) != 1 || prctl(PR_SET_NAME, "a) R 1 2 3 4 5") < 0 ||
                    write(done[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
                        _exit(1);
                _exit(0);
        }
        ASSERT_OK(pid_get_starttime(pid, &before));
        ASSERT_TRUE(before >= self);
        ASSERT_EQ(write(go[1], "x", 1), 1);
        ASSERT_EQ(read(done[0], &c, 1), 1);
        ASSERT_OK(pid_get_starttime(pid, &after));
        ASSERT_TRUE(after == before);
        ASSERT_EQ(write(go[1], "x", 1), 1);
        ASSERT_OK(wait_for_terminate(pid, &si));
        ASSERT_EQ(exit_status_from_siginfo(&si), 0);

        ASSERT_ERROR(pid_get_starttime(pid, &after), ENOENT);
}

TEST(sigprocmask_many) {
        sigset_t old, now_set;

        ASSERT_OK(sigprocmask_many(SIG_BLOCK, &old, SIGUSR1, SIGUSR2, -1));
        ASSERT_TRUE(sigprocmask(SIG_SETMASK, NULL, &now_set) >= 0);
        ASSERT_TRUE(sigismember(&now_set, SIGUSR1));
        ASSERT_TRUE(sigismember(&now_set, SIGUSR2));
        ASSERT_FALSE(sigismember(&now_set, SIGTERM));

        ASSERT_TRUE(signal(SIGTERM, SIG_IGN) != SIG_ERR);
        ASSERT_OK(reset_all_signals());
        ASSERT_TRUE(sigprocmask(SIG_SETMASK, NULL, &now_set) >= 0);
        ASSERT_FALSE(sigismember(&now_set, SIGUSR1));
        ASSERT_TRUE(signal(SIGTERM, SIG_DFL) == SIG_DFL);
}

/* fileio */

TEST(write_and_read_string_file) {
        _cleanup_free_ char *p = tests_path("f"), *missing = tests_path("missing"), *t = NULL, *line = NULL;
        size_t size = 0;

        ASSERT_ERROR(write_string_file(missing, "x", 0), ENOENT);
        ASSERT_FALSE(file_exists(missing));

        ASSERT_OK(write_string_file(p, "hello", WRITE_FILE_CREATE));
        ASSERT_OK(read_full_file(p, &t, &size));
        ASSERT_STREQ(t, "hello\n");
        ASSERT_EQ(size, 6);
        free(t);
        t = NULL;

        /* no second newline, and truncated on rewrite */
        ASSERT_OK(write_string_file(p, "a\nsecond line\n", WRITE_FILE_CREATE));
        ASSERT_OK(read_full_file(p, &t, &size));
        ASSERT_STREQ(t, "a\nsecond line\n");
        ASSERT_OK(read_one_line_file(p, &line));
        ASSERT_STREQ(line, "a");
        free(t);
        t = NULL;

        ASSERT_OK(write_string_file(p, "1", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        ASSERT_OK(read_full_file(p, &t, &size));
        ASSERT_STREQ(t, "1");
        ASSERT_EQ(size, 1);

        ASSERT_ERROR(read_full_file(missing, &t, NULL), ENOENT);
}

TEST(read_full_file_empty) {
        _cleanup_free_ char *p = tests_path("empty"), *t = NULL;
        size_t size = 1;

        ASSERT_OK(write_string_file(p, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        ASSERT_OK(read_full_file(p, &t, &size));
        ASSERT_STREQ(t, "");
        ASSERT_EQ(size, 0);
}

/* max_size is the largest size accepted: a file of exactly max_size bytes
 * is read whole, one byte more is refused (never silently cut). */
TEST(read_full_file_max_size) {
        _cleanup_free_ char *p = tests_path("ten"), *t = NULL;
        size_t size = 0;

        ASSERT_OK(write_string_file(p, "0123456789", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        ASSERT_ERROR(read_full_file_at(AT_FDCWD, p, 9, &t, &size), EFBIG);
        ASSERT_NULL(t);
        ASSERT_OK(read_full_file_at(AT_FDCWD, p, 11, &t, &size));
        ASSERT_STREQ(t, "0123456789");
        free(t);
        t = NULL;
        ASSERT_OK(read_full_file_at(AT_FDCWD, p, 10, &t, &size));
        ASSERT_STREQ(t, "0123456789");
        ASSERT_EQ(size, 10);
}

TEST(write_string_file_atomic) {
        _cleanup_free_ char *p = tests_path("record"), *t = NULL, *bad = tests_path("nodir/record");
        _cleanup_close_ int old_fd = -EBADF;
        struct stat a, b;
        char buf[16] = {};

        ASSERT_OK(write_string_file(p, "old", WRITE_FILE_ATOMIC));
        ASSERT_EQ(tests_count_entries(AT_FDCWD, tests_tmpdir()), 1);
        old_fd = open(p, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(old_fd >= 0);
        ASSERT_TRUE(fstat(old_fd, &a) >= 0);

        /* A new file renamed into place: a reader of the old one keeps
         * seeing the old contents, never a mix. */
        ASSERT_OK(write_string_file(p, "new contents", WRITE_FILE_ATOMIC));
        ASSERT_TRUE(stat(p, &b) >= 0);
        ASSERT_TRUE(a.st_ino != b.st_ino);
        ASSERT_EQ(pread(old_fd, buf, sizeof buf - 1, 0), 4);
        ASSERT_STREQ(buf, "old\n");
        ASSERT_OK(read_full_file(p, &t, NULL));
        ASSERT_STREQ(t, "new contents\n");
        ASSERT_EQ(tests_count_entries(AT_FDCWD, tests_tmpdir()), 1); /* no temporary file left */

        ASSERT_ERROR(write_string_file(bad, "x", WRITE_FILE_ATOMIC), ENOENT);
        ASSERT_EQ(tests_count_entries(AT_FDCWD, tests_tmpdir()), 1);
}

static int collect_cb(const char *key, const char *value, void *userdata) {
        char ***l = userdata;

        return strv_consume(l, strjoin(key, "=", value));
}

TEST(parse_env_text) {
        static const char text[] = "# a comment\n"
                                   "; another one\n"
                                   "\n"
                                   "   \t\n"
                                   "A=1\n"
                                   "B=\"two words\"\n"
                                   "C='single $X \\n \"q\"'\n"
                                   "D=bare\\ escaped\n"
                                   "E=\"quote \\\" and \\\\ inside\"\n"
                                   "  F = spaced\n"
                                   "G=value # trailing comment\n"
                                   "H=\n"
                                   "I=mixed\"quoted part\"'and more'\n"
                                   "J=last";
        static const char *const expected[] = {
                "A=1",
                "B=two words",
                "C=single $X \\n \"q\"",
                "D=bare escaped",
                "E=quote \" and \\ inside",
                "F=spaced",
                "G=value",
                "H=",
                "I=mixedquoted partand more",
                "J=last",
                NULL,
        };
        _cleanup_strv_free_ char **l = NULL;
        unsigned line = 0;

        ASSERT_OK(parse_env_text(text, collect_cb, &l, &line));
        for (size_t i = 0; expected[i] || l[i]; i++) {
                ASSERT_NOT_NULL(l[i]);
                ASSERT_STREQ(l[i], expected[i]);
        }
        ASSERT_EQ(line, 0); /* only set for a malformed line */
}

static void check_malformed(const char *text, unsigned expected_line) {
        _cleanup_strv_free_ char **l = NULL;
        unsigned line = 0;

        ASSERT_ERROR(parse_env_text(text, collect_cb, &l, &line), EBADMSG);
        if (line != expected_line)
                tests_fail(__FILE__, __LINE__, "malformed line of \"%s\" reported as %u, expected %u", text, line,
                           expected_line);
}

TEST(parse_env_text_malformed) {
        check_malformed("no equals sign", 1);
        check_malformed("A=1\n# c\nno equals sign\nB=2\n", 3);
        check_malformed("A=1\n\n=value\n", 3);
        check_malformed("A=1\n  = value\n", 2);
        check_malformed("A=\"unterminated\nB=2\n", 1);
        check_malformed("A=1\nB='unterminated\n", 2);
}

static int failing_cb(const char *key, const char *value, void *userdata) {
        unsigned *n = userdata;

        if (++*n == 2)
                return -ENOTRECOVERABLE;
        return 0;
}

TEST(parse_env_text_callback_error) {
        unsigned n = 0, line = 0;

        ASSERT_ERROR(parse_env_text("A=1\nB=2\nC=3\n", failing_cb, &n, &line), ENOTRECOVERABLE);
        ASSERT_EQ(n, 2);
}

TEST(env_text_get) {
        static const char os_release[] = "NAME=\"Debian GNU/Linux\"\n"
                                         "VERSION_ID=\"12\"\n"
                                         "ID=debian\n"
                                         "ID=debian-again\n"
                                         "PRETTY_NAME='Debian \"bookworm\"'\n";
        _cleanup_free_ char *name = NULL, *id = NULL, *pretty = NULL, *missing = NULL, *before_bad = NULL;

        ASSERT_OK(env_text_get(os_release, "NAME", &name));
        ASSERT_STREQ(name, "Debian GNU/Linux");
        ASSERT_OK(env_text_get(os_release, "ID", &id));
        ASSERT_STREQ(id, "debian-again"); /* the last assignment wins */
        ASSERT_OK(env_text_get(os_release, "PRETTY_NAME", &pretty));
        ASSERT_STREQ(pretty, "Debian \"bookworm\"");
        ASSERT_OK(env_text_get(os_release, "VERSION_CODENAME", &missing));
        ASSERT_NULL(missing);

        /* os-release files are not ours: a malformed line does not make
         * what came before it unreadable */
        ASSERT_OK(env_text_get("ID=fedora\nthis is not an assignment\n", "ID", &before_bad));
        ASSERT_STREQ(before_bad, "fedora");
}

/* id128 */

TEST(id128_parse_and_format) {
        Id128 a, b, c;
        char s[ID128_STRING_MAX], u[ID128_UUID_STRING_MAX];

        ASSERT_OK(id128_from_string("0123456789abcdef0123456789abcdef", &a));
        ASSERT_OK(id128_from_string("01234567-89ab-cdef-0123-456789abcdef", &b));
        ASSERT_OK(id128_from_string("01234567-89AB-CDEF-0123-456789ABCDEF", &c));
        ASSERT_TRUE(id128_equal(a, b));
        ASSERT_TRUE(id128_equal(a, c));
        ASSERT_EQ(a.bytes[0], 0x01);
        ASSERT_EQ(a.bytes[15], 0xef);
        ASSERT_STREQ(id128_to_string(a, s), "0123456789abcdef0123456789abcdef");
        ASSERT_STREQ(id128_to_uuid_string(a, u), "01234567-89ab-cdef-0123-456789abcdef");
        ASSERT_FALSE(id128_is_null(a));
        ASSERT_TRUE(id128_is_null((Id128) {}));
}

TEST(id128_parse_invalid) {
        static const char *const bad[] = {
                "",
                "0123456789abcdef0123456789abcde",       /* 31 */
                "0123456789abcdef0123456789abcdef0",     /* 33 */
                "0123456789abcdef0123456789abcdeg",      /* not hex */
                "0123456-789ab-cdef-0123-456789abcdef",  /* dash misplaced */
                "01234567-89ab-cdef-0123-456789abcdef0", /* 37 */
                "01234567089ab0cdef00123-456789abcdef",  /* 36 without all dashes */
                "01234567-89ab-cdef-0123-456789abcde-",  /* dash in a digit's place */
                "0123456789abcdef0123456789abcd-f",
        };
        Id128 id = { .bytes = { 1 } };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (id128_from_string(bad[i], &id) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "id128_from_string(\"%s\") accepted", bad[i]);
        ASSERT_EQ(id.bytes[0], 1);
}

TEST(id128_randomize) {
        Id128 a, b;

        ASSERT_OK(id128_randomize(&a));
        ASSERT_OK(id128_randomize(&b));
        ASSERT_FALSE(id128_equal(a, b));
        ASSERT_EQ(a.bytes[6] >> 4, 4);      /* version 4 */
        ASSERT_EQ(a.bytes[8] & 0xC0, 0x80); /* variant 1 */
        ASSERT_EQ(b.bytes[6] >> 4, 4);
        ASSERT_EQ(b.bytes[8] & 0xC0, 0x80);
}

/* Known FNV-1a values: UID ranges picked from this hash are remembered on
 * disk, so it must never change. */
TEST(hash_fnv1a64) {
        ASSERT_TRUE(hash_fnv1a64("", 0) == UINT64_C(0xcbf29ce484222325));
        ASSERT_TRUE(hash_fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
        ASSERT_TRUE(hash_fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8));
}

/* lock-util */

TEST(lock_exclusive) {
        _cleanup_free_ char *p = tests_path("locks/sub/x.lck");
        LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL;

        ASSERT_OK(lock_file_acquire(p, LOCK_EX | LOCK_NB, &a));
        ASSERT_TRUE(file_exists(p)); /* parents created */
        ASSERT_STREQ(a.path, p);
        ASSERT_EQ(a.operation, LOCK_EX);
        ASSERT_TRUE(a.fd >= 0);

        /* flock() is per open file description: a second open conflicts
         * even within one process. */
        ASSERT_ERROR(lock_file_acquire(p, LOCK_EX | LOCK_NB, &b), EBUSY);
        ASSERT_ERROR(lock_file_acquire(p, LOCK_SH | LOCK_NB, &b), EBUSY);
        ASSERT_EQ(b.fd, -EBADF); /* untouched */

        lock_file_release(&a);
        ASSERT_EQ(a.fd, -EBADF);
        ASSERT_NULL(a.path);
        ASSERT_FALSE(file_exists(p));

        ASSERT_OK(lock_file_acquire(p, LOCK_EX | LOCK_NB, &b));
        lock_file_release(&b);
        lock_file_release(&b); /* twice is harmless */
}

TEST(lock_shared) {
        _cleanup_free_ char *p = tests_path("shared.lck");
        LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL, c = LOCK_FILE_NULL;

        ASSERT_OK(lock_file_acquire(p, LOCK_SH | LOCK_NB, &a));
        ASSERT_OK(lock_file_acquire(p, LOCK_SH | LOCK_NB, &b));
        ASSERT_ERROR(lock_file_acquire(p, LOCK_EX | LOCK_NB, &c), EBUSY);

        /* the file stays while another holder has it */
        lock_file_release(&a);
        ASSERT_TRUE(file_exists(p));
        ASSERT_ERROR(lock_file_acquire(p, LOCK_EX | LOCK_NB, &c), EBUSY);

        lock_file_release(&b);
        ASSERT_FALSE(file_exists(p));
}

TEST(lock_file_remove_stale) {
        _cleanup_free_ char *p = tests_path("stale.lck"), *missing = tests_path("missing.lck");
        LockFile a = LOCK_FILE_NULL;

        ASSERT_OK(lock_file_remove_stale(missing));

        ASSERT_OK(write_string_file(p, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        ASSERT_OK(lock_file_remove_stale(p));
        ASSERT_FALSE(file_exists(p));

        ASSERT_OK(lock_file_acquire(p, LOCK_EX | LOCK_NB, &a));
        ASSERT_ERROR(lock_file_remove_stale(p), EBUSY);
        ASSERT_TRUE(file_exists(p));
        lock_file_release(&a);

        ASSERT_OK(lock_file_acquire(p, LOCK_SH | LOCK_NB, &a));
        ASSERT_ERROR(lock_file_remove_stale(p), EBUSY);
        ASSERT_TRUE(file_exists(p));
        lock_file_release(&a);
        ASSERT_FALSE(file_exists(p));
}

/* Open file description locks, systemd's kind: they conflict with each
 * other as flock() locks do, not with flock() locks; a stale file is
 * removed only when neither kind is held. */
TEST(lock_ofd) {
        _cleanup_free_ char *p = tests_path("ofd.lck");
        LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL, c = LOCK_FILE_NULL;
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        ASSERT_OK(lock_file_acquire(p, LOCK_OFD | LOCK_SH | LOCK_NB, &a));
        ASSERT_EQ(a.operation, LOCK_OFD | LOCK_SH);
        ASSERT_OK(lock_file_acquire(p, LOCK_OFD | LOCK_SH | LOCK_NB, &b));
        ASSERT_ERROR(lock_file_acquire(p, LOCK_OFD | LOCK_EX | LOCK_NB, &c), EBUSY);
        /* What the kernel says another program sees (systemd asks so). */
        ASSERT_TRUE(fcntl(a.fd, F_OFD_GETLK, &fl) == 0);
        ASSERT_EQ(fl.l_type, F_RDLCK);
        /* flock() does not see them. */
        ASSERT_OK(lock_file_acquire(p, LOCK_EX | LOCK_NB, &c));
        c.fd = safe_close(c.fd); /* (not released: a file has one kind of lock, and its release removes it) */
        c.path = (free(c.path), NULL);
        ASSERT_ERROR(lock_file_remove_stale(p), EBUSY);
        ASSERT_TRUE(file_exists(p));

        lock_file_release(&a);
        ASSERT_TRUE(file_exists(p));
        lock_file_release(&b); /* the last one: upgrades, and removes it */
        ASSERT_FALSE(file_exists(p));

        ASSERT_OK(lock_file_acquire(p, LOCK_OFD | LOCK_EX | LOCK_NB, &a));
        ASSERT_ERROR(lock_file_acquire(p, LOCK_OFD | LOCK_SH | LOCK_NB, &b), EBUSY);
        lock_file_release(&a);
        ASSERT_FALSE(file_exists(p));
}

TEST(mkdir_p) {
        _cleanup_free_ char *p = tests_path("a/b/c"), *f = tests_path("a/b/c/file"), *q = tests_path("a/b/c/file/d");
        struct stat st;

        ASSERT_OK(mkdir_p(p, 0755));
        ASSERT_TRUE(stat(p, &st) >= 0 && S_ISDIR(st.st_mode));
        ASSERT_OK(mkdir_p(p, 0755)); /* exists: fine */
        ASSERT_OK(mkdir_parents(f, 0755));
        ASSERT_OK(write_string_file(f, "", WRITE_FILE_CREATE));
        ASSERT_ERROR(mkdir_p(q, 0755), ENOTDIR);
}

/* fd-util */

TEST(close_all_fds_except) {
        int fds[5], high;

        for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                ASSERT_TRUE(fds[i] >= 0);
        }
        high = fcntl(fds[0], F_DUPFD_CLOEXEC, 200);
        ASSERT_TRUE(high >= 200);

        /* unsorted, with an invalid entry; stdio stays for our messages */
        ASSERT_OK(close_all_fds_except((const int[]) { fds[3], 2, -EBADF, 1, fds[1], 0 }, 6));

        ASSERT_TRUE(fd_is_open(2));
        ASSERT_FALSE(fd_is_open(fds[0]));
        ASSERT_TRUE(fd_is_open(fds[1]));
        ASSERT_FALSE(fd_is_open(fds[2]));
        ASSERT_TRUE(fd_is_open(fds[3]));
        ASSERT_FALSE(fd_is_open(fds[4]));
        ASSERT_FALSE(fd_is_open(high));
}

TEST(fd_flags_and_move) {
        _cleanup_close_pair_ int p[2] = { -EBADF, -EBADF };
        int moved;

        ASSERT_TRUE(pipe2(p, O_CLOEXEC) >= 0);
        ASSERT_OK(fd_set_cloexec(p[0], false));
        ASSERT_EQ(fcntl(p[0], F_GETFD) & FD_CLOEXEC, 0);
        ASSERT_OK(fd_set_cloexec(p[0], true));
        ASSERT_EQ(fcntl(p[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        ASSERT_OK(fd_set_nonblock(p[0], true));
        ASSERT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
        ASSERT_OK(fd_set_nonblock(p[0], false));
        ASSERT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);

        moved = fd_move_to(p[1], 150, false);
        ASSERT_EQ(moved, 150);
        ASSERT_FALSE(fd_is_open(p[1]));
        ASSERT_EQ(fcntl(150, F_GETFD) & FD_CLOEXEC, 0);
        p[1] = 150;
        ASSERT_EQ(fd_move_to(150, 150, true), 0);
        ASSERT_EQ(fcntl(150, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        ASSERT_EQ(safe_close(-EBADF), -EBADF);
}

static bool same_file(int a, int b) {
        struct stat x, y;

        return fstat(a, &x) >= 0 && fstat(b, &y) >= 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

TEST(send_receive_fds) {
        _cleanup_close_pair_ int sk[2] = { -EBADF, -EBADF }, p[2] = { -EBADF, -EBADF };
        _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int got[3] = { 5, 5, 5 };
        char buf[16] = {}, c;

        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sk) >= 0);
        ASSERT_TRUE(pipe2(p, O_CLOEXEC) >= 0);
        ASSERT_TRUE(devnull >= 0);

        ASSERT_EQ(send_with_fds(sk[0], "fds", 3, (const int[]) { p[0], devnull }, 2), 3);
        ASSERT_EQ(receive_with_fds(sk[1], buf, sizeof buf, got, 3), 3);
        ASSERT_STREQ(buf, "fds");
        ASSERT_TRUE(got[0] >= 0 && got[1] >= 0);
        ASSERT_EQ(got[2], -EBADF); /* fewer came than there was room for */
        ASSERT_TRUE(same_file(got[0], p[0]));
        ASSERT_TRUE(same_file(got[1], devnull));
        ASSERT_EQ(fcntl(got[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        ASSERT_EQ(fcntl(got[1], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

        /* what arrives is the pipe itself */
        ASSERT_EQ(write(p[1], "x", 1), 1);
        ASSERT_EQ(read(got[0], &c, 1), 1);
        ASSERT_EQ(c, 'x');
        safe_close(got[0]);
        safe_close(got[1]);
}

TEST(receive_fds_more_than_asked) {
        _cleanup_close_pair_ int sk[2] = { -EBADF, -EBADF }, p[2] = { -EBADF, -EBADF };
        _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), got = -EBADF;
        char buf[4], c;

        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sk) >= 0);
        ASSERT_TRUE(pipe2(p, O_CLOEXEC | O_NONBLOCK) >= 0);

        ASSERT_EQ(send_with_fds(sk[0], "x", 1, (const int[]) { devnull, p[1] }, 2), 1);
        ASSERT_EQ(receive_with_fds(sk[1], buf, sizeof buf, &got, 1), 1);
        ASSERT_TRUE(same_file(got, devnull));

        /* The extra copy of the pipe's write end was closed: once we close
         * ours, the reader sees the end of the file. */
        p[1] = safe_close(p[1]);
        ASSERT_EQ(read(p[0], &c, 1), 0); /* -1 with EAGAIN if a copy leaked */
}

TEST(send_receive_without_fds) {
        _cleanup_close_pair_ int sk[2] = { -EBADF, -EBADF };
        int got[2] = { 5, 5 };
        char buf[8] = {};

        ASSERT_TRUE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sk) >= 0);
        ASSERT_EQ(send_with_fds(sk[0], "plain", 5, NULL, 0), 5);
        ASSERT_EQ(receive_with_fds(sk[1], buf, sizeof buf, got, 2), 5);
        ASSERT_STREQ(buf, "plain");
        ASSERT_EQ(got[0], -EBADF);
        ASSERT_EQ(got[1], -EBADF);

        ASSERT_ERROR(send_with_fds(sk[0], "x", 1, (const int[9]) {}, 9), E2BIG);
}

TEST(loop_read_write) {
        _cleanup_close_pair_ int p[2] = { -EBADF, -EBADF };
        char buf[8] = {};

        ASSERT_TRUE(pipe2(p, O_CLOEXEC) >= 0);
        ASSERT_OK(loop_write(p[1], "abcdef", 6));
        ASSERT_OK(loop_read_exact(p[0], buf, 4));
        ASSERT_STREQ(buf, "abcd");
        p[1] = safe_close(p[1]);
        ASSERT_ERROR(loop_read_exact(p[0], buf, 4), EPIPE);
}

/* dlopen-util */

static DLSYM_PROTOTYPE(cos);
static DLSYM_PROTOTYPE(sqrt);

TEST(dlopen_many_sym_real_library) {
        void *dl = NULL, *first;

        ASSERT_OK(dlopen_many_sym(&dl, "libm.so.6", DLSYM_ARG(cos), DLSYM_ARG(sqrt), NULL));
        ASSERT_NOT_NULL(dl);
        ASSERT_NOT_NULL(sym_cos);
        ASSERT_TRUE(sym_cos(0.0) == 1.0);
        ASSERT_TRUE(sym_sqrt(16.0) == 4.0);

        /* loaded once */
        first = dl;
        sym_cos = NULL;
        ASSERT_OK(dlopen_many_sym(&dl, "libm.so.6", DLSYM_ARG(cos), NULL));
        ASSERT_TRUE(dl == first);
        ASSERT_NULL(sym_cos);
}

TEST(dlopen_many_sym_missing_library) {
        void *dl = NULL;

        ASSERT_ERROR(dlopen_many_sym(&dl, "libberth-does-not-exist.so.0", DLSYM_ARG(cos), NULL), EOPNOTSUPP);
        ASSERT_NULL(dl);
        ASSERT_NULL(sym_cos);
}

/* Declared for its type only: no library has it. */
void berth_no_such_symbol(void);
static DLSYM_PROTOTYPE(berth_no_such_symbol);

/* Every symbol or none: a failed load leaves no pointer set, so that
 * nothing can be called on a library that was refused. */
TEST(dlopen_many_sym_missing_symbol) {
        void *dl = NULL;

        ASSERT_ERROR(dlopen_many_sym(&dl, "libm.so.6", DLSYM_ARG(cos), DLSYM_ARG(berth_no_such_symbol), NULL),
                     EOPNOTSUPP);
        ASSERT_NULL(dl);
        ASSERT_NULL(sym_berth_no_such_symbol);
        ASSERT_NULL(sym_cos);
}

TEST(remove_stale_temporaries) {
        _cleanup_free_ char *dir = tests_path("d"), *dead = NULL, *live = NULL, *other = NULL, *odd = NULL;
        char name[64];
        pid_t pid = fork();

        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
                _exit(0);
        ASSERT_TRUE(waitpid(pid, NULL, 0) == pid); /* its PID is free now */

        ASSERT_OK(RET_NERRNO(mkdir(dir, 0755)));
        snprintf(name, sizeof name, "/.#web.%d.tmp", (int) pid);
        dead = strjoin(dir, name);
        snprintf(name, sizeof name, "/.#web.%d.tmp", (int) getpid());
        live = strjoin(dir, name);
        other = strjoin(dir, "/web");
        odd = strjoin(dir, "/.#web.x.tmp");
        ASSERT_TRUE(dead && live && other && odd);
        ASSERT_OK(write_string_file_at(AT_FDCWD, dead, "x", WRITE_FILE_CREATE, 0644));
        ASSERT_OK(write_string_file_at(AT_FDCWD, live, "x", WRITE_FILE_CREATE, 0644));
        ASSERT_OK(write_string_file_at(AT_FDCWD, other, "x", WRITE_FILE_CREATE, 0644));
        ASSERT_OK(write_string_file_at(AT_FDCWD, odd, "x", WRITE_FILE_CREATE, 0644));

        ASSERT_EQ(remove_stale_temporaries(dir), 1);
        ASSERT_TRUE(access(dead, F_OK) < 0);
        ASSERT_OK(RET_NERRNO(access(live, F_OK))); /* its writer lives */
        ASSERT_OK(RET_NERRNO(access(other, F_OK)));
        ASSERT_OK(RET_NERRNO(access(odd, F_OK)));
        ASSERT_EQ(remove_stale_temporaries("/nonexistent-dir"), 0);
}

TEST(escape_control) {
        _cleanup_free_ char *a = escape_control("Debian \033[31mred\007 ok"), *b = escape_control("tab\there\177"),
                            *c = escape_control("caf\xc3\xa9 \xc2\x9b"
                                                "2J"),
                            *d = escape_control("plain \\x2d");

        ASSERT_STREQ(a, "Debian \\x1b[31mred\\x07 ok");
        ASSERT_STREQ(b, "tab\\x09here\\x7f");
        /* UTF-8 stays; C1 (here CSI, U+009B) goes. */
        ASSERT_STREQ(c, "caf\xc3\xa9 \\xc2\\x9b2J");
        ASSERT_STREQ(d, "plain \\x2d");
}
