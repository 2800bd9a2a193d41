/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "copy.h"
#include "macro.h"
#include "string-table.h"

/* Tarballs of images (`berth import-tar`, `berth export-tar`), through
 * libarchive, loaded when first needed (-EOPNOTSUPP without it). */

typedef enum TarCompression {
        TAR_COMPRESSION_NONE,
        TAR_COMPRESSION_GZIP,
        TAR_COMPRESSION_XZ,
        TAR_COMPRESSION_ZSTD,
        TAR_COMPRESSION_BZIP2,
        _TAR_COMPRESSION_MAX,
        _TAR_COMPRESSION_INVALID = -EINVAL,
} TarCompression;

/* "uncompressed", "gzip", "xz", "zstd", "bzip2": machinectl's --format= */
DECLARE_STRING_TABLE_LOOKUP(tar_compression, TarCompression);

/* By the file name's suffix: .gz, .xz, .zst, .bz2; none otherwise. */
TarCompression tar_compression_from_path(const char *path) _pure_;

/* Unpacks the tarball read from in_fd (any compression libarchive knows)
 * into the empty directory dir_fd, keeping numeric owners, modes, times,
 * xattrs, ACLs, file capabilities, hard links, device nodes and holes.
 * Refused, and the unpacking stopped: an entry with an absolute name or a
 * ".." in its name or its hard link's target, one that would be written
 * through a symlink of the archive, and more data than max_bytes (the sizes
 * of the entries added up: -ENOSPC). On failure *ret_error says which entry
 * and why (NULL when out of memory); what was unpacked stays. */
int tar_unpack(int in_fd, int dir_fd, uint64_t max_bytes, const CopyProgress *progress, char **ret_error);

/* Packs the tree dir_fd as a pax tarball to out_fd: entries "./NAME", with
 * numeric owners, xattrs, ACLs, hard links, holes and device nodes; never
 * following a symlink, nor crossing into another mount. */
int tar_pack(int dir_fd, int out_fd, TarCompression compression, const CopyProgress *progress, char **ret_error);

/* The pieces for formats built on tarballs (OCI layers): streams given as
 * functions, a hook on each entry unpacked, and a writer that adds one
 * entry at a time, in the caller's order. */

/* Reads up to n bytes into buf: how many (0 at the end), or -errno. */
typedef ssize_t (*TarReadFn)(void *userdata, void *buf, size_t n);
/* Writes all n bytes of buf: 0, or -errno. */
typedef int (*TarWriteFn)(void *userdata, const void *buf, size_t n);

/* A stream of uncompressed bytes of what read gives: gzip, xz, zstd, bzip2
 * or no compression, found by its first bytes. */
typedef struct TarDecompressor TarDecompressor;
int tar_decompressor_new(TarReadFn read, void *userdata, TarDecompressor **ret, char **ret_error);
/* Bytes read (0 at the end), or -errno with *ret_error saying why. */
ssize_t tar_decompressor_read(TarDecompressor *d, void *buf, size_t n, char **ret_error);
TarDecompressor *tar_decompressor_free(TarDecompressor *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(TarDecompressor *, tar_decompressor_free);

typedef enum TarHookAction {
        TAR_HOOK_WRITE, /* the entry is unpacked as it is */
        TAR_HOOK_SKIP,  /* the hook took care of it: nothing is written */
} TarHookAction;

/* Called with each entry after its name is checked (relative, no "..", but
 * as the archive spells it: maybe "./etc/", with a slash at the end), before
 * it is written: a TarHookAction, or -errno with *ret_error set. */
typedef int (*TarEntryHook)(const char *name, mode_t type, void *userdata, char **ret_error);

typedef struct TarUnpackOptions {
        uint64_t max_bytes;
        const CopyProgress *progress;    /* may be NULL */
        const char *refuse_xattr_prefix; /* an entry carrying an xattr named so is refused (-EPERM); or NULL */
        TarEntryHook hook;               /* may be NULL */
        void *userdata;
} TarUnpackOptions;

/* tar_unpack() of an uncompressed tar stream that read gives. */
int tar_unpack_stream(TarReadFn read, void *userdata, int dir_fd, const TarUnpackOptions *options, char **ret_error);

/* An uncompressed pax tarball written through write, entry by entry. */
typedef struct TarWriter TarWriter;
int tar_writer_new(TarWriteFn write, void *userdata, TarWriter **ret);

typedef struct TarAddOptions {
        const char *drop_xattr_prefix; /* xattrs named so are left out; or NULL */
        bool no_data;                  /* a regular file as an empty one */
        bool acl_as_xattrs;            /* ACLs as the system.posix_acl_* xattrs they are on disk (what OCI
                                        * tools read), not as libarchive's text */
} TarAddOptions;

/* Adds the file name in dir_fd, as lstat'ed to st (and checked to be still
 * that file), as the entry path: numeric owners, mode, mtime (no atime nor
 * ctime, so the same tree gives the same bytes), xattrs, ACLs, file
 * capabilities; the data of a regular file (holes as zeros); a later name of
 * a file added before as a hard link to the first. */
int tar_writer_add(TarWriter *w, int dir_fd, const char *name, const struct stat *st, const char *path,
                   const TarAddOptions *options, char **ret_error);
/* Adds an empty regular file path with the given mode, owner and mtime. */
int tar_writer_add_empty(TarWriter *w, const char *path, mode_t mode, uid_t uid, gid_t gid, time_t mtime,
                         char **ret_error);
/* Ends the tarball (its end blocks written); then only freeing is left. */
int tar_writer_finish(TarWriter *w, char **ret_error);
TarWriter *tar_writer_free(TarWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(TarWriter *, tar_writer_free);
