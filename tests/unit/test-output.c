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

/* A NULL-terminated list of string literals, for the char ** parameters. */
#define STRV(...) ((char **) (const char *[]) { __VA_ARGS__, NULL })

/* A machine as `berth status` and `berth show` have it: lines for people
 * and typed fields for scripts in one table, a list, a title. */
static const Column record_columns[] = {
        { "", "title", COLUMN_TEXT_ONLY },
        { "Name", "name", COLUMN_JSON_ONLY },
        { "Leader", "leader_text", COLUMN_TEXT_ONLY },
        { "Leader", "leader", COLUMN_JSON_ONLY },
        { "Ephemeral", "ephemeral" },
        { "OS", "os" },
        { "Console", "console" },
};

static Table *make_record_table(char *const *console) {
        Table *t = table_new(record_columns, ELEMENTSOF(record_columns));

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_string(t, "web(0123)"));
        ASSERT_OK(table_add_string(t, "web"));
        ASSERT_OK(table_add_string(t, "1234 (systemd)"));
        ASSERT_OK(table_add_uint(t, 1234));
        ASSERT_OK(table_add_bool(t, true));
        ASSERT_OK(table_add_null(t));
        ASSERT_OK(table_add_strv(t, console));
        return t;
}

static char *render_with(int (*print)(const Table *t, FILE *f), const Table *t) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ASSERT_NOT_NULL(f);
        ASSERT_OK(print(t, f));
        ASSERT_EQ(fclose(f), 0);
        ASSERT_NOT_NULL(buf);
        return buf;
}

static char *render_properties(const Table *t, char *const *only, bool value_only) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ASSERT_NOT_NULL(f);
        ASSERT_OK(table_print_properties(t, f, only, value_only));
        ASSERT_EQ(fclose(f), 0);
        ASSERT_NOT_NULL(buf);
        return buf;
}

static char *render_object(const Table *t, size_t row, char *const *only) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ASSERT_NOT_NULL(f);
        ASSERT_OK(table_print_json_object(t, row, only, f));
        ASSERT_EQ(fclose(f), 0);
        ASSERT_NOT_NULL(buf);
        return buf;
}

TEST(table_print_fields_golden) {
        char **console = STRV("Debian GNU/Linux 12 web console", "", "web login: ");
        _cleanup_(table_freep) Table *t = make_record_table(console);
        _cleanup_free_ char *out = render_with(table_print_fields, t);

        /* Headers right-aligned to the longest one people see ("Ephemeral");
         * the JSON-only columns are left out; a list's items one a line,
         * empty ones kept (without trailing blanks); NULL is "-". */
        assert_output(out, "web(0123)\n"
                           "   Leader: 1234 (systemd)\n"
                           "Ephemeral: yes\n"
                           "       OS: -\n"
                           "  Console: Debian GNU/Linux 12 web console\n"
                           "\n"
                           "           web login: \n");
}

TEST(table_print_fields_rows) {
        _cleanup_(table_freep) Table *t = make_record_table(NULL);
        _cleanup_free_ char *out = NULL;

        /* A second machine, with a one-line console. */
        ASSERT_OK(table_add_string(t, "db(4567)"));
        ASSERT_OK(table_add_string(t, "db"));
        ASSERT_OK(table_add_null(t));
        ASSERT_OK(table_add_null(t));
        ASSERT_OK(table_add_bool(t, false));
        ASSERT_OK(table_add_string(t, "Fedora Linux 40"));
        ASSERT_OK(table_add_strv(t, STRV("db login:")));
        out = render_with(table_print_fields, t);
        assert_output(out, "web(0123)\n"
                           "   Leader: 1234 (systemd)\n"
                           "Ephemeral: yes\n"
                           "       OS: -\n"
                           "  Console: -\n"
                           "\n"
                           "db(4567)\n"
                           "   Leader: -\n"
                           "Ephemeral: no\n"
                           "       OS: Fedora Linux 40\n"
                           "  Console: db login:\n");
}

TEST(table_print_fields_empty) {
        _cleanup_(table_freep) Table *t = table_new(record_columns, ELEMENTSOF(record_columns));
        _cleanup_free_ char *out = NULL;

        ASSERT_NOT_NULL(t);
        out = render_with(table_print_fields, t);
        assert_output(out, "");
}

TEST(table_print_json_lists_and_flags) {
        char **console = STRV("say \"hi\"", "\t\x1b");
        _cleanup_(table_freep) Table *t = make_record_table(console);
        _cleanup_free_ char *out = render(t, true, NULL, NULL), *empty = NULL;

        /* Without the TEXT_ONLY columns; a list is an array. */
        assert_output(out, "[{\"name\":\"web\",\"leader\":1234,\"ephemeral\":true,\"os\":null,"
                           "\"console\":[\"say \\\"hi\\\"\",\"\\t\\u001b\"]}]\n");

        table_free(TAKE_PTR(t));
        t = make_record_table(NULL);
        empty = render(t, true, NULL, NULL);
        assert_output(empty, "[{\"name\":\"web\",\"leader\":1234,\"ephemeral\":true,\"os\":null,\"console\":[]}]\n");
}

TEST(table_print_columns_skip_json_only) {
        char **console = STRV("a", "b");
        _cleanup_(table_freep) Table *t = make_record_table(console);
        _cleanup_free_ char *out = render(t, false, NULL, NULL);

        /* The list's items joined by spaces in a column; the last visible
         * column is not padded. */
        assert_output(out, "          Leader         Ephemeral OS Console\n"
                           "web(0123) 1234 (systemd) yes       -  a b\n");
}

TEST(table_print_json_object_golden) {
        char **console = STRV("login:");
        char **only = STRV("leader", "console", "nosuch", "leader_text");
        char *none[] = { NULL };
        _cleanup_(table_freep) Table *t = make_record_table(console);
        _cleanup_free_ char *all = render_object(t, 0, NULL), *some = render_object(t, 0, only),
                            *nothing = render_object(t, 0, none);

        assert_output(all,
                      "{\"name\":\"web\",\"leader\":1234,\"ephemeral\":true,\"os\":null,\"console\":[\"login:\"]}\n");
        /* Only the keys asked for, in the table's order; unknown keys and
         * TEXT_ONLY columns give nothing. */
        assert_output(some, "{\"leader\":1234,\"console\":[\"login:\"]}\n");
        assert_output(nothing, "{}\n");
        ASSERT_ERROR(table_print_json_object(t, 1, NULL, stdout), ERANGE);
}

static const Column property_columns[] = {
        { "Name", "Name" },
        { "Leader", "Leader" },
        { "Timestamp", "Timestamp", COLUMN_TEXT_ONLY },
        { "Timestamp", "Timestamp", COLUMN_JSON_ONLY },
        { "Ephemeral", "Ephemeral" },
        { "RootDirectory", "RootDirectory" },
        { "Addresses", "Addresses" },
};

static Table *make_property_table(void) {
        Table *t = table_new(property_columns, ELEMENTSOF(property_columns));

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_string(t, "web"));
        ASSERT_OK(table_add_uint(t, 1234));
        ASSERT_OK(table_add_string(t, "Tue 2026-11-24 10:00:00 UTC"));
        ASSERT_OK(table_add_uint(t, UINT64_C(1795514400000000)));
        ASSERT_OK(table_add_bool(t, false));
        ASSERT_OK(table_add_null(t));
        ASSERT_OK(table_add_strv(t, STRV("10.0.0.2", "fd00::2")));
        return t;
}

TEST(table_print_properties_golden) {
        _cleanup_(table_freep) Table *t = make_property_table();
        _cleanup_free_ char *out = render_properties(t, NULL, false);

        /* NULL is an empty value, a list space-separated, the JSON-only
         * Timestamp left out. */
        assert_output(out, "Name=web\n"
                           "Leader=1234\n"
                           "Timestamp=Tue 2026-11-24 10:00:00 UTC\n"
                           "Ephemeral=no\n"
                           "RootDirectory=\n"
                           "Addresses=10.0.0.2 fd00::2\n");
}

TEST(table_print_properties_only) {
        char **only = STRV("Ephemeral", "Name", "Bogus");
        char **unknown = STRV("Bogus", "name");
        _cleanup_(table_freep) Table *t = make_property_table();
        _cleanup_free_ char *some = render_properties(t, only, false), *values = render_properties(t, only, true),
                            *all_values = render_properties(t, NULL, true),
                            *none = render_properties(t, unknown, false);

        /* In the table's order, not the order asked for; names are exact. */
        assert_output(some, "Name=web\nEphemeral=no\n");
        assert_output(values, "web\nno\n");
        assert_output(all_values, "web\n1234\nTue 2026-11-24 10:00:00 UTC\nno\n\n10.0.0.2 fd00::2\n");
        assert_output(none, "");
}

TEST(table_print_properties_rows) {
        static const Column c[] = { { "A", "a" }, { "B", "b" } };
        _cleanup_(table_freep) Table *t = table_new(c, ELEMENTSOF(c));
        _cleanup_free_ char *out = NULL;

        ASSERT_NOT_NULL(t);
        ASSERT_OK(table_add_string(t, "1"));
        ASSERT_OK(table_add_int(t, -2));
        ASSERT_OK(table_add_strv(t, NULL));
        ASSERT_OK(table_add_string(t, "x y"));
        out = render_properties(t, NULL, false);
        assert_output(out, "A=1\nB=-2\n\nA=\nB=x y\n");
}

TEST(table_print_json_object_properties) {
        _cleanup_(table_freep) Table *t = make_property_table();
        _cleanup_free_ char *out = render_object(t, 0, NULL);

        /* The JSON-only Timestamp: a number. */
        assert_output(out, "{\"Name\":\"web\",\"Leader\":1234,\"Timestamp\":1795514400000000,\"Ephemeral\":false,"
                           "\"RootDirectory\":null,\"Addresses\":[\"10.0.0.2\",\"fd00::2\"]}\n");
}
