/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fd-util.h"
#include "parse-util.h"
#include "string-util.h"
#include "uid-shift.h"
#include "userns.h"

int uid_shift_read(int tree_fd, uid_t *ret_base) {
        char buf[32];
        ssize_t n = fgetxattr(tree_fd, UID_SHIFT_XATTR, buf, sizeof buf - 1);
        uint32_t v;

        if (n < 0)
                return errno == ENOTSUP ? -ENODATA : -errno;
        buf[n] = '\0';
        if (safe_atou32(buf, 10, &v) < 0 || v % UID_RANGE_SIZE != 0)
                return -EBADMSG;
        *ret_base = v;
        return 0;
}

int uid_shift_write(int tree_fd, uid_t base) {
        char buf[32];

        snprintf(buf, sizeof buf, "%u", (unsigned) base);
        return RET_NERRNO(fsetxattr(tree_fd, UID_SHIFT_XATTR, buf, strlen(buf), 0));
}

typedef struct Shift {
        uid_t from, to;
        uint64_t mnt_id; /* the tree's mount: the walk stays on it */
} Shift;

/* The ID of the mount path (relative to dir_fd; "" for dir_fd itself) is on. */
static int mount_id_at(int dir_fd, const char *path, uint64_t *ret) {
        struct statx sx;

        if (statx(dir_fd, path, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC | (isempty(path) ? AT_EMPTY_PATH : 0),
                  STATX_MNT_ID, &sx) < 0)
                return -errno;
        if (!(sx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;
        *ret = sx.stx_mnt_id;
        return 0;
}

static uint32_t shift_id(const Shift *s, uint32_t id) {
        if (id >= s->from && (uint64_t) id < (uint64_t) s->from + UID_RANGE_SIZE)
                return id - s->from + s->to;
        return id;
}

/* POSIX ACLs as stored in system.posix_acl_*: a version word, then entries
 * of {tag, perm, id}; named users (2) and groups (8) carry an ID. */
static int patch_acl(int fd, const char *name, const Shift *s) {
        uint8_t buf[4096];
        ssize_t n = fgetxattr(fd, name, buf, sizeof buf);
        bool changed = false;

        if (n < 0)
                return errno == ENODATA || errno == ENOTSUP ? 0 : -errno;
        for (size_t o = 4; o + 8 <= (size_t) n; o += 8) {
                uint16_t tag;
                uint32_t id, nid;

                memcpy(&tag, buf + o, 2);
                tag = le16toh(tag);
                if (tag != 0x02 && tag != 0x08)
                        continue;
                memcpy(&id, buf + o + 4, 4);
                nid = shift_id(s, le32toh(id));
                if (nid == le32toh(id))
                        continue;
                nid = htole32(nid);
                memcpy(buf + o + 4, &nid, 4);
                changed = true;
        }
        return changed ? RET_NERRNO(fsetxattr(fd, name, buf, (size_t) n, 0)) : 0;
}

/* chown() drops set-user-ID bits and file capabilities: keep both. */
static int patch_fd(int fd, const struct stat *st, const Shift *s) {
        uint8_t caps[sizeof(struct vfs_ns_cap_data)];
        ssize_t ncaps = -1;
        uid_t uid = shift_id(s, st->st_uid);
        gid_t gid = shift_id(s, st->st_gid);
        int r;

        if (S_ISREG(st->st_mode))
                ncaps = fgetxattr(fd, "security.capability", caps, sizeof caps);

        if (uid != st->st_uid || gid != st->st_gid) {
                if (fchown(fd, uid, gid) < 0)
                        return -errno;
                if ((st->st_mode & (S_ISUID | S_ISGID)) && fchmod(fd, st->st_mode & 07777) < 0)
                        return -errno;
                if (ncaps > 0) {
                        if ((size_t) ncaps == sizeof(struct vfs_ns_cap_data)) {
                                struct vfs_ns_cap_data d;
                                memcpy(&d, caps, sizeof d);
                                d.rootid = htole32(shift_id(s, le32toh(d.rootid)));
                                memcpy(caps, &d, sizeof d);
                        }
                        if (fsetxattr(fd, "security.capability", caps, (size_t) ncaps, 0) < 0)
                                return -errno;
                }
        }

        r = patch_acl(fd, "system.posix_acl_access", s);
        if (r >= 0 && S_ISDIR(st->st_mode))
                r = patch_acl(fd, "system.posix_acl_default", s);
        return r;
}

static int shift_dir(int dir_fd, const Shift *s) {
        DIR *d;
        int dfd, r = 0;

        /* A new open file description: a dup would share dir_fd's offset,
         * and read nothing the second time the same fd is walked. */
        dfd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return -errno;
        }

        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
                /* A mount point: another file system, or a bind of part of
                 * this one (which may be anything of the host's). */
                uint64_t mnt_id;
                r = mount_id_at(dirfd(d), de->d_name, &mnt_id);
                if (r < 0)
                        break;
                if (mnt_id != s->mnt_id)
                        continue;

                if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
                        fd = openat(dirfd(d), de->d_name,
                                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                                            (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
                        if (fd < 0) {
                                r = -errno;
                                break;
                        }
                        r = patch_fd(fd, &st, s);
                        if (r >= 0 && S_ISDIR(st.st_mode))
                                r = shift_dir(fd, s);
                } else {
                        uid_t uid = shift_id(s, st.st_uid);
                        gid_t gid = shift_id(s, st.st_gid);

                        if ((uid != st.st_uid || gid != st.st_gid) &&
                            fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                                r = -errno;
                }
        }
        closedir(d);
        return r;
}

int uid_shift_tree(int tree_fd, uid_t from_base, uid_t to_base) {
        struct stat st;
        Shift s = { .from = from_base, .to = to_base };
        int r;

        if (fstat(tree_fd, &st) < 0)
                return -errno;
        r = mount_id_at(tree_fd, "", &s.mnt_id);
        if (r < 0)
                return r;
        if (from_base == to_base)
                return 0;

        r = patch_fd(tree_fd, &st, &s);
        if (r < 0)
                return r;
        return shift_dir(tree_fd, &s);
}
