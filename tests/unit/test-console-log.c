/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>

#include "console-log.h"
#include "fileio.h"
#include "strv.h"
#include "tests.h"

static char *read_all(const char *path, size_t *ret_size) {
        char *text = NULL;

        ASSERT_OK(read_full_file_at(AT_FDCWD, path, CONSOLE_LOG_MAX * 2, &text, ret_size));
        return text;
}

TEST(open_append_free) {
        _cleanup_free_ char *path = tests_path("console/m"), *text = NULL;
        ConsoleLog *l = NULL;

        /* Parents are made. */
        ASSERT_OK(console_log_open(path, &l));
        console_log_append(l, "hello\n", 6);
        console_log_append(l, "world\n", 6);
        text = read_all(path, NULL);
        ASSERT_STREQ(text, "hello\nworld\n");
        /* Freeing removes the file. */
        l = console_log_free(l);
        ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
        console_log_append(NULL, "x", 1); /* harmless */
}

TEST(bounded) {
        _cleanup_free_ char *path = tests_path("m"), *text = NULL, *chunk = malloc(1000);
        _cleanup_(console_log_freep) ConsoleLog *l = NULL;
        size_t size;

        ASSERT_NOT_NULL(chunk);
        ASSERT_OK(console_log_open(path, &l));
        for (int i = 0; i < 100; i++) {
                memset(chunk, 'a' + i % 26, 1000);
                console_log_append(l, chunk, 1000);
        }
        /* 100 kB written: the file was cut to the last CONSOLE_LOG_KEEP
         * bytes once it passed CONSOLE_LOG_MAX, and grew again since. */
        text = read_all(path, &size);
        ASSERT_TRUE(size <= CONSOLE_LOG_MAX);
        ASSERT_TRUE(size >= CONSOLE_LOG_KEEP);
        /* It ends with the last chunk, whole. */
        for (size_t i = size - 1000; i < size; i++)
                ASSERT_EQ(text[i], 'a' + 99 % 26);
        ASSERT_EQ(text[size - 1001], 'a' + 98 % 26);
}

TEST(tail) {
        _cleanup_free_ char *path = tests_path("m");
        _cleanup_(console_log_freep) ConsoleLog *l = NULL;
        _cleanup_strv_free_ char **lines = NULL, **all = NULL;
        static const char text[] = "one\r\n\033[1;32mtwo\033[0m\n\n\nthree\033]0;title\007\nfour";

        ASSERT_OK(console_log_open(path, &l));
        console_log_append(l, text, sizeof text - 1);

        ASSERT_OK(console_log_tail(path, 2, &lines));
        ASSERT_EQ(strv_length(lines), 2);
        ASSERT_TRUE(strncmp(lines[0], "three", 5) == 0);
        ASSERT_STREQ(lines[1], "four");

        /* Colours and carriage returns go; empty lines don't count. */
        ASSERT_OK(console_log_tail(path, 10, &all));
        ASSERT_EQ(strv_length(all), 4);
        ASSERT_STREQ(all[0], "one");
        ASSERT_STREQ(all[1], "two");
}

TEST(tail_missing) {
        _cleanup_free_ char *path = tests_path("none");
        char **lines = NULL;

        ASSERT_ERROR(console_log_tail(path, 3, &lines), ENOENT);
        ASSERT_NULL(lines);
}
