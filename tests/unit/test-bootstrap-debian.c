/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>

#include "bootstrap-debian.h"
#include "fileio.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

/* The sources of a Debian 12 host, as its installer writes them. */
static const char host_deb822[] = "Types: deb\n"
                                  "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
                                  "URIs: http://deb.debian.org/debian\n"
                                  "Suites: bookworm bookworm-updates\n"
                                  "Components: main\n"
                                  "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                                  "\n"
                                  "Types: deb\n"
                                  "URIs: http://security.debian.org/debian-security\n"
                                  "Suites: bookworm-security\n"
                                  "Components: main\n"
                                  "Signed-By:\n"
                                  " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                                  " .\n"
                                  " mQINBGPL\n"
                                  "\n"
                                  "Types: deb-src\n"
                                  "URIs: http://src.example.org/debian\n"
                                  "Suites: bookworm\n"
                                  "\n"
                                  "Types: deb\n"
                                  "Enabled: no\n"
                                  "URIs: http://off.example.org/debian\n"
                                  "Suites: bookworm\n";

static const char host_one_line[] = "# a comment\n"
                                    "deb-src http://src.example.org/debian bookworm main\n"
                                    "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://m.example.org/debian "
                                    "bookworm main contrib # trailing\n"
                                    "deb [ trusted=yes ] http://t.example.org/debian bookworm-updates main\n"
                                    "deb http://s.example.org/debian-security bookworm-security main\n"
                                    "deb broken\n";

static void host_from(const char *text, bool deb822, DebianHost *ret) {
        *ret = (DebianHost) {};
        ASSERT_OK(apt_sources_parse(text, deb822, &ret->sources, &ret->n_sources));
        ret->id = strdup("debian");
        ret->codename = strdup("bookworm");
        ASSERT_OK(strv_extend(&ret->files, "/etc/apt/sources.list.d/debian.sources"));
}

static MachineDefinition definition(const char *release) {
        return (MachineDefinition) { .distribution = (char *) "debian", .release = (char *) release };
}

static char *joined(char **l) {
        return strv_join(l, "|");
}

/* The mirrors of d, joined by '|' ("" for none), are expected. */
static void check_mirrors(const MachineDefinition *d, char **override, const DebianHost *h, const char *expected) {
        _cleanup_strv_free_ char **m = NULL;
        _cleanup_free_ char *s = NULL;

        ASSERT_OK(debian_mirrors(d, override, h, &m));
        s = m ? joined(m) : strdup("");
        ASSERT_STREQ(s, expected);
}

TEST(sources_deb822) {
        _cleanup_(debian_host_done) DebianHost h = {};

        host_from(host_deb822, true, &h);
        ASSERT_EQ(h.n_sources, 2);
        ASSERT_STREQ(h.sources[0].uris[0], "http://deb.debian.org/debian");
        ASSERT_EQ(strv_length(h.sources[0].suites), 2);
        ASSERT_STREQ(h.sources[0].suites[1], "bookworm-updates");
        ASSERT_STREQ(h.sources[1].uris[0], "http://security.debian.org/debian-security");
        ASSERT_STREQ(h.sources[1].components[0], "main");
}

TEST(sources_one_line) {
        _cleanup_(debian_host_done) DebianHost h = {};

        host_from(host_one_line, false, &h);
        ASSERT_EQ(h.n_sources, 3);
        ASSERT_STREQ(h.sources[0].uris[0], "http://m.example.org/debian");
        ASSERT_STREQ(h.sources[0].suites[0], "bookworm");
        ASSERT_EQ(strv_length(h.sources[0].components), 2);
        ASSERT_STREQ(h.sources[1].uris[0], "http://t.example.org/debian");
        ASSERT_STREQ(h.sources[2].suites[0], "bookworm-security");
}

/* --mirror, else Mirror=, as they are. */
TEST(mirrors_given) {
        _cleanup_(debian_host_done) DebianHost h = {};
        char *mirrors[] = { (char *) "http://d.example.org/debian", NULL };
        char *override[] = { (char *) "http://o.example.org/debian", NULL };
        MachineDefinition d = definition("trixie");

        host_from(host_deb822, true, &h);
        d.mirrors = mirrors;
        check_mirrors(&d, NULL, &h, "http://d.example.org/debian");
        check_mirrors(&d, override, &h, "http://o.example.org/debian");
}

/* The host's release: the host's files. */
TEST(mirrors_host_release) {
        _cleanup_(debian_host_done) DebianHost h = {};
        MachineDefinition d = definition("bookworm");

        host_from(host_deb822, true, &h);
        check_mirrors(&d, NULL, &h, "/etc/apt/sources.list.d/debian.sources");
}

TEST(mirrors_derived) {
        _cleanup_(debian_host_done) DebianHost h = {}, o = {};
        MachineDefinition d = definition("trixie");
        char *components[] = { (char *) "main", (char *) "contrib", NULL };

        host_from(host_deb822, true, &h);
        check_mirrors(&d, NULL, &h,
                      "deb http://deb.debian.org/debian trixie main|"
                      "deb http://deb.debian.org/debian trixie-updates main|"
                      "deb http://security.debian.org/debian-security trixie-security main");

        /* sid has neither updates nor security. */
        d = definition("sid");
        d.components = components;
        check_mirrors(&d, NULL, &h, "deb http://deb.debian.org/debian sid main contrib");

        /* Only what the host has: here no updates or security suite. */
        host_from("deb http://m.example.org/debian bookworm main\n", false, &o);
        d = definition("trixie");
        check_mirrors(&d, NULL, &o, "deb http://m.example.org/debian trixie main");
}

/* A host that is no Debian, or with no source of its own release: nothing
 * (mmdebstrap's default mirror). */
TEST(mirrors_none) {
        _cleanup_(debian_host_done) DebianHost h = {};
        MachineDefinition d = definition("trixie");

        host_from(host_deb822, true, &h);
        free(h.id);
        h.id = strdup("fedora");
        check_mirrors(&d, NULL, &h, "");
        free(h.id);
        h.id = strdup("debian");
        free(h.codename);
        h.codename = strdup("buster");
        check_mirrors(&d, NULL, &h, "");
}

TEST(argv) {
        _cleanup_strv_free_ char **a = NULL;
        _cleanup_free_ char *s = NULL;
        char *packages[] = { (char *) "systemd", (char *) "dbus", NULL };
        char *post[] = { (char *) "chroot \"$1\" true", NULL };
        char *mirrors[] = { (char *) "deb http://m/debian bookworm main", NULL };
        MachineDefinition d = definition("bookworm");

        d.packages = packages;
        d.post_install = post;
        d.root_password = ROOT_PASSWORD_PLAIN;
        d.root_password_text = (char *) "berth";
        ASSERT_OK(debian_bootstrap_argv(&d, mirrors, "/var/lib/machines/.#x.berth~1", &a));
        s = joined(a);
        ASSERT_STREQ(s, "mmdebstrap|--mode=root|--format=directory|--variant=minbase|--include=systemd,dbus|"
                        "--customize-hook=printf 'root:%s\\n' \"$BERTH_ROOT_PASSWORD\" | chroot \"$1\" chpasswd|"
                        "--customize-hook=chroot \"$1\" true|bookworm|/var/lib/machines/.#x.berth~1|"
                        "deb http://m/debian bookworm main");
        ASSERT_STREQ(debian_root_password_env(&d), "berth");

        a = strv_free(a);
        s = mfree(s);
        d = definition("trixie");
        d.variant = (char *) "buildd";
        d.root_password = ROOT_PASSWORD_LOCKED;
        ASSERT_OK(debian_bootstrap_argv(&d, NULL, "/t", &a));
        s = joined(a);
        ASSERT_STREQ(s, "mmdebstrap|--mode=root|--format=directory|--variant=buildd|"
                        "--customize-hook=printf 'root:%s\\n' \"$BERTH_ROOT_PASSWORD\" | chroot \"$1\" chpasswd "
                        "--encrypted|trixie|/t");
        ASSERT_STREQ(debian_root_password_env(&d), "!*");

        d.root_password = ROOT_PASSWORD_KEEP;
        ASSERT_NULL(debian_root_password_env(&d));
        d.variant = (char *) "tiny";
        ASSERT_ERROR(debian_bootstrap_argv(&d, NULL, "/t", &a), EINVAL);
}

static void write_file(const char *root, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(root, name);

        ASSERT_OK(write_string_file_at(AT_FDCWD, p, text, WRITE_FILE_CREATE, 0644));
}

TEST(host_load) {
        _cleanup_(debian_host_done) DebianHost h = {};
        const char *root = tests_tmpdir();
        _cleanup_free_ char *s = NULL, *etc = tests_path("etc"), *apt = tests_path("etc/apt"),
                            *d = tests_path("etc/apt/sources.list.d");

        ASSERT_OK(mkdir(etc, 0755));
        ASSERT_OK(mkdir(apt, 0755));
        ASSERT_OK(mkdir(d, 0755));
        write_file(root, "etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n");
        write_file(root, "etc/apt/sources.list.d/b.sources", host_deb822);
        write_file(root, "etc/apt/sources.list.d/a.list", "deb http://a.example.org/debian bookworm main\n");
        write_file(root, "etc/apt/sources.list.d/c.list.disabled", "deb http://c.example.org/debian bookworm main\n");
        write_file(root, "etc/apt/sources.list.d/empty.list", "# nothing\n");

        ASSERT_OK(debian_host_load(root, &h));
        ASSERT_STREQ(h.id, "debian");
        ASSERT_STREQ(h.codename, "bookworm");
        ASSERT_EQ(strv_length(h.files), 2);
        ASSERT_TRUE(endswith(h.files[0], "/a.list"));
        ASSERT_TRUE(endswith(h.files[1], "/b.sources"));
        ASSERT_EQ(h.n_sources, 3);
        ASSERT_STREQ(h.sources[0].uris[0], "http://a.example.org/debian");
}
