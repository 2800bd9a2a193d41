/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "digest.h"
#include "fd-util.h"
#include "tests.h"

/* FIPS 180-2's examples. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MILLION_A_SHA256 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static Sha256 *new_or_skip(void) {
        Sha256 *s = NULL;
        int r = sha256_new(&s);

        if (r == -EOPNOTSUPP)
                tests_skip("libcrypto.so.3 is not installed");
        ASSERT_OK(r);
        return s;
}

TEST(known_digests) {
        char hex[SHA256_HEX_SIZE];
        Sha256 *s = new_or_skip();

        ASSERT_OK(sha256_final_hex(s, hex));
        ASSERT_STREQ(hex, EMPTY_SHA256);
        ASSERT_ERROR(sha256_update(s, "x", 1), ESTALE);
        sha256_free(s);

        s = new_or_skip();
        ASSERT_OK(sha256_update(s, "a", 1));
        ASSERT_OK(sha256_update(s, "", 0));
        ASSERT_OK(sha256_update(s, "bc", 2));
        ASSERT_OK(sha256_final_hex(s, hex));
        ASSERT_STREQ(hex, ABC_SHA256);
        sha256_free(s);
}

TEST(fd_whole_file_from_the_start) {
        _cleanup_close_ int fd = memfd_create("digest", MFD_CLOEXEC);
        char *million = malloc(1000000), hex[SHA256_HEX_SIZE];

        sha256_free(new_or_skip());
        ASSERT_TRUE(fd >= 0 && million);
        memset(million, 'a', 1000000);
        ASSERT_OK(loop_write(fd, million, 1000000));
        /* the offset is at the end: the digest is still of all of it, and
         * the offset stays */
        ASSERT_OK(sha256_fd(fd, hex));
        ASSERT_STREQ(hex, MILLION_A_SHA256);
        ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 1000000);
        ASSERT_OK(ftruncate(fd, 0));
        ASSERT_OK(sha256_fd(fd, hex));
        ASSERT_STREQ(hex, EMPTY_SHA256);
        ASSERT_ERROR(sha256_fd(-EBADF, hex), EBADF);
        free(million);
}

TEST(hex_is_valid) {
        ASSERT_TRUE(sha256_hex_is_valid(ABC_SHA256));
        ASSERT_FALSE(sha256_hex_is_valid(NULL));
        ASSERT_FALSE(sha256_hex_is_valid(""));
        ASSERT_FALSE(sha256_hex_is_valid("ba7816bf"));
        ASSERT_FALSE(sha256_hex_is_valid(ABC_SHA256 "0"));
        ASSERT_FALSE(sha256_hex_is_valid("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
        ASSERT_FALSE(sha256_hex_is_valid("ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        ASSERT_FALSE(sha256_hex_is_valid("sha256:" ABC_SHA256));
}
