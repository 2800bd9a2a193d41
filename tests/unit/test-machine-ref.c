/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fileio.h"
#include "machine-ref.h"
#include "process-util.h"
#include "string-util.h"
#include "tests.h"

TEST(kill_whom_table) {
        CHECK_TABLE(kill_whom, _KILL_WHOM_MAX, "leader", "all");
}

TEST(cgroup_is_in_payload) {
        MachineRecord m = { .cgroup.path = (char *) "/machine.slice/machine-web.scope" };

        ASSERT_TRUE(machine_ref_cgroup_is_in_payload(&m, "/machine.slice/machine-web.scope/payload"));
        ASSERT_TRUE(machine_ref_cgroup_is_in_payload(&m, "/machine.slice/machine-web.scope/payload/init.scope"));
        ASSERT_FALSE(machine_ref_cgroup_is_in_payload(&m, "/machine.slice/machine-web.scope/payloadx"));
        ASSERT_FALSE(machine_ref_cgroup_is_in_payload(&m, "/machine.slice/machine-web.scope/supervisor"));
        ASSERT_FALSE(machine_ref_cgroup_is_in_payload(&m, "/machine.slice/machine-web.scope"));
        ASSERT_FALSE(machine_ref_cgroup_is_in_payload(&m, "/machine.slice/machine-web2.scope/payload"));
        ASSERT_FALSE(machine_ref_cgroup_is_in_payload(&m, "/"));
}

/* A child that waits to be signalled. */
static pid_t child_new(void) {
        pid_t pid = fork();

        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test leaves nothing behind */
                for (;;)
                        pause();
        }
        return pid;
}

static int child_signal(pid_t pid) {
        int status;

        ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
        return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST(open_leader_refuses_strangers) {
        _cleanup_free_ char *cg = NULL;
        pid_t pid = child_new();
        int fd = -EBADF;

        ASSERT_OK(cgroup_pid_get_path(pid, &cg));
        MachineRecord none = { .cgroup.path = (char *) "/machine.slice/machine-web.scope" };
        ASSERT_ERROR(machine_ref_open_leader(&none, &fd), ESRCH); /* no leader */

        /* A live process in another cgroup is not the machine's init,
         * whatever the record says. */
        MachineRecord other = { .leader = pid, .cgroup.path = (char *) "/machine.slice/machine-web.scope" };
        ASSERT_ERROR(machine_ref_open_leader(&other, &fd), ESRCH);
        ASSERT_ERROR(machine_ref_signal_leader(&other, SIGKILL), ESRCH);
        ASSERT_TRUE(fd < 0);

        ASSERT_OK(RET_NERRNO(kill(pid, SIGTERM)));
        ASSERT_EQ(child_signal(pid), SIGTERM);
        /* Gone: nothing to open. */
        ASSERT_TRUE(machine_ref_open_leader(&other, &fd) < 0);
}

TEST(signal_supervisor_checks_its_start_time) {
        pid_t pid = child_new();
        uint64_t t;

        ASSERT_OK(pid_get_starttime(pid, &t));
        MachineRecord wrong = { .supervisor = pid, .supervisor_starttime = t + 1 };
        ASSERT_ERROR(machine_ref_signal_supervisor(&wrong, SIGKILL), ESRCH);
        MachineRecord right = { .supervisor = pid, .supervisor_starttime = t };
        ASSERT_OK(machine_ref_signal_supervisor(&right, SIGUSR1));
        ASSERT_EQ(child_signal(pid), SIGUSR1);
}

static void write_procs(const char *dir, pid_t pid) {
        _cleanup_free_ char *p = strjoin(dir, "/cgroup.procs");
        char text[32];

        snprintf(text, sizeof text, "%i\n", (int) pid);
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_string_file_at(AT_FDCWD, p, pid > 0 ? text : "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE,
                                       0644));
}

TEST(signal_all_walks_the_payload_tree) {
        _cleanup_free_ char *unified = tests_path("unified"), *payload = NULL, *sub = NULL, *sibling = NULL;
        pid_t a = child_new(), b = child_new(), c = child_new();

        /* A cgroup tree as files: payload/ and a child cgroup hold a and
         * b; c is in supervisor/, which is not the machine's. */
        payload = strjoin(unified, "/m.scope/payload");
        sub = strjoin(payload, "/init.scope");
        sibling = strjoin(unified, "/m.scope/supervisor");
        write_procs(payload, a);
        write_procs(sub, b);
        write_procs(sibling, c);

        MachineRecord m = { .cgroup.unified_mount = unified, .cgroup.path = (char *) "/m.scope" };
        ASSERT_EQ(machine_ref_signal_all(&m, SIGUSR2), 2);
        ASSERT_EQ(child_signal(a), SIGUSR2);
        ASSERT_EQ(child_signal(b), SIGUSR2);

        /* Nobody left to signal: kill says so. */
        write_procs(payload, 0);
        write_procs(sub, 0);
        ASSERT_ERROR(machine_ref_kill(&m, KILL_WHOM_ALL, SIGKILL), ESRCH);
        ASSERT_OK(RET_NERRNO(kill(c, SIGKILL)));
        ASSERT_EQ(child_signal(c), SIGKILL);
}
