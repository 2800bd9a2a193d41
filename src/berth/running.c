/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log.h"
#include "machine-name.h"
#include "running.h"

int machine_get(const char *name, MachineRecord *ret) {
        int r;

        if (!machine_name_is_valid(name))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid machine name '%s'.", name);
        (void) registry_gc_one(MACHINES_DIR, name);
        r = registry_read(MACHINES_DIR, name, ret);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ESRCH), "Machine '%s' is not running.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to read the record of machine '%s': %m", name);
        return 0;
}
