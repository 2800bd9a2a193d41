/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/stat.h>
#include <unistd.h>

#include "machine-identity.h"
#include "machine-paths.h"
#include "path-util.h"
#include "string-util.h"
#include "tests.h"

typedef struct Case {
        const char *directory, *machine;
        int r;
        IdentityProblem problem;
        const char *name;
} Case;

static void check_case(const char *images, const char *tree, const Case *c) {
        _cleanup_(machine_identity_done) MachineIdentity id = {};
        IdentityProblem problem;
        int r;

        r = machine_identity_resolve(c->directory, NULL, c->machine, images, &id, &problem);
        if (c->r == 0) {
                ASSERT_OK(r);
                ASSERT_STREQ(id.name, c->name);
                ASSERT_STREQ(id.root, tree);
                ASSERT_NOT_NULL(id.path);
        } else {
                ASSERT_EQ(r, c->r);
                ASSERT_EQ(problem, c->problem);
        }
}

TEST(resolve) {
        _cleanup_free_ char *images = tests_path("images"), *image = tests_path("images/m"), *tree = NULL,
                            *link = tests_path("images/link"), *bad = tests_path("images/-bad"),
                            *ctl = tests_path("images/a\tb");

        ASSERT_OK(RET_NERRNO(mkdir(images, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(image, 0755)));
        ASSERT_OK(RET_NERRNO(symlink("m", link)));
        ASSERT_OK(RET_NERRNO(mkdir(bad, 0755)));
        ASSERT_OK(RET_NERRNO(mkdir(ctl, 0755)));
        tree = realpath(image, NULL);
        ASSERT_NOT_NULL(tree);

        const Case cases[] = {
                { image, NULL, 0, 0, "m" },    /* -D: its last component */
                { link, NULL, 0, 0, "m" },     /* symlinks resolved */
                { image, "web", 0, 0, "web" }, /* -M names it */
                { NULL, "m", 0, 0, "m" },      /* -M alone: the image */
                { NULL, "absent", -ENOENT, IDENTITY_NO_IMAGE, NULL },
                { "/nonexistent/x", NULL, -ENOENT, IDENTITY_NO_DIRECTORY, NULL },
                { bad, NULL, -EINVAL, IDENTITY_BAD_NAME, NULL }, /* the same rule for settings and boot */
                { "/", "root", -EPERM, IDENTITY_HOST_ROOT, NULL },
                { ctl, "x", -EINVAL, IDENTITY_BAD_PATH, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_case(images, tree, &cases[i]);
}

TEST(resolve_working_directory) {
        _cleanup_(machine_identity_done) MachineIdentity id = {};
        _cleanup_free_ char *dir = tests_path("web"), *real = NULL;
        IdentityProblem problem;

        ASSERT_OK(RET_NERRNO(mkdir(dir, 0755)));
        ASSERT_OK(RET_NERRNO(chdir(dir)));
        real = realpath(dir, NULL);
        ASSERT_OK(machine_identity_resolve(NULL, NULL, NULL, "/nonexistent", &id, &problem));
        ASSERT_STREQ(id.name, "web");
        ASSERT_STREQ(id.root, real);
}

TEST(paths) {
        _cleanup_free_ char *console = machine_console_log_path("web"), *unit = machine_service_unit("web"),
                            *scope = machine_scope_unit("foo-bar.baz"), *under = machine_scope_unit("_x"),
                            *log = machine_start_log_path("web"),
                            *image = machine_image_path("/var/lib/machines", "web"),
                            *lock = machine_image_lock_path("/var/lib/machines/web");

        ASSERT_STREQ(console, BERTH_RUNTIME_DIR "/console/web");
        ASSERT_STREQ(unit, "berth@web.service");
        /* As systemd-machined names it: '-' escaped. */
        ASSERT_STREQ(scope, "machine-foo\\x2dbar.baz.scope");
        ASSERT_STREQ(under, "machine-_x.scope");
        ASSERT_STREQ(log, BERTH_LOG_DIR "/web.log");
        ASSERT_STREQ(image, "/var/lib/machines/web");
        ASSERT_STREQ(lock, "/var/lib/machines/.#web.lck");
}
