/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "caps.h"
#include "cgroup.h"
#include "enter.h"
#include "fd-util.h"
#include "fileio.h"
#include "machine-paths.h"
#include "machine-ref.h"
#include "seccomp-util.h"
#include "selinux-util.h"
#include "process-util.h"
#include "string-util.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The machine's filter, as its supervisor left it for us. */
static int read_seccomp(const MachineRecord *m, EnterTarget *t) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!m->seccomp)
                return 0;
        path = machine_seccomp_path(m->name);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &t->seccomp, &t->seccomp_size);
        if (r < 0)
                return r == -ENOENT ? -EBADMSG : r;
        return seccomp_blob_is_valid(t->seccomp, t->seccomp_size) ? 0 : -EBADMSG;
}

int enter_target_open(MachineRecord *m, EnterTarget *ret) {
        EnterTarget t = { .leader_pidfd = -EBADF };
        int r;

        r = machine_ref_open_leader(m, &t.leader_pidfd);
        if (r >= 0)
                r = machine_ref_leader_cgroup(m, &t.cgroup);
        if (r >= 0)
                r = read_seccomp(m, &t);
        if (r < 0) {
                safe_close(t.leader_pidfd);
                free(t.cgroup);
                free(t.seccomp);
                return r;
        }
        t.machine = *m;
        *m = (MachineRecord) {};
        *ret = t;
        return 0;
}

void enter_target_done(EnterTarget *t) {
        machine_record_done(&t->machine);
        t->leader_pidfd = safe_close(t->leader_pidfd);
        free(t->cgroup);
        t->cgroup = NULL;
        free(t->seccomp);
        t->seccomp = NULL;
}

/* The machine shares our user namespace: joining it again is refused. */
static int shares_our_userns(const EnterTarget *t) {
        struct stat ours, theirs;
        char path[64];
        pid_t pid;
        int r;

        if (t->machine.uid_count == 0)
                return 1;
        r = pidfd_get_pid(t->leader_pidfd, &pid);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, "/proc/%i/ns/user", pid);
        if (stat("/proc/self/ns/user", &ours) < 0 || stat(path, &theirs) < 0)
                return -errno;
        return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

/* What the machine's own processes have (enter_join()). */
static int confine(const EnterTarget *t) {
        const MachineRecord *m = &t->machine;
        uint64_t bounding =
                m->capabilities == RECORD_CAPABILITIES_UNKNOWN ? caps_machine_default(false) : m->capabilities;
        int r;

        r = keyring_new_session();
        if (r < 0)
                return r;
        r = caps_limit_bounding_set(bounding);
        if (r < 0)
                return r;
        if (m->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (m->selinux_context) {
                r = selinux_set_exec_context(m->selinux_context);
                if (r < 0)
                        return r;
        }
        if (t->seccomp) {
                r = seccomp_install_blob(t->seccomp, t->seccomp_size);
                if (r < 0)
                        return r;
        }
        /* No inheritable or ambient capabilities: the machine's init has
         * what it was given, a process entering it none. */
        return caps_restrict(bounding, 0);
}

int enter_join(const EnterTarget *t, int namespaces, EnterJoinFlags flags) {
        int r;

        /* Nobody in the machine may look into us: we hold host fds. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -errno;

        if (flags & ENTER_JOIN_CGROUP) {
                r = cgroup_attach(t->machine.cgroup.unified_mount, t->cgroup, 0);
                if (r < 0)
                        return r;
                /* The machine's limits on a hybrid host are there. */
                STRV_FOREACH(d, t->machine.cgroup.v1) {
                        r = cgroup_v1_attach(*d, 0);
                        if (r < 0)
                                return r;
                }
        }

        if (namespaces & CLONE_NEWUSER) {
                r = shares_our_userns(t);
                if (r < 0)
                        return r;
                if (r > 0)
                        namespaces &= ~CLONE_NEWUSER;
        }
        if (namespaces != 0 && setns(t->leader_pidfd, namespaces) < 0)
                return -errno;

        if (namespaces & CLONE_NEWUSER) {
                /* Our host UID 0 means nothing in there: become its root. */
                if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                        return -errno;
        }
        return flags & ENTER_JOIN_CONFINE ? confine(t) : 0;
}

typedef struct SpawnArgs {
        const EnterTarget *t;
        const EnterSpec *spec;
        EnterChildFn fn;
        void *userdata;
        int channel;
} SpawnArgs;

static int spawn_main(void *userdata) {
        const SpawnArgs *a = userdata;
        int keep[16] = { 0, 1, 2, a->channel, a->t->leader_pidfd };
        size_t n = 5;
        int r;

        for (size_t i = 0; i < a->spec->n_keep_fds && n < ELEMENTSOF(keep); i++)
                keep[n++] = a->spec->keep_fds[i];
        r = close_all_fds_except(keep, n);
        if (r < 0)
                channel_fail(a->channel, r, "close file descriptors");
        r = enter_join(a->t, a->spec->namespaces,
                       (a->spec->join_cgroup ? ENTER_JOIN_CGROUP : 0) |
                               (a->spec->namespaces != 0 ? ENTER_JOIN_CONFINE : 0));
        if (r < 0)
                channel_fail(a->channel, r, "enter machine '%s'", a->t->machine.name);
        /* Set after the credentials changed (which resets it): should
         * berth die, so do we. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        return a->fn(a->t, a->channel, a->userdata);
}

int enter_spawn(const EnterTarget *t, const EnterSpec *spec, EnterChildFn fn, void *userdata, pid_t *ret_pid,
                int *ret_channel) {
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        SpawnArgs a = { .t = t, .spec = spec, .fn = fn, .userdata = userdata };
        pid_t pid;
        int r;

        r = channel_new(pair);
        if (r < 0)
                return r;
        a.channel = pair[1];
        pid = spawn_child(spawn_main, &a, spec->share_memory);
        if (pid < 0)
                return pid;
        *ret_pid = pid;
        *ret_channel = TAKE_FD(pair[0]);
        return 0;
}

int enter_wait(pid_t pid, int channel, ChannelMessage *ret_report, int *ret_status) {
        siginfo_t si = {};
        ssize_t n;

        /* Its end closes when it (and whatever of it kept the channel)
         * has exec'd or exited: what it reported is queued before that. */
        do
                n = channel_receive(channel, ret_report, NULL);
        while (n > 0 && ret_report->type != CHANNEL_ERROR);
        if (wait_for_terminate(pid, &si) < 0)
                si = (siginfo_t) { .si_code = CLD_KILLED, .si_status = SIGKILL };
        if (n > 0)
                return 1;
        *ret_status = exit_status_from_siginfo(&si);
        return 0;
}

static int locale_cb(const char *key, const char *value, void *userdata) {
        char **lang = userdata;

        return streq(key, "LANG") ? free_and_strdup(lang, value) : 0;
}

int enter_environment(const UserEntry *u, const char *term, char ***ret) {
        static const char *const locale_files[] = { "/etc/locale.conf", "/etc/default/locale" };
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *lang = NULL;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(locale_files) && !lang; i++) {
                _cleanup_free_ char *text = NULL;

                if (read_full_file(locale_files[i], &text, NULL) >= 0)
                        (void) parse_env_text(text, locale_cb, &lang, NULL);
        }

        if (term)
                r = r ?: strv_env_setf(&env, "TERM", term);
        r = r ?: strv_env_setf(&env, "HOME", u->home);
        r = r ?: strv_env_setf(&env, "USER", u->name);
        r = r ?: strv_env_setf(&env, "LOGNAME", u->name);
        r = r ?: strv_env_setf(&env, "SHELL", u->shell);
        r = r ?: strv_env_setf(&env, "PATH", DEFAULT_PATH);
        if (lang)
                r = r ?: strv_env_setf(&env, "LANG", lang);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(env);
        return 0;
}

int enter_become_user(const UserEntry *u) {
        _cleanup_free_ gid_t *groups = NULL;
        size_t n = 0;
        int r;

        r = user_db_supplementary_groups("/etc/group", u->name, u->gid, &groups, &n);
        if (r < 0)
                return r;
        if (setgroups(n, groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        return 0;
}

int enter_parse_user_at_name(const char *s, char **ret_user, char **ret_name) {
        _cleanup_free_ char *user = NULL, *name = NULL;
        const char *at = strrchr(s, '@');

        if (at) {
                if (at == s || at[1] == '\0')
                        return -EINVAL;
                user = strndup(s, (size_t) (at - s));
                name = strdup(at + 1);
                if (!user || !name)
                        return -ENOMEM;
        } else {
                name = strdup(s);
                if (!name)
                        return -ENOMEM;
                if (isempty(name))
                        return -EINVAL;
        }
        *ret_user = TAKE_PTR(user);
        *ret_name = TAKE_PTR(name);
        return 0;
}
