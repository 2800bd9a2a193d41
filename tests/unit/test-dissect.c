/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdlib.h>

#include "dissect.h"
#include "fd-util.h"
#include "string-util.h"
#include "tests.h"

/* The small disk images of the dissect fuzzer's corpus, each with what
 * dissect_image() must make of it. */

static int dissect_corpus_file(const char *name, DissectedImage *ret, char **ret_why) {
        const char *src = getenv("BERTH_SRC");
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (!src)
                tests_skip("BERTH_SRC is not set");
        path = strdup_printf("%s/tests/fuzz/corpus/fuzz-dissect/%s", src, name);
        ASSERT_NOT_NULL(path);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        return dissect_image(fd, ret, ret_why);
}

static void expect_root(const char *name, int partno, uint64_t offset) {
        _cleanup_(dissected_image_done) DissectedImage d = DISSECTED_IMAGE_NULL;
        _cleanup_free_ char *why = NULL;
        int r = dissect_corpus_file(name, &d, &why);

        if (r == -EOPNOTSUPP && !why)
                tests_skip("libblkid is not installed");
        ASSERT_OK(r);
        ASSERT_NULL(why);
        ASSERT_TRUE(d.root.found);
        ASSERT_EQ(d.root.partno, partno);
        ASSERT_EQ(d.root.offset, offset);
        ASSERT_STREQ(d.root.fstype, "ext4");
        ASSERT_FALSE(d.usr.found);
}

static void expect_refused(const char *name, int error, const char *says) {
        _cleanup_(dissected_image_done) DissectedImage d = DISSECTED_IMAGE_NULL;
        _cleanup_free_ char *why = NULL;
        int r = dissect_corpus_file(name, &d, &why);

        if (r == -EOPNOTSUPP && !why)
                tests_skip("libblkid is not installed");
        ASSERT_ERROR(r, error);
        ASSERT_NOT_NULL(why);
        ASSERT_NOT_NULL(strstr(why, says));
}

TEST(root_partition) {
        expect_root("gpt-root", 1, 40 * 512);
}

TEST(newest_label_wins) {
        /* "os_1.10" is newer than "os_1.9", as strverscmp() orders them. */
        expect_root("gpt-versions", 2, 168 * 512);
}

TEST(bare_file_system) {
        expect_root("bare-ext4", 0, 0);
}

TEST(refused) {
        expect_refused("gpt-two-roots", ENOTUNIQ, "two root partitions of the same label");
        expect_refused("gpt-no-root", ENXIO, "no root partition");
        expect_refused("pmbr-only", EBADMSG, "GPT can't be read");
        expect_refused("truncated", EBADMSG, "GPT can't be read");
}
