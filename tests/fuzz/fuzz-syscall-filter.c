/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "string-util.h"
#include "strv.h"
#include "syscall-groups.h"

/* --system-call-filter= and SystemCallFilter= values: what is accepted is
 * names and known groups only, and each expands. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = strndup((const char *) data, size);
        _cleanup_strv_free_ char **allow = NULL, **deny = NULL, **expanded = NULL;

        if (!s || syscall_filter_parse(s, &allow, &deny) < 0)
                return 0;
        if (strv_length(allow) + strv_length(deny) == 0)
                abort();
        STRV_FOREACH(w, allow) {
                if (**w == '@' ? !streq(*w, SYSCALL_GROUP_KNOWN) && !syscall_group_find(*w)
                               : !syscall_name_is_valid(*w))
                        abort();
                if (syscall_expand(*w, &expanded) < 0)
                        abort();
        }
        STRV_FOREACH(w, deny)
                if (syscall_expand(*w, &expanded) < 0)
                        abort();
        return 0;
}
