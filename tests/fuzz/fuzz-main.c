/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "fuzz.h"
#include "path-util.h"

/* Replays fuzzer inputs without libFuzzer: each argument is a corpus file
 * or a directory of them, handed to the fuzzer's entry point one by one. A
 * crash, a sanitizer report or an abort() fails the test. Built with clang
 * -fsanitize=fuzzer instead of this file, the same fuzzers explore. */

static int replay_file(const char *path, unsigned *n) {
        char *data = NULL;
        size_t size = 0;

        if (read_full_file(path, &data, &size) < 0) {
                fprintf(stderr, "Failed to read %s\n", path);
                return -1;
        }
        (void) LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        free(data);
        (*n)++;
        return 0;
}

static int replay(const char *path, unsigned *n) {
        struct stat st;
        DIR *d;
        int r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "Failed to find %s\n", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return replay_file(path, n);

        d = opendir(path);
        if (!d)
                return -1;
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                char *p;

                if (de->d_name[0] == '.')
                        continue;
                p = path_join(path, de->d_name);
                if (!p) {
                        r = -1;
                        break;
                }
                r = replay_file(p, n);
                free(p);
        }
        closedir(d);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++)
                if (replay(argv[i], &n) < 0)
                        return EXIT_FAILURE;
        printf("%u inputs replayed\n", n);
        if (n > 0)
                return EXIT_SUCCESS;
        /* An empty corpus tests nothing: a skip, which CI doesn't allow. */
        const char *must = getenv("BERTH_TESTS_MUST_WORK");
        fprintf(stderr, "No inputs to replay.\n");
        return must && strcmp(must, "1") == 0 ? EXIT_FAILURE : 77;
}
