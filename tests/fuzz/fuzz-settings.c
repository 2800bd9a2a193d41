/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "path-util.h"
#include "settings.h"
#include "string-util.h"
#include "strv.h"

/* Settings files come from beside downloaded images, so anything may be in
 * them. Whatever the text: it parses or is refused with a "FILE:LINE:"
 * message; an untrusted file never sets what could reach the host; every
 * message is free of control characters; and what parses merges, in every
 * mode, into a command line's config. */

static void check_message(const char *m) {
        if (!m || !startswith(m, "fuzz.berth:"))
                abort();
        for (const char *c = m; *c; c++)
                if ((unsigned char) *c < ' ' || *c == 0x7f)
                        abort();
}

static void check_config(const BootConfig *s, bool trusted) {
        /* what systemd-nspawn refuses from an untrusted file, and [Resources] */
        const uint64_t unsafe = SETTING_PRIVATE_USERS | SETTING_OWNERSHIP | SETTING_NETWORK | SETTING_PROPERTIES |
                                SETTING_EPHEMERAL | SETTING_UUID | SETTING_CUSTOM_MOUNTS;

        if (!trusted && ((s->set_by & unsafe) || s->resources.set != 0 || s->n_mounts != 0))
                abort();
        /* `berth run` only */
        if (s->mode == BOOT_MODE_BOOT && ((s->set_by & (SETTING_AS_PID2 | SETTING_USER)) || s->as_pid2 || s->user))
                abort();
        for (size_t i = 0; i < s->n_mounts; i++) {
                const CustomMount *m = &s->mounts[i];

                if (!path_is_absolute(m->destination) || !path_has_no_dotdot(m->destination))
                        abort();
                if (m->type != CUSTOM_MOUNT_TMPFS && (!trusted || !path_is_absolute(m->source)))
                        abort();
        }
        if (!!s->n_mounts != !!(s->set_by & SETTING_CUSTOM_MOUNTS))
                abort();
}

static void merge_all(const BootConfig *s) {
        for (SettingsMode mode = 0; mode < _SETTINGS_MODE_MAX; mode++) {
                _cleanup_(boot_config_done) BootConfig c = {};

                boot_config_init(&c, s->mode);
                c.hostname = strdup("cli");
                if (!c.hostname || boot_config_add_environment(&c, "A=cli") < 0 ||
                    boot_config_add_tmpfs(&c, "/cli") < 0)
                        return;
                c.set_by |= SETTING_HOSTNAME;

                if (settings_merge(&c, s, mode) < 0)
                        abort();
                if (mode != SETTINGS_OVERRIDE && !streq(c.hostname, "cli"))
                        abort();
                /* mounts are one setting: the winner's list, whole */
                if (c.n_mounts != (mode == SETTINGS_OVERRIDE && s->n_mounts > 0 ? s->n_mounts : 1))
                        abort();
                if (!strv_env_get(c.environment, "A"))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = strndup((const char *) data, size);

        if (!text)
                return 0;
        for (int trusted = 0; trusted <= 1; trusted++)
                for (BootMode mode = 0; mode < _BOOT_MODE_MAX; mode++) {
                        _cleanup_(boot_config_done) BootConfig s = {};
                        _cleanup_strv_free_ char **warnings = NULL;
                        _cleanup_free_ char *error = NULL;
                        int r;

                        r = settings_parse_text(text, "fuzz.berth", trusted, mode, &s, &warnings, &error);
                        if (r == -ENOMEM)
                                continue;
                        if (r < 0) {
                                if (r != -EBADMSG)
                                        abort();
                                check_message(error);
                                continue;
                        }
                        if (error || s.mode != mode)
                                abort();
                        STRV_FOREACH(w, warnings)
                                check_message(*w);
                        check_config(&s, trusted);
                        merge_all(&s);
                }
        return 0;
}
