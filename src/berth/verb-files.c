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

/* Waits for the child and logs what went wrong, once: what it reported,
 * else ours (our side's failure, NULL for none), unless the child's only
 * saw ours. */
static int wait_child(pid_t pid, int channel, const ChannelMessage *ours) {
        ChannelMessage msg;
        int status;

        if (enter_wait(pid, channel, &msg, &status) > 0 && (msg.error != ECONNABORTED || !ours))
                return channel_log_error(&msg);
        if (ours)
                return channel_log_error(ours);
        if (status != 0)
                return log_error_errno(SYNTHETIC_ERRNO(EPROTO),
                                       "The process working in the machine ended unexpectedly (status %i).", status);
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

/* ---- copy-to, copy-from ----------------------------------------------- */

/* In a child in the machine's mount namespace: directory dir of the
 * machine, resolved in its root (symlinks included, never out of it). */
static int child_open_dir(const EnterTarget *t, const char *dir, int channel) {
        _cleanup_close_ int root = -EBADF;
        int fd, r;

        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                channel_fail(channel, errno, "open the root of machine '%s'", t->machine.name);
        r = open_in_root(root, dir, O_PATH | O_DIRECTORY, 0, &fd);
        if (r < 0)
                channel_fail(channel, r, "open directory '%s' in machine '%s'", dir, t->machine.name);
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

/* The one line for a failed copy, as a channel report. where: the entry
 * that failed, relative to the top ("" for the top itself, NULL if
 * unknown). */
static void copy_report(ChannelMessage *msg, const FilesArgs *a, int error, const char *where) {
        _cleanup_free_ char *w = escape_name(strempty(where)), *in_machine = NULL, *src = NULL, *dst = NULL;
        const char *sep = isempty(where) ? "" : "/";
        bool to = a->verb == FILES_COPY_TO;

        in_machine = strdup_printf(" in machine '%s'", a->name);
        if (w && in_machine) {
                src = strjoin("'", a->src, sep, w, "'", to ? "" : in_machine);
                dst = strjoin("'", a->dst, sep, w, "'", to ? in_machine : "");
        }
        *msg = (ChannelMessage) { .type = CHANNEL_ERROR, .error = ERRNO_VALUE(error) ?: EIO };
        if (!src || !dst)
                *msg = (ChannelMessage) { .type = CHANNEL_ERROR, .error = ENOMEM, .text = "Out of memory." };
        else if (error == -EEXIST && where && isempty(where) && !a->force)
                (void) snprintf(msg->text, sizeof msg->text, "%s already exists; use --force to replace it.", dst);
        else if (error == -EOPNOTSUPP)
                (void) snprintf(msg->text, sizeof msg->text,
                                "Cannot copy %s: only regular files, directories and symlinks can be copied.", src);
        else {
                msg->with_errno = true;
                (void) snprintf(msg->text, sizeof msg->text, "copy %s to %s", src, dst);
        }
}

static _noreturn_ void copy_fail(int channel, const FilesArgs *a, int error, const char *where) {
        static ChannelMessage msg; /* large: not on the stack */

        copy_report(&msg, a, error, where);
        if (msg.with_errno)
                channel_fail(channel, error, "%s", msg.text);
        channel_fail_message(channel, error, "%s", msg.text);
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

typedef struct CopyArgs {
        const FilesArgs *a;
        const SplitPath *src, *dst;
        int host_fd;    /* copy-from: the host directory the copy goes into */
        uint64_t total; /* copy-to: what the parent sends */
} CopyArgs;

/* The child that works in the machine. copy-to: it creates what the parent
 * sends over the channel. copy-from: it copies from the machine into the
 * host directory it was given. */
static int copy_child(const EnterTarget *t, int channel, void *userdata) {
        const CopyArgs *c = userdata;
        bool to = c->a->verb == FILES_COPY_TO;
        CopyFlags flags = c->a->force ? COPY_REPLACE : 0;
        _cleanup_close_ int parent = -EBADF;
        _cleanup_free_ char *failed_at = NULL;
        Progress progress;
        CopyProgress cp = { copy_written, &progress };
        int r;

        /* State, copy-to: root of the machine's user namespace (so what we
         * create is the machine root's, and we have no privilege on the
         * host), in the machine's mount namespace: "/" is the machine's
         * root. The only host fds we hold are stdio and the channel; host
         * files reach us as fds the parent opened.
         *
         * State, copy-from: host root, with host credentials, in the
         * machine's mount namespace: "/" is the machine's root, and we can
         * read all of it; the copy never opens a device or FIFO. The one
         * host fd we hold (besides stdio and the channel) is host_fd, the
         * destination's directory: entries are created below it by single
         * names the copy checked (no "/", not "." or ".."), never through
         * a symlink.
         *
         * Either way the machine's side is resolved in its root, symlinks
         * included, and the copy goes down from there by single names
         * without following any. */
        parent = child_open_dir(t, (to ? c->dst : c->src)->dir, channel);

        progress_init(&progress, STDERR_FILENO, to ? c->total : copy_size(parent, c->src->last));
        if (to)
                r = copy_tree_receive(channel, parent, c->dst->last, flags, &cp, &failed_at);
        else
                r = copy_tree_at(parent, c->src->last, c->host_fd, c->dst->last, flags, &cp, &failed_at);
        progress_end(&progress, r >= 0, "Copied");
        if (r == -ECONNABORTED && to)
                channel_fail(channel, r, "receive the copy"); /* the parent says why */
        if (r < 0)
                copy_fail(channel, c->a, r, failed_at);
        return EXIT_SUCCESS;
}

/* SRC and DST split, each as the host's or the machine's path. */
static int split_copy_paths(const FilesArgs *a, SplitPath *src, SplitPath *dst) {
        bool to = a->verb == FILES_COPY_TO;
        int r;

        r = to ? split_host_path(a->src, src) : split_machine_path(a->src, src);
        if (r < 0)
                return r;
        return to ? split_machine_path(a->dst, dst) : split_host_path(a->dst, dst);
}

static int copy_files(const FilesArgs *a) {
        _cleanup_(enter_target_done) EnterTarget t = { .leader_pidfd = -EBADF };
        _cleanup_(split_path_done) SplitPath src = {}, dst = {};
        _cleanup_close_ int host_fd = -EBADF, channel = -EBADF;
        _cleanup_free_ char *failed_at = NULL;
        bool to = a->verb == FILES_COPY_TO;
        static ChannelMessage ours; /* large: not on the stack */
        struct stat st;
        pid_t pid;
        int r;

        r = split_copy_paths(a, &src, &dst);
        if (r >= 0)
                r = machine_enter_open(a->name, &t);
        if (r < 0)
                return r;

        /* The host's side, opened as host root before anything of the
         * machine is joined; its path is the caller's, resolved on the
         * host: copy-to's source, copy-from's destination directory. */
        host_fd = open(to ? src.dir : dst.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (host_fd < 0)
                return log_error_errno(errno, "Failed to open directory '%s': %m", to ? src.dir : dst.dir);
        if (to && fstatat(host_fd, src.last, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return log_error_errno(errno, "Failed to copy '%s': %m", a->src);

        CopyArgs c = { .a = a, .src = &src, .dst = &dst, .host_fd = host_fd };
        EnterSpec spec = { .namespaces = CLONE_NEWNS, .join_cgroup = true, .keep_fds = &host_fd, .n_keep_fds = 1 };
        if (to) {
                c.total = copy_size(host_fd, src.last);
                spec = (EnterSpec) { .namespaces = CLONE_NEWUSER | CLONE_NEWNS, .join_cgroup = true };
        }
        r = enter_spawn(&t, &spec, copy_child, &c, &pid, &channel);
        if (r < 0)
                return log_error_errno(r, "Failed to fork: %m");

        r = to ? copy_tree_send(channel, host_fd, src.last, &failed_at) : 0;
        if (r < 0) {
                (void) shutdown(channel, SHUT_WR); /* the child stops */
                copy_report(&ours, a, r, failed_at);
        }
        return wait_child(pid, channel, r < 0 ? &ours : NULL);
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
static int lock_tree(const EnterTarget *t, bool directory, int *tree) {
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

        r = enter_join(t, CLONE_NEWUSER, 0);
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

typedef struct BindArgs {
        const FilesArgs *a;
        int tree;
        bool directory;
} BindArgs;

/* Opens (or with --mkdir makes) the mount point DST in the machine. */
static int open_mount_point(const EnterTarget *t, const BindArgs *b, int channel) {
        const FilesArgs *a = b->a;
        _cleanup_close_ int root = -EBADF;
        int target = -EBADF, r;

        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                channel_fail(channel, errno, "open the root of machine '%s'", t->machine.name);
        if (a->mkdir) {
                r = make_mount_point_in_root(root, a->dst, b->directory, b->directory ? 0755 : 0644, &target);
                if (r < 0)
                        channel_fail(channel, r, "create mount point '%s' in machine '%s'", a->dst, t->machine.name);
                return target;
        }
        r = open_in_root(root, a->dst, O_PATH, 0, &target);
        if (r == -ENOENT)
                channel_fail_message(channel, r, "'%s' does not exist in machine '%s'; use --mkdir to create it.",
                                     a->dst, t->machine.name);
        if (r < 0)
                channel_fail(channel, r, "open '%s' in machine '%s'", a->dst, t->machine.name);
        return target;
}

static int bind_child(const EnterTarget *t, int channel, void *userdata) {
        BindArgs *b = userdata;
        _cleanup_close_ int target = -EBADF;
        int r;

        if (t->machine.uid_count > 0) {
                r = lock_tree(t, b->directory, &b->tree);
                if (r < 0)
                        channel_fail(channel, r, "prepare the mount of '%s' for machine '%s'", b->a->src,
                                     t->machine.name);
        }
        r = enter_join(t, CLONE_NEWNS, ENTER_JOIN_CONFINE);
        if (r < 0)
                channel_fail(channel, r, "enter machine '%s'", t->machine.name);

        /* State: root of the machine (of its user namespace when it has
         * one), in its mount namespace: "/" is the machine's root, and
         * what we create belongs to the machine's root. We hold the tree to
         * mount (nobody else can reach it) and no other host fd but stdio
         * and the channel. DST is resolved in the machine's root, symlinks
         * included (as is what --mkdir creates), and the tree is moved onto
         * what that resolved to, through an O_PATH fd, never by path. */
        target = open_mount_point(t, b, channel);
        if (move_mount(b->tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                channel_fail(channel, errno, "mount '%s' on '%s' in machine '%s'", b->a->src, b->a->dst,
                             t->machine.name);
        return EXIT_SUCCESS;
}

static int bind_mount(const FilesArgs *a) {
        _cleanup_(enter_target_done) EnterTarget t = { .leader_pidfd = -EBADF };
        _cleanup_(split_path_done) SplitPath dst = {};
        _cleanup_close_ int tree = -EBADF, channel = -EBADF;
        struct stat st;
        pid_t pid;
        int r;

        if (isempty(a->src))
                return log_usage("Empty path.");
        r = split_machine_path(a->dst, &dst);
        if (r >= 0)
                r = machine_enter_open(a->name, &t);
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

        /* The child joins by itself, in steps (lock_tree()). */
        BindArgs b = { .a = a, .tree = tree, .directory = S_ISDIR(st.st_mode) };
        EnterSpec spec = { .keep_fds = &tree, .n_keep_fds = 1 };
        r = enter_spawn(&t, &spec, bind_child, &b, &pid, &channel);
        if (r < 0)
                return log_error_errno(r, "Failed to fork: %m");
        return wait_child(pid, channel, NULL);
}

/* ---- The verbs -------------------------------------------------------- */

static const struct {
        const char *usage;
        int (*run)(const FilesArgs *a);
} files_verbs[] = {
        [FILES_COPY_TO] = {
                "berth copy-to NAME SRC [DST] [--force]\n\n"
                "Copy a file or directory tree from the host into a running machine.\n"
                "SRC is a host path, DST an absolute path in the machine (default: SRC)\n"
                "that names the copy itself. What is created belongs to the machine's root;\n"
                "modes, times and symlinks are kept, symlinks are never followed.\n"
                "On a terminal, progress is shown on stderr.\n\n"
                "  --force    Replace DST if it exists (a directory is merged into)\n"
                "  -h --help  Show this help\n",
                copy_files,
        },
        [FILES_COPY_FROM] = {
                "berth copy-from NAME SRC [DST] [--force]\n\n"
                "Copy a file or directory tree from a running machine to the host.\n"
                "SRC is an absolute path in the machine, DST a host path (default: SRC)\n"
                "that names the copy itself. What is created belongs to the caller;\n"
                "modes, times and symlinks are kept, symlinks are never followed.\n"
                "On a terminal, progress is shown on stderr.\n\n"
                "  --force    Replace DST if it exists (a directory is merged into)\n"
                "  -h --help  Show this help\n",
                copy_files,
        },
        [FILES_BIND] = {
                "berth bind NAME SRC [DST] [--read-only] [--mkdir]\n\n"
                "Bind-mount a host file or directory (with its submounts) into a running\n"
                "machine. DST is an absolute path in the machine (default: SRC). The mount\n"
                "goes away with the machine.\n\n"
                "  --read-only  Make the mount read-only\n"
                "  --mkdir      Create DST (a directory, or an empty file for a file)\n"
                "  -h --help    Show this help\n",
                bind_mount,
        },
};

static int verb_files(int argc, char *argv[], FilesVerb verb) {
        FilesArgs a;
        bool help;
        int r;

        r = parse_files_argv(argc, argv, verb, files_verbs[verb].usage, &a, &help);
        if (r < 0 || help)
                return r;
        return files_verbs[verb].run(&a);
}

int verb_copy_to(int argc, char *argv[]) {
        return verb_files(argc, argv, FILES_COPY_TO);
}

int verb_copy_from(int argc, char *argv[]) {
        return verb_files(argc, argv, FILES_COPY_FROM);
}

int verb_bind(int argc, char *argv[]) {
        return verb_files(argc, argv, FILES_BIND);
}
