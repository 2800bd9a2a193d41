/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "verbs.h"

static const Verb verbs[] = {
        { "boot", verb_boot, "Boot a machine and supervise it until it stops" },
        { "run", verb_run, "Run a command in a new machine" },
        { "list", verb_list, "List running machines" },
        { "status", verb_status, "Show the state of running machines" },
        { "show", verb_show, "Show the properties of a running machine" },
        { "poweroff", verb_poweroff, "Power off running machines" },
        { "reboot", verb_reboot, "Reboot running machines" },
        { "stop", verb_stop, "Power off machines and wait until they are gone" },
        { "terminate", verb_terminate, "Kill running machines now" },
        { "kill", verb_kill, "Send a signal to the processes of machines" },
        { "set-property", verb_set_property, "Change resource limits of a running machine" },
        { "freeze", verb_freeze, "Stop scheduling every process of machines" },
        { "thaw", verb_thaw, "Let frozen machines go on" },
        { "stats", verb_stats, "Show what machines used: CPU, memory, tasks, I/O, network" },
        { "start", verb_start, "Boot machines in the background" },
        { "wait", verb_wait, "Wait until machines are ready, running, stopped or removed" },
        { "enable", verb_enable, "Boot machines with the host" },
        { "disable", verb_disable, "Do not boot machines with the host any more" },
        { "shell", verb_shell, "Run a shell or a command in a running machine" },
        { "login", verb_login, "Get a login prompt in a running machine" },
        { "copy-to", verb_copy_to, "Copy files from the host into a running machine" },
        { "copy-from", verb_copy_from, "Copy files from a running machine to the host" },
        { "bind", verb_bind, "Bind-mount a host directory or file into a running machine" },
        { "images", verb_images, "List the images in the store" },
        { "list-images", verb_images, "The same as images" },
        { "image-status", verb_image_status, "Show what images are" },
        { "clone", verb_clone, "Copy an image to a new one" },
        { "import-fs", verb_import_fs, "Copy an OS tree into the store as an image" },
        { "import-tar", verb_import_tar, "Unpack a tarball as an image" },
        { "export-tar", verb_export_tar, "Write an image as a tarball" },
        { "import-oci", verb_import_oci, "Import an OCI image as a layered image" },
        { "export-oci", verb_export_oci, "Write an image as an OCI image layout" },
        { "commit", verb_commit, "Make a layered image's changes a layer of a new image" },
        { "create", verb_create, "Build an image from a definition (machines/)" },
        { "rename", verb_rename, "Rename an image" },
        { "remove", verb_remove, "Remove images" },
        { "read-only", verb_read_only, "Mark an image read-only or writable" },
        { "set-limit", verb_set_limit, "Limit the disk space of an image" },
};

static void help(void) {
        printf("berth [--help] [--version] VERB [OPTIONS…] [ARGS…]\n\n"
               "Boot and manage Linux system containers (machines).\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-12s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nSee 'berth VERB --help' for a verb's options, and berth(1).\n");
}

int verb_bad_value(const char *option, const char *value, const char *expected) {
        return log_usage("Invalid value '%s' for --%s: %s.", value, option, expected);
}

int log_file_result(int r, const char *error, char *const *warnings) {
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "%s", error);
        STRV_FOREACH(w, (char **) warnings)
                log_warning("%s", *w);
        return r;
}

int verb_bad_option(const char *verb, int opt, char *argv[]) {
        char shortopt[3] = { '-', (char) optopt, '\0' };
        const char *arg = argv[optind - 1];

        /* A short option in a group ("-qZ") leaves optind on the group: name
         * the option itself. A long one is the whole argument just passed. */
        if (!startswith(arg, "--") && optopt > ' ' && optopt < 127)
                arg = shortopt;

        if (opt == ':')
                return log_usage("Option '%s' of 'berth %s' needs a value.", arg, verb);
        return log_usage("Unknown option '%s' for 'berth %s'; see 'berth %s --help'.", arg, verb, verb);
}

static int run(int argc, char *argv[]) {
        const char *verb;

        if (argc < 2)
                return log_usage("Missing verb; see 'berth --help'.");
        verb = argv[1];

        if (streq(verb, "--help") || streq(verb, "-h")) {
                help();
                return 0;
        }
        if (streq(verb, "--version")) {
                printf("berth %s\n", PROJECT_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, verb))
                        return verbs[i].fn(argc - 1, argv + 1);

        if (verb[0] == '-')
                return log_usage("Unknown option '%s'; see 'berth --help'.", verb);
        return log_usage("Unknown verb '%s'; see 'berth --help'.", verb);
}

int main(int argc, char *argv[]) {
        int r;

        log_setup();
        r = run(argc, argv);
        system_bus_close(cli_bus());
        fflush(stdout);
        if (r >= 0)
                return r;
        return ERRNO_VALUE(r) == EUSAGE ? 2 : 1;
}
