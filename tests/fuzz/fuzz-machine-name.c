/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include <stdlib.h>
#include <string.h>

#include "machine-name.h"
#include "machine-paths.h"
#include "string-util.h"

/* The name rules hold for whatever machine_name_is_valid() accepts, and the
 * unit name built from an accepted name is well-formed. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = strndup((const char *) data, size), *scope = NULL;
        size_t l;

        if (!s)
                return 0;
        if (!machine_name_is_valid(s))
                return 0;

        l = strlen(s);
        if (l == 0 || l > MACHINE_NAME_MAX || s[0] == '.' || s[0] == '-' || strstr(s, "..") || strchr(s, '/'))
                abort();
        scope = machine_scope_unit(s);
        if (!scope || !startswith(scope, "machine-") || !endswith(scope, ".scope") || strchr(scope, '/') ||
            strchr(scope + strlen("machine-"), '-'))
                abort();
        return 0;
}
