/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth copy-to, copy-from and bind: files and mounts between the host and
 * a running machine, entered with setns() through its leader's pidfd
 * (nothing needed inside the machine).
 *
 * Each opens what it needs on the host first, as host root, then forks a
 * child that joins the machine and works there:
 *
 *   copy-to    berth reads the host tree and sends it, each regular file
 *              as an open fd, to a child that is root of the machine's
 *              user namespace in its mount namespace, and creates it there
 *              (so it belongs to the machine's root, also on an idmapped
 *              root, and the child needs no access to the host at all).
 *   copy-from  the child joins the mount namespace only and stays host
 *              root (so that everything in the machine can be read), and
 *              creates the copy below the host directory fd opened before.
 *   bind       berth clones the host tree (open_tree()) as a detached
 *              mount; the child locks its flags and submounts against the
 *              machine's root (lock_tree()), joins the machine, creates the
 *              mount point if asked (as the machine's root) and moves the
 *              tree onto it.
 *
 * Paths in the machine are absolute, and resolved with openat2()'s
 * RESOLVE_IN_ROOT below the machine's "/" (open_in_root()): a symlink
 * there, to "/" or "../../..", resolves inside the machine. Below the top,
 * copies go one name at a time without following symlinks (copy.h). The
 * child reports a failure over a socket; berth logs it, once. */

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chase.h"
#include "copy.h"
#include "enter.h"
#include "fd-util.h"
#include "log.h"
#include "machine-ref.h"
#include "mount-util.h"
#include "path-util.h"
#include "process-util.h"
#include "progress.h"
#include "running.h"
#include "string-util.h"
#include "verbs.h"

typedef enum FilesVerb {
        FILES_COPY_TO,
        FILES_COPY_FROM,
        FILES_BIND,
} FilesVerb;

typedef struct FilesArgs {
        FilesVerb verb;
        const char *name;
        const char *src;
        const char *dst; /* defaults to src */
        bool force;      /* copy-*: replace what exists */
        bool read_only;  /* bind */
        bool mkdir;      /* bind */
} FilesArgs;

/* A path split into the directory to open and the name in it. */
typedef struct SplitPath {
        char *dir;
        char *last;
} SplitPath;

static void split_path_done(SplitPath *p) {
        free(p->dir);
        free(p->last);
}

/* What a child reports when it fails. */
typedef struct ChildReport {
        int error;
        bool with_errno; /* ": <description of error>" follows text */
        char text[2 * PATH_MAX + 256];
} ChildReport;

static void report_vformat(ChildReport *rep, int error, bool with_errno, const char *format, va_list ap) {
        *rep = (ChildReport) { .error = ERRNO_VALUE(error) ?: EIO, .with_errno = with_errno };
        (void) vsnprintf(rep->text, sizeof rep->text, format, ap);
}

static _noreturn_ void child_fail(int sock, int error, bool with_errno, const char *format, ...) _printf_(4, 5);
static _noreturn_ void child_fail(int sock, int error, bool with_errno, const char *format, ...) {
        static ChildReport rep; /* not on the stack: it is large */
        va_list ap;

        va_start(ap, format);
        report_vformat(&rep, error, with_errno, format, ap);
        va_end(ap);
        (void) send_with_fds(sock, &rep, sizeof rep, NULL, 0);
        _exit(EXIT_FAILURE);
}

static int log_report(const ChildReport *rep) {
        if (rep->with_errno)
                return log_error_errno(rep->error, "%s: %m", rep->text);
        return log_error_errno(SYNTHETIC_ERRNO(rep->error), "%s", rep->text);
}

/* Waits for the child. Returns 1 and its report if it failed, 0 if not. */
static int wait_child(pid_t pid, int sock, ChildReport *ret) {
        siginfo_t si = {};
        ssize_t n;

        /* A socket closed with messages unread (ours, when the child
         * failed) makes the first receive fail with ECONNRESET, before the
         * child's report queued behind it. */
        do
                n = receive_with_fds(sock, ret, sizeof *ret, NULL, 0);
        while (n == -ECONNRESET || n == -EINTR);
        if (wait_for_terminate(pid, &si) < 0)
                si = (siginfo_t) { .si_code = CLD_KILLED };
        if (n == (ssize_t) sizeof *ret && ret->error > 0) {
                ret->text[sizeof ret->text - 1] = '\0';
                return 1;
        }
        if (si.si_code != CLD_EXITED || si.si_status != 0) {
                *ret = (ChildReport) { .error = EPROTO };
                (void) snprintf(ret->text, sizeof ret->text,
                                "The process working in the machine ended unexpectedly (status %i).",
                                exit_status_from_siginfo(&si));
                return 1;
        }
        return 0;
}

/* ---- Arguments -------------------------------------------------------- */

static int parse_files_argv(int argc, char *argv[], FilesVerb verb, const char *usage, FilesArgs *ret, bool *ret_help) {
        enum { ARG_FORCE = 0x100, ARG_READ_ONLY, ARG_MKDIR };
        static const struct option copy_options[] = {
                { "help", no_argument, NULL, 'h' },
                { "force", no_argument, NULL, ARG_FORCE },
                {},
        };
        static const struct option bind_options[] = {
                { "help", no_argument, NULL, 'h' },
                { "read-only", no_argument, NULL, ARG_READ_ONLY },
                { "mkdir", no_argument, NULL, ARG_MKDIR },
                {},
        };
        FilesArgs a = { .verb = verb };
        int opt, n;

        *ret_help = false;
        optind = 0;
        opterr = 0;
        /* Options may follow the arguments, as with machinectl; "--" ends them. */
        while ((opt = getopt_long(argc, argv, ":h", verb == FILES_BIND ? bind_options : copy_options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        printf("%s", usage);
                        *ret_help = true;
                        return 0;
                case ARG_FORCE:
                        a.force = true;
                        break;
                case ARG_READ_ONLY:
                        a.read_only = true;
                        break;
                case ARG_MKDIR:
                        a.mkdir = true;
                        break;
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }

        n = argc - optind;
        if (n < 2 || n > 3)
                return log_usage("'berth %s' needs a machine name, a source and optionally a destination; "
                                 "see 'berth %s --help'.",
                                 argv[0], argv[0]);
        a.name = argv[optind];
        a.src = argv[optind + 1];
        a.dst = n == 3 ? argv[optind + 2] : argv[optind + 1];
        *ret = a;
        return 0;
}

/* A path in the machine: absolute, naming a file below "/". */
static int split_machine_path(const char *p, SplitPath *ret) {
        int r;

        if (!path_is_absolute(p))
                return log_usage("Path '%s' in the machine is not absolute.", p);
        r = path_split_last(p, &ret->dir, &ret->last);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0 || streq(ret->last, ".."))
                return log_usage("Path '%s' in the machine names no file.", p);
        return 0;
}

/* A path on the host: absolute or relative to our working directory. */
static int split_host_path(const char *p, SplitPath *ret) {
        int r;

        if (isempty(p))
                return log_usage("Empty path.");
        r = path_split_last(p, &ret->dir, &ret->last);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0 || streq(ret->last, ".."))
                return log_usage("Path '%s' names no file.", p);
        return 0;
}

/* The machine's init as a pidfd, and the cgroup to join with it. */
static int open_machine(const FilesArgs *a, MachineRecord *m, int *ret_leader, char **ret_cgroup) {
        int r;

        r = machine_get(a->name, m);
        if (r < 0)
                return r;
        r = machine_ref_open_leader(m, ret_leader);
        if (r >= 0 && ret_cgroup)
                r = machine_ref_leader_cgroup(m, ret_cgroup);
        if (r < 0)
                return log_error_errno(r, "Failed to find the init process of machine '%s': %m", a->name);
        return 0;
}

/* Forks a child that talks to us over a socket pair: pair[1] is the
 * child's end (pair[0] closed in it), pair[0] ours (pair[1] closed here). */
static int fork_child(int pair[static 2], pid_t *ret_pid) {
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "Failed to create a socket pair: %m");
        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m");
        pair[pid == 0 ? 0 : 1] = safe_close(pair[pid == 0 ? 0 : 1]);
        *ret_pid = pid;
        return 0;
}

/* In a child: joins the machine's namespaces in flags. Everything but
 * stdio, sock and the fds in keep is closed first: nothing else of the
 * host comes along. */
static void child_enter(const MachineRecord *m, int leader, int flags, const char *cgroup, int sock, const int *keep,
                        size_t n_keep) {
        int fds[8] = { 0, 1, 2, sock, leader };
        size_t n = 5;
        int r;

        for (size_t i = 0; i < n_keep && n < ELEMENTSOF(fds); i++)
                fds[n++] = keep[i];
        r = close_all_fds_except(fds, n);
        if (r < 0)
                child_fail(sock, r, true, "Failed to close file descriptors");
        if (m->uid_count == 0)
                flags &= ~CLONE_NEWUSER; /* the machine shares ours */
        r = enter_namespaces(leader, flags, m->unified_mount, cgroup, m->cgroups_v1);
        if (r < 0)
                child_fail(sock, r, true, "Failed to enter machine '%s'", m->name);
        /* Set after the credentials changed (which resets it). Should we
         * die, the child dies too, and the copy stops where it is. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* ---- copy-to, copy-from ----------------------------------------------- */

/* In a child in the machine's mount namespace: directory dir of the
 * machine, resolved in its root (symlinks included, never out of it). */
static int child_open_dir(const MachineRecord *m, const char *dir, int sock) {
        _cleanup_close_ int root = -EBADF;
        int fd, r;

        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                child_fail(sock, errno, true, "Failed to open the root of machine '%s'", m->name);
        r = open_in_root(root, dir, O_PATH | O_DIRECTORY, 0, &fd);
        if (r < 0)
                child_fail(sock, r, true, "Failed to open directory '%s' in machine '%s'", dir, m->name);
        return fd;
}

/* Names below the top are the machine's to choose (or the source tree's):
 * shown escaped, so that none can end our one line or drive a terminal. */
static char *escape_name(const char *s) {
        char *e = malloc(strlen(s) * 4 + 1), *p = e;

        if (!e)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c < ' ' || c == 0x7f || c == '\\')
                        p += sprintf(p, "\\x%02x", c);
                else
                        *p++ = (char) c;
        }
        *p = '\0';
        return e;
}

/* The one line for a failed copy. where: the entry that failed, relative
 * to the top ("" for the top itself, NULL if unknown). */
static void copy_report(ChildReport *rep, const FilesArgs *a, int error, const char *where) {
        _cleanup_free_ char *w = escape_name(strempty(where)), *in_machine = NULL, *src = NULL, *dst = NULL;
        const char *sep = isempty(where) ? "" : "/";
        bool to = a->verb == FILES_COPY_TO;

        in_machine = strdup_printf(" in machine '%s'", a->name);
        if (w && in_machine) {
                src = strjoin("'", a->src, sep, w, "'", to ? "" : in_machine);
                dst = strjoin("'", a->dst, sep, w, "'", to ? in_machine : "");
        }
        *rep = (ChildReport) { .error = ERRNO_VALUE(error) };
        if (!src || !dst)
                *rep = (ChildReport) { .error = ENOMEM, .text = "Out of memory." };
        else if (error == -EEXIST && where && isempty(where) && !a->force)
                (void) snprintf(rep->text, sizeof rep->text, "%s already exists; use --force to replace it.", dst);
        else if (error == -EOPNOTSUPP)
                (void) snprintf(rep->text, sizeof rep->text,
                                "Cannot copy %s: only regular files, directories and symlinks can be copied.", src);
        else {
                rep->with_errno = true;
                (void) snprintf(rep->text, sizeof rep->text, "Failed to copy %s to %s", src, dst);
        }
}

/* On a terminal, the copy shows its progress on stderr. */
static void copy_written(uint64_t bytes, void *userdata) {
        progress_add(userdata, bytes);
}

static uint64_t copy_size(int dir_fd, const char *name) {
        uint64_t total = UINT64_MAX;

        if (isatty(STDERR_FILENO))
                (void) copy_tree_size_at(dir_fd, name, &total);
        return total;
}

static _noreturn_ void copy_fail(int sock, const FilesArgs *a, int error, const char *where) {
        static ChildReport rep;

        copy_report(&rep, a, error, where);
        (void) send_with_fds(sock, &rep, sizeof rep, NULL, 0);
        _exit(EXIT_FAILURE);
}

/* The copy-to child: creates in the machine what the parent sends. */
static _noreturn_ void run_copy_to_child(const FilesArgs *a, const MachineRecord *m, int leader, const char *cgroup,
                                         const SplitPath *dst, uint64_t total, int sock) {
        _cleanup_close_ int parent = -EBADF;
        _cleanup_free_ char *failed_at = NULL;
        Progress progress;
        CopyProgress cp = { copy_written, &progress };
        int r;

        child_enter(m, leader, CLONE_NEWUSER | CLONE_NEWNS, cgroup, sock, NULL, 0);
        safe_close(leader);

        /* State: root of the machine's user namespace (so what we create
         * is the machine root's, and we have no privilege on the host), in
         * the machine's mount namespace: "/" is the machine's root. The
         * only host fds we hold are stdio and sock; host files reach us as
         * fds the parent opened. DST's directory is resolved in the root,
         * symlinks included, and the copy goes down from there by single
         * names without following any. */
        parent = child_open_dir(m, dst->dir, sock);

        progress_init(&progress, STDERR_FILENO, total);
        r = copy_tree_receive(sock, parent, dst->last, a->force ? COPY_REPLACE : 0, &cp, &failed_at);
        progress_end(&progress, r >= 0, "Copied");
        if (r == -ECONNABORTED)
                child_fail(sock, r, true, "The copy was aborted"); /* the parent says why */
        if (r < 0)
                copy_fail(sock, a, r, failed_at);
        _exit(EXIT_SUCCESS);
}

static int copy_to(const FilesArgs *a) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_(split_path_done) SplitPath src = {}, dst = {};
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_close_ int src_fd = -EBADF, leader = -EBADF;
        _cleanup_free_ char *cgroup = NULL, *failed_at = NULL;
        ChildReport rep;
        struct stat st;
        uint64_t total;
        pid_t pid;
        int r;

        r = split_host_path(a->src, &src);
        if (r >= 0)
                r = split_machine_path(a->dst, &dst);
        if (r >= 0)
                r = open_machine(a, &m, &leader, &cgroup);
        if (r < 0)
                return r;

        /* The source, opened as host root before anything of the machine
         * is joined; its path is the caller's, resolved on the host. */
        src_fd = open(src.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (src_fd < 0)
                return log_error_errno(errno, "Failed to open directory '%s': %m", src.dir);
        if (fstatat(src_fd, src.last, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(errno, "Failed to copy '%s': %m", a->src);
        total = copy_size(src_fd, src.last);

        r = fork_child(pair, &pid);
        if (r < 0)
                return r;
        if (pid == 0) {
                run_copy_to_child(a, &m, leader, cgroup, &dst, total, pair[1]);
        }

        r = copy_tree_send(pair[0], src_fd, src.last, &failed_at);
        if (r < 0)
                (void) shutdown(pair[0], SHUT_WR); /* the child stops */

        /* The child's failure is the one to tell, unless it only saw ours. */
        if (wait_child(pid, pair[0], &rep) > 0 && (rep.error != ECONNABORTED || r >= 0))
                return log_report(&rep);
        if (r < 0) {
                copy_report(&rep, a, r, failed_at);
                return log_report(&rep);
        }
        return 0;
}

/* The copy-from child: copies from the machine to the host fd. */
static _noreturn_ void run_copy_from_child(const FilesArgs *a, const MachineRecord *m, int leader, const char *cgroup,
                                           const SplitPath *src, const SplitPath *dst, int dst_fd, int sock) {
        _cleanup_close_ int parent = -EBADF;
        _cleanup_free_ char *failed_at = NULL;
        Progress progress;
        CopyProgress cp = { copy_written, &progress };
        int r;

        child_enter(m, leader, CLONE_NEWNS, cgroup, sock, &dst_fd, 1);
        safe_close(leader);

        /* State: host root, with host credentials, in the machine's mount
         * namespace: "/" is the machine's root, and we can read all of it.
         * SRC's directory is resolved in that root, symlinks included; the
         * copy goes down from there by single names without following any,
         * and never opens a device or FIFO. The one host fd we hold
         * (besides stdio and sock) is dst_fd, the destination's directory:
         * entries are created below it by single names the copy checked
         * (no "/", not "." or ".."), never through a symlink. */
        parent = child_open_dir(m, src->dir, sock);

        progress_init(&progress, STDERR_FILENO, copy_size(parent, src->last));
        r = copy_tree_at(parent, src->last, dst_fd, dst->last, a->force ? COPY_REPLACE : 0, &cp, &failed_at);
        progress_end(&progress, r >= 0, "Copied");
        if (r < 0)
                copy_fail(sock, a, r, failed_at);
        _exit(EXIT_SUCCESS);
}

static int copy_from(const FilesArgs *a) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_(split_path_done) SplitPath src = {}, dst = {};
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_close_ int dst_fd = -EBADF, leader = -EBADF;
        _cleanup_free_ char *cgroup = NULL;
        ChildReport rep;
        pid_t pid;
        int r;

        r = split_machine_path(a->src, &src);
        if (r >= 0)
                r = split_host_path(a->dst, &dst);
        if (r >= 0)
                r = open_machine(a, &m, &leader, &cgroup);
        if (r < 0)
                return r;

        /* The destination's directory, opened on the host before anything
         * of the machine is joined. */
        dst_fd = open(dst.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dst_fd < 0)
                return log_error_errno(errno, "Failed to open directory '%s': %m", dst.dir);

        r = fork_child(pair, &pid);
        if (r < 0)
                return r;
        if (pid == 0) {
                run_copy_from_child(a, &m, leader, cgroup, &src, &dst, dst_fd, pair[1]);
        }

        if (wait_child(pid, pair[0], &rep) > 0)
                return log_report(&rep);
        return 0;
}

/* ---- bind ------------------------------------------------------------- */

/* Turns the detached tree into one whose mount flags the machine's root
 * can't change, and whose submounts it can't unmount to see what is below
 * them: the kernel locks both on every mount copied into a mount namespace
 * of a less privileged user namespace (as it did for the machine's own
 * mounts at boot). So: attach the tree in a private copy of our mount
 * namespace (propagating nothing to the host's), become the machine's root,
 * copy that namespace (which locks it), and clone the locked tree out of it
 * again (the clone keeps the locks). Ends as the machine's root, in the
 * copy; the two namespaces go away with us. Nothing reaches the host's
 * mount table: the first copy is made private before anything is mounted
 * in it, and only we (non-dumpable) are in either. */
static int lock_tree(int leader, bool directory, int *tree) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        r = mount_nofollow(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        if (r >= 0)
                r = mount_nofollow("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755");
        if (r < 0)
                return r;
        if (directory ? mkdir("/tmp/t", 0755) < 0 : mknod("/tmp/t", S_IFREG | 0644, 0) < 0)
                return -errno;
        r = mount_attach(*tree, AT_FDCWD, "/tmp/t");
        if (r < 0)
                return r;

        r = enter_namespaces(leader, CLONE_NEWUSER, NULL, NULL, NULL);
        if (r < 0)
                return r;
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        r = mount_clone_tree(AT_FDCWD, "/tmp/t", true, &fd);
        if (r < 0)
                return r;
        safe_close(*tree);
        *tree = TAKE_FD(fd);
        return 0;
}

static _noreturn_ void run_bind_child(const FilesArgs *a, const MachineRecord *m, int leader, int tree, bool directory,
                                      int sock) {
        _cleanup_close_ int root = -EBADF, target = -EBADF;
        int r;

        r = close_all_fds_except((const int[]) { 0, 1, 2, sock, leader, tree }, 6);
        if (r < 0)
                child_fail(sock, r, true, "Failed to close file descriptors");
        if (m->uid_count > 0) {
                r = lock_tree(leader, directory, &tree);
                if (r < 0)
                        child_fail(sock, r, true, "Failed to prepare the mount of '%s' for machine '%s'", a->src,
                                   m->name);
        }
        r = enter_namespaces(leader, CLONE_NEWNS, NULL, NULL, NULL);
        if (r < 0)
                child_fail(sock, r, true, "Failed to enter machine '%s'", m->name);
        safe_close(leader);

        /* State: root of the machine (of its user namespace when it has
         * one), in its mount namespace: "/" is the machine's root, and
         * what we create belongs to the machine's root. We hold the tree to
         * mount (nobody else can reach it) and no other host fd but stdio
         * and sock. DST is resolved in the machine's root, symlinks
         * included (as is what --mkdir creates), and the tree is moved
         * onto what that resolved to, through an O_PATH fd, never by path. */
        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                child_fail(sock, errno, true, "Failed to open the root of machine '%s'", m->name);
        if (a->mkdir) {
                r = make_mount_point_in_root(root, a->dst, directory, directory ? 0755 : 0644, &target);
                if (r < 0)
                        child_fail(sock, r, true, "Failed to create mount point '%s' in machine '%s'", a->dst, m->name);
        } else {
                r = open_in_root(root, a->dst, O_PATH, 0, &target);
                if (r == -ENOENT)
                        child_fail(sock, r, false, "'%s' does not exist in machine '%s'; use --mkdir to create it.",
                                   a->dst, m->name);
                if (r < 0)
                        child_fail(sock, r, true, "Failed to open '%s' in machine '%s'", a->dst, m->name);
        }

        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                child_fail(sock, errno, true, "Failed to mount '%s' on '%s' in machine '%s'", a->src, a->dst, m->name);
        _exit(EXIT_SUCCESS);
}

static int bind_mount(const FilesArgs *a) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_(split_path_done) SplitPath dst = {};
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_close_ int tree = -EBADF, leader = -EBADF;
        ChildReport rep;
        struct stat st;
        pid_t pid;
        int r;

        if (isempty(a->src))
                return log_usage("Empty path.");
        r = split_machine_path(a->dst, &dst);
        if (r >= 0)
                r = open_machine(a, &m, &leader, NULL);
        if (r < 0)
                return r;

        /* A detached copy of the host's tree (its submounts included), made
         * as host root and attached nowhere: closing the last fd of it
         * removes it, so a failure leaves no mount behind. */
        r = mount_clone_tree(AT_FDCWD, a->src, true, &tree);
        if (r < 0)
                return log_error_errno(r, "Failed to open '%s': %m", a->src);
        if (fstat(tree, &st) < 0)
                return log_error_errno(errno, "Failed to look at '%s': %m", a->src);
        if (a->read_only) {
                r = mount_set_attributes(tree, NULL, MOUNT_ATTR_RDONLY, true);
                if (r < 0)
                        return log_error_errno(r, "Failed to make the mount of '%s' read-only: %m", a->src);
        }

        r = fork_child(pair, &pid);
        if (r < 0)
                return r;
        if (pid == 0) {
                run_bind_child(a, &m, leader, tree, S_ISDIR(st.st_mode), pair[1]);
        }

        if (wait_child(pid, pair[0], &rep) > 0)
                return log_report(&rep);
        return 0;
}

/* ---- The verbs -------------------------------------------------------- */

int verb_copy_to(int argc, char *argv[]) {
        FilesArgs a;
        bool help;
        int r;

        r = parse_files_argv(argc, argv, FILES_COPY_TO,
                             "berth copy-to NAME SRC [DST] [--force]\n\n"
                             "Copy a file or directory tree from the host into a running machine.\n"
                             "SRC is a host path, DST an absolute path in the machine (default: SRC)\n"
                             "that names the copy itself. What is created belongs to the machine's root;\n"
                             "modes, times and symlinks are kept, symlinks are never followed.\n"
                             "On a terminal, progress is shown on stderr.\n\n"
                             "  --force    Replace DST if it exists (a directory is merged into)\n"
                             "  -h --help  Show this help\n",
                             &a, &help);
        if (r < 0 || help)
                return r;
        return copy_to(&a);
}

int verb_copy_from(int argc, char *argv[]) {
        FilesArgs a;
        bool help;
        int r;

        r = parse_files_argv(argc, argv, FILES_COPY_FROM,
                             "berth copy-from NAME SRC [DST] [--force]\n\n"
                             "Copy a file or directory tree from a running machine to the host.\n"
                             "SRC is an absolute path in the machine, DST a host path (default: SRC)\n"
                             "that names the copy itself. What is created belongs to the caller;\n"
                             "modes, times and symlinks are kept, symlinks are never followed.\n"
                             "On a terminal, progress is shown on stderr.\n\n"
                             "  --force    Replace DST if it exists (a directory is merged into)\n"
                             "  -h --help  Show this help\n",
                             &a, &help);
        if (r < 0 || help)
                return r;
        return copy_from(&a);
}

int verb_bind(int argc, char *argv[]) {
        FilesArgs a;
        bool help;
        int r;

        r = parse_files_argv(argc, argv, FILES_BIND,
                             "berth bind NAME SRC [DST] [--read-only] [--mkdir]\n\n"
                             "Bind-mount a host file or directory (with its submounts) into a running\n"
                             "machine. DST is an absolute path in the machine (default: SRC). The mount\n"
                             "goes away with the machine.\n\n"
                             "  --read-only  Make the mount read-only\n"
                             "  --mkdir      Create DST (a directory, or an empty file for a file)\n"
                             "  -h --help    Show this help\n",
                             &a, &help);
        if (r < 0 || help)
                return r;
        return bind_mount(&a);
}
