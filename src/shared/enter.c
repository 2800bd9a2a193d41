/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/prctl.h>

#include "cgroup.h"
#include "enter.h"
#include "fileio.h"
#include "process-util.h"
#include "string-util.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int enter_namespaces(int leader_pidfd, int flags, const char *unified_mount, const char *cgroup, char **cgroups_v1) {
        int r;

        /* Nobody in the machine may look into us: we hold host fds. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -errno;

        if (cgroup) {
                r = cgroup_attach(unified_mount, cgroup, 0);
                if (r < 0)
                        return r;
        }
        /* The machine's limits on a hybrid host are there. */
        STRV_FOREACH(d, cgroups_v1) {
                r = cgroup_v1_attach(*d, 0);
                if (r < 0)
                        return r;
        }

        /* A machine without a user namespace of its own (--private-users=no)
         * shares ours: entering it again is refused (and pointless). */
        if (flags & CLONE_NEWUSER) {
                struct stat ours, theirs;
                char path[64];
                pid_t pid;

                r = pidfd_get_pid(leader_pidfd, &pid);
                if (r < 0)
                        return r;
                snprintf(path, sizeof path, "/proc/%i/ns/user", pid);
                if (stat("/proc/self/ns/user", &ours) < 0 || stat(path, &theirs) < 0)
                        return -errno;
                if (ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
                        flags &= ~CLONE_NEWUSER;
        }

        if (setns(leader_pidfd, flags) < 0)
                return -errno;

        if (flags & CLONE_NEWUSER) {
                /* Our host UID 0 means nothing in there: become its root. */
                if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                        return -errno;
        }
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
