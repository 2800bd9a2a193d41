/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <arpa/inet.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlopen-util.h"
#include "firewall.h"
#include "output.h"
#include "parse-util.h"
#include "string-util.h"
#include "strv.h"

/* libnftables: only machines with NAT or published ports need it. */
DLOPEN_NOTE(nftables, "NAT and port forwarding for machines", "recommended", "libnftables.so.1");
static void *libnftables_dl;
static DLSYM_PROTOTYPE(nft_ctx_new);
static DLSYM_PROTOTYPE(nft_ctx_free);
static DLSYM_PROTOTYPE(nft_ctx_buffer_output);
static DLSYM_PROTOTYPE(nft_ctx_buffer_error);
static DLSYM_PROTOTYPE(nft_ctx_get_output_buffer);
static DLSYM_PROTOTYPE(nft_ctx_get_error_buffer);
static DLSYM_PROTOTYPE(nft_ctx_output_set_flags);
static DLSYM_PROTOTYPE(nft_run_cmd_from_buffer);

static int dlopen_libnftables(void) {
        return dlopen_many_sym(&libnftables_dl, "libnftables.so.1", DLSYM_ARG(nft_ctx_new), DLSYM_ARG(nft_ctx_free),
                               DLSYM_ARG(nft_ctx_buffer_output), DLSYM_ARG(nft_ctx_buffer_error),
                               DLSYM_ARG(nft_ctx_get_output_buffer), DLSYM_ARG(nft_ctx_get_error_buffer),
                               DLSYM_ARG(nft_ctx_output_set_flags), DLSYM_ARG(nft_run_cmd_from_buffer), NULL);
}

static const char *const firewall_kind_table[_FIREWALL_KIND_MAX] = {
        [FIREWALL_MASQUERADE] = "masquerade",
        [FIREWALL_TCP] = "tcp",
        [FIREWALL_UDP] = "udp",
};
DEFINE_STRING_TABLE_LOOKUP(firewall_kind, FirewallKind);

#define TABLE "inet berth"

/* Packets to the host's loopback addresses are left alone: nftables cannot
 * send those on (IPv6 never routes ::1 off the host; IPv4 only with
 * route_localnet, which lets machines reach the host's 127.0.0.1), so the
 * supervisor relays them.
 *
 * forward: the host routes for the machines now, but only what they ask
 * for: answers, published ports (DNAT), and what machines send each other;
 * a new connection from anywhere else to a machine's network is dropped,
 * so that a neighbour routing to it can't reach ports nobody published.
 * Its policy accepts: what other tables drop stays dropped.
 *
 * postrouting: what leaves the machines' networks is masqueraded; and so
 * is what a machine sends to a published port of itself or of a neighbour
 * (hairpin), so that the answer comes back the way it went. */
static const char table_text[] = //
        "add set " TABLE " masq4 { type ipv4_addr; flags interval; }\n"
        "add set " TABLE " masq6 { type ipv6_addr; flags interval; }\n"
        "add map " TABLE " tcp4 { type inet_service : ipv4_addr . inet_service; }\n"
        "add map " TABLE " udp4 { type inet_service : ipv4_addr . inet_service; }\n"
        "add map " TABLE " tcp6 { type inet_service : ipv6_addr . inet_service; }\n"
        "add map " TABLE " udp6 { type inet_service : ipv6_addr . inet_service; }\n"
        "add chain " TABLE " ports\n"
        "add rule " TABLE " ports meta nfproto ipv4 meta l4proto tcp dnat ip to tcp dport map @tcp4\n"
        "add rule " TABLE " ports meta nfproto ipv4 meta l4proto udp dnat ip to udp dport map @udp4\n"
        "add rule " TABLE " ports meta nfproto ipv6 meta l4proto tcp dnat ip6 to tcp dport map @tcp6\n"
        "add rule " TABLE " ports meta nfproto ipv6 meta l4proto udp dnat ip6 to udp dport map @udp6\n"
        "add chain " TABLE " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
        "add rule " TABLE " prerouting fib daddr type local jump ports\n"
        "add chain " TABLE " output { type nat hook output priority -100; policy accept; }\n"
        "add rule " TABLE " output meta nfproto ipv4 ip daddr != 127.0.0.0/8 fib daddr type local jump ports\n"
        "add rule " TABLE " output meta nfproto ipv6 ip6 daddr != ::1 fib daddr type local jump ports\n"
        "add chain " TABLE " forward { type filter hook forward priority filter; policy accept; }\n"
        "add rule " TABLE " forward ct state established,related accept\n"
        "add rule " TABLE " forward ct status dnat accept\n"
        "add rule " TABLE " forward ip daddr @masq4 ip saddr != @masq4 drop\n"
        "add rule " TABLE " forward ip6 daddr @masq6 ip6 saddr != @masq6 drop\n"
        "add chain " TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
        "add rule " TABLE " postrouting ip saddr @masq4 ip daddr != @masq4 masquerade\n"
        "add rule " TABLE " postrouting ip6 saddr @masq6 ip6 daddr != @masq6 masquerade\n"
        "add rule " TABLE " postrouting ct status dnat ip saddr @masq4 ip daddr @masq4 masquerade\n"
        "add rule " TABLE " postrouting ct status dnat ip6 saddr @masq6 ip6 daddr @masq6 masquerade\n";

struct Firewall {
        struct nft_ctx *ctx;
};

int firewall_open(Firewall **ret) {
        Firewall *f;
        int r;

        r = dlopen_libnftables();
        if (r < 0)
                return r;
        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        f->ctx = sym_nft_ctx_new(NFT_CTX_DEFAULT);
        if (!f->ctx || sym_nft_ctx_buffer_output(f->ctx) < 0 || sym_nft_ctx_buffer_error(f->ctx) < 0) {
                firewall_close(f);
                return -ENOMEM;
        }
        *ret = f;
        return 0;
}

Firewall *firewall_close(Firewall *f) {
        if (!f)
                return NULL;
        if (f->ctx)
                sym_nft_ctx_free(f->ctx);
        free(f);
        return NULL;
}

/* libnftables says what failed in words only ("Could not process rule: File
 * exists"): the kernel's errno, as strerror() spells it. */
static int error_of(Firewall *f) {
        static const int known[] = { ENOENT, EEXIST, EPERM, EACCES, EOPNOTSUPP, EAFNOSUPPORT, EBUSY, ENOMEM, ENOSPC };
        const char *text = sym_nft_ctx_get_error_buffer(f->ctx);

        for (size_t i = 0; text && i < ELEMENTSOF(known); i++)
                if (strstr(text, strerror(known[i])))
                        return -known[i];
        return -EIO;
}

/* Runs commands; their output is then in the output buffer, alone: what
 * earlier ones printed is dropped first (getting the buffers empties them). */
static int run(Firewall *f, unsigned output_flags, const char *commands) {
        (void) sym_nft_ctx_get_output_buffer(f->ctx);
        (void) sym_nft_ctx_get_error_buffer(f->ctx);
        sym_nft_ctx_output_set_flags(f->ctx, output_flags);
        return sym_nft_run_cmd_from_buffer(f->ctx, commands) < 0 ? error_of(f) : 0;
}

static const char *set_of(const FirewallElement *e) {
        static const char *const sets[_FIREWALL_KIND_MAX][2] = {
                [FIREWALL_MASQUERADE] = { "masq4", "masq6" },
                [FIREWALL_TCP] = { "tcp4", "tcp6" },
                [FIREWALL_UDP] = { "udp4", "udp6" },
        };
        return sets[e->kind][e->address.family == AF_INET6];
}

/* The element's key, as nft writes it. */
static const char *key_of(const FirewallElement *e, char buf[static IN_ADDR_PREFIX_STRING_MAX]) {
        if (e->kind == FIREWALL_MASQUERADE)
                return in_addr_prefix_to_string(&e->address, true, buf);
        snprintf(buf, IN_ADDR_PREFIX_STRING_MAX, "%u", (unsigned) e->port);
        return buf;
}

static bool element_is_valid(const FirewallElement *e) {
        return e->kind >= 0 && e->kind < _FIREWALL_KIND_MAX && IN_SET(e->address.family, AF_INET, AF_INET6) &&
               (e->kind == FIREWALL_MASQUERADE || (e->port > 0 && e->machine_port > 0));
}

/* One element as text, into f. */
typedef void (*ElementFormat)(FILE *f, const FirewallElement *e, size_t i, const char *verb);

/* Every element, checked, formatted into a new string. */
static int format_elements(const FirewallElement *e, size_t n, ElementFormat format, const char *verb, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!element_is_valid(&e[i])) {
                        fclose(f);
                        return -EINVAL;
                }
                format(f, &e[i], i, verb);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

/* "VERB element inet berth SET { KEY[ : VALUE] }": "add" with the value. */
static void format_command(FILE *f, const FirewallElement *e, size_t i, const char *verb) {
        char key[IN_ADDR_PREFIX_STRING_MAX], a[IN_ADDR_PREFIX_STRING_MAX];

        fprintf(f, "%s element " TABLE " %s { %s", verb, set_of(e), key_of(e, key));
        if (streq(verb, "add") && e->kind != FIREWALL_MASQUERADE)
                fprintf(f, " : %s . %u", in_addr_prefix_to_string(&e->address, false, a), (unsigned) e->machine_port);
        fputs(" }\n", f);
}

static int element_commands(const char *verb, const FirewallElement *e, size_t n, char **ret) {
        return format_elements(e, n, format_command, verb, ret);
}

int firewall_add(Firewall *f, const FirewallElement *e, size_t n) {
        _cleanup_free_ char *elements = NULL, *all = NULL;
        int r;

        /* "add" fails on a key that has another value: what we want. */
        r = element_commands("add", e, n, &elements);
        if (r < 0)
                return r;
        /* Usually the table is new (a machine alone, or the first of a
         * while): made with its rules and our elements in one transaction,
         * there whole or not at all. "create" fails when it is there. */
        all = strjoin("create table " TABLE "\n", table_text, elements);
        if (!all)
                return -ENOMEM;
        r = run(f, 0, all);
        if (r >= 0)
                return 1;
        if (r != -EEXIST)
                return r;
        return run(f, 0, elements);
}

int firewall_find_taken(Firewall *f, const FirewallElement *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *cmd = NULL;
                int r;

                r = element_commands("get", e + i, 1, &cmd);
                if (r < 0)
                        return r;
                if (run(f, 0, cmd) >= 0)
                        return (int) i;
        }
        return -ENOENT;
}

static int remove_table_if_empty(Firewall *f) {
        int r;

        r = run(f, NFT_CTX_OUTPUT_JSON, "list table " TABLE);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = json_text_count(sym_nft_ctx_get_output_buffer(f->ctx), "elem");
        if (r != 0)
                return r < 0 ? r : 0;
        r = run(f, 0, "delete table " TABLE);
        return r == -ENOENT ? 0 : r;
}

/* The element is there, and (a port) still leads to the machine it was
 * published for: the kernel deletes a map's element by its key alone, and
 * after a killed machine the key may be another's. */
static int element_is_ours(Firewall *f, const FirewallElement *e) {
        _cleanup_free_ char *get = NULL, *want = NULL;
        char key[IN_ADDR_PREFIX_STRING_MAX], a[IN_ADDR_PREFIX_STRING_MAX];
        const char *out;
        int r;

        r = element_commands("get", e, 1, &get);
        r = r ?: run(f, 0, get);
        if (r == -ENOENT)
                return 0;
        if (r < 0 || e->kind == FIREWALL_MASQUERADE)
                return r < 0 ? r : 1;
        want = strdup_printf("{ %s : %s . %u }", key_of(e, key), in_addr_prefix_to_string(&e->address, false, a),
                             (unsigned) e->machine_port);
        out = sym_nft_ctx_get_output_buffer(f->ctx);
        if (!want)
                return -ENOMEM;
        return out && strstr(out, want);
}

int firewall_remove(Firewall *f, const FirewallElement *e, size_t n) {
        _cleanup_free_ FirewallElement *ours = NULL;
        _cleanup_free_ char *cmds = NULL;
        size_t n_ours = 0;
        int r;

        ours = calloc(MAX(n, 1u), sizeof(FirewallElement));
        if (!ours)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = element_is_ours(f, &e[i]);
                if (r < 0)
                        return r;
                if (r > 0)
                        ours[n_ours++] = e[i];
        }
        if (n_ours > 0) {
                r = element_commands("delete", ours, n_ours, &cmds);
                r = r ?: run(f, 0, cmds);
                if (r < 0)
                        return r;
        }
        return remove_table_if_empty(f);
}

/* "masquerade PREFIX" or "tcp4 PORT ADDRESS MACHINEPORT", comma-separated. */
static void format_key(FILE *f, const FirewallElement *e, size_t i, const char *verb) {
        char key[IN_ADDR_PREFIX_STRING_MAX], a[IN_ADDR_PREFIX_STRING_MAX];

        if (e->kind == FIREWALL_MASQUERADE)
                fprintf(f, "%smasquerade %s", i ? "," : "", key_of(e, key));
        else
                fprintf(f, "%s%s%c %u %s %u", i ? "," : "", firewall_kind_to_string(e->kind),
                        e->address.family == AF_INET ? '4' : '6', (unsigned) e->port,
                        in_addr_prefix_to_string(&e->address, false, a), (unsigned) e->machine_port);
}

int firewall_elements_to_string(const FirewallElement *e, size_t n, char **ret) {
        return format_elements(e, n, format_key, NULL, ret);
}

/* A port, all digits, 1…65535: exactly the n characters at s. */
static int port_from(const char *s, size_t n, uint16_t *ret) {
        char buf[6];
        uint32_t v;

        if (n == 0 || n >= sizeof buf || s[0] == '0')
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (strspn(buf, "0123456789") != n || safe_atou32(buf, 10, &v) < 0 || v > UINT16_MAX)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* "masquerade PREFIX" or "KINDFAMILY PORT ADDRESS MACHINEPORT", one space
 * between, nothing else. */
static int element_from_string(const char *s, FirewallElement *ret) {
        static const char *const names[] = { "tcp4 ", "tcp6 ", "udp4 ", "udp6 " };
        FirewallElement e = {};
        char address[INET6_ADDRSTRLEN];
        const char *v, *sp1, *sp2;
        size_t i;

        if ((v = startswith(s, "masquerade "))) {
                e.kind = FIREWALL_MASQUERADE;
                if (in_addr_prefix_from_string(v, true, &e.address) < 0)
                        return -EINVAL;
                *ret = e;
                return 0;
        }
        for (i = 0; i < ELEMENTSOF(names); i++)
                if ((v = startswith(s, names[i])))
                        break;
        if (i >= ELEMENTSOF(names))
                return -EINVAL;
        sp1 = strchr(v, ' ');
        sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp2 || (size_t) (sp2 - sp1 - 1) >= sizeof address || sp2 == sp1 + 1)
                return -EINVAL;
        memcpy(address, sp1 + 1, (size_t) (sp2 - sp1 - 1));
        address[sp2 - sp1 - 1] = '\0';
        if (port_from(v, (size_t) (sp1 - v), &e.port) < 0 || port_from(sp2 + 1, strlen(sp2 + 1), &e.machine_port) < 0 ||
            in_addr_prefix_from_string(address, false, &e.address) < 0 ||
            e.address.family != (i % 2 == 0 ? AF_INET : AF_INET6))
                return -EINVAL;
        e.kind = i < 2 ? FIREWALL_TCP : FIREWALL_UDP;
        *ret = e;
        return 0;
}

#define FIREWALL_ELEMENTS_MAX 1024

int firewall_elements_from_string(const char *s, FirewallElement **ret, size_t *ret_n) {
        _cleanup_free_ FirewallElement *l = NULL;
        size_t n = 0;

        for (const char *p = s;;) {
                size_t len = strcspn(p, ",");
                char item[64];
                FirewallElement *m;

                if (len == 0 || len >= sizeof item || n >= FIREWALL_ELEMENTS_MAX)
                        return -EINVAL;
                memcpy(item, p, len);
                item[len] = '\0';
                m = reallocarray(l, n + 1, sizeof(FirewallElement));
                if (!m)
                        return -ENOMEM;
                l = m;
                if (element_from_string(item, &l[n++]) < 0)
                        return -EINVAL;
                if (p[len] == '\0')
                        break;
                p += len + 1;
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

int firewall_forward_drops(Firewall *f, char **ret) {
        _cleanup_strv_free_ char **found = NULL;
        int r;

        r = run(f, NFT_CTX_OUTPUT_JSON, "list chains");
        if (r < 0)
                return r;
        r = json_text_find(sym_nft_ctx_get_output_buffer(f->ctx), "chain",
                           STRV_MAKE("hook", "forward", "policy", "drop"), STRV_MAKE("family", "table", "name"),
                           &found);
        if (r <= 0)
                return r;
        *ret = strv_join(found, " ");
        return *ret ? 1 : -ENOMEM;
}
