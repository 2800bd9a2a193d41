/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include <stdlib.h>

#include "notify.h"

/* Datagrams on /run/host/notify come from inside a machine. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NotifyMessage m;

        if (notify_parse((const char *) data, size, &m) < 0)
                return 0;
        if (m.exit_status < -1 || m.exit_status > 255)
                abort();
        notify_message_done(&m);
        return 0;
}
