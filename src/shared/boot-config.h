/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "id128.h"
#include "macro.h"
#include "network-config.h"
#include "parse-util.h"
#include "resources.h"
#include "string-table.h"

/* Everything `berth boot` and `berth run` are told, from the command line
 * (and later from settings files), in one struct. Each setting that was given
 * explicitly sets its bit in set_by, so that a source with lower precedence
 * does not override it. */

typedef enum BootMode {
        BOOT_MODE_BOOT, /* the tree's init is PID 1 */
        BOOT_MODE_RUN,  /* a command is PID 1 (or PID 2 under a stub init) */
        _BOOT_MODE_MAX,
        _BOOT_MODE_INVALID = -EINVAL,
} BootMode;

typedef enum PrivateUsers {
        PRIVATE_USERS_NO,       /* no user namespace: a privileged machine */
        PRIVATE_USERS_PICK,     /* a free 64K range, chosen and locked */
        PRIVATE_USERS_IDENTITY, /* 0…65535 mapped to itself */
        PRIVATE_USERS_FIXED,    /* the range given as UID[:COUNT] */
        _PRIVATE_USERS_MAX,
        _PRIVATE_USERS_INVALID = -EINVAL,
} PrivateUsers;

typedef enum Ownership {
        OWNERSHIP_AUTO,  /* idmapped mount where possible, else chown once */
        OWNERSHIP_MAP,   /* idmapped mount or fail */
        OWNERSHIP_CHOWN, /* chown the tree into the range, once */
        OWNERSHIP_OFF,   /* leave the tree as it is */
        _OWNERSHIP_MAX,
        _OWNERSHIP_INVALID = -EINVAL,
} Ownership;

typedef enum ConsoleMode {
        CONSOLE_INTERACTIVE, /* a pty forwarded to our terminal, raw */
        CONSOLE_READ_ONLY,   /* a pty whose output we show */
        CONSOLE_PASSIVE,     /* a pty nobody reads (kept drained) */
        CONSOLE_PIPE,        /* our stdio passed straight through, no pty */
        CONSOLE_AUTOPIPE,    /* interactive on a TTY, pipe otherwise */
        _CONSOLE_MODE_MAX,
        _CONSOLE_MODE_INVALID = -EINVAL,
} ConsoleMode;

typedef enum RegisterMode {
        REGISTER_NO,   /* never talk to systemd-machined */
        REGISTER_YES,  /* register, or fail */
        REGISTER_AUTO, /* register when machined is there */
        _REGISTER_MODE_MAX,
        _REGISTER_MODE_INVALID = -EINVAL,
} RegisterMode;

typedef enum CustomMountType {
        CUSTOM_MOUNT_BIND,
        CUSTOM_MOUNT_BIND_RO,
        CUSTOM_MOUNT_TMPFS,
        CUSTOM_MOUNT_OVERLAY,
        CUSTOM_MOUNT_OVERLAY_RO,
        _CUSTOM_MOUNT_TYPE_MAX,
        _CUSTOM_MOUNT_TYPE_INVALID = -EINVAL,
} CustomMountType;

/* --settings=: whether and how the machine's settings file is read
 * (src/shared/settings.h). */
typedef enum SettingsMode {
        SETTINGS_NO,       /* read none */
        SETTINGS_YES,      /* the command line wins; a file beside the image applies only in part */
        SETTINGS_TRUSTED,  /* the same, but a file beside the image applies in full */
        SETTINGS_OVERRIDE, /* the file wins over the command line */
        _SETTINGS_MODE_MAX,
        _SETTINGS_MODE_INVALID = -EINVAL,
} SettingsMode;

/* --link-journal=, as systemd-nspawn's: whether the machine's persistent
 * journal, /var/log/journal/MACHINE-ID, is seen by the host's journalctl. */
typedef enum LinkJournal {
        LINK_JOURNAL_NO,        /* not at all */
        LINK_JOURNAL_HOST,      /* kept on the host, bind-mounted into the machine */
        LINK_JOURNAL_TRY_HOST,  /* the same, skipped where it can't be done */
        LINK_JOURNAL_GUEST,     /* kept in the tree, a host symlink points at it */
        LINK_JOURNAL_TRY_GUEST, /* the same, skipped where it can't be done */
        LINK_JOURNAL_AUTO,      /* bind the host's directory if there is one, else nothing */
        _LINK_JOURNAL_MAX,
        _LINK_JOURNAL_INVALID = -EINVAL,
} LinkJournal;

/* --volatile=, as systemd-nspawn's: what of the tree the machine may
 * change, and what it changes in a tmpfs that goes with it. */
typedef enum VolatileMode {
        VOLATILE_NO,      /* the tree as it is */
        VOLATILE_YES,     /* a tmpfs root, with the tree's /usr read-only in it */
        VOLATILE_STATE,   /* the tree read-only, a tmpfs on /var */
        VOLATILE_OVERLAY, /* the tree read-only under a tmpfs overlay (as -x) */
        _VOLATILE_MODE_MAX,
        _VOLATILE_MODE_INVALID = -EINVAL,
} VolatileMode;

typedef struct CustomMount {
        CustomMountType type;
        char *source;      /* bind: absolute host path; overlay: the upper layer ("" a tmpfs, NULL read-only) */
        char **lower;      /* overlay: the lower layers, lowest first ("+PATH": in the machine's root) */
        char *destination; /* absolute path inside the machine */
        char *options;     /* tmpfs: mount options */
        bool recursive;    /* bind: rbind (default) or norbind */
        bool idmap;        /* bind: map the source's owner 0 to the machine's root */
} CustomMount;

typedef enum BootSetting {
        SETTING_MACHINE = 1ULL << 0,
        SETTING_DIRECTORY = 1ULL << 1,
        SETTING_PRIVATE_USERS = 1ULL << 2,
        SETTING_OWNERSHIP = 1ULL << 3,
        SETTING_CONSOLE = 1ULL << 4,
        SETTING_NOTIFY_READY = 1ULL << 5,
        SETTING_TIMEOUT = 1ULL << 6,
        SETTING_ENVIRONMENT = 1ULL << 7,
        SETTING_HOSTNAME = 1ULL << 8,
        SETTING_UUID = 1ULL << 9,
        SETTING_CUSTOM_MOUNTS = 1ULL << 10,
        SETTING_AS_PID2 = 1ULL << 11,
        SETTING_WORKING_DIRECTORY = 1ULL << 12,
        SETTING_USER = 1ULL << 13,
        SETTING_EPHEMERAL = 1ULL << 14,
        SETTING_NETWORK = 1ULL << 15,
        SETTING_PARAMETERS = 1ULL << 16,
        SETTING_SELINUX = 1ULL << 17,
        SETTING_REGISTER = 1ULL << 18,
        SETTING_SLICE = 1ULL << 19,
        SETTING_PROPERTIES = 1ULL << 20,
        SETTING_LINK_JOURNAL = 1ULL << 21,
        SETTING_CAPABILITY = 1ULL << 22,
        SETTING_AMBIENT_CAPABILITY = 1ULL << 23,
        SETTING_NO_NEW_PRIVILEGES = 1ULL << 24,
        SETTING_SYSCALL_FILTER = 1ULL << 25,
        SETTING_PORTS = 1ULL << 26,
        SETTING_RESOLV_CONF = 1ULL << 27,
        SETTING_TIMEZONE = 1ULL << 28,
        SETTING_READ_ONLY = 1ULL << 29,
        SETTING_VOLATILE = 1ULL << 30,
} BootSetting;

typedef struct BootConfig {
        uint64_t set_by;

        BootMode mode;
        char *machine;
        char *directory;
        char *image; /* -i: a disk image instead of a directory */
        bool read_only;
        VolatileMode volatile_mode;

        PrivateUsers private_users;
        uid_t uid_base;  /* PRIVATE_USERS_FIXED */
        uid_t uid_count; /* PRIVATE_USERS_FIXED */
        Ownership ownership;

        ConsoleMode console;
        bool notify_ready;
        bool reboot_loop; /* --reboot=loop: a reboot inside boots the machine again */
        usec_t timeout;   /* USEC_INFINITY: none */
        bool quiet;

        char **environment; /* NAME=VALUE, from -E */
        char *hostname;
        Id128 uuid;
        CustomMount *mounts;
        size_t n_mounts;
        bool as_pid2;
        char *working_directory;
        char *user;
        bool ephemeral;
        bool private_network; /* --private-network, Private= (boot_config_private_network() for the effect) */
        NetworkConfig network;
        ResolvConfMode resolv_conf;
        TimezoneMode timezone;

        RegisterMode register_mode;
        bool keep_unit; /* we run in a unit of our own: its cgroup is the machine's */
        char *slice;    /* for the scope systemd makes (default: machine.slice) */
        SettingsMode settings_mode;
        LinkJournal link_journal;
        Resources resources; /* --property=, [Resources]: each kind has its own "set" bit */

        char **parameters; /* boot: init's arguments; run: the command */

        char *selinux_context;
        char *selinux_apifs_context;
        uint64_t caps_plus;     /* --capability=: on top of the default bounding set */
        uint64_t caps_minus;    /* --drop-capability= */
        uint64_t caps_ambient;  /* --ambient-capability= */
        bool no_new_privileges; /* --no-new-privileges= */
        char **syscall_allow;   /* --system-call-filter=: names and @groups */
        char **syscall_deny;    /* … with "~" */
} BootConfig;

void boot_config_init(BootConfig *c, BootMode mode);
/* Whether the machine gets a network namespace of its own: with
 * --private-network, or with any network option that makes links for it
 * (not --network-namespace-path: that one is the machine's, not new). */
bool boot_config_private_network(const BootConfig *c) _pure_;
void boot_config_done(BootConfig *c);

DECLARE_STRING_TABLE_LOOKUP(boot_mode, BootMode);
DECLARE_STRING_TABLE_LOOKUP(private_users, PrivateUsers);
DECLARE_STRING_TABLE_LOOKUP(ownership, Ownership);
DECLARE_STRING_TABLE_LOOKUP(console_mode, ConsoleMode);
DECLARE_STRING_TABLE_LOOKUP(custom_mount_type, CustomMountType);
DECLARE_STRING_TABLE_LOOKUP(link_journal, LinkJournal);
/* Also takes a boolean word: yes, no. */
VolatileMode volatile_mode_from_string(const char *s) _pure_;
const char *volatile_mode_to_string(VolatileMode m) _const_;

/* "auto" or a boolean. */
RegisterMode register_mode_from_string(const char *s) _pure_;
const char *register_mode_to_string(RegisterMode m) _pure_;

/* "yes", "no", "trusted", "override", or another boolean word. */
SettingsMode settings_mode_from_string(const char *s) _pure_;
const char *settings_mode_to_string(SettingsMode m) _pure_;

/* Value parsers for options. Each returns -EINVAL (or -ERANGE) for a value
 * that can never be right, so that the caller can report bad usage, and
 * leaves the config untouched on failure. */

/* "pick", "identity", "no" (or another boolean word: "yes" is "pick"), "UID"
 * or "UID:COUNT". All digits is a UID, never a boolean. */
int boot_config_set_private_users(BootConfig *c, const char *s);
/* "SRC[:DST[:OPTS]]", OPTS a comma list of rbind, norbind, idmap, noidmap.
 * ':' and '\' may be escaped with '\'. */
int boot_config_add_bind(BootConfig *c, const char *spec, bool read_only);
/* "[+]LOWER…:[+]UPPER:DST" (read_only: every source a lower layer), as
 * systemd-nspawn's --overlay=: with only two paths the second is both the
 * top layer and the destination; an empty UPPER is a tmpfs; "+" makes a
 * source a path in the machine's root. ':' and '\' may be escaped. */
int boot_config_add_overlay(BootConfig *c, const char *spec, bool read_only);
/* "PATH[:OPTS]", OPTS passed on to tmpfs (default mode=0755). */
int boot_config_add_tmpfs(BootConfig *c, const char *spec);
/* "NAME=VALUE" */
int boot_config_add_environment(BootConfig *c, const char *assignment);
/* "NAME=VALUE", a resource limit (resource_parse()) into c->resources,
 * replacing an earlier NAME; sets SETTING_PROPERTIES. -EOPNOTSUPP for a NAME
 * that is not a resource limit, -EINVAL or -ERANGE for a bad VALUE. */
int boot_config_add_property(BootConfig *c, const char *assignment);

/* "CAP_X CAP_Y" or "all", added to the capabilities to keep (drop: to
 * drop); "ambient": the ambient set (not "all"). -EINVAL for an unknown
 * name, *ret_bad (of length *ret_bad_len) in s naming it. */
int boot_config_add_capabilities(BootConfig *c, const char *s, bool drop, const char **ret_bad, size_t *ret_bad_len);
int boot_config_add_ambient_capabilities(BootConfig *c, const char *s, const char **ret_bad, size_t *ret_bad_len);
/* One --system-call-filter= value (syscall_filter_parse()). */
int boot_config_add_syscall_filter(BootConfig *c, const char *s);
/* The machine's bounding set: systemd-nspawn's default (CAP_NET_ADMIN with
 * a private network), plus --capability=, minus --drop-capability=. */
uint64_t boot_config_bounding_set(const BootConfig *c) _pure_;

/* Resolves the console mode to use from the configured one and whether our
 * stdin and stdout are terminals. */
ConsoleMode console_mode_resolve(ConsoleMode m, BootMode mode, bool stdin_tty, bool stdout_tty) _pure_;
