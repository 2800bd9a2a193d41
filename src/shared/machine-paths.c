/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <net/if.h>
#include <stdint.h>

#include "id128.h"
#include "machine-name.h"
#include "machine-paths.h"
#include "path-util.h"
#include "string-util.h"

char *machine_console_log_path(const char *name) {
        return path_join(CONSOLE_LOG_DIR, name);
}

char *machine_seccomp_path(const char *name) {
        return path_join(SECCOMP_DIR, name);
}

char *machine_start_log_path(const char *name) {
        return strdup_printf("%s/%s.log", BERTH_LOG_DIR, name);
}

char *machine_service_unit(const char *name) {
        return strjoin("berth@", name, ".service");
}

char *machine_scope_unit(const char *name) {
        _cleanup_free_ char *e = unit_name_escape(name);

        if (!e)
                return NULL;
        return strjoin("machine-", e, ".scope");
}

char *machine_image_path(const char *image_dir, const char *name) {
        return path_join(image_dir, name);
}

char *machine_image_lock_path(const char *tree) {
        _cleanup_free_ char *dir = NULL, *last = NULL;

        if (path_split_last(tree, &dir, &last) < 0)
                return NULL;
        return strdup_printf("%s/.#%s.lck", dir, last);
}

char *machine_image_global_lock_path(dev_t dev, ino_t ino) {
        return strdup_printf("/run/systemd/nspawn/locks/inode-%lu:%lu", (unsigned long) dev, (unsigned long) ino);
}

char *machine_link_name(const char *prefix, const char *name) {
        if (strlen(prefix) + strlen(name) < IFNAMSIZ)
                return strjoin(prefix, name);
        return strdup_printf("%s%.3s~%08x", prefix, name, (unsigned) (uint32_t) hash_fnv1a64(name, strlen(name)));
}

char *zone_bridge_name(const char *zone) {
        return strjoin("vz-", zone);
}
