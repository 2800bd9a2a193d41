/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <selinux/selinux.h>

#include "dlopen-util.h"
#include "selinux-util.h"
#include "string-util.h"

/* libselinux, loaded when a context is asked for. */
DLOPEN_NOTE(selinux, "SELinux contexts of machines (-Z, -L)", "suggested", "libselinux.so.1");
static void *libselinux_dl;
static DLSYM_PROTOTYPE(is_selinux_enabled);
static DLSYM_PROTOTYPE(security_check_context);
static DLSYM_PROTOTYPE(setexeccon);

static int dlopen_libselinux(void) {
        return dlopen_many_sym(&libselinux_dl, "libselinux.so.1", DLSYM_ARG(is_selinux_enabled),
                               DLSYM_ARG(security_check_context), DLSYM_ARG(setexeccon), NULL);
}

bool selinux_enabled(void) {
        static int cached = -1;

        if (cached < 0)
                cached = dlopen_libselinux() >= 0 && sym_is_selinux_enabled() > 0;
        return cached;
}

int selinux_check_context(const char *context) {
        if (!selinux_enabled())
                return -EOPNOTSUPP;
        return sym_security_check_context(context) < 0 ? -EINVAL : 0;
}

int selinux_set_exec_context(const char *context) {
        if (!context)
                return 0;
        if (!selinux_enabled())
                return -EOPNOTSUPP;
        return RET_NERRNO(sym_setexeccon(context));
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
