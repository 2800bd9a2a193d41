/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth enable|disable NAME…: boot the image NAME with the host, as
 * `machinectl enable` does for systemd-nspawn@.service: the link
 *
 *     /etc/systemd/system/berth-machines.target.wants/berth@NAME.service
 *         → …/berth@.service
 *
 * that `systemctl enable berth@NAME` would make, and berth-machines.target
 * itself enabled in multi-user.target.wants/. Where systemd is PID 1 it is
 * told to read its units again (daemon-reload). */

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock-util.h"
#include "log.h"
#include "machine-name.h"
#include "machine-paths.h"
#include "systemd-manager.h"
#include "path-util.h"
#include "running.h"
#include "string-util.h"
#include "verbs.h"

#define SYSTEMD_CONFIG_DIR "/etc/systemd/system"
#define TARGET "berth-machines.target"
#define TEMPLATE "berth@.service"

/* Where systemd finds unit files, in its order (those of our prefix among
 * them). The first that has the unit is the one it loads. */
static const char *const unit_dirs[] = {
        SYSTEMD_CONFIG_DIR,    "/run/systemd/system",     "/usr/local/lib/systemd/system",
        BERTH_SYSTEM_UNIT_DIR, "/usr/lib/systemd/system", "/lib/systemd/system",
};

static int find_unit_file(const char *unit, char **ret) {
        for (size_t i = 0; i < ELEMENTSOF(unit_dirs); i++) {
                _cleanup_free_ char *p = path_join(unit_dirs[i], unit);
                struct stat st;

                if (!p)
                        return -ENOMEM;
                /* A link in /etc (to /dev/null: masked, or elsewhere) is
                 * what systemd sees, and what we link to. */
                if (lstat(p, &st) >= 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

/* dir/link → target, made or left alone if it is already that. */
static int ensure_symlink(const char *dir, const char *link, const char *target) {
        _cleanup_free_ char *p = path_join(dir, link);
        char old[PATH_MAX];
        ssize_t n;
        int r;

        if (!p)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        if (symlink(target, p) >= 0)
                return 1;
        if (errno != EEXIST)
                return -errno;
        n = readlink(p, old, sizeof old - 1);
        if (n >= 0) {
                old[n] = '\0';
                if (streq(old, target))
                        return 0;
        }
        /* Something else by that name: replace it, as systemctl does. */
        if (unlink(p) < 0 || symlink(target, p) < 0)
                return -errno;
        return 1;
}

static int reload_systemd(void) {
        sd_bus *bus = NULL;
        _cleanup_free_ char *message = NULL;
        int r;

        if (systemd_manager_bus(&bus) <= 0)
                return 0;
        r = systemd_reload(bus, &message);
        if (r < 0)
                return log_error_errno(r, "Failed to reload systemd's units: %s", message ?: strerror(ERRNO_VALUE(r)));
        return 0;
}

static int parse_names(int argc, char *argv[], const char *help) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int opt;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                if (opt == 'h') {
                        fputs(help, stdout);
                        return 1;
                }
                return verb_bad_option(argv[0], opt, argv);
        }
        if (optind >= argc)
                return log_usage("'berth %s' needs at least one machine name.", argv[0]);
        for (int i = optind; i < argc; i++)
                if (!machine_name_is_valid(argv[i]))
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid machine name '%s'.", argv[i]);
        return 0;
}

int verb_enable(int argc, char *argv[]) {
        _cleanup_free_ char *template = NULL, *target = NULL;
        int r;

        r = parse_names(argc, argv,
                        "berth enable NAME…\n\n"
                        "Boot the images NAME (from " BERTH_IMAGE_DIR ") with the host, as the units\n"
                        "berth@NAME.service of berth-machines.target (which is enabled too).\n\n"
                        "  -h --help  Show this help\n");
        if (r != 0)
                return r < 0 ? r : 0;

        r = find_unit_file(TEMPLATE, &template);
        if (r >= 0)
                r = find_unit_file(TARGET, &target);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                       "%s and %s are not installed (looked in %s and systemd's unit directories).",
                                       TEMPLATE, TARGET, BERTH_SYSTEM_UNIT_DIR);
        if (r < 0)
                return log_oom();

        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *image = machine_image_path(BERTH_IMAGE_DIR, argv[i]),
                                    *unit = machine_service_unit(argv[i]);
                struct stat st;

                if (!image || !unit)
                        return log_oom();
                if (stat(image, &st) < 0 || !S_ISDIR(st.st_mode))
                        return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "No image '%s' in %s.", argv[i],
                                               BERTH_IMAGE_DIR);
                r = ensure_symlink(SYSTEMD_CONFIG_DIR "/" TARGET ".wants", unit, template);
                if (r < 0)
                        return log_error_errno(r, "Failed to enable %s: %m", unit);
                if (r > 0)
                        log_info("Created symlink %s/%s.wants/%s → %s.", SYSTEMD_CONFIG_DIR, TARGET, unit, template);
        }

        r = ensure_symlink(SYSTEMD_CONFIG_DIR "/multi-user.target.wants", TARGET, target);
        if (r < 0)
                return log_error_errno(r, "Failed to enable %s: %m", TARGET);
        if (r > 0)
                log_info("Created symlink %s/multi-user.target.wants/%s → %s.", SYSTEMD_CONFIG_DIR, TARGET, target);
        return reload_systemd();
}

int verb_disable(int argc, char *argv[]) {
        int r;

        r = parse_names(argc, argv,
                        "berth disable NAME…\n\n"
                        "Do not boot the images NAME with the host any more (a running machine goes\n"
                        "on running). berth-machines.target stays enabled.\n\n"
                        "  -h --help  Show this help\n");
        if (r != 0)
                return r < 0 ? r : 0;

        for (int i = optind; i < argc; i++) {
                _cleanup_free_ char *unit = machine_service_unit(argv[i]), *p = NULL;

                p = unit ? path_join(SYSTEMD_CONFIG_DIR "/" TARGET ".wants", unit) : NULL;
                if (!p)
                        return log_oom();
                if (unlink(p) < 0) {
                        if (errno == ENOENT)
                                continue; /* not enabled: nothing to do, as systemctl */
                        return log_error_errno(errno, "Failed to disable %s: %m", unit);
                }
                log_info("Removed %s.", p);
        }
        /* An empty .wants directory is left, as systemctl leaves it. */
        return reload_systemd();
}
