/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "image-store.h"
#include "machine-name.h"
#include "tests.h"

#define NAME_64 "a123456789012345678901234567890123456789012345678901234567890123"
#define NAME_65 NAME_64 "4"

TEST(valid_names) {
        static const char *const good[] = {
                "a", "web", "Web-1", "debian_12", "debian.12", "a.b.c", "a-", "a_", "_a", "0", "9lives", NAME_64,
        };

        ASSERT_EQ(strlen(NAME_64), 64);
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                if (!machine_name_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "machine name \"%s\" refused", good[i]);
                if (!hostname_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "hostname \"%s\" refused", good[i]);
        }
}

TEST(invalid_names) {
        static const char *const bad[] = {
                "",   "../x", "..",  ".",   "a/b",  "/a",       "a/",    NAME_65, ".a",
                "-a", "a..b", "a.",  "a b", " a",   "a\n",      "a\t",   "a:b",   "a\\b",
                "a*", "a$b",  "a@b", "a'b", "a\"b", "\xc3\xa4", "a\x7f", "a,b",   "x/../y",
        };

        ASSERT_EQ(strlen(NAME_65), 65);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (machine_name_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "machine name \"%s\" accepted", bad[i]);
                if (hostname_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "hostname \"%s\" accepted", bad[i]);
        }
        ASSERT_FALSE(machine_name_is_valid(NULL));
        ASSERT_FALSE(hostname_is_valid(NULL));
}

static void check_escape(const char *in, const char *out) {
        _cleanup_free_ char *e = unit_name_escape(in);

        ASSERT_NOT_NULL(e);
        if (!streq(e, out))
                tests_fail(__FILE__, __LINE__, "unit_name_escape(\"%s\") = \"%s\", expected \"%s\"", in, e, out);
}

/* The results systemd's unit_name_escape() gives (systemd-escape). */
TEST(unit_name_escape) {
        check_escape("", "");
        check_escape("web", "web");
        check_escape("Web_1:x", "Web_1:x");
        check_escape("foo-bar", "foo\\x2dbar");
        check_escape("a/b", "a-b");
        check_escape("/a/b", "-a-b");
        check_escape("a.b", "a.b");
        check_escape(".hidden", "\\x2ehidden");
        check_escape("..", "\\x2e.");
        check_escape("a\\b", "a\\x5cb");
        check_escape("a b", "a\\x20b");
        check_escape("a\tb", "a\\x09b");
        check_escape("\xc3\xa4", "\\xc3\\xa4");
        check_escape("a*?", "a\\x2a\\x3f");
        check_escape("-", "\\x2d");
}

TEST(image_names) {
        /* machined's rules: wider than a machine name */
        static const char *const good[] = { "web",
                                            ".hidden",
                                            "a b",
                                            "a:b",
                                            "d\xc3\xa9"
                                            "bian",
                                            NAME_65,
                                            "a..b",
                                            "-a" };
        static const char *const bad[] = { "", ".", "..", "a/b", ".#tmp", "a\n", "a\x7f", "\xc3", "\xff" };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!image_name_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "image name \"%s\" refused", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (image_name_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "image name \"%s\" taken", bad[i]);
}
