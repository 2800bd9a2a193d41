/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "image.h"
#include "macro.h"
#include "string-table.h"
#include "time-util.h"

/* The image store, where systemd-machined looks, in its order: the first
 * image of a name wins. /etc/machines and /run/machines hold symlinks to
 * images elsewhere; IMAGE_DIR (/var/lib/machines) is where images are
 * made; the two under /usr hold read-only vendor images. An image is a
 * directory, a btrfs subvolume, a NAME.raw disk image, a block device
 * (a symlink to one) or a NAME.mstack layered image, named by a valid
 * machine name; a name starting with '.' is hidden. */

typedef enum ImageType {
        IMAGE_DIRECTORY,
        IMAGE_SUBVOLUME,
        IMAGE_RAW,
        IMAGE_BLOCK,
        IMAGE_MSTACK, /* a layered image: NAME.mstack (layered-image.h) */
        _IMAGE_TYPE_MAX,
        _IMAGE_TYPE_INVALID = -EINVAL,
} ImageType;

DECLARE_STRING_TABLE_LOOKUP(image_type, ImageType);

typedef struct Image {
        char *name;
        char *path; /* as found: DIR/NAME, DIR/NAME.raw, or the symlink */
        ImageType type;
        bool read_only;
        bool vendor;   /* under /usr: never written, renamed or removed */
        bool symlink;  /* path is a symlink to the image */
        usec_t crtime; /* 0: not known */
        usec_t mtime;
        uint64_t usage; /* bytes on disk; UINT64_MAX: not known (a tree) */
} Image;

void image_done(Image *i);
void image_array_free(Image *images, size_t n);

/* The directories searched, NULL-terminated; image_dir is the writable one
 * (IMAGE_DIR, a build option). */
const char *const *image_search_path(const char *image_dir);

/* An image's name as machined takes it: a file name (a raw image's without
 * ".raw"), no control characters, UTF-8, not a temporary (".#"). Wider
 * than a machine name: such images are listed and managed, but a machine
 * of one needs a machine name of its own (-M). New images get machine names. */
bool image_name_is_valid(const char *name) _pure_;

/* The first image named name: -ENOENT if none. */
int image_store_find(const char *image_dir, const char *name, Image *ret);
/* The image name, for -M: the path of the first image of that name, and
 * whether it is a disk image (raw or block device) rather than a tree (a
 * layered image is a tree); -ENOENT if none. */
int image_find(const char *image_dir, const char *name, char **ret_path, bool *ret_disk);
/* Every image, first of its name only, sorted by name; hidden ones only
 * with all. */
int image_store_list(const char *image_dir, bool all, Image **ret, size_t *ret_n);

/* The read-only mark, as machined sets it: the immutable attribute of a
 * directory's top, a subvolume's read-only flag, the write bits of a raw
 * file. */
int image_set_read_only(const Image *i, bool b);
/* Whether the image at path (resolved: a tree, a raw file or a block
 * device) is marked read-only, or a vendor image's: 1 or 0. */
int image_tree_is_read_only(const char *path);

/* The size limit of a btrfs subvolume image (its quota group's limit of
 * referenced bytes; UINT64_MAX: none), as machined sets it. -EOPNOTSUPP
 * for any other kind of image; -ENOTCONN where quotas are off. */
int image_set_limit(const Image *i, uint64_t bytes);

/* /run/systemd/nspawn/locks/name-NAME, exclusive, as machined takes it
 * while a name is being made or renamed. -EBUSY when taken. */
int image_name_lock(const char *name, LockFile *ret);

/* A hidden temporary beside the images for one being made as name:
 * "DIR/.#NAME.berth~XXXXXX" (a new random name each call). */
char *image_temporary_path(const char *dir, const char *name);
/* Removes the image name in dir_fd, whatever it is (a btrfs subvolume is
 * deleted as one), never following a symlink or crossing into a mount. */
int image_remove_tree(int dir_fd, const char *name);
/* Removes the image lock files nobody holds (of a killed command): beside
 * the images of image_dir, and under /run/systemd/nspawn/locks. */
void image_remove_stale_locks(const char *image_dir);
/* Removes the temporaries in dir that nobody works on any more (their
 * name lock is free): what a killed clone, import or remove left. */
int image_remove_stale_temporaries(const char *dir);
