/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dlfcn.h>
#include <stdarg.h>

#include "dlopen-util.h"

int dlopen_many_sym(void **dl, const char *filename, ...) {
        void *handle;
        va_list ap;
        void **sym;

        if (*dl)
                return 0; /* loaded already */

        handle = dlopen(filename, RTLD_NOW | RTLD_NODELETE);
        if (!handle)
                return -EOPNOTSUPP;

        /* First check that every symbol is there, then set them all: the
         * pointers are either all valid or all untouched. */
        va_start(ap, filename);
        while ((sym = va_arg(ap, void **))) {
                const char *name = va_arg(ap, const char *);

                if (!dlsym(handle, name)) {
                        va_end(ap);
                        (void) dlclose(handle);
                        return -EOPNOTSUPP;
                }
        }
        va_end(ap);

        va_start(ap, filename);
        while ((sym = va_arg(ap, void **)))
                *sym = dlsym(handle, va_arg(ap, const char *));
        va_end(ap);

        *dl = handle;
        return 0;
}
