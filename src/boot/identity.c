/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "boot.h"
#include "log.h"

int boot_identify(const BootConfig *c, MachineIdentity *ret) {
        IdentityProblem problem;
        int r;

        r = machine_identity_resolve(c->directory, c->image, c->machine, BERTH_IMAGE_DIR, ret, &problem);
        if (r >= 0)
                return 0;
        if (r == -ENOMEM)
                return log_oom();

        switch (problem) {
        case IDENTITY_NO_IMAGE:
                return log_error_errno(r, "Failed to find image '%s': %m", c->machine);
        case IDENTITY_NO_DIRECTORY:
                return log_error_errno(r, "Failed to find %s '%s': %m", c->image ? "image" : "directory",
                                       ret->path ?: ".");
        case IDENTITY_HOST_ROOT:
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Refusing to boot the host's root directory.");
        case IDENTITY_BAD_PATH:
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Refusing directory path with control characters.");
        case IDENTITY_BAD_NAME:
                return log_usage("%s name '%s' is not a valid machine name; name the machine with -M.",
                                 c->image ? "Image" : "Directory", ret->name);
        default:
                return log_error_errno(r, "Failed to find the machine's tree: %m");
        }
}
