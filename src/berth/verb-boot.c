/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "boot-config.h"
#include "boot.h"
#include "caps.h"
#include "custom-mount.h"
#include "layered-image.h"
#include "log.h"
#include "address-pool.h"
#include "machine-name.h"
#include "oci-image.h"
#include "path-util.h"
#include "settings.h"
#include "string-util.h"
#include "strv.h"
#include "verbs.h"

static void help(BootMode mode) {
        bool run = mode == BOOT_MODE_RUN;

        printf("%s\n\n%s\n\n",
               run ? "berth run [OPTIONS…] [--] [COMMAND [ARGS…]]" : "berth boot [OPTIONS…] [-- INIT-ARGS…]",
               run ? "Run COMMAND in a new machine made from an OS tree, as PID 1 (or PID 2 with -a).\n"
                     "Exits with COMMAND's exit status."
                   : "Boot an OS tree as a machine: its /sbin/init is PID 1. Stays in the foreground\n"
                     "until the machine stops; exits 0 after a poweroff, 133 when it asked to reboot.");
        printf("Image:\n"
               "  -D --directory=PATH       Root directory of the machine\n"
               "  -i --image=FILE           A disk image (GPT or one file system) as the root\n"
               "  -M --machine=NAME         Name of the machine (default: the directory's or\n"
               "                            image's name); alone, the image NAME of the store\n"
               "  -x --ephemeral            Run on a throw-away overlay of the tree\n"
               "     --read-only            Mount the root read-only\n"
               "     --volatile=no|yes|state|overlay\n"
               "                            Keep the tree unchanged: a tmpfs root with its /usr\n"
               "                            (yes), a tmpfs /var (state), a tmpfs overlay\n"
               "     --settings=yes|no|trusted|override\n"
               "                            Read the machine's settings file, NAME.berth or\n"
               "                            NAME.nspawn (default: yes)\n"
               "\nUsers:\n"
               "  -U                        Same as --private-users=pick\n"
               "     --private-users=pick|identity|no|UID[:COUNT]\n"
               "                            User namespace (default: pick a free 64K range)\n"
               "     --private-users-ownership=auto|map|chown|off\n"
               "                            How the tree's files get the range's owners\n"
               "                            (default: auto, idmapped mount where possible)\n");
        if (run)
                printf("  -u --user=USER            Run COMMAND as USER (from the machine's /etc/passwd)\n"
                       "  -a --as-pid2              Run COMMAND as PID 2 under a minimal init\n");
        printf("\nExecution:\n"
               "  -E --setenv=NAME=VALUE    Set an environment variable for %s\n"
               "     --chdir=PATH           Working directory inside the machine\n"
               "     --hostname=NAME        Hostname of the machine (default: its name)\n"
               "     --uuid=UUID            UUID of the machine\n"
               "     --timeout=SEC          Kill the machine if it still runs after SEC\n"
               "  -Z --selinux-context=CTX  SELinux context of %s\n"
               "  -L --selinux-apifs-context=CTX\n"
               "                            SELinux context of the API filesystems\n"
               "\nSecurity:\n"
               "     --capability=CAP…      Keep these capabilities (or all) on top of the default\n"
               "                            bounding set (help: list them)\n"
               "     --drop-capability=CAP… Drop these capabilities (or all) from the bounding set\n"
               "     --ambient-capability=CAP…\n"
               "                            Give these capabilities to the payload in its ambient set\n"
               "     --no-new-privileges=yes|no\n"
               "                            No privileges from set-user-ID programs or file\n"
               "                            capabilities (default: no)\n"
               "     --system-call-filter=[~]NAME…\n"
               "                            Allow system calls and @groups on top of the default\n"
               "                            filter, or with ~ deny them\n"
               "\nNetworking:\n"
               "     --private-network      A network namespace of its own (only loopback)\n"
               "  -n --network-veth         A veth link: ve-NAME here, host0 in the machine, with\n"
               "                            addresses from the pool and NAT to the world\n"
               "     --network-zone=ZONE    A port of bridge vz-ZONE (made when needed), shared by\n"
               "                            the zone's machines, with addresses and NAT\n"
               "     --network-bridge=BRIDGE\n"
               "                            A veth link that joins an existing bridge\n"
               "     --network-interface=IF Move a host link into the machine (back at the end)\n"
               "     --network-macvlan=IF   A macvlan link on IF in the machine\n"
               "     --network-ipvlan=IF    An ipvlan link on IF in the machine\n"
               "     --network-namespace-path=PATH\n"
               "                            Join this network namespace\n"
               "  -p --port=[tcp|udp:]HOSTPORT[:MACHINEPORT]\n"
               "                            Publish a machine port on the host (veth or zone)\n"
               "     --address-pool=PREFIX  Where veth and zone networks come from (default:\n"
               "                            " ADDRESS_POOL_IPV4_DEFAULT " and a unique local IPv6 /48)\n"
               "     --resolv-conf=MODE     /etc/resolv.conf in the machine: off, copy-host,\n"
               "                            copy-uplink, bind-host, replace-uplink, … (default: auto)\n"
               "     --timezone=MODE        /etc/localtime in the machine: off, copy, bind, symlink,\n"
               "                            delete, auto (default)\n"
               "\nMounts:\n"
               "     --bind=SRC[:DST[:OPTS]]     Bind-mount a host path (OPTS: rbind, norbind, idmap)\n"
               "     --bind-ro=SRC[:DST[:OPTS]]  Same, read-only\n"
               "     --tmpfs=PATH[:OPTS]         Mount a tmpfs (OPTS: tmpfs options)\n"
               "     --overlay=[+]LOWER…:[+]UPPER:DST\n"
               "                                 Mount an overlay of host directories (+: in the\n"
               "                                 machine); writes go to UPPER (empty: a tmpfs)\n"
               "     --overlay-ro=[+]LOWER…:DST  Same, read-only\n"
               "\nConsole and supervision:\n"
               "     --console=interactive|read-only|passive|pipe|autopipe\n"
               "                            The machine's console (default: interactive on a\n"
               "                            terminal, %s otherwise)\n"
               "  -P --pipe                 Same as --console=pipe\n"
               "     --notify-ready=yes|no  Report ready to our own service manager when the\n"
               "                            machine's init does (default: when it starts)\n"
               "  -q --quiet                Fewer messages\n"
               "%s"
               "\nHost integration:\n"
               "     --register=yes|no|auto Register with systemd-machined (default: auto, when\n"
               "                            it is on the system bus)\n"
               "     --keep-unit            Use the cgroup of the unit we run in (berth@.service)\n"
               "                            instead of a scope of the machine's own\n"
               "     --slice=SLICE          The slice of the machine's scope (default: machine.slice)\n"
               "     --property=NAME=VALUE  A resource limit: MemoryMax=, MemoryHigh=, CPUWeight=,\n"
               "                            CPUQuota=, TasksMax=, IOWeight=\n"
               "     --link-journal=no|host|try-host|guest|try-guest|auto\n"
               "                            Make the machine's journal visible on the host, in\n"
               "                            /var/log/journal/MACHINE-ID (default: auto)\n"
               "  -h --help                 Show this help\n"
               "\nSee berth(1).\n",
               run ? "COMMAND" : "init", run ? "COMMAND" : "init", run ? "pipe" : "read-only",
               run ? ""
                   : "     --reboot=exit|loop     When the machine reboots: exit with 133 (default), or\n"
                     "                            boot it again, keeping an ephemeral one's changes\n");
}

enum {
        ARG_PRIVATE_USERS = 0x100,
        ARG_PRIVATE_USERS_OWNERSHIP,
        ARG_CONSOLE,
        ARG_NOTIFY_READY,
        ARG_REBOOT,
        ARG_TIMEOUT,
        ARG_HOSTNAME,
        ARG_UUID,
        ARG_BIND,
        ARG_BIND_RO,
        ARG_TMPFS,
        ARG_OVERLAY,
        ARG_OVERLAY_RO,
        ARG_READ_ONLY,
        ARG_VOLATILE,
        ARG_CHDIR,
        ARG_PRIVATE_NETWORK,
        ARG_REGISTER,
        ARG_KEEP_UNIT,
        ARG_SLICE,
        ARG_PROPERTY,
        ARG_SETTINGS,
        ARG_LINK_JOURNAL,
        ARG_CAPABILITY,
        ARG_DROP_CAPABILITY,
        ARG_AMBIENT_CAPABILITY,
        ARG_NO_NEW_PRIVILEGES,
        ARG_SYSTEM_CALL_FILTER,
        ARG_NETWORK_ZONE,
        ARG_NETWORK_BRIDGE,
        ARG_NETWORK_INTERFACE,
        ARG_NETWORK_MACVLAN,
        ARG_NETWORK_IPVLAN,
        ARG_NETWORK_NAMESPACE_PATH,
        ARG_ADDRESS_POOL,
        ARG_RESOLV_CONF,
        ARG_TIMEZONE,
};

/* clang-format off */
static const struct option options[] = {
        { "help",                    no_argument,       NULL, 'h'                         },
        { "directory",               required_argument, NULL, 'D'                         },
        { "machine",                 required_argument, NULL, 'M'                         },
        { "ephemeral",               no_argument,       NULL, 'x'                         },
        { "image",                   required_argument, NULL, 'i'                         },
        { "read-only",               no_argument,       NULL, ARG_READ_ONLY               },
        { "volatile",                optional_argument, NULL, ARG_VOLATILE                },
        { "private-users",           required_argument, NULL, ARG_PRIVATE_USERS           },
        { "private-users-ownership", required_argument, NULL, ARG_PRIVATE_USERS_OWNERSHIP },
        { "user",                    required_argument, NULL, 'u'                         },
        { "as-pid2",                 no_argument,       NULL, 'a'                         },
        { "setenv",                  required_argument, NULL, 'E'                         },
        { "chdir",                   required_argument, NULL, ARG_CHDIR                   },
        { "hostname",                required_argument, NULL, ARG_HOSTNAME                },
        { "uuid",                    required_argument, NULL, ARG_UUID                    },
        { "private-network",         no_argument,       NULL, ARG_PRIVATE_NETWORK         },
        { "network-veth",            no_argument,       NULL, 'n'                         },
        { "network-zone",            required_argument, NULL, ARG_NETWORK_ZONE            },
        { "network-bridge",          required_argument, NULL, ARG_NETWORK_BRIDGE          },
        { "network-interface",       required_argument, NULL, ARG_NETWORK_INTERFACE       },
        { "network-macvlan",         required_argument, NULL, ARG_NETWORK_MACVLAN         },
        { "network-ipvlan",          required_argument, NULL, ARG_NETWORK_IPVLAN          },
        { "network-namespace-path",  required_argument, NULL, ARG_NETWORK_NAMESPACE_PATH  },
        { "port",                    required_argument, NULL, 'p'                         },
        { "address-pool",            required_argument, NULL, ARG_ADDRESS_POOL            },
        { "resolv-conf",             required_argument, NULL, ARG_RESOLV_CONF             },
        { "timezone",                required_argument, NULL, ARG_TIMEZONE                },
        { "timeout",                 required_argument, NULL, ARG_TIMEOUT                 },
        { "selinux-context",         required_argument, NULL, 'Z'                         },
        { "selinux-apifs-context",   required_argument, NULL, 'L'                         },
        { "bind",                    required_argument, NULL, ARG_BIND                    },
        { "bind-ro",                 required_argument, NULL, ARG_BIND_RO                 },
        { "tmpfs",                   required_argument, NULL, ARG_TMPFS                   },
        { "overlay",                 required_argument, NULL, ARG_OVERLAY                 },
        { "overlay-ro",              required_argument, NULL, ARG_OVERLAY_RO              },
        { "console",                 required_argument, NULL, ARG_CONSOLE                 },
        { "pipe",                    no_argument,       NULL, 'P'                         },
        { "notify-ready",            required_argument, NULL, ARG_NOTIFY_READY            },
        { "reboot",                  required_argument, NULL, ARG_REBOOT                  },
        { "quiet",                   no_argument,       NULL, 'q'                         },
        { "register",                required_argument, NULL, ARG_REGISTER                },
        { "keep-unit",               no_argument,       NULL, ARG_KEEP_UNIT               },
        { "slice",                   required_argument, NULL, ARG_SLICE                   },
        { "property",                required_argument, NULL, ARG_PROPERTY                },
        { "settings",                required_argument, NULL, ARG_SETTINGS                },
        { "link-journal",            required_argument, NULL, ARG_LINK_JOURNAL            },
        { "capability",              required_argument, NULL, ARG_CAPABILITY              },
        { "drop-capability",         required_argument, NULL, ARG_DROP_CAPABILITY         },
        { "ambient-capability",      required_argument, NULL, ARG_AMBIENT_CAPABILITY      },
        { "no-new-privileges",       required_argument, NULL, ARG_NO_NEW_PRIVILEGES       },
        { "system-call-filter",      required_argument, NULL, ARG_SYSTEM_CALL_FILTER      },
        {}
};
/* clang-format on */

/* An option printed what was asked (--capability=help): nothing else to do. */
#define HELP_SHOWN 2

static int set_string(char **s, const char *v) {
        return free_and_strdup(s, v) < 0 ? log_oom() : 0;
}

static int parse_property(BootConfig *c, const char *arg) {
        int r = resources_add(&c->resources, arg);

        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return verb_bad_value("property", arg, resource_explain_error(arg, r));
        return 0;
}

/* Each group of options has a parser: 0, < 0 after logging, or NOT_MINE. */
#define NOT_MINE 1

static int parse_image_option(BootConfig *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case 'D':
                c->set_by |= SETTING_DIRECTORY;
                return set_string(&c->directory, arg);
        case 'M':
                if (!machine_name_is_valid(arg))
                        return log_usage("Invalid machine name '%s': 1–64 characters of a-z A-Z 0-9 - _ ., "
                                         "not starting with '.' or '-', no '..'.",
                                         arg);
                c->set_by |= SETTING_MACHINE;
                return set_string(&c->machine, arg);
        case 'i':
                return set_string(&c->image, arg);
        case 'x':
                c->ephemeral = true;
                c->set_by |= SETTING_EPHEMERAL;
                return 0;
        case ARG_READ_ONLY:
                c->read_only = true;
                c->set_by |= SETTING_READ_ONLY;
                return 0;
        case ARG_VOLATILE:
                c->volatile_mode = arg ? volatile_mode_from_string(arg) : VOLATILE_YES;
                if (c->volatile_mode < 0)
                        return verb_bad_value("volatile", arg, "expected no, yes, state or overlay");
                c->set_by |= SETTING_VOLATILE;
                return 0;
        case 'U':
                c->private_users = PRIVATE_USERS_PICK;
                c->set_by |= SETTING_PRIVATE_USERS;
                return 0;
        case ARG_PRIVATE_USERS:
                r = boot_config_set_private_users(c, arg);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return verb_bad_value("private-users", arg, "expected pick, identity, no, UID or UID:COUNT");
                c->set_by |= SETTING_PRIVATE_USERS;
                return 0;
        case ARG_PRIVATE_USERS_OWNERSHIP:
                c->ownership = ownership_from_string(arg);
                if (c->ownership < 0)
                        return verb_bad_value("private-users-ownership", arg, "expected auto, map, chown or off");
                c->set_by |= SETTING_OWNERSHIP;
                return 0;
        case ARG_SETTINGS:
                c->settings_mode = settings_mode_from_string(arg);
                if (c->settings_mode < 0)
                        return verb_bad_value("settings", arg, "expected yes, no, trusted or override");
                return 0;
        default:
                return NOT_MINE;
        }
}

static int parse_execution_option(BootConfig *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case 'u':
                c->set_by |= SETTING_USER;
                return set_string(&c->user, arg);
        case 'a':
                c->as_pid2 = true;
                c->set_by |= SETTING_AS_PID2;
                return 0;
        case 'E':
                r = boot_config_add_environment(c, arg);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return verb_bad_value("setenv", arg, "expected NAME=VALUE");
                return 0;
        case ARG_CHDIR:
                if (!path_is_absolute(arg))
                        return verb_bad_value("chdir", arg, "expected an absolute path");
                c->set_by |= SETTING_WORKING_DIRECTORY;
                return set_string(&c->working_directory, arg);
        case ARG_HOSTNAME:
                if (!hostname_is_valid(arg))
                        return verb_bad_value("hostname", arg, "expected a valid hostname");
                c->set_by |= SETTING_HOSTNAME;
                return set_string(&c->hostname, arg);
        case ARG_UUID:
                if (id128_from_string(arg, &c->uuid) < 0 || id128_is_null(c->uuid))
                        return verb_bad_value("uuid", arg, "expected a UUID");
                c->set_by |= SETTING_UUID;
                return 0;
        case ARG_TIMEOUT:
                if (parse_sec(arg, &c->timeout) < 0 || c->timeout == 0)
                        return verb_bad_value("timeout", arg, "expected a time span such as 30, 90s or 5min");
                c->set_by |= SETTING_TIMEOUT;
                return 0;
        default:
                return NOT_MINE;
        }
}

/* --capability=help: the names. */
static int print_capabilities(void) {
        for (int cap = 0; cap <= CAPS_LAST_KNOWN; cap++)
                printf("%s\n", capability_to_name(cap));
        return 0;
}

static int parse_caps(BootConfig *c, int opt, const char *arg) {
        const char *option = opt == ARG_CAPABILITY        ? "capability"
                             : opt == ARG_DROP_CAPABILITY ? "drop-capability"
                                                          : "ambient-capability";
        const char *bad = NULL;
        size_t n = 0;
        int r;

        if (streq(arg, "help"))
                return print_capabilities() ?: HELP_SHOWN;
        if (opt == ARG_AMBIENT_CAPABILITY)
                r = boot_config_add_ambient_capabilities(c, arg, &bad, &n);
        else
                r = boot_config_add_capabilities(c, arg, opt == ARG_DROP_CAPABILITY, &bad, &n);
        if (r < 0)
                return log_usage("Invalid value '%s' for --%s: unknown capability '%.*s'%s; see --capability=help.",
                                 arg, option, (int) n, strempty(bad),
                                 opt == ARG_AMBIENT_CAPABILITY ? " (\"all\" is not for the ambient set)" : "");
        return 0;
}

static int parse_security_option(BootConfig *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case 'Z':
                c->set_by |= SETTING_SELINUX;
                return set_string(&c->selinux_context, arg);
        case 'L':
                c->set_by |= SETTING_SELINUX;
                return set_string(&c->selinux_apifs_context, arg);
        case ARG_CAPABILITY:
        case ARG_DROP_CAPABILITY:
        case ARG_AMBIENT_CAPABILITY:
                return parse_caps(c, opt, arg);
        case ARG_NO_NEW_PRIVILEGES:
                r = parse_boolean(arg);
                if (r < 0)
                        return verb_bad_value("no-new-privileges", arg, "expected yes or no");
                c->no_new_privileges = r;
                c->set_by |= SETTING_NO_NEW_PRIVILEGES;
                return 0;
        case ARG_SYSTEM_CALL_FILTER:
                r = boot_config_add_syscall_filter(c, arg);
                if (r == -ENOMEM)
                        return log_oom();
                if (r == -ENOENT)
                        return verb_bad_value("system-call-filter", arg,
                                              "unknown @group (systemd-analyze syscall-filter lists them)");
                if (r < 0)
                        return verb_bad_value("system-call-filter", arg,
                                              "expected system call names and @groups, \"~\" first for a deny list");
                return 0;
        default:
                return NOT_MINE;
        }
}

/* A link name for --network-interface= and friends. */
static int parse_link(BootConfig *c, char ***l, const char *option, const char *arg) {
        int r = network_config_add_link(l, arg);

        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return verb_bad_value(option, arg,
                                      "expected a link name (1–15 characters, no '/', ':', '%' or spaces)");
        c->set_by |= SETTING_NETWORK;
        return 0;
}

static int parse_network_name(BootConfig *c, int opt, const char *arg) {
        bool zone = opt == ARG_NETWORK_ZONE;
        int r;

        r = zone ? network_config_set_zone(&c->network, arg) : network_config_set_bridge(&c->network, arg);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return verb_bad_value(
                        zone ? "network-zone" : "network-bridge", arg,
                        zone ? "expected a name of 1–12 characters (vz-ZONE is a link name), no '/', ':', "
                               "'%' or spaces"
                             : "expected a link name (1–15 characters, no '/', ':', '%' or spaces)");
        c->set_by |= SETTING_NETWORK;
        return 0;
}

static int parse_network_option(BootConfig *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case ARG_PRIVATE_NETWORK:
                c->private_network = true;
                c->set_by |= SETTING_NETWORK;
                return 0;
        case 'n':
                c->network.veth = true;
                c->set_by |= SETTING_NETWORK;
                return 0;
        case ARG_NETWORK_ZONE:
        case ARG_NETWORK_BRIDGE:
                return parse_network_name(c, opt, arg);
        case ARG_NETWORK_INTERFACE:
                return parse_link(c, &c->network.interfaces, "network-interface", arg);
        case ARG_NETWORK_MACVLAN:
                return parse_link(c, &c->network.macvlan, "network-macvlan", arg);
        case ARG_NETWORK_IPVLAN:
                return parse_link(c, &c->network.ipvlan, "network-ipvlan", arg);
        case ARG_NETWORK_NAMESPACE_PATH:
                if (!path_is_absolute(arg))
                        return verb_bad_value("network-namespace-path", arg, "expected an absolute path");
                c->set_by |= SETTING_NETWORK;
                return set_string(&c->network.namespace_path, arg);
        case 'p':
                r = network_config_add_port(&c->network, arg);
                if (r == -ENOMEM)
                        return log_oom();
                if (r == -EEXIST)
                        return verb_bad_value("port", arg, "that host port is published already");
                if (r < 0)
                        return verb_bad_value("port", arg, "expected [tcp|udp:]HOSTPORT[:MACHINEPORT], ports 1–65535");
                c->set_by |= SETTING_PORTS;
                return 0;
        case ARG_ADDRESS_POOL:
                r = network_config_set_pool(&c->network, arg);
                if (r == -ERANGE)
                        return verb_bad_value("address-pool", arg,
                                              "expected a prefix wider than /24 (IPv4) or /64 (IPv6)");
                if (r < 0)
                        return verb_bad_value("address-pool", arg,
                                              "expected an IPv4 or IPv6 prefix such as 10.80.0.0/12");
                return 0;
        case ARG_RESOLV_CONF:
                c->resolv_conf = resolv_conf_mode_from_string(arg);
                if (c->resolv_conf < 0)
                        return verb_bad_value(
                                "resolv-conf", arg,
                                "expected off, copy-host, copy-static, copy-uplink, copy-stub, replace-host, "
                                "replace-static, replace-uplink, replace-stub, bind-host, bind-static, "
                                "bind-uplink, bind-stub, delete or auto");
                c->set_by |= SETTING_RESOLV_CONF;
                return 0;
        case ARG_TIMEZONE:
                c->timezone = timezone_mode_from_string(arg);
                if (c->timezone < 0)
                        return verb_bad_value("timezone", arg, "expected off, copy, bind, symlink, delete or auto");
                c->set_by |= SETTING_TIMEZONE;
                return 0;
        default:
                return NOT_MINE;
        }
}

static int parse_mount_option(BootConfig *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case ARG_BIND:
        case ARG_BIND_RO:
                r = boot_config_add_bind(c, arg, opt == ARG_BIND_RO);
                if (r == -ENOMEM)
                        return log_oom();
                if (r == -EPERM)
                        return verb_bad_value(opt == ARG_BIND ? "bind" : "bind-ro", arg, CUSTOM_MOUNT_REFUSED);
                if (r < 0)
                        return verb_bad_value(opt == ARG_BIND ? "bind" : "bind-ro", arg,
                                              "expected SRC[:DST[:OPTS]] with absolute paths");
                return 0;
        case ARG_TMPFS:
                r = boot_config_add_tmpfs(c, arg);
                if (r == -ENOMEM)
                        return log_oom();
                if (r == -EPERM)
                        return verb_bad_value("tmpfs", arg, CUSTOM_MOUNT_REFUSED);
                if (r < 0)
                        return verb_bad_value("tmpfs", arg, "expected an absolute PATH[:OPTS]");
                return 0;
        case ARG_OVERLAY:
        case ARG_OVERLAY_RO:
                r = boot_config_add_overlay(c, arg, opt == ARG_OVERLAY_RO);
                if (r == -ENOMEM)
                        return log_oom();
                if (r == -EPERM)
                        return verb_bad_value(opt == ARG_OVERLAY ? "overlay" : "overlay-ro", arg, CUSTOM_MOUNT_REFUSED);
                if (r < 0)
                        return verb_bad_value(opt == ARG_OVERLAY ? "overlay" : "overlay-ro", arg,
                                              opt == ARG_OVERLAY ? "expected [+]LOWER…:[+]UPPER:DST, absolute paths"
                                                                 : "expected [+]LOWER…:DST, absolute paths");
                return 0;
        default:
                return NOT_MINE;
        }
}

static int parse_supervision_option(BootConfig *c, int opt, const char *arg) {
        int r;

        switch (opt) {
        case ARG_CONSOLE:
                c->console = console_mode_from_string(arg);
                if (c->console < 0)
                        return verb_bad_value("console", arg,
                                              "expected interactive, read-only, passive, pipe or autopipe");
                c->set_by |= SETTING_CONSOLE;
                return 0;
        case 'P':
                c->console = CONSOLE_PIPE;
                c->set_by |= SETTING_CONSOLE;
                return 0;
        case ARG_NOTIFY_READY:
                r = parse_boolean(arg);
                if (r < 0)
                        return verb_bad_value("notify-ready", arg, "expected yes or no");
                c->notify_ready = r;
                c->set_by |= SETTING_NOTIFY_READY;
                return 0;
        case ARG_REBOOT:
                if (!streq(arg, "exit") && !streq(arg, "loop"))
                        return verb_bad_value("reboot", arg, "expected exit or loop");
                if (c->mode == BOOT_MODE_RUN)
                        return log_usage("--reboot= is for booted machines: a command run as PID 1 does not reboot.");
                c->reboot_loop = streq(arg, "loop");
                return 0;
        case 'q':
                c->quiet = true;
                return 0;
        default:
                return NOT_MINE;
        }
}

static int parse_host_option(BootConfig *c, int opt, const char *arg) {
        switch (opt) {
        case ARG_REGISTER:
                c->register_mode = register_mode_from_string(arg);
                if (c->register_mode < 0)
                        return verb_bad_value("register", arg, "expected yes, no or auto");
                c->set_by |= SETTING_REGISTER;
                return 0;
        case ARG_KEEP_UNIT:
                c->keep_unit = true;
                return 0;
        case ARG_SLICE:
                if (!endswith(arg, ".slice") || strchr(arg, '/') || !string_is_safe(arg) || streq(arg, ".slice"))
                        return verb_bad_value("slice", arg, "expected a slice unit name such as machine.slice");
                c->set_by |= SETTING_SLICE;
                return set_string(&c->slice, arg);
        case ARG_PROPERTY:
                return parse_property(c, arg);
        case ARG_LINK_JOURNAL:
                c->link_journal = link_journal_from_string(arg);
                if (c->link_journal < 0)
                        return verb_bad_value("link-journal", arg,
                                              "expected no, host, try-host, guest, try-guest or auto");
                c->set_by |= SETTING_LINK_JOURNAL;
                return 0;
        default:
                return NOT_MINE;
        }
}

/* One option: returns 0, HELP_SHOWN, or < 0 after logging. */
static int parse_option(BootConfig *c, int opt, const char *arg) {
        static int (*const parsers[])(BootConfig * c, int opt, const char *arg) = {
                parse_image_option, parse_execution_option,   parse_security_option, parse_network_option,
                parse_mount_option, parse_supervision_option, parse_host_option,
        };

        for (size_t i = 0; i < ELEMENTSOF(parsers); i++) {
                int r = parsers[i](c, opt, arg);
                if (r != NOT_MINE)
                        return r;
        }
        assert_not_reached();
}

static int parse_argv(int argc, char *argv[], BootConfig *c, bool *ret_help) {
        const char *verb = boot_mode_to_string(c->mode);
        int opt, r;

        *ret_help = false;
        optind = 0;
        opterr = 0;
        /* "+": options end at the first argument, which starts the command
         * or init's arguments. */
        while ((opt = getopt_long(argc, argv, "+:hD:M:i:xUu:aE:Z:L:Pqnp:", options, NULL)) >= 0) {
                if (opt == 'h') {
                        *ret_help = true;
                        return 0;
                }
                if (opt == '?' || opt == ':')
                        return verb_bad_option(verb, opt, argv);
                if (c->mode == BOOT_MODE_BOOT && (opt == 'u' || opt == 'a'))
                        return log_usage("Option '%s' is for 'berth run' only.", opt == 'u' ? "--user" : "--as-pid2");
                r = parse_option(c, opt, optarg);
                if (r != 0)
                        return r; /* an error, or HELP_SHOWN */
        }

        if (optind < argc) {
                c->parameters = strv_copy(argv + optind);
                if (!c->parameters)
                        return log_oom();
                c->set_by |= SETTING_PARAMETERS;
        }
        if (c->as_pid2 && strv_length(c->parameters) == 0)
                return log_usage("--as-pid2 needs a COMMAND.");
        if (c->image && c->directory)
                return log_usage("-i/--image= and -D/--directory= exclude each other: the root is one of them.");
        return 0;
}

/* The machine's settings file (berth.settings(5)), merged into c before the
 * supervisor reads it, so that a bad file fails before anything is made on
 * the host. */
static int load_settings(BootConfig *c, const MachineIdentity *id) {
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *path = NULL, *error = NULL;
        int r;

        if (c->settings_mode == SETTINGS_NO)
                return 0;
        r = settings_load(NULL, c, id->name, id->root, &path, &warnings, &error);
        r = log_file_result(r, error, warnings);
        if (r <= 0)
                return r;
        log_debug("Applied settings from %s (%s).", path, settings_mode_to_string(c->settings_mode));
        if (c->mode == BOOT_MODE_RUN && c->as_pid2 && strv_length(c->parameters) == 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "%s: ProcessTwo=yes needs a command (Parameters=).",
                                       path);
        return 0;
}

/* `berth run` of a layered image with no command runs the image's own, as
 * its OCI config says (app mode): Entrypoint and Cmd, with its Env (under
 * what -E sets), WorkingDir and User (unless given). */
static int apply_oci_config(BootConfig *c, const MachineIdentity *id) {
        _cleanup_(layered_image_done) LayeredImage l = LAYERED_IMAGE_NULL;
        _cleanup_free_ char *json = NULL, *why = NULL;
        _cleanup_(oci_image_done) OciImage o = {};
        int r;

        if (c->mode != BOOT_MODE_RUN || !id->layered || (c->set_by & SETTING_PARAMETERS))
                return 0;
        r = layered_image_open(id->root, &l, &why);
        if (r >= 0)
                r = layered_image_read_config(&l, &json);
        if (r == -ENOENT || (r >= 0 && oci_config_parse(json, &o, &why) < 0))
                r = 0; /* no config, or none we read: the shell, as for any image */
        if (r < 0)
                return log_error_errno(r, "Failed to read the OCI config of '%s': %m", id->root);
        if (strv_length(o.entrypoint) + strv_length(o.cmd) == 0)
                return 0;
        c->parameters = strv_copy(o.entrypoint ?: o.cmd);
        for (char **p = o.entrypoint ? o.cmd : NULL; p && *p && c->parameters; p++)
                if (strv_extend(&c->parameters, *p) < 0)
                        c->parameters = strv_free(c->parameters);
        STRV_FOREACH(e, o.env)
                if (env_assignment_is_valid(*e) && !strv_env_get(c->environment, strndupa(*e, strcspn(*e, "="))))
                        (void) strv_extend(&c->environment, *e);
        if (!c->parameters)
                return log_oom();
        if (o.working_dir && !(c->set_by & SETTING_WORKING_DIRECTORY) && path_is_absolute(o.working_dir))
                r = set_string(&c->working_directory, o.working_dir);
        if (r >= 0 && !isempty(o.user) && !(c->set_by & SETTING_USER))
                r = set_string(&c->user, strndupa(o.user, strcspn(o.user, ":")));
        log_debug("Running the command of the OCI config of '%s'.", id->root);
        return r;
}

/* What only the whole configuration (options and settings file) can say. */
static int check_root(const BootConfig *c) {
        if (c->ephemeral && c->volatile_mode != VOLATILE_NO)
                return log_usage("-x/--ephemeral (Ephemeral=) and --volatile= (Volatile=) exclude each other: both "
                                 "say what becomes of the machine's changes.");
        return 0;
}

static int check_network(const BootConfig *c) {
        const NetworkConfig *n = &c->network;

        if (n->namespace_path && boot_config_private_network(c))
                return log_usage("--network-namespace-path= joins a network namespace as it is: it goes with no "
                                 "other network option.");
        if (n->bridge && n->zone)
                return log_usage("--network-bridge= and --network-zone= exclude each other: a zone is a bridge.");
        if (n->n_ports > 0 && !network_config_addressed(n))
                return log_usage("--port needs --network-veth or --network-zone=: ports are published to the "
                                 "address berth gives the machine.");
        return 0;
}

static int check_confinement(const BootConfig *c) {
        uint64_t bounding = boot_config_bounding_set(c), outside = c->caps_ambient & ~bounding;

        if (outside != 0) {
                _cleanup_free_ char *names = caps_format(outside);
                return log_usage("Ambient capabilities must be in the bounding set, and these are not: %s.",
                                 strna(names));
        }
        if ((c->caps_plus & bounding & (UINT64_C(1) << CAP_NET_ADMIN)) && !boot_config_private_network(c) &&
            !c->network.namespace_path)
                log_warning(c->private_users == PRIVATE_USERS_NO
                                    ? "CAP_NET_ADMIN without --private-network: the machine may reconfigure the "
                                      "host's network."
                                    : "CAP_NET_ADMIN without --private-network: it acts on the machine's own "
                                      "namespaces only, and the host's network is not one of them.");
        return 0;
}

static int verb_boot_or_run(int argc, char *argv[], BootMode mode) {
        _cleanup_(boot_config_done) BootConfig c;
        _cleanup_(machine_identity_done) MachineIdentity id = {};
        bool show_help;
        int r;

        boot_config_init(&c, mode);
        r = parse_argv(argc, argv, &c, &show_help);
        if (r == HELP_SHOWN)
                return 0;
        if (r < 0)
                return r;
        if (show_help) {
                help(mode);
                return 0;
        }

        /* Under a unit, what we say goes to the journal with the machine's
         * name, from here on. */
        machine_log_to_journal(c.machine);
        r = boot_identify(&c, &id);
        if (r >= 0) {
                machine_log_to_journal(id.name);
                r = load_settings(&c, &id);
        }
        if (r >= 0)
                r = apply_oci_config(&c, &id);
        if (r >= 0)
                r = check_root(&c);
        if (r >= 0)
                r = check_network(&c);
        if (r >= 0)
                r = check_confinement(&c);
        if (r >= 0)
                r = boot_machine(&c, &id);
        machine_log_to_journal(NULL);
        return r;
}

int verb_boot(int argc, char *argv[]) {
        return verb_boot_or_run(argc, argv, BOOT_MODE_BOOT);
}

int verb_run(int argc, char *argv[]) {
        return verb_boot_or_run(argc, argv, BOOT_MODE_RUN);
}
