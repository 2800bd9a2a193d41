/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include <stdlib.h>
#include <string.h>

#include "boot-config.h"
#include "custom-mount.h"
#include "path-util.h"

/* --bind, --bind-ro and --tmpfs values: what is accepted has absolute paths
 * without "..", so nothing can point out of the machine, and none goes
 * where the machine's own file systems are. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = strndup((const char *) data, size);
        BootConfig c;

        if (!s)
                return 0;
        boot_config_init(&c, BOOT_MODE_BOOT);
        (void) boot_config_add_bind(&c, s, false);
        (void) boot_config_add_bind(&c, s, true);
        (void) boot_config_add_tmpfs(&c, s);
        (void) boot_config_set_private_users(&c, s);
        for (size_t i = 0; i < c.n_mounts; i++) {
                const CustomMount *m = &c.mounts[i];
                if (!path_is_absolute(m->destination) || !path_has_no_dotdot(m->destination) ||
                    !custom_mount_destination_is_allowed(m->destination))
                        abort();
                if (m->type != CUSTOM_MOUNT_TMPFS && (!path_is_absolute(m->source)))
                        abort();
        }
        boot_config_done(&c);
        return 0;
}
