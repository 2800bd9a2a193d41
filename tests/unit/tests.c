/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"

#define MAX_TESTS 256

static struct {
        const char *name;
        test_fn_t fn;
} tests[MAX_TESTS];
static size_t n_tests;
static char tmpdir[256];

void tests_register(const char *name, test_fn_t fn) {
        if (n_tests >= MAX_TESTS)
                abort();
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        n_tests++;
}

void tests_fail(const char *file, int line, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "# %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        _exit(1);
}

void tests_skip(const char *why) {
        const char *e = getenv("BERTH_TESTS_MUST_WORK");

        fprintf(stderr, "# skipped: %s\n", why);
        _exit(e && strcmp(e, "1") == 0 ? 1 : 77);
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                tests_fail(__FILE__, __LINE__, "write %s: %s", path, strerror(errno));
}

void tests_enter_userns(void) {
        char map[64];
        uid_t uid = getuid();
        gid_t gid = getgid();

        /* The temporary directory is made first: the host's root can't
         * remove what our namespace's root owns otherwise. */
        (void) tests_tmpdir();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                tests_skip("no user namespaces here");
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned) uid);
        write_file("/proc/self/uid_map", map);
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned) gid);
        write_file("/proc/self/gid_map", map);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                tests_fail(__FILE__, __LINE__, "make mounts private: %s", strerror(errno));
}

void tests_enter_netns(void) {
        if (geteuid() != 0)
                tests_enter_userns();
        if (unshare(CLONE_NEWNET) >= 0)
                return;
        /* root without the capability (in a container): as anyone else */
        if (errno != EPERM || geteuid() != 0)
                tests_skip("no network namespaces here");
        tests_enter_userns();
        if (unshare(CLONE_NEWNET) < 0)
                tests_skip("no network namespaces here");
}

int tests_new_netns_fd(void) {
        int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd;

        if (self < 0 || unshare(CLONE_NEWNET) < 0)
                tests_fail(__FILE__, __LINE__, "new network namespace: %s", strerror(errno));
        fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(self, CLONE_NEWNET) < 0)
                tests_fail(__FILE__, __LINE__, "back to the test's network namespace: %s", strerror(errno));
        close(self);
        return fd;
}

pid_t tests_holder(void) {
        pid_t parent = getpid(), pid = fork();

        if (pid < 0)
                tests_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                for (;;)
                        pause();
        }
        return pid;
}

/* Named after the test's PID, so that the runner can remove it whatever
 * way the test ended. */
static void tmpdir_name(pid_t pid, char buf[static 256]) {
        snprintf(buf, 256, "/tmp/berth-unit-%d", (int) pid);
}

static void tmpdir_remove(pid_t pid) {
        char dir[256], cmd[300];

        tmpdir_name(pid, dir);
        if (access(dir, F_OK) < 0)
                return;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "# failed to remove %s\n", dir);
}

const char *tests_tmpdir(void) {
        if (!tmpdir[0]) {
                tmpdir_name(getpid(), tmpdir);
                if (mkdir(tmpdir, 0700) < 0)
                        tests_fail(__FILE__, __LINE__, "mkdir %s: %s", tmpdir, strerror(errno));
        }
        return tmpdir;
}

char *tests_path(const char *name) {
        char *p;

        if (asprintf(&p, "%s/%s", tests_tmpdir(), name) < 0)
                tests_fail(__FILE__, __LINE__, "out of memory");
        return p;
}

static bool no_leak_check;

void tests_no_leak_check(void) {
        no_leak_check = true;
}

/* Runs test i as number n, in a child of its own, so that a crash, an
 * exit or a leftover temporary directory of one can't affect the next.
 * Prints its TAP line; returns 1 if it failed. */
static int run_test(size_t i, size_t n) {
        int status;
        pid_t pid;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                tests[i].fn();
                /* exit(), not _exit(): under ASan, LeakSanitizer checks for
                 * leaks at exit. */
                if (no_leak_check)
                        _exit(0);
                exit(0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return 1;
        tmpdir_remove(pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                printf("ok %zu - %s # SKIP\n", n, tests[i].name);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                printf("ok %zu - %s\n", n, tests[i].name);
        else {
                printf("not ok %zu - %s\n", n, tests[i].name);
                return 1;
        }
        return 0;
}

/* TAP (meson's protocol 'tap'): a plan, then one line a test. A skipped
 * test says "# SKIP" and counts as skipped, not passed. With an argument,
 * only the test of that name runs; a name that matches none fails. */
int main(int argc, char *argv[]) {
        size_t planned = 0, n = 0;
        int failed = 0;

        for (size_t i = 0; i < n_tests; i++)
                if (argc < 2 || strcmp(argv[1], tests[i].name) == 0)
                        planned++;
        if (planned == 0) {
                fprintf(stderr, "# no test named '%s'\n", argc > 1 ? argv[1] : "");
                printf("1..0\n");
                return 1;
        }

        printf("1..%zu\n", planned);
        for (size_t i = 0; i < n_tests; i++)
                if (argc < 2 || strcmp(argv[1], tests[i].name) == 0)
                        failed += run_test(i, ++n);
        return failed ? 1 : 0;
}

int tests_open_dir(const char *name) {
        char *p = tests_path(name);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                tests_fail(__FILE__, __LINE__, "open %s: %s", p, strerror(errno));
        free(p);
        return fd;
}

void tests_enter_mount_namespace(void) {
        if (geteuid() != 0) {
                tests_enter_userns();
                return;
        }
        (void) tests_tmpdir();
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                tests_fail(__FILE__, __LINE__, "a mount namespace of our own: %s", strerror(errno));
}

unsigned tests_count_entries(int dir_fd, const char *name) {
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        unsigned n = 0;
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

        if (!d)
                tests_fail(__FILE__, __LINE__, "open directory %s: %s", name, strerror(errno));
        for (struct dirent *de; (de = readdir(d));)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}
