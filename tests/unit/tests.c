/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
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

/* Each test runs in a child of its own, so that a crash, an exit or a
 * leftover temporary directory of one can't affect the next. */
int main(int argc, char *argv[]) {
        int failed = 0, skipped = 0;

        printf("1..%zu\n", n_tests);
        for (size_t i = 0; i < n_tests; i++) {
                int status;
                pid_t pid;

                if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
                        continue;
                fflush(stdout);
                pid = fork();
                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        tests[i].fn();
                        /* exit(), not _exit(): under ASan, LeakSanitizer
                         * checks for leaks at exit. */
                        exit(0);
                }
                if (waitpid(pid, &status, 0) < 0)
                        return 1;
                tmpdir_remove(pid);
                if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
                        printf("ok %zu - %s # SKIP\n", i + 1, tests[i].name);
                        skipped++;
                } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        printf("ok %zu - %s\n", i + 1, tests[i].name);
                else {
                        printf("not ok %zu - %s\n", i + 1, tests[i].name);
                        failed++;
                }
        }
        if (failed)
                return 1;
        return skipped == (int) n_tests && n_tests > 0 ? 77 : 0;
}
