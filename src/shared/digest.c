/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "dlopen-util.h"
#include "string-util.h"

DLOPEN_NOTE(crypto, "SHA-256 digests of OCI images' blobs and layers", "suggested", "libcrypto.so.3");

static void *libcrypto_dl = NULL;

static DLSYM_PROTOTYPE(EVP_MD_CTX_new);
static DLSYM_PROTOTYPE(EVP_MD_CTX_free);
static DLSYM_PROTOTYPE(EVP_sha256);
static DLSYM_PROTOTYPE(EVP_DigestInit_ex);
static DLSYM_PROTOTYPE(EVP_DigestUpdate);
static DLSYM_PROTOTYPE(EVP_DigestFinal_ex);

static int dlopen_libcrypto(void) {
        return dlopen_many_sym(&libcrypto_dl, "libcrypto.so.3", DLSYM_ARG(EVP_MD_CTX_new), DLSYM_ARG(EVP_MD_CTX_free),
                               DLSYM_ARG(EVP_sha256), DLSYM_ARG(EVP_DigestInit_ex), DLSYM_ARG(EVP_DigestUpdate),
                               DLSYM_ARG(EVP_DigestFinal_ex), NULL);
}

struct Sha256 {
        EVP_MD_CTX *ctx;
        bool done;
};

int sha256_new(Sha256 **ret) {
        _cleanup_(sha256_freep) Sha256 *s = NULL;
        int r;

        r = dlopen_libcrypto();
        if (r < 0)
                return r;
        s = calloc(1, sizeof(Sha256));
        if (!s)
                return -ENOMEM;
        s->ctx = sym_EVP_MD_CTX_new();
        if (!s->ctx)
                return -ENOMEM;
        if (sym_EVP_DigestInit_ex(s->ctx, sym_EVP_sha256(), NULL) != 1)
                return -EIO;
        *ret = TAKE_PTR(s);
        return 0;
}

int sha256_update(Sha256 *s, const void *p, size_t n) {
        if (s->done)
                return -ESTALE;
        if (n == 0)
                return 0;
        return sym_EVP_DigestUpdate(s->ctx, p, n) == 1 ? 0 : -EIO;
}

int sha256_final_hex(Sha256 *s, char ret[SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (s->done)
                return -ESTALE;
        s->done = true;
        if (sym_EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != (SHA256_HEX_SIZE - 1) / 2)
                return -EIO;
        for (unsigned i = 0; i < n; i++) {
                ret[2 * i] = hexchar(md[i] >> 4);
                ret[2 * i + 1] = hexchar(md[i] & 15);
        }
        ret[2 * n] = '\0';
        return 0;
}

Sha256 *sha256_free(Sha256 *s) {
        if (!s)
                return NULL;
        if (s->ctx)
                sym_EVP_MD_CTX_free(s->ctx);
        free(s);
        return NULL;
}

int sha256_fd(int fd, char ret[SHA256_HEX_SIZE]) {
        _cleanup_(sha256_freep) Sha256 *s = NULL;
        static char buf[64 * 1024];
        off_t offset = 0;
        int r;

        r = sha256_new(&s);
        if (r < 0)
                return r;
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof buf, offset);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                r = sha256_update(s, buf, (size_t) n);
                if (r < 0)
                        return r;
                offset += n;
        }
        return sha256_final_hex(s, ret);
}

bool sha256_hex_is_valid(const char *s) {
        if (!s)
                return false;
        for (size_t i = 0; i < SHA256_HEX_SIZE - 1; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[SHA256_HEX_SIZE - 1] == '\0';
}
