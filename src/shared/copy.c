/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "copy.h"
#include "fd-util.h"
#include "path-util.h"
#include "string-util.h"
#include "walk-path.h"

/* The copy is a walk over the source that hands each entry to a writer:
 * directly (copy_tree_at()), or through a socket to a writer in another
 * process (copy_tree_send(), copy_tree_receive()). An entry: */
typedef enum CopyOp {
        COPY_OP_DIR = 1, /* a directory begins: what follows is in it */
        COPY_OP_END,     /* the directory last begun is complete */
        COPY_OP_FILE,
        COPY_OP_SYMLINK,
        COPY_OP_DONE, /* on the socket only: the top entry is complete */
} CopyOp;

typedef struct CopyEntry {
        CopyOp op;
        const char *name; /* NULL for the top entry, which the writer names */
        mode_t mode;
        struct timespec times[2]; /* atime, mtime */
        int fd;                   /* COPY_OP_FILE: open for reading */
        const char *target;       /* COPY_OP_SYMLINK */
} CopyEntry;

typedef int (*copy_put_t)(void *userdata, const CopyEntry *e);

/* The path of the current entry, for error messages: the walk's (walk-path.h). */
static void where_report(const WalkPath *w, char **failed_at) {
        if (failed_at)
                *failed_at = walk_path_dup(w);
}

/* ---- Writing: the destination side ------------------------------------ */

typedef struct WriterLevel {
        int fd;
        mode_t mode;
        struct timespec times[2];
        size_t where_saved;
} WriterLevel;

typedef struct Writer {
        CopyFlags flags;
        const CopyProgress *progress; /* NULL: nobody is told */
        int dst_dir_fd;               /* not ours */
        const char *dst_name;
        WriterLevel *levels; /* the directories being filled, COPY_DEPTH_MAX */
        unsigned depth;
        bool complete; /* the top entry is written */
        WalkPath where;
} Writer;

static int writer_init(Writer *w, int dst_dir_fd, const char *dst_name, CopyFlags flags, const CopyProgress *progress) {
        *w = (Writer) { .flags = flags, .progress = progress, .dst_dir_fd = dst_dir_fd, .dst_name = dst_name };
        if (!filename_is_valid(dst_name))
                return -EINVAL;
        w->levels = calloc(COPY_DEPTH_MAX, sizeof(WriterLevel));
        return w->levels ? 0 : -ENOMEM;
}

static void writer_done(Writer *w) {
        for (unsigned i = 0; i < w->depth; i++)
                safe_close(w->levels[i].fd);
        free(w->levels);
        walk_path_done(&w->where);
}

/* A name for a temporary file beside the one it is to replace. */
static int temp_name(char buf[static 32]) {
        uint64_t x;

        if (getrandom(&x, sizeof x, GRND_NONBLOCK) != sizeof x)
                return -errno ?: -EIO;
        snprintf(buf, 32, ".#berth%016llx", (unsigned long long) x);
        return 0;
}

static void tell_written(const CopyProgress *progress, size_t n) {
        if (progress && n > 0)
                progress->written(n, progress->userdata);
}

static int copy_bytes(int from, int to, const CopyProgress *progress) {
        /* Smaller steps when somebody shows the progress. */
        size_t step = progress ? 8U << 20 : 1U << 30;
        _cleanup_free_ char *buf = NULL;
        bool first = true;

        for (;;) {
                ssize_t n = copy_file_range(from, NULL, to, NULL, step, 0);
                if (n < 0) {
                        if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS &&
                            errno != EBADF)
                                return -errno;
                        break; /* not between these files: read and write */
                }
                /* Some pseudo-files say 0 here, and have contents to read. */
                if (n == 0 && !first)
                        return 0;
                if (n == 0)
                        break;
                first = false;
                tell_written(progress, (size_t) n);
        }

        buf = malloc(128 * 1024);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(from, buf, 128 * 1024);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                int r = loop_write(to, buf, (size_t) n);
                if (r < 0)
                        return r;
                tell_written(progress, (size_t) n);
        }
}

static int fill_file(int fd, const CopyEntry *e, const CopyProgress *progress) {
        int r = copy_bytes(e->fd, fd, progress);

        if (r < 0)
                return r;
        /* Ownership is not copied, so neither are set-ID bits (cp -p's rule
         * when it can't keep the owner). */
        if (fchmod(fd, e->mode & 07777 & ~(mode_t) (S_ISUID | S_ISGID)) < 0)
                return -errno;
        return RET_NERRNO(futimens(fd, e->times));
}

/* Creates a file or symlink under a temporary name in parent and renames it
 * over name: whoever looks at name sees the old entry or the new complete
 * one. rename() replaces a symlink itself, never what it points at. */
static int write_replacing(int parent, const char *name, const CopyEntry *e, const CopyProgress *progress) {
        char tmp[32];
        _cleanup_close_ int fd = -EBADF;
        int r;

        for (unsigned attempt = 0;; attempt++) {
                r = temp_name(tmp);
                if (r < 0)
                        return r;
                if (e->op == COPY_OP_FILE) {
                        fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
                        r = fd < 0 ? -errno : 0;
                } else
                        r = RET_NERRNO(symlinkat(e->target, parent, tmp));
                if (r != -EEXIST || attempt >= 16)
                        break;
        }
        if (r < 0)
                return r;

        if (e->op == COPY_OP_FILE)
                r = fill_file(fd, e, progress);
        else if (utimensat(parent, tmp, e->times, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP)
                r = -errno;
        if (r >= 0)
                r = RET_NERRNO(renameat(parent, tmp, parent, name));
        if (r < 0)
                (void) unlinkat(parent, tmp, 0);
        return r;
}

static int write_file_or_symlink(Writer *w, int parent, const char *name, const CopyEntry *e) {
        _cleanup_close_ int fd = -EBADF;

        if (w->flags & COPY_REPLACE)
                return write_replacing(parent, name, e, w->progress);

        /* O_EXCL and symlinkat() fail on anything in the way, a symlink
         * included (never followed). */
        if (e->op == COPY_OP_SYMLINK) {
                if (symlinkat(e->target, parent, name) < 0)
                        return -errno;
                if (utimensat(parent, name, e->times, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP)
                        return -errno;
                return 0;
        }
        fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        return fill_file(fd, e, w->progress);
}

/* Creates (or with COPY_REPLACE, merges into) directory name in parent, and
 * opens it. */
static int write_dir(Writer *w, int parent, const char *name, int *ret_fd) {
        struct stat st;
        bool existed = false;
        int fd;

        if (mkdirat(parent, name, 0700) < 0) {
                if (errno != EEXIST || !(w->flags & COPY_REPLACE))
                        return -errno;
                if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                existed = S_ISDIR(st.st_mode);
                if (!existed && (unlinkat(parent, name, 0) < 0 || (mkdirat(parent, name, 0700) < 0 && errno != EEXIST)))
                        return -errno;
        }
        /* Whatever is there now: a directory, not through a symlink. */
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* A directory merged into is writable for us until it is complete,
         * as a new one is (where we own it; else it stays as it is). */
        if (existed && fstat(fd, &st) >= 0 && (st.st_mode & S_IRWXU) != S_IRWXU)
                (void) fchmod(fd, (st.st_mode & 07777) | S_IRWXU);
        *ret_fd = fd;
        return 0;
}

static int writer_finish_dir(Writer *w) {
        WriterLevel *l = &w->levels[w->depth - 1];
        int r = 0;

        if (fchmod(l->fd, l->mode & 07777) < 0 || futimens(l->fd, l->times) < 0)
                r = -errno;
        l->fd = safe_close(l->fd);
        w->depth--;
        if (r >= 0)
                walk_path_pop(&w->where, l->where_saved);
        if (w->depth == 0)
                w->complete = true;
        return r;
}

static int writer_put(void *userdata, const CopyEntry *e) {
        Writer *w = userdata;
        int parent = w->depth > 0 ? w->levels[w->depth - 1].fd : w->dst_dir_fd;
        const char *name = w->depth > 0 ? e->name : w->dst_name;
        size_t saved;
        int r;

        if (w->complete)
                return -EBADMSG; /* more than one top entry */
        if (e->op == COPY_OP_END)
                return w->depth > 0 ? writer_finish_dir(w) : -EBADMSG;
        if (!filename_is_valid(name))
                return -EBADMSG;

        (void) walk_path_push(&w->where, w->depth > 0 ? name : "", &saved);
        switch (e->op) {
        case COPY_OP_DIR: {
                int fd = -EBADF;

                if (w->depth >= COPY_DEPTH_MAX)
                        return -ELOOP;
                r = write_dir(w, parent, name, &fd);
                if (r < 0)
                        return r;
                w->levels[w->depth++] = (WriterLevel) {
                        .fd = fd,
                        .mode = e->mode,
                        .times = { e->times[0], e->times[1] },
                        .where_saved = saved,
                };
                return 0;
        }
        case COPY_OP_FILE:
        case COPY_OP_SYMLINK:
                r = write_file_or_symlink(w, parent, name, e);
                if (r < 0)
                        return r;
                walk_path_pop(&w->where, saved);
                if (w->depth == 0)
                        w->complete = true;
                return 0;
        default:
                return -EBADMSG;
        }
}

/* ---- Reading: the source side ----------------------------------------- */

typedef struct Walker {
        copy_put_t put;
        void *userdata;
        WalkPath where;
} Walker;

static int walk_entry(Walker *w, int dir_fd, const char *name, bool top, unsigned depth);

static int walk_dir(Walker *w, int dir_fd, const char *name, CopyEntry *e, const struct stat *st, unsigned depth) {
        DIR *d;
        int fd, r;

        if (depth >= COPY_DEPTH_MAX)
                return -ELOOP;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = fd_check_same(fd, st);
        if (r < 0 || !(d = fdopendir(fd))) {
                r = r < 0 ? r : -errno;
                safe_close(fd);
                return r;
        }

        e->op = COPY_OP_DIR;
        r = w->put(w->userdata, e);
        while (r >= 0) {
                struct dirent *de;
                size_t saved;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = errno > 0 ? -errno : 0;
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                (void) walk_path_push(&w->where, de->d_name, &saved);
                r = walk_entry(w, dirfd(d), de->d_name, false, depth + 1);
                if (r >= 0)
                        walk_path_pop(&w->where, saved);
        }
        closedir(d);
        if (r < 0)
                return r;

        *e = (CopyEntry) { .op = COPY_OP_END, .fd = -EBADF };
        return w->put(w->userdata, e);
}

static int walk_entry(Walker *w, int dir_fd, const char *name, bool top, unsigned depth) {
        CopyEntry e = { .name = top ? NULL : name, .fd = -EBADF };
        struct stat st;
        int r;

        /* Looked at without following, so that a FIFO or a device is never
         * opened, and a symlink never followed. */
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        e.mode = st.st_mode;
        e.times[0] = st.st_atim;
        e.times[1] = st.st_mtim;

        switch (st.st_mode & S_IFMT) {
        case S_IFDIR:
                return walk_dir(w, dir_fd, name, &e, &st, depth);
        case S_IFREG: {
                /* O_NONBLOCK: should a FIFO have been put there meanwhile,
                 * opening it doesn't wait for a writer (fd_check_same() then
                 * refuses it). */
                _cleanup_close_ int fd =
                        openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                r = fd_check_same(fd, &st);
                if (r < 0)
                        return r;
                e.op = COPY_OP_FILE;
                e.fd = fd;
                return w->put(w->userdata, &e);
        }
        case S_IFLNK: {
                char target[PATH_MAX];
                ssize_t n = readlinkat(dir_fd, name, target, sizeof target);

                if (n < 0)
                        return -errno;
                if ((size_t) n >= sizeof target)
                        return -ENAMETOOLONG;
                target[n] = '\0';
                e.op = COPY_OP_SYMLINK;
                e.target = target;
                return w->put(w->userdata, &e);
        }
        default:
                return -EOPNOTSUPP;
        }
}

static int walk(int src_dir_fd, const char *src_name, copy_put_t put, void *userdata, char **failed_at) {
        Walker w = { .put = put, .userdata = userdata };
        int r;

        r = filename_is_valid(src_name) ? walk_entry(&w, src_dir_fd, src_name, true, 0) : -EINVAL;
        if (r < 0)
                where_report(&w.where, failed_at);
        walk_path_done(&w.where);
        return r;
}

int copy_tree_at(int src_dir_fd, const char *src_name, int dst_dir_fd, const char *dst_name, CopyFlags flags,
                 const CopyProgress *progress, char **failed_at) {
        Writer w;
        int r;

        r = writer_init(&w, dst_dir_fd, dst_name, flags, progress);
        if (r >= 0)
                r = walk(src_dir_fd, src_name, writer_put, &w, failed_at);
        else if (failed_at)
                *failed_at = NULL;
        writer_done(&w);
        return r;
}

static int size_put(void *userdata, const CopyEntry *e) {
        uint64_t *total = userdata;
        struct stat st;

        if (e->op != COPY_OP_FILE)
                return 0;
        if (fstat(e->fd, &st) < 0)
                return -errno;
        *total += (uint64_t) st.st_size;
        return 0;
}

int copy_tree_size_at(int src_dir_fd, const char *src_name, uint64_t *ret) {
        uint64_t total = 0;
        int r = walk(src_dir_fd, src_name, size_put, &total, NULL);

        if (r < 0)
                return r;
        *ret = total;
        return 0;
}

/* ---- Across a socket -------------------------------------------------- */

/* One entry a message: this header, then the name (empty for the top entry)
 * and the symlink target (empty but for symlinks), each NUL-terminated. A
 * regular file's fd comes along with its message. */
typedef struct CopyWire {
        uint32_t op;
        uint32_t mode;
        int64_t times[2][2];
} CopyWire;

#define COPY_WIRE_MAX (sizeof(CopyWire) + NAME_MAX + 1 + PATH_MAX)

static int send_put(void *userdata, const CopyEntry *e) {
        int sock = *(int *) userdata;
        const char *name = strempty(e->name), *target = strempty(e->target);
        size_t ln = strlen(name) + 1, lt = strlen(target) + 1;
        char buf[COPY_WIRE_MAX];
        CopyWire h = {
                .op = e->op,
                .mode = e->mode,
                .times = { { e->times[0].tv_sec, e->times[0].tv_nsec }, { e->times[1].tv_sec, e->times[1].tv_nsec } },
        };
        ssize_t n;

        if (ln > NAME_MAX + 1 || lt > PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(buf, &h, sizeof h);
        memcpy(buf + sizeof h, name, ln);
        memcpy(buf + sizeof h + ln, target, lt);
        n = send_with_fds(sock, buf, sizeof h + ln + lt, &e->fd, e->fd >= 0 ? 1 : 0);
        if (n == -ECONNRESET || n == -ECONNREFUSED)
                return -EPIPE; /* the receiver is gone, whichever way */
        return n < 0 ? (int) n : 0;
}

int copy_tree_send(int sock, int src_dir_fd, const char *src_name, char **failed_at) {
        int r = walk(src_dir_fd, src_name, send_put, &sock, failed_at);

        if (r < 0)
                return r;
        r = send_put(&sock, &(const CopyEntry) { .op = COPY_OP_DONE, .fd = -EBADF });
        if (r < 0 && failed_at)
                *failed_at = strdup("");
        return r;
}

/* Checks a message from the sender and makes an entry of it. The sender is
 * the host, but a malformed message must not make us create odd names. */
static int wire_parse(const char *buf, size_t n, int fd, CopyEntry *ret) {
        CopyWire h;
        const char *name, *target, *end = buf + n;

        if (n < sizeof h + 2 || buf[n - 1] != '\0')
                return -EBADMSG;
        memcpy(&h, buf, sizeof h);
        name = buf + sizeof h;
        target = memchr(name, '\0', (size_t) (end - name));
        if (!target || ++target >= end || memchr(target, '\0', (size_t) (end - target)) != end - 1)
                return -EBADMSG;
        if (h.op < COPY_OP_DIR || h.op > COPY_OP_DONE || (h.op == COPY_OP_FILE) != (fd >= 0) ||
            (h.op == COPY_OP_SYMLINK) != (*target != '\0'))
                return -EBADMSG;
        for (size_t i = 0; i < 2; i++)
                if (h.times[i][1] < 0 || h.times[i][1] >= 1000000000)
                        return -EBADMSG;

        *ret = (CopyEntry) {
                .op = (CopyOp) h.op,
                .name = *name ? name : NULL,
                .mode = (mode_t) h.mode,
                .times = { { .tv_sec = h.times[0][0], .tv_nsec = h.times[0][1] },
                           { .tv_sec = h.times[1][0], .tv_nsec = h.times[1][1] } },
                .fd = fd,
                .target = target,
        };
        return 0;
}

static int receive_one(int sock, Writer *w, char *buf, bool *ret_done) {
        _cleanup_close_ int fd = -EBADF;
        CopyEntry e;
        struct stat st;
        ssize_t n;
        int r;

        n = receive_with_fds(sock, buf, COPY_WIRE_MAX, &fd, 1);
        if (n < 0)
                return (int) n;
        if (n == 0)
                return -ECONNABORTED; /* the sender gave up */
        r = wire_parse(buf, (size_t) n, fd, &e);
        if (r < 0)
                return r;
        if (e.op == COPY_OP_DONE) {
                *ret_done = true;
                return w->complete ? 0 : -EBADMSG;
        }
        if (e.op == COPY_OP_FILE && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
                return -EBADMSG;
        return writer_put(w, &e);
}

int copy_tree_receive(int sock, int dst_dir_fd, const char *dst_name, CopyFlags flags, const CopyProgress *progress,
                      char **failed_at) {
        _cleanup_free_ char *buf = malloc(COPY_WIRE_MAX);
        bool done = false;
        Writer w;
        int r;

        r = writer_init(&w, dst_dir_fd, dst_name, flags, progress);
        if (r >= 0 && !buf)
                r = -ENOMEM;
        while (r >= 0 && !done)
                r = receive_one(sock, &w, buf, &done);
        if (r < 0)
                where_report(&w.where, failed_at);
        writer_done(&w);
        return r;
}
