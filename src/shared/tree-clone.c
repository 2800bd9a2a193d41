/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

#include "chase.h"
#include "fd-util.h"
#include "path-util.h"
#include "string-util.h"
#include "tree-clone.h"
#include "walk-path.h"

/* The inode number of the root directory of every btrfs subvolume. */
#define BTRFS_SUBVOL_ROOT_INO 256
/* File data goes through a buffer of this size when copy_file_range()
 * can't be used; it also holds an attribute's value (at most 64 KiB) or a
 * symlink's target. */
#define BUF_SIZE XATTR_SIZE_MAX

/* A source inode with more than one link, and where its first copy is. */
typedef struct LinkEntry {
        dev_t dev;
        ino_t ino;
        char *path; /* relative to the top of the copy */
} LinkEntry;

typedef struct Cloner {
        const CopyProgress *progress; /* NULL: nobody is told */
        dev_t top_dev;                /* the filesystem the walk stays on */
        int dst_top_fd;               /* the copy's top directory, once made (not ours) */
        bool acl_inherited;           /* what is made gets ACLs from the destination directory */
        bool no_copy_file_range;      /* for the file being copied */
        void *links;                  /* LinkEntry, a tsearch() tree */
        WalkPath path;                /* where the walk is, relative to the top */
        char *buf;                    /* BUF_SIZE */
        char *names;                  /* XATTR_LIST_MAX: the names of an entry's attributes */
} Cloner;

/* ---- Hard links ---------------------------------------------------------- */

static int link_compare(const void *a, const void *b) {
        const LinkEntry *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void link_free(void *p) {
        LinkEntry *e = p;

        free(e->path);
        free(e);
}

static const char *links_find(const Cloner *c, const struct stat *st) {
        const LinkEntry key = { .dev = st->st_dev, .ino = st->st_ino };
        LinkEntry *const *e = tfind(&key, &c->links, link_compare);

        return e ? (*e)->path : NULL;
}

/* Remembers the entry just copied (the walk's path) as the first of st. */
static int links_add(Cloner *c, const struct stat *st) {
        LinkEntry *e = malloc(sizeof(LinkEntry));

        if (!e)
                return -ENOMEM;
        *e = (LinkEntry) { .dev = st->st_dev, .ino = st->st_ino, .path = strdup(c->path.buf ?: "") };
        if (!e->path || !tsearch(e, &c->links, link_compare)) {
                link_free(e);
                return -ENOMEM;
        }
        return 0;
}

static void cloner_done(Cloner *c) {
        tdestroy(c->links, link_free);
        walk_path_done(&c->path);
        free(c->buf);
        free(c->names);
}

/* Makes name in dst_fd a hard link to the copy at path (relative to the
 * top), reached one name at a time like everything else. */
static int link_to(Cloner *c, const char *path, int dst_fd, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        const char *slash;

        while ((slash = strchr(path, '/'))) {
                char component[NAME_MAX + 1];
                size_t l = (size_t) (slash - path);
                int next;

                if (l > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(component, path, l);
                component[l] = '\0';
                next = openat(fd >= 0 ? fd : c->dst_top_fd, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                safe_close(fd);
                fd = next;
                path = slash + 1;
        }
        return RET_NERRNO(linkat(fd >= 0 ? fd : c->dst_top_fd, path, dst_fd, name, 0));
}

/* ---- Extended attributes ------------------------------------------------- */

/* An entry's attributes are reached through an fd open for reading or
 * writing, or, for symlinks and nodes (which we don't open for that),
 * through the /proc/self/fd path of an O_PATH fd: following it reaches the
 * entry itself, a symlink too, and opens nothing. */
typedef struct XattrRef {
        int fd;
        const char *path; /* used when not NULL */
} XattrRef;

static ssize_t x_list(const XattrRef *x, char *buf, size_t size) {
        return x->path ? listxattr(x->path, buf, size) : flistxattr(x->fd, buf, size);
}

static ssize_t x_get(const XattrRef *x, const char *name, void *buf, size_t size) {
        return x->path ? getxattr(x->path, name, buf, size) : fgetxattr(x->fd, name, buf, size);
}

static int x_set(const XattrRef *x, const char *name, const void *value, size_t size) {
        return x->path ? setxattr(x->path, name, value, size, 0) : fsetxattr(x->fd, name, value, size, 0);
}

static int x_remove(const XattrRef *x, const char *name) {
        return x->path ? removexattr(x->path, name) : fremovexattr(x->fd, name);
}

static bool name_in_list(const char *list, size_t size, const char *name) {
        for (const char *p = list; p < list + size; p += strlen(p) + 1)
                if (streq(p, name))
                        return true;
        return false;
}

/* Namespaces every filesystem with attributes knows; others ("btrfs.")
 * are a filesystem's own. */
static bool xattr_is_generic(const char *name) {
        return startswith(name, "user.") || startswith(name, "trusted.") || startswith(name, "security.") ||
               startswith(name, "system.");
}

/* Removes the ACLs the entry got from a default ACL where the source has
 * none (its names are the n bytes of c->names). */
static int drop_inherited_acls(Cloner *c, const XattrRef *dst, size_t n) {
        static const char *const acls[] = { "system.posix_acl_access", "system.posix_acl_default" };

        for (size_t i = 0; i < ELEMENTSOF(acls); i++)
                if (!name_in_list(c->names, n, acls[i]) && x_remove(dst, acls[i]) < 0 &&
                    !IN_SET(errno, ENODATA, EOPNOTSUPP))
                        return -errno;
        return 0;
}

static int copy_xattrs(Cloner *c, const XattrRef *src, const XattrRef *dst) {
        ssize_t n = x_list(src, c->names, XATTR_LIST_MAX);

        if (n < 0 && errno != EOPNOTSUPP)
                return -errno;
        n = MAX(n, 0);
        for (const char *name = c->names; name < c->names + n; name += strlen(name) + 1) {
                ssize_t m = x_get(src, name, c->buf, BUF_SIZE);

                if (m < 0 && errno == ENODATA)
                        continue; /* removed meanwhile */
                if (m < 0)
                        return -errno;
                if (x_set(dst, name, c->buf, (size_t) m) < 0 && (errno != EOPNOTSUPP || xattr_is_generic(name)))
                        return -errno;
        }
        return c->acl_inherited ? drop_inherited_acls(c, dst, (size_t) n) : 0;
}

/* Owner, attributes, mode and times of st to fd, in that order: chown()
 * clears set-ID bits and file capabilities, setting an ACL changes the
 * mode, and the mode (0700 while a directory is filled) must allow setting
 * attributes when we are not root. */
static int set_attrs(Cloner *c, int from, int to, const struct stat *st) {
        const struct timespec times[2] = { st->st_atim, st->st_mtim };
        int r;

        if (fchown(to, st->st_uid, st->st_gid) < 0)
                return -errno;
        r = copy_xattrs(c, &(const XattrRef) { .fd = from }, &(const XattrRef) { .fd = to });
        if (r < 0)
                return r;
        if (fchmod(to, st->st_mode & 07777) < 0)
                return -errno;
        return RET_NERRNO(futimens(to, times));
}

/* ---- Entries --------------------------------------------------------------- */

static void tell_written(const Cloner *c, uint64_t n) {
        if (c->progress && n > 0)
                c->progress->written(n, c->progress->userdata);
}

/* Copies up to size bytes at off of from to the same place in to. Returns
 * how many (0: the source ends before off). */
static ssize_t copy_some(Cloner *c, int from, int to, off_t off, size_t size) {
        ssize_t n;

        if (!c->no_copy_file_range) {
                off_t in = off, out = off;

                n = copy_file_range(from, &in, to, &out, size, 0);
                if (n >= 0)
                        return n;
                if (!IN_SET(errno, EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF))
                        return -errno;
                c->no_copy_file_range = true; /* not between these two: read and write */
        }
        do
                n = pread(from, c->buf, MIN(size, (size_t) BUF_SIZE), off);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n < 0 ? -errno : 0;
        for (ssize_t done = 0, k; done < n; done += k) {
                k = pwrite(to, c->buf + done, (size_t) (n - done), off + done);
                if (k < 0 && errno == EINTR)
                        k = 0;
                else if (k <= 0)
                        return k < 0 ? -errno : -EIO;
        }
        return n;
}

/* The next stretch of data of fd at or after pos, before size: returns 1
 * and [start, end), or 0 when only holes are left. */
static int next_data(int fd, off_t pos, off_t size, off_t *ret_start, off_t *ret_end) {
        off_t start = lseek(fd, pos, SEEK_DATA), end;

        if (start < 0 && errno == ENXIO)
                return 0;
        if (start < 0 && errno == EINVAL) /* can't tell holes: all of it is data */
                start = pos, end = size;
        else if (start < 0)
                return -errno;
        else if ((end = lseek(fd, start, SEEK_HOLE)) < 0)
                return -errno;
        if (start >= size)
                return 0;
        *ret_start = start;
        *ret_end = MIN(end, size);
        return 1;
}

/* Copies the data of from (size bytes long) to to, the holes staying holes. */
static int copy_data(Cloner *c, int from, int to, off_t size) {
        size_t step = c->progress ? 8U << 20 : 1U << 30; /* smaller when somebody shows the progress */
        off_t pos = 0, start = 0, end = 0;
        int r;

        /* The whole file shared, where the filesystem can: done at once. */
        if (ioctl(to, FICLONE, from) >= 0) {
                tell_written(c, (uint64_t) size);
                return 0;
        }
        c->no_copy_file_range = false;
        while (pos < size) {
                r = next_data(from, pos, size, &start, &end);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                while (start < end) {
                        ssize_t n = copy_some(c, from, to, start, MIN((size_t) (end - start), step));
                        if (n < 0)
                                return (int) n;
                        if (n == 0) { /* the source shrank: the rest stays a hole */
                                end = size;
                                break;
                        }
                        start += n;
                        tell_written(c, (uint64_t) n);
                }
                pos = end;
        }
        /* A hole at the end is only a size. */
        return RET_NERRNO(ftruncate(to, size));
}

static int clone_file(Cloner *c, int src_dir, const char *src_name, const struct stat *st, int dst_dir,
                      const char *dst_name) {
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        int r;

        /* O_NONBLOCK: should a FIFO have been put there meanwhile, opening
         * it doesn't wait for a writer (fd_check_same() then refuses it). */
        from = openat(src_dir, src_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (from < 0)
                return -errno;
        r = fd_check_same(from, st);
        if (r < 0)
                return r;
        to = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        if (to < 0)
                return -errno;
        r = copy_data(c, from, to, st->st_size);
        if (r < 0)
                return r;
        return set_attrs(c, from, to, st);
}

/* A symlink (target read from the O_PATH fd from), device node, FIFO or
 * socket made anew as st says. */
static int make_node(Cloner *c, int from, const struct stat *st, int dst_dir, const char *dst_name) {
        ssize_t n;

        if (!S_ISLNK(st->st_mode))
                return RET_NERRNO(mknodat(dst_dir, dst_name, st->st_mode & (S_IFMT | 07777), st->st_rdev));
        n = readlinkat(from, "", c->buf, PATH_MAX);
        if (n < 0)
                return -errno;
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        c->buf[n] = '\0';
        return RET_NERRNO(symlinkat(c->buf, dst_dir, dst_name));
}

/* Symlinks and nodes: never opened but with O_PATH. */
static int clone_node(Cloner *c, int src_dir, const char *src_name, const struct stat *st, int dst_dir,
                      const char *dst_name) {
        const struct timespec times[2] = { st->st_atim, st->st_mtim };
        char src_path[FD_PATH_MAX], dst_path[FD_PATH_MAX];
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        int r;

        from = openat(src_dir, src_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (from < 0)
                return -errno;
        r = fd_check_same(from, st);
        if (r >= 0)
                r = make_node(c, from, st, dst_dir, dst_name);
        if (r < 0)
                return r;
        to = openat(dst_dir, dst_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (to < 0)
                return -errno;
        /* The same order as set_attrs(); symlinks have no mode to set. */
        if (fchownat(to, "", st->st_uid, st->st_gid, AT_EMPTY_PATH) < 0)
                return -errno;
        r = copy_xattrs(c, &(const XattrRef) { .path = fd_path(from, src_path) },
                        &(const XattrRef) { .path = fd_path(to, dst_path) });
        if (r < 0)
                return r;
        if (!S_ISLNK(st->st_mode) && chmod(dst_path, st->st_mode & 07777) < 0)
                return -errno;
        if (utimensat(dst_dir, dst_name, times, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP)
                return -errno;
        return 0;
}

/* A directory below the top on another filesystem, or the root of a mount:
 * not entered. */
static bool is_other_mount(const Cloner *c, int fd, const struct stat *st, unsigned depth) {
        struct statx sx;

        if (depth == 0)
                return false;
        if (st->st_dev != c->top_dev)
                return true;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) < 0)
                return false;
        return sx.stx_attributes_mask & sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
}

static int clone_entry(Cloner *c, int src_dir, const char *src_name, int dst_dir, const char *dst_name, unsigned depth);

static int clone_children(Cloner *c, DIR *d, int to, unsigned depth) {
        for (;;) {
                struct dirent *de;
                size_t saved;
                int r;

                errno = 0;
                de = readdir(d);
                if (!de)
                        return errno > 0 ? -errno : 0;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = walk_path_push(&c->path, de->d_name, &saved);
                if (r >= 0)
                        r = clone_entry(c, dirfd(d), de->d_name, to, de->d_name, depth + 1);
                if (r < 0)
                        return r;
                walk_path_pop(&c->path, saved);
        }
}

/* Makes the copy of the directory d (looked at as st) and fills it. */
static int clone_dir_from(Cloner *c, DIR *d, const struct stat *st, int dst_dir, const char *dst_name, unsigned depth) {
        _cleanup_close_ int to = -EBADF;
        int r;

        r = fd_check_same(dirfd(d), st);
        if (r < 0)
                return r;
        if (mkdirat(dst_dir, dst_name, 0700) < 0)
                return -errno;
        to = openat(dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (to < 0)
                return -errno;
        /* Ours to fill whatever the umask or a default ACL made of it
         * (which can take away search permission). */
        if (fchmod(to, 0700) < 0)
                return -errno;
        if (depth == 0)
                c->dst_top_fd = to;
        if (!is_other_mount(c, dirfd(d), st, depth)) {
                r = clone_children(c, d, to, depth);
                if (r < 0)
                        return r;
        }
        /* Last: the directory stays ours to fill until then, and what is
         * put in it doesn't change its times afterwards. */
        return set_attrs(c, dirfd(d), to, st);
}

static int clone_dir(Cloner *c, int src_dir, const char *src_name, const struct stat *st, int dst_dir,
                     const char *dst_name, unsigned depth) {
        DIR *d;
        int fd, r;

        if (depth >= COPY_DEPTH_MAX)
                return -ELOOP;
        fd = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        r = clone_dir_from(c, d, st, dst_dir, dst_name, depth);
        closedir(d);
        return r;
}

static int clone_entry(Cloner *c, int src_dir, const char *src_name, int dst_dir, const char *dst_name,
                       unsigned depth) {
        const char *first = NULL;
        struct stat st;
        bool linked;
        int r;

        if (fstatat(src_dir, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (depth == 0)
                c->top_dev = st.st_dev;
        /* Of the links to one inode in the tree the first is copied, the
         * others become links to its copy. */
        linked = depth > 0 && !S_ISDIR(st.st_mode) && st.st_nlink > 1;
        if (linked)
                first = links_find(c, &st);
        if (first)
                return link_to(c, first, dst_dir, dst_name);

        switch (st.st_mode & S_IFMT) {
        case S_IFDIR:
                return clone_dir(c, src_dir, src_name, &st, dst_dir, dst_name, depth);
        case S_IFREG:
                r = clone_file(c, src_dir, src_name, &st, dst_dir, dst_name);
                break;
        case S_IFLNK:
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
        case S_IFSOCK:
                r = clone_node(c, src_dir, src_name, &st, dst_dir, dst_name);
                break;
        default:
                return -EOPNOTSUPP;
        }
        return r >= 0 && linked ? links_add(c, &st) : r;
}

/* ---- The top ------------------------------------------------------------- */

/* A writable snapshot of src_name when it is a btrfs subvolume and
 * dst_dir_fd is on btrfs too. Returns 1 when made, 0 when not, for whatever
 * reason (another btrfs filesystem, no permission, an old kernel). */
static int try_snapshot(int src_dir_fd, const char *src_name, int dst_dir_fd, const char *dst_name) {
        struct btrfs_ioctl_vol_args_v2 args = {};
        _cleanup_close_ int fd = -EBADF;
        struct statfs sfs;
        struct stat st;

        fd = openat(src_dir_fd, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != BTRFS_SUPER_MAGIC)
                return 0;
        if (fstat(fd, &st) < 0 || st.st_ino != BTRFS_SUBVOL_ROOT_INO)
                return 0;
        if (fstatfs(dst_dir_fd, &sfs) < 0 || sfs.f_type != BTRFS_SUPER_MAGIC)
                return 0;
        args.fd = fd;
        memcpy(args.name, dst_name, strlen(dst_name)); /* at most NAME_MAX, zero-terminated by = {} */
        return ioctl(dst_dir_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) >= 0 ? 1 : 0;
}

static int cloner_init(Cloner *c, int dst_dir_fd, const CopyProgress *progress) {
        *c = (Cloner) { .progress = progress, .dst_top_fd = -EBADF };
        c->buf = malloc(BUF_SIZE);
        c->names = malloc(XATTR_LIST_MAX);
        if (!c->buf || !c->names)
                return -ENOMEM;
        /* What is made in a directory with a default ACL gets ACLs of it. */
        c->acl_inherited = fgetxattr(dst_dir_fd, "system.posix_acl_default", NULL, 0) > 0;
        return 0;
}

static int check_names(const char *src_name, int dst_dir_fd, const char *dst_name) {
        struct stat st;

        if (!filename_is_valid(src_name) || !filename_is_valid(dst_name))
                return -EINVAL;
        if (fstatat(dst_dir_fd, dst_name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return -EEXIST;
        return errno == ENOENT ? 0 : -errno;
}

int tree_clone_at(int src_dir_fd, const char *src_name, int dst_dir_fd, const char *dst_name,
                  const CopyProgress *progress, char **failed_at) {
        _cleanup_(cloner_done) Cloner c = { .dst_top_fd = -EBADF };
        _cleanup_close_ int cwd = -EBADF;
        int r = 0;

        /* The snapshot and the ACL check need an fd of the directory. */
        if (dst_dir_fd == AT_FDCWD) {
                cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = cwd < 0 ? -errno : 0;
                dst_dir_fd = cwd;
        }
        if (r >= 0)
                r = check_names(src_name, dst_dir_fd, dst_name);
        if (r >= 0 && try_snapshot(src_dir_fd, src_name, dst_dir_fd, dst_name) > 0)
                return 1;
        if (r >= 0)
                r = cloner_init(&c, dst_dir_fd, progress);
        if (r >= 0)
                r = clone_entry(&c, src_dir_fd, src_name, dst_dir_fd, dst_name, 0);
        if (r < 0 && failed_at)
                *failed_at = walk_path_dup(&c.path);
        return r < 0 ? r : 0;
}
