/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "boot-config.h"
#include "caps.h"
#include "custom-mount.h"
#include "syscall-groups.h"
#include "parse-util.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

static const char *const boot_mode_table[_BOOT_MODE_MAX] = {
        [BOOT_MODE_BOOT] = "boot",
        [BOOT_MODE_RUN] = "run",
};
DEFINE_STRING_TABLE_LOOKUP(boot_mode, BootMode);

static const char *const private_users_table[_PRIVATE_USERS_MAX] = {
        [PRIVATE_USERS_NO] = "no",
        [PRIVATE_USERS_PICK] = "pick",
        [PRIVATE_USERS_IDENTITY] = "identity",
        [PRIVATE_USERS_FIXED] = "fixed",
};
DEFINE_STRING_TABLE_LOOKUP(private_users, PrivateUsers);

static const char *const ownership_table[_OWNERSHIP_MAX] = {
        [OWNERSHIP_AUTO] = "auto",
        [OWNERSHIP_MAP] = "map",
        [OWNERSHIP_CHOWN] = "chown",
        [OWNERSHIP_OFF] = "off",
};
DEFINE_STRING_TABLE_LOOKUP(ownership, Ownership);

static const char *const console_mode_table[_CONSOLE_MODE_MAX] = {
        [CONSOLE_INTERACTIVE] = "interactive", [CONSOLE_READ_ONLY] = "read-only",
        [CONSOLE_PASSIVE] = "passive",         [CONSOLE_PIPE] = "pipe",
        [CONSOLE_AUTOPIPE] = "autopipe",
};
DEFINE_STRING_TABLE_LOOKUP(console_mode, ConsoleMode);

static const char *const link_journal_table[_LINK_JOURNAL_MAX] = {
        [LINK_JOURNAL_NO] = "no",       [LINK_JOURNAL_HOST] = "host",           [LINK_JOURNAL_TRY_HOST] = "try-host",
        [LINK_JOURNAL_GUEST] = "guest", [LINK_JOURNAL_TRY_GUEST] = "try-guest", [LINK_JOURNAL_AUTO] = "auto",
};
DEFINE_STRING_TABLE_LOOKUP(link_journal, LinkJournal);

static const char *const custom_mount_type_table[_CUSTOM_MOUNT_TYPE_MAX] = {
        [CUSTOM_MOUNT_BIND] = "bind",       [CUSTOM_MOUNT_BIND_RO] = "bind-ro",       [CUSTOM_MOUNT_TMPFS] = "tmpfs",
        [CUSTOM_MOUNT_OVERLAY] = "overlay", [CUSTOM_MOUNT_OVERLAY_RO] = "overlay-ro",
};
DEFINE_STRING_TABLE_LOOKUP(custom_mount_type, CustomMountType);

static const char *const volatile_mode_table[_VOLATILE_MODE_MAX] = {
        [VOLATILE_NO] = "no",
        [VOLATILE_YES] = "yes",
        [VOLATILE_STATE] = "state",
        [VOLATILE_OVERLAY] = "overlay",
};

VolatileMode volatile_mode_from_string(const char *s) {
        VolatileMode m = (VolatileMode) string_table_lookup(volatile_mode_table, ELEMENTSOF(volatile_mode_table), s);
        int r;

        if (m >= 0 || !s)
                return m;
        r = parse_boolean(s);
        if (r < 0)
                return _VOLATILE_MODE_INVALID;
        return r ? VOLATILE_YES : VOLATILE_NO;
}

const char *volatile_mode_to_string(VolatileMode m) {
        return (size_t) m < ELEMENTSOF(volatile_mode_table) ? volatile_mode_table[m] : NULL;
}

RegisterMode register_mode_from_string(const char *s) {
        int r;

        if (!s)
                return _REGISTER_MODE_INVALID;
        if (streq(s, "auto"))
                return REGISTER_AUTO;
        r = parse_boolean(s);
        if (r < 0)
                return _REGISTER_MODE_INVALID;
        return r ? REGISTER_YES : REGISTER_NO;
}

const char *register_mode_to_string(RegisterMode m) {
        static const char *const table[_REGISTER_MODE_MAX] = {
                [REGISTER_NO] = "no",
                [REGISTER_YES] = "yes",
                [REGISTER_AUTO] = "auto",
        };
        return (size_t) m < ELEMENTSOF(table) ? table[m] : NULL;
}

static const char *const settings_mode_table[_SETTINGS_MODE_MAX] = {
        [SETTINGS_NO] = "no",
        [SETTINGS_YES] = "yes",
        [SETTINGS_TRUSTED] = "trusted",
        [SETTINGS_OVERRIDE] = "override",
};

SettingsMode settings_mode_from_string(const char *s) {
        SettingsMode m = (SettingsMode) string_table_lookup(settings_mode_table, ELEMENTSOF(settings_mode_table), s);
        int r;

        if (m >= 0 || !s)
                return m;
        /* systemd-nspawn's --settings= takes any boolean word too. */
        r = parse_boolean(s);
        if (r < 0)
                return _SETTINGS_MODE_INVALID;
        return r ? SETTINGS_YES : SETTINGS_NO;
}

const char *settings_mode_to_string(SettingsMode m) {
        return (size_t) m < ELEMENTSOF(settings_mode_table) ? settings_mode_table[m] : NULL;
}

bool boot_config_private_network(const BootConfig *c) {
        return c->private_network || network_config_private(&c->network);
}

void boot_config_init(BootConfig *c, BootMode mode) {
        *c = (BootConfig) {
                .mode = mode,
                .private_users = PRIVATE_USERS_PICK,
                .ownership = OWNERSHIP_AUTO,
                .console = _CONSOLE_MODE_INVALID, /* decided from the terminal */
                .timeout = USEC_INFINITY,
                .register_mode = REGISTER_AUTO,
                .settings_mode = SETTINGS_YES,
                .link_journal = LINK_JOURNAL_AUTO,
                .resolv_conf = RESOLV_CONF_AUTO,
                .timezone = TIMEZONE_AUTO,
        };
}

static void custom_mount_done(CustomMount *m) {
        free(m->source);
        strv_free(m->lower);
        free(m->destination);
        free(m->options);
}

void boot_config_done(BootConfig *c) {
        free(c->machine);
        free(c->directory);
        free(c->image);
        strv_free(c->environment);
        free(c->hostname);
        for (size_t i = 0; i < c->n_mounts; i++)
                custom_mount_done(&c->mounts[i]);
        free(c->mounts);
        free(c->working_directory);
        free(c->user);
        strv_free(c->parameters);
        free(c->selinux_context);
        free(c->selinux_apifs_context);
        free(c->slice);
        strv_free(c->syscall_allow);
        strv_free(c->syscall_deny);
        network_config_done(&c->network);
        *c = (BootConfig) {};
}

int boot_config_add_capabilities(BootConfig *c, const char *s, bool drop, const char **ret_bad, size_t *ret_bad_len) {
        uint64_t set;
        int r;

        r = caps_parse_list(s, true, &set, ret_bad, ret_bad_len);
        if (r < 0)
                return r;
        if (drop)
                c->caps_minus |= set;
        else
                c->caps_plus |= set;
        c->set_by |= SETTING_CAPABILITY;
        return 0;
}

int boot_config_add_ambient_capabilities(BootConfig *c, const char *s, const char **ret_bad, size_t *ret_bad_len) {
        uint64_t set;
        int r;

        /* "all" is not for the ambient set, as in systemd-nspawn. */
        r = caps_parse_list(s, false, &set, ret_bad, ret_bad_len);
        if (r < 0)
                return r;
        c->caps_ambient |= set;
        c->set_by |= SETTING_AMBIENT_CAPABILITY;
        return 0;
}

int boot_config_add_syscall_filter(BootConfig *c, const char *s) {
        int r = syscall_filter_parse(s, &c->syscall_allow, &c->syscall_deny);

        if (r < 0)
                return r;
        c->set_by |= SETTING_SYSCALL_FILTER;
        return 0;
}

uint64_t boot_config_bounding_set(const BootConfig *c) {
        return (caps_machine_default(boot_config_private_network(c)) | c->caps_plus) & ~c->caps_minus;
}

int boot_config_set_private_users(BootConfig *c, const char *s) {
        const char *colon;
        uint32_t base, count = 0x10000;
        int r;

        if (streq(s, "pick")) {
                c->private_users = PRIVATE_USERS_PICK;
                return 0;
        }
        if (streq(s, "identity")) {
                c->private_users = PRIVATE_USERS_IDENTITY;
                return 0;
        }
        /* Numbers are UIDs, never booleans (as in systemd-nspawn: "1" is
         * the range at 1, not "yes"). */
        r = s[strspn(s, "0123456789")] == '\0' ? -EINVAL : parse_boolean(s);
        if (r >= 0) {
                /* "yes" means what -U means: a picked range. */
                c->private_users = r ? PRIVATE_USERS_PICK : PRIVATE_USERS_NO;
                return 0;
        }

        colon = strchr(s, ':');
        if (colon) {
                _cleanup_free_ char *b = strndup(s, (size_t) (colon - s));
                if (!b)
                        return -ENOMEM;
                r = safe_atou32(b, 10, &base);
                if (r >= 0)
                        r = safe_atou32(colon + 1, 10, &count);
        } else
                r = safe_atou32(s, 10, &base);
        if (r < 0)
                return -EINVAL;
        if (count == 0 || (uint64_t) base + count > UINT32_MAX)
                return -ERANGE;

        c->private_users = PRIVATE_USERS_FIXED;
        c->uid_base = base;
        c->uid_count = count;
        return 0;
}

static int add_mount(BootConfig *c, CustomMount m) {
        CustomMount *t = reallocarray(c->mounts, c->n_mounts + 1, sizeof(CustomMount));

        if (!t) {
                custom_mount_done(&m);
                return -ENOMEM;
        }
        c->mounts = t;
        c->mounts[c->n_mounts++] = m;
        return 0;
}

/* A mount's destination: absolute, simplified, and not where the machine's
 * own file systems go (-EPERM). */
static int take_container_path(char **p) {
        if (!path_is_absolute(*p) || !path_has_no_dotdot(*p))
                return -EINVAL;
        path_simplify(*p);
        return custom_mount_destination_is_allowed(*p) ? 0 : -EPERM;
}

int boot_config_add_bind(BootConfig *c, const char *spec, bool read_only) {
        _cleanup_free_ char *source = NULL, *destination = NULL, *options = NULL;
        bool recursive = true, idmap = false;
        const char *p = spec;
        int r;

        r = extract_field(&p, ':', &source);
        if (r < 0)
                return r;
        if (p) {
                r = extract_field(&p, ':', &destination);
                if (r < 0)
                        return r;
        }
        if (p) {
                options = strdup(p);
                if (!options)
                        return -ENOMEM;
        }

        if (isempty(source) || !path_is_absolute(source))
                return -EINVAL;
        path_simplify(source);
        if (isempty(destination)) {
                r = free_and_strdup(&destination, source);
                if (r < 0)
                        return r;
        }
        r = take_container_path(&destination);
        if (r < 0)
                return r;

        for (const char *o = options; o;) {
                _cleanup_free_ char *word = NULL;

                r = extract_field(&o, ',', &word);
                if (r < 0)
                        return r;
                if (streq(word, "rbind"))
                        recursive = true;
                else if (streq(word, "norbind"))
                        recursive = false;
                else if (streq(word, "idmap"))
                        idmap = true;
                else if (streq(word, "noidmap"))
                        idmap = false;
                else if (!isempty(word))
                        return -EINVAL;
        }

        c->set_by |= SETTING_CUSTOM_MOUNTS;
        return add_mount(c, (CustomMount) {
                                    .type = read_only ? CUSTOM_MOUNT_BIND_RO : CUSTOM_MOUNT_BIND,
                                    .source = TAKE_PTR(source),
                                    .destination = TAKE_PTR(destination),
                                    .recursive = recursive,
                                    .idmap = idmap,
                            });
}

/* An overlay's source: a host path, "+" and a path in the machine, or (the
 * upper one only) empty. */
static int take_overlay_source(char *p, bool may_be_empty) {
        const char *path = p[0] == '+' ? p + 1 : p;

        if (isempty(p))
                return may_be_empty ? 0 : -EINVAL;
        if (!path_is_absolute(path) || !path_has_no_dotdot(path))
                return -EINVAL;
        path_simplify(p[0] == '+' ? p + 1 : p);
        return 0;
}

int boot_config_add_overlay(BootConfig *c, const char *spec, bool read_only) {
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *destination = NULL, *upper = NULL;
        size_t n;
        int r;

        for (const char *p = spec; p;) {
                char *f = NULL;

                r = extract_field(&p, ':', &f);
                if (r < 0)
                        return r;
                r = strv_consume(&fields, f);
                if (r < 0)
                        return r;
        }
        n = strv_length(fields);
        if (n < 2)
                return -EINVAL;

        /* Two paths: the second is the top layer and the destination. */
        destination = strdup(fields[n - 1]);
        if (!destination)
                return -ENOMEM;
        if (n == 2 && take_overlay_source(fields[1], false) < 0)
                return -EINVAL;
        if (n == 2 && fields[1][0] == '+')
                return -EINVAL; /* the destination is no source */
        r = take_container_path(&destination);
        if (r < 0)
                return r;
        if (n > 2) {
                n--;
                fields[n] = mfree(fields[n]);
        }
        if (!read_only) {
                n--;
                upper = TAKE_PTR(fields[n]);
        }
        for (size_t i = 0; i < n; i++)
                if (take_overlay_source(fields[i], false) < 0)
                        return -EINVAL;
        /* "/" has no parent for the work directory to go in. */
        if (upper && (take_overlay_source(upper, true) < 0 || streq(upper, "/") || streq(upper, "+/")))
                return -EINVAL;
        if (n == 0)
                return -EINVAL; /* an overlay needs a lower layer */

        c->set_by |= SETTING_CUSTOM_MOUNTS;
        return add_mount(c, (CustomMount) {
                                    .type = read_only ? CUSTOM_MOUNT_OVERLAY_RO : CUSTOM_MOUNT_OVERLAY,
                                    .source = TAKE_PTR(upper),
                                    .lower = TAKE_PTR(fields),
                                    .destination = TAKE_PTR(destination),
                            });
}

int boot_config_add_tmpfs(BootConfig *c, const char *spec) {
        _cleanup_free_ char *path = NULL, *options = NULL;
        const char *p = spec;
        int r;

        r = extract_field(&p, ':', &path);
        if (r < 0)
                return r;
        if (isempty(path))
                return -EINVAL;
        r = take_container_path(&path);
        if (r < 0)
                return r;
        options = strdup(p ?: "mode=0755");
        if (!options)
                return -ENOMEM;

        c->set_by |= SETTING_CUSTOM_MOUNTS;
        return add_mount(c, (CustomMount) {
                                    .type = CUSTOM_MOUNT_TMPFS,
                                    .destination = TAKE_PTR(path),
                                    .options = TAKE_PTR(options),
                            });
}

int boot_config_add_environment(BootConfig *c, const char *assignment) {
        if (!env_assignment_is_valid(assignment))
                return -EINVAL;
        c->set_by |= SETTING_ENVIRONMENT;
        return strv_env_set(&c->environment, assignment);
}

int boot_config_add_property(BootConfig *c, const char *assignment) {
        int r = resources_add(&c->resources, assignment);

        if (r < 0)
                return r;
        c->set_by |= SETTING_PROPERTIES;
        return 0;
}

ConsoleMode console_mode_resolve(ConsoleMode m, BootMode mode, bool stdin_tty, bool stdout_tty) {
        bool tty = stdin_tty && stdout_tty;

        if (m == CONSOLE_AUTOPIPE)
                return tty ? CONSOLE_INTERACTIVE : CONSOLE_PIPE;
        if (m >= 0)
                return m;
        /* Defaults: a machine that boots shows its console; a command run in
         * a machine gets our stdio when it is not a terminal, so that pipes
         * and exit codes work as they would for the command itself. */
        if (tty)
                return CONSOLE_INTERACTIVE;
        return mode == BOOT_MODE_BOOT ? CONSOLE_READ_ONLY : CONSOLE_PIPE;
}
