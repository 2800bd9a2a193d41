/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fd-util.h"
#include "oci-layer.h"
#include "string-util.h"
#include "tar-util.h"
#include "walk-path.h"

/* Unpacking: the blob is read (and hashed) by the decompressor's read
 * function, the tar stream it gives read (and hashed) by the unpacker's;
 * tar-util does the unpacking and calls whiteout_hook() with each entry. */

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME ".wh..wh..opq"
#define OVERLAY_XATTR_PREFIX "trusted.overlay."
#define OPAQUE_XATTR "trusted.overlay.opaque"
#define WHITEOUT_XATTR "trusted.overlay.whiteout"
#define PACK_DEPTH_MAX 256U

typedef struct Unpack {
        int in_fd, dir_fd;
        Sha256 *blob, *diff;
        TarDecompressor *decompressor;
        char *stream_error; /* why reading the blob failed */
} Unpack;

static ssize_t read_blob(void *userdata, void *buf, size_t n) {
        Unpack *u = userdata;
        ssize_t k;
        int r;

        do
                k = read(u->in_fd, buf, n);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        r = u->blob ? sha256_update(u->blob, buf, (size_t) k) : 0;
        return r < 0 ? r : k;
}

static ssize_t read_tar(void *userdata, void *buf, size_t n) {
        Unpack *u = userdata;
        char *error = NULL;
        ssize_t k = tar_decompressor_read(u->decompressor, buf, n, &error);
        int r;

        if (k < 0) {
                free(u->stream_error);
                u->stream_error = error;
                return k;
        }
        r = u->diff ? sha256_update(u->diff, buf, (size_t) k) : 0;
        return r < 0 ? r : k;
}

/* Whatever is left after the tar's end blocks, through both hashes; no
 * more than max_bytes of it (a little compressed data can make a lot). */
static int drain(Unpack *u, uint64_t max_bytes, char **ret_error) {
        char buf[16 * 1024];
        uint64_t left = max_bytes;
        ssize_t k;

        while ((k = read_tar(u, buf, sizeof buf)) > 0) {
                if ((uint64_t) k > left) {
                        *ret_error = strdup_printf("more data after the layer's end than it may have");
                        return -EFBIG;
                }
                left -= (uint64_t) k;
        }
        if (k < 0)
                return (int) k;
        while ((k = read_blob(u, buf, sizeof buf)) > 0)
                ;
        return (int) k;
}

static int refuse(int error, const char *entry, const char *why, char **ret_error) {
        *ret_error = strdup_printf("entry '%s': %s", entry, why);
        return -error;
}

static bool is_symlink(int dir_fd, const char *name) {
        struct stat st;

        return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode);
}

/* The directory path (relative, no "..": tar-util checked) below dir_fd,
 * made (0755, ours) where missing; never through a symlink. */
static int open_below(int dir_fd, const char *path, const char *entry, int *ret_fd, char **ret_error) {
        _cleanup_close_ int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (fd < 0 || !copy)
                return fd < 0 ? -errno : -ENOMEM;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;

                if (streq(c, "."))
                        continue;
                if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
                        return refuse(errno, entry, "its directory can't be made", ret_error);
                next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && IN_SET(errno, ELOOP, ENOTDIR) && is_symlink(fd, c))
                        return refuse(EPERM, entry, "it would be written through a symlink", ret_error);
                if (next < 0)
                        return refuse(errno, entry, "its directory can't be opened", ret_error);
                close(fd);
                fd = next;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int make_opaque(int dir_fd, const char *dir, const char *entry, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        int r = open_below(dir_fd, dir, entry, &fd, ret_error);

        if (r < 0)
                return r;
        if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
                return refuse(errno, entry, "its directory can't be marked opaque", ret_error);
        return TAR_HOOK_SKIP;
}

static int make_whiteout(int dir_fd, const char *dir, const char *name, const char *entry, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r = open_below(dir_fd, dir, entry, &fd, ret_error);

        if (r < 0)
                return r;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return TAR_HOOK_SKIP; /* this layer has it: it wins */
        if (errno != ENOENT)
                return refuse(errno, entry, "what it deletes can't be looked at", ret_error);
        if (mknodat(fd, name, S_IFCHR, makedev(0, 0)) < 0)
                return refuse(errno, entry, "its whiteout can't be made", ret_error);
        return TAR_HOOK_SKIP;
}

/* name without its "./" at the start and "/" at the end; *ret_last points
 * at its last part, *ret_dir_len is how long the part before is. */
static char *entry_normalize(const char *name, const char **ret_last, size_t *ret_dir_len) {
        char *n, *slash;

        while (name[0] == '.' && name[1] == '/')
                for (name += 2; *name == '/'; name++)
                        ;
        n = strdup(name);
        if (!n)
                return NULL;
        while (*n && endswith(n, "/"))
                n[strlen(n) - 1] = '\0';
        slash = strrchr(n, '/');
        *ret_last = slash ? slash + 1 : n;
        *ret_dir_len = slash ? (size_t) (slash - n) : 0;
        return n;
}

/* A part of the first dir_len characters of n is named ".wh.…". */
static bool dir_has_whiteout_name(const char *n, size_t dir_len) {
        for (const char *c = n; c && c < n + dir_len;) {
                const char *slash = strchr(c, '/');

                if (startswith(c, WHITEOUT_PREFIX))
                        return true;
                c = slash ? slash + 1 : NULL;
        }
        return false;
}

static int whiteout_hook(const char *name, mode_t type, void *userdata, char **ret_error) {
        Unpack *u = userdata;
        _cleanup_free_ char *n = NULL, *dir = NULL;
        const char *last, *deleted;
        size_t dir_len;

        (void) type; /* OCI: a whiteout is one by its name, whatever its type */
        n = entry_normalize(name, &last, &dir_len);
        if (!n)
                return -ENOMEM;
        if (dir_has_whiteout_name(n, dir_len))
                return refuse(EPERM, name, "a directory named as a whiteout", ret_error);
        deleted = startswith(last, WHITEOUT_PREFIX);
        if (!deleted)
                return TAR_HOOK_WRITE;
        dir = strndup(n, dir_len);
        if (!dir)
                return -ENOMEM;
        if (streq(last, OPAQUE_NAME))
                return make_opaque(u->dir_fd, dir, name, ret_error);
        if (isempty(deleted) || startswith(deleted, WHITEOUT_PREFIX) || streq(deleted, ".") || streq(deleted, ".."))
                return refuse(EPERM, name, "a whiteout OCI does not define", ret_error);
        return make_whiteout(u->dir_fd, dir, deleted, name, ret_error);
}

static int unpack_streams(Unpack *u, uint64_t max_bytes, const CopyProgress *progress, char **ret_error) {
        const TarUnpackOptions o = { .max_bytes = max_bytes,
                                     .progress = progress,
                                     .refuse_xattr_prefix = OVERLAY_XATTR_PREFIX,
                                     .hook = whiteout_hook,
                                     .userdata = u };
        int r;

        r = tar_decompressor_new(read_blob, u, &u->decompressor, ret_error);
        if (r >= 0)
                r = tar_unpack_stream(read_tar, u, u->dir_fd, &o, ret_error);
        if (r >= 0)
                r = drain(u, max_bytes, ret_error);
        if (r < 0 && u->stream_error) {
                free(*ret_error);
                *ret_error = strdup_printf("the layer's data: %s", u->stream_error);
        } else if (r < 0 && !*ret_error)
                *ret_error = strdup_printf("the layer can't be read: %s", strerror(-r));
        return r;
}

static int final_hex(Sha256 *s, char ret[SHA256_HEX_SIZE]) {
        return s ? sha256_final_hex(s, ret) : 0;
}

int oci_layer_unpack(int in_fd, int dir_fd, uint64_t max_bytes, const CopyProgress *progress,
                     char ret_blob_digest[SHA256_HEX_SIZE], char ret_diff_id[SHA256_HEX_SIZE], char **ret_error) {
        _cleanup_(sha256_freep) Sha256 *blob = NULL, *diff = NULL;
        Unpack u = { .in_fd = in_fd, .dir_fd = dir_fd };
        int r;

        *ret_error = NULL;
        if ((ret_blob_digest && (r = sha256_new(&blob)) < 0) || (ret_diff_id && (r = sha256_new(&diff)) < 0))
                return r;
        u.blob = blob;
        u.diff = diff;
        r = unpack_streams(&u, max_bytes, progress, ret_error);
        tar_decompressor_free(u.decompressor);
        free(u.stream_error);
        if (r < 0)
                return r;
        r = final_hex(blob, ret_blob_digest);
        return r < 0 ? r : final_hex(diff, ret_diff_id);
}

/* Packing: a walk in name order; the tar stream hashed as it is written. */

typedef struct Pack {
        int out_fd;
        TarWriter *writer;
        Sha256 *diff;
        uint64_t size;
        OciPackFilter filter;
        void *userdata;
        const CopyProgress *progress;
        dev_t top_dev;
        WalkPath path;
} Pack;

static int write_out(void *userdata, const void *buf, size_t n) {
        Pack *p = userdata;
        int r = loop_write(p->out_fd, buf, n);

        if (r >= 0 && p->diff)
                r = sha256_update(p->diff, buf, n);
        if (r < 0)
                return r;
        p->size += n;
        if (p->progress)
                p->progress->written(n, p->progress->userdata);
        return 0;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void names_free(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* The names in dir_fd, sorted (bytewise, as strcmp()). */
static int list_sorted(int dir_fd, char ***ret, size_t *ret_n) {
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d))) {
                char **l;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                l = reallocarray(names, n + 1, sizeof(char *));
                if (!l || !(l[n] = strdup(de->d_name))) {
                        names_free(l ?: names, n);
                        return -ENOMEM;
                }
                names = l;
                n++;
        }
        if (errno != 0) {
                names_free(names, n);
                return -errno;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), compare_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

/* The xattr name of the file name in dir_fd is value, not following a
 * symlink (through the directory's fd: there is no lgetxattrat()). */
static bool xattr_is(int dir_fd, const char *name, const char *attr, const char *value) {
        char path[64 + NAME_MAX], buf[16];
        ssize_t n;

        (void) snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dir_fd, name);
        n = lgetxattr(path, attr, buf, sizeof buf);
        return n >= 0 && (size_t) n == strlen(value) && memcmp(buf, value, (size_t) n) == 0;
}

static bool is_whiteout(int dir_fd, const char *name, const struct stat *st) {
        if (S_ISCHR(st->st_mode))
                return st->st_rdev == makedev(0, 0);
        /* overlayfs's other kind: an empty file with an xattr (any value) */
        if (S_ISREG(st->st_mode) && st->st_size == 0) {
                char path[64 + NAME_MAX];

                (void) snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dir_fd, name);
                return lgetxattr(path, WHITEOUT_XATTR, NULL, 0) >= 0;
        }
        return false;
}

/* A mount point below: packed as a directory, not gone into. */
static bool is_mount_point(Pack *p, int dir_fd, const char *name, const struct stat *st) {
        struct statx sx;

        if (st->st_dev != p->top_dev)
                return true;
        if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW, 0, &sx) < 0)
                return true; /* when unsure, stay out */
        return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int pack_dir(Pack *p, int dir_fd, unsigned depth, char **ret_error);

/* The entry "PARENT/.wh.NAME" for the current path PARENT/NAME, or
 * "PARENT/NAME/.wh..wh..opq" with opaque. */
static int pack_marker(Pack *p, size_t parent_len, const char *name, bool opaque, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        const char *parent = p->path.buf;

        path = opaque ? strdup_printf("%s/%s", parent, OPAQUE_NAME)
                      : strdup_printf("%.*s%s%s%s", (int) parent_len, parent, parent_len > 0 ? "/" : "",
                                      WHITEOUT_PREFIX, name);
        if (!path)
                return -ENOMEM;
        return tar_writer_add_empty(p->writer, path, 0644, 0, 0, 0, ret_error);
}

static int pack_subdir(Pack *p, int dir_fd, const char *name, const struct stat *st, unsigned depth, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (xattr_is(dir_fd, name, OPAQUE_XATTR, "y")) {
                r = pack_marker(p, 0, name, true, ret_error);
                if (r < 0)
                        return r;
        }
        if (is_mount_point(p, dir_fd, name, st))
                return 0;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return refuse(errno, p->path.buf, "can't be opened", ret_error);
        r = fd_check_same(fd, st);
        if (r < 0)
                return refuse(-r, p->path.buf, "changed while it was packed", ret_error);
        return pack_dir(p, fd, depth + 1, ret_error);
}

static int pack_entry(Pack *p, int dir_fd, const char *name, size_t parent_len, unsigned depth, char **ret_error) {
        const TarAddOptions add = { .drop_xattr_prefix = OVERLAY_XATTR_PREFIX };
        OciPackAction action;
        struct stat st;
        int r;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return refuse(errno, p->path.buf, "can't be looked at", ret_error);
        if (startswith(name, WHITEOUT_PREFIX))
                return refuse(EINVAL, p->path.buf, "a name an OCI layer can't hold (it means a whiteout)", ret_error);
        action = p->filter ? p->filter(p->path.buf, &st, p->userdata) : OCI_PACK_KEEP;
        if (action == OCI_PACK_SKIP || S_ISSOCK(st.st_mode)) /* a tar can't hold a socket */
                return 0;
        if (is_whiteout(dir_fd, name, &st))
                return pack_marker(p, parent_len, name, false, ret_error);
        r = tar_writer_add(p->writer, dir_fd, name, &st, p->path.buf,
                           &(TarAddOptions) { add.drop_xattr_prefix, action == OCI_PACK_EMPTY, true }, ret_error);
        if (r < 0 || !S_ISDIR(st.st_mode))
                return r;
        return pack_subdir(p, dir_fd, name, &st, depth, ret_error);
}

static int pack_dir(Pack *p, int dir_fd, unsigned depth, char **ret_error) {
        char **names = NULL;
        size_t n = 0;
        int r;

        if (depth >= PACK_DEPTH_MAX)
                return refuse(ELOOP, p->path.buf ?: "", "deeper than a layer may be", ret_error);
        r = list_sorted(dir_fd, &names, &n);
        if (r < 0)
                return refuse(-r, p->path.buf ?: "", "can't be listed", ret_error);
        for (size_t i = 0; i < n && r >= 0; i++) {
                size_t saved;

                r = walk_path_push(&p->path, names[i], &saved);
                if (r >= 0)
                        r = pack_entry(p, dir_fd, names[i], saved, depth, ret_error);
                walk_path_pop(&p->path, saved);
        }
        names_free(names, n);
        return r;
}

int oci_layer_pack(int dir_fd, int out_fd, OciPackFilter filter, void *userdata, const CopyProgress *progress,
                   char ret_diff_id[SHA256_HEX_SIZE], uint64_t *ret_size, char **ret_error) {
        _cleanup_(sha256_freep) Sha256 *diff = NULL;
        _cleanup_(tar_writer_freep) TarWriter *writer = NULL;
        Pack p = { .out_fd = out_fd, .filter = filter, .userdata = userdata, .progress = progress };
        struct stat st;
        int r;

        *ret_error = NULL;
        if (fstat(dir_fd, &st) < 0)
                return -errno;
        p.top_dev = st.st_dev;
        r = sha256_new(&diff);
        if (r < 0)
                return r;
        p.diff = diff;
        r = tar_writer_new(write_out, &p, &writer);
        if (r < 0)
                return r;
        p.writer = writer;
        r = pack_dir(&p, dir_fd, 0, ret_error);
        walk_path_done(&p.path);
        if (r >= 0)
                r = tar_writer_finish(writer, ret_error);
        if (r >= 0)
                r = sha256_final_hex(diff, ret_diff_id ?: (char[SHA256_HEX_SIZE]) {});
        if (r < 0)
                return r;
        if (ret_size)
                *ret_size = p.size;
        return 0;
}
