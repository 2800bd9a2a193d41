/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include <stdlib.h>
#include <string.h>

#include "registry.h"

/* A record file parses or is refused; what parses formats and parses back
 * to the same record. Records are read by every berth command, and whoever
 * can write /run/berth could try to lead one astray with them. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = strndup((const char *) data, size), *again = NULL, *again2 = NULL;
        MachineRecord m = {}, n = {};

        if (!text || registry_parse(text, &m) < 0)
                return 0;
        if (registry_format(&m, &again) >= 0) {
                if (registry_parse(again, &n) < 0)
                        abort();
                if (registry_format(&n, &again2) < 0 || strcmp(again, again2) != 0)
                        abort();
        }
        machine_record_done(&m);
        machine_record_done(&n);
        return 0;
}
