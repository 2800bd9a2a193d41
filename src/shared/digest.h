/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* SHA-256 digests (OCI's content addresses), through libcrypto, loaded when
 * first needed (-EOPNOTSUPP without it). Digests are given as 64 lowercase
 * hex digits, as OCI writes them after "sha256:". */

#define SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */

typedef struct Sha256 Sha256;

int sha256_new(Sha256 **ret);
int sha256_update(Sha256 *s, const void *p, size_t n);
/* The digest of what was fed; s takes no more after this. */
int sha256_final_hex(Sha256 *s, char ret[SHA256_HEX_SIZE]);
Sha256 *sha256_free(Sha256 *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Sha256 *, sha256_free);

/* The digest of the whole file, from offset 0 (the file offset is left
 * where it was). */
int sha256_fd(int fd, char ret[SHA256_HEX_SIZE]);

/* 64 lowercase hex digits, and nothing else. */
bool sha256_hex_is_valid(const char *s) _pure_;
