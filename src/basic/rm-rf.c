/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "chase.h"
#include "fd-util.h"
#include "path-util.h"
#include "rm-rf.h"
#include "string-util.h"

/* The inode numbers of the root directory of every btrfs subvolume, and of
 * the directories standing in for subvolumes that a snapshot doesn't have. */
#define BTRFS_SUBVOL_ROOT_INO 256U
#define BTRFS_EMPTY_SUBVOL_INO 2U

static bool name_is_valid(const char *s) {
        return !isempty(s) && !streq(s, ".") && !streq(s, "..") && !strchr(s, '/') && strlen(s) <= NAME_MAX;
}

/* Clears the immutable and append-only attributes of fd (a regular file or
 * a directory). Returns 1 when there were any, 0 when not. */
static int clear_protection(int fd) {
        int flags; /* the kernel reads an int, whatever the ioctl's number says */

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return IN_SET(errno, ENOTTY, EOPNOTSUPP) ? 0 : -errno;
        if (!(flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)))
                return 0;
        flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                return IN_SET(errno, ENOTTY, EOPNOTSUPP) ? 0 : -errno;
        return 1;
}

/* The root directory of a btrfs subvolume, or the empty directory a
 * snapshot has in place of a subvolume nested in its source: a device
 * number of its own without being a mount. */
static bool is_btrfs_subvolume(int fd, uint64_t ino) {
        struct statfs sfs;

        return IN_SET(ino, BTRFS_SUBVOL_ROOT_INO, BTRFS_EMPTY_SUBVOL_INO) && fstatfs(fd, &sfs) >= 0 &&
               sfs.f_type == BTRFS_SUPER_MAGIC;
}

/* The directory fd is on the filesystem dev of its parent (or is a btrfs
 * subvolume nested in it) and not the root of a mount. Returns its device
 * number in *ret_dev. */
static int check_same_mount(int fd, dev_t dev, dev_t *ret_dev) {
        struct statx sx;
        struct stat st;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_INO, &sx) >= 0 &&
            (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) {
                if (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
                        return -EBUSY;
                *ret_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
                return *ret_dev == dev || is_btrfs_subvolume(fd, sx.stx_ino) ? 0 : -EBUSY;
        }
        /* Where the kernel can't tell mounts, only another filesystem can be
         * told apart (and a subvolume looks like one). */
        if (fstat(fd, &st) < 0)
                return -errno;
        *ret_dev = st.st_dev;
        return st.st_dev == dev ? 0 : -EBUSY;
}

/* Opens directory name in dir_fd (on dev) to remove what is in it: checked
 * to be no mount before anything is changed, then made writable and
 * searchable for us, and cleared of the attributes that forbid removing
 * entries. Returns the fd and the directory's device number. */
static int open_dir_for_removal(int dir_fd, const char *name, dev_t dev, int *ret_fd, dev_t *ret_dev) {
        _cleanup_close_ int path_fd = -EBADF;
        char buf[FD_PATH_MAX];
        int fd = -EBADF, r;

        /* O_PATH: opened even where we may not read it yet. */
        path_fd = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (path_fd < 0)
                return -errno;
        r = check_same_mount(path_fd, dev, ret_dev);
        if (r < 0)
                return r;
        /* "." is looked up in the directory itself: fails without search
         * permission as it should. chmod() through /proc changes the
         * directory we checked, not whatever has its name now. */
        if (faccessat(path_fd, ".", W_OK | X_OK, AT_EACCESS) < 0 && errno == EACCES)
                (void) chmod(fd_path(path_fd, buf), 0700);
        fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Where it fails, removing the entries fails and says so. */
        (void) clear_protection(fd);
        *ret_fd = fd;
        return 0;
}

/* After unlinkat() failed with EPERM: clears the attributes of name if it
 * is a regular file on dev that has any. Returns 1 if it did. */
static int unprotect_file(int dir_fd, const char *name, dev_t dev) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        /* O_NONBLOCK: should a FIFO have been put there meanwhile, opening
         * it doesn't wait for a writer. */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_dev != dev)
                return 0;
        return clear_protection(fd);
}

static int rm_file(int dir_fd, const char *name, dev_t dev) {
        if (unlinkat(dir_fd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        if (errno != EPERM)
                return -errno;
        /* Most files have no attributes: they are looked at only when the
         * removal failed. EPERM has other causes (the sticky bit). */
        if (unprotect_file(dir_fd, name, dev) <= 0)
                return -EPERM;
        if (unlinkat(dir_fd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        return -errno;
}

static int rm_entry(int dir_fd, const char *name, unsigned char type, dev_t dev, unsigned depth);

/* Removes what is in fd (which it takes), keeping on after errors. */
static int rm_children(int fd, dev_t dev, unsigned depth) {
        DIR *d = fdopendir(fd);
        int ret = 0;

        if (!d) {
                ret = -errno;
                safe_close(fd);
                return ret;
        }
        for (;;) {
                struct dirent *de;
                int r;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno > 0 && ret == 0)
                                ret = -errno;
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = rm_entry(dirfd(d), de->d_name, de->d_type, dev, depth + 1);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        closedir(d);
        return ret;
}

static int rm_dir(int dir_fd, const char *name, dev_t dev, unsigned depth) {
        dev_t dir_dev = dev;
        int fd = -EBADF, r;

        if (depth >= RM_RF_DEPTH_MAX)
                return -ELOOP;
        r = open_dir_for_removal(dir_fd, name, dev, &fd, &dir_dev);
        if (r == -ENOENT)
                return 0;
        if (r == -ENOTDIR) /* no longer a directory */
                return rm_file(dir_fd, name, dev);
        if (r < 0)
                return r;
        r = rm_children(fd, dir_dev, depth);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static unsigned char entry_type(int dir_fd, const char *name, int *ret_error) {
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                *ret_error = -errno;
                return DT_UNKNOWN;
        }
        *ret_error = 0;
        return IFTODT(st.st_mode);
}

/* type: what readdir() said (DT_UNKNOWN when it can't tell). */
static int rm_entry(int dir_fd, const char *name, unsigned char type, dev_t dev, unsigned depth) {
        int r;

        if (type == DT_UNKNOWN) {
                type = entry_type(dir_fd, name, &r);
                if (r < 0)
                        return r == -ENOENT ? 0 : r;
        }
        if (type == DT_DIR)
                return rm_dir(dir_fd, name, dev, depth);
        r = rm_file(dir_fd, name, dev);
        if (r == -EISDIR) /* a directory now */
                return rm_dir(dir_fd, name, dev, depth);
        return r;
}

int rm_rf_at(int dir_fd, const char *name) {
        struct stat st;

        if (!name_is_valid(name))
                return -EINVAL;
        /* The filesystem of dir_fd: the top must be on it too. */
        if (fstatat(dir_fd, "", &st, AT_EMPTY_PATH) < 0)
                return -errno;
        return rm_entry(dir_fd, name, DT_UNKNOWN, st.st_dev, 0);
}

int rm_rf_path(const char *path) {
        _cleanup_free_ char *dir = NULL, *name = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        r = path_split_last(path, &dir, &name);
        if (r < 0)
                return r;
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return errno == ENOENT ? 0 : -errno;
        return rm_rf_at(dir_fd, name);
}
