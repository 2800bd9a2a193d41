/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firewall.h"
#include "fuzz.h"
#include "in-addr-util.h"
#include "network-config.h"
#include "string-util.h"

/* --port values, [Network] Port= and the record's PORT=: what is accepted
 * names a protocol and two ports 1…65535, and writes back as it reads. */
static void check_port(const char *s) {
        NetworkConfig c = {};
        _cleanup_free_ char *text = NULL;
        PortForward p;

        if (network_config_add_port(&c, s) < 0) {
                if (c.n_ports != 0)
                        abort();
                network_config_done(&c);
                return;
        }
        if (c.n_ports != 1 || c.ports[0].host_port == 0 || c.ports[0].machine_port == 0 ||
            (c.ports[0].protocol != IPPROTO_TCP && c.ports[0].protocol != IPPROTO_UDP))
                abort();
        /* a second time: the host port is taken */
        if (network_config_add_port(&c, s) != -EEXIST || c.n_ports != 1)
                abort();
        if (port_forward_to_string(&c.ports[0], &text) < 0 || port_forward_from_string(text, &p) < 0 ||
            p.protocol != c.ports[0].protocol || p.host_port != c.ports[0].host_port ||
            p.machine_port != c.ports[0].machine_port)
                abort();
        network_config_done(&c);
}

/* The undo log's nft entries: what is accepted writes back as the same
 * elements, and the text is stable from then on. */
static void check_elements(const char *s) {
        _cleanup_free_ FirewallElement *e = NULL, *f = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL;
        size_t n = 0, m = 0;

        if (firewall_elements_from_string(s, &e, &n) < 0)
                return;
        if (n == 0 || n > 1024)
                abort();
        if (firewall_elements_to_string(e, n, &text) < 0 || firewall_elements_from_string(text, &f, &m) < 0 || m != n ||
            firewall_elements_to_string(f, m, &again) < 0 || !streq(text, again))
                abort();
        for (size_t i = 0; i < n; i++)
                if (e[i].kind != f[i].kind || memcmp(&e[i].address, &f[i].address, sizeof e[i].address) != 0 ||
                    e[i].port != f[i].port || e[i].machine_port != f[i].machine_port)
                        abort();
}

/* Addresses and prefixes: a family, a length that fits, and the same again
 * when written and read back. */
static void check_prefix(const char *s, bool with_prefix) {
        char buf[IN_ADDR_PREFIX_STRING_MAX];
        InAddrPrefix p, q;

        if (in_addr_prefix_from_string(s, with_prefix, &p) < 0)
                return;
        if ((p.family != AF_INET && p.family != AF_INET6) || p.prefixlen > in_addr_family_bits(p.family))
                abort();
        if (!with_prefix && p.prefixlen != in_addr_family_bits(p.family))
                abort();
        in_addr_prefix_to_string(&p, with_prefix, buf);
        if (strlen(buf) >= sizeof buf || in_addr_prefix_from_string(buf, with_prefix, &q) < 0 || q.family != p.family ||
            q.prefixlen != p.prefixlen || memcmp(&q.address, &p.address, sizeof p.address))
                abort();
        in_addr_prefix_mask(&q);
        if (!in_addr_prefix_overlaps(&p, &q) || !in_addr_prefix_contains(&q, &p.address))
                abort();
}

/* Link, bridge and zone names: what is accepted fits a link name. */
static void check_names(const char *s) {
        NetworkConfig c = {};

        if (ifname_is_valid(s) && (strlen(s) >= 16 || strchr(s, '/') || strchr(s, ':') || strchr(s, ' ')))
                abort();
        if (network_config_set_zone(&c, s) >= 0 && strlen(c.zone) > 12)
                abort();
        if (network_config_set_pool(&c, s) >= 0 &&
            (c.pool[0].family == AF_INET ? c.pool[0].prefixlen >= 24 : c.pool[1].prefixlen >= 64))
                abort();
        network_config_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = strndup((const char *) data, size);

        if (!s)
                return 0;
        check_port(s);
        check_elements(s);
        check_prefix(s, true);
        check_prefix(s, false);
        check_names(s);
        return 0;
}
