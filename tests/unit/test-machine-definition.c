/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fileio.h"
#include "machine-definition.h"
#include "path-util.h"
#include "settings.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

#define FILE_NAME "/etc/berth/machines/d.conf"

static void parse_ok(const char *text, MachineDefinition *ret, char ***ret_warnings) {
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = machine_definition_parse_text(text, FILE_NAME, ret, &warnings, &error);
        if (r < 0)
                tests_fail(__FILE__, __LINE__, "parse failed (%s): %s\n---\n%.500s---", strerror(-r), strna(error),
                           text);
        if (ret_warnings)
                *ret_warnings = TAKE_PTR(warnings);
        else if (warnings)
                tests_fail(__FILE__, __LINE__, "unexpected warning: %s", warnings[0]);
}

static void parse_bad(const char *text, const char *message) {
        _cleanup_(machine_definition_done) MachineDefinition d = {};
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *error = NULL;

        ASSERT_ERROR(machine_definition_parse_text(text, FILE_NAME, &d, &warnings, &error), EBADMSG);
        ASSERT_STREQ(error, message);
        ASSERT_NULL(d.distribution);
}

#define HEAD "[Distribution]\nDistribution=debian\nRelease=bookworm\n"

TEST(root_password_table) {
        CHECK_TABLE(root_password, _ROOT_PASSWORD_MAX, "keep", "locked", "empty", "plain", "hashed");
}

TEST(parse_everything) {
        _cleanup_(machine_definition_done) MachineDefinition d = {};
        _cleanup_free_ char *packages = NULL, *post = NULL;

        parse_ok(HEAD "Components=main contrib\n"
                      "Mirror=http://deb.debian.org/debian\n"
                      "Mirror=deb http://example.org/debian bookworm main\n"
                      "\n[Content]\n"
                      "Variant=buildd\n"
                      "Packages=systemd dbus\n"
                      "Packages=iproute2,procps, libc6:amd64\n"
                      "Hostname=web-1\n"
                      "RootPassword=plain:s3cret word\n"
                      "PostInstall=chroot \"$1\" true\n"
                      "PostInstall=rm -f \"$1/etc/motd\" \\\n"
                      "  \"$1/etc/issue\"\n",
                 &d, NULL);
        ASSERT_STREQ(d.path, FILE_NAME);
        ASSERT_STREQ(d.distribution, "debian");
        ASSERT_STREQ(d.release, "bookworm");
        ASSERT_EQ(strv_length(d.components), 2);
        ASSERT_EQ(strv_length(d.mirrors), 2);
        ASSERT_STREQ(d.mirrors[1], "deb http://example.org/debian bookworm main");
        ASSERT_STREQ(d.variant, "buildd");
        packages = strv_join(d.packages, " ");
        ASSERT_STREQ(packages, "systemd dbus iproute2 procps libc6:amd64");
        ASSERT_STREQ(d.hostname, "web-1");
        ASSERT_EQ(d.root_password, ROOT_PASSWORD_PLAIN);
        ASSERT_STREQ(d.root_password_text, "s3cret word");
        post = strv_join(d.post_install, "|");
        ASSERT_STREQ(post, "chroot \"$1\" true|rm -f \"$1/etc/motd\"  \"$1/etc/issue\"");
}

TEST(parse_defaults) {
        _cleanup_(machine_definition_done) MachineDefinition d = {};

        parse_ok(HEAD, &d, NULL);
        ASSERT_NULL(d.components);
        ASSERT_NULL(d.mirrors);
        ASSERT_NULL(d.variant);
        ASSERT_NULL(d.packages);
        ASSERT_NULL(d.hostname);
        ASSERT_EQ(d.root_password, ROOT_PASSWORD_KEEP);
        ASSERT_NULL(d.post_install);
}

/* An empty assignment drops what the earlier ones of a list gave. */
TEST(parse_lists_reset) {
        _cleanup_(machine_definition_done) MachineDefinition d = {};

        parse_ok(HEAD "Mirror=a\nMirror=\nMirror=b\n[Content]\nPackages=a b\nPackages=\nPackages=c\n"
                      "PostInstall=x\nPostInstall=\nHostname=h\nHostname=\n",
                 &d, NULL);
        ASSERT_EQ(strv_length(d.mirrors), 1);
        ASSERT_STREQ(d.mirrors[0], "b");
        ASSERT_EQ(strv_length(d.packages), 1);
        ASSERT_STREQ(d.packages[0], "c");
        ASSERT_NULL(d.post_install);
        ASSERT_NULL(d.hostname);
}

TEST(parse_root_password) {
        static const struct {
                const char *value;
                RootPassword p;
                const char *text;
        } cases[] = {
                { "locked", ROOT_PASSWORD_LOCKED, NULL },
                { "empty", ROOT_PASSWORD_EMPTY, NULL },
                { "keep", ROOT_PASSWORD_KEEP, NULL },
                { "plain:berth", ROOT_PASSWORD_PLAIN, "berth" },
                { "plain:a:b", ROOT_PASSWORD_PLAIN, "a:b" },
                { "hashed:$y$j9T$abc$def", ROOT_PASSWORD_HASHED, "$y$j9T$abc$def" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(machine_definition_done) MachineDefinition d = {};
                _cleanup_free_ char *text = strdup_printf(HEAD "[Content]\nRootPassword=%s\n", cases[i].value);

                parse_ok(text, &d, NULL);
                ASSERT_EQ(d.root_password, cases[i].p);
                ASSERT_STREQ_PTR(d.root_password_text, cases[i].text);
        }
}

TEST(parse_bad_values) {
        static const char *const values[][2] = {
                { "[Distribution]\nDistribution=-x\n", "Distribution=" },
                { "[Distribution]\nRelease=book worm\n", "Release=" },
                { "[Content]\nPackages=ok -evil\n", "Packages=" },
                { "[Content]\nPackages=a 'b\n", "Packages=" },
                { "[Content]\nPackages=ok;rm\n", "Packages=" },
                { "[Content]\nHostname=-bad\n", "Hostname=" },
                { "[Content]\nRootPassword=plain\n", "RootPassword=" },
                { "[Content]\nRootPassword=plain:\n", "RootPassword=" },
                { "[Content]\nRootPassword=hashed:a:b\n", "RootPassword=" },
                { "[Content]\nRootPassword=secret\n", "RootPassword=" },
        };

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                _cleanup_(machine_definition_done) MachineDefinition d = {};
                _cleanup_strv_free_ char **warnings = NULL;
                _cleanup_free_ char *error = NULL, *text = strjoin(HEAD, values[i][0]);

                ASSERT_ERROR(machine_definition_parse_text(text, FILE_NAME, &d, &warnings, &error), EBADMSG);
                if (!startswith(error, FILE_NAME ":") || !strstr(error, values[i][1]))
                        tests_fail(__FILE__, __LINE__, "bad message for %s: %s", values[i][0], error);
        }
        parse_bad(HEAD "[Content]\nHostname=-bad\n", FILE_NAME ":5: Invalid value '-bad' for Hostname=: expected a "
                                                               "valid hostname");
        parse_bad(HEAD "Packages\n", FILE_NAME ":4: Missing '=' in 'Packages'");
}

TEST(parse_required) {
        parse_bad("[Distribution]\nRelease=bookworm\n", FILE_NAME ": Missing Distribution= in [Distribution]");
        parse_bad("[Distribution]\nDistribution=debian\n", FILE_NAME ": Missing Release= in [Distribution]");
        parse_bad("", FILE_NAME ": Missing Distribution= in [Distribution]");
}

TEST(parse_warnings) {
        _cleanup_(machine_definition_done) MachineDefinition d = {};
        _cleanup_strv_free_ char **warnings = NULL;

        parse_ok(HEAD "Flavour=x\nX-Mine=ignored\n[Other]\nA=b\n[X-Tool]\nC=d\n", &d, &warnings);
        ASSERT_EQ(strv_length(warnings), 2);
        ASSERT_STREQ(warnings[0], FILE_NAME ":4: Unknown key Flavour= in [Distribution], ignoring");
        ASSERT_STREQ(warnings[1], FILE_NAME ":6: Section [Other] not supported, ignoring");
}

static void write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(dir, name);

        ASSERT_OK(write_string_file_at(AT_FDCWD, p, text, WRITE_FILE_CREATE, 0644));
}

TEST(find) {
        _cleanup_free_ char *etc = tests_path("etc"), *usr = tests_path("usr"), *path = NULL, *file = NULL;
        const char *const dirs[] = { etc, usr, NULL };

        ASSERT_OK(mkdir(etc, 0755));
        ASSERT_OK(mkdir(usr, 0755));
        write_file(usr, "a.conf", HEAD);
        write_file(usr, "b.conf", HEAD);
        write_file(etc, "b.conf", HEAD);

        ASSERT_OK(machine_definition_find(dirs, "a", &path));
        ASSERT_TRUE(path_startswith_dir(path, usr));
        path = mfree(path);
        ASSERT_OK(machine_definition_find(dirs, "b", &path)); /* the administrator's first */
        ASSERT_TRUE(path_startswith_dir(path, etc));
        path = mfree(path);
        ASSERT_ERROR(machine_definition_find(dirs, "c", &path), ENOENT);
        ASSERT_ERROR(machine_definition_find(dirs, "Bad Name", &path), EINVAL);
        ASSERT_ERROR(machine_definition_find(dirs, "", &path), EINVAL);

        /* A path: with a '/', or ending in .conf. */
        file = path_join(usr, "a.conf");
        ASSERT_OK(machine_definition_find(dirs, file, &path));
        ASSERT_STREQ(path, file);
        path = mfree(path);
        ASSERT_ERROR(machine_definition_find(dirs, "no-such.conf", &path), ENOENT);
        ASSERT_ERROR(machine_definition_find(dirs, usr, &path), EISDIR);
}

/* What ships in machines/: every definition parses without a warning, and
 * so does every example settings file. */
TEST(shipped) {
        const char *src = getenv("BERTH_SRC");
        _cleanup_free_ char *dir = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        unsigned n_conf = 0, n_berth = 0;

        if (!src) {
                tests_skip("BERTH_SRC is not set");
                return;
        }
        dir = path_join(src, "machines");
        d = opendir(dir);
        ASSERT_NOT_NULL(d);
        while ((de = readdir(d))) {
                _cleanup_(machine_definition_done) MachineDefinition m = {};
                _cleanup_(boot_config_done) BootConfig c = {};
                _cleanup_strv_free_ char **warnings = NULL;
                _cleanup_free_ char *path = path_join(dir, de->d_name), *error = NULL;
                int r = 0;

                if (endswith(de->d_name, ".conf")) {
                        r = machine_definition_parse(path, &m, &warnings, &error);
                        n_conf++;
                } else if (endswith(de->d_name, ".berth")) {
                        r = settings_parse(path, true, BOOT_MODE_BOOT, &c, &warnings, &error);
                        n_berth++;
                } else
                        continue;
                if (r < 0 || warnings)
                        tests_fail(__FILE__, __LINE__, "%s: %s", de->d_name, r < 0 ? error : warnings[0]);
        }
        ASSERT_TRUE(n_conf >= 3);
        ASSERT_TRUE(n_berth >= 1);
}
