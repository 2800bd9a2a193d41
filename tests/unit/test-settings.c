/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/stat.h>

#include "fileio.h"
#include "custom-mount.h"
#include "settings.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

#define FILE_NAME "/etc/berth/m.berth"

/* Parses text that must parse; the warnings, when asked for, are kept. */
static void parse_ok_full(const char *text, bool trusted, BootMode mode, BootConfig *ret, char ***ret_warnings) {
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = settings_parse_text(text, FILE_NAME, trusted, mode, ret, &warnings, &error);
        if (r < 0)
                tests_fail(__FILE__, __LINE__, "parse failed (%s): %s\n---\n%.500s---", strerror(-r), strna(error),
                           text);
        ASSERT_NULL(error);
        if (ret_warnings)
                *ret_warnings = TAKE_PTR(warnings);
        else if (warnings)
                tests_fail(__FILE__, __LINE__, "unexpected warning: %s", warnings[0]);
}

static void parse_ok(const char *text, BootConfig *ret) {
        parse_ok_full(text, true, BOOT_MODE_RUN, ret, NULL);
}

/* Parses text that must be refused with exactly this message. */
static void parse_bad(const char *text, const char *message) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = settings_parse_text(text, FILE_NAME, true, BOOT_MODE_RUN, &c, &warnings, &error);
        if (r != -EBADMSG)
                tests_fail(__FILE__, __LINE__, "expected -EBADMSG, got %d for:\n%.500s", r, text);
        ASSERT_STREQ(error, message);
}

/* The one warning text must give. */
static void parse_warns(const char *text, bool trusted, BootMode mode, const char *message) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok_full(text, trusted, mode, &c, &warnings);
        if (strv_length(warnings) != 1)
                tests_fail(__FILE__, __LINE__, "expected one warning for:\n%s\ngot %zu", text, strv_length(warnings));
        ASSERT_STREQ(warnings[0], message);
}

/* --- Keys ----------------------------------------------------------------- */

TEST(every_key) {
        static const char text[] = "[Exec]\n"
                                   "Boot=no\n"
                                   "Ephemeral=yes\n"
                                   "ProcessTwo=yes\n"
                                   "Parameters=/bin/sh -c true\n"
                                   "Environment=A=1\n"
                                   "User=alice\n"
                                   "WorkingDirectory=/srv//www/\n"
                                   "Hostname=web-1\n"
                                   "MachineID=0123456789abcdef0123456789abcdef\n"
                                   "PrivateUsers=524288:65536\n"
                                   "NotifyReady=yes\n"
                                   "LinkJournal=try-host\n"
                                   "[Files]\n"
                                   "Bind=/srv/a:/a\n"
                                   "BindReadOnly=/srv/b:/b:norbind\n"
                                   "TemporaryFileSystem=/scratch:size=10M\n"
                                   "PrivateUsersOwnership=chown\n"
                                   "[Network]\n"
                                   "Private=yes\n"
                                   "[Resources]\n"
                                   "MemoryMax=1G\n"
                                   "MemoryHigh=512M\n"
                                   "CPUWeight=200\n"
                                   "CPUQuota=50%\n"
                                   "TasksMax=100\n"
                                   "IOWeight=300\n"
                                   "MemorySwapMax=0\n"
                                   "CPUQuotaPeriodSec=10ms\n"
                                   "AllowedCPUs=0\n"
                                   "AllowedMemoryNodes=0\n";
        _cleanup_(boot_config_done) BootConfig c = {};
        char uuid[ID128_STRING_MAX];

        parse_ok(text, &c);
        ASSERT_EQ(c.mode, BOOT_MODE_RUN);
        ASSERT_TRUE(c.ephemeral);
        ASSERT_TRUE(c.as_pid2);
        ASSERT_EQ(strv_length(c.parameters), 3);
        ASSERT_STREQ(c.parameters[0], "/bin/sh");
        ASSERT_STREQ(c.parameters[1], "-c");
        ASSERT_STREQ(c.parameters[2], "true");
        ASSERT_EQ(strv_length(c.environment), 1);
        ASSERT_STREQ(c.environment[0], "A=1");
        ASSERT_STREQ(c.user, "alice");
        ASSERT_STREQ(c.working_directory, "/srv/www");
        ASSERT_STREQ(c.hostname, "web-1");
        ASSERT_STREQ(id128_to_string(c.uuid, uuid), "0123456789abcdef0123456789abcdef");
        ASSERT_EQ(c.private_users, PRIVATE_USERS_FIXED);
        ASSERT_EQ(c.uid_base, 524288);
        ASSERT_EQ(c.uid_count, 65536);
        ASSERT_TRUE(c.notify_ready);
        ASSERT_EQ(c.link_journal, LINK_JOURNAL_TRY_HOST);
        ASSERT_TRUE(c.set_by & SETTING_LINK_JOURNAL);

        ASSERT_EQ(c.n_mounts, 3);
        ASSERT_EQ(c.mounts[0].type, CUSTOM_MOUNT_BIND);
        ASSERT_STREQ(c.mounts[0].source, "/srv/a");
        ASSERT_STREQ(c.mounts[0].destination, "/a");
        ASSERT_TRUE(c.mounts[0].recursive);
        ASSERT_EQ(c.mounts[1].type, CUSTOM_MOUNT_BIND_RO);
        ASSERT_STREQ(c.mounts[1].destination, "/b");
        ASSERT_FALSE(c.mounts[1].recursive);
        ASSERT_EQ(c.mounts[2].type, CUSTOM_MOUNT_TMPFS);
        ASSERT_STREQ(c.mounts[2].destination, "/scratch");
        ASSERT_STREQ(c.mounts[2].options, "size=10M");
        ASSERT_EQ(c.ownership, OWNERSHIP_CHOWN);
        ASSERT_TRUE(c.private_network);

        /* All but the per-device limits (whose paths depend on the host's
         * disks: test-resources.c). */
        ASSERT_EQ(c.resources.set, (1U << RESOURCE_IO_READ_BANDWIDTH_MAX) - 1);
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_MAX], 1ULL << 30);
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_HIGH], 512ULL << 20);
        ASSERT_EQ(c.resources.value[RESOURCE_CPU_WEIGHT], 200);
        ASSERT_EQ(c.resources.value[RESOURCE_CPU_QUOTA], 500000);
        ASSERT_EQ(c.resources.value[RESOURCE_TASKS_MAX], 100);
        ASSERT_EQ(c.resources.value[RESOURCE_IO_WEIGHT], 300);
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_SWAP_MAX], 0);
        ASSERT_EQ(c.resources.value[RESOURCE_CPU_QUOTA_PERIOD], 10000);
        ASSERT_TRUE(c.resources.cpus.bits[0] == 1);

        ASSERT_EQ(c.set_by, SETTING_EPHEMERAL | SETTING_AS_PID2 | SETTING_PARAMETERS | SETTING_ENVIRONMENT |
                                    SETTING_USER | SETTING_WORKING_DIRECTORY | SETTING_HOSTNAME | SETTING_UUID |
                                    SETTING_PRIVATE_USERS | SETTING_NOTIFY_READY | SETTING_CUSTOM_MOUNTS |
                                    SETTING_OWNERSHIP | SETTING_NETWORK | SETTING_PROPERTIES | SETTING_LINK_JOURNAL);
}

TEST(nothing_set) {
        _cleanup_(boot_config_done) BootConfig c = {};

        /* Boot= is checked, and left to the verb. */
        parse_ok("[Exec]\nBoot=no\n", &c);
        ASSERT_EQ(c.set_by, 0);
        boot_config_done(&c);

        parse_ok("", &c);
        ASSERT_EQ(c.set_by, 0);
        boot_config_done(&c);

        parse_ok("# only a comment\n\n[Exec]\n", &c);
        ASSERT_EQ(c.set_by, 0);
}

TEST(booleans_and_enums) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok("[Exec]\nEphemeral=off\nProcessTwo=0\nNotifyReady=false\n[Network]\nPrivate=no\n"
                 "[Exec]\nPrivateUsers=identity\n[Files]\nPrivateUsersChown=no\n",
                 &c);
        ASSERT_FALSE(c.ephemeral);
        ASSERT_FALSE(c.as_pid2);
        ASSERT_FALSE(c.notify_ready);
        ASSERT_FALSE(c.private_network);
        ASSERT_EQ(c.private_users, PRIVATE_USERS_IDENTITY);
        ASSERT_EQ(c.ownership, OWNERSHIP_OFF);
        /* "set to no" is set: it overrides a default */
        ASSERT_TRUE(c.set_by & SETTING_EPHEMERAL);
        ASSERT_TRUE(c.set_by & SETTING_NETWORK);
        boot_config_done(&c);

        parse_ok("[Files]\nPrivateUsersChown=yes\n[Exec]\nPrivateUsers=no\nMachineID=01234567-89ab-cdef-0123-"
                 "456789abcdef\n",
                 &c);
        ASSERT_EQ(c.ownership, OWNERSHIP_CHOWN);
        ASSERT_EQ(c.private_users, PRIVATE_USERS_NO);
        ASSERT_TRUE(c.set_by & SETTING_UUID);
        boot_config_done(&c);

        /* the later one of a single-valued key wins */
        parse_ok("[Exec]\nHostname=a\nHostname=b\n[Files]\nPrivateUsersOwnership=map\nPrivateUsersChown=yes\n", &c);
        ASSERT_STREQ(c.hostname, "b");
        ASSERT_EQ(c.ownership, OWNERSHIP_CHOWN);
}

TEST(repeated_keys) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok("[Exec]\n"
                 "Environment=A=1 B=2\n"
                 "Environment=C=3\n"
                 "Environment=A=4\n"
                 "Environment=\"D=with space\" 'E=x'\n"
                 "Parameters=one\n"
                 "Parameters=two three\n"
                 "[Files]\n"
                 "Bind=/1\n"
                 "BindReadOnly=/2\n"
                 "TemporaryFileSystem=/3\n"
                 "Bind=/4:/four:idmap\n"
                 "TemporaryFileSystem=/5:mode=0700\n",
                 &c);
        ASSERT_EQ(strv_length(c.environment), 5);
        ASSERT_STREQ(strv_env_get(c.environment, "A"), "4");
        ASSERT_STREQ(strv_env_get(c.environment, "B"), "2");
        ASSERT_STREQ(strv_env_get(c.environment, "C"), "3");
        ASSERT_STREQ(strv_env_get(c.environment, "D"), "with space");
        ASSERT_STREQ(strv_env_get(c.environment, "E"), "x");
        /* Parameters= add up, as in systemd-nspawn (checked against 252:
         * "Parameters=/bin/echo a" then "Parameters=b c" runs "echo a b c") */
        ASSERT_EQ(strv_length(c.parameters), 3);
        ASSERT_STREQ(c.parameters[0], "one");
        ASSERT_STREQ(c.parameters[1], "two");
        ASSERT_STREQ(c.parameters[2], "three");

        /* in the order given, all types in one list */
        ASSERT_EQ(c.n_mounts, 5);
        ASSERT_STREQ(c.mounts[0].destination, "/1");
        ASSERT_EQ(c.mounts[1].type, CUSTOM_MOUNT_BIND_RO);
        ASSERT_EQ(c.mounts[2].type, CUSTOM_MOUNT_TMPFS);
        ASSERT_STREQ(c.mounts[2].options, "mode=0755");
        ASSERT_STREQ(c.mounts[3].destination, "/four");
        ASSERT_TRUE(c.mounts[3].idmap);
        ASSERT_STREQ(c.mounts[4].options, "mode=0700");
}

TEST(empty_resets_lists) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok("[Exec]\nParameters=a b\nParameters=\nParameters=c\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n",
                 &c);
        ASSERT_EQ(strv_length(c.parameters), 1);
        ASSERT_STREQ(c.parameters[0], "c");
        ASSERT_EQ(strv_length(c.environment), 1);
        ASSERT_STREQ(c.environment[0], "B=2");
        boot_config_done(&c);

        /* reset to nothing: nothing is set */
        parse_ok("[Exec]\nParameters=a\nParameters=\nEnvironment=A=1\nEnvironment=\n", &c);
        ASSERT_NULL(c.parameters);
        ASSERT_NULL(c.environment);
        ASSERT_EQ(c.set_by, 0);
}

TEST(parameters_quoting) {
        _cleanup_(boot_config_done) BootConfig c = {};

        /* quotes group and go; backslashes stay; an empty quoted word is a word */
        parse_ok("[Exec]\nParameters=a  \"b c\"\t'd \"e\"' x\"y z\"w f\\g \"\" '#x' ;y\n", &c);
        ASSERT_EQ(strv_length(c.parameters), 8);
        ASSERT_STREQ(c.parameters[0], "a");
        ASSERT_STREQ(c.parameters[1], "b c");
        ASSERT_STREQ(c.parameters[2], "d \"e\"");
        ASSERT_STREQ(c.parameters[3], "xy zw");
        ASSERT_STREQ(c.parameters[4], "f\\g");
        ASSERT_STREQ(c.parameters[5], "");
        ASSERT_STREQ(c.parameters[6], "#x"); /* no comments after a value */
        ASSERT_STREQ(c.parameters[7], ";y");

        parse_bad("[Exec]\nParameters=a \"b\n", FILE_NAME ":2: Invalid value 'a \"b' for Parameters=: expected words, "
                                                          "with balanced quotes");
        parse_bad("[Exec]\nParameters='\n", FILE_NAME ":2: Invalid value ''' for Parameters=: expected words, "
                                                      "with balanced quotes");
}

/* --- Syntax ----------------------------------------------------------------- */

TEST(syntax) {
        _cleanup_(boot_config_done) BootConfig c = {};

        /* whitespace around everything, comments, CRLF, a byte order mark */
        parse_ok("\xef\xbb\xbf# comment\r\n"
                 "; another\r\n"
                 "\r\n"
                 "  [Exec]  \r\n"
                 "\tHostname \t=\t  web  \r\n"
                 "   # indented comment\n"
                 "NotifyReady   =yes",
                 &c);
        ASSERT_STREQ(c.hostname, "web");
        ASSERT_TRUE(c.notify_ready);
        boot_config_done(&c);

        /* sections come back; later ones add to earlier ones */
        parse_ok("[Files]\nBind=/a\n[Exec]\nHostname=h\n[Files]\nBind=/b\n", &c);
        ASSERT_EQ(c.n_mounts, 2);
        ASSERT_STREQ(c.hostname, "h");
}

TEST(continuation_lines) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok("[Exec]\n"
                 "Parameters=a \\\n"
                 "  b\\\n"
                 "# a comment in between is skipped\n"
                 "  c\n"
                 "Hostname=h\n",
                 &c);
        ASSERT_EQ(strv_length(c.parameters), 3);
        ASSERT_STREQ(c.parameters[0], "a");
        ASSERT_STREQ(c.parameters[1], "b");
        ASSERT_STREQ(c.parameters[2], "c");
        ASSERT_STREQ(c.hostname, "h");
        boot_config_done(&c);

        /* an even number of backslashes doesn't continue; one at the end of
         * the file ends the line */
        parse_ok("[Exec]\nParameters=x\\\\\nHostname=h\nEnvironment=A=1 \\", &c);
        ASSERT_EQ(strv_length(c.parameters), 1);
        ASSERT_STREQ(c.parameters[0], "x\\\\");
        ASSERT_STREQ(c.hostname, "h");
        ASSERT_STREQ(c.environment[0], "A=1");

        /* errors name the line the continued one starts on */
        parse_bad("[Exec]\n\nHostname=a\\\nb\n",
                  FILE_NAME ":3: Invalid value 'a b' for Hostname=: expected a valid hostname");
}

TEST(continuation_lines_many) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_free_ char *text = NULL;
        const size_t n = 500000;
        char *p;

        /* linear, not quadratic, in the number of lines */
        text = malloc(n * 2 + 64);
        ASSERT_NOT_NULL(text);
        p = stpcpy(text, "[Exec]\nParameters=a \\\n");
        for (size_t i = 0; i < n; i++)
                p = stpcpy(p, "\\\n");
        strcpy(p, "b\n");
        parse_ok(text, &c);
        ASSERT_EQ(strv_length(c.parameters), 2);
        ASSERT_STREQ(c.parameters[1], "b");
}

/* A header, then n times before, the index, after. */
static char *repeat(const char *header, size_t n, const char *before, const char *after) {
        size_t size = strlen(header) + n * (strlen(before) + strlen(after) + 16) + 1;
        char *text = malloc(size), *p;

        ASSERT_NOT_NULL(text);
        p = stpcpy(text, header);
        for (size_t i = 0; i < n; i++)
                p += snprintf(p, size - (size_t) (p - text), "%s%zu%s", before, i, after);
        return text;
}

TEST(limits) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *text = NULL, *big = NULL, *path = tests_path("big.berth"), *error = NULL, *expected = NULL;

        /* 4096 words, variables, mounts are fine; one more is not */
        text = repeat("[Exec]\nParameters=", 4096, "w", " ");
        parse_ok(text, &c);
        ASSERT_EQ(strv_length(c.parameters), 4096);
        boot_config_done(&c);
        free(text);

        text = repeat("[Exec]\nParameters=", 4097, "w", " ");
        parse_bad(text, FILE_NAME ":2: Too many values for Parameters= (at most 4096)");
        free(text);

        text = repeat("[Exec]\n", 4097, "Parameters=w", "\n");
        parse_bad(text, FILE_NAME ":4098: Too many values for Parameters= (at most 4096)");
        free(text);

        text = repeat("[Exec]\n", 4096, "Environment=V", "=x\n");
        parse_ok(text, &c);
        ASSERT_EQ(strv_length(c.environment), 4096);
        boot_config_done(&c);
        free(text);

        text = repeat("[Exec]\nEnvironment=", 4097, "V", "=x ");
        parse_bad(text, FILE_NAME ":2: Too many values for Environment= (at most 4096)");
        free(text);

        text = repeat("[Files]\n", 4097, "TemporaryFileSystem=/t", "\n");
        parse_bad(text, FILE_NAME ":4098: Too many values for TemporaryFileSystem= (at most 4096)");
        free(text);

        /* a hundred warnings, then one that says there are more */
        text = repeat("[Exec]\n", 150, "Unknown", "=1\n");
        parse_ok_full(text, true, BOOT_MODE_RUN, &c, &warnings);
        ASSERT_EQ(strv_length(warnings), 101);
        ASSERT_STREQ(warnings[99], FILE_NAME ":101: Unknown key Unknown99= in [Exec], not supported, ignoring");
        ASSERT_STREQ(warnings[100], FILE_NAME ":102: More warnings, not shown");
        boot_config_done(&c);

        /* files are small */
        big = repeat("", 1024 * 1024 / 8, "# ", "......\n");
        ASSERT_OK(write_string_file(path, big, WRITE_FILE_CREATE));
        ASSERT_ERROR(settings_parse(path, true, BOOT_MODE_BOOT, &c, &warnings, &error), EFBIG);
        expected = strjoin(path, ": Failed to read: File too large");
        ASSERT_STREQ(error, expected);
}

TEST(ignored_silently) {
        _cleanup_(boot_config_done) BootConfig c = {};

        /* X- sections and keys are other programs' */
        parse_ok("[X-Custom]\nAnything=1\nWhat=ever\n[Exec]\nX-Mine=1\nHostname=h\n", &c);
        ASSERT_EQ(c.set_by, SETTING_HOSTNAME);
        boot_config_done(&c);

        /* keys of an unknown section: one warning, for the section */
        parse_warns("[Foo]\nBar=1\nBaz=2\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":1: Section [Foo] not supported, ignoring");
}

TEST(outside_section) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        /* before the first header: warned about and skipped, as systemd does */
        parse_warns("Hostname=x\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":1: Assignment 'Hostname=x' outside of a section, ignoring");
        parse_warns("# comment\n\n  Hostname = x\n", false, BOOT_MODE_BOOT,
                    FILE_NAME ":3: Assignment 'Hostname = x' outside of a section, ignoring");
        /* what comes after a header still applies */
        parse_ok_full("Hostname=x\nBind=/etc\n[Exec]\nHostname=y\n", true, BOOT_MODE_RUN, &c, &warnings);
        ASSERT_EQ(strv_length(warnings), 2);
        ASSERT_STREQ(warnings[1], FILE_NAME ":2: Assignment 'Bind=/etc' outside of a section, ignoring");
        ASSERT_STREQ(c.hostname, "y");
        ASSERT_EQ(c.n_mounts, 0);
        ASSERT_EQ(c.set_by, SETTING_HOSTNAME);
        /* a value is not looked at, but a line without '=' is still malformed */
        parse_warns("Hostname=-bad-\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":1: Assignment 'Hostname=-bad-' outside of a section, ignoring");
        parse_bad("garbage\n[Exec]\n", FILE_NAME ":1: Missing '=' in 'garbage'");
}

TEST(syntax_errors) {
        parse_bad("garbage\n", FILE_NAME ":1: Missing '=' in 'garbage'");
        parse_bad("[Exec]\nHostname\n", FILE_NAME ":2: Missing '=' in 'Hostname'");
        parse_bad("[Exec]\n\n# c\n\nHostname=h\nfoo bar\n", FILE_NAME ":6: Missing '=' in 'foo bar'");
        parse_bad("[Exec\n", FILE_NAME ":1: Invalid section header '[Exec'");
        parse_bad("[Exec] x\n", FILE_NAME ":1: Invalid section header '[Exec] x'");
        parse_bad("[\n", FILE_NAME ":1: Invalid section header '['");
        parse_bad("[Exec]\n=x\n", FILE_NAME ":2: Missing key name before '='");
        parse_bad("[Exec]\n  =  x\n", FILE_NAME ":2: Missing key name before '='");
        /* also in sections that are ignored */
        parse_bad("[Foo]\nbar\n", FILE_NAME ":2: Missing '=' in 'bar'");
        /* the first error is the one reported */
        parse_bad("[Exec]\nHostname=-x\nUser=\n",
                  FILE_NAME ":2: Invalid value '-x' for Hostname=: expected a valid hostname");
}

TEST(invalid_values) {
        static const struct {
                const char *section, *assignment;
        } bad[] = {
                { "Exec", "Boot=maybe" },
                { "Exec", "Ephemeral=2" },
                { "Exec", "ProcessTwo=" },
                { "Exec", "NotifyReady=x" },
                { "Exec", "Environment=1A=x" },
                { "Exec", "Environment=A" },
                { "Exec", "Environment=A=1 B" },
                { "Exec", "Environment=\"A=1" },
                { "Exec", "User=" },
                { "Exec", "User=a:b" },
                { "Exec", "User=a b" },
                { "Exec", "User=-x" },
                { "Exec", "User=a/b" },
                { "Exec", "WorkingDirectory=relative" },
                { "Exec", "WorkingDirectory=" },
                { "Exec", "Hostname=" },
                { "Exec", "Hostname=a..b" },
                { "Exec", "MachineID=xyz" },
                { "Exec", "MachineID=00000000000000000000000000000000" },
                { "Exec", "PrivateUsers=bogus" },
                { "Exec", "PrivateUsers=1:0" },
                { "Files", "PrivateUsersOwnership=yes" },
                { "Files", "PrivateUsersChown=auto" },
                { "Files", "Bind=relative" },
                { "Files", "Bind=/a:/b:bogus" },
                { "Files", "Bind=/a:/../b" },
                { "Files", "Bind=" },
                { "Files", "BindReadOnly=" },
                { "Files", "TemporaryFileSystem=tmp" },
                { "Files", "TemporaryFileSystem=/a/../b" },
                { "Network", "Private=maybe" },
                { "Network", "VirtualEthernet=maybe" },
                { "Network", "VirtualEthernet=" },
                { "Network", "Bridge=" },
                { "Network", "Bridge=a/b" },
                { "Network", "Bridge=abcdefghijklmnop" },
                { "Network", "Zone=" },
                { "Network", "Zone=abcdefghijklm" },
                { "Network", "Zone=a:b" },
                { "Network", "Interface=a/b" },
                { "Network", "Interface=eth0 a:b" },
                { "Network", "Interface=abcdefghijklmnop" },
                { "Network", "MACVLAN=.." },
                { "Network", "IPVLAN=eth0 a/b" },
                { "Network", "Port=0" },
                { "Network", "Port=65536" },
                { "Network", "Port=sctp:80" },
                { "Network", "Port=1:2:3" },
                { "Exec", "ResolvConf=maybe" },
                { "Exec", "ResolvConf=" },
                { "Exec", "ResolvConf=Auto" },
                { "Exec", "Timezone=utc" },
                { "Exec", "Timezone=" },
                { "Resources", "MemoryMax=lots" },
                { "Resources", "MemoryMax=" },
                { "Resources", "MemoryMax=1.5G" },
                { "Resources", "MemoryHigh=-1" },
                { "Resources", "MemoryHigh=101%" },
                { "Resources", "CPUWeight=0" },
                { "Resources", "CPUWeight=10001" },
                { "Resources", "IOWeight=x" },
                { "Resources", "CPUQuota=0%" },
                { "Resources", "CPUQuota=50" },
                { "Resources", "TasksMax=0" },
                { "Resources", "TasksMax=-1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *text = NULL, *prefix = NULL, *key = NULL, *error = NULL;
                _cleanup_strv_free_ char **warnings = NULL;
                BootConfig c;
                const char *eq = strchr(bad[i].assignment, '=');
                int r;

                text = strdup_printf("[%s]\n%s\n", bad[i].section, bad[i].assignment);
                key = strndup(bad[i].assignment, (size_t) (eq - bad[i].assignment));
                prefix = strdup_printf(FILE_NAME ":2: Invalid value '%s' for %s=: expected ", eq + 1, key);
                ASSERT_TRUE(text && key && prefix);

                /* refused, trusted or not */
                for (int trusted = 0; trusted <= 1; trusted++) {
                        r = settings_parse_text(text, FILE_NAME, trusted, BOOT_MODE_RUN, &c, &warnings, &error);
                        if (r != -EBADMSG)
                                tests_fail(__FILE__, __LINE__, "\"%s\" accepted (trusted=%d)", bad[i].assignment,
                                           trusted);
                        if (!startswith(error, prefix))
                                tests_fail(__FILE__, __LINE__, "\"%s\": error \"%s\"", bad[i].assignment, error);
                        free(error);
                        error = NULL;
                }
        }
}

TEST(file_errors) {
        _cleanup_free_ char *path = tests_path("m.berth"), *missing = tests_path("missing.berth"), *error = NULL,
                            *expected = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        static const char text[] = "[Exec]\nHostname=a\0b\n";
        BootConfig c;
        FILE *f;

        f = fopen(path, "we");
        ASSERT_NOT_NULL(f);
        ASSERT_EQ(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
        ASSERT_EQ(fclose(f), 0);

        ASSERT_ERROR(settings_parse(path, true, BOOT_MODE_BOOT, &c, &warnings, &error), EBADMSG);
        expected = strjoin(path, ":2: Unexpected NUL byte");
        ASSERT_STREQ(error, expected);
        free(error);
        free(expected);

        ASSERT_ERROR(settings_parse(missing, true, BOOT_MODE_BOOT, &c, &warnings, &error), ENOENT);
        expected = strjoin(missing, ": Failed to read: No such file or directory");
        ASSERT_STREQ(error, expected);
}

/* --- Warnings --------------------------------------------------------------- */

TEST(warnings) {
        static const char *const unsupported[] = {
                "Exec/LimitNOFILE=1024",
                "Exec/KillSignal=SIGTERM",
                "Files/Inaccessible=/x",
                "Files/BindUser=alice",
                "Network/VirtualEthernetExtra=ve-x:host1",
        };

        for (size_t i = 0; i < ELEMENTSOF(unsupported); i++) {
                _cleanup_free_ char *section = strndup(unsupported[i], strcspn(unsupported[i], "/")), *text = NULL,
                                    *message = NULL, *key = NULL;
                const char *a = unsupported[i] + strlen(section) + 1;

                key = strndup(a, strcspn(a, "="));
                text = strdup_printf("[%s]\n%s\n", section, a);
                message = strdup_printf(FILE_NAME ":2: [%s] %s= not supported by berth yet, ignoring", section, key);
                ASSERT_TRUE(key && text && message);
                /* trusted or not: nothing to apply either way */
                parse_warns(text, true, BOOT_MODE_BOOT, message);
                parse_warns(text, false, BOOT_MODE_BOOT, message);
        }

        parse_warns("[Exec]\nFoo=1\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":2: Unknown key Foo= in [Exec], not supported, ignoring");
        /* names are case-sensitive, as in systemd */
        parse_warns("[Exec]\nhostname=x\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":2: Unknown key hostname= in [Exec], not supported, ignoring");
        parse_warns("[exec]\nHostname=x\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":1: Section [exec] not supported, ignoring");
        /* keys of one section are not keys of another */
        parse_warns("[Files]\nHostname=x\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":2: Unknown key Hostname= in [Files], not supported, ignoring");
        parse_warns("[Resources]\nMemoryLow=1G\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":2: Unknown key MemoryLow= in [Resources], not supported, ignoring");
        /* the file's bytes don't reach the terminal as control characters */
        parse_warns("[Exec]\nFoo\x1b[31m\x07=1\n", true, BOOT_MODE_RUN,
                    FILE_NAME ":2: Unknown key Foo?[31m?= in [Exec], not supported, ignoring");
}

TEST(root_keys) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;
        static const char text[] = "[Files]\nReadOnly=yes\nVolatile=state\nOverlay=/a:/b:/srv\n"
                                   "OverlayReadOnly=/a:+/etc:/etc\n";

        /* ReadOnly= and Volatile= give the machine nothing: from any file */
        parse_ok_full(text, false, BOOT_MODE_BOOT, &c, &warnings);
        ASSERT_TRUE(c.read_only);
        ASSERT_EQ(c.volatile_mode, VOLATILE_STATE);
        ASSERT_EQ(c.set_by, SETTING_READ_ONLY | SETTING_VOLATILE);
        /* the overlays are mounts: from a trusted file only */
        ASSERT_EQ(c.n_mounts, 0);
        ASSERT_EQ(strv_length(warnings), 2);
        boot_config_done(&c);
        warnings = strv_free(warnings);

        parse_ok_full(text, true, BOOT_MODE_BOOT, &c, &warnings);
        ASSERT_NULL(warnings);
        ASSERT_EQ(c.n_mounts, 2);
        ASSERT_EQ(c.mounts[0].type, CUSTOM_MOUNT_OVERLAY);
        ASSERT_STREQ(c.mounts[0].source, "/b");
        ASSERT_EQ(c.mounts[1].type, CUSTOM_MOUNT_OVERLAY_RO);
        ASSERT_STREQ(c.mounts[1].lower[1], "+/etc");
        boot_config_done(&c);

        /* "yes" is a boolean word, as in systemd-nspawn */
        parse_ok("[Files]\nVolatile=true\n", &c);
        ASSERT_EQ(c.volatile_mode, VOLATILE_YES);
        boot_config_done(&c);
        parse_bad("[Files]\nVolatile=sometimes\n",
                  FILE_NAME ":2: Invalid value 'sometimes' for Volatile=: expected no, yes, state or overlay");
        parse_bad("[Files]\nOverlay=/a\n",
                  FILE_NAME ":2: Invalid value '/a' for Overlay=: expected [+]LOWER…:[+]UPPER:DST with absolute paths");
}

TEST(merge_root_keys) {
        _cleanup_(boot_config_done) BootConfig s = {}, c = {};

        parse_ok("[Files]\nVolatile=overlay\nOverlay=/a:/b:/srv\n", &s);
        boot_config_init(&c, BOOT_MODE_BOOT);
        ASSERT_OK(settings_merge(&c, &s, SETTINGS_YES));
        ASSERT_EQ(c.volatile_mode, VOLATILE_OVERLAY);
        ASSERT_EQ(c.n_mounts, 1);
        /* the layers are copied, not shared */
        ASSERT_STREQ(c.mounts[0].lower[0], "/a");
        ASSERT_TRUE(c.mounts[0].lower != s.mounts[0].lower);
}

TEST(warnings_in_order) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok_full("[Exec]\nA=1\nHostname=h\n[B]\nx=y\n[Files]\nInaccessible=/x\n", true, BOOT_MODE_RUN, &c,
                      &warnings);
        ASSERT_EQ(strv_length(warnings), 3);
        ASSERT_STREQ(warnings[0], FILE_NAME ":2: Unknown key A= in [Exec], not supported, ignoring");
        ASSERT_STREQ(warnings[1], FILE_NAME ":4: Section [B] not supported, ignoring");
        ASSERT_STREQ(warnings[2], FILE_NAME ":7: [Files] Inaccessible= not supported by berth yet, ignoring");
        /* what is known still applies */
        ASSERT_STREQ(c.hostname, "h");
}

/* --- Trust ------------------------------------------------------------------ */

static const char all_keys[] = "[Exec]\n"
                               "Boot=no\n"
                               "Ephemeral=yes\n" /* 3 */
                               "ProcessTwo=yes\n"
                               "Parameters=/bin/true\n"
                               "Environment=A=1\n"
                               "User=alice\n"
                               "WorkingDirectory=/srv\n"
                               "Hostname=h\n"
                               "MachineID=0123456789abcdef0123456789abcdef\n" /* 10 */
                               "PrivateUsers=identity\n"                      /* 11 */
                               "NotifyReady=yes\n"
                               "[Files]\n"
                               "Bind=/srv/a\n"               /* 14 */
                               "BindReadOnly=/srv/b\n"       /* 15 */
                               "TemporaryFileSystem=/t\n"    /* 16 */
                               "PrivateUsersOwnership=off\n" /* 17 */
                               "PrivateUsersChown=yes\n"     /* 18 */
                               "[Network]\n"
                               "Private=yes\n" /* 20 */
                               "[Resources]\n"
                               "MemoryMax=1G\n" /* 22 */
                               "MemoryHigh=1G\n"
                               "CPUWeight=10\n"
                               "CPUQuota=10%\n"
                               "TasksMax=10\n"
                               "IOWeight=10\n" /* 27 */
                               "[Exec]\n"
                               "LinkJournal=guest\n"; /* 29 */

/* The warnings are exactly "FILE:LINE: ignoring KEY= in an untrusted …",
 * one for each of ignored ("LINE: ignoring KEY="). */
static void assert_ignored(char **warnings, const char *const *ignored, size_t n) {
        ASSERT_EQ(strv_length(warnings), n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *expected = strdup_printf(
                        FILE_NAME ":%s in an untrusted settings file (see --settings=trusted)", ignored[i]);
                ASSERT_STREQ(warnings[i], expected);
        }
}

TEST(untrusted) {
        /* as systemd-nspawn ignores them from a file it doesn't trust */
        static const char *const ignored[] = {
                "3: ignoring Ephemeral=",
                "10: ignoring MachineID=",
                "11: ignoring PrivateUsers=",
                "14: ignoring Bind=",
                "15: ignoring BindReadOnly=",
                "16: ignoring TemporaryFileSystem=",
                "17: ignoring PrivateUsersOwnership=",
                "18: ignoring PrivateUsersChown=",
                "20: ignoring Private=",
                "22: ignoring MemoryMax=",
                "23: ignoring MemoryHigh=",
                "24: ignoring CPUWeight=",
                "25: ignoring CPUQuota=",
                "26: ignoring TasksMax=",
                "27: ignoring IOWeight=",
                "29: ignoring LinkJournal=",
        };
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok_full(all_keys, false, BOOT_MODE_RUN, &c, &warnings);
        assert_ignored(warnings, ignored, ELEMENTSOF(ignored));

        /* what can't reach the host applies */
        ASSERT_EQ(c.set_by, SETTING_AS_PID2 | SETTING_PARAMETERS | SETTING_ENVIRONMENT | SETTING_USER |
                                    SETTING_WORKING_DIRECTORY | SETTING_HOSTNAME | SETTING_NOTIFY_READY);
        ASSERT_EQ(c.n_mounts, 0);
        /* and the rest is left at the defaults */
        ASSERT_FALSE(c.ephemeral);
        ASSERT_TRUE(id128_is_null(c.uuid));
        ASSERT_EQ(c.private_users, PRIVATE_USERS_PICK);
        ASSERT_EQ(c.ownership, OWNERSHIP_AUTO);
        ASSERT_FALSE(c.private_network);
        ASSERT_EQ(c.resources.set, 0);
        boot_config_done(&c);
        strv_free(warnings);

        /* trusted: all of it, no warning */
        parse_ok_full(all_keys, true, BOOT_MODE_RUN, &c, &warnings);
        ASSERT_NULL(warnings);
        ASSERT_EQ(c.n_mounts, 3);
        ASSERT_TRUE(c.private_network);
        ASSERT_EQ(c.private_users, PRIVATE_USERS_IDENTITY);
        ASSERT_EQ(c.resources.set, (1U << (RESOURCE_IO_WEIGHT + 1)) - 1); /* the six keys of all_keys */
}

TEST(untrusted_bad_value_still_fails) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *error = NULL;

        ASSERT_ERROR(
                settings_parse_text("[Files]\nBind=relative\n", FILE_NAME, false, BOOT_MODE_RUN, &c, &warnings, &error),
                EBADMSG);
        ASSERT_STREQ(error, FILE_NAME ":2: Invalid value 'relative' for Bind=: expected SRC[:DST[:OPTS]] with "
                                      "absolute paths");
}

TEST(boot_mode) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok_full("[Exec]\nProcessTwo=yes\nUser=alice\nParameters=--debug\n", true, BOOT_MODE_BOOT, &c, &warnings);
        ASSERT_EQ(c.mode, BOOT_MODE_BOOT);
        ASSERT_EQ(strv_length(warnings), 2);
        ASSERT_STREQ(warnings[0], FILE_NAME ":2: ProcessTwo= applies to 'berth run' only, ignoring");
        ASSERT_STREQ(warnings[1], FILE_NAME ":3: User= applies to 'berth run' only, ignoring");
        ASSERT_FALSE(c.as_pid2);
        ASSERT_NULL(c.user);
        /* init's arguments */
        ASSERT_STREQ(c.parameters[0], "--debug");
        ASSERT_EQ(c.set_by, SETTING_PARAMETERS);
}

TEST(boot_key) {
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        /* agreeing with the verb: nothing to say, Parameters= apply */
        parse_ok_full("[Exec]\nBoot=yes\nParameters=--debug\n", false, BOOT_MODE_BOOT, &c, &warnings);
        ASSERT_NULL(warnings);
        ASSERT_STREQ(c.parameters[0], "--debug");
        boot_config_done(&c);
        parse_ok_full("[Exec]\nParameters=/bin/true\nBoot=off\n", false, BOOT_MODE_RUN, &c, &warnings);
        ASSERT_NULL(warnings);
        ASSERT_STREQ(c.parameters[0], "/bin/true");
        boot_config_done(&c);

        /* disagreeing: ignored, with the file's Parameters= (written for the
         * other verb), wherever they are in the file; the last Boot= counts */
        parse_ok_full("[Exec]\nParameters=--debug\nBoot=no\nBoot=yes\nHostname=h\n", true, BOOT_MODE_RUN, &c,
                      &warnings);
        ASSERT_EQ(strv_length(warnings), 1);
        ASSERT_STREQ(warnings[0], FILE_NAME ":4: Boot=yes ignored: 'berth run' runs a command, not init (init "
                                            "boots with 'berth boot'); so is Parameters=");
        ASSERT_NULL(c.parameters);
        ASSERT_EQ(c.set_by, SETTING_HOSTNAME);
        boot_config_done(&c);
        warnings = strv_free(warnings);

        parse_ok_full("[Exec]\nBoot=no\nParameters=/bin/sh -c x\n", true, BOOT_MODE_BOOT, &c, &warnings);
        ASSERT_EQ(strv_length(warnings), 1);
        ASSERT_STREQ(warnings[0], FILE_NAME ":2: Boot=no ignored: 'berth boot' always boots the machine's init (a "
                                            "command runs with 'berth run'); so is Parameters=");
        ASSERT_NULL(c.parameters);
        ASSERT_EQ(c.set_by, 0);
        boot_config_done(&c);

        parse_warns("[Exec]\nBoot=no\n", true, BOOT_MODE_BOOT,
                    FILE_NAME ":2: Boot=no ignored: 'berth boot' always boots the machine's init (a command runs "
                              "with 'berth run')");
        /* Boot= after an error is never looked at */
        parse_bad("[Exec]\nBoot=yes\nbroken\n", FILE_NAME ":3: Missing '=' in 'broken'");
}

/* --- Lookup ----------------------------------------------------------------- */

typedef struct Dirs {
        char *etc, *run, *netc, *nrun, *images, *image;
        SettingsPaths paths;
} Dirs;

static void dirs_make(Dirs *d) {
        *d = (Dirs) {
                .etc = tests_path("etc"),
                .run = tests_path("run"),
                .netc = tests_path("nspawn-etc"),
                .nrun = tests_path("nspawn-run"),
                .images = tests_path("images"),
                .image = tests_path("images/m"),
        };
        ASSERT_OK(RET_NERRNO(mkdir(d->etc, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(d->run, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(d->netc, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(d->nrun, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(d->images, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(d->image, 0755)));
        d->paths = (SettingsPaths) {
                .config_dir = d->etc,
                .runtime_dir = d->run,
                .nspawn_config_dir = d->netc,
                .nspawn_runtime_dir = d->nrun,
        };
}

static void dirs_done(Dirs *d) {
        free(d->etc);
        free(d->run);
        free(d->netc);
        free(d->nrun);
        free(d->images);
        free(d->image);
}

static char *write_settings(const char *dir, const char *file, const char *text) {
        char *p = strdup_printf("%s/%s", dir, file);

        ASSERT_NOT_NULL(p);
        ASSERT_OK(write_string_file(p, text, WRITE_FILE_CREATE));
        return p;
}

static void check_find(const Dirs *d, const char *image, const char *expected, bool expected_trusted) {
        _cleanup_free_ char *path = NULL;
        bool trusted = !expected_trusted;
        int r;

        r = settings_find(&d->paths, "m", image, &path, &trusted);
        ASSERT_OK(r);
        ASSERT_EQ(r, !!expected);
        ASSERT_STREQ_PTR(path, expected);
        ASSERT_EQ(trusted, expected_trusted);
}

TEST(find_order) {
        _cleanup_(dirs_done) Dirs d = {};
        /* from the last found to the first */
        _cleanup_free_ char *beside_nspawn = NULL, *nrun = NULL, *netc = NULL, *beside = NULL, *run = NULL, *etc = NULL,
                            *other = NULL;

        dirs_make(&d);
        check_find(&d, d.image, NULL, false);

        /* another machine's file is not ours */
        other = write_settings(d.etc, "n.berth", "");
        check_find(&d, d.image, NULL, false);

        beside_nspawn = write_settings(d.images, "m.nspawn", "");
        check_find(&d, d.image, beside_nspawn, false);
        nrun = write_settings(d.nrun, "m.nspawn", "");
        check_find(&d, d.image, nrun, true);
        netc = write_settings(d.netc, "m.nspawn", "");
        check_find(&d, d.image, netc, true);
        /* any .berth file comes before any .nspawn one */
        beside = write_settings(d.images, "m.berth", "");
        check_find(&d, d.image, beside, false);
        run = write_settings(d.run, "m.berth", "");
        check_find(&d, d.image, run, true);
        etc = write_settings(d.etc, "m.berth", "");
        check_find(&d, d.image, etc, true);
}

TEST(find_beside_image) {
        _cleanup_(dirs_done) Dirs d = {};
        _cleanup_free_ char *beside = NULL, *raw = NULL, *rel = NULL;

        dirs_make(&d);
        beside = write_settings(d.images, "m.berth", "");

        /* a disk image file, a path with slashes to simplify */
        raw = strjoin(d.images, "/m.raw");
        rel = strjoin(d.images, "//m/");
        check_find(&d, raw, beside, false);
        check_find(&d, rel, beside, false);
        /* no image, or none with a directory: only the trusted places */
        check_find(&d, NULL, NULL, false);
        check_find(&d, "/", NULL, false);
        check_find(&d, ".", NULL, false);
}

TEST(find_unset_dirs_and_bad_names) {
        _cleanup_(dirs_done) Dirs d = {};
        _cleanup_free_ char *etc = NULL, *path = NULL;
        bool trusted;

        dirs_make(&d);
        etc = write_settings(d.etc, "m.berth", "");
        d.paths.config_dir = NULL;
        check_find(&d, d.image, NULL, false);

        ASSERT_ERROR(settings_find(&d.paths, "../m", d.image, &path, &trusted), EINVAL);
        ASSERT_ERROR(settings_find(&d.paths, "a/b", d.image, &path, &trusted), EINVAL);
        ASSERT_ERROR(settings_find(&d.paths, "", d.image, &path, &trusted), EINVAL);
}

/* --- Merging ---------------------------------------------------------------- */

/* What the command line says: some settings, not others. */
static void command_line(BootConfig *c) {
        boot_config_init(c, BOOT_MODE_RUN);
        c->hostname = strdup("cli");
        c->set_by |= SETTING_HOSTNAME;
        ASSERT_OK(boot_config_add_environment(c, "A=cli"));
        ASSERT_OK(boot_config_add_environment(c, "B=cli"));
        ASSERT_OK(boot_config_add_bind(c, "/cli:/x", false));
        ASSERT_OK(boot_config_add_property(c, "MemoryMax=1G"));
        c->parameters = strv_copy((char *[]) { (char *) "/bin/cli", NULL });
        c->set_by |= SETTING_PARAMETERS;
        ASSERT_OK(boot_config_set_private_users(c, "pick"));
        c->set_by |= SETTING_PRIVATE_USERS;
        ASSERT_TRUE(c->hostname && c->parameters);
}

static const char merge_file[] = "[Exec]\n"
                                 "Hostname=file\n"
                                 "Ephemeral=yes\n"
                                 "Environment=A=file C=file\n"
                                 "User=fileuser\n"
                                 "Parameters=/bin/file\n"
                                 "PrivateUsers=1000:10\n"
                                 "[Files]\n"
                                 "Bind=/file:/x\n"
                                 "TemporaryFileSystem=/t\n"
                                 "[Resources]\n"
                                 "MemoryMax=2G\n"
                                 "CPUWeight=50\n";

static void merged(SettingsMode mode, BootConfig *c) {
        _cleanup_(boot_config_done) BootConfig s = {};

        command_line(c);
        parse_ok(merge_file, &s);
        ASSERT_OK(settings_merge(c, &s, mode));
        /* s is freed here: c must own copies */
}

TEST(merge_yes) {
        for (SettingsMode mode = SETTINGS_YES; mode <= SETTINGS_TRUSTED; mode++) {
                _cleanup_(boot_config_done) BootConfig c = {};

                merged(mode, &c);
                /* the command line wins what it set */
                ASSERT_STREQ(c.hostname, "cli");
                ASSERT_STREQ(c.parameters[0], "/bin/cli");
                ASSERT_EQ(strv_length(c.parameters), 1);
                ASSERT_EQ(c.private_users, PRIVATE_USERS_PICK);
                /* the file fills in the rest */
                ASSERT_TRUE(c.ephemeral);
                ASSERT_STREQ(c.user, "fileuser");
                /* per variable and per limit */
                ASSERT_EQ(strv_length(c.environment), 3);
                ASSERT_STREQ(strv_env_get(c.environment, "A"), "cli");
                ASSERT_STREQ(strv_env_get(c.environment, "B"), "cli");
                ASSERT_STREQ(strv_env_get(c.environment, "C"), "file");
                ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_MAX], 1ULL << 30);
                ASSERT_EQ(c.resources.value[RESOURCE_CPU_WEIGHT], 50);
                ASSERT_EQ(c.resources.set, (1U << RESOURCE_MEMORY_MAX) | (1U << RESOURCE_CPU_WEIGHT));
                /* the command line gave a mount: its list replaces the
                 * file's, Bind= and TemporaryFileSystem= alike */
                ASSERT_EQ(c.n_mounts, 1);
                ASSERT_STREQ(c.mounts[0].source, "/cli");
                ASSERT_TRUE(c.set_by & SETTING_EPHEMERAL);
                ASSERT_TRUE(c.set_by & SETTING_USER);
        }
}

TEST(merge_override) {
        _cleanup_(boot_config_done) BootConfig c = {};

        merged(SETTINGS_OVERRIDE, &c);
        ASSERT_STREQ(c.hostname, "file");
        ASSERT_STREQ(c.parameters[0], "/bin/file");
        ASSERT_EQ(c.private_users, PRIVATE_USERS_FIXED);
        ASSERT_EQ(c.uid_base, 1000);
        ASSERT_EQ(c.uid_count, 10);
        ASSERT_TRUE(c.ephemeral);
        ASSERT_STREQ(c.user, "fileuser");
        ASSERT_EQ(strv_length(c.environment), 3);
        ASSERT_STREQ(strv_env_get(c.environment, "A"), "file");
        ASSERT_STREQ(strv_env_get(c.environment, "B"), "cli");
        ASSERT_STREQ(strv_env_get(c.environment, "C"), "file");
        ASSERT_EQ(c.resources.value[RESOURCE_MEMORY_MAX], 2ULL << 30);
        ASSERT_EQ(c.resources.value[RESOURCE_CPU_WEIGHT], 50);
        /* the file's list replaces the command line's */
        ASSERT_EQ(c.n_mounts, 2);
        ASSERT_STREQ(c.mounts[0].source, "/file");
        ASSERT_EQ(c.mounts[1].type, CUSTOM_MOUNT_TMPFS);
        ASSERT_STREQ(c.mounts[1].destination, "/t");
}

TEST(merge_mounts) {
        _cleanup_(boot_config_done) BootConfig s = {};

        parse_ok("[Files]\nBind=/file:/x\nTemporaryFileSystem=/t\n", &s);
        for (SettingsMode mode = SETTINGS_YES; mode < _SETTINGS_MODE_MAX; mode++) {
                _cleanup_(boot_config_done) BootConfig c = {};

                /* only --tmpfs on the command line: it still keeps the
                 * file's Bind= out, unless the file overrides */
                boot_config_init(&c, BOOT_MODE_RUN);
                ASSERT_OK(boot_config_add_tmpfs(&c, "/cli"));
                ASSERT_OK(settings_merge(&c, &s, mode));
                if (mode == SETTINGS_OVERRIDE) {
                        ASSERT_EQ(c.n_mounts, 2);
                        ASSERT_STREQ(c.mounts[0].destination, "/x");
                        ASSERT_STREQ(c.mounts[1].destination, "/t");
                } else {
                        ASSERT_EQ(c.n_mounts, 1);
                        ASSERT_STREQ(c.mounts[0].destination, "/cli");
                }
                boot_config_done(&c);

                /* no mount on the command line: the file's, copied */
                boot_config_init(&c, BOOT_MODE_RUN);
                ASSERT_OK(settings_merge(&c, &s, mode));
                ASSERT_EQ(c.n_mounts, 2);
                ASSERT_STREQ(c.mounts[0].source, "/file");
                ASSERT_TRUE(c.mounts[0].source != s.mounts[0].source);
                ASSERT_TRUE(c.set_by & SETTING_CUSTOM_MOUNTS);
        }
}

TEST(merge_no) {
        _cleanup_(boot_config_done) BootConfig c = {};
        uint64_t set_by;

        merged(SETTINGS_NO, &c);
        set_by = c.set_by;
        ASSERT_STREQ(c.hostname, "cli");
        ASSERT_FALSE(c.ephemeral);
        ASSERT_NULL(c.user);
        ASSERT_EQ(strv_length(c.environment), 2);
        ASSERT_EQ(c.n_mounts, 1);
        ASSERT_EQ(c.resources.set, 1U << RESOURCE_MEMORY_MAX);
        ASSERT_EQ(set_by, SETTING_HOSTNAME | SETTING_ENVIRONMENT | SETTING_CUSTOM_MOUNTS | SETTING_PROPERTIES |
                                  SETTING_PARAMETERS | SETTING_PRIVATE_USERS);
}

TEST(merge_into_empty) {
        _cleanup_(boot_config_done) BootConfig c = {}, s = {};

        /* nothing on the command line: the file's settings, all of them */
        boot_config_init(&c, BOOT_MODE_RUN);
        parse_ok(all_keys, &s);
        ASSERT_OK(settings_merge(&c, &s, SETTINGS_YES));
        ASSERT_EQ(c.set_by, s.set_by);
        ASSERT_STREQ(c.hostname, "h");
        ASSERT_TRUE(id128_equal(c.uuid, s.uuid));
        ASSERT_EQ(c.private_users, PRIVATE_USERS_IDENTITY);
        ASSERT_EQ(c.ownership, OWNERSHIP_CHOWN);
        ASSERT_TRUE(c.private_network);
        ASSERT_TRUE(c.notify_ready);
        ASSERT_TRUE(c.as_pid2);
        ASSERT_STREQ(c.working_directory, "/srv");
        ASSERT_EQ(c.n_mounts, 3);
        ASSERT_EQ(c.resources.set, s.resources.set);

        /* and an empty file changes nothing */
        boot_config_done(&s);
        parse_ok("", &s);
        ASSERT_OK(settings_merge(&c, &s, SETTINGS_OVERRIDE));
        ASSERT_STREQ(c.hostname, "h");
        ASSERT_EQ(c.n_mounts, 3);
}

/* --- All in one --------------------------------------------------------------- */

static int load(const Dirs *d, BootConfig *c, SettingsMode mode, char **ret_path, char ***ret_warnings,
                char **ret_error) {
        boot_config_init(c, BOOT_MODE_RUN);
        c->settings_mode = mode;
        return settings_load(&d->paths, c, "m", d->image, ret_path, ret_warnings, ret_error);
}

TEST(load) {
        _cleanup_(dirs_done) Dirs d = {};
        _cleanup_free_ char *beside = NULL;

        dirs_make(&d);
        beside = write_settings(d.images, "m.berth", "[Exec]\nHostname=beside\n[Files]\nBind=/srv\n");

        for (SettingsMode mode = 0; mode < _SETTINGS_MODE_MAX; mode++) {
                _cleanup_(boot_config_done) BootConfig c = {};
                _cleanup_strv_free_ char **warnings = NULL;
                _cleanup_free_ char *path = NULL, *error = NULL;
                int r;

                r = load(&d, &c, mode, &path, &warnings, &error);
                ASSERT_NULL(error);
                if (mode == SETTINGS_NO) {
                        ASSERT_EQ(r, 0);
                        ASSERT_NULL(path);
                        ASSERT_NULL(warnings);
                        ASSERT_EQ(c.set_by, 0);
                        continue;
                }
                ASSERT_EQ(r, 1);
                ASSERT_STREQ(path, beside);
                ASSERT_STREQ(c.hostname, "beside");
                /* beside the image: Bind= only when told to trust it;
                 * override changes precedence, not trust */
                if (mode == SETTINGS_TRUSTED) {
                        ASSERT_NULL(warnings);
                        ASSERT_EQ(c.n_mounts, 1);
                } else {
                        _cleanup_free_ char *expected = strjoin(
                                beside, ":4: ignoring Bind= in an untrusted settings file (see --settings=trusted)");
                        ASSERT_EQ(strv_length(warnings), 1);
                        ASSERT_STREQ(warnings[0], expected);
                        ASSERT_EQ(c.n_mounts, 0);
                }
        }
}

TEST(load_none_and_bad) {
        _cleanup_(dirs_done) Dirs d = {};
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *path = NULL, *error = NULL, *etc = NULL, *expected = NULL;

        dirs_make(&d);
        ASSERT_EQ(load(&d, &c, SETTINGS_YES, &path, &warnings, &error), 0);
        ASSERT_NULL(path);
        ASSERT_NULL(warnings);
        ASSERT_NULL(error);
        ASSERT_EQ(c.set_by, 0);
        boot_config_done(&c);

        /* the path is optional */
        etc = write_settings(d.etc, "m.berth", "[Exec]\nHostname=etc\n");
        ASSERT_EQ(load(&d, &c, SETTINGS_YES, NULL, &warnings, &error), 1);
        ASSERT_STREQ(c.hostname, "etc");
        boot_config_done(&c);

        free(etc);
        etc = write_settings(d.etc, "m.berth", "[Exec]\nHostname=etc\nbroken\n");
        ASSERT_ERROR(load(&d, &c, SETTINGS_YES, &path, &warnings, &error), EBADMSG);
        expected = strjoin(etc, ":3: Missing '=' in 'broken'");
        ASSERT_STREQ(error, expected);
        ASSERT_NULL(c.hostname);
}

/* --- Modes ------------------------------------------------------------------ */

TEST(settings_mode_strings) {
        static const char *const names[] = { "no", "yes", "trusted", "override" };

        ASSERT_EQ(ELEMENTSOF(names), _SETTINGS_MODE_MAX);
        for (SettingsMode m = 0; m < _SETTINGS_MODE_MAX; m++) {
                ASSERT_STREQ(settings_mode_to_string(m), names[m]);
                ASSERT_EQ(settings_mode_from_string(names[m]), m);
        }
        ASSERT_NULL(settings_mode_to_string(_SETTINGS_MODE_MAX));
        ASSERT_NULL(settings_mode_to_string(_SETTINGS_MODE_INVALID));
        /* booleans, as systemd-nspawn takes them */
        ASSERT_EQ(settings_mode_from_string("1"), SETTINGS_YES);
        ASSERT_EQ(settings_mode_from_string("true"), SETTINGS_YES);
        ASSERT_EQ(settings_mode_from_string("off"), SETTINGS_NO);
        ASSERT_EQ(settings_mode_from_string("0"), SETTINGS_NO);
        ASSERT_ERROR(settings_mode_from_string("Trusted"), EINVAL);
        ASSERT_ERROR(settings_mode_from_string(""), EINVAL);
        ASSERT_ERROR(settings_mode_from_string(NULL), EINVAL);
        ASSERT_ERROR(settings_mode_from_string("maybe"), EINVAL);
}

/* --- Confinement -------------------------------------------------------------- */

static const char confinement_keys[] = "[Exec]\n"
                                       "Capability=CAP_NET_ADMIN cap_sys_time\n"
                                       "DropCapability=CAP_MKNOD\n"
                                       "AmbientCapability=CAP_NET_BIND_SERVICE\n"
                                       "NoNewPrivileges=yes\n"
                                       "SystemCallFilter=~@clock\n"
                                       "SystemCallFilter=add_key\n";

TEST(confinement_trusted) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok(confinement_keys, &c);
        ASSERT_EQ(c.caps_plus, (UINT64_C(1) << 12) | (UINT64_C(1) << 25));
        ASSERT_EQ(c.caps_minus, UINT64_C(1) << 27);
        ASSERT_EQ(c.caps_ambient, UINT64_C(1) << 10);
        ASSERT_TRUE(c.no_new_privileges);
        ASSERT_EQ(strv_length(c.syscall_deny), 1);
        ASSERT_STREQ(c.syscall_deny[0], "@clock");
        ASSERT_STREQ(c.syscall_allow[0], "add_key");
        ASSERT_TRUE(c.set_by & SETTING_CAPABILITY);
        /* Dropped wins over kept, and the default is nspawn's. */
        ASSERT_FALSE(boot_config_bounding_set(&c) & (UINT64_C(1) << 27));
        ASSERT_TRUE(boot_config_bounding_set(&c) & (UINT64_C(1) << 25));
}

TEST(confinement_untrusted) {
        static const char *const ignored[] = {
                "2: ignoring Capability=",
                "4: ignoring AmbientCapability=",
                "6: ignoring SystemCallFilter=",
                "7: ignoring SystemCallFilter=",
        };
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok_full(confinement_keys, false, BOOT_MODE_RUN, &c, &warnings);
        assert_ignored(warnings, ignored, ELEMENTSOF(ignored));
        /* What takes away applies from any file; what gives doesn't. */
        ASSERT_EQ(c.caps_plus, 0);
        ASSERT_EQ(c.caps_minus, UINT64_C(1) << 27);
        ASSERT_EQ(c.caps_ambient, 0);
        ASSERT_TRUE(c.no_new_privileges);
        ASSERT_NULL(c.syscall_allow);
        ASSERT_NULL(c.syscall_deny);
}

TEST(confinement_bad_values) {
        parse_bad("[Exec]\nCapability=CAP_NO_SUCH\n",
                  FILE_NAME ":2: Invalid value 'CAP_NO_SUCH' for Capability=: expected capability names such as "
                            "CAP_NET_ADMIN, or all");
        parse_bad("[Exec]\nAmbientCapability=all\n",
                  FILE_NAME ":2: Invalid value 'all' for AmbientCapability=: expected capability names such as "
                            "CAP_NET_ADMIN, or all (not all)");
        parse_bad("[Exec]\nSystemCallFilter=@nosuch\n",
                  FILE_NAME ":2: Invalid value '@nosuch' for SystemCallFilter=: expected system call names and "
                            "@groups, \"~\" first for a deny list");
        parse_bad("[Exec]\nNoNewPrivileges=maybe\n",
                  FILE_NAME ":2: Invalid value 'maybe' for NoNewPrivileges=: expected yes or no");
}

TEST(refused_mount_destinations) {
        static const char *const refused[] = {
                "Bind=/srv:/",           "Bind=/srv:/proc",      "BindReadOnly=/srv:/proc/sys", "Bind=/srv:/sys/x",
                "Bind=/srv:/dev",        "Bind=/srv:/dev/pts/0", "TemporaryFileSystem=/proc",   "Bind=/srv:/run/host",
                "Bind=/srv:/dev/mqueue",
        };
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                _cleanup_free_ char *text = strjoin("[Files]\n", refused[i], "\n"), *message = NULL;
                const char *eq = strchr(refused[i], '=');

                message = strdup_printf(FILE_NAME ":2: Refusing %.*s=%s: %s", (int) (eq - refused[i]), refused[i],
                                        eq + 1, CUSTOM_MOUNT_REFUSED);
                parse_bad(text, message);
        }
        /* Below /dev, /run and /tmp binds are fine (a device node, say). */
        _cleanup_(boot_config_done) BootConfig c = {};
        parse_ok("[Files]\nBind=/dev/fuse\nBind=/srv:/run/x\nTemporaryFileSystem=/tmp/y\n", &c);
        ASSERT_EQ(c.n_mounts, 3);
}

/* --- [Network], ResolvConf=, Timezone= -------------------------------------------- */

static const char network_file[] = "[Exec]\n"
                                   "ResolvConf=copy-uplink\n" /* 2 */
                                   "Timezone=symlink\n"       /* 3 */
                                   "[Network]\n"
                                   "VirtualEthernet=yes\n" /* 5 */
                                   "Bridge=br0\n"          /* 6 */
                                   "Zone=blue\n"           /* 7 */
                                   "Interface=eth1 eth2\n" /* 8 */
                                   "Interface=eth3 eth1\n" /* 9 */
                                   "MACVLAN=eth0\n"        /* 10 */
                                   "IPVLAN=eth4 eth5\n"    /* 11 */
                                   "Port=8080:80\n"        /* 12 */
                                   "Port=udp:53\n";        /* 13 */

TEST(network_keys) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok(network_file, &c);
        ASSERT_EQ(c.resolv_conf, RESOLV_CONF_COPY_UPLINK);
        ASSERT_EQ(c.timezone, TIMEZONE_SYMLINK);
        ASSERT_TRUE(c.network.veth);
        ASSERT_STREQ(c.network.bridge, "br0");
        ASSERT_STREQ(c.network.zone, "blue");
        ASSERT_EQ(strv_length(c.network.interfaces), 3);
        ASSERT_STREQ(c.network.interfaces[0], "eth1");
        ASSERT_STREQ(c.network.interfaces[1], "eth2");
        ASSERT_STREQ(c.network.interfaces[2], "eth3");
        ASSERT_EQ(strv_length(c.network.macvlan), 1);
        ASSERT_STREQ(c.network.macvlan[0], "eth0");
        ASSERT_EQ(strv_length(c.network.ipvlan), 2);
        ASSERT_STREQ(c.network.ipvlan[1], "eth5");
        ASSERT_EQ(c.network.n_ports, 2);
        ASSERT_EQ(c.network.ports[0].host_port, 8080);
        ASSERT_EQ(c.network.ports[0].machine_port, 80);
        ASSERT_EQ(c.network.ports[1].protocol, IPPROTO_UDP);
        ASSERT_EQ(c.network.ports[1].host_port, 53);
        ASSERT_TRUE(boot_config_private_network(&c));
        ASSERT_EQ(c.set_by, SETTING_NETWORK | SETTING_PORTS | SETTING_RESOLV_CONF | SETTING_TIMEZONE);
}

TEST(network_keys_one_by_one) {
        static const struct {
                const char *text;
                bool private_network;
                uint64_t set_by;
        } cases[] = {
                { "[Network]\nVirtualEthernet=yes\n", true, SETTING_NETWORK },
                { "[Network]\nVirtualEthernet=no\n", false, SETTING_NETWORK },
                { "[Network]\nBridge=br0\n", true, SETTING_NETWORK },
                { "[Network]\nZone=blue\n", true, SETTING_NETWORK },
                { "[Network]\nInterface=eth1\n", true, SETTING_NETWORK },
                { "[Network]\nMACVLAN=eth0\n", true, SETTING_NETWORK },
                { "[Network]\nIPVLAN=eth0\n", true, SETTING_NETWORK },
                /* ports alone make no network: checked where the verb checks --port */
                { "[Network]\nPort=80\n", false, SETTING_PORTS },
                { "[Exec]\nResolvConf=off\n", false, SETTING_RESOLV_CONF },
                { "[Exec]\nTimezone=off\n", false, SETTING_TIMEZONE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(boot_config_done) BootConfig c = {};

                parse_ok(cases[i].text, &c);
                if (boot_config_private_network(&c) != cases[i].private_network || c.set_by != cases[i].set_by)
                        tests_fail(__FILE__, __LINE__, "%s: private %d, set_by %#llx", cases[i].text,
                                   boot_config_private_network(&c), (unsigned long long) c.set_by);
                /* the file's idea of the network is the config's */
                ASSERT_EQ(network_config_private(&c.network), boot_config_private_network(&c));
        }
}

TEST(network_keys_defaults) {
        _cleanup_(boot_config_done) BootConfig c = {};

        parse_ok("[Exec]\nHostname=h\n", &c);
        ASSERT_EQ(c.resolv_conf, RESOLV_CONF_AUTO);
        ASSERT_EQ(c.timezone, TIMEZONE_AUTO);
        ASSERT_FALSE(network_config_private(&c.network));
        ASSERT_EQ(c.network.n_ports, 0);
}

TEST(network_lists_emptied) {
        _cleanup_(boot_config_done) BootConfig c = {};

        /* an empty assignment empties the list, as in systemd-nspawn */
        parse_ok("[Network]\nPort=80\nPort=\nPort=udp:81\nInterface=eth1 eth2\nInterface=\nInterface=eth3\n"
                 "MACVLAN=eth0\nMACVLAN=\nIPVLAN=eth4\nIPVLAN=\n",
                 &c);
        ASSERT_EQ(c.network.n_ports, 1);
        ASSERT_EQ(c.network.ports[0].protocol, IPPROTO_UDP);
        ASSERT_EQ(c.network.ports[0].host_port, 81);
        ASSERT_EQ(strv_length(c.network.interfaces), 1);
        ASSERT_STREQ(c.network.interfaces[0], "eth3");
        ASSERT_NULL(c.network.macvlan);
        ASSERT_NULL(c.network.ipvlan);
        ASSERT_TRUE(boot_config_private_network(&c));
        boot_config_done(&c);

        /* and an emptied port list is a setting: it wins over nothing */
        parse_ok("[Network]\nPort=80\nPort=\n", &c);
        ASSERT_EQ(c.network.n_ports, 0);
        ASSERT_EQ(c.set_by, SETTING_PORTS);
}

TEST(network_lists_emptied_leave_no_network) {
        _cleanup_(boot_config_done) BootConfig c = {};

        /* systemd-nspawn works out a private network from what is left in
         * the lists: an emptied one asks for none */
        parse_ok("[Network]\nInterface=eth1\nInterface=\n", &c);
        ASSERT_NULL(c.network.interfaces);
        ASSERT_FALSE(boot_config_private_network(&c));
}

TEST(network_ports_twice) {
        parse_bad("[Network]\nPort=80\nPort=tcp:80:8080\n",
                  FILE_NAME ":3: Invalid value 'tcp:80:8080' for Port=: expected [tcp|udp:]HOSTPORT[:MACHINEPORT]");
}

TEST(network_keys_untrusted) {
        /* all of [Network] is the host's to give, as in systemd-nspawn;
         * ResolvConf= and Timezone= only touch the machine's tree */
        static const char *const ignored[] = {
                "5: ignoring VirtualEthernet=", "6: ignoring Bridge=",    "7: ignoring Zone=",
                "8: ignoring Interface=",       "9: ignoring Interface=", "10: ignoring MACVLAN=",
                "11: ignoring IPVLAN=",         "12: ignoring Port=",     "13: ignoring Port=",
        };
        _cleanup_(boot_config_done) BootConfig c = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok_full(network_file, false, BOOT_MODE_BOOT, &c, &warnings);
        assert_ignored(warnings, ignored, ELEMENTSOF(ignored));
        ASSERT_EQ(c.set_by, SETTING_RESOLV_CONF | SETTING_TIMEZONE);
        ASSERT_EQ(c.resolv_conf, RESOLV_CONF_COPY_UPLINK);
        ASSERT_EQ(c.timezone, TIMEZONE_SYMLINK);
        ASSERT_FALSE(boot_config_private_network(&c));
        ASSERT_FALSE(c.network.veth);
        ASSERT_NULL(c.network.bridge);
        ASSERT_NULL(c.network.zone);
        ASSERT_NULL(c.network.interfaces);
        ASSERT_NULL(c.network.macvlan);
        ASSERT_NULL(c.network.ipvlan);
        ASSERT_EQ(c.network.n_ports, 0);
        ASSERT_NULL(c.network.ports);
}

/* The command line's network: --network-veth, -p 9090, --address-pool=,
 * --resolv-conf=off, as verb-boot.c sets them. */
static void command_line_network(BootConfig *c, bool network, bool ports) {
        boot_config_init(c, BOOT_MODE_BOOT);
        if (network) {
                c->network.veth = true;
                c->set_by |= SETTING_NETWORK;
        }
        if (ports) {
                ASSERT_OK(network_config_add_port(&c->network, "9090"));
                c->set_by |= SETTING_PORTS;
        }
        ASSERT_OK(network_config_set_pool(&c->network, "10.20.0.0/16"));
        c->resolv_conf = RESOLV_CONF_OFF;
        c->set_by |= SETTING_RESOLV_CONF;
}

static const char network_merge_file[] = "[Exec]\n"
                                         "ResolvConf=copy-host\n"
                                         "Timezone=copy\n"
                                         "[Network]\n"
                                         "Zone=blue\n"
                                         "Interface=eth1\n"
                                         "Port=8080:80\n";

static void network_merged(SettingsMode mode, bool network, bool ports, BootConfig *c) {
        _cleanup_(boot_config_done) BootConfig s = {};

        command_line_network(c, network, ports);
        parse_ok(network_merge_file, &s);
        ASSERT_OK(settings_merge(c, &s, mode));
        /* s is freed here: c must own copies */
}

static void assert_pool_kept(const BootConfig *c) {
        char buf[IN_ADDR_PREFIX_STRING_MAX];

        ASSERT_STREQ(in_addr_prefix_to_string(&c->network.pool[0], true, buf), "10.20.0.0/16");
}

TEST(merge_network_command_line_wins) {
        for (SettingsMode mode = SETTINGS_YES; mode <= SETTINGS_TRUSTED; mode++) {
                _cleanup_(boot_config_done) BootConfig c = {};

                network_merged(mode, true, false, &c);
                /* the command line's network, whole: none of the file's links */
                ASSERT_TRUE(c.network.veth);
                ASSERT_NULL(c.network.zone);
                ASSERT_NULL(c.network.interfaces);
                ASSERT_TRUE(boot_config_private_network(&c));
                /* Port= is a setting of its own: the command line gave none */
                ASSERT_EQ(c.network.n_ports, 1);
                ASSERT_EQ(c.network.ports[0].host_port, 8080);
                assert_pool_kept(&c);
                ASSERT_EQ(c.resolv_conf, RESOLV_CONF_OFF);
                ASSERT_EQ(c.timezone, TIMEZONE_COPY);
                ASSERT_TRUE(c.set_by & SETTING_PORTS);
                ASSERT_TRUE(c.set_by & SETTING_TIMEZONE);
        }
}

TEST(merge_network_ports_only_on_command_line) {
        for (SettingsMode mode = SETTINGS_YES; mode <= SETTINGS_TRUSTED; mode++) {
                _cleanup_(boot_config_done) BootConfig c = {};

                network_merged(mode, false, true, &c);
                /* the file's network */
                ASSERT_FALSE(c.network.veth);
                ASSERT_STREQ(c.network.zone, "blue");
                ASSERT_EQ(strv_length(c.network.interfaces), 1);
                ASSERT_STREQ(c.network.interfaces[0], "eth1");
                ASSERT_TRUE(boot_config_private_network(&c));
                ASSERT_TRUE(c.set_by & SETTING_NETWORK);
                /* and the command line's ports, only */
                ASSERT_EQ(c.network.n_ports, 1);
                ASSERT_EQ(c.network.ports[0].host_port, 9090);
                assert_pool_kept(&c);
        }
}

TEST(merge_network_nothing_on_command_line) {
        _cleanup_(boot_config_done) BootConfig c = {};

        network_merged(SETTINGS_YES, false, false, &c);
        ASSERT_STREQ(c.network.zone, "blue");
        ASSERT_STREQ(c.network.interfaces[0], "eth1");
        ASSERT_EQ(c.network.n_ports, 1);
        ASSERT_EQ(c.network.ports[0].host_port, 8080);
        ASSERT_TRUE(boot_config_private_network(&c));
        assert_pool_kept(&c);
        ASSERT_EQ(c.set_by & (SETTING_NETWORK | SETTING_PORTS), SETTING_NETWORK | SETTING_PORTS);
}

TEST(merge_network_override) {
        _cleanup_(boot_config_done) BootConfig c = {};

        network_merged(SETTINGS_OVERRIDE, true, true, &c);
        /* the file's network, whole, and its ports */
        ASSERT_FALSE(c.network.veth);
        ASSERT_STREQ(c.network.zone, "blue");
        ASSERT_STREQ(c.network.interfaces[0], "eth1");
        ASSERT_EQ(c.network.n_ports, 1);
        ASSERT_EQ(c.network.ports[0].host_port, 8080);
        ASSERT_TRUE(boot_config_private_network(&c));
        assert_pool_kept(&c); /* no file sets the pool */
        ASSERT_EQ(c.resolv_conf, RESOLV_CONF_COPY_HOST);
        ASSERT_EQ(c.timezone, TIMEZONE_COPY);
}

TEST(merge_network_no) {
        _cleanup_(boot_config_done) BootConfig c = {};

        network_merged(SETTINGS_NO, false, false, &c);
        ASSERT_NULL(c.network.zone);
        ASSERT_EQ(c.network.n_ports, 0);
        ASSERT_FALSE(boot_config_private_network(&c));
        ASSERT_EQ(c.timezone, TIMEZONE_AUTO);
}

TEST(merge_network_untrusted_file) {
        _cleanup_(boot_config_done) BootConfig c = {}, s = {};
        _cleanup_strv_free_ char **warnings = NULL;

        /* a file beside the image: its network never reaches the config */
        command_line_network(&c, false, false);
        parse_ok_full(network_merge_file, false, BOOT_MODE_BOOT, &s, &warnings);
        ASSERT_EQ(strv_length(warnings), 3);
        ASSERT_OK(settings_merge(&c, &s, SETTINGS_YES));
        ASSERT_NULL(c.network.zone);
        ASSERT_NULL(c.network.interfaces);
        ASSERT_EQ(c.network.n_ports, 0);
        ASSERT_FALSE(boot_config_private_network(&c));
        ASSERT_EQ(c.timezone, TIMEZONE_COPY);
        ASSERT_EQ(c.resolv_conf, RESOLV_CONF_OFF); /* the command line's */
}
