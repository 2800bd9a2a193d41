/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "copy.h"
#include "lock-util.h"

/* Making a new image in the store, for the verbs that do: clone, import-fs,
 * import-tar (verb-images.c) and create (verb-create.c). They log. */

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

/* The new name is free in the whole store, and stays so while we hold it
 * (its name lock, in *ret). An invalid name is bad usage. */
int image_claim_new_name(const char *name, LockFile *ret);

/* Makes the image new_name in the store from s: in a hidden temporary
 * first (image_temporary_path()), given an empty machine-id, renamed into
 * place when complete, removed if not. The caller holds the name. */
int image_make(const ImageSource *s, bool raw, const char *new_name, bool read_only);
