/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include <stdio.h>
#include <stdlib.h>

#include "mount-table.h"
#include "strv.h"

/* A mountinfo text (as a hostile machine could make its own look) parses
 * without crashing; what is listed is below the prefix. The first line of
 * the input is used as an option string too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = NULL, *opts = NULL;
        unsigned long flags;
        FILE *f;

        copy = strndup((const char *) data, size);
        if (!copy)
                return 0;
        copy[strcspn(copy, "\n")] = '\0';
        (void) mount_options_parse(copy, &flags, &opts);

        f = fmemopen((void *) data, size, "r");
        if (!f)
                return 0;
        if (mount_table_list_under(f, "/run", &l) >= 0)
                STRV_FOREACH(m, l)
                        if (strncmp(*m, "/run", 4) != 0)
                                abort();
        fclose(f);
        return 0;
}
