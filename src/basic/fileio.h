/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Reads a whole (small) file, NUL-terminated. dir_fd may be AT_FDCWD. */
int read_full_file_at(int dir_fd, const char *path, size_t max_size, char **ret, size_t *ret_size);
int read_full_fd(int fd, size_t max_size, char **ret, size_t *ret_size);
static inline int read_full_file(const char *path, char **ret, size_t *ret_size) {
        return read_full_file_at(-100 /* AT_FDCWD */, path, 4 * 1024 * 1024, ret, ret_size);
}

/* First line, without its newline. */
int read_one_line_file(const char *path, char **ret);

typedef enum WriteFileFlags {
        WRITE_FILE_CREATE = 1 << 0,
        WRITE_FILE_ATOMIC = 1 << 1, /* write a temporary file and rename it into place */
        WRITE_FILE_NO_NEWLINE = 1 << 2,
} WriteFileFlags;

int write_string_file_at(int dir_fd, const char *path, const char *s, WriteFileFlags flags, mode_t mode);
/* Removes from dir the temporaries of WRITE_FILE_ATOMIC (".#NAME.PID.tmp")
 * whose writer is gone (killed before it could rename them). Returns how
 * many. */
int remove_stale_temporaries(const char *dir);

/* The same for size bytes of data (no newline is added). */
int write_data_file_at(int dir_fd, const char *path, const void *data, size_t size, WriteFileFlags flags, mode_t mode);
static inline int write_string_file(const char *path, const char *s, WriteFileFlags flags) {
        return write_string_file_at(-100, path, s, flags, 0644);
}

/* Parses KEY=VALUE lines as in os-release(5) and environment files: comments,
 * blank lines, single/double quotes and backslash escapes. Calls cb for each
 * assignment; a callback returning < 0 stops the parse. Malformed lines are
 * reported through *ret_line (1-based) with -EBADMSG. */
typedef int (*env_file_cb_t)(const char *key, const char *value, void *userdata);
int parse_env_text(const char *text, env_file_cb_t cb, void *userdata, unsigned *ret_line);

/* Looks up one key in an os-release-style text; NULL if missing. */
int env_text_get(const char *text, const char *key, char **ret);
