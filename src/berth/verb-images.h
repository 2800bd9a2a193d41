/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "copy.h"
#include "image-store.h"
#include "lock-util.h"

/* Making a new image in the store (image-make.c), for the verbs that do:
 * clone, import-fs, import-tar (verb-images.c), create (verb-create.c),
 * import-oci and commit (verb-oci.c). They log. */

/* What fills a new image: a copy of a tree, a tarball unpacked, a tree
 * built from a definition. It writes into tmp_name in dir_fd; on failure
 * *ret_error may say where. */
typedef struct ImageSource {
        int (*fill)(const struct ImageSource *s, int dir_fd, const char *tmp_name, const CopyProgress *progress,
                    char **ret_error);
        int dir_fd;           /* clone: the directory of the tree */
        const char *name;     /* clone: the tree */
        int fd;               /* import-tar: the tarball */
        const void *userdata; /* create: what to build */
        uint64_t total;       /* for the progress line; UINT64_MAX: not known */
        const char *done;     /* "Copied"; NULL: fill shows its own progress, if any */
} ImageSource;

/* What a killed command left, its lock files and the temporary of an
 * image it was making: every image verb looks for it first. */
void image_store_sweep(void);

/* The image name in the store, after a sweep. Logs "No image 'NAME'."
 * and friends; an invalid name is bad usage. */
int image_find_logged(const char *name, Image *ret);

/* The new name is free in the whole store, and stays so while we hold it
 * (its name lock, in *ret). An invalid name is bad usage. */
int image_claim_new_name(const char *name, LockFile *ret);

/* Makes the image new_name in the store from s: in a hidden temporary
 * first (image_temporary_path()), given an empty machine-id, renamed into
 * place when complete, removed if not. The caller holds the name. */
int image_make(const ImageSource *s, ImageType type, const char *new_name, bool read_only);

/* Layered images (verb-oci.c), for the image verbs: a clone of one (its
 * layers shared, a copy of its top), and the removal of the layers no
 * image uses any more, after one was removed from store. */
int layered_clone(const Image *src, const char *new_name, bool read_only);
int layered_remove_unused(const char *store);
/* What image-status shows of a layered image: its layers, for people
 * (with their sizes and how many other images share them) and as digests,
 * and the bytes in its top. */
int layered_status(const Image *i, char ***ret_text, char ***ret_digests, uint64_t *ret_top_usage);
