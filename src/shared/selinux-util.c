/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <selinux/selinux.h>

#include "selinux-util.h"
#include "string-util.h"

bool selinux_enabled(void) {
        static int cached = -1;

        if (cached < 0)
                cached = is_selinux_enabled() > 0;
        return cached;
}

int selinux_check_context(const char *context) {
        if (!selinux_enabled())
                return -EOPNOTSUPP;
        return security_check_context(context) < 0 ? -EINVAL : 0;
}

int selinux_set_exec_context(const char *context) {
        if (!context)
                return 0;
        return RET_NERRNO(setexeccon(context));
}

int selinux_mount_options(const char *options, const char *context, char **ret) {
        char *r;

        if (!context)
                r = strdup(strempty(options));
        else if (isempty(options))
                r = strjoin("context=\"", context, "\"");
        else
                r = strjoin(options, ",context=\"", context, "\"");
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}
