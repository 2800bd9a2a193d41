/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>

#include "cgroup.h"
#include "fd-util.h"
#include "fileio.h"
#include "machine-ref.h"
#include "path-util.h"
#include "process-util.h"
#include "string-util.h"

static const char *const kill_whom_table[_KILL_WHOM_MAX] = {
        [KILL_WHOM_LEADER] = "leader",
        [KILL_WHOM_ALL] = "all",
};
DEFINE_STRING_TABLE_LOOKUP(kill_whom, KillWhom);

bool machine_ref_cgroup_is_in_payload(const MachineRecord *m, const char *cg) {
        _cleanup_free_ char *payload = path_join(m->cgroup.path, "payload");
        const char *rest;

        if (!payload)
                return false;
        rest = startswith(cg, payload);
        return rest && (*rest == '\0' || *rest == '/');
}

int machine_ref_open_leader(const MachineRecord *m, int *ret_pidfd) {
        _cleanup_free_ char *cg = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (m->leader <= 0 || !m->cgroup.path)
                return -ESRCH;
        /* The pidfd first: from then on it names one process, whichever
         * gets the PID later. Then check that this is the machine's. */
        fd = pidfd_open(m->leader, 0);
        if (fd < 0)
                return -errno;
        r = cgroup_pid_get_path(m->leader, &cg);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (!machine_ref_cgroup_is_in_payload(m, cg))
                return -ESRCH;
        *ret_pidfd = TAKE_FD(fd);
        return 0;
}

int machine_ref_signal_leader(const MachineRecord *m, int sig) {
        _cleanup_close_ int fd = -EBADF;
        int r = machine_ref_open_leader(m, &fd);

        if (r < 0)
                return r;
        return RET_NERRNO(pidfd_send_signal(fd, sig, NULL, 0));
}

int machine_ref_signal_supervisor(const MachineRecord *m, int sig) {
        uint64_t t;

        if (pid_get_starttime(m->supervisor, &t) < 0 || t != m->supervisor_starttime)
                return -ESRCH;
        return RET_NERRNO(kill(m->supervisor, sig));
}

/* Sends sig to every process listed in dir_fd/name/cgroup.procs and below. */
static int signal_tree(int dir_fd, const char *name, int sig) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *procs = NULL;
        int n = 0;
        DIR *d;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (read_full_file_at(fd, "cgroup.procs", 4 * 1024 * 1024, &procs, NULL) >= 0)
                for (char *s = strtok(procs, "\n"); s; s = strtok(NULL, "\n"))
                        if (kill((pid_t) atoi(s), sig) >= 0)
                                n++;

        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        int k = signal_tree(dirfd(d), de->d_name, sig);
                        if (k > 0)
                                n += k;
                }
        closedir(d);
        return n;
}

int machine_ref_signal_all(const MachineRecord *m, int sig) {
        _cleanup_free_ char *payload = NULL;

        if (!m->cgroup.path || !m->cgroup.unified_mount)
                return -ESRCH;
        payload = strjoin(m->cgroup.unified_mount, m->cgroup.path, "/payload");
        if (!payload)
                return -ENOMEM;
        return signal_tree(AT_FDCWD, payload, sig);
}

int machine_ref_leader_cgroup(const MachineRecord *m, char **ret) {
        _cleanup_free_ char *cg = NULL;
        int r;

        r = cgroup_pid_get_path(m->leader, &cg);
        if (r < 0)
                return r;
        if (!machine_ref_cgroup_is_in_payload(m, cg))
                return -ESRCH;
        *ret = TAKE_PTR(cg);
        return 0;
}

int machine_ref_kill(const MachineRecord *m, KillWhom whom, int sig) {
        int r;

        if (whom == KILL_WHOM_LEADER)
                return machine_ref_signal_leader(m, sig);
        r = machine_ref_signal_all(m, sig);
        return r == 0 ? -ESRCH : r; /* nobody there */
}
