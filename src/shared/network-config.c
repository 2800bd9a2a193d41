/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <netinet/in.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network-config.h"
#include "parse-util.h"
#include "string-util.h"
#include "strv.h"

void network_config_done(NetworkConfig *c) {
        free(c->bridge);
        free(c->zone);
        strv_free(c->interfaces);
        strv_free(c->macvlan);
        strv_free(c->ipvlan);
        free(c->namespace_path);
        free(c->ports);
        *c = (NetworkConfig) {};
}

static int copy_string(char **dst, const char *src) {
        if (!src) {
                *dst = NULL;
                return 0;
        }
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

static int copy_strv(char ***dst, char *const *src) {
        if (!src) {
                *dst = NULL;
                return 0;
        }
        *dst = strv_copy(src);
        return *dst ? 0 : -ENOMEM;
}

int network_config_copy(NetworkConfig *dst, const NetworkConfig *src) {
        NetworkConfig c = {
                .veth = src->veth,
                .n_ports = src->n_ports,
                .pool = { src->pool[0], src->pool[1] },
        };
        int r;

        r = copy_string(&c.bridge, src->bridge);
        r = r ?: copy_string(&c.zone, src->zone);
        r = r ?: copy_strv(&c.interfaces, src->interfaces);
        r = r ?: copy_strv(&c.macvlan, src->macvlan);
        r = r ?: copy_strv(&c.ipvlan, src->ipvlan);
        r = r ?: copy_string(&c.namespace_path, src->namespace_path);
        if (r >= 0 && src->n_ports > 0) {
                c.ports = reallocarray(NULL, src->n_ports, sizeof(PortForward));
                if (c.ports)
                        memcpy(c.ports, src->ports, src->n_ports * sizeof(PortForward));
                else
                        r = -ENOMEM;
        }
        if (r < 0) {
                network_config_done(&c);
                return r;
        }
        network_config_done(dst);
        *dst = c;
        return 0;
}

bool network_config_private(const NetworkConfig *c) {
        return c->veth || c->bridge || c->zone || c->interfaces || c->macvlan || c->ipvlan;
}

bool network_config_addressed(const NetworkConfig *c) {
        return (c->veth && !c->bridge) || c->zone;
}

bool ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= IFNAMSIZ || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                /* '%': the kernel would take "%d" for a template to fill in. */
                if (*p == '/' || *p == ':' || *p == '%' || (unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

int network_config_add_link(char ***l, const char *name) {
        if (!ifname_is_valid(name))
                return -EINVAL;
        if (strv_contains(*l, name))
                return 0;
        return strv_extend(l, name);
}

static int set_name(char **field, const char *name, size_t prefix) {
        char *n;

        if (strlen(name) + prefix >= IFNAMSIZ || !ifname_is_valid(name))
                return -EINVAL;
        n = strdup(name);
        if (!n)
                return -ENOMEM;
        free(*field);
        *field = n;
        return 0;
}

int network_config_set_bridge(NetworkConfig *c, const char *name) {
        return set_name(&c->bridge, name, 0);
}

int network_config_set_zone(NetworkConfig *c, const char *name) {
        return set_name(&c->zone, name, strlen("vz-"));
}

int network_config_set_pool(NetworkConfig *c, const char *prefix) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(prefix, true, &p) < 0)
                return -EINVAL;
        /* Room for a /24 (a /64) per network, and more than one. */
        if (p.prefixlen >= (p.family == AF_INET ? 24U : 64U))
                return -ERANGE;
        in_addr_prefix_mask(&p);
        c->pool[p.family == AF_INET6] = p;
        return 0;
}

static int parse_port(const char *s, size_t n, uint16_t *ret) {
        char buf[6];
        uint32_t v;

        if (n == 0 || n >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (safe_atou32(buf, 10, &v) < 0 || v == 0 || v > UINT16_MAX)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int port_forward_from_string(const char *s, PortForward *ret) {
        PortForward p = { .protocol = IPPROTO_TCP };
        const char *colon, *v;
        int r;

        if ((v = startswith(s, "tcp:")))
                s = v;
        else if ((v = startswith(s, "udp:"))) {
                p.protocol = IPPROTO_UDP;
                s = v;
        }
        colon = strchr(s, ':');
        r = parse_port(s, colon ? (size_t) (colon - s) : strlen(s), &p.host_port);
        if (r < 0)
                return r;
        if (colon) {
                r = parse_port(colon + 1, strlen(colon + 1), &p.machine_port);
                if (r < 0)
                        return r;
        } else
                p.machine_port = p.host_port;
        *ret = p;
        return 0;
}

int port_forward_to_string(const PortForward *p, char **ret) {
        return asprintf(ret, "%s:%u:%u", p->protocol == IPPROTO_UDP ? "udp" : "tcp", (unsigned) p->host_port,
                        (unsigned) p->machine_port) < 0
                       ? -ENOMEM
                       : 0;
}

int network_config_add_port(NetworkConfig *c, const char *spec) {
        PortForward p, *n;
        int r;

        r = port_forward_from_string(spec, &p);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_ports; i++)
                if (c->ports[i].protocol == p.protocol && c->ports[i].host_port == p.host_port)
                        return -EEXIST;
        n = reallocarray(c->ports, c->n_ports + 1, sizeof(PortForward));
        if (!n)
                return -ENOMEM;
        c->ports = n;
        c->ports[c->n_ports++] = p;
        return 0;
}

static const char *const resolv_conf_mode_table[_RESOLV_CONF_MODE_MAX] = {
        [RESOLV_CONF_OFF] = "off",
        [RESOLV_CONF_COPY_HOST] = "copy-host",
        [RESOLV_CONF_COPY_STATIC] = "copy-static",
        [RESOLV_CONF_COPY_UPLINK] = "copy-uplink",
        [RESOLV_CONF_COPY_STUB] = "copy-stub",
        [RESOLV_CONF_REPLACE_HOST] = "replace-host",
        [RESOLV_CONF_REPLACE_STATIC] = "replace-static",
        [RESOLV_CONF_REPLACE_UPLINK] = "replace-uplink",
        [RESOLV_CONF_REPLACE_STUB] = "replace-stub",
        [RESOLV_CONF_BIND_HOST] = "bind-host",
        [RESOLV_CONF_BIND_STATIC] = "bind-static",
        [RESOLV_CONF_BIND_UPLINK] = "bind-uplink",
        [RESOLV_CONF_BIND_STUB] = "bind-stub",
        [RESOLV_CONF_DELETE] = "delete",
        [RESOLV_CONF_AUTO] = "auto",
};
DEFINE_STRING_TABLE_LOOKUP(resolv_conf_mode, ResolvConfMode);

static const char *const timezone_mode_table[_TIMEZONE_MODE_MAX] = {
        [TIMEZONE_OFF] = "off",         [TIMEZONE_COPY] = "copy",     [TIMEZONE_BIND] = "bind",
        [TIMEZONE_SYMLINK] = "symlink", [TIMEZONE_DELETE] = "delete", [TIMEZONE_AUTO] = "auto",
};
DEFINE_STRING_TABLE_LOOKUP(timezone_mode, TimezoneMode);
