/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "boot-config.h"
#include "strv.h"
#include "tests.h"

TEST(init_defaults) {
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_RUN);
        ASSERT_EQ(c.mode, BOOT_MODE_RUN);
        ASSERT_EQ(c.private_users, PRIVATE_USERS_PICK);
        ASSERT_EQ(c.ownership, OWNERSHIP_AUTO);
        ASSERT_EQ(c.console, _CONSOLE_MODE_INVALID);
        ASSERT_TRUE(c.timeout == USEC_INFINITY);
        ASSERT_EQ(c.set_by, 0);
        ASSERT_EQ(c.n_mounts, 0);
        ASSERT_NULL(c.environment);
        ASSERT_EQ(c.settings_mode, SETTINGS_YES);
        ASSERT_EQ(c.resources.set, 0);
}

/* private users */

static void check_private_users(const char *s, PrivateUsers mode, uid_t base, uid_t count) {
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_BOOT);
        if (boot_config_set_private_users(&c, s) < 0)
                tests_fail(__FILE__, __LINE__, "--private-users=%s refused", s);
        if (c.private_users != mode)
                tests_fail(__FILE__, __LINE__, "--private-users=%s gave mode %s", s,
                           private_users_to_string(c.private_users));
        if (mode == PRIVATE_USERS_FIXED && (c.uid_base != base || c.uid_count != count))
                tests_fail(__FILE__, __LINE__, "--private-users=%s gave %u:%u", s, (unsigned) c.uid_base,
                           (unsigned) c.uid_count);
}

TEST(private_users_values) {
        check_private_users("pick", PRIVATE_USERS_PICK, 0, 0);
        check_private_users("identity", PRIVATE_USERS_IDENTITY, 0, 0);
        check_private_users("no", PRIVATE_USERS_NO, 0, 0);
        check_private_users("false", PRIVATE_USERS_NO, 0, 0);
        check_private_users("off", PRIVATE_USERS_NO, 0, 0);
        check_private_users("yes", PRIVATE_USERS_PICK, 0, 0);
        check_private_users("true", PRIVATE_USERS_PICK, 0, 0);
        check_private_users("524288", PRIVATE_USERS_FIXED, 524288, 65536);
        check_private_users("524288:65536", PRIVATE_USERS_FIXED, 524288, 65536);
        check_private_users("100000:1", PRIVATE_USERS_FIXED, 100000, 1);
        /* the last ID of the range is UINT32_MAX - 1, never (uid_t) -1 */
        check_private_users("4294901759:65536", PRIVATE_USERS_FIXED, 4294901759u, 65536);
}

static void check_private_users_bad(const char *s) {
        _cleanup_(boot_config_done) BootConfig c = {};
        int r;

        boot_config_init(&c, BOOT_MODE_BOOT);
        ASSERT_OK(boot_config_set_private_users(&c, "1000:5"));

        r = boot_config_set_private_users(&c, s);
        if (r != -EINVAL && r != -ERANGE)
                tests_fail(__FILE__, __LINE__, "--private-users=%s: %d, expected -EINVAL or -ERANGE", s, r);
        /* the config is left as it was */
        ASSERT_EQ(c.private_users, PRIVATE_USERS_FIXED);
        ASSERT_EQ(c.uid_base, 1000);
        ASSERT_EQ(c.uid_count, 5);
}

TEST(private_users_bad_values) {
        static const char *const bad[] = {
                "",
                "xyz",
                "Pick",
                "-1",
                "+5",
                " 5",
                "5 ",
                "0x10000",
                "1:",
                ":65536",
                "1:2:3",
                "1:x",
                "1:0",
                "1:-1",
                "4294967295",
                "4294901760:65536",
                "1:4294967295",
                "4294967296",
                "524288:65536:",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                check_private_users_bad(bad[i]);
}

TEST(private_users_range_errors) {
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_BOOT);
        ASSERT_ERROR(boot_config_set_private_users(&c, "1:0"), ERANGE);
        ASSERT_ERROR(boot_config_set_private_users(&c, "4294901760:65536"), ERANGE);
        ASSERT_ERROR(boot_config_set_private_users(&c, "xyz"), EINVAL);
        ASSERT_ERROR(boot_config_set_private_users(&c, "1:x"), EINVAL);
}

/* binds */

static const CustomMount *add_bind(BootConfig *c, const char *spec, bool read_only) {
        size_t n = c->n_mounts;

        if (boot_config_add_bind(c, spec, read_only) < 0)
                tests_fail(__FILE__, __LINE__, "bind spec \"%s\" refused", spec);
        ASSERT_EQ(c->n_mounts, n + 1);
        ASSERT_TRUE(c->set_by & SETTING_CUSTOM_MOUNTS);
        return &c->mounts[n];
}

TEST(bind_specs) {
        _cleanup_(boot_config_done) BootConfig c = {};
        const CustomMount *m;

        boot_config_init(&c, BOOT_MODE_BOOT);

        m = add_bind(&c, "/srv/data", false);
        ASSERT_EQ(m->type, CUSTOM_MOUNT_BIND);
        ASSERT_STREQ(m->source, "/srv/data");
        ASSERT_STREQ(m->destination, "/srv/data");
        ASSERT_TRUE(m->recursive);
        ASSERT_FALSE(m->idmap);
        ASSERT_NULL(m->options);

        m = add_bind(&c, "/srv/data:/data", true);
        ASSERT_EQ(m->type, CUSTOM_MOUNT_BIND_RO);
        ASSERT_STREQ(m->source, "/srv/data");
        ASSERT_STREQ(m->destination, "/data");

        m = add_bind(&c, "/a:/b:norbind,idmap", false);
        ASSERT_FALSE(m->recursive);
        ASSERT_TRUE(m->idmap);

        m = add_bind(&c, "/a:/b:idmap,noidmap,norbind,rbind", false);
        ASSERT_TRUE(m->recursive);
        ASSERT_FALSE(m->idmap);

        /* an empty destination means the source's path */
        m = add_bind(&c, "/a::norbind", false);
        ASSERT_STREQ(m->destination, "/a");
        ASSERT_FALSE(m->recursive);

        /* paths are simplified */
        m = add_bind(&c, "//srv//x/./:/dst/./y/", false);
        ASSERT_STREQ(m->source, "/srv/x");
        ASSERT_STREQ(m->destination, "/dst/y");

        ASSERT_EQ(c.n_mounts, 6);
}

TEST(bind_specs_escaped) {
        _cleanup_(boot_config_done) BootConfig c = {};
        const CustomMount *m;

        boot_config_init(&c, BOOT_MODE_BOOT);

        m = add_bind(&c, "/host/a\\:b:/in/c\\:d", false);
        ASSERT_STREQ(m->source, "/host/a:b");
        ASSERT_STREQ(m->destination, "/in/c:d");
        ASSERT_TRUE(m->recursive);

        m = add_bind(&c, "/back\\\\slash:/x:norbind", false);
        ASSERT_STREQ(m->source, "/back\\slash");
        ASSERT_STREQ(m->destination, "/x");
        ASSERT_FALSE(m->recursive);

        m = add_bind(&c, "/with\\:colon", false);
        ASSERT_STREQ(m->source, "/with:colon");
        ASSERT_STREQ(m->destination, "/with:colon");
}

TEST(bind_specs_bad) {
        static const char *const bad[] = {
                "",
                "relative",
                "./relative",
                ":/dst",
                "/a:relative",
                "/a:dst/sub",
                "/a:/b/../c",
                "/a:/..",
                "/a:/b:bogus",
                "/a:/b:rbind,bogus",
                "/a:/b:rbind:idmap",
                "relative\\:x:/b",
        };
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_BOOT);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = boot_config_add_bind(&c, bad[i], i % 2);
                if (r != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "bind spec \"%s\": %d, expected -EINVAL", bad[i], r);
        }
        /* nothing was added or marked */
        ASSERT_EQ(c.n_mounts, 0);
        ASSERT_EQ(c.set_by, 0);
}

/* tmpfs */

TEST(tmpfs_specs) {
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_BOOT);
        ASSERT_OK(boot_config_add_tmpfs(&c, "/tmp"));
        ASSERT_OK(boot_config_add_tmpfs(&c, "/var/tmp:mode=0700,size=1G"));
        ASSERT_OK(boot_config_add_tmpfs(&c, "/run/a\\:b//c/"));
        ASSERT_EQ(c.n_mounts, 3);
        ASSERT_TRUE(c.set_by & SETTING_CUSTOM_MOUNTS);

        ASSERT_EQ(c.mounts[0].type, CUSTOM_MOUNT_TMPFS);
        ASSERT_STREQ(c.mounts[0].destination, "/tmp");
        ASSERT_STREQ(c.mounts[0].options, "mode=0755");
        ASSERT_NULL(c.mounts[0].source);

        ASSERT_STREQ(c.mounts[1].destination, "/var/tmp");
        ASSERT_STREQ(c.mounts[1].options, "mode=0700,size=1G");

        ASSERT_STREQ(c.mounts[2].destination, "/run/a:b/c");
        ASSERT_STREQ(c.mounts[2].options, "mode=0755");
}

TEST(tmpfs_specs_bad) {
        static const char *const bad[] = { "", "relative", "tmp:mode=0700", ":mode=0700", "/a/../b", "/..:size=1G" };
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_BOOT);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = boot_config_add_tmpfs(&c, bad[i]);
                if (r != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "tmpfs spec \"%s\": %d, expected -EINVAL", bad[i], r);
        }
        ASSERT_EQ(c.n_mounts, 0);
        ASSERT_EQ(c.set_by, 0);
}

/* environment */

TEST(environment) {
        static const char *const bad[] = { "=x", "A", "", "1A=x", "A B=x", "A-B=x", "Ä=x" };
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_RUN);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (boot_config_add_environment(&c, bad[i]) != -EINVAL)
                        tests_fail(__FILE__, __LINE__, "environment \"%s\" accepted", bad[i]);
        ASSERT_NULL(c.environment);
        ASSERT_EQ(c.set_by, 0);

        ASSERT_OK(boot_config_add_environment(&c, "A=1"));
        ASSERT_OK(boot_config_add_environment(&c, "B="));
        ASSERT_OK(boot_config_add_environment(&c, "C=x=y z"));
        ASSERT_OK(boot_config_add_environment(&c, "A=2")); /* replaces */
        ASSERT_TRUE(c.set_by & SETTING_ENVIRONMENT);
        ASSERT_EQ(strv_length(c.environment), 3);
        ASSERT_STREQ(c.environment[0], "A=2");
        ASSERT_STREQ(c.environment[1], "B=");
        ASSERT_STREQ(c.environment[2], "C=x=y z");
}

/* properties */

TEST(properties) {
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_BOOT);
        ASSERT_OK(boot_config_add_property(&c, "MemoryMax=512M"));
        ASSERT_OK(boot_config_add_property(&c, "MemoryHigh=infinity"));
        ASSERT_OK(boot_config_add_property(&c, "CPUWeight=10000"));
        ASSERT_OK(boot_config_add_property(&c, "CPUQuota=150%"));
        ASSERT_OK(boot_config_add_property(&c, "TasksMax=1"));
        ASSERT_OK(boot_config_add_property(&c, "IOWeight=1"));
        ASSERT_OK(boot_config_add_property(&c, "MemorySwapMax=1G"));
        ASSERT_OK(boot_config_add_property(&c, "CPUQuotaPeriodSec=1s"));
        ASSERT_OK(boot_config_add_property(&c, "AllowedCPUs=0"));
        ASSERT_OK(boot_config_add_property(&c, "AllowedMemoryNodes="));
        ASSERT_TRUE(c.set_by & SETTING_PROPERTIES);
        /* All but the per-device limits (test-resources.c). */
        ASSERT_EQ(c.resources.set, (1U << RESOURCE_IO_READ_BANDWIDTH_MAX) - 1);
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_MAX], 512ULL << 20);
        ASSERT_TRUE(c.resources.value[RESOURCE_MEMORY_HIGH] == RESOURCE_INFINITY);
        ASSERT_EQ(c.resources.value[RESOURCE_CPU_WEIGHT], 10000);
        ASSERT_EQ(c.resources.value[RESOURCE_CPU_QUOTA], 1500000);
        ASSERT_EQ(c.resources.value[RESOURCE_TASKS_MAX], 1);
        ASSERT_EQ(c.resources.value[RESOURCE_IO_WEIGHT], 1);

        /* a later one of the same name replaces the earlier */
        ASSERT_OK(boot_config_add_property(&c, "MemoryMax=2G"));
        ASSERT_OK(boot_config_add_property(&c, "TasksMax=infinity"));
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_MAX], 2ULL << 30);
        ASSERT_TRUE(c.resources.value[RESOURCE_TASKS_MAX] == RESOURCE_INFINITY);
        ASSERT_EQ(c.resources.set, (1U << RESOURCE_IO_READ_BANDWIDTH_MAX) - 1);

        /* a percentage of the host's memory */
        ASSERT_OK(boot_config_add_property(&c, "MemoryMax=50%"));
        ASSERT_TRUE(c.resources.value[RESOURCE_MEMORY_MAX] > 0);
}

TEST(properties_bad) {
        static const struct {
                const char *assignment;
                int error;
        } bad[] = {
                { "", EINVAL },
                { "MemoryMax", EINVAL },
                { "Memorymax=1G", EOPNOTSUPP },
                { "MemoryLow=1G", EOPNOTSUPP },
                { "=1G", EOPNOTSUPP },
                { "MemoryMax=", EINVAL },
                { "MemoryMax=lots", EINVAL },
                { "MemoryMax=1.5G", EINVAL },
                { "MemoryMax=1g", EINVAL },
                { "MemoryMax=-1", EINVAL },
                { "MemoryMax= 1G", EINVAL },
                { "MemoryMax=0", ERANGE },
                { "MemoryMax=101%", ERANGE },
                { "MemoryMax=99999999999T", ERANGE },
                { "CPUWeight=0", ERANGE },
                { "CPUWeight=10001", ERANGE },
                { "CPUWeight=x", EINVAL },
                { "IOWeight=0", ERANGE },
                { "IOWeight=", EINVAL },
                { "CPUQuota=0%", ERANGE },
                { "CPUQuota=50", EINVAL },
                { "CPUQuota=%", EINVAL },
                { "TasksMax=0", ERANGE },
                { "TasksMax=-5", EINVAL },
                { "TasksMax=many", EINVAL },
        };
        _cleanup_(boot_config_done) BootConfig c = {};

        boot_config_init(&c, BOOT_MODE_RUN);
        ASSERT_OK(boot_config_add_property(&c, "MemoryMax=1G"));
        c.set_by = 0;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = boot_config_add_property(&c, bad[i].assignment);
                if (r != -bad[i].error)
                        tests_fail(__FILE__, __LINE__, "property \"%s\": %d, expected -%s", bad[i].assignment, r,
                                   strerror(bad[i].error));
        }
        /* the config is left as it was */
        ASSERT_EQ(c.set_by, 0);
        ASSERT_EQ(c.resources.set, 1U << RESOURCE_MEMORY_MAX);
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_MAX], 1ULL << 30);
}

/* console_mode_resolve(): what each configured mode becomes, for each
 * combination of terminals on stdin and stdout. */
TEST(console_mode_resolve) {
        static const ConsoleMode explicit_modes[] = {
                CONSOLE_INTERACTIVE,
                CONSOLE_READ_ONLY,
                CONSOLE_PASSIVE,
                CONSOLE_PIPE,
        };

        for (int in = 0; in <= 1; in++)
                for (int out = 0; out <= 1; out++)
                        for (BootMode mode = 0; mode < _BOOT_MODE_MAX; mode++) {
                                bool tty = in && out;
                                ConsoleMode m;

                                /* an explicit mode is kept as it is */
                                for (size_t i = 0; i < ELEMENTSOF(explicit_modes); i++)
                                        ASSERT_EQ(console_mode_resolve(explicit_modes[i], mode, in, out),
                                                  explicit_modes[i]);

                                /* autopipe: interactive only when both are terminals */
                                ASSERT_EQ(console_mode_resolve(CONSOLE_AUTOPIPE, mode, in, out),
                                          tty ? CONSOLE_INTERACTIVE : CONSOLE_PIPE);

                                /* unset: interactive on terminals; otherwise boot
                                 * shows the console, run passes stdio through */
                                m = console_mode_resolve(_CONSOLE_MODE_INVALID, mode, in, out);
                                if (tty)
                                        ASSERT_EQ(m, CONSOLE_INTERACTIVE);
                                else if (mode == BOOT_MODE_BOOT)
                                        ASSERT_EQ(m, CONSOLE_READ_ONLY);
                                else
                                        ASSERT_EQ(m, CONSOLE_PIPE);
                        }
}

TEST(overlay) {
        BootConfig c;

        boot_config_init(&c, BOOT_MODE_BOOT);
        /* Three paths: lower, upper, destination. */
        ASSERT_OK(boot_config_add_overlay(&c, "/a:/b:/srv", false));
        ASSERT_EQ(c.mounts[0].type, CUSTOM_MOUNT_OVERLAY);
        ASSERT_STREQ(c.mounts[0].lower[0], "/a");
        ASSERT_NULL(c.mounts[0].lower[1]);
        ASSERT_STREQ(c.mounts[0].source, "/b");
        ASSERT_STREQ(c.mounts[0].destination, "/srv");
        /* Two: the second is the upper layer and the destination. */
        ASSERT_OK(boot_config_add_overlay(&c, "/a:/srv/", false));
        ASSERT_STREQ(c.mounts[1].lower[0], "/a");
        ASSERT_STREQ(c.mounts[1].source, "/srv");
        ASSERT_STREQ(c.mounts[1].destination, "/srv");
        /* An empty upper layer: a tmpfs; "+": in the machine. */
        ASSERT_OK(boot_config_add_overlay(&c, "+/etc::/etc", false));
        ASSERT_STREQ(c.mounts[2].lower[0], "+/etc");
        ASSERT_STREQ(c.mounts[2].source, "");
        /* Read-only: every source a lower layer, no upper. */
        ASSERT_OK(boot_config_add_overlay(&c, "/a:/b:/c:/srv", true));
        ASSERT_EQ(c.mounts[3].type, CUSTOM_MOUNT_OVERLAY_RO);
        ASSERT_STREQ(c.mounts[3].lower[2], "/c");
        ASSERT_NULL(c.mounts[3].source);
        ASSERT_EQ(c.n_mounts, 4u);

        /* Bad ones leave nothing. */
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a", false), EINVAL);
        ASSERT_ERROR(boot_config_add_overlay(&c, "a:/b:/srv", false), EINVAL);
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a:/../b:/srv", false), EINVAL);
        ASSERT_ERROR(boot_config_add_overlay(&c, ":/b:/srv", false), EINVAL);
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a:/b:srv", false), EINVAL);
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a:/b:/", false), EPERM);
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a:/b:/proc/x", false), EPERM);
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a:+/srv", false), EINVAL);
        ASSERT_ERROR(boot_config_add_overlay(&c, "/a:/:/srv", false), EINVAL);
        ASSERT_EQ(c.n_mounts, 4u);
        boot_config_done(&c);
}

TEST(string_tables) {
        CHECK_TABLE(boot_mode, _BOOT_MODE_MAX, "boot", "run");
        CHECK_TABLE(private_users, _PRIVATE_USERS_MAX, "no", "pick", "identity", "fixed");
        CHECK_TABLE(ownership, _OWNERSHIP_MAX, "auto", "map", "chown", "off");
        CHECK_TABLE(console_mode, _CONSOLE_MODE_MAX, "interactive", "read-only", "passive", "pipe", "autopipe");
        CHECK_TABLE(custom_mount_type, _CUSTOM_MOUNT_TYPE_MAX, "bind", "bind-ro", "tmpfs", "overlay", "overlay-ro");
        CHECK_TABLE(volatile_mode, _VOLATILE_MODE_MAX, "no", "yes", "state", "overlay");
        /* Boolean words too, as nspawn's --volatile= takes them. */
        ASSERT_EQ(volatile_mode_from_string("true"), VOLATILE_YES);
        ASSERT_EQ(volatile_mode_from_string("off"), VOLATILE_NO);
        CHECK_TABLE(settings_mode, _SETTINGS_MODE_MAX, "no", "yes", "trusted", "override");
        CHECK_TABLE(link_journal, _LINK_JOURNAL_MAX, "no", "host", "try-host", "guest", "try-guest", "auto");
        CHECK_TABLE(register_mode, _REGISTER_MODE_MAX, "no", "yes", "auto");
        /* Any boolean word is a register mode too. */
        ASSERT_EQ(register_mode_from_string("true"), REGISTER_YES);
        ASSERT_EQ(register_mode_from_string("off"), REGISTER_NO);
}

TEST(string_tables_case_sensitive) {
        ASSERT_ERROR(console_mode_from_string("Pipe"), EINVAL);
        ASSERT_ERROR(ownership_from_string("AUTO"), EINVAL);
        ASSERT_ERROR(boot_mode_from_string("boot "), EINVAL);
}
