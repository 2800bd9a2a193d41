/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include "copy.h"
#include "digest.h"

/* One OCI image layer: its tar stream <-> a directory overlayfs takes as a
 * layer. The two ways of saying "deleted below" are translated:
 *
 *     OCI layer tar                    overlayfs layer directory
 *     D/.wh.NAME                       D/NAME, a character device 0/0
 *     D/.wh..wh..opq                   D with xattr trusted.overlay.opaque="y"
 */

/* Unpacks the layer blob read from in_fd (uncompressed tar, gzip, zstd, or
 * what else tar_unpack() reads) into the empty directory dir_fd, with
 * tar_unpack()'s rules (numeric owners, modes, times, xattrs, ACLs, caps,
 * hard links, devices, holes; refused: absolute names, "..", writing through
 * a symlink of the archive, more than max_bytes) and OCI's whiteouts made
 * overlayfs's:
 *   ".wh.NAME" in D     -> D/NAME a character device 0/0, unless this layer
 *                          has D/NAME itself (before or after: it wins);
 *   ".wh..wh..opq" in D -> D gets trusted.overlay.opaque="y" (D made if the
 *                          tar has no entry for it yet; its mode and owner
 *                          come from D's own entry, before or after);
 *   any other ".wh."-prefixed name (or a directory named so on the way),
 *   and a trusted.overlay.* xattr inside the archive: refused (-EPERM).
 * Reads in_fd to its end, in one pass, and hashes both the blob as read
 * (ret_blob_digest) and the uncompressed tar stream (ret_diff_id); either
 * may be NULL. On failure *ret_error names the entry and why (NULL when out
 * of memory); what was unpacked stays. */
int oci_layer_unpack(int in_fd, int dir_fd, uint64_t max_bytes, const CopyProgress *progress,
                     char ret_blob_digest[SHA256_HEX_SIZE], char ret_diff_id[SHA256_HEX_SIZE], char **ret_error);

typedef enum OciPackAction {
        OCI_PACK_KEEP,
        OCI_PACK_SKIP,  /* left out (a directory with all below it) */
        OCI_PACK_EMPTY, /* a regular file, with no content */
} OciPackAction;

/* path relative to the top, without a leading "./" ("etc/machine-id"). */
typedef OciPackAction (*OciPackFilter)(const char *path, const struct stat *st, void *userdata);

/* Packs dir_fd (a layer, or an overlay's upper directory) as an uncompressed
 * OCI layer tar to out_fd: whiteouts (a character device 0/0, or a file
 * with xattr trusted.overlay.whiteout) become ".wh.NAME" entries, an opaque
 * directory (trusted.overlay.opaque="y") its entry followed by
 * "D/.wh..wh..opq"; all trusted.overlay.* xattrs are dropped; other xattrs,
 * ACLs, caps, hard links, devices kept; numeric owners; entries in name
 * order, without atime and ctime, holes written as zeros: the same tree
 * gives the same bytes. Never follows a symlink, nor goes into another
 * mount (a mount point is packed as an empty directory). A name starting
 * with ".wh." is refused (-EINVAL): a layer can't hold it. filter (may be
 * NULL) is asked about every entry, whiteouts too. Hashes what it writes:
 * *ret_diff_id, *ret_size (bytes); either may be NULL. */
int oci_layer_pack(int dir_fd, int out_fd, OciPackFilter filter, void *userdata, const CopyProgress *progress,
                   char ret_diff_id[SHA256_HEX_SIZE], uint64_t *ret_size, char **ret_error);
