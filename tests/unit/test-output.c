/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "output.h"
#include "tests.h"

static const Column columns[] = {
        { "MACHINE", "machine" },
        { "STATE", "state" },
        { "LEADER", "leader" },
        { "EPHEMERAL", "ephemeral" },
};

/* Two rows: one full, one with NULL cells. */
static Table *make_table(void) {
        Table *t = table_new(columns, ELEMENTSOF(columns));

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_string(t, "alpha"));
        ASSERT_OK(table_add_string(t, "running"));
        ASSERT_OK(table_add_uint(t, 1234));
        ASSERT_OK(table_add_bool(t, true));

        ASSERT_OK(table_add_string(t, "b"));
        ASSERT_OK(table_add_string(t, NULL));
        ASSERT_OK(table_add_null(t));
        ASSERT_OK(table_add_bool(t, false));
        ASSERT_EQ(table_rows(t), 2);
        return t;
}

/* Runs table_print() or table_print_json() into a string. */
static char *render(const Table *t, bool json, const char *singular, const char *plural) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ASSERT_NOT_NULL(f);
        if (json)
                ASSERT_OK(table_print_json(t, f));
        else
                ASSERT_OK(table_print(t, f, singular, plural));
        ASSERT_EQ(fclose(f), 0);
        ASSERT_NOT_NULL(buf);
        return buf;
}

static void assert_output(const char *got, const char *expected) {
        if (!streq(got, expected))
                tests_fail(__FILE__, __LINE__, "output:\n%s\nexpected:\n%s", got, expected);
}

TEST(table_print_golden) {
        _cleanup_(table_freep) Table *t = make_table();
        _cleanup_free_ char *out = render(t, false, "machine", "machines");

        assert_output(out, "MACHINE STATE   LEADER EPHEMERAL\n"
                           "alpha   running 1234   yes\n"
                           "b       -       -      no\n"
                           "\n"
                           "2 machines listed.\n");
}

TEST(table_print_without_legend) {
        _cleanup_(table_freep) Table *t = make_table();
        _cleanup_free_ char *out = render(t, false, NULL, NULL);

        assert_output(out, "MACHINE STATE   LEADER EPHEMERAL\n"
                           "alpha   running 1234   yes\n"
                           "b       -       -      no\n");
}

TEST(table_print_one_row) {
        static const Column two[] = { { "A", "a" }, { "NUMBER", "number" } };
        _cleanup_(table_freep) Table *t = table_new(two, ELEMENTSOF(two));
        _cleanup_free_ char *out = NULL;

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_string(t, "a-long-value"));
        ASSERT_OK(table_add_int(t, -42));
        out = render(t, false, "machine", "machines");
        /* the widest cell sets the width; the last column is not padded */
        assert_output(out, "A            NUMBER\n"
                           "a-long-value -42\n"
                           "\n"
                           "1 machine listed.\n");
}

TEST(table_print_empty) {
        _cleanup_(table_freep) Table *t = table_new(columns, ELEMENTSOF(columns));
        _cleanup_free_ char *out = NULL, *bare = NULL;

        ASSERT_NOT_NULL(t);
        ASSERT_EQ(table_rows(t), 0);
        out = render(t, false, "machine", "machines");
        assert_output(out, "0 machines listed.\n"); /* no header */
        bare = render(t, false, NULL, NULL);
        assert_output(bare, "");
}

TEST(table_print_json_golden) {
        _cleanup_(table_freep) Table *t = make_table();
        _cleanup_free_ char *out = render(t, true, NULL, NULL);

        assert_output(out, "[{\"machine\":\"alpha\",\"state\":\"running\",\"leader\":1234,\"ephemeral\":true},"
                           "{\"machine\":\"b\",\"state\":null,\"leader\":null,\"ephemeral\":false}]\n");
}

TEST(table_print_json_empty) {
        _cleanup_(table_freep) Table *t = table_new(columns, ELEMENTSOF(columns));
        _cleanup_free_ char *out = render(t, true, NULL, NULL);

        assert_output(out, "[]\n");
}

TEST(table_print_json_numbers) {
        static const Column c[] = { { "U", "u" }, { "I", "i" }, { "Z", "z" } };
        _cleanup_(table_freep) Table *t = table_new(c, ELEMENTSOF(c));
        _cleanup_free_ char *out = NULL, *text = NULL;

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_uint(t, UINT64_MAX));
        ASSERT_OK(table_add_int(t, INT64_MIN));
        ASSERT_OK(table_add_uint(t, 0));
        out = render(t, true, NULL, NULL);
        assert_output(out, "[{\"u\":18446744073709551615,\"i\":-9223372036854775808,\"z\":0}]\n");
        text = render(t, false, NULL, NULL);
        assert_output(text, "U                    I                    Z\n"
                            "18446744073709551615 -9223372036854775808 0\n");
}

/* What a machine's os-release or a path may contain ends up in strings:
 * quotes, backslashes, control characters and non-ASCII text. */
TEST(table_print_json_escaping) {
        static const Column c[] = { { "S", "s" }, { "KEY \"q\"", "key \"q\"" } };
        _cleanup_(table_freep) Table *t = table_new(c, ELEMENTSOF(c));
        _cleanup_free_ char *out = NULL;

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_string(t, "say \"hi\" \\o/ ¡olé! 日本\n\t\x01"));
        ASSERT_OK(table_add_string(t, "/var/lib/machines/x"));
        out = render(t, true, NULL, NULL);
        assert_output(out, "[{\"s\":\"say \\\"hi\\\" \\\\o/ ¡olé! 日本\\n\\t\\u0001\","
                           "\"key \\\"q\\\"\":\"/var/lib/machines/x\"}]\n");
}
