/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroup.h"
#include "custom-mount.h"
#include "firewall.h"
#include "lock-util.h"
#include "machine-name.h"
#include "machine-paths.h"
#include "machined.h"
#include "mount-table.h"
#include "netdev.h"
#include "netns-util.h"
#include "network-config.h"
#include "parse-util.h"
#include "path-util.h"
#include "rm-rf.h"
#include "string-table.h"
#include "string-util.h"
#include "strv.h"
#include "undo.h"

static const char *const undo_type_table[_UNDO_TYPE_MAX] = {
        [UNDO_LOCK_FILE] = "lock",    [UNDO_CGROUP] = "cgroup",     [UNDO_MOUNTS] = "mounts",   [UNDO_FILE] = "file",
        [UNDO_MACHINED] = "machined", [UNDO_CGROUP_V1] = "cgroup1", [UNDO_WORKDIR] = "workdir", [UNDO_LINK] = "link",
        [UNDO_ZONE] = "zone",         [UNDO_FIREWALL] = "nft",
};
DEFINE_STRING_TABLE_LOOKUP(undo_type, UndoType);

int undo_log_push(UndoLog *u, UndoType type, const char *path) {
        char *e = strjoin(undo_type_to_string(type), ":", path);

        if (!e)
                return -ENOMEM;
        return strv_consume(&u->entries, e);
}

void undo_log_forget(UndoLog *u, UndoType type, const char *path) {
        _cleanup_free_ char *e = strjoin(undo_type_to_string(type), ":", path);
        size_t n = strv_length(u->entries);

        if (!e)
                return;
        for (size_t i = n; i > 0; i--)
                if (streq(u->entries[i - 1], e)) {
                        free(u->entries[i - 1]);
                        memmove(u->entries + i - 1, u->entries + i, (n - i + 1) * sizeof(char *));
                        return;
                }
}

char *undo_network_entry(uint64_t netns_cookie, const char *netns_path, const char *what) {
        return strdup_printf("%" PRIu64 ":%s:%s", netns_cookie, netns_path, what);
}

/* "NAME" or "NAME@IFINDEX" (once the link is made, its index: what makes
 * it ours, since its name may be another's later). ret_name: IFNAMSIZ
 * bytes, or NULL. */
static int link_entry_parse(const char *what, char *ret_name, int *ret_ifindex) {
        const char *at = strrchr(what, '@');
        size_t n = at ? (size_t) (at - what) : strlen(what);
        char name[IFNAMSIZ];
        int ifindex = 0;

        if (n >= sizeof name)
                return -EINVAL;
        memcpy(name, what, n);
        name[n] = '\0';
        if (!ifname_is_valid(name) || (at && (safe_atoi(at + 1, &ifindex) < 0 || ifindex <= 0)))
                return -EINVAL;
        if (ret_name)
                strcpy(ret_name, name);
        if (ret_ifindex)
                *ret_ifindex = ifindex;
        return 0;
}

char *undo_link_entry(const char *name, int ifindex) {
        return ifindex > 0 ? strdup_printf("%s@%i", name, ifindex) : strdup(name);
}

typedef struct NetworkEntry {
        uint64_t cookie;
        char path[PATH_MAX];
        const char *what;
} NetworkEntry;

/* "COOKIE:PATH:WHAT": PATH a network namespace, WHAT a link name or a
 * firewall element. */
static int parse_network_entry(UndoType t, const char *s, NetworkEntry *ret) {
        const char *colon = strchr(s, ':'), *colon2;
        char cookie[21];
        size_t n;

        if (!colon || (size_t) (colon - s) >= sizeof cookie)
                return -EINVAL;
        memcpy(cookie, s, (size_t) (colon - s));
        cookie[colon - s] = '\0';
        colon2 = strchr(colon + 1, ':');
        if (!colon2 || safe_atou64(cookie, 10, &ret->cookie) < 0)
                return -EINVAL;
        n = (size_t) (colon2 - colon - 1);
        if (n >= sizeof ret->path)
                return -EINVAL;
        memcpy(ret->path, colon + 1, n);
        ret->path[n] = '\0';
        if (!path_is_absolute(ret->path) || !path_has_no_dotdot(ret->path))
                return -EINVAL;
        ret->what = colon2 + 1;
        if (t == UNDO_FIREWALL) {
                _cleanup_free_ FirewallElement *e = NULL;
                size_t n_e;

                return firewall_elements_from_string(ret->what, &e, &n_e);
        }
        if (t == UNDO_LINK)
                return link_entry_parse(ret->what, NULL, NULL);
        return ifname_is_valid(ret->what) ? 0 : -EINVAL;
}

static int parse_entry(const char *entry, UndoType *ret_type, const char **ret_path) {
        const char *colon = strchr(entry, ':');
        char type[16];
        UndoType t;

        if (!colon || (size_t) (colon - entry) >= sizeof type)
                return -EINVAL;
        memcpy(type, entry, (size_t) (colon - entry));
        type[colon - entry] = '\0';
        t = undo_type_from_string(type);
        if (t < 0)
                return -EINVAL;
        if (t == UNDO_MACHINED) {
                if (!machine_name_is_valid(colon + 1))
                        return -EINVAL;
                *ret_type = t;
                *ret_path = colon + 1;
                return 0;
        }
        if (IN_SET(t, UNDO_LINK, UNDO_ZONE, UNDO_FIREWALL)) {
                NetworkEntry n;

                if (parse_network_entry(t, colon + 1, &n) < 0)
                        return -EINVAL;
                *ret_type = t;
                *ret_path = colon + 1;
                return 0;
        }
        /* Only absolute paths without "..": a record is not trusted to
         * point anywhere else. */
        if (!path_is_absolute(colon + 1) || !path_has_no_dotdot(colon + 1))
                return -EINVAL;
        if (t == UNDO_FILE && !path_startswith_dir(colon + 1, BERTH_RUNTIME_DIR))
                return -EINVAL;
        if (t == UNDO_CGROUP_V1 && !path_startswith_dir(colon + 1, "/sys/fs/cgroup"))
                return -EINVAL;
        if (t == UNDO_WORKDIR && !custom_mount_is_overlay_workdir(colon + 1))
                return -EINVAL;
        *ret_type = t;
        *ret_path = colon + 1;
        return 0;
}

bool undo_entry_is_valid(const char *entry) {
        UndoType t;
        const char *p;

        return parse_entry(entry, &t, &p) >= 0;
}

/* A zone's bridge goes with its last port, and the NAT of its networks
 * with it. Under the network lock. Only a bridge berth marked as a zone's
 * (ZONE_BRIDGE_ALIAS), or one as bare as berth makes it before it marks it
 * (no alias, no address: its supervisor was killed in between); another of
 * that name is someone else's. */
static int remove_zone(const char *bridge) {
        _cleanup_(netdev_closep) Netdev *n = NULL;
        _cleanup_(firewall_closep) Firewall *f = NULL;
        char kind[32], alias[64];
        InAddrPrefix a;
        int r, ifindex;

        r = netdev_open(-EBADF, &n);
        if (r < 0)
                return r;
        ifindex = netdev_link_index(n, bridge);
        if (ifindex == -ENODEV)
                return 0;
        if (ifindex < 0)
                return ifindex;
        r = netdev_link_kind(n, ifindex, kind, sizeof kind);
        if (r < 0)
                return r;
        if (!streq(kind, "bridge") || netdev_link_alias(n, ifindex, alias, sizeof alias) < 0)
                return 0;
        if (!streq(alias, ZONE_BRIDGE_ALIAS) && (!isempty(alias) || netdev_link_address(n, ifindex, AF_INET, &a) >= 0 ||
                                                 netdev_link_address(n, ifindex, AF_INET6, &a) >= 0))
                return 0; /* not a zone's: someone else's link now */
        r = netdev_bridge_n_ports(n, ifindex);
        if (r != 0)
                return r < 0 ? r : 0;

        FirewallElement e[2];
        size_t n_e = 0;

        for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
                e[n_e] = (FirewallElement) { .kind = FIREWALL_MASQUERADE };
                if (netdev_link_address(n, ifindex, family, &e[n_e].address) < 0)
                        continue;
                in_addr_prefix_mask(&e[n_e++].address);
        }
        if (n_e > 0) {
                r = firewall_open(&f);
                r = r ?: firewall_remove(f, e, n_e);
                /* Without libnftables, there were no rules of ours. */
                if (r < 0 && r != -EOPNOTSUPP)
                        return r;
        }
        return netdev_link_delete(n, bridge);
}

static int undo_network(UndoType t, const char *entry) {
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        NetworkEntry n;
        int r, saved;

        r = parse_network_entry(t, entry, &n);
        if (r < 0)
                return r;
        r = netns_enter(n.path, n.cookie, &saved);
        if (r == -ESTALE)
                return 0; /* the namespace is gone, and all that was in it */
        if (r < 0)
                return r;

        if (t == UNDO_LINK) {
                _cleanup_(netdev_closep) Netdev *d = NULL;
                char name[IFNAMSIZ];
                int ifindex, now;

                r = link_entry_parse(n.what, name, &ifindex);
                r = r ?: netdev_open(-EBADF, &d);
                now = r < 0 ? r : netdev_link_index(d, name);
                if (r >= 0 && now > 0 && (ifindex == 0 || now == ifindex))
                        r = netdev_link_delete(d, name);
        } else {
                /* Zones and the table are shared between machines. */
                r = lock_file_acquire(NETWORK_LOCK_PATH, LOCK_EX, &lock);
                if (r >= 0 && t == UNDO_ZONE)
                        r = remove_zone(n.what);
                else if (r >= 0) {
                        _cleanup_(firewall_closep) Firewall *f = NULL;
                        _cleanup_free_ FirewallElement *e = NULL;
                        size_t n_e;

                        r = firewall_elements_from_string(n.what, &e, &n_e);
                        r = r ?: firewall_open(&f);
                        r = r ?: firewall_remove(f, e, n_e);
                }
        }
        netns_leave(saved);
        return r < 0 ? r : 0;
}

int undo_entry_run(const char *entry, SystemBus *bus) {
        UndoType t;
        const char *path;
        int r;

        r = parse_entry(entry, &t, &path);
        if (r < 0)
                return r;

        switch (t) {
        case UNDO_LOCK_FILE:
                r = lock_file_remove_stale(path);
                return r == -EBUSY ? 0 : r; /* somebody else's now */
        case UNDO_CGROUP:
                return cgroup_kill_and_remove("/", path);
        case UNDO_CGROUP_V1:
                return cgroup_v1_kill_and_remove(path);
        case UNDO_MOUNTS:
                return mount_table_umount_under(path);
        case UNDO_FILE:
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        case UNDO_WORKDIR:
                return rm_rf_path(path);
        case UNDO_LINK:
        case UNDO_ZONE:
        case UNDO_FIREWALL:
                return undo_network(t, path);
        case UNDO_MACHINED: {
                sd_bus *b;

                /* No bus or no machined: nothing is registered any more. */
                if (!bus || system_bus_get(bus, &b) < 0)
                        return 0;
                r = machined_unregister(b, path, NULL);
                return r == -ENOENT || r == -ECONNREFUSED || r == -EHOSTDOWN ? 0 : r;
        }
        default:
                return -EINVAL;
        }
}

int undo_log_run(UndoLog *u, SystemBus *bus) {
        size_t n = strv_length(u->entries);
        int ret = 0;

        for (size_t i = n; i > 0; i--) {
                int r = undo_entry_run(u->entries[i - 1], bus);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        u->entries = strv_free(u->entries);
        return ret;
}

void undo_log_done(UndoLog *u) {
        u->entries = strv_free(u->entries);
}
