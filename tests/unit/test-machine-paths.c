/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <net/if.h>

#include "machine-paths.h"
#include "network-config.h"
#include "string-util.h"
#include "tests.h"

static bool is_lower_hex(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[n] == '\0';
}

TEST(link_name_short) {
        static const struct {
                const char *prefix, *name, *expected;
        } cases[] = {
                { "ve-", "web", "ve-web" },
                { "vb-", "web", "vb-web" },
                { "ve-", "a", "ve-a" },
                { "ve-", "abcdefghijkl", "ve-abcdefghijkl" }, /* 15: the longest kept */
                { "vb-", "db.example-1", "vb-db.example-1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *l = machine_link_name(cases[i].prefix, cases[i].name);

                ASSERT_STREQ(l, cases[i].expected);
                ASSERT_TRUE(ifname_is_valid(l));
        }
}

TEST(link_name_long) {
        static const char *const names[] = {
                "abcdefghijklm", /* 13: one too many */
                "debian-bookworm-1", "debian-bookworm-2",
                "debian-trixie",     "a-machine-name-that-is-as-long-as-a-hostname-may-be-in-one-label-x",
        };
        char *links[ELEMENTSOF(names)];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *again = machine_link_name("vb-", names[i]);

                links[i] = machine_link_name("vb-", names[i]);
                ASSERT_NOT_NULL(links[i]);
                /* the longest a link name can be, and one */
                ASSERT_EQ(strlen(links[i]), IFNAMSIZ - 1);
                ASSERT_TRUE(ifname_is_valid(links[i]));
                /* prefix, the name's first three, '~', eight hex digits */
                ASSERT_TRUE(strncmp(links[i], "vb-", 3) == 0);
                ASSERT_TRUE(strncmp(links[i] + 3, names[i], 3) == 0);
                ASSERT_TRUE(links[i][6] == '~');
                ASSERT_TRUE(is_lower_hex(links[i] + 7, 8));
                /* the same each time */
                ASSERT_STREQ(again, links[i]);
        }
        /* different names, different links, even with the same start */
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                for (size_t j = i + 1; j < ELEMENTSOF(names); j++)
                        if (streq(links[i], links[j]))
                                tests_fail(__FILE__, __LINE__, "\"%s\" and \"%s\" share link %s", names[i], names[j],
                                           links[i]);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                free(links[i]);

        /* FNV-1a, the low 32 bits: remembered in records, so stable */
        _cleanup_free_ char *l = machine_link_name("vb-", "debian-bookworm-1");
        ASSERT_STREQ(l, "vb-deb~4eb4223f");
        _cleanup_free_ char *v = machine_link_name("ve-", "debian-bookworm-1");
        ASSERT_STREQ(v, "ve-deb~4eb4223f");
}

TEST(zone_bridge_name) {
        _cleanup_free_ char *a = zone_bridge_name("blue"), *b = zone_bridge_name("abcdefghijkl");

        ASSERT_STREQ(a, "vz-blue");
        ASSERT_STREQ(b, "vz-abcdefghijkl");
        ASSERT_TRUE(ifname_is_valid(b));
}
