/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dlopen-util.h"
#include "fd-util.h"
#include "string-util.h"
#include "tar-util.h"

/* libarchive's own checks do the refusing (ARCHIVE_EXTRACT_SECURE_*:
 * absolute names, "..", symlinks of the archive on the way, the same for
 * hard links' targets); berth checks names and link targets first as well,
 * to say plainly which entry it refuses. libarchive writes relative to the
 * working directory: the unpacking changes into the target and back. */

DLOPEN_NOTE(archive, "Tarballs of images (import-tar, export-tar)", "suggested", "libarchive.so.13");

static void *libarchive_dl = NULL;

static DLSYM_PROTOTYPE(archive_read_new);
static DLSYM_PROTOTYPE(archive_read_free);
static DLSYM_PROTOTYPE(archive_read_support_filter_gzip);
static DLSYM_PROTOTYPE(archive_read_support_filter_xz);
static DLSYM_PROTOTYPE(archive_read_support_filter_zstd);
static DLSYM_PROTOTYPE(archive_read_support_filter_bzip2);
static DLSYM_PROTOTYPE(archive_read_support_format_tar);
static DLSYM_PROTOTYPE(archive_read_open_fd);
static DLSYM_PROTOTYPE(archive_read_next_header);
static DLSYM_PROTOTYPE(archive_read_next_header2);
static DLSYM_PROTOTYPE(archive_read_data_block);
static DLSYM_PROTOTYPE(archive_read_disk_new);
static DLSYM_PROTOTYPE(archive_read_disk_open);
static DLSYM_PROTOTYPE(archive_read_disk_descend);
static DLSYM_PROTOTYPE(archive_read_disk_set_behavior);
static DLSYM_PROTOTYPE(archive_read_disk_set_symlink_physical);
static DLSYM_PROTOTYPE(archive_write_new);
static DLSYM_PROTOTYPE(archive_write_free);
static DLSYM_PROTOTYPE(archive_write_close);
static DLSYM_PROTOTYPE(archive_write_set_format_pax_restricted);
static DLSYM_PROTOTYPE(archive_write_add_filter_gzip);
static DLSYM_PROTOTYPE(archive_write_add_filter_xz);
static DLSYM_PROTOTYPE(archive_write_add_filter_zstd);
static DLSYM_PROTOTYPE(archive_write_add_filter_bzip2);
static DLSYM_PROTOTYPE(archive_write_open_fd);
static DLSYM_PROTOTYPE(archive_write_header);
static DLSYM_PROTOTYPE(archive_write_data);
static DLSYM_PROTOTYPE(archive_write_data_block);
static DLSYM_PROTOTYPE(archive_write_finish_entry);
static DLSYM_PROTOTYPE(archive_write_disk_new);
static DLSYM_PROTOTYPE(archive_write_disk_set_options);
static DLSYM_PROTOTYPE(archive_errno);
static DLSYM_PROTOTYPE(archive_error_string);
static DLSYM_PROTOTYPE(archive_entry_new);
static DLSYM_PROTOTYPE(archive_entry_free);
static DLSYM_PROTOTYPE(archive_entry_pathname);
static DLSYM_PROTOTYPE(archive_entry_hardlink);
static DLSYM_PROTOTYPE(archive_entry_size);
static DLSYM_PROTOTYPE(archive_entry_filetype);
static DLSYM_PROTOTYPE(archive_entry_set_uname);
static DLSYM_PROTOTYPE(archive_entry_set_gname);
static DLSYM_PROTOTYPE(archive_entry_linkresolver_new);
static DLSYM_PROTOTYPE(archive_entry_linkresolver_set_strategy);
static DLSYM_PROTOTYPE(archive_entry_linkresolver_free);
static DLSYM_PROTOTYPE(archive_entry_linkify);
static DLSYM_PROTOTYPE(archive_format);
static DLSYM_PROTOTYPE(archive_entry_acl_clear);
static DLSYM_PROTOTYPE(archive_entry_xattr_reset);
static DLSYM_PROTOTYPE(archive_entry_xattr_next);
static DLSYM_PROTOTYPE(archive_read_support_format_raw);
static DLSYM_PROTOTYPE(archive_read_open);
static DLSYM_PROTOTYPE(archive_read_data);
static DLSYM_PROTOTYPE(archive_set_error);
static DLSYM_PROTOTYPE(archive_write_open);
static DLSYM_PROTOTYPE(archive_read_disk_entry_from_file);
static DLSYM_PROTOTYPE(archive_entry_clear);
static DLSYM_PROTOTYPE(archive_entry_copy_pathname);
static DLSYM_PROTOTYPE(archive_entry_copy_sourcepath);
static DLSYM_PROTOTYPE(archive_entry_unset_atime);
static DLSYM_PROTOTYPE(archive_entry_unset_ctime);
static DLSYM_PROTOTYPE(archive_entry_unset_birthtime);
static DLSYM_PROTOTYPE(archive_entry_sparse_clear);
static DLSYM_PROTOTYPE(archive_entry_xattr_clear);
static DLSYM_PROTOTYPE(archive_entry_xattr_add_entry);
static DLSYM_PROTOTYPE(archive_entry_set_size);
static DLSYM_PROTOTYPE(archive_entry_set_nlink);
static DLSYM_PROTOTYPE(archive_entry_set_filetype);
static DLSYM_PROTOTYPE(archive_entry_set_perm);
static DLSYM_PROTOTYPE(archive_entry_set_uid);
static DLSYM_PROTOTYPE(archive_entry_set_gid);
static DLSYM_PROTOTYPE(archive_entry_set_mtime);

static int dlopen_libarchive(void) {
        return dlopen_many_sym(
                &libarchive_dl, "libarchive.so.13", DLSYM_ARG(archive_read_new), DLSYM_ARG(archive_read_free),
                DLSYM_ARG(archive_read_support_filter_gzip), DLSYM_ARG(archive_read_support_filter_xz),
                DLSYM_ARG(archive_read_support_filter_zstd), DLSYM_ARG(archive_read_support_filter_bzip2),
                DLSYM_ARG(archive_read_support_format_tar), DLSYM_ARG(archive_read_open_fd),
                DLSYM_ARG(archive_read_next_header), DLSYM_ARG(archive_read_next_header2),
                DLSYM_ARG(archive_read_data_block), DLSYM_ARG(archive_read_disk_new), DLSYM_ARG(archive_read_disk_open),
                DLSYM_ARG(archive_read_disk_descend), DLSYM_ARG(archive_read_disk_set_behavior),
                DLSYM_ARG(archive_read_disk_set_symlink_physical), DLSYM_ARG(archive_write_new),
                DLSYM_ARG(archive_write_free), DLSYM_ARG(archive_write_close),
                DLSYM_ARG(archive_write_set_format_pax_restricted), DLSYM_ARG(archive_write_add_filter_gzip),
                DLSYM_ARG(archive_write_add_filter_xz), DLSYM_ARG(archive_write_add_filter_zstd),
                DLSYM_ARG(archive_write_add_filter_bzip2), DLSYM_ARG(archive_write_open_fd),
                DLSYM_ARG(archive_write_header), DLSYM_ARG(archive_write_data), DLSYM_ARG(archive_write_data_block),
                DLSYM_ARG(archive_write_finish_entry), DLSYM_ARG(archive_write_disk_new),
                DLSYM_ARG(archive_write_disk_set_options), DLSYM_ARG(archive_errno), DLSYM_ARG(archive_error_string),
                DLSYM_ARG(archive_entry_new), DLSYM_ARG(archive_entry_free), DLSYM_ARG(archive_entry_pathname),
                DLSYM_ARG(archive_entry_hardlink), DLSYM_ARG(archive_entry_size), DLSYM_ARG(archive_entry_filetype),
                DLSYM_ARG(archive_entry_set_uname), DLSYM_ARG(archive_entry_set_gname),
                DLSYM_ARG(archive_entry_linkresolver_new), DLSYM_ARG(archive_entry_linkresolver_set_strategy),
                DLSYM_ARG(archive_entry_linkresolver_free), DLSYM_ARG(archive_entry_linkify), DLSYM_ARG(archive_format),
                DLSYM_ARG(archive_entry_acl_clear), DLSYM_ARG(archive_entry_xattr_reset),
                DLSYM_ARG(archive_entry_xattr_next), DLSYM_ARG(archive_read_support_format_raw),
                DLSYM_ARG(archive_read_open), DLSYM_ARG(archive_read_data), DLSYM_ARG(archive_set_error),
                DLSYM_ARG(archive_write_open), DLSYM_ARG(archive_read_disk_entry_from_file),
                DLSYM_ARG(archive_entry_clear), DLSYM_ARG(archive_entry_copy_pathname),
                DLSYM_ARG(archive_entry_copy_sourcepath), DLSYM_ARG(archive_entry_unset_atime),
                DLSYM_ARG(archive_entry_unset_ctime), DLSYM_ARG(archive_entry_unset_birthtime),
                DLSYM_ARG(archive_entry_sparse_clear), DLSYM_ARG(archive_entry_xattr_clear),
                DLSYM_ARG(archive_entry_xattr_add_entry), DLSYM_ARG(archive_entry_set_size),
                DLSYM_ARG(archive_entry_set_nlink), DLSYM_ARG(archive_entry_set_filetype),
                DLSYM_ARG(archive_entry_set_perm), DLSYM_ARG(archive_entry_set_uid), DLSYM_ARG(archive_entry_set_gid),
                DLSYM_ARG(archive_entry_set_mtime), NULL);
}

static void archive_read_freep(struct archive **a) {
        if (*a)
                sym_archive_read_free(*a);
}

static void archive_write_freep(struct archive **a) {
        if (*a)
                sym_archive_write_free(*a);
}

/* libarchive works relative to the working directory: fn runs in dir_fd,
 * and the working directory is ours again after. */
static int in_directory(int dir_fd, int (*fn)(void *userdata), void *userdata) {
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (cwd < 0)
                return -errno;
        if (fchdir(dir_fd) < 0)
                return -errno;
        r = fn(userdata);
        if (fchdir(cwd) < 0 && r >= 0)
                r = -errno;
        return r;
}

static const char *const tar_compression_table[_TAR_COMPRESSION_MAX] = {
        [TAR_COMPRESSION_NONE] = "uncompressed", [TAR_COMPRESSION_GZIP] = "gzip",   [TAR_COMPRESSION_XZ] = "xz",
        [TAR_COMPRESSION_ZSTD] = "zstd",         [TAR_COMPRESSION_BZIP2] = "bzip2",
};

DEFINE_STRING_TABLE_LOOKUP(tar_compression, TarCompression);

TarCompression tar_compression_from_path(const char *path) {
        if (endswith(path, ".gz") || endswith(path, ".tgz"))
                return TAR_COMPRESSION_GZIP;
        if (endswith(path, ".xz") || endswith(path, ".txz"))
                return TAR_COMPRESSION_XZ;
        if (endswith(path, ".zst") || endswith(path, ".tzst"))
                return TAR_COMPRESSION_ZSTD;
        if (endswith(path, ".bz2") || endswith(path, ".tbz2"))
                return TAR_COMPRESSION_BZIP2;
        return TAR_COMPRESSION_NONE;
}

/* A name that stays below the top: relative, no "..". */
static bool name_is_safe(const char *p) {
        if (!p || p[0] == '/')
                return false;
        for (const char *c = p; c;) {
                const char *slash = strchr(c, '/');
                size_t n = slash ? (size_t) (slash - c) : strlen(c);

                if (n == 2 && c[0] == '.' && c[1] == '.')
                        return false;
                c = slash ? slash + 1 : NULL;
        }
        return true;
}

/* A name the image's tree can hold, and a machine reach: the whole path
 * under PATH_MAX, each part under NAME_MAX. */
static bool name_fits(const char *p) {
        if (strlen(p) >= PATH_MAX)
                return false;
        for (const char *c = p; c;) {
                const char *slash = strchr(c, '/');

                if ((slash ? (size_t) (slash - c) : strlen(c)) > NAME_MAX)
                        return false;
                c = slash ? slash + 1 : NULL;
        }
        return true;
}

/* libarchive's error as ours: its errno (EIO when it has none), and the
 * text that says what, into *ret_error. */
static int archive_failure(struct archive *a, const char *entry, char **ret_error) {
        int e = sym_archive_errno(a);
        const char *text = sym_archive_error_string(a);

        *ret_error = entry ? strdup_printf("entry '%s': %s", entry, text ?: "failed")
                           : strdup_printf("%s", text ?: "failed");
        return e > 0 ? -e : -EIO;
}

static int refuse(int error, const char *entry, const char *why, char **ret_error) {
        *ret_error = strdup_printf("entry '%s': %s", entry ?: "", why);
        return -error;
}

/* GNU tar writes ACLs twice: as text that names users and groups, which
 * libarchive can't map to numbers without looking the names up (and the
 * image's names are not the host's), and as the kernel's own attributes,
 * with the numbers. Where the attributes are there, they are what is
 * applied (libarchive leaves system.* attributes alone), after the entry. */
typedef struct AclAttributes {
        const void *value[2]; /* access, default */
        size_t size[2];
} AclAttributes;

static const char *const acl_attribute[2] = { "system.posix_acl_access", "system.posix_acl_default" };

static void take_acl_attributes(struct archive_entry *e, AclAttributes *ret) {
        const char *name;
        const void *value;
        size_t size;

        *ret = (AclAttributes) {};
        sym_archive_entry_xattr_reset(e);
        while (sym_archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
                for (size_t i = 0; i < ELEMENTSOF(acl_attribute); i++)
                        if (streq(name, acl_attribute[i])) {
                                ret->value[i] = value;
                                ret->size[i] = size;
                        }
        if (ret->value[0] || ret->value[1])
                sym_archive_entry_acl_clear(e);
}

static int apply_acl_attributes(const char *name, mode_t type, const AclAttributes *acl, char **ret_error) {
        if (!IN_SET(type, AE_IFREG, AE_IFDIR))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(acl_attribute); i++)
                if (acl->value[i] && lsetxattr(name, acl_attribute[i], acl->value[i], acl->size[i], 0) < 0)
                        return refuse(errno, name, "its ACL can't be set", ret_error);
        return 0;
}

static bool has_xattr_prefix(struct archive_entry *e, const char *prefix) {
        const char *name;
        const void *value;
        size_t size;

        if (!prefix)
                return false;
        sym_archive_entry_xattr_reset(e);
        while (sym_archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
                if (startswith(name, prefix))
                        return true;
        return false;
}

/* The checks every entry passes before it is written; then the caller's
 * hook: > 0 when the entry is not to be written. */
static int check_entry(struct archive_entry *e, uint64_t *room, const TarUnpackOptions *o, char **ret_error) {
        const char *name = sym_archive_entry_pathname(e), *link = sym_archive_entry_hardlink(e);
        int64_t size = sym_archive_entry_size(e);
        int r;

        if (!name_is_safe(name))
                return refuse(EPERM, name, "its name leads outside the image", ret_error);
        if (link && !name_is_safe(link))
                return refuse(EPERM, name, "a hard link to outside the image", ret_error);
        if (!name_fits(name) || (link && !name_fits(link))) {
                *ret_error = strdup_printf("entry '%.64s…' (%zu characters): a name longer than a path may be", name,
                                           strlen(name));
                return -ENAMETOOLONG;
        }
        if (has_xattr_prefix(e, o->refuse_xattr_prefix))
                return refuse(EPERM, name, "an extended attribute an archive may not set", ret_error);
        if (o->hook) {
                r = o->hook(name, sym_archive_entry_filetype(e), o->userdata, ret_error);
                if (r != TAR_HOOK_WRITE)
                        return r;
        }
        if (size > 0 && sym_archive_entry_filetype(e) == AE_IFREG) {
                if ((uint64_t) size > *room)
                        return refuse(ENOSPC, name, "more data than the filesystem has room for", ret_error);
                *room -= (uint64_t) size;
        }
        return TAR_HOOK_WRITE;
}

static int unpack_entry(struct archive *in, struct archive *out, struct archive_entry *e, uint64_t *room,
                        const TarUnpackOptions *o, char **ret_error) {
        const char *name = sym_archive_entry_pathname(e);
        AclAttributes acl;
        const void *buf;
        size_t n;
        int64_t offset;
        int r;

        r = check_entry(e, room, o, ret_error);
        if (r != TAR_HOOK_WRITE)
                return r < 0 ? r : 0;
        take_acl_attributes(e, &acl);
        if (sym_archive_write_header(out, e) < ARCHIVE_WARN)
                return archive_failure(out, name, ret_error);
        while ((r = sym_archive_read_data_block(in, &buf, &n, &offset)) == ARCHIVE_OK) {
                if (sym_archive_write_data_block(out, buf, n, offset) < ARCHIVE_WARN)
                        return archive_failure(out, name, ret_error);
                if (o->progress)
                        o->progress->written(n, o->progress->userdata);
        }
        if (r != ARCHIVE_EOF)
                return archive_failure(in, name, ret_error);
        if (sym_archive_write_finish_entry(out) < ARCHIVE_WARN)
                return archive_failure(out, name, ret_error);
        return apply_acl_attributes(name, sym_archive_entry_filetype(e), &acl, ret_error);
}

static int unpack_all(struct archive *in, struct archive *out, const TarUnpackOptions *o, char **ret_error) {
        uint64_t room = o->max_bytes;
        struct archive_entry *e;
        int r;

        for (;;) {
                r = sym_archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return archive_failure(in, NULL, ret_error);
                r = unpack_entry(in, out, e, &room, o, ret_error);
                if (r < 0)
                        return r;
        }
        /* The times and modes of directories are set last, here. */
        if (sym_archive_write_close(out) < ARCHIVE_WARN)
                return archive_failure(out, NULL, ret_error);
        return 0;
}

typedef struct Unpacking {
        struct archive *in, **out;
        const TarUnpackOptions *options;
        char **ret_error;
} Unpacking;

static int unpack_here(void *userdata) {
        Unpacking *u = userdata;
        int r = unpack_all(u->in, *u->out, u->options, u->ret_error);

        /* Freed here, also after a failure: what libarchive still has to
         * fix up (modes and times of directories) is named relative to the
         * working directory, which is then the target's. */
        sym_archive_write_free(*u->out);
        *u->out = NULL;
        return r;
}

/* The archive in (open) unpacked into dir_fd. */
static int unpack_opened(struct archive *in, int dir_fd, const TarUnpackOptions *o, char **ret_error) {
        const int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_ACL |
                          ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                          ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
        _cleanup_(archive_write_freep) struct archive *out = sym_archive_write_disk_new();

        if (!out)
                return -ENOMEM;
        /* No name lookups: owners stay the numbers in the archive. */
        (void) sym_archive_write_disk_set_options(out, flags);
        return in_directory(dir_fd, unpack_here, &(Unpacking) { in, &out, o, ret_error });
}

/* The compressions berth names, each built into libarchive: its others may
 * run an external program on what the archive holds. */
static void support_filters(struct archive *in) {
        (void) sym_archive_read_support_filter_gzip(in);
        (void) sym_archive_read_support_filter_xz(in);
        (void) sym_archive_read_support_filter_zstd(in);
        (void) sym_archive_read_support_filter_bzip2(in);
}

int tar_unpack(int in_fd, int dir_fd, uint64_t max_bytes, const CopyProgress *progress, char **ret_error) {
        _cleanup_(archive_read_freep) struct archive *in = NULL;
        int r;

        *ret_error = NULL;
        r = dlopen_libarchive();
        if (r < 0)
                return r;
        in = sym_archive_read_new();
        if (!in)
                return -ENOMEM;
        support_filters(in);
        (void) sym_archive_read_support_format_tar(in);
        if (sym_archive_read_open_fd(in, in_fd, 64 * 1024) < ARCHIVE_WARN)
                return archive_failure(in, NULL, ret_error);
        return unpack_opened(in, dir_fd, &(TarUnpackOptions) { .max_bytes = max_bytes, .progress = progress },
                             ret_error);
}

/* A TarReadFn as libarchive's read callback: its errno goes to the archive. */
typedef struct ReadGlue {
        TarReadFn read;
        void *userdata;
        char buf[64 * 1024];
} ReadGlue;

static la_ssize_t glue_read(struct archive *a, void *userdata, const void **ret_buf) {
        ReadGlue *g = userdata;
        ssize_t n = g->read(g->userdata, g->buf, sizeof g->buf);

        if (n < 0) {
                sym_archive_set_error(a, (int) -n, "%s", strerror((int) -n));
                return ARCHIVE_FATAL;
        }
        *ret_buf = g->buf;
        return n;
}

int tar_unpack_stream(TarReadFn read, void *userdata, int dir_fd, const TarUnpackOptions *options, char **ret_error) {
        _cleanup_(archive_read_freep) struct archive *in = NULL;
        _cleanup_free_ ReadGlue *glue = NULL;
        int r;

        *ret_error = NULL;
        r = dlopen_libarchive();
        if (r < 0)
                return r;
        in = sym_archive_read_new();
        glue = malloc(sizeof(ReadGlue));
        if (!in || !glue)
                return -ENOMEM;
        *glue = (ReadGlue) { .read = read, .userdata = userdata };
        (void) sym_archive_read_support_format_tar(in);
        if (sym_archive_read_open(in, glue, NULL, glue_read, NULL) < ARCHIVE_WARN)
                return archive_failure(in, NULL, ret_error);
        return unpack_opened(in, dir_fd, options, ret_error);
}

struct TarDecompressor {
        struct archive *a;
        ReadGlue glue;
};

/* libarchive's "raw" format: the one entry is the data, uncompressed. */
int tar_decompressor_new(TarReadFn read, void *userdata, TarDecompressor **ret, char **ret_error) {
        _cleanup_(tar_decompressor_freep) TarDecompressor *d = NULL;
        struct archive_entry *e;
        int r;

        *ret_error = NULL;
        r = dlopen_libarchive();
        if (r < 0)
                return r;
        d = calloc(1, sizeof(TarDecompressor));
        if (!d || !(d->a = sym_archive_read_new()))
                return -ENOMEM;
        d->glue = (ReadGlue) { .read = read, .userdata = userdata };
        support_filters(d->a);
        (void) sym_archive_read_support_format_raw(d->a);
        if (sym_archive_read_open(d->a, &d->glue, NULL, glue_read, NULL) < ARCHIVE_WARN ||
            sym_archive_read_next_header(d->a, &e) < ARCHIVE_WARN)
                return archive_failure(d->a, NULL, ret_error);
        *ret = TAKE_PTR(d);
        return 0;
}

ssize_t tar_decompressor_read(TarDecompressor *d, void *buf, size_t n, char **ret_error) {
        la_ssize_t k = sym_archive_read_data(d->a, buf, n);

        if (k < ARCHIVE_OK)
                return archive_failure(d->a, NULL, ret_error);
        return k;
}

TarDecompressor *tar_decompressor_free(TarDecompressor *d) {
        if (!d)
                return NULL;
        archive_read_freep(&d->a);
        free(d);
        return NULL;
}

static int add_filter(struct archive *a, TarCompression c) {
        switch (c) {
        case TAR_COMPRESSION_NONE:
                return ARCHIVE_OK;
        case TAR_COMPRESSION_GZIP:
                return sym_archive_write_add_filter_gzip(a);
        case TAR_COMPRESSION_XZ:
                return sym_archive_write_add_filter_xz(a);
        case TAR_COMPRESSION_ZSTD:
                return sym_archive_write_add_filter_zstd(a);
        case TAR_COMPRESSION_BZIP2:
                return sym_archive_write_add_filter_bzip2(a);
        default:
                return ARCHIVE_FATAL;
        }
}

/* The data of a file from disk into the archive. Holes are written as
 * zeros, which the pax writer leaves out again by the entry's map of them. */
static int pack_data(struct archive *disk, struct archive *out, const CopyProgress *progress, const char *name,
                     char **ret_error) {
        static const char zeros[64 * 1024];
        int64_t done = 0, offset;
        const void *buf;
        size_t n;
        int r;

        while ((r = sym_archive_read_data_block(disk, &buf, &n, &offset)) == ARCHIVE_OK) {
                while (offset > done) {
                        size_t z = (size_t) MIN((int64_t) sizeof zeros, offset - done);

                        if (sym_archive_write_data(out, zeros, z) < 0)
                                return archive_failure(out, name, ret_error);
                        done += (int64_t) z;
                }
                if (n > 0 && sym_archive_write_data(out, buf, n) < 0)
                        return archive_failure(out, name, ret_error);
                done += (int64_t) n;
                if (progress)
                        progress->written(n, progress->userdata);
        }
        return r == ARCHIVE_EOF ? 0 : archive_failure(disk, name, ret_error);
}

static int pack_all(struct archive *disk, struct archive *out, const CopyProgress *progress, char **ret_error) {
        struct archive_entry_linkresolver *links = sym_archive_entry_linkresolver_new();
        struct archive_entry *e = sym_archive_entry_new();
        int r = 0;

        if (!e || !links) {
                if (e)
                        sym_archive_entry_free(e);
                if (links)
                        sym_archive_entry_linkresolver_free(links);
                return -ENOMEM;
        }
        /* The second and later names of a file become hard links to the
         * first, as tar writes them. */
        sym_archive_entry_linkresolver_set_strategy(links, sym_archive_format(out));
        for (;;) {
                struct archive_entry *spare = NULL;
                const char *name;

                r = sym_archive_read_next_header2(disk, e);
                if (r == ARCHIVE_EOF) {
                        r = 0;
                        break;
                }
                name = sym_archive_entry_pathname(e);
                if (r < ARCHIVE_WARN) {
                        r = archive_failure(disk, name, ret_error);
                        break;
                }
                (void) sym_archive_read_disk_descend(disk);
                sym_archive_entry_set_uname(e, NULL); /* numeric owners only */
                sym_archive_entry_set_gname(e, NULL);
                sym_archive_entry_linkify(links, &e, &spare);
                if (sym_archive_write_header(out, e) < ARCHIVE_WARN) {
                        r = archive_failure(out, name, ret_error);
                        break;
                }
                if (sym_archive_entry_filetype(e) == AE_IFREG && sym_archive_entry_size(e) > 0 &&
                    (r = pack_data(disk, out, progress, name, ret_error)) < 0)
                        break;
        }
        sym_archive_entry_free(e);
        sym_archive_entry_linkresolver_free(links);
        return r;
}

typedef struct Packing {
        struct archive *disk, *out;
        const CopyProgress *progress;
        char **ret_error;
} Packing;

static int pack_here(void *userdata) {
        Packing *p = userdata;
        int r;

        r = sym_archive_read_disk_open(p->disk, ".") < ARCHIVE_WARN
                    ? archive_failure(p->disk, NULL, p->ret_error)
                    : pack_all(p->disk, p->out, p->progress, p->ret_error);
        if (r >= 0 && sym_archive_write_close(p->out) < ARCHIVE_WARN)
                r = archive_failure(p->out, NULL, p->ret_error);
        return r;
}

int tar_pack(int dir_fd, int out_fd, TarCompression compression, const CopyProgress *progress, char **ret_error) {
        _cleanup_(archive_read_freep) struct archive *disk = NULL;
        _cleanup_(archive_write_freep) struct archive *out = NULL;
        int r;

        *ret_error = NULL;
        r = dlopen_libarchive();
        if (r < 0)
                return r;
        disk = sym_archive_read_disk_new();
        out = sym_archive_write_new();
        if (!disk || !out)
                return -ENOMEM;
        (void) sym_archive_read_disk_set_symlink_physical(disk);
        (void) sym_archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
        if (sym_archive_write_set_format_pax_restricted(out) < ARCHIVE_WARN ||
            add_filter(out, compression) < ARCHIVE_WARN || sym_archive_write_open_fd(out, out_fd) < ARCHIVE_WARN)
                return archive_failure(out, NULL, ret_error);
        return in_directory(dir_fd, pack_here, &(Packing) { disk, out, progress, ret_error });
}

struct TarWriter {
        struct archive *out, *disk;
        struct archive_entry *entry;
        struct archive_entry_linkresolver *links;
        TarWriteFn write;
        void *userdata;
};

static la_ssize_t glue_write(struct archive *a, void *userdata, const void *buf, size_t n) {
        TarWriter *w = userdata;
        int r;

        if (!w->write) /* freed unfinished: the rest goes nowhere */
                return (la_ssize_t) n;
        r = w->write(w->userdata, buf, n);
        if (r < 0) {
                sym_archive_set_error(a, -r, "%s", strerror(-r));
                return ARCHIVE_FATAL;
        }
        return (la_ssize_t) n;
}

int tar_writer_new(TarWriteFn write, void *userdata, TarWriter **ret) {
        _cleanup_(tar_writer_freep) TarWriter *w = NULL;
        int r;

        r = dlopen_libarchive();
        if (r < 0)
                return r;
        w = calloc(1, sizeof(TarWriter));
        if (!w)
                return -ENOMEM;
        *w = (TarWriter) { .out = sym_archive_write_new(),
                           .disk = sym_archive_read_disk_new(),
                           .entry = sym_archive_entry_new(),
                           .links = sym_archive_entry_linkresolver_new(),
                           .write = write,
                           .userdata = userdata };
        if (!w->out || !w->disk || !w->entry || !w->links)
                return -ENOMEM;
        (void) sym_archive_read_disk_set_symlink_physical(w->disk);
        if (sym_archive_write_set_format_pax_restricted(w->out) < ARCHIVE_WARN ||
            sym_archive_write_open(w->out, w, NULL, glue_write, NULL) < ARCHIVE_WARN)
                return -EIO;
        sym_archive_entry_linkresolver_set_strategy(w->links, sym_archive_format(w->out));
        *ret = TAKE_PTR(w);
        return 0;
}

/* The entry's xattrs but those named prefix…: libarchive can only clear
 * them all, so the others are copied and put back. */
typedef struct XattrCopy {
        char *name;
        void *value;
        size_t size;
} XattrCopy;

static int copy_kept_xattrs(struct archive_entry *e, const char *prefix, XattrCopy **ret, size_t *ret_n) {
        const char *name;
        const void *value;
        size_t size;

        sym_archive_entry_xattr_reset(e);
        while (sym_archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                XattrCopy *k;

                if (startswith(name, prefix))
                        continue;
                k = reallocarray(*ret, *ret_n + 1, sizeof(XattrCopy));
                if (!k)
                        return -ENOMEM;
                *ret = k;
                k[*ret_n] = (XattrCopy) { .name = strdup(name), .value = malloc(MAX(size, 1u)), .size = size };
                if (!k[*ret_n].name || !k[*ret_n].value) {
                        free(k[*ret_n].name);
                        free(k[*ret_n].value);
                        return -ENOMEM;
                }
                memcpy(k[(*ret_n)++].value, value, size);
        }
        return 0;
}

static int drop_xattrs(struct archive_entry *e, const char *prefix) {
        XattrCopy *keep = NULL;
        size_t n = 0;
        int r;

        if (!has_xattr_prefix(e, prefix))
                return 0;
        r = copy_kept_xattrs(e, prefix, &keep, &n);
        if (r >= 0)
                sym_archive_entry_xattr_clear(e);
        for (size_t i = 0; i < n; i++) {
                if (r >= 0)
                        sym_archive_entry_xattr_add_entry(e, keep[i].name, keep[i].value, keep[i].size);
                free(keep[i].name);
                free(keep[i].value);
        }
        free(keep);
        return r;
}

/* The file's data as read (a hole reads as zeros), exactly the size
 * the entry says, whatever the file does meanwhile. */
static int writer_add_data(TarWriter *w, int fd, int64_t size, const char *path, char **ret_error) {
        char buf[64 * 1024];
        int64_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, buf, (size_t) MIN((int64_t) sizeof buf, size - done), done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return refuse(errno, path, "its data can't be read", ret_error);
                if (n == 0)
                        return refuse(ESTALE, path, "it shrank while it was read", ret_error);
                if (sym_archive_write_data(w->out, buf, (size_t) n) < 0)
                        return archive_failure(w->out, path, ret_error);
                done += n;
        }
        return 0;
}

/* The file's ACLs as the xattrs that hold them (SCHILY.xattr.system.
 * posix_acl_* in the pax header, as OCI tools write and read them)
 * instead of libarchive's own text form. */
static int acl_to_xattrs(struct archive_entry *e, int dir_fd, const char *name, const struct stat *st) {
        char source[64 + NAME_MAX];

        if (S_ISLNK(st->st_mode))
                return 0;
        sym_archive_entry_acl_clear(e);
        (void) snprintf(source, sizeof source, "/proc/self/fd/%d/%s", dir_fd, name);
        for (size_t i = 0; i < ELEMENTSOF(acl_attribute); i++) {
                char value[4096];
                ssize_t n = lgetxattr(source, acl_attribute[i], value, sizeof value);

                if (n < 0 && IN_SET(errno, ENODATA, EOPNOTSUPP))
                        continue;
                if (n < 0)
                        return -errno;
                sym_archive_entry_xattr_add_entry(e, acl_attribute[i], value, (size_t) n);
        }
        return 0;
}

/* The entry from the file: opened (regular files and directories) and
 * checked to be what st says, or else looked at through its directory. */
static int writer_fill_entry(TarWriter *w, int dir_fd, const char *name, const struct stat *st, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        char source[64 + NAME_MAX];
        int r;

        if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
                fd = openat(dir_fd, name,
                            O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
                if (fd < 0)
                        return -errno;
                r = fd_check_same(fd, st);
                if (r < 0)
                        return r;
        }
        (void) snprintf(source, sizeof source, "/proc/self/fd/%d/%s", dir_fd, name);
        sym_archive_entry_copy_sourcepath(w->entry, source);
        if (sym_archive_read_disk_entry_from_file(w->disk, w->entry, fd, st) < ARCHIVE_WARN)
                return -sym_archive_errno(w->disk) ?: -EIO;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int tar_writer_add(TarWriter *w, int dir_fd, const char *name, const struct stat *st, const char *path,
                   const TarAddOptions *options, char **ret_error) {
        struct archive_entry *e = w->entry, *spare = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        *ret_error = NULL;
        sym_archive_entry_clear(e);
        r = writer_fill_entry(w, dir_fd, name, st, &fd);
        if (r < 0)
                return refuse(-r, path, "can't be read", ret_error);
        sym_archive_entry_copy_pathname(e, path);
        sym_archive_entry_set_uname(e, NULL); /* numeric owners only */
        sym_archive_entry_set_gname(e, NULL);
        sym_archive_entry_unset_atime(e);
        sym_archive_entry_unset_ctime(e);
        sym_archive_entry_unset_birthtime(e);
        sym_archive_entry_sparse_clear(e);
        if (options->no_data && S_ISREG(st->st_mode)) {
                sym_archive_entry_set_size(e, 0);
                sym_archive_entry_set_nlink(e, 1);
        }
        r = drop_xattrs(e, options->drop_xattr_prefix);
        if (r >= 0 && options->acl_as_xattrs)
                r = acl_to_xattrs(e, dir_fd, name, st);
        if (r < 0)
                return refuse(-r, path, "its extended attributes can't be read", ret_error);
        sym_archive_entry_linkify(w->links, &e, &spare);
        if (!e) /* not for tar formats: a link is never held back */
                return 0;
        if (sym_archive_write_header(w->out, e) < ARCHIVE_WARN)
                return archive_failure(w->out, path, ret_error);
        if (sym_archive_entry_filetype(e) == AE_IFREG && sym_archive_entry_size(e) > 0)
                return writer_add_data(w, fd, sym_archive_entry_size(e), path, ret_error);
        return 0;
}

int tar_writer_add_empty(TarWriter *w, const char *path, mode_t mode, uid_t uid, gid_t gid, time_t mtime,
                         char **ret_error) {
        struct archive_entry *e = w->entry;

        *ret_error = NULL;
        sym_archive_entry_clear(e);
        sym_archive_entry_copy_pathname(e, path);
        sym_archive_entry_set_filetype(e, AE_IFREG);
        sym_archive_entry_set_perm(e, mode);
        sym_archive_entry_set_uid(e, uid);
        sym_archive_entry_set_gid(e, gid);
        sym_archive_entry_set_mtime(e, mtime, 0);
        sym_archive_entry_set_size(e, 0);
        if (sym_archive_write_header(w->out, e) < ARCHIVE_WARN)
                return archive_failure(w->out, path, ret_error);
        return 0;
}

int tar_writer_finish(TarWriter *w, char **ret_error) {
        *ret_error = NULL;
        if (sym_archive_write_close(w->out) < ARCHIVE_WARN)
                return archive_failure(w->out, NULL, ret_error);
        return 0;
}

TarWriter *tar_writer_free(TarWriter *w) {
        if (!w)
                return NULL;
        w->write = NULL;
        archive_write_freep(&w->out);
        archive_read_freep(&w->disk);
        if (w->entry)
                sym_archive_entry_free(w->entry);
        if (w->links)
                sym_archive_entry_linkresolver_free(w->links);
        free(w);
        return NULL;
}
