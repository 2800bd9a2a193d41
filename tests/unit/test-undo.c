/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "fileio.h"
#include "firewall.h"
#include "lock-util.h"
#include "machine-paths.h"
#include "netdev.h"
#include "netns-util.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"
#include "undo.h"

static bool file_exists(const char *p) {
        return access(p, F_OK) >= 0;
}

static void touch(const char *p) {
        ASSERT_OK(write_string_file(p, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
}

static void assert_entries(const UndoLog *u, const char *const *expected) {
        size_t i = 0;

        for (; expected[i]; i++) {
                ASSERT_NOT_NULL(u->entries);
                ASSERT_STREQ(u->entries[i], expected[i]);
        }
        ASSERT_EQ(strv_length(u->entries), i);
}

TEST(push_and_forget) {
        _cleanup_(undo_log_done) UndoLog u = {};

        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, "/run/a"));
        ASSERT_OK(undo_log_push(&u, UNDO_CGROUP, "/sys/fs/cgroup/b"));
        ASSERT_OK(undo_log_push(&u, UNDO_MOUNTS, "/run/c"));
        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, "/run/a"));
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "cgroup:/sys/fs/cgroup/b", "mounts:/run/c",
                                                   "lock:/run/a", NULL });

        /* the last entry for the path goes, the earlier one stays */
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run/a");
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "cgroup:/sys/fs/cgroup/b", "mounts:/run/c", NULL });

        /* type and path must both match */
        undo_log_forget(&u, UNDO_MOUNTS, "/run/a");
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run/c");
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run");
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "cgroup:/sys/fs/cgroup/b", "mounts:/run/c", NULL });

        undo_log_forget(&u, UNDO_CGROUP, "/sys/fs/cgroup/b");
        assert_entries(&u, (const char *const[]) { "lock:/run/a", "mounts:/run/c", NULL });
        undo_log_forget(&u, UNDO_LOCK_FILE, "/run/a");
        undo_log_forget(&u, UNDO_MOUNTS, "/run/c");
        assert_entries(&u, (const char *const[]) { NULL });
        undo_log_forget(&u, UNDO_MOUNTS, "/run/c"); /* on an empty log */
}

TEST(entry_is_valid) {
        static const char *const good[] = {
                "lock:/run/berth/uid-range/524288",
                "cgroup:/sys/fs/cgroup/machine.slice/machine-web.scope",
                "mounts:/run/berth/mnt/web",
                "lock:/",
                "lock:/a..b/c..",
                "mounts:/with space:and colon",
                "cgroup1:/sys/fs/cgroup/memory/machine-web.scope",
        };
        static const char *const bad[] = {
                "",
                "lock",
                "lock:",
                ":/a",
                "/a",
                "lock:relative",
                "lock:./a",
                "lock:/a/../b",
                "lock:/..",
                "cgroup:/sys/fs/cgroup/..",
                "mounts:../x",
                "cgroup1:/tmp/x",
                "cgroup1:/sys/fs/cgroupx/memory",
                "bogus:/a",
                "LOCK:/a",
                "lock /a",
                "averyveryverylongtype:/a",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!undo_entry_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" refused", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (undo_entry_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" accepted", bad[i]);
                if (undo_entry_run(bad[i], NULL) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" was run", bad[i]);
        }
}

TEST(entry_run_lock) {
        _cleanup_free_ char *p = tests_path("x.lck"), *entry = NULL, *missing = tests_path("missing.lck");
        _cleanup_free_ char *missing_entry = NULL;
        LockFile l = LOCK_FILE_NULL;

        entry = strjoin("lock:", p);
        missing_entry = strjoin("lock:", missing);

        /* unheld: removed */
        touch(p);
        ASSERT_OK(undo_entry_run(entry, NULL));
        ASSERT_FALSE(file_exists(p));

        /* missing: nothing to do */
        ASSERT_EQ(undo_entry_run(missing_entry, NULL), 0);

        /* held by someone (a later machine that took the range): left */
        ASSERT_OK(lock_file_acquire(p, LOCK_EX | LOCK_NB, &l));
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_TRUE(file_exists(p));
        lock_file_release(&l);
        ASSERT_FALSE(file_exists(p));
}

TEST(entry_run_missing_cgroup) {
        _cleanup_free_ char *p = tests_path("no-such-cgroup/machine-web.scope"), *entry = NULL;

        entry = strjoin("cgroup:", p);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_FALSE(file_exists(p));
}

TEST(entry_run_missing_cgroup_v1) {
        /* Not a cgroup at all (missing, or an ordinary directory): left. */
        ASSERT_EQ(undo_entry_run("cgroup1:/sys/fs/cgroup/no-such-controller/machine-web.scope", NULL), 0);
}

TEST(entry_run_mounts_without_mounts) {
        _cleanup_free_ char *p = tests_path("mnt"), *entry = NULL;

        ASSERT_TRUE(mkdir(p, 0755) >= 0);
        entry = strjoin("mounts:", p);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_TRUE(file_exists(p));
}

/* The order entries run in, newest first, shows in the error returned:
 * the first error met, after every entry was tried. A lock entry fails
 * with -ENOTDIR below a regular file, and with -EISDIR on a directory. */
static void make_failing_log(UndoLog *u, bool isdir_newest, char **ret_plain) {
        _cleanup_free_ char *plain = tests_path("plain.lck"), *file = tests_path("file");
        _cleanup_free_ char *below_file = tests_path("file/x"), *dir = tests_path("dir");

        touch(plain);
        touch(file);
        ASSERT_TRUE(mkdir(dir, 0755) >= 0 || errno == EEXIST);

        ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, plain));
        if (isdir_newest) {
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, below_file));
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, dir));
        } else {
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, dir));
                ASSERT_OK(undo_log_push(u, UNDO_LOCK_FILE, below_file));
        }
        *ret_plain = TAKE_PTR(plain);
}

TEST(log_run_newest_first) {
        _cleanup_(undo_log_done) UndoLog u = {}, v = {};
        _cleanup_free_ char *plain = NULL;

        make_failing_log(&u, true, &plain);
        ASSERT_ERROR(undo_log_run(&u, NULL), EISDIR);
        ASSERT_NULL(u.entries);           /* emptied */
        ASSERT_FALSE(file_exists(plain)); /* the oldest entry ran too */

        free(plain);
        make_failing_log(&v, false, &plain);
        ASSERT_ERROR(undo_log_run(&v, NULL), ENOTDIR);
        ASSERT_NULL(v.entries);
        ASSERT_FALSE(file_exists(plain));
}

TEST(log_run_all_fine) {
        _cleanup_(undo_log_done) UndoLog u = {};
        _cleanup_free_ char *a = tests_path("a.lck"), *b = tests_path("b.lck"), *c = tests_path("cg/none");

        ASSERT_EQ(undo_log_run(&u, NULL), 0); /* empty */

        touch(a);
        touch(b);
        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, a));
        ASSERT_OK(undo_log_push(&u, UNDO_CGROUP, c));
        ASSERT_OK(undo_log_push(&u, UNDO_LOCK_FILE, b));
        ASSERT_EQ(undo_log_run(&u, NULL), 0);
        ASSERT_NULL(u.entries);
        ASSERT_FALSE(file_exists(a));
        ASSERT_FALSE(file_exists(b));

        /* and running it again does no harm */
        ASSERT_EQ(undo_log_run(&u, NULL), 0);
}

TEST(undo_type_table) {
        CHECK_TABLE(undo_type, _UNDO_TYPE_MAX, "lock", "cgroup", "mounts", "file", "machined", "cgroup1", "link",
                    "zone", "nft", "workdir");
}

/* --- Network entries: "TYPE:INODE:NETNSPATH:WHAT" ------------------------------ */

TEST(network_entry_format) {
        _cleanup_free_ char *a = undo_network_entry(4026531840, "/proc/1/ns/net", "ve-web");
        _cleanup_free_ char *b =
                undo_network_entry(UINT64_MAX, "/run/netns/test", "masquerade 10.80.3.0/24,tcp4 80 10.80.3.2 80");
        _cleanup_free_ char *la = NULL, *lb = NULL;

        ASSERT_STREQ(a, "4026531840:/proc/1/ns/net:ve-web");
        ASSERT_STREQ(b, "18446744073709551615:/run/netns/test:masquerade 10.80.3.0/24,tcp4 80 10.80.3.2 80");
        /* what it makes is what the log takes */
        la = strjoin("link:", a);
        lb = strjoin("nft:", b);
        ASSERT_TRUE(undo_entry_is_valid(la));
        ASSERT_TRUE(undo_entry_is_valid(lb));
}

TEST(network_entry_push) {
        _cleanup_(undo_log_done) UndoLog u = {};
        _cleanup_free_ char *e = undo_network_entry(12, "/proc/77/ns/net", "vz-blue");

        ASSERT_OK(undo_log_push(&u, UNDO_ZONE, e));
        ASSERT_OK(undo_log_push(&u, UNDO_LINK, "12:/proc/77/ns/net:vb-web"));
        assert_entries(&u, (const char *const[]) { "zone:12:/proc/77/ns/net:vz-blue", "link:12:/proc/77/ns/net:vb-web",
                                                   NULL });
        undo_log_forget(&u, UNDO_ZONE, e);
        assert_entries(&u, (const char *const[]) { "link:12:/proc/77/ns/net:vb-web", NULL });
}

TEST(network_entry_is_valid) {
        static const char *const good[] = {
                "link:4026531840:/proc/1/ns/net:ve-web",
                "link:4026532123:/proc/4242/ns/net:vb-debi4eb4223f",
                "link:1:/run/netns/test:abcdefghijklmno",
                "link:18446744073709551615:/proc/1/ns/net:ve-a",
                "zone:4026531840:/proc/1/ns/net:vz-blue",
                "zone:4026531840:/run/netns/with space:vz-abcdefghijkl",
                "nft:4026531840:/proc/1/ns/net:masquerade 10.80.3.0/24",
                "nft:4026531840:/proc/1/ns/net:masquerade 10.80.3.0/24,masquerade fd12:3456:789a:3::/64,"
                "tcp4 8080 10.80.3.2 80,tcp6 8080 fd12:3456:789a:3::2 80,udp4 53 10.80.3.2 53",
        };
        static const char *const bad[] = {
                "link:",
                "link:4026531840",
                "link:4026531840:",
                "link:4026531840:/proc/1/ns/net",
                "link:4026531840:/proc/1/ns/net:",
                "link::/proc/1/ns/net:ve-web",
                "link:x:/proc/1/ns/net:ve-web",
                "link:-1:/proc/1/ns/net:ve-web",
                "link:+1:/proc/1/ns/net:ve-web",
                "link: 1:/proc/1/ns/net:ve-web",
                "link:0x10:/proc/1/ns/net:ve-web",
                "link:ff:/proc/1/ns/net:ve-web",
                "link:18446744073709551616:/proc/1/ns/net:ve-web",
                "link:123456789012345678901:/proc/1/ns/net:ve-web",
                "link:1::ve-web",
                "link:1:proc/1/ns/net:ve-web",
                "link:1:./proc/1/ns/net:ve-web",
                "link:1:/proc/../etc/ns:ve-web",
                "link:1:/..:ve-web",
                "link:1:/proc/1/ns/net:ve-web/x",
                "link:1:/proc/1/ns/net:ve web",
                "link:1:/proc/1/ns/net:.",
                "link:1:/proc/1/ns/net:..",
                "link:1:/proc/1/ns/net:abcdefghijklmnop",
                "link:1:/proc/1/ns/net:a:b",
                "link:1:/proc/1/ns/net:a\tb",
                "link:/proc/1/ns/net:ve-web",
                "link:/proc/1/ns/net",
                "zone:1:/proc/1/ns/net:",
                "zone:1:/proc/1/ns/net:vz-a/b",
                "zone:1:relative:vz-blue",
                "nft:1:/proc/1/ns/net:",
                "nft:1:/proc/1/ns/net:bogus",
                "nft:1:/proc/1/ns/net:ve-web",
                "nft:1:/proc/1/ns/net:tcp4 0 10.80.3.2 80",
                "nft:1:/proc/1/ns/net:tcp4 65536 10.80.3.2 80",
                "nft:1:/proc/1/ns/net:tcp4 80 10.80.3.2",
                "nft:1:/proc/1/ns/net:masquerade 10.80.3.0",
                "nft:1:/proc/1/ns/net:masquerade 10.80.3.0/24,",
                "nft:1:/proc/1/ns/net:tcp4 80 10.80.3.2 80,,udp4 53 10.80.3.2 53",
                "nft:1:/proc/1/ns/net:sctp4 80 10.80.3.2 80",
                "nft:1:../x:tcp4 80 10.80.3.2 80",
                "nft:/proc/1/ns/net:tcp4 80 10.80.3.2 80",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!undo_entry_is_valid(good[i]))
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" refused", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (undo_entry_is_valid(bad[i]))
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" accepted", bad[i]);
                if (undo_entry_run(bad[i], NULL) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "undo entry \"%s\" was run", bad[i]);
        }
}

/* What the undo log knows the caller's network namespace by. */
static uint64_t netns_id(void) {
        uint64_t c = 0;

        ASSERT_OK(netns_cookie(&c));
        return c;
}

static Netdev *netdev_here(void) {
        Netdev *n = NULL;
        int r = netdev_open(-EBADF, &n);

        if (r == -EOPNOTSUPP)
                tests_skip("libnl-route-3 is missing");
        ASSERT_OK(r);
        return n;
}

TEST(entry_run_link) {
        _cleanup_(netdev_closep) Netdev *there = NULL;
        _cleanup_close_ int a = -EBADF;
        _cleanup_free_ char *path = NULL, *what = NULL, *entry = NULL, *stale = NULL;
        uint64_t inode, b;
        pid_t pid;

        tests_enter_netns();
        a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        inode = netns_id();
        there = netdev_here();
        ASSERT_OK(netdev_add_bridge(there, "vb-undo"));
        ASSERT_OK(netdev_add_bridge(there, "vb-keep"));
        pid = tests_holder();

        /* the log runs from another namespace: it goes to the link's */
        ASSERT_TRUE(unshare(CLONE_NEWNET) >= 0);
        b = netns_id();
        path = strdup_printf("/proc/%i/ns/net", (int) pid);
        what = undo_network_entry(inode, path, "vb-undo");
        entry = strjoin("link:", what);
        stale = strdup_printf("link:%llu:%s:vb-keep", 0xdeadbeefdeadbeefULL, path);

        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_EQ(netns_id(), b); /* and back */
        ASSERT_ERROR(netdev_link_index(there, "vb-undo"), ENODEV);
        ASSERT_TRUE(netdev_link_index(there, "vb-keep") > 0);
        /* twice: nothing left to do */
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);

        /* with the index it had: a link of that name made since is another
         * (a later one's, a systemd-nspawn's), and stays */
        {
                _cleanup_free_ char *w = NULL, *e = NULL, *named = NULL;
                int now;

                ASSERT_OK(netdev_add_bridge(there, "vb-undo"));
                now = netdev_link_index(there, "vb-undo");
                ASSERT_TRUE(now > 0);
                named = undo_link_entry("vb-undo", now + 1000);
                w = undo_network_entry(inode, path, named);
                e = strjoin("link:", w);
                ASSERT_EQ(undo_entry_run(e, NULL), 0);
                ASSERT_EQ(netdev_link_index(there, "vb-undo"), now);
                free(named);
                free(w);
                free(e);
                named = undo_link_entry("vb-undo", now);
                w = undo_network_entry(inode, path, named);
                e = strjoin("link:", w);
                ASSERT_EQ(undo_entry_run(e, NULL), 0);
                ASSERT_ERROR(netdev_link_index(there, "vb-undo"), ENODEV);
        }

        /* another namespace under that path: nothing done there */
        ASSERT_EQ(undo_entry_run(stale, NULL), 0);
        ASSERT_TRUE(netdev_link_index(there, "vb-keep") > 0);
        ASSERT_EQ(netns_id(), b);

        /* the namespace gone: so is all that was in it */
        ASSERT_TRUE(kill(pid, SIGKILL) >= 0);
        ASSERT_TRUE(waitpid(pid, NULL, 0) == pid);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
}

/* A network namespace and a private /run (for the network lock), so that
 * zone and nft entries can run without touching the host. */
static void enter_private_network(char **ret_path, uint64_t *ret_inode) {
        tests_enter_netns();
        if (geteuid() == 0 && unshare(CLONE_NEWNS) < 0)
                tests_fail(__FILE__, __LINE__, "unshare mounts: %s", strerror(errno));
        ASSERT_TRUE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) >= 0);
        if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0)
                tests_fail(__FILE__, __LINE__, "mount tmpfs on /run: %s", strerror(errno));
        ASSERT_OK(netns_identify(getpid(), ret_path, ret_inode));
}

static Firewall *firewall_here(void) {
        Firewall *f = NULL;
        int r = firewall_open(&f);

        if (r == -EOPNOTSUPP)
                tests_skip("libnftables is missing");
        ASSERT_OK(r);
        return f;
}

static FirewallElement masq(const char *subnet) {
        FirewallElement e = { .kind = FIREWALL_MASQUERADE };

        ASSERT_OK(in_addr_prefix_from_string(subnet, true, &e.address));
        return e;
}

static InAddrPrefix prefix(const char *s) {
        InAddrPrefix p;

        ASSERT_OK(in_addr_prefix_from_string(s, true, &p));
        return p;
}

TEST(entry_run_zone) {
        _cleanup_(netdev_closep) Netdev *n = NULL;
        _cleanup_(firewall_closep) Firewall *f = NULL;
        _cleanup_close_ int other = -EBADF;
        _cleanup_free_ char *path = NULL, *what = NULL, *entry = NULL;
        InAddrPrefix a4 = prefix("10.80.3.1/24"), a6 = prefix("fd12:3456:789a:3::1/64");
        const FirewallElement zone[] = { masq("10.80.3.0/24"), masq("fd12:3456:789a:3::/64") };
        const FirewallElement others[] = { masq("10.80.9.0/24") };
        uint64_t inode;
        int br;

        enter_private_network(&path, &inode);
        other = tests_new_netns_fd();
        n = netdev_here();
        f = firewall_here();

        /* a zone's bridge with its addresses and NAT, and one port */
        ASSERT_OK(netdev_add_bridge(n, "vz-blue"));
        br = netdev_link_index(n, "vz-blue");
        ASSERT_OK(netdev_link_set_alias(n, br, ZONE_BRIDGE_ALIAS));
        ASSERT_OK(netdev_add_address(n, br, &a4));
        ASSERT_OK(netdev_add_address(n, br, &a6));
        ASSERT_OK(netdev_add_veth(n, "vb-web", "host0", other, br));
        ASSERT_OK(firewall_add(f, zone, ELEMENTSOF(zone)));
        ASSERT_OK(firewall_add(f, others, ELEMENTSOF(others)));

        what = undo_network_entry(inode, path, "vz-blue");
        entry = strjoin("zone:", what);

        /* a bridge of that name without berth's mark is someone else's */
        ASSERT_OK(netdev_link_set_alias(n, br, "not berth's"));
        ASSERT_OK(netdev_link_delete(n, "vb-web"));
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_EQ(netdev_link_index(n, "vz-blue"), br);
        ASSERT_OK(netdev_link_set_alias(n, br, ZONE_BRIDGE_ALIAS));
        ASSERT_OK(netdev_add_veth(n, "vb-web", "host0", other, br));

        /* a machine still in the zone: it stays */
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_EQ(netdev_link_index(n, "vz-blue"), br);
        ASSERT_EQ(firewall_find_taken(f, zone, ELEMENTSOF(zone)), 0);
        ASSERT_EQ(firewall_find_taken(f, zone + 1, 1), 0);

        /* the last one gone: the bridge and its NAT go, another's NAT stays */
        ASSERT_EQ(netdev_link_delete(n, "vb-web"), 0);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_ERROR(netdev_link_index(n, "vz-blue"), ENODEV);
        ASSERT_ERROR(firewall_find_taken(f, zone, ELEMENTSOF(zone)), ENOENT);
        ASSERT_EQ(firewall_find_taken(f, others, ELEMENTSOF(others)), 0);
        /* the lock was let go */
        ASSERT_TRUE(access(NETWORK_LOCK_PATH, F_OK) < 0);

        ASSERT_EQ(undo_entry_run(entry, NULL), 0); /* gone: fine */
}

TEST(entry_run_nft) {
        _cleanup_(firewall_closep) Firewall *f = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL, *what = NULL, *entry = NULL;
        FirewallElement e[] = {
                masq("10.80.3.0/24"),
                { .kind = FIREWALL_TCP, .address = prefix("10.80.3.2/32"), .port = 8080, .machine_port = 80 },
        };
        uint64_t inode;

        enter_private_network(&path, &inode);
        f = firewall_here();
        ASSERT_EQ(firewall_add(f, e, ELEMENTSOF(e)), 1);

        ASSERT_OK(firewall_elements_to_string(e, ELEMENTSOF(e), &text));
        what = undo_network_entry(inode, path, text);
        entry = strjoin("nft:", what);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_ERROR(firewall_find_taken(f, e, ELEMENTSOF(e)), ENOENT);
        /* the table went with its last element: it can be made anew */
        ASSERT_EQ(firewall_add(f, e, ELEMENTSOF(e)), 1);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0);
        ASSERT_EQ(undo_entry_run(entry, NULL), 0); /* twice: fine */
}
