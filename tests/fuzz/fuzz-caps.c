/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "fuzz.h"
#include "string-util.h"

/* --capability= and Capability= values: what is accepted names known
 * capabilities only, and what it names formats and parses back the same. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = strndup((const char *) data, size), *text = NULL;
        const char *bad = NULL;
        size_t bad_len = 0;
        uint64_t set, again;

        if (!s)
                return 0;
        if (caps_parse_list(s, true, &set, &bad, &bad_len) < 0) {
                if (!bad || bad < s || bad + bad_len > s + strlen(s))
                        abort();
                return 0;
        }
        if (set & ~CAPS_ALL)
                abort();
        text = caps_format(set);
        if (!text || caps_parse_list(text, false, &again, &bad, &bad_len) < 0 || again != set)
                abort();
        return 0;
}
