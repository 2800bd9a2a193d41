/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "custom-mount.h"
#include "image.h"
#include "ini-file.h"
#include "machine-name.h"
#include "path-util.h"
#include "settings.h"
#include "string-util.h"
#include "strv.h"

/* Limits that keep an untrusted file from making us spin or drown the log:
 * settings files are small, and lists in them short. */
#define SETTINGS_FILE_MAX (1024 * 1024)
#define SETTINGS_LIST_MAX 4096 /* Parameters= words, Environment= variables, mounts */

/* --- Keys ----------------------------------------------------------------- */

typedef struct SettingKey SettingKey;

/* Parses one value into the config: 0, -EINVAL or -ERANGE for a bad value,
 * -E2BIG past SETTINGS_LIST_MAX, -ENOMEM. Leaves the config as it was on
 * failure. */
typedef int (*SettingParser)(BootConfig *c, const SettingKey *k, const char *value);

typedef enum KeyFlags {
        KEY_SAFE = 1 << 0,     /* applies from an untrusted file too: grants nothing on the host */
        KEY_RUN_ONLY = 1 << 1, /* means something to `berth run` only */
        KEY_BOOT = 1 << 2,     /* Boot=: checked against the verb once the whole file is read */
} KeyFlags;

struct SettingKey {
        const char *section;
        const char *name;
        SettingParser parse; /* NULL: a systemd-nspawn key berth doesn't support yet */
        KeyFlags flags;
        size_t offset; /* parse_bool(): the field */
        uint64_t bit;  /* parse_bool(): its set_by bit */
        const char *expected;
};

static int parse_boolean_ignored(BootConfig *c, const SettingKey *k, const char *v) {
        return parse_boolean(v) < 0 ? -EINVAL : 0;
}

static int parse_bool(BootConfig *c, const SettingKey *k, const char *v) {
        int r = parse_boolean(v);

        if (r < 0)
                return -EINVAL;
        *(bool *) ((char *) c + k->offset) = r;
        c->set_by |= k->bit;
        return 0;
}

/* The words of v, when there are no more than SETTINGS_LIST_MAX - have. */
static int split_words(const char *v, size_t have, char ***ret) {
        return ini_split_words(v, have, SETTINGS_LIST_MAX, ret);
}

static int strv_append_all(char ***l, char *const *add) {
        STRV_FOREACH(a, (char **) add)
                if (strv_extend(l, *a) < 0)
                        return -ENOMEM;
        return 0;
}

/* Repeated Parameters= add words, as systemd-nspawn's do (its
 * config_parse_strv(): "Parameters=a" then "Parameters=b c" runs "a b c");
 * an empty one drops the earlier ones. */
static int parse_parameters(BootConfig *c, const SettingKey *k, const char *v) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if (isempty(v)) {
                c->parameters = strv_free(c->parameters);
                c->set_by &= ~(uint64_t) SETTING_PARAMETERS;
                return 0;
        }
        r = split_words(v, strv_length(c->parameters), &words);
        if (r < 0)
                return r;
        r = strv_append_all(&c->parameters, words);
        if (r < 0)
                return r;
        c->set_by |= SETTING_PARAMETERS;
        return 0;
}

/* NAME=VALUE words; an empty Environment= drops the earlier ones. */
static int parse_environment(BootConfig *c, const SettingKey *k, const char *v) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if (isempty(v)) {
                c->environment = strv_free(c->environment);
                c->set_by &= ~(uint64_t) SETTING_ENVIRONMENT;
                return 0;
        }
        r = split_words(v, strv_length(c->environment), &words);
        if (r < 0)
                return r;
        STRV_FOREACH(w, words)
                if (!env_assignment_is_valid(*w))
                        return -EINVAL;
        STRV_FOREACH(w, words) {
                r = boot_config_add_environment(c, *w);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_string(BootConfig *c, char **field, uint64_t bit, const char *v) {
        int r = free_and_strdup(field, v);

        if (r < 0)
                return r;
        c->set_by |= bit;
        return 0;
}

/* A user name or UID, looked up in the machine's own /etc/passwd later. */
static int parse_user(BootConfig *c, const SettingKey *k, const char *v) {
        if (isempty(v) || strlen(v) > 256 || !string_is_safe(v) || strpbrk(v, " :/") || v[0] == '-')
                return -EINVAL;
        return set_string(c, &c->user, SETTING_USER, v);
}

static int parse_working_directory(BootConfig *c, const SettingKey *k, const char *v) {
        _cleanup_free_ char *p = NULL;

        if (!path_is_absolute(v))
                return -EINVAL;
        p = strdup(v);
        if (!p)
                return -ENOMEM;
        path_simplify(p);
        return set_string(c, &c->working_directory, SETTING_WORKING_DIRECTORY, p);
}

static int parse_hostname(BootConfig *c, const SettingKey *k, const char *v) {
        if (!hostname_is_valid(v))
                return -EINVAL;
        return set_string(c, &c->hostname, SETTING_HOSTNAME, v);
}

static int parse_machine_id(BootConfig *c, const SettingKey *k, const char *v) {
        Id128 id;

        if (id128_from_string(v, &id) < 0 || id128_is_null(id))
                return -EINVAL;
        c->uuid = id;
        c->set_by |= SETTING_UUID;
        return 0;
}

static int parse_private_users(BootConfig *c, const SettingKey *k, const char *v) {
        int r = boot_config_set_private_users(c, v);

        if (r < 0)
                return r;
        c->set_by |= SETTING_PRIVATE_USERS;
        return 0;
}

static int parse_ownership(BootConfig *c, const SettingKey *k, const char *v) {
        Ownership o = ownership_from_string(v);

        if (o < 0)
                return -EINVAL;
        c->ownership = o;
        c->set_by |= SETTING_OWNERSHIP;
        return 0;
}

static int parse_link_journal(BootConfig *c, const SettingKey *k, const char *v) {
        LinkJournal l = link_journal_from_string(v);

        if (l < 0)
                return -EINVAL;
        c->link_journal = l;
        c->set_by |= SETTING_LINK_JOURNAL;
        return 0;
}

/* systemd-nspawn's older PrivateUsersChown=yes|no. */
static int parse_ownership_chown(BootConfig *c, const SettingKey *k, const char *v) {
        int r = parse_boolean(v);

        if (r < 0)
                return -EINVAL;
        c->ownership = r ? OWNERSHIP_CHOWN : OWNERSHIP_OFF;
        c->set_by |= SETTING_OWNERSHIP;
        return 0;
}

static int parse_bind(BootConfig *c, const SettingKey *k, const char *v) {
        if (c->n_mounts >= SETTINGS_LIST_MAX)
                return -E2BIG;
        return boot_config_add_bind(c, v, streq(k->name, "BindReadOnly"));
}

static int parse_overlay(BootConfig *c, const SettingKey *k, const char *v) {
        if (c->n_mounts >= SETTINGS_LIST_MAX)
                return -E2BIG;
        return boot_config_add_overlay(c, v, streq(k->name, "OverlayReadOnly"));
}

static int parse_volatile(BootConfig *c, const SettingKey *k, const char *v) {
        VolatileMode m = volatile_mode_from_string(v);

        if (m < 0)
                return -EINVAL;
        c->volatile_mode = m;
        c->set_by |= SETTING_VOLATILE;
        return 0;
}

static int parse_tmpfs(BootConfig *c, const SettingKey *k, const char *v) {
        if (c->n_mounts >= SETTINGS_LIST_MAX)
                return -E2BIG;
        return boot_config_add_tmpfs(c, v);
}

static int parse_capability(BootConfig *c, const SettingKey *k, const char *v) {
        if (streq(k->name, "AmbientCapability"))
                return boot_config_add_ambient_capabilities(c, v, NULL, NULL);
        return boot_config_add_capabilities(c, v, streq(k->name, "DropCapability"), NULL, NULL);
}

static int parse_syscall_filter(BootConfig *c, const SettingKey *k, const char *v) {
        int r = boot_config_add_syscall_filter(c, v);

        return r == -ENOENT ? -EINVAL : r;
}

static int parse_resource(BootConfig *c, const SettingKey *k, const char *v) {
        _cleanup_free_ char *a = strjoin(k->name, "=", v);

        if (!a)
                return -ENOMEM;
        return boot_config_add_property(c, a);
}

static int parse_network_bool(BootConfig *c, const SettingKey *k, const char *v) {
        int r = parse_boolean(v);

        if (r < 0)
                return -EINVAL;
        if (streq(k->name, "VirtualEthernet"))
                c->network.veth = r;
        else
                c->private_network = r;
        c->set_by |= SETTING_NETWORK;
        return 0;
}

static int parse_network_name(BootConfig *c, const SettingKey *k, const char *v) {
        int r = streq(k->name, "Zone") ? network_config_set_zone(&c->network, v)
                                       : network_config_set_bridge(&c->network, v);

        if (r < 0)
                return r;
        c->set_by |= SETTING_NETWORK;
        return 0;
}

/* Interface=, MACVLAN=, IPVLAN=: link names, separated by spaces. */
static int parse_network_links(BootConfig *c, const SettingKey *k, const char *v) {
        char ***l = streq(k->name, "Interface") ? &c->network.interfaces
                    : streq(k->name, "MACVLAN") ? &c->network.macvlan
                                                : &c->network.ipvlan;
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if (isempty(v)) { /* an empty assignment empties the list */
                *l = strv_free(*l);
                c->set_by |= SETTING_NETWORK;
                return 0;
        }
        r = split_words(v, strv_length(*l), &words);
        if (r < 0)
                return r;
        STRV_FOREACH(w, words)
                if (!ifname_is_valid(*w))
                        return -EINVAL;
        STRV_FOREACH(w, words) {
                r = network_config_add_link(l, *w);
                if (r < 0)
                        return r;
        }
        c->set_by |= SETTING_NETWORK;
        return 0;
}

static int parse_port(BootConfig *c, const SettingKey *k, const char *v) {
        int r;

        if (isempty(v)) { /* an empty assignment empties the list */
                c->network.ports = mfree(c->network.ports);
                c->network.n_ports = 0;
                c->set_by |= SETTING_PORTS;
                return 0;
        }
        if (c->network.n_ports >= SETTINGS_LIST_MAX)
                return -E2BIG;
        r = network_config_add_port(&c->network, v);
        if (r < 0)
                return r == -EEXIST ? -EINVAL : r;
        c->set_by |= SETTING_PORTS;
        return 0;
}

static int parse_resolv_conf(BootConfig *c, const SettingKey *k, const char *v) {
        ResolvConfMode m = resolv_conf_mode_from_string(v);

        if (m < 0)
                return -EINVAL;
        c->resolv_conf = m;
        c->set_by |= SETTING_RESOLV_CONF;
        return 0;
}

static int parse_timezone(BootConfig *c, const SettingKey *k, const char *v) {
        TimezoneMode m = timezone_mode_from_string(v);

        if (m < 0)
                return -EINVAL;
        c->timezone = m;
        c->set_by |= SETTING_TIMEZONE;
        return 0;
}

#define YES_NO "expected yes or no"
#define BYTES "expected bytes with an optional K, M, G or T suffix, a percentage or infinity"
#define WEIGHT "expected a number from 1 to 10000"
#define CAPABILITIES "expected capability names such as CAP_NET_ADMIN, or all"

/* Every key of systemd.nspawn(5), and berth's [Resources]. The trust flags
 * follow systemd-nspawn (252), which ignores from an untrusted file
 * Ephemeral=, MachineID=, PrivateUsers=, every mount key (Bind=,
 * BindReadOnly=, TemporaryFileSystem=, Overlay=, Inaccessible=), the
 * [Network] keys, Capability=, AmbientCapability=, SystemCallFilter=,
 * Limit*=, OOMScoreAdjust=,
 * CPUAffinity=, LinkJournal= and BindUser=; [Resources], berth's own, is
 * trusted only too: it could lift a limit the host relies on. */
static const SettingKey setting_keys[] = {
        /* clang-format off */
        { "Exec", "Boot",                  parse_boolean_ignored,   KEY_SAFE | KEY_BOOT, 0, 0, YES_NO },
        { "Exec", "Ephemeral",             parse_bool,              0, offsetof(BootConfig, ephemeral), SETTING_EPHEMERAL, YES_NO },
        { "Exec", "ProcessTwo",            parse_bool,              KEY_SAFE | KEY_RUN_ONLY, offsetof(BootConfig, as_pid2), SETTING_AS_PID2, YES_NO },
        { "Exec", "Parameters",            parse_parameters,        KEY_SAFE, 0, 0, "expected words, with balanced quotes" },
        { "Exec", "Environment",           parse_environment,       KEY_SAFE, 0, 0, "expected NAME=VALUE assignments" },
        { "Exec", "User",                  parse_user,              KEY_SAFE | KEY_RUN_ONLY, 0, 0, "expected a user name" },
        { "Exec", "WorkingDirectory",      parse_working_directory, KEY_SAFE, 0, 0, "expected an absolute path" },
        { "Exec", "Hostname",              parse_hostname,          KEY_SAFE, 0, 0, "expected a valid hostname" },
        { "Exec", "MachineID",             parse_machine_id,        0, 0, 0, "expected a UUID or a 32-digit ID" },
        { "Exec", "PrivateUsers",          parse_private_users,     0, 0, 0, "expected pick, identity, no, UID or UID:COUNT" },
        { "Exec", "NotifyReady",           parse_bool,              KEY_SAFE, offsetof(BootConfig, notify_ready), SETTING_NOTIFY_READY, YES_NO },
        { "Exec", "PivotRoot" },
        { "Exec", "Capability",            parse_capability,        0, 0, 0, CAPABILITIES },
        { "Exec", "AmbientCapability",     parse_capability,        0, 0, 0, CAPABILITIES " (not all)" },
        { "Exec", "DropCapability",        parse_capability,        KEY_SAFE, 0, 0, CAPABILITIES },
        { "Exec", "KillSignal" },
        { "Exec", "Personality" },
        { "Exec", "SystemCallFilter",      parse_syscall_filter,    0, 0, 0, "expected system call names and @groups, \"~\" first for a deny list" },
        { "Exec", "NoNewPrivileges",       parse_bool,              KEY_SAFE, offsetof(BootConfig, no_new_privileges), SETTING_NO_NEW_PRIVILEGES, YES_NO },
        { "Exec", "OOMScoreAdjust" },
        { "Exec", "CPUAffinity" },
        { "Exec", "ResolvConf",            parse_resolv_conf,       KEY_SAFE, 0, 0, "expected off, copy-host, copy-static, copy-uplink, copy-stub, replace-…, bind-…, delete or auto" },
        { "Exec", "LinkJournal",           parse_link_journal,      0, 0, 0, "expected no, host, try-host, guest, try-guest or auto" },
        { "Exec", "Timezone",              parse_timezone,          KEY_SAFE, 0, 0, "expected off, copy, bind, symlink, delete or auto" },
        { "Exec", "SuppressSync" },
        { "Exec", "LimitCPU" },
        { "Exec", "LimitFSIZE" },
        { "Exec", "LimitDATA" },
        { "Exec", "LimitSTACK" },
        { "Exec", "LimitCORE" },
        { "Exec", "LimitRSS" },
        { "Exec", "LimitNOFILE" },
        { "Exec", "LimitAS" },
        { "Exec", "LimitNPROC" },
        { "Exec", "LimitMEMLOCK" },
        { "Exec", "LimitLOCKS" },
        { "Exec", "LimitSIGPENDING" },
        { "Exec", "LimitMSGQUEUE" },
        { "Exec", "LimitNICE" },
        { "Exec", "LimitRTPRIO" },
        { "Exec", "LimitRTTIME" },

        { "Files", "Bind",                  parse_bind,              0, 0, 0, "expected SRC[:DST[:OPTS]] with absolute paths" },
        { "Files", "BindReadOnly",          parse_bind,              0, 0, 0, "expected SRC[:DST[:OPTS]] with absolute paths" },
        { "Files", "TemporaryFileSystem",   parse_tmpfs,             0, 0, 0, "expected an absolute PATH[:OPTS]" },
        { "Files", "PrivateUsersOwnership", parse_ownership,         0, 0, 0, "expected auto, map, chown or off" },
        { "Files", "PrivateUsersChown",     parse_ownership_chown,   0, 0, 0, YES_NO },
        { "Files", "ReadOnly",              parse_bool,              KEY_SAFE, offsetof(BootConfig, read_only), SETTING_READ_ONLY, YES_NO },
        { "Files", "Volatile",              parse_volatile,          KEY_SAFE, 0, 0, "expected no, yes, state or overlay" },
        { "Files", "Overlay",               parse_overlay,           0, 0, 0, "expected [+]LOWER…:[+]UPPER:DST with absolute paths" },
        { "Files", "OverlayReadOnly",       parse_overlay,           0, 0, 0, "expected [+]LOWER…:DST with absolute paths" },
        { "Files", "Inaccessible" },
        { "Files", "BindUser" },

        { "Network", "Private",             parse_network_bool,      0, 0, 0, YES_NO },
        { "Network", "VirtualEthernet",     parse_network_bool,      0, 0, 0, YES_NO },
        { "Network", "VirtualEthernetExtra" },
        { "Network", "Interface",           parse_network_links,     0, 0, 0, "expected link names" },
        { "Network", "MACVLAN",             parse_network_links,     0, 0, 0, "expected link names" },
        { "Network", "IPVLAN",              parse_network_links,     0, 0, 0, "expected link names" },
        { "Network", "Bridge",              parse_network_name,      0, 0, 0, "expected a link name" },
        { "Network", "Zone",                parse_network_name,      0, 0, 0, "expected a name of 1–12 characters" },
        { "Network", "Port",                parse_port,              0, 0, 0, "expected [tcp|udp:]HOSTPORT[:MACHINEPORT]" },

        { "Resources", "MemoryMax",         parse_resource,          0, 0, 0, BYTES },
        { "Resources", "MemoryHigh",        parse_resource,          0, 0, 0, BYTES },
        { "Resources", "CPUWeight",         parse_resource,          0, 0, 0, WEIGHT },
        { "Resources", "CPUQuota",          parse_resource,          0, 0, 0, "expected a percentage above 0, such as 50% or 200%" },
        { "Resources", "TasksMax",          parse_resource,          0, 0, 0, "expected a number above 0 or infinity" },
        { "Resources", "IOWeight",          parse_resource,          0, 0, 0, WEIGHT },
        { "Resources", "MemorySwapMax",     parse_resource,          0, 0, 0, "expected a size (K, M, G, T) or infinity" },
        { "Resources", "CPUQuotaPeriodSec", parse_resource,          0, 0, 0, "expected a time span of 1ms…1s" },
        { "Resources", "AllowedCPUs",       parse_resource,          0, 0, 0, "expected CPU numbers and ranges of this host, such as 0-3,6" },
        { "Resources", "AllowedMemoryNodes", parse_resource,         0, 0, 0, "expected NUMA node numbers and ranges of this host, such as 0" },
        { "Resources", "IOReadBandwidthMax", parse_resource,         0, 0, 0, "expected a block device (or a path on one) and bytes per second" },
        { "Resources", "IOWriteBandwidthMax", parse_resource,        0, 0, 0, "expected a block device (or a path on one) and bytes per second" },
        { "Resources", "IOReadIOPSMax",     parse_resource,          0, 0, 0, "expected a block device (or a path on one) and operations per second" },
        { "Resources", "IOWriteIOPSMax",    parse_resource,          0, 0, 0, "expected a block device (or a path on one) and operations per second" },
        /* clang-format on */
};

static const char *const known_sections[] = { "Exec", "Files", "Network", "Resources" };

static const SettingKey *setting_key_find(const char *section, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(setting_keys); i++)
                if (streq(setting_keys[i].section, section) && streq(setting_keys[i].name, name))
                        return &setting_keys[i];
        return NULL;
}

/* --- Parsing ---------------------------------------------------------------- */

typedef struct Parser {
        bool trusted;
        BootConfig *config;
        int boot; /* Boot=: -1 when not set */
        unsigned boot_line;
} Parser;

static int parse_section(IniParser *ip, const char *section, void *userdata) {
        for (size_t i = 0; i < ELEMENTSOF(known_sections); i++)
                if (streq(section, known_sections[i]))
                        return 1;
        return 0;
}

/* Applies a known key. A value that can't be right fails even where it
 * would be ignored, so that a file doesn't turn bad only when moved. */
static int parse_known_key(IniParser *ip, Parser *p, const SettingKey *k, const char *value) {
        bool boot_only = (k->flags & KEY_RUN_ONLY) && p->config->mode == BOOT_MODE_BOOT;
        bool apply = (p->trusted || (k->flags & KEY_SAFE)) && !boot_only;
        _cleanup_(boot_config_done) BootConfig scratch = {};
        int r;

        if (!k->parse)
                return ini_warn(ip, "[%s] %s= not supported by berth yet, ignoring", k->section, k->name);

        boot_config_init(&scratch, p->config->mode);
        r = k->parse(apply ? p->config : &scratch, k, value);
        if (r == -ENOMEM)
                return r;
        if (r == -E2BIG)
                return ini_fail(ip, "Too many values for %s= (at most %d)", k->name, SETTINGS_LIST_MAX);
        if (r == -EPERM)
                return ini_fail(ip, "Refusing %s=%.200s: %s", k->name, value, CUSTOM_MOUNT_REFUSED);
        if (r < 0)
                return ini_fail(ip, "Invalid value '%.200s' for %s=: %s", value, k->name, k->expected);
        if (k->flags & KEY_BOOT) {
                p->boot = parse_boolean(value);
                p->boot_line = ini_line(ip);
        }
        if (boot_only)
                return ini_warn(ip, "%s= applies to 'berth run' only, ignoring", k->name);
        if (!apply)
                return ini_warn(ip, "ignoring %s= in an untrusted settings file (see --settings=trusted)", k->name);
        return 0;
}

static int parse_assignment(IniParser *ip, const char *section, const char *key, const char *value, void *userdata) {
        const SettingKey *k = setting_key_find(section, key);

        if (!k)
                return ini_warn(ip, "Unknown key %.200s= in [%s], not supported, ignoring", key, section);
        return parse_known_key(ip, userdata, k, value);
}

/* Boot= chooses between booting init and running a command, which in berth
 * the verb does: `berth boot` always boots init, `berth run` always runs a
 * command. A Boot= that agrees says nothing; one that doesn't is ignored,
 * and so are the file's Parameters=, which were written for the other verb
 * (init's arguments would be run as a command, a command passed to init). */
static int check_boot(IniParser *ip, void *userdata) {
        Parser *p = userdata;
        bool boot = p->config->mode == BOOT_MODE_BOOT, params = p->config->set_by & SETTING_PARAMETERS;

        if (p->boot < 0 || p->boot == boot)
                return 0;
        ini_set_line(ip, p->boot_line);
        if (params) {
                p->config->parameters = strv_free(p->config->parameters);
                p->config->set_by &= ~(uint64_t) SETTING_PARAMETERS;
        }
        return ini_warn(ip, "Boot=%s ignored: %s%s", yes_no(p->boot),
                        boot ? "'berth boot' always boots the machine's init (a command runs with 'berth run')"
                             : "'berth run' runs a command, not init (init boots with 'berth boot')",
                        params ? "; so is Parameters=" : "");
}

static const IniHandler settings_syntax = {
        .section = parse_section,
        .assignment = parse_assignment,
        .finish = check_boot,
};

int settings_parse_text(const char *text, const char *filename, bool trusted, BootMode mode, BootConfig *ret,
                        char ***ret_warnings, char **ret_error) {
        _cleanup_(boot_config_done) BootConfig c = {};
        Parser p = { .trusted = trusted, .config = &c, .boot = -1 };
        int r;

        boot_config_init(&c, mode);
        r = ini_parse_text(text, filename, &settings_syntax, &p, ret_warnings, ret_error);
        if (r < 0)
                return r;
        *ret = c;
        c = (BootConfig) {};
        return 0;
}

int settings_parse(const char *path, bool trusted, BootMode mode, BootConfig *ret, char ***ret_warnings,
                   char **ret_error) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = ini_read_file(path, SETTINGS_FILE_MAX, &text, ret_error);
        if (r < 0)
                return r;
        return settings_parse_text(text, path, trusted, mode, ret, ret_warnings, ret_error);
}

/* --- Lookup ----------------------------------------------------------------- */

static int file_exists(const char *path) {
        struct stat st;

        if (stat(path, &st) >= 0)
                return 1;
        if (errno == ENOENT || errno == ENOTDIR)
                return 0;
        return -errno;
}

int settings_find(const SettingsPaths *p, const char *name, const char *image_path, char **ret_path,
                  bool *ret_trusted) {
        static const SettingsPaths defaults = {
                .config_dir = BERTH_CONFIG_DIR,
                .runtime_dir = BERTH_RUNTIME_DIR,
                .nspawn_config_dir = "/etc/systemd/nspawn",
                .nspawn_runtime_dir = "/run/systemd/nspawn",
        };
        _cleanup_free_ char *image_dir = NULL;
        int r;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        p = p ?: &defaults;

        if (image_path) {
                _cleanup_free_ char *last = NULL;

                r = path_split_last(image_path, &image_dir, &last);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || streq(last, "..")) {
                        /* "/", ".", "x/..": no directory beside it to look in */
                        free(image_dir);
                        image_dir = NULL;
                }
        }

        const struct {
                const char *dir;
                const char *suffix;
                bool trusted;
        } places[] = {
                { p->config_dir, ".berth", true },
                { p->runtime_dir, ".berth", true },
                { image_dir, ".berth", false },
                { p->nspawn_config_dir, ".nspawn", true },
                { p->nspawn_runtime_dir, ".nspawn", true },
                { image_dir, ".nspawn", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(places); i++) {
                _cleanup_free_ char *file = NULL, *path = NULL;

                if (!places[i].dir)
                        continue;
                file = strjoin(name, places[i].suffix);
                path = file ? path_join(places[i].dir, file) : NULL;
                if (!path)
                        return -ENOMEM;
                r = file_exists(path);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret_path = TAKE_PTR(path);
                        *ret_trusted = places[i].trusted;
                        return 1;
                }
        }
        *ret_path = NULL;
        *ret_trusted = false;
        return 0;
}

/* --- Merging ---------------------------------------------------------------- */

/* How one setting goes from the file (s) into the command line's config
 * (c). A whole setting is copied only when the file wins it; a per-item one
 * is always called and decides item by item. */
typedef int (*SettingCopy)(BootConfig *c, const BootConfig *s, size_t offset, bool override);

static int copy_string(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        return free_and_strdup((char **) ((char *) c + offset), *(char *const *) ((const char *) s + offset));
}

static int copy_strv(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        char ***to = (char ***) ((char *) c + offset), **l = strv_copy(*(char **const *) ((const char *) s + offset));

        if (!l)
                return -ENOMEM;
        strv_free(*to);
        *to = l;
        return 0;
}

static int copy_private_users(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        c->private_users = s->private_users;
        c->uid_base = s->uid_base;
        c->uid_count = s->uid_count;
        return 0;
}

static int merge_environment(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        STRV_FOREACH(e, s->environment) {
                size_t n = strcspn(*e, "=");
                bool have = false;

                STRV_FOREACH(f, c->environment)
                        if (strneq(*f, *e, n) && (*f)[n] == '=')
                                have = true;
                if ((override || !have) && strv_env_set(&c->environment, *e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int custom_mount_copy(const CustomMount *m, CustomMount *ret) {
        *ret = (CustomMount) {
                .type = m->type,
                .source = m->source ? strdup(m->source) : NULL,
                .lower = m->lower ? strv_copy(m->lower) : NULL,
                .destination = m->destination ? strdup(m->destination) : NULL,
                .options = m->options ? strdup(m->options) : NULL,
                .recursive = m->recursive,
                .idmap = m->idmap,
        };
        if ((m->source && !ret->source) || (m->destination && !ret->destination) || (m->options && !ret->options) ||
            (m->lower && !ret->lower)) {
                free(ret->source);
                strv_free(ret->lower);
                free(ret->destination);
                free(ret->options);
                return -ENOMEM;
        }
        return 0;
}

/* Bind=, BindReadOnly=, TemporaryFileSystem=, Overlay= and
 * OverlayReadOnly= are one setting, as in
 * systemd-nspawn: the list that wins replaces the other whole (a file's
 * mounts are never mixed with the command line's). */
static void custom_mounts_free(CustomMount *m, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(m[i].source);
                strv_free(m[i].lower);
                free(m[i].destination);
                free(m[i].options);
        }
        free(m);
}

static int copy_mounts(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        CustomMount *t = calloc(MAX(s->n_mounts, 1u), sizeof(CustomMount));

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_mounts; i++)
                if (custom_mount_copy(&s->mounts[i], &t[i]) < 0) {
                        custom_mounts_free(t, i);
                        return -ENOMEM;
                }
        custom_mounts_free(c->mounts, c->n_mounts);
        c->mounts = t;
        c->n_mounts = s->n_mounts;
        return 0;
}

static int copy_capabilities(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        c->caps_plus = s->caps_plus;
        c->caps_minus = s->caps_minus;
        return 0;
}

static int copy_syscall_filter(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        int r = copy_strv(c, s, offsetof(BootConfig, syscall_allow), override);

        return r < 0 ? r : copy_strv(c, s, offsetof(BootConfig, syscall_deny), override);
}

/* [Network] is one setting, as in systemd-nspawn: the file's network or
 * the command line's, never a mix. Port= is another. */
static int copy_network(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        NetworkConfig n = {};
        int r;

        r = network_config_copy(&n, &s->network);
        if (r < 0)
                return r;
        free(n.ports);
        n.ports = TAKE_PTR(c->network.ports);
        n.n_ports = c->network.n_ports;
        n.pool[0] = c->network.pool[0];
        n.pool[1] = c->network.pool[1];
        network_config_done(&c->network);
        c->network = n;
        c->private_network = s->private_network;
        return 0;
}

static int copy_ports(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        PortForward *p = NULL;

        if (s->network.n_ports > 0) {
                p = reallocarray(NULL, s->network.n_ports, sizeof(PortForward));
                if (!p)
                        return -ENOMEM;
                memcpy(p, s->network.ports, s->network.n_ports * sizeof(PortForward));
        }
        free(c->network.ports);
        c->network.ports = p;
        c->network.n_ports = s->network.n_ports;
        return 0;
}

static int merge_resources(BootConfig *c, const BootConfig *s, size_t offset, bool override) {
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                if (resources_has(&s->resources, k) && (override || !resources_has(&c->resources, k)))
                        resources_copy_kind(&c->resources, &s->resources, k);
        return 0;
}

static const struct {
        uint64_t bit;
        bool per_item;
        size_t offset;
        size_t size;      /* a plain value: copied as it is */
        SettingCopy copy; /* otherwise */
} merge_table[] = {
        /* clang-format off */
        { SETTING_EPHEMERAL,         false, offsetof(BootConfig, ephemeral),         sizeof(bool) },
        { SETTING_READ_ONLY,         false, offsetof(BootConfig, read_only),         sizeof(bool) },
        { SETTING_VOLATILE,          false, offsetof(BootConfig, volatile_mode),     sizeof(VolatileMode) },
        { SETTING_AS_PID2,           false, offsetof(BootConfig, as_pid2),           sizeof(bool) },
        { SETTING_NOTIFY_READY,      false, offsetof(BootConfig, notify_ready),      sizeof(bool) },
        { SETTING_NETWORK,           false, 0,                                       0, copy_network },
        { SETTING_PORTS,             false, 0,                                       0, copy_ports },
        { SETTING_RESOLV_CONF,       false, offsetof(BootConfig, resolv_conf),       sizeof(ResolvConfMode) },
        { SETTING_TIMEZONE,          false, offsetof(BootConfig, timezone),          sizeof(TimezoneMode) },
        { SETTING_UUID,              false, offsetof(BootConfig, uuid),              sizeof(Id128) },
        { SETTING_OWNERSHIP,         false, offsetof(BootConfig, ownership),         sizeof(Ownership) },
        { SETTING_LINK_JOURNAL,      false, offsetof(BootConfig, link_journal),      sizeof(LinkJournal) },
        { SETTING_USER,              false, offsetof(BootConfig, user),              0, copy_string },
        { SETTING_WORKING_DIRECTORY, false, offsetof(BootConfig, working_directory), 0, copy_string },
        { SETTING_HOSTNAME,          false, offsetof(BootConfig, hostname),          0, copy_string },
        { SETTING_PARAMETERS,        false, offsetof(BootConfig, parameters),        0, copy_strv },
        { SETTING_PRIVATE_USERS,     false, 0,                                       0, copy_private_users },
        { SETTING_ENVIRONMENT,       true,  0,                                       0, merge_environment },
        { SETTING_CUSTOM_MOUNTS,     false, 0,                                       0, copy_mounts },
        { SETTING_PROPERTIES,        true,  0,                                       0, merge_resources },
        { SETTING_CAPABILITY,        false, 0,                                       0, copy_capabilities },
        { SETTING_AMBIENT_CAPABILITY, false, offsetof(BootConfig, caps_ambient),     sizeof(uint64_t) },
        { SETTING_NO_NEW_PRIVILEGES, false, offsetof(BootConfig, no_new_privileges), sizeof(bool) },
        { SETTING_SYSCALL_FILTER,    false, 0,                                       0, copy_syscall_filter },
        /* clang-format on */
};

int settings_merge(BootConfig *c, const BootConfig *s, SettingsMode mode) {
        bool override = mode == SETTINGS_OVERRIDE;

        if (mode == SETTINGS_NO)
                return 0;

        for (size_t i = 0; i < ELEMENTSOF(merge_table); i++) {
                uint64_t bit = merge_table[i].bit;
                int r;

                if (!(s->set_by & bit))
                        continue;
                if (!merge_table[i].per_item && !override && (c->set_by & bit))
                        continue;
                if (merge_table[i].copy) {
                        r = merge_table[i].copy(c, s, merge_table[i].offset, override);
                        if (r < 0)
                                return r;
                } else
                        memcpy((char *) c + merge_table[i].offset, (const char *) s + merge_table[i].offset,
                               merge_table[i].size);
                c->set_by |= bit;
        }
        return 0;
}

int settings_load(const SettingsPaths *p, BootConfig *c, const char *name, const char *image_path, char **ret_path,
                  char ***ret_warnings, char **ret_error) {
        _cleanup_(boot_config_done) BootConfig s = {};
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *path = NULL;
        bool trusted;
        int r;

        *ret_error = NULL;
        if (c->settings_mode == SETTINGS_NO) {
                if (ret_path)
                        *ret_path = NULL;
                *ret_warnings = NULL;
                return 0;
        }

        r = settings_find(p, name, image_path, &path, &trusted);
        if (r < 0) {
                *ret_error = r == -ENOMEM
                                     ? NULL
                                     : strdup_printf("Failed to look for settings of '%s': %s", name, strerror(-r));
                return r;
        }
        if (r > 0) {
                r = settings_parse(path, trusted || c->settings_mode == SETTINGS_TRUSTED, c->mode, &s, &warnings,
                                   ret_error);
                if (r < 0)
                        return r;
                r = settings_merge(c, &s, c->settings_mode);
                if (r < 0)
                        return r;
                r = 1;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        *ret_warnings = TAKE_PTR(warnings);
        return r;
}
