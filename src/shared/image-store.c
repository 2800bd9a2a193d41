/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fd-util.h"
#include "image-store.h"
#include "layered-image.h"
#include "lock-util.h"
#include "machine-name.h"
#include "path-util.h"
#include "rm-rf.h"
#include "string-table.h"
#include "string-util.h"

static const char *const image_type_table[_IMAGE_TYPE_MAX] = {
        [IMAGE_DIRECTORY] = "directory", [IMAGE_SUBVOLUME] = "subvolume", [IMAGE_RAW] = "raw",
        [IMAGE_BLOCK] = "block",         [IMAGE_MSTACK] = "mstack",
};

DEFINE_STRING_TABLE_LOOKUP(image_type, ImageType);

#define TEMPORARY_MARK ".berth~"

void image_done(Image *i) {
        free(i->name);
        free(i->path);
        *i = (Image) {};
}

void image_array_free(Image *images, size_t n) {
        for (size_t i = 0; i < n; i++)
                image_done(&images[i]);
        free(images);
}

const char *const *image_search_path(const char *image_dir) {
        static const char *path[] = {
                "/etc/machines", "/run/machines", NULL, "/usr/local/lib/machines", "/usr/lib/machines", NULL,
        };

        path[2] = image_dir;
        return path;
}

static bool is_subvolume(int fd, const struct stat *st) {
        struct statfs sfs;

        return st->st_ino == 256 && fstatfs(fd, &sfs) >= 0 && (unsigned long) sfs.f_type == BTRFS_SUPER_MAGIC;
}

static bool read_only_mark(int fd, ImageType type, const struct stat *st) {
        struct statvfs sv;
        unsigned attr = 0;
        uint64_t flags = 0;
        int ro = 0;

        if (fstatvfs(fd, &sv) >= 0 && (sv.f_flag & ST_RDONLY))
                return true;
        switch (type) {
        case IMAGE_DIRECTORY:
        case IMAGE_MSTACK:
                return ioctl(fd, FS_IOC_GETFLAGS, &attr) >= 0 && (attr & FS_IMMUTABLE_FL);
        case IMAGE_SUBVOLUME:
                return ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) >= 0 && (flags & BTRFS_SUBVOL_RDONLY);
        case IMAGE_RAW:
                return !(st->st_mode & 0222);
        case IMAGE_BLOCK:
                return ioctl(fd, BLKROGET, &ro) >= 0 && ro;
        default:
                return false;
        }
}

/* What dir/entry is, as an image: -ENOENT if none (not a kind of image,
 * or not a valid name). */
static int image_probe(const char *dir, int dir_fd, const char *entry, Image *ret) {
        _cleanup_free_ char *name = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct statx sx;
        struct stat lst, st;
        ImageType type;

        if (fstatat(dir_fd, entry, &lst, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        /* Symlinks are followed (that is what /etc/machines is for); the
         * image itself is opened without blocking on a FIFO. */
        fd = openat(dir_fd, entry, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT || errno == ELOOP ? -ENOENT : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;

        if (S_ISDIR(st.st_mode) && endswith(entry, MSTACK_SUFFIX)) {
                type = IMAGE_MSTACK;
                name = strndup(entry, strlen(entry) - strlen(MSTACK_SUFFIX));
        } else if (S_ISDIR(st.st_mode)) {
                type = is_subvolume(fd, &st) ? IMAGE_SUBVOLUME : IMAGE_DIRECTORY;
                name = strdup(entry);
        } else if (S_ISREG(st.st_mode) && endswith(entry, ".raw")) {
                type = IMAGE_RAW;
                name = strndup(entry, strlen(entry) - 4);
        } else if (S_ISBLK(st.st_mode)) {
                type = IMAGE_BLOCK;
                name = strdup(entry);
        } else
                return -ENOENT;
        path = path_join(dir, entry);
        if (!name || !path)
                return -ENOMEM;
        if (!image_name_is_valid(name))
                return -ENOENT;

        *ret = (Image) {
                .name = TAKE_PTR(name),
                .path = TAKE_PTR(path),
                .type = type,
                .vendor = path_startswith_dir(dir, "/usr"),
                .symlink = S_ISLNK(lst.st_mode),
                .mtime = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC + (usec_t) st.st_mtim.tv_nsec / 1000,
                .usage = type == IMAGE_RAW ? (uint64_t) st.st_blocks * 512 : UINT64_MAX,
        };
        ret->read_only = ret->vendor || read_only_mark(fd, type, &st);
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) >= 0 && (sx.stx_mask & STATX_BTIME))
                ret->crtime = (usec_t) sx.stx_btime.tv_sec * USEC_PER_SEC + sx.stx_btime.tv_nsec / 1000;
        return 0;
}

bool image_name_is_valid(const char *name) {
        if (!filename_is_valid(name) || startswith(name, ".#") || !utf8_is_valid(name))
                return false;
        for (const char *p = name; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        return false;
        return true;
}

int image_store_find(const char *image_dir, const char *name, Image *ret) {
        _cleanup_free_ char *raw = strjoin(name, ".raw"), *mstack = strjoin(name, MSTACK_SUFFIX);

        if (!raw || !mstack)
                return -ENOMEM;
        if (!image_name_is_valid(name))
                return -EINVAL;
        for (const char *const *d = image_search_path(image_dir); *d; d++) {
                _cleanup_close_ int dir_fd = open(*d, O_PATH | O_DIRECTORY | O_CLOEXEC);
                int r;

                if (dir_fd < 0)
                        continue;
                r = image_probe(*d, dir_fd, name, ret);
                if (r == -ENOENT)
                        r = image_probe(*d, dir_fd, raw, ret);
                if (r == -ENOENT)
                        r = image_probe(*d, dir_fd, mstack, ret);
                if (r != -ENOENT)
                        return r;
        }
        return -ENOENT;
}

int image_find(const char *image_dir, const char *name, char **ret_path, bool *ret_disk) {
        Image i;
        int r;

        r = image_store_find(image_dir, name, &i);
        if (r == -EINVAL)
                return -ENOENT;
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(i.path);
        if (ret_disk)
                *ret_disk = IN_SET(i.type, IMAGE_RAW, IMAGE_BLOCK);
        image_done(&i);
        return 0;
}

static int compare_images(const void *a, const void *b) {
        return strcmp(((const Image *) a)->name, ((const Image *) b)->name);
}

static bool listed(const Image *images, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(images[i].name, name))
                        return true;
        return false;
}

/* Adds dir's images not listed yet. */
static int list_dir(const char *dir, bool all, Image **images, size_t *n) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                Image i;
                Image *grown;
                int r;

                if (de->d_name[0] == '.' &&
                    (!all || de->d_name[1] == '#' || streq(de->d_name, ".") || streq(de->d_name, "..")))
                        continue;
                r = image_probe(dir, dirfd(d), de->d_name, &i);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) /* no image, or one we can't look at (a socket, a dead device) */
                        continue;
                if (listed(*images, *n, i.name)) {
                        image_done(&i);
                        continue;
                }
                grown = reallocarray(*images, *n + 1, sizeof **images);
                if (!grown) {
                        image_done(&i);
                        return -ENOMEM;
                }
                *images = grown;
                (*images)[(*n)++] = i;
        }
        return 0;
}

int image_store_list(const char *image_dir, bool all, Image **ret, size_t *ret_n) {
        Image *images = NULL;
        size_t n = 0;
        int r;

        for (const char *const *d = image_search_path(image_dir); *d; d++) {
                r = list_dir(*d, all, &images, &n);
                if (r < 0) {
                        image_array_free(images, n);
                        return r;
                }
        }
        if (n > 0)
                qsort(images, n, sizeof *images, compare_images);
        *ret = images;
        *ret_n = n;
        return 0;
}

int image_tree_is_read_only(const char *path) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ImageType type;

        /* Only what can be an image is opened (a character device's open
         * may act: a watchdog starts). */
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return -EBADFD;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (path_startswith_dir(path, "/usr/lib/machines") || path_startswith_dir(path, "/usr/local/lib/machines"))
                return 1;
        if (S_ISDIR(st.st_mode))
                type = is_subvolume(fd, &st) ? IMAGE_SUBVOLUME : IMAGE_DIRECTORY;
        else if (S_ISREG(st.st_mode))
                type = IMAGE_RAW;
        else if (S_ISBLK(st.st_mode))
                type = IMAGE_BLOCK;
        else
                return -EBADFD;
        return read_only_mark(fd, type, &st);
}

int image_set_read_only(const Image *i, bool b) {
        _cleanup_close_ int fd = -EBADF;
        unsigned attr;
        uint64_t flags;
        struct stat st;
        int ro = b;

        if (i->vendor)
                return -EROFS;
        fd = open(i->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        switch (i->type) {
        case IMAGE_DIRECTORY:
        case IMAGE_MSTACK:
                if (ioctl(fd, FS_IOC_GETFLAGS, &attr) < 0)
                        return -errno;
                attr = b ? attr | FS_IMMUTABLE_FL : attr & ~FS_IMMUTABLE_FL;
                return ioctl(fd, FS_IOC_SETFLAGS, &attr) < 0 ? -errno : 0;
        case IMAGE_SUBVOLUME:
                if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
                        return -errno;
                flags = b ? flags | BTRFS_SUBVOL_RDONLY : flags & ~(uint64_t) BTRFS_SUBVOL_RDONLY;
                return ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0 ? -errno : 0;
        case IMAGE_RAW:
                if (fstat(fd, &st) < 0)
                        return -errno;
                return fchmod(fd, (st.st_mode & 07555) | (b ? 0 : 0200)) < 0 ? -errno : 0;
        case IMAGE_BLOCK:
                return ioctl(fd, BLKROSET, &ro) < 0 ? -errno : 0;
        default:
                return -EOPNOTSUPP;
        }
}

int image_set_limit(const Image *i, uint64_t bytes) {
        struct btrfs_ioctl_qgroup_limit_args args = {
                .lim.flags = BTRFS_QGROUP_LIMIT_MAX_RFER,
                .lim.max_rfer = bytes, /* UINT64_MAX: btrfs's "clear the limit" */
        };
        _cleanup_close_ int fd = -EBADF;

        if (i->type != IMAGE_SUBVOLUME)
                return -EOPNOTSUPP;
        fd = open(i->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Its own quota group: 0 stands for the subvolume's. */
        if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &args) < 0)
                return errno == ENOTCONN ? -ENOTCONN : -errno;
        return 0;
}

int image_name_lock(const char *name, LockFile *ret) {
        _cleanup_free_ char *p = strjoin("/run/systemd/nspawn/locks/name-", name);

        if (!p)
                return -ENOMEM;
        return lock_file_acquire(p, LOCK_OFD | LOCK_EX | LOCK_NB, ret);
}

char *image_temporary_path(const char *dir, const char *name) {
        uint32_t x;

        if (getrandom(&x, sizeof x, 0) != sizeof x)
                return NULL;
        return strdup_printf("%s/.#%s" TEMPORARY_MARK "%06x", dir, name, (unsigned) (x & 0xffffff));
}

/* A btrfs subvolume is deleted as one (at once, and a read-only one too);
 * anything else, or a subvolume that holds others, with rm_rf_at(). */
int image_remove_tree(int dir_fd, const char *name) {
        struct btrfs_ioctl_vol_args args = {};
        _cleanup_close_ int fd = -EBADF, dir = -EBADF;
        uint64_t flags = 0;
        struct stat st;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !is_subvolume(fd, &st) || strlen(name) > BTRFS_PATH_NAME_MAX)
                return rm_rf_at(dir_fd, name);
        (void) ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags); /* writable: a read-only one can't go */
        dir = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        strncpy(args.name, name, sizeof args.name - 1);
        if (ioctl(dir, BTRFS_IOC_SNAP_DESTROY, &args) < 0)
                return errno == ENOTEMPTY ? rm_rf_at(dir_fd, name) : -errno;
        return 0;
}

/* Removes the lock files in dir that nobody holds, of either kind. */
static void remove_stale_locks(const char *dir, const char *prefix, const char *suffix) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (!startswith(de->d_name, prefix) || !endswith(de->d_name, suffix))
                        continue;
                p = path_join(dir, de->d_name);
                if (p)
                        (void) lock_file_remove_stale(p);
        }
}

void image_remove_stale_locks(const char *image_dir) {
        remove_stale_locks(image_dir, ".#", ".lck");
        remove_stale_locks("/run/systemd/nspawn/locks", "inode-", "");
        remove_stale_locks("/run/systemd/nspawn/locks", "block-", "");
        remove_stale_locks("/run/systemd/nspawn/locks", "name-", "");
}

int image_remove_stale_temporaries(const char *dir) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        int ret = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
                _cleanup_free_ char *name = NULL;
                const char *mark;
                int r;

                if (!startswith(de->d_name, ".#") || !(mark = strstr(de->d_name, TEMPORARY_MARK)))
                        continue;
                name = strndup(de->d_name + 2, (size_t) (mark - de->d_name - 2));
                if (!name)
                        return -ENOMEM;
                /* Whoever makes or removes an image holds its name lock. */
                if (image_name_lock(name, &lock) < 0)
                        continue;
                r = image_remove_tree(dirfd(d), de->d_name);
                if (r < 0 && ret >= 0)
                        ret = r;
        }
        return ret;
}
