/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <nftables/libnftables.h>
#include <sys/socket.h>

#include "dlopen-util.h"
#include "firewall.h"
#include "string-util.h"
#include "tests.h"

static InAddrPrefix prefix(const char *s) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(s, true, &p) < 0)
                tests_fail(__FILE__, __LINE__, "\"%s\" refused", s);
        return p;
}

static InAddrPrefix address(const char *s) {
        InAddrPrefix p;

        if (in_addr_prefix_from_string(s, false, &p) < 0)
                tests_fail(__FILE__, __LINE__, "\"%s\" refused", s);
        return p;
}

static FirewallElement masquerade(const char *subnet) {
        return (FirewallElement) { .kind = FIREWALL_MASQUERADE, .address = prefix(subnet) };
}

static FirewallElement port(FirewallKind kind, uint16_t host_port, const char *machine, uint16_t machine_port) {
        return (FirewallElement) {
                .kind = kind,
                .address = address(machine),
                .port = host_port,
                .machine_port = machine_port,
        };
}

TEST(firewall_kind_table) {
        CHECK_TABLE(firewall_kind, _FIREWALL_KIND_MAX, "masquerade", "tcp", "udp");
}

/* --- The undo log's text ---------------------------------------------------- */

TEST(elements_round_trip) {
        const FirewallElement e[] = {
                masquerade("10.80.3.0/24"),
                masquerade("fd12:3456:789a:3::/64"),
                port(FIREWALL_TCP, 8080, "10.80.3.2", 80),
                port(FIREWALL_UDP, 53, "fd12:3456:789a:3::2", 5353),
                port(FIREWALL_TCP, 443, "fd12:3456:789a:3::2", 443),
                port(FIREWALL_UDP, 1, "10.80.3.2", 65535),
                port(FIREWALL_TCP, 65535, "10.80.3.2", 1),
        };
        static const char expected[] = "masquerade 10.80.3.0/24,masquerade fd12:3456:789a:3::/64,"
                                       "tcp4 8080 10.80.3.2 80,udp6 53 fd12:3456:789a:3::2 5353,"
                                       "tcp6 443 fd12:3456:789a:3::2 443,udp4 1 10.80.3.2 65535,"
                                       "tcp4 65535 10.80.3.2 1";
        _cleanup_free_ char *text = NULL, *again = NULL;
        _cleanup_free_ FirewallElement *back = NULL;
        size_t n = 0;

        ASSERT_OK(firewall_elements_to_string(e, ELEMENTSOF(e), &text));
        ASSERT_STREQ(text, expected);
        ASSERT_OK(firewall_elements_from_string(text, &back, &n));
        ASSERT_EQ(n, ELEMENTSOF(e));
        /* nothing lost: a port's value is what removing checks before it
         * deletes a key that may be another machine's by now */
        for (size_t i = 0; i < n; i++) {
                ASSERT_EQ(back[i].kind, e[i].kind);
                ASSERT_EQ(back[i].address.family, e[i].address.family);
                ASSERT_EQ(back[i].address.prefixlen, e[i].address.prefixlen);
                ASSERT_TRUE(memcmp(&back[i].address.address, &e[i].address.address, 16) == 0);
                ASSERT_EQ(back[i].port, e[i].port);
                ASSERT_EQ(back[i].machine_port, e[i].machine_port);
        }

        /* and the text is stable */
        ASSERT_OK(firewall_elements_to_string(back, n, &again));
        ASSERT_STREQ(again, expected);

        /* the longest one */
        FirewallElement *one = NULL;
        ASSERT_OK(firewall_elements_from_string("udp6 65535 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535", &one, &n));
        ASSERT_EQ(n, 1);
        ASSERT_EQ(one[0].kind, FIREWALL_UDP);
        ASSERT_EQ(one[0].address.family, AF_INET6);
        ASSERT_EQ(one[0].port, 65535);
        ASSERT_EQ(one[0].machine_port, 65535);
        free(one);

        /* an empty list has no text that reads back: nobody logs one */
        char *empty = NULL;
        ASSERT_OK(firewall_elements_to_string(e, 0, &empty));
        ASSERT_STREQ(empty, "");
        free(empty);
}

TEST(elements_to_string_invalid) {
        const FirewallElement bad[] = {
                { .kind = _FIREWALL_KIND_MAX, .address = prefix("10.0.0.0/24") },
                { .kind = -1, .address = prefix("10.0.0.0/24") },
                { .kind = FIREWALL_MASQUERADE },                          /* no family */
                { .kind = FIREWALL_TCP, .port = 80, .machine_port = 80 }, /* no address */
                port(FIREWALL_TCP, 0, "10.0.0.2", 80),                    /* no host port */
                port(FIREWALL_UDP, 80, "10.0.0.2", 0),                    /* no machine port */
        };
        const FirewallElement good = masquerade("10.0.0.0/24");

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                FirewallElement two[2] = { good, bad[i] };
                char *text = NULL;

                if (firewall_elements_to_string(&bad[i], 1, &text) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "element %zu accepted", i);
                ASSERT_NULL(text);
                /* one bad one spoils the lot */
                ASSERT_ERROR(firewall_elements_to_string(two, 2, &text), EINVAL);
                ASSERT_NULL(text);
        }
}

TEST(elements_from_string_invalid) {
        static const char *const bad[] = {
                "",
                ",",
                "masquerade",
                "masquerade ",
                "masquerade 10.0.0.0", /* a subnet has a length */
                "masquerade 10.0.0.0/33",
                "masquerade garbage",
                "masquerade  10.0.0.0/24",
                "masquerade 10.0.0.0/24 ",
                "masquerade\t10.0.0.0/24",
                "masq 10.0.0.0/24",
                "tcp4",
                "tcp4 ",
                "tcp4 80", /* the value too */
                "tcp4 80 10.0.0.2",
                "tcp4 0 10.0.0.2 80",
                "tcp4 65536 10.0.0.2 80",
                "tcp4 80 10.0.0.2 0",
                "tcp4 80 10.0.0.2 65536",
                "tcp4 80 10.0.0.2 -1",
                "tcp4 -1 10.0.0.2 80",
                "tcp4 +80 10.0.0.2 80",
                "tcp4 0x50 10.0.0.2 80",
                "tcp4 80 10.0.0.2 80 ",
                "tcp4 80 10.0.0.2 80 1",
                "tcp4  80 10.0.0.2 80",
                " tcp4 80 10.0.0.2 80",
                "tcp4 80 fd00::2 80", /* another family's address */
                "tcp6 80 10.0.0.2 80",
                "tcp4 80 10.0.0.0/24 80",
                "tcp4 80 garbage 80",
                "tcp4 80:10.0.0.2:80",
                "tcp 80 10.0.0.2 80",
                "tcp5 80 10.0.0.2 80",
                "sctp4 80 10.0.0.2 80",
                "TCP4 80 10.0.0.2 80",
                "udp6 ff fd00::2 80",
                "tcp4 80 10.0.0.2 80,",
                ",tcp4 80 10.0.0.2 80",
                "tcp4 80 10.0.0.2 80,,udp4 53 10.0.0.2 53",
                "tcp4 80 10.0.0.2 80;udp4 53 10.0.0.2 53",
                "tcp4 80 10.0.0.2 80, udp4 53 10.0.0.2 53",
                "tcp4 80 10.0.0.2 80,bogus",
                "udp6 65535 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 xxxxxxx", /* longer than an item */
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                FirewallElement *e = (FirewallElement *) 0x1;
                size_t n = 4242;

                if (firewall_elements_from_string(bad[i], &e, &n) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[i]);
                ASSERT_TRUE(e == (FirewallElement *) 0x1);
                ASSERT_EQ(n, 4242);
        }
}

/* The text is what to_string() writes, and nothing looser: each field in
 * its place, one space between. */
TEST(elements_from_string_strict) {
        static const char *const loose[] = {
                "tcp4 1234510.0.0.2 80", /* port and address run together */
                "tcp4 80  10.0.0.2 80",  "tcp4 80 10.0.0.2  80", "tcp4 80\t10.0.0.2 80",
                "tcp4 80 10.0.0.2\n80",  "tcp4 80 10.0.0.2 +80",
        };

        bool failed = false;

        for (size_t i = 0; i < ELEMENTSOF(loose); i++) {
                FirewallElement *e = NULL;
                size_t n;

                if (firewall_elements_from_string(loose[i], &e, &n) != -EINVAL) {
                        fprintf(stderr, "# \"%s\" accepted\n", loose[i]);
                        failed = true;
                }
                free(e);
        }
        ASSERT_FALSE(failed);
}

TEST(elements_from_string_limit) {
        _cleanup_free_ char *many = NULL, *too_many = NULL;
        _cleanup_free_ FirewallElement *e = NULL;
        size_t n;

        /* 1024 elements are the most one entry holds */
        many = strdup("tcp4 1 10.80.3.2 1");
        for (unsigned i = 2; many && i <= 1024; i++) {
                char *m = strdup_printf("%s,tcp4 %u 10.80.3.2 %u", many, i, i);
                free(many);
                many = m;
        }
        ASSERT_NOT_NULL(many);
        ASSERT_OK(firewall_elements_from_string(many, &e, &n));
        ASSERT_EQ(n, 1024);
        ASSERT_EQ(e[1023].port, 1024);
        ASSERT_EQ(e[1023].machine_port, 1024);

        too_many = strjoin(many, ",masquerade 10.80.3.0/24");
        ASSERT_NOT_NULL(too_many);
        FirewallElement *f = NULL;
        ASSERT_ERROR(firewall_elements_from_string(too_many, &f, &n), EINVAL);
        ASSERT_NULL(f);
}

/* --- The real table, in a network namespace of the test's own ------------------ */

/* libnftables, loaded here to look at the ruleset without going through
 * what is tested. */
static void *nft_dl;
static DLSYM_PROTOTYPE(nft_ctx_new);
static DLSYM_PROTOTYPE(nft_ctx_free);
static DLSYM_PROTOTYPE(nft_ctx_buffer_output);
static DLSYM_PROTOTYPE(nft_ctx_buffer_error);
static DLSYM_PROTOTYPE(nft_ctx_get_output_buffer);
static DLSYM_PROTOTYPE(nft_ctx_get_error_buffer);
static DLSYM_PROTOTYPE(nft_run_cmd_from_buffer);

/* Runs nft commands; their output, newly allocated. */
static char *nft(const char *commands) {
        struct nft_ctx *ctx;
        char *out;

        if (dlopen_many_sym(&nft_dl, "libnftables.so.1", DLSYM_ARG(nft_ctx_new), DLSYM_ARG(nft_ctx_free),
                            DLSYM_ARG(nft_ctx_buffer_output), DLSYM_ARG(nft_ctx_buffer_error),
                            DLSYM_ARG(nft_ctx_get_output_buffer), DLSYM_ARG(nft_ctx_get_error_buffer),
                            DLSYM_ARG(nft_run_cmd_from_buffer), NULL) < 0)
                tests_fail(__FILE__, __LINE__, "no libnftables");
        ctx = sym_nft_ctx_new(NFT_CTX_DEFAULT);
        ASSERT_NOT_NULL(ctx);
        ASSERT_TRUE(sym_nft_ctx_buffer_output(ctx) >= 0 && sym_nft_ctx_buffer_error(ctx) >= 0);
        if (sym_nft_run_cmd_from_buffer(ctx, commands) < 0)
                tests_fail(__FILE__, __LINE__, "nft '%s': %s", commands, sym_nft_ctx_get_error_buffer(ctx));
        out = strdup(sym_nft_ctx_get_output_buffer(ctx) ?: "");
        ASSERT_NOT_NULL(out);
        sym_nft_ctx_free(ctx);
        return out;
}

static bool ruleset_has(const char *text) {
        _cleanup_free_ char *r = nft("list ruleset");

        return strstr(r, text);
}

/* A fresh network namespace, and berth's firewall in it. */
static Firewall *firewall_in_new_netns(void) {
        Firewall *f = NULL;
        int r;

        tests_enter_netns();
        r = firewall_open(&f);
        if (r == -EOPNOTSUPP)
                tests_skip("libnftables is missing");
        ASSERT_OK(r);
        /* nothing yet */
        ASSERT_FALSE(ruleset_has("table"));
        return f;
}

TEST(add_and_remove) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        const FirewallElement web[] = {
                masquerade("10.80.3.0/24"),
                masquerade("fd12:3456:789a:3::/64"),
                port(FIREWALL_TCP, 8080, "10.80.3.2", 80),
                port(FIREWALL_TCP, 8080, "fd12:3456:789a:3::2", 80),
        };
        const FirewallElement db[] = {
                masquerade("10.80.4.0/24"),
                port(FIREWALL_UDP, 8080, "10.80.4.2", 53), /* the same port, but UDP */
                port(FIREWALL_TCP, 5432, "10.80.4.2", 5432),
        };

        ASSERT_ERROR(firewall_find_taken(f, web, ELEMENTSOF(web)), ENOENT);

        ASSERT_EQ(firewall_add(f, web, ELEMENTSOF(web)), 1); /* the table made */
        ASSERT_TRUE(ruleset_has("table inet berth"));
        ASSERT_TRUE(ruleset_has("10.80.3.0/24"));
        ASSERT_TRUE(ruleset_has("fd12:3456:789a:3::/64"));
        ASSERT_TRUE(ruleset_has("8080 : 10.80.3.2 . 80"));
        ASSERT_TRUE(ruleset_has("8080 : fd12:3456:789a:3::2 . 80"));
        ASSERT_TRUE(ruleset_has("masquerade"));
        ASSERT_TRUE(ruleset_has("dnat ip to tcp dport map @tcp4"));
        ASSERT_EQ(firewall_find_taken(f, web, ELEMENTSOF(web)), 0);
        ASSERT_EQ(firewall_find_taken(f, web + 2, 2), 0);
        ASSERT_EQ(firewall_find_taken(f, web + 3, 1), 0);
        ASSERT_ERROR(firewall_find_taken(f, db, ELEMENTSOF(db)), ENOENT);

        ASSERT_EQ(firewall_add(f, db, ELEMENTSOF(db)), 0); /* the table was there */
        ASSERT_TRUE(ruleset_has("8080 : 10.80.4.2 . 53"));
        ASSERT_TRUE(ruleset_has("10.80.4.0/24"));
        ASSERT_EQ(firewall_find_taken(f, db, ELEMENTSOF(db)), 0);

        /* one machine's go, the other's stay */
        ASSERT_OK(firewall_remove(f, web, ELEMENTSOF(web)));
        ASSERT_TRUE(ruleset_has("table inet berth"));
        ASSERT_FALSE(ruleset_has("10.80.3.0/24"));
        ASSERT_FALSE(ruleset_has("10.80.3.2"));
        ASSERT_FALSE(ruleset_has("fd12:3456:789a:3::"));
        ASSERT_ERROR(firewall_find_taken(f, web, ELEMENTSOF(web)), ENOENT);
        ASSERT_EQ(firewall_find_taken(f, db, ELEMENTSOF(db)), 0);

        /* again: not there, and fine */
        ASSERT_OK(firewall_remove(f, web, ELEMENTSOF(web)));
        ASSERT_TRUE(ruleset_has("8080 : 10.80.4.2 . 53"));

        /* the last element takes the table along */
        ASSERT_OK(firewall_remove(f, db, ELEMENTSOF(db)));
        ASSERT_FALSE(ruleset_has("table"));
        ASSERT_ERROR(firewall_find_taken(f, db, ELEMENTSOF(db)), ENOENT);

        /* no table at all: fine too */
        ASSERT_OK(firewall_remove(f, db, ELEMENTSOF(db)));
        ASSERT_FALSE(ruleset_has("table"));
}

TEST(taken_port) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        const FirewallElement web[] = {
                masquerade("10.80.3.0/24"),
                port(FIREWALL_TCP, 8080, "10.80.3.2", 80),
        };
        /* another machine wants the same host port */
        const FirewallElement db[] = {
                masquerade("10.80.4.0/24"),
                port(FIREWALL_TCP, 9090, "10.80.4.2", 90),
                port(FIREWALL_TCP, 8080, "10.80.4.2", 81),
        };

        ASSERT_EQ(firewall_add(f, web, ELEMENTSOF(web)), 1);
        ASSERT_ERROR(firewall_add(f, db, ELEMENTSOF(db)), EEXIST);
        /* and nothing of it was added */
        ASSERT_FALSE(ruleset_has("10.80.4"));
        ASSERT_FALSE(ruleset_has("9090"));
        ASSERT_TRUE(ruleset_has("8080 : 10.80.3.2 . 80"));
        /* which one is taken */
        ASSERT_EQ(firewall_find_taken(f, db, ELEMENTSOF(db)), 2);
        ASSERT_EQ(firewall_find_taken(f, db + 2, 1), 0);
        ASSERT_ERROR(firewall_find_taken(f, db, 2), ENOENT);

        /* removing db's (never added) leaves web's alone */
        ASSERT_OK(firewall_remove(f, db, 2));
        ASSERT_TRUE(ruleset_has("8080 : 10.80.3.2 . 80"));
        ASSERT_TRUE(ruleset_has("10.80.3.0/24"));
}

TEST(taken_port_in_new_table) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        /* the same key twice in one go, with other values */
        const FirewallElement e[] = {
                masquerade("10.80.3.0/24"),
                port(FIREWALL_TCP, 8080, "10.80.3.2", 80),
                port(FIREWALL_TCP, 8080, "10.80.3.3", 80),
        };

        /* refused whole: neither the table nor any element is left */
        ASSERT_TRUE(firewall_add(f, e, ELEMENTSOF(e)) < 0);
        ASSERT_FALSE(ruleset_has("table"));
}

TEST(remove_some_missing) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        const FirewallElement e[] = {
                masquerade("10.80.3.0/24"),
                port(FIREWALL_TCP, 8080, "10.80.3.2", 80),
                port(FIREWALL_UDP, 53, "10.80.3.2", 53),
        };
        const FirewallElement mixed[] = {
                port(FIREWALL_TCP, 9999, "10.80.3.2", 1), /* never there */
                masquerade("10.80.3.0/24"),
                masquerade("10.80.9.0/24"), /* never there */
                port(FIREWALL_UDP, 53, "10.80.3.2", 53),
        };

        ASSERT_EQ(firewall_add(f, e, ELEMENTSOF(e)), 1);
        ASSERT_OK(firewall_remove(f, mixed, ELEMENTSOF(mixed)));
        /* those that were there are gone, the rest stays */
        ASSERT_FALSE(ruleset_has("10.80.3.0/24"));
        ASSERT_FALSE(ruleset_has("53 : 10.80.3.2"));
        ASSERT_TRUE(ruleset_has("8080 : 10.80.3.2 . 80"));
        ASSERT_EQ(firewall_find_taken(f, e, ELEMENTSOF(e)), 1);

        ASSERT_OK(firewall_remove(f, e + 1, 1));
        ASSERT_FALSE(ruleset_has("table"));
}

TEST(add_invalid) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        const FirewallElement e[] = {
                masquerade("10.80.3.0/24"),
                port(FIREWALL_TCP, 0, "10.80.3.2", 80),
        };

        ASSERT_ERROR(firewall_add(f, e, ELEMENTSOF(e)), EINVAL);
        ASSERT_FALSE(ruleset_has("table"));
        ASSERT_ERROR(firewall_remove(f, e, ELEMENTSOF(e)), EINVAL);
        ASSERT_ERROR(firewall_find_taken(f, e + 1, 1), EINVAL);
}

TEST(tables_of_others_stay) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        const FirewallElement e[] = { masquerade("10.80.3.0/24") };
        char *out;

        out = nft("add table ip other\nadd chain ip other c\n");
        free(out);
        ASSERT_EQ(firewall_add(f, e, 1), 1);
        ASSERT_OK(firewall_remove(f, e, 1));
        ASSERT_FALSE(ruleset_has("table inet berth"));
        ASSERT_TRUE(ruleset_has("table ip other"));
}

TEST(forward_drops) {
        _cleanup_(firewall_closep) Firewall *f = firewall_in_new_netns();
        _cleanup_free_ char *where = NULL;
        char *out;

        ASSERT_EQ(firewall_forward_drops(f, &where), 0);
        ASSERT_NULL(where);

        /* a forward chain that accepts, and one that isn't a base chain */
        out = nft("add table ip a\n"
                  "add chain ip a fw { type filter hook forward priority 0; policy accept; }\n"
                  "add chain ip a plain\n");
        free(out);
        ASSERT_EQ(firewall_forward_drops(f, &where), 0);

        /* as Docker's does */
        out = nft("add table ip filter\n"
                  "add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }\n");
        free(out);
        ASSERT_EQ(firewall_forward_drops(f, &where), 1);
        ASSERT_STREQ(where, "ip filter FORWARD");
}
