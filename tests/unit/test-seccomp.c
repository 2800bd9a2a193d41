/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <linux/netlink.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "caps.h"
#include "fileio.h"
#include "seccomp-util.h"
#include "strv.h"
#include "syscall-groups.h"
#include "tests.h"

#define CAP(c) (UINT64_C(1) << (c))

static void build(uint64_t caps, char **allow, char **deny, char **ret, size_t *ret_size) {
        int r = seccomp_build_machine_filter(caps, allow, deny, ret, ret_size);

        if (r == -EOPNOTSUPP)
                tests_skip("no libseccomp");
        ASSERT_OK(r);
        ASSERT_TRUE(seccomp_blob_is_valid(*ret, *ret_size));
}

/* errno of a raw system call, in the test's process (which has the filter). */
static int call_errno(long nr, long a, long b, long c) {
        errno = 0;
        return syscall(nr, a, b, c, 0, 0, 0) < 0 ? errno : 0;
}

static void install(const char *blob, size_t size) {
        /* Without CAP_SYS_ADMIN: no-new-privileges lets us. */
        ASSERT_OK(RET_NERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)));
        tests_no_leak_check();
        ASSERT_OK(seccomp_install_blob(blob, size));
}

TEST(default_policy) {
        _cleanup_free_ char *blob = NULL;
        struct timespec ts = {};
        size_t size;
        int fd;

        build(caps_machine_default(false), NULL, NULL, &blob, &size);
        install(blob, size);

        ASSERT_TRUE(getpid() > 0); /* still alive */
        /* Known but not allowed: EPERM. */
        ASSERT_EQ(call_errno(SYS_kexec_load, 0, 0, 0), EPERM);
        ASSERT_EQ(call_errno(SYS_init_module, 0, 0, 0), EPERM);
        ASSERT_EQ(call_errno(SYS_open_by_handle_at, -1, 0, 0), EPERM);
        ASSERT_EQ(call_errno(SYS_perf_event_open, 0, 0, -1), EPERM);
        ASSERT_EQ(call_errno(SYS_keyctl, 0, 0, 0), EPERM);
        ASSERT_EQ(call_errno(SYS_add_key, 0, 0, 0), EPERM);
        ASSERT_EQ(call_errno(SYS_swapon, 0, 0, 0), EPERM);
        ASSERT_EQ(call_errno(SYS_bpf, 0, 0, 0), EPERM);
        ASSERT_EQ(clock_settime(CLOCK_REALTIME, &ts) < 0 ? errno : 0, EPERM); /* no CAP_SYS_TIME: no @clock */
        /* Unknown to the kernel's table: ENOSYS, so that programs fall back. */
        ASSERT_EQ(call_errno(1000, 0, 0, 0), ENOSYS);
        /* Audit sockets: "no audit here". */
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        ASSERT_TRUE(fd < 0 && errno == EAFNOSUPPORT);
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        ASSERT_TRUE(fd >= 0);
        /* What a container needs goes. */
        ASSERT_OK(RET_NERRNO(access("/", R_OK)));
}

TEST(allow_and_deny) {
        _cleanup_strv_free_ char **allow = NULL, **deny = NULL;
        _cleanup_free_ char *blob = NULL;
        struct timespec ts;
        size_t size;

        ASSERT_OK(syscall_filter_parse("add_key keyctl", &allow, &deny));
        ASSERT_OK(syscall_filter_parse("~@clock getppid", &allow, &deny));
        /* CAP_SYS_TIME would allow @clock; the deny list wins. */
        build(caps_machine_default(false) | CAP(25), allow, deny, &blob, &size);
        install(blob, size);

        ASSERT_TRUE(call_errno(SYS_keyctl, -1, 0, 0) != EPERM); /* allowed back */
        ASSERT_EQ(call_errno(SYS_getppid, 0, 0, 0), EPERM);
        ASSERT_OK(RET_NERRNO(clock_gettime(CLOCK_REALTIME, &ts)));
        ASSERT_EQ(clock_settime(CLOCK_REALTIME, &ts) < 0 ? errno : 0, EPERM);
}

TEST(bad_blobs) {
        _cleanup_free_ char *blob = NULL;
        size_t size;

        build(caps_machine_default(false), NULL, NULL, &blob, &size);
        ASSERT_FALSE(seccomp_blob_is_valid(blob, size - 1));
        ASSERT_FALSE(seccomp_blob_is_valid(blob, 4));
        ASSERT_FALSE(seccomp_blob_is_valid("BERTHSC1\0\0\0\0\0\0\0\0", 16));
        blob[0] = 'X';
        ASSERT_FALSE(seccomp_blob_is_valid(blob, size));
        ASSERT_ERROR(seccomp_install_blob(blob, size), EBADMSG);
}

TEST(parse) {
        _cleanup_strv_free_ char **allow = NULL, **deny = NULL, **expanded = NULL;

        ASSERT_OK(syscall_filter_parse("  @clock  open ", &allow, &deny));
        ASSERT_OK(syscall_filter_parse("~ @mount", &allow, &deny));
        ASSERT_EQ(strv_length(allow), 2);
        ASSERT_STREQ(allow[0], "@clock");
        ASSERT_STREQ(deny[0], "@mount");
        ASSERT_ERROR(syscall_filter_parse("@nosuchgroup", &allow, &deny), ENOENT);
        ASSERT_ERROR(syscall_filter_parse("Open", &allow, &deny), EINVAL);
        ASSERT_ERROR(syscall_filter_parse("a/b", &allow, &deny), EINVAL);
        ASSERT_ERROR(syscall_filter_parse("~", &allow, &deny), EINVAL);
        ASSERT_ERROR(syscall_filter_parse("", &allow, &deny), EINVAL);

        /* Groups name groups: @system-service has @clock's neighbours. */
        ASSERT_OK(syscall_expand("@privileged", &expanded));
        ASSERT_TRUE(strv_contains(expanded, "settimeofday")); /* through @clock */
        ASSERT_TRUE(strv_contains(expanded, "chown"));        /* through @chown */
        ASSERT_ERROR(syscall_expand("@nope", &expanded), EINVAL);
}

/* Our groups hold what systemd's do (systemd-analyze syscall-filter, when
 * it is installed). */
TEST(groups_match_systemd) {
        _cleanup_free_ char *text = NULL;
        FILE *f = popen("systemd-analyze syscall-filter 2>/dev/null", "re");
        char line[256], group[64] = "";
        size_t n = 0;

        if (!f)
                tests_skip("no systemd-analyze");
        while (fgets(line, sizeof line, f)) {
                char *w = line + strspn(line, " \t");
                w[strcspn(w, " \t\n")] = '\0';
                if (line[0] == '@') {
                        snprintf(group, sizeof group, "%s", w);
                        continue;
                }
                if (!*w || *w == '#' || !group[0] || streq(group, SYSCALL_GROUP_KNOWN))
                        continue;
                const SyscallGroup *g = syscall_group_find(group);
                if (!g)
                        tests_fail(__FILE__, __LINE__, "systemd's group %s is unknown to berth", group);
                if (!strv_contains((char **) g->members, w))
                        tests_fail(__FILE__, __LINE__, "%s lacks %s, which systemd's has", group, w);
                n++;
        }
        if (pclose(f) != 0 || n == 0)
                tests_skip("systemd-analyze syscall-filter gave nothing");
}
