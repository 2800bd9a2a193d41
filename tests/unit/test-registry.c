/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>

#include "fileio.h"
#include "lock-util.h"
#include "registry.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

#define ROOT_WITH_QUOTES "/var/lib/machines/my \"quoted\" tree's \\ $HOME `x` #1 ü"

static bool file_exists(const char *p) {
        return access(p, F_OK) >= 0;
}

static void make_record(MachineRecord *m, const char *name) {
        *m = (MachineRecord) {
                .name = strdup(name),
                .class = strdup("container"),
                .service = strdup("berth"),
                .mode = strdup("boot"),
                .state = MACHINE_RUNNING,
                .supervisor = 1234,
                .supervisor_starttime = 987654321,
                .leader = 1240,
                .root = strdup(ROOT_WITH_QUOTES),
                .ephemeral = true,
                .uid_base = 0x80000,
                .uid_count = 0x10000,
                .cgroup.unified_mount = strdup("/sys/fs/cgroup"),
                .cgroup.path = strdup("/machine.slice/machine-web\\x2d1.scope"),
                .cgroup.unit = strdup("machine-web\\x2d1.scope"),
                .since = UINT64_C(1700000000123456),
        };
        ASSERT_TRUE(m->name && m->class && m->service && m->mode && m->root && m->cgroup.unified_mount &&
                    m->cgroup.path && m->cgroup.unit);
        m->cgroup.systemd_unit = true;
        ASSERT_OK(strv_extend(&m->cgroup.v1, "/sys/fs/cgroup/memory/user.slice/machine-web\\x2d1.scope"));
        ASSERT_OK(strv_extend(&m->cgroup.v1, "/sys/fs/cgroup/pids/machine-web\\x2d1.scope"));
        ASSERT_OK(id128_randomize(&m->uuid));
        ASSERT_OK(undo_log_push(&m->undo, UNDO_LOCK_FILE, "/run/berth/uid-range/524288"));
        ASSERT_OK(undo_log_push(&m->undo, UNDO_CGROUP, "/sys/fs/cgroup/machine.slice/machine-web\\x2d1.scope"));
        ASSERT_OK(undo_log_push(&m->undo, UNDO_MOUNTS, "/run/berth/mnt/web 1"));
        /* its network */
        m->link = strdup("vb-web-1");
        m->zone = strdup("blue");
        ASSERT_TRUE(m->link && m->zone);
        ASSERT_OK(strv_extend(&m->addresses, "10.80.3.2/24"));
        ASSERT_OK(strv_extend(&m->addresses, "fd12:3456:789a:3::2/64"));
        ASSERT_OK(strv_extend(&m->ports, "tcp:8080:80"));
        ASSERT_OK(strv_extend(&m->ports, "udp:53:53"));
        ASSERT_OK(undo_log_push(&m->undo, UNDO_ZONE, "4026531840:/proc/1/ns/net:vz-blue"));
        ASSERT_OK(undo_log_push(&m->undo, UNDO_LINK, "4026531840:/proc/1/ns/net:vb-web-1"));
        ASSERT_OK(undo_log_push(&m->undo, UNDO_FIREWALL,
                                "4026531840:/proc/1/ns/net:tcp4 8080 10.80.3.2 80,udp4 53 10.80.3.2 53"));
}

static void assert_records_equal(const MachineRecord *a, const MachineRecord *b) {
        ASSERT_STREQ(a->name, b->name);
        ASSERT_TRUE(id128_equal(a->uuid, b->uuid));
        ASSERT_STREQ_PTR(a->class, b->class);
        ASSERT_STREQ_PTR(a->service, b->service);
        ASSERT_STREQ_PTR(a->mode, b->mode);
        ASSERT_EQ(a->state, b->state);
        ASSERT_EQ(a->supervisor, b->supervisor);
        ASSERT_TRUE(a->supervisor_starttime == b->supervisor_starttime);
        ASSERT_EQ(a->leader, b->leader);
        ASSERT_STREQ_PTR(a->root, b->root);
        ASSERT_EQ(a->ephemeral, b->ephemeral);
        ASSERT_EQ(a->uid_base, b->uid_base);
        ASSERT_EQ(a->uid_count, b->uid_count);
        ASSERT_STREQ_PTR(a->cgroup.unified_mount, b->cgroup.unified_mount);
        ASSERT_STREQ_PTR(a->cgroup.path, b->cgroup.path);
        ASSERT_STREQ_PTR(a->cgroup.unit, b->cgroup.unit);
        ASSERT_TRUE(a->since == b->since);
        ASSERT_EQ(a->cgroup.systemd_unit, b->cgroup.systemd_unit);
        ASSERT_EQ(strv_length(a->cgroup.v1), strv_length(b->cgroup.v1));
        for (size_t i = 0; a->cgroup.v1 && a->cgroup.v1[i]; i++)
                ASSERT_STREQ(a->cgroup.v1[i], b->cgroup.v1[i]);
        ASSERT_STREQ_PTR(a->link, b->link);
        ASSERT_STREQ_PTR(a->zone, b->zone);
        ASSERT_EQ(strv_length(a->addresses), strv_length(b->addresses));
        for (size_t i = 0; a->addresses && a->addresses[i]; i++)
                ASSERT_STREQ(a->addresses[i], b->addresses[i]);
        ASSERT_EQ(strv_length(a->ports), strv_length(b->ports));
        for (size_t i = 0; a->ports && a->ports[i]; i++)
                ASSERT_STREQ(a->ports[i], b->ports[i]);
        ASSERT_EQ(strv_length(a->undo.entries), strv_length(b->undo.entries));
        for (size_t i = 0; a->undo.entries && a->undo.entries[i]; i++)
                ASSERT_STREQ(a->undo.entries[i], b->undo.entries[i]);
}

TEST(format_parse_round_trip) {
        _cleanup_(machine_record_done) MachineRecord m = {}, n = {};
        _cleanup_free_ char *text = NULL, *again = NULL;

        make_record(&m, "web-1");
        ASSERT_OK(registry_format(&m, &text));
        ASSERT_OK(registry_parse(text, &n));
        assert_records_equal(&m, &n);
        ASSERT_STREQ(n.root, ROOT_WITH_QUOTES);
        ASSERT_STREQ(n.undo.entries[2], "mounts:/run/berth/mnt/web 1");
        ASSERT_STREQ(n.link, "vb-web-1");
        ASSERT_STREQ(n.zone, "blue");
        ASSERT_EQ(strv_length(n.addresses), 2);
        ASSERT_STREQ(n.addresses[1], "fd12:3456:789a:3::2/64");
        ASSERT_EQ(strv_length(n.ports), 2);
        ASSERT_STREQ(n.ports[1], "udp:53:53");
        ASSERT_STREQ(n.undo.entries[5], "nft:4026531840:/proc/1/ns/net:tcp4 8080 10.80.3.2 80,udp4 53 10.80.3.2 53");

        /* and the text is stable */
        ASSERT_OK(registry_format(&n, &again));
        ASSERT_STREQ(again, text);
}

TEST(format_parse_round_trip_minimal) {
        _cleanup_(machine_record_done) MachineRecord m = {}, n = {};
        _cleanup_free_ char *text = NULL;

        m.name = strdup("a");
        m.state = MACHINE_STOPPING;
        m.class = strdup(""); /* empty, not missing */
        ASSERT_OK(registry_format(&m, &text));
        ASSERT_OK(registry_parse(text, &n));
        assert_records_equal(&m, &n);
        ASSERT_NULL(n.root);
        ASSERT_STREQ(n.class, "");
        /* no network of its own: none written, none read */
        ASSERT_NULL(strstr(text, "LINK="));
        ASSERT_NULL(strstr(text, "ZONE="));
        ASSERT_NULL(strstr(text, "ADDRESS="));
        ASSERT_NULL(strstr(text, "PORT="));
        ASSERT_NULL(n.link);
        ASSERT_NULL(n.zone);
        ASSERT_NULL(n.addresses);
        ASSERT_NULL(n.ports);
}

TEST(parse_network_fields) {
        _cleanup_(machine_record_done) MachineRecord m = {};

        /* one of each once, lists in order */
        ASSERT_OK(registry_parse("NAME=web\nLINK=ve-web\nZONE=abcdefghijkl\nADDRESS=10.80.3.2/24\n"
                                 "ADDRESS=fd00::2/64\nPORT=tcp:80:80\nPORT=udp:5353:53\n",
                                 &m));
        ASSERT_STREQ(m.link, "ve-web");
        ASSERT_STREQ(m.zone, "abcdefghijkl");
        ASSERT_EQ(strv_length(m.addresses), 2);
        ASSERT_STREQ(m.addresses[0], "10.80.3.2/24");
        ASSERT_STREQ(m.addresses[1], "fd00::2/64");
        ASSERT_EQ(strv_length(m.ports), 2);
        ASSERT_STREQ(m.ports[0], "tcp:80:80");
        ASSERT_STREQ(m.ports[1], "udp:5353:53");
}

TEST(parse_refuses_bad_network_fields) {
        static const char *const bad[] = {
                "NAME=web\nLINK=\n",
                "NAME=web\nLINK=a/b\n",
                "NAME=web\nLINK=..\n",
                "NAME=web\nLINK=a:b\n",
                "NAME=web\nLINK=\"a b\"\n",
                "NAME=web\nLINK=abcdefghijklmnop\n",
                "NAME=web\nADDRESS=\n",
                "NAME=web\nADDRESS=10.80.3.2\n",
                "NAME=web\nADDRESS=10.80.3.2/33\n",
                "NAME=web\nADDRESS=garbage\n",
                "NAME=web\nADDRESS=10.80.3.2/24\nADDRESS=fd00::2\n",
                "NAME=web\nPORT=\n",
                "NAME=web\nPORT=0\n",
                "NAME=web\nPORT=tcp:65536\n",
                "NAME=web\nPORT=sctp:80\n",
                "NAME=web\nPORT=1:2:3\n",
                "NAME=web\nUNDO=link:1:/proc/1/ns/net:a/b\n",
                "NAME=web\nUNDO=link:1:relative:ve-web\n",
                "NAME=web\nUNDO=zone:x:/proc/1/ns/net:vz-blue\n",
                "NAME=web\nUNDO=nft:1:/proc/1/ns/net:bogus\n",
                /* a zone is a name "vz-" can go before in a link name */
                "NAME=web\nZONE=\n",
                "NAME=web\nZONE=a/b\n",
                "NAME=web\nZONE=abcdefghijklm\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                MachineRecord m = {};
                int r = registry_parse(bad[i], &m);

                if (r != -EBADMSG)
                        tests_fail(__FILE__, __LINE__, "record \"%s\": %d, expected -EBADMSG", bad[i], r);
                ASSERT_NULL(m.name);
        }
}

TEST(format_refuses_control_characters) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        char *text = NULL;

        make_record(&m, "web");
        free(m.root);
        m.root = strdup("/var/lib/machines/a\nNAME=evil");
        ASSERT_ERROR(registry_format(&m, &text), EINVAL);
        ASSERT_NULL(text);

        free(m.root);
        m.root = strdup("/ok");
        ASSERT_OK(undo_log_push(&m.undo, UNDO_MOUNTS, "/x\ty"));
        ASSERT_ERROR(registry_format(&m, &text), EINVAL);
        ASSERT_NULL(text);
}

TEST(parse_refuses_bad_records) {
        static const char *const bad[] = {
                "",
                "CLASS=container\n", /* no NAME */
                "NAME=../x\n",
                "NAME=a/b\n",
                "NAME=\n",
                "NAME=.hidden\n",
                "NAME=\"a b\"\n",
                "NAME=web\nUNDO=lock:relative/path\n",
                "NAME=web\nUNDO=lock:/run/berth/../../etc/passwd\n",
                "NAME=web\nUNDO=cgroup:/sys/fs/cgroup/..\n",
                "NAME=web\nUNDO=bogus:/x\n",
                "NAME=web\nUNDO=/x\n",
                "NAME=web\nSTATE=dancing\n",
                "NAME=web\nSTATE=\n",
                "NAME=web\nUUID=zz\n",
                "NAME=web\nSUPERVISOR=-1\n",
                "NAME=web\nLEADER=12x\n",
                "NAME=web\nUID_BASE=\n",
                "NAME=web\nEPHEMERAL=maybe\n",
                "NAME=web\nSYSTEMD_UNIT=perhaps\n",
                "NAME=web\nCGROUP_V1=memory/machine-web.scope\n",
                "NAME=web\nCGROUP_V1=/sys/fs/cgroup/memory/../../../etc\n",
                "NAME=web\nthis line is not an assignment\n",
                "NAME=web\nROOT=\"unterminated\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                MachineRecord m = {};
                int r = registry_parse(bad[i], &m);

                if (r != -EBADMSG)
                        tests_fail(__FILE__, __LINE__, "record \"%s\": %d, expected -EBADMSG", bad[i], r);
                ASSERT_NULL(m.name);
        }
}

TEST(parse_accepts_unknown_keys) {
        _cleanup_(machine_record_done) MachineRecord m = {};

        ASSERT_OK(registry_parse("# written by a newer berth\nNAME=web\nFUTURE_KEY=\"x y\"\nSTATE=stopping\n", &m));
        ASSERT_STREQ(m.name, "web");
        ASSERT_EQ(m.state, MACHINE_STOPPING);
}

TEST(write_read_list_remove) {
        _cleanup_free_ char *dir = tests_path("machines"), *rec_a = tests_path("machines/a");
        _cleanup_strv_free_ char **none = NULL, **names = NULL, **after = NULL;
        _cleanup_(machine_record_done) MachineRecord a = {}, b = {}, got = {};
        MachineRecord nothing = {};

        /* the directory appears with the first machine */
        ASSERT_OK(registry_list_names(dir, &none));
        ASSERT_NOT_NULL(none);
        ASSERT_EQ(strv_length(none), 0);

        make_record(&b, "b");
        make_record(&a, "a");
        ASSERT_OK(registry_write(dir, &b));
        ASSERT_OK(registry_write(dir, &a));
        ASSERT_TRUE(file_exists(rec_a));

        ASSERT_OK(registry_read(dir, "a", &got));
        assert_records_equal(&a, &got);

        ASSERT_ERROR(registry_read(dir, "c", &nothing), ENOENT);
        ASSERT_ERROR(registry_read(dir, "../machines/a", &nothing), EINVAL);
        ASSERT_NULL(nothing.name);

        ASSERT_OK(registry_list_names(dir, &names));
        ASSERT_EQ(strv_length(names), 2);
        ASSERT_STREQ(names[0], "a");
        ASSERT_STREQ(names[1], "b");

        ASSERT_OK(registry_remove(dir, "a"));
        ASSERT_FALSE(file_exists(rec_a));
        ASSERT_OK(registry_remove(dir, "a")); /* gone already: fine */
        ASSERT_OK(registry_list_names(dir, &after));
        ASSERT_EQ(strv_length(after), 1);
        ASSERT_STREQ(after[0], "b");
}

TEST(list_skips_locks_and_temporary_files) {
        _cleanup_free_ char *dir = tests_path("machines"), *tmp = tests_path("machines/.#web.1234.tmp");
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;

        make_record(&m, "web");
        ASSERT_OK(registry_write(dir, &m));
        ASSERT_OK(registry_lock_name(dir, "other", &lock));
        ASSERT_OK(write_string_file(tmp, "NAME=web", WRITE_FILE_CREATE));

        ASSERT_OK(registry_list_names(dir, &names));
        ASSERT_EQ(strv_length(names), 1);
        ASSERT_STREQ(names[0], "web");
}

TEST(write_replaces_atomically) {
        _cleanup_free_ char *dir = tests_path("machines");
        _cleanup_(machine_record_done) MachineRecord m = {}, got = {};
        size_t n = 0;
        DIR *d;

        make_record(&m, "web");
        ASSERT_OK(registry_write(dir, &m));
        m.state = MACHINE_STOPPING;
        m.leader = 99;
        ASSERT_OK(registry_write(dir, &m));

        ASSERT_OK(registry_read(dir, "web", &got));
        ASSERT_EQ(got.state, MACHINE_STOPPING);
        ASSERT_EQ(got.leader, 99);

        /* just the record: no temporary file left behind */
        d = opendir(dir);
        ASSERT_NOT_NULL(d);
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        ASSERT_EQ(n, 1);
}

TEST(read_refuses_record_of_another_name) {
        _cleanup_free_ char *dir = tests_path("machines"), *from = tests_path("machines/a");
        _cleanup_free_ char *to = tests_path("machines/c");
        _cleanup_(machine_record_done) MachineRecord m = {};
        MachineRecord got = {};

        make_record(&m, "a");
        ASSERT_OK(registry_write(dir, &m));
        ASSERT_TRUE(rename(from, to) >= 0);
        ASSERT_ERROR(registry_read(dir, "c", &got), EBADMSG);
        ASSERT_NULL(got.name);
}

TEST(lock_name) {
        _cleanup_free_ char *dir = tests_path("machines"), *lock_path = tests_path("machines/.#web.lck");
        LockFile a = LOCK_FILE_NULL, b = LOCK_FILE_NULL;

        ASSERT_OK(registry_lock_name(dir, "web", &a));
        ASSERT_TRUE(file_exists(lock_path));
        ASSERT_ERROR(registry_lock_name(dir, "web", &b), EBUSY);
        ASSERT_OK(registry_lock_name(dir, "web2", &b)); /* another name */
        lock_file_release(&b);

        ASSERT_ERROR(registry_lock_name(dir, "../web", &b), EINVAL);
        ASSERT_ERROR(registry_lock_name(dir, "", &b), EINVAL);

        lock_file_release(&a);
        ASSERT_FALSE(file_exists(lock_path));
        ASSERT_OK(registry_lock_name(dir, "web", &b));
        lock_file_release(&b);
}

/* A record whose supervisor died: its undo log holds a lock file, as the
 * record of a machine with a user namespace range would. */
static void make_stale(const char *dir, const char *name, const char *undo_lock) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_free_ char *lock = strjoin(dir, "/.#", name, ".lck");

        make_record(&m, name);
        undo_log_done(&m.undo);
        ASSERT_OK(undo_log_push(&m.undo, UNDO_LOCK_FILE, undo_lock));
        ASSERT_OK(registry_write(dir, &m));
        ASSERT_OK(write_string_file(undo_lock, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        /* the dead supervisor's lock file, which nobody holds */
        ASSERT_OK(write_string_file(lock, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
}

TEST(gc_one_cleans_after_dead_supervisor) {
        _cleanup_free_ char *dir = tests_path("machines"), *undo_lock = tests_path("range.lck");
        _cleanup_free_ char *rec = tests_path("machines/web"), *lock = tests_path("machines/.#web.lck");

        make_stale(dir, "web", undo_lock);
        ASSERT_EQ(registry_gc_one(dir, "web", NULL), 1);
        ASSERT_FALSE(file_exists(undo_lock)); /* the undo log ran */
        ASSERT_FALSE(file_exists(rec));
        ASSERT_FALSE(file_exists(lock));
}

TEST(gc_one_leaves_live_machine) {
        _cleanup_free_ char *dir = tests_path("machines"), *undo_lock = tests_path("range.lck");
        _cleanup_free_ char *rec = tests_path("machines/web"), *lock = tests_path("machines/.#web.lck");
        _cleanup_(lock_file_release) LockFile held = LOCK_FILE_NULL;
        _cleanup_(machine_record_done) MachineRecord m = {};

        make_stale(dir, "web", undo_lock);
        ASSERT_OK(registry_lock_name(dir, "web", &held)); /* the supervisor lives */

        ASSERT_EQ(registry_gc_one(dir, "web", NULL), 0);
        ASSERT_TRUE(file_exists(undo_lock));
        ASSERT_TRUE(file_exists(rec));
        ASSERT_TRUE(file_exists(lock));
        ASSERT_OK(registry_read(dir, "web", &m));
        ASSERT_EQ(strv_length(m.undo.entries), 1);
}

TEST(gc_one_without_record) {
        _cleanup_free_ char *dir = tests_path("machines"), *lock = tests_path("machines/.#web.lck");

        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_string_file(lock, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        ASSERT_EQ(registry_gc_one(dir, "web", NULL), 1);
        ASSERT_FALSE(file_exists(lock));

        ASSERT_ERROR(registry_gc_one(dir, "../x", NULL), EINVAL);
}

TEST(gc_cleans_only_dead_machines) {
        _cleanup_free_ char *dir = tests_path("machines"), *dead_lock = tests_path("dead.lck");
        _cleanup_free_ char *live_lock = tests_path("live.lck"), *dead = tests_path("machines/dead");
        _cleanup_free_ char *live = tests_path("machines/live");
        _cleanup_(lock_file_release) LockFile held = LOCK_FILE_NULL;

        make_stale(dir, "dead", dead_lock);
        make_stale(dir, "live", live_lock);
        ASSERT_OK(registry_lock_name(dir, "live", &held));

        ASSERT_EQ(registry_gc(dir, NULL), 1);
        ASSERT_FALSE(file_exists(dead));
        ASSERT_FALSE(file_exists(dead_lock));
        ASSERT_TRUE(file_exists(live));
        ASSERT_TRUE(file_exists(live_lock));
}

TEST(gc_removes_orphaned_locks) {
        _cleanup_free_ char *dir = tests_path("machines"), *orphan = tests_path("machines/.#orphan.lck");
        _cleanup_free_ char *held_path = tests_path("machines/.#held.lck");
        _cleanup_(lock_file_release) LockFile held = LOCK_FILE_NULL;

        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_string_file(orphan, "", WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE));
        ASSERT_OK(registry_lock_name(dir, "held", &held));

        ASSERT_OK(registry_gc(dir, NULL));
        ASSERT_FALSE(file_exists(orphan));
        ASSERT_TRUE(file_exists(held_path));
}

TEST(gc_missing_directory) {
        _cleanup_free_ char *dir = tests_path("never-created");

        ASSERT_EQ(registry_gc(dir, NULL), 0);
}

TEST(machine_state_table) {
        for (MachineState s = 0; s < _MACHINE_STATE_MAX; s++) {
                const char *n = machine_state_to_string(s);
                ASSERT_NOT_NULL(n);
                ASSERT_EQ(machine_state_from_string(n), s);
        }
        ASSERT_STREQ(machine_state_to_string(MACHINE_STARTING), "starting");
        ASSERT_STREQ(machine_state_to_string(MACHINE_RUNNING), "running");
        ASSERT_STREQ(machine_state_to_string(MACHINE_STOPPING), "stopping");
        ASSERT_NULL(machine_state_to_string(_MACHINE_STATE_MAX));
        ASSERT_NULL(machine_state_to_string(-1));
        ASSERT_ERROR(machine_state_from_string("dead"), EINVAL);
}
