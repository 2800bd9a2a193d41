/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "cgroup.h"
#include "fd-util.h"
#include "fileio.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

void machine_cgroup_done(MachineCgroup *c) {
        free(c->unified_mount);
        free(c->path);
        free(c->unit);
        strv_free(c->v1);
        *c = (MachineCgroup) {};
}

static int is_cgroup2(const char *path) {
        struct statfs sfs;

        if (statfs(path, &sfs) < 0)
                return errno == ENOENT ? 0 : -errno;
        return sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup_detect(const char *sys_fs_cgroup, CGroupLayout *ret_layout, char **ret_unified_mount) {
        _cleanup_free_ char *unified = NULL;
        CGroupLayout layout;
        int r;

        r = is_cgroup2(sys_fs_cgroup);
        if (r < 0)
                return r;
        if (r > 0) {
                layout = CGROUP_LAYOUT_UNIFIED;
                unified = strdup(sys_fs_cgroup);
        } else {
                unified = path_join(sys_fs_cgroup, "unified");
                if (!unified)
                        return -ENOMEM;
                r = is_cgroup2(unified);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ENOMEDIUM;
                layout = CGROUP_LAYOUT_HYBRID;
        }
        if (!unified)
                return -ENOMEM;

        *ret_layout = layout;
        *ret_unified_mount = TAKE_PTR(unified);
        return 0;
}

static bool controllers_have(const char *list, size_t n, const char *controller);

/* A line of /proc/PID/cgroup, "ID:CONTROLLER,CONTROLLER:PATH": the one of
 * controller's v1 hierarchy, or with controller NULL the unified one
 * ("0::PATH"). -ENOMEDIUM when there is none. */
static int pid_cgroup_find(pid_t pid, const char *controller, char **ret) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        int r;

        if (pid == 0)
                snprintf(path, sizeof path, "/proc/self/cgroup");
        else
                snprintf(path, sizeof path, "/proc/%i/cgroup", pid);
        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;

        for (char *line = text, *next; line && *line; line = next) {
                char *c1, *c2;
                bool match;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                c1 = strchr(line, ':');
                c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                if (controller)
                        match = controllers_have(c1 + 1, (size_t) (c2 - c1 - 1), controller);
                else
                        match = c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
                if (match) {
                        *ret = strdup(c2 + 1);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENOMEDIUM;
}

int cgroup_pid_get_path(pid_t pid, char **ret) {
        return pid_cgroup_find(pid, NULL, ret);
}

static char *cgroup_join(const char *unified_mount, const char *path, const char *file) {
        _cleanup_free_ char *dir = path_join(unified_mount, path);

        if (!dir)
                return NULL;
        return file ? path_join(dir, file) : TAKE_PTR(dir);
}

static int cgroup_write(const char *unified_mount, const char *path, const char *file, const char *value) {
        _cleanup_free_ char *p = cgroup_join(unified_mount, path, file);

        if (!p)
                return -ENOMEM;
        return write_string_file(p, value, WRITE_FILE_NO_NEWLINE);
}

int cgroup_attach(const char *unified_mount, const char *path, pid_t pid) {
        char buf[DECIMAL_STR_MAX(pid_t)];

        snprintf(buf, sizeof buf, "%i", pid);
        return cgroup_write(unified_mount, path, "cgroup.procs", buf);
}

int cgroup_delegate_files(char ***ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = read_full_file("/sys/kernel/cgroup/delegate", &text, NULL);
        if (r < 0) {
                /* Kernels before 4.15: the files every delegation needs. */
                static const char *const fallback[] = { "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" };
                for (size_t i = 0; i < ELEMENTSOF(fallback); i++)
                        if (strv_extend(&l, fallback[i]) < 0)
                                return -ENOMEM;
        } else
                for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n"))
                        if (strv_extend(&l, s) < 0)
                                return -ENOMEM;

        *ret = TAKE_PTR(l);
        return 0;
}

static int cgroup_read(const char *unified_mount, const char *path, const char *file, char **ret) {
        _cleanup_free_ char *p = cgroup_join(unified_mount, path, file);

        if (!p)
                return -ENOMEM;
        return read_full_file(p, ret, NULL);
}

/* Enables in path's subtree_control every controller path has. */
static int enable_controllers(const char *unified_mount, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = cgroup_read(unified_mount, path, "cgroup.controllers", &text);
        if (r < 0)
                return r;
        for (char *c = strtok(text, " \n"); c; c = strtok(NULL, " \n")) {
                char buf[64];

                snprintf(buf, sizeof buf, "+%s", c);
                /* A controller that can't be delegated here (EBUSY: processes
                 * in the cgroup) is not fatal: the machine just won't have it. */
                (void) cgroup_write(unified_mount, path, "cgroup.subtree_control", buf);
        }
        return 0;
}

static int delegate(const char *unified_mount, const char *path, uid_t uid, gid_t gid) {
        _cleanup_free_ char *dir = cgroup_join(unified_mount, path, NULL);
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchown(fd, uid, gid) < 0)
                return -errno;

        r = cgroup_delegate_files(&files);
        if (r < 0)
                return r;
        STRV_FOREACH(f, files)
                if (fchownat(fd, *f, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
                        return -errno;
        return 0;
}

static int cgroup_mkdir(const char *unified_mount, const char *path, bool may_exist) {
        _cleanup_free_ char *dir = cgroup_join(unified_mount, path, NULL);

        if (!dir)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && !(may_exist && errno == EEXIST))
                return -errno;
        return 0;
}

int cgroup_create_scope(const char *unified_mount, const char *parent, const char *scope_name, char **ret_path) {
        _cleanup_free_ char *scope = path_join(parent, scope_name);
        int r;

        if (!scope)
                return -ENOMEM;
        r = cgroup_mkdir(unified_mount, parent, true);
        if (r < 0)
                return r;
        (void) enable_controllers(unified_mount, parent);

        r = cgroup_mkdir(unified_mount, scope, false);
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(scope);
        return 0;
}

int cgroup_create_subgroups(const char *unified_mount, const char *path, uid_t uid, gid_t gid) {
        _cleanup_free_ char *sup = path_join(path, "supervisor"), *payload = path_join(path, "payload");
        int r;

        if (!sup || !payload)
                return -ENOMEM;

        /* We leave path first: controllers can be enabled for its children
         * only when no process is in it ("no internal processes"). */
        r = cgroup_mkdir(unified_mount, sup, true);
        if (r >= 0)
                r = cgroup_attach(unified_mount, sup, 0);
        if (r >= 0)
                r = cgroup_mkdir(unified_mount, payload, false);
        if (r < 0)
                return r;
        (void) enable_controllers(unified_mount, path);
        return delegate(unified_mount, payload, uid, gid);
}

int cgroup_is_populated(const char *unified_mount, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = cgroup_read(unified_mount, path, "cgroup.events", &text);
        if (r < 0)
                return r;
        return strstr(text, "populated 1") != NULL;
}

/* Removes dir_fd/name and every cgroup below it, children first. */
static int remove_tree(int dir_fd, const char *name) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        DIR *d;
        int r = 0;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF; /* owned by d now */

        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                int k = remove_tree(dirfd(d), de->d_name);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);

        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

/* The same for a path: the directory dir and every cgroup below it. */
static int remove_tree_path(const char *dir) {
        _cleanup_free_ char *parent = NULL, *last = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        int r;

        r = path_split_last(dir, &parent, &last);
        if (r < 0)
                return r;
        parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd < 0)
                return errno == ENOENT ? 0 : -errno;
        return remove_tree(parent_fd, last);
}

/* SIGKILL to every process in the cgroup dir_fd/name and below (kernels
 * without cgroup.kill). */
static int kill_tree(int dir_fd, const char *name) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *procs = NULL;
        DIR *d;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (read_full_file_at(fd, "cgroup.procs", 1024 * 1024, &procs, NULL) >= 0)
                for (char *s = strtok(procs, "\n"); s; s = strtok(NULL, "\n"))
                        (void) kill((pid_t) atoi(s), SIGKILL);

        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        (void) kill_tree(dirfd(d), de->d_name);
        closedir(d);
        return 0;
}

static int kill_all(const char *unified_mount, const char *path) {
        int r;

        /* cgroup.kill (Linux 5.14) kills the whole subtree at once. */
        r = cgroup_write(unified_mount, path, "cgroup.kill", "1");
        if (r != -ENOENT && r != -EACCES && r != -EPERM)
                return r;

        _cleanup_free_ char *dir = cgroup_join(unified_mount, path, NULL);
        if (!dir)
                return -ENOMEM;
        return kill_tree(AT_FDCWD, dir);
}

int cgroup_kill_and_remove(const char *unified_mount, const char *path) {
        _cleanup_free_ char *dir = NULL;
        int r;

        dir = cgroup_join(unified_mount, path, NULL);
        if (!dir)
                return -ENOMEM;
        /* Only ever a cgroup: a record's undo log is not trusted to name
         * any other directory. */
        r = is_cgroup2(dir);
        if (r <= 0)
                return r;

        /* Kill until it is empty (up to 5 s): a process that joins while we
         * kill (berth shell entering a machine that is going) goes too. */
        for (int i = 0; i < 500 && cgroup_is_populated(unified_mount, path) > 0; i++) {
                if (i % 10 == 0) {
                        r = kill_all(unified_mount, path);
                        if (r < 0 && r != -ENOENT)
                                return r;
                }
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }

        return remove_tree_path(dir);
}

/* --- Cgroup v1 hierarchies (hybrid hosts) ---------------------------------- */

static int is_cgroup1(const char *path) {
        struct statfs sfs;

        if (statfs(path, &sfs) < 0)
                return errno == ENOENT ? 0 : -errno;
        return sfs.f_type == CGROUP_SUPER_MAGIC;
}

/* Whether the comma list of a /proc/PID/cgroup line names controller. */
static bool controllers_have(const char *list, size_t n, const char *controller) {
        size_t len = strlen(controller);

        for (const char *p = list; p < list + n;) {
                const char *comma = memchr(p, ',', (size_t) (list + n - p));
                size_t l = comma ? (size_t) (comma - p) : (size_t) (list + n - p);

                if (l == len && strneq(p, controller, len))
                        return true;
                p += l + 1;
        }
        return false;
}

int cgroup_v1_pid_get_path(pid_t pid, const char *controller, char **ret) {
        return pid_cgroup_find(pid, controller, ret);
}

int cgroup_v1_find(const char *sys_fs_cgroup, const char *controller, pid_t pid, char **ret_dir) {
        _cleanup_free_ char *mnt = path_join(sys_fs_cgroup, controller), *own = NULL;
        int r;

        if (!mnt)
                return -ENOMEM;
        /* /sys/fs/cgroup/cpu may be a link to cpu,cpuacct: that is fine. */
        r = is_cgroup1(mnt);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOMEDIUM;
        r = cgroup_v1_pid_get_path(pid, controller, &own);
        if (r < 0)
                return r;
        *ret_dir = path_join(mnt, own);
        return *ret_dir ? 0 : -ENOMEM;
}

int cgroup_v1_create(const char *parent_dir, const char *name, char **ret_dir) {
        _cleanup_free_ char *dir = path_join(parent_dir, name);

        if (!dir)
                return -ENOMEM;
        /* One left by a supervisor that died is reused: the name is ours. */
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

int cgroup_v1_attach(const char *dir, pid_t pid) {
        _cleanup_free_ char *p = path_join(dir, "cgroup.procs");
        char buf[DECIMAL_STR_MAX(pid_t)];

        if (!p)
                return -ENOMEM;
        snprintf(buf, sizeof buf, "%i", pid);
        return write_string_file(p, buf, WRITE_FILE_NO_NEWLINE);
}

static bool v1_populated(const char *dir) {
        _cleanup_free_ char *p = path_join(dir, "cgroup.procs"), *text = NULL;

        return p && read_full_file(p, &text, NULL) >= 0 && !isempty(text);
}

int cgroup_v1_kill_and_remove(const char *dir) {
        int r;

        /* Only ever a v1 cgroup: a record is not trusted to name any other
         * directory. */
        r = is_cgroup1(dir);
        if (r <= 0)
                return r;

        /* Normally empty by now: the machine's processes were killed
         * through its cgroup2 tree first. */
        for (int i = 0; i < 500 && v1_populated(dir); i++) {
                if (i % 10 == 0)
                        (void) kill_tree(AT_FDCWD, dir);
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }

        return remove_tree_path(dir);
}
