/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

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
