/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* The CLI: one table of verbs. A verb gets its own argv (argv[0] is the
 * verb's name) and parses its own options. It returns an exit status >= 0,
 * or a negative errno after logging: -EUSAGE means bad usage (exit 2),
 * anything else exit 1. */

typedef int (*verb_fn_t)(int argc, char *argv[]);

typedef struct Verb {
        const char *name;
        verb_fn_t fn;
        const char *summary; /* for `berth --help` */
} Verb;

int verb_boot(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_list(int argc, char *argv[]);
int verb_poweroff(int argc, char *argv[]);
int verb_terminate(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_show(int argc, char *argv[]);
int verb_reboot(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_start(int argc, char *argv[]);
int verb_shell(int argc, char *argv[]);
int verb_login(int argc, char *argv[]);
int verb_copy_to(int argc, char *argv[]);
int verb_copy_from(int argc, char *argv[]);
int verb_bind(int argc, char *argv[]);
int verb_set_property(int argc, char *argv[]);
int verb_freeze(int argc, char *argv[]);
int verb_thaw(int argc, char *argv[]);
int verb_stats(int argc, char *argv[]);
int verb_enable(int argc, char *argv[]);
int verb_disable(int argc, char *argv[]);
int verb_images(int argc, char *argv[]);
int verb_image_status(int argc, char *argv[]);
int verb_clone(int argc, char *argv[]);
int verb_import_fs(int argc, char *argv[]);
int verb_import_tar(int argc, char *argv[]);
int verb_import_oci(int argc, char *argv[]);
int verb_export_oci(int argc, char *argv[]);
int verb_commit(int argc, char *argv[]);
int verb_export_tar(int argc, char *argv[]);
int verb_rename(int argc, char *argv[]);
int verb_remove(int argc, char *argv[]);
int verb_read_only(int argc, char *argv[]);
int verb_set_limit(int argc, char *argv[]);
int verb_create(int argc, char *argv[]);
int verb_wait(int argc, char *argv[]);

/* Shared option handling: reports an unknown option or a missing argument
 * (getopt_long()'s '?' and ':', just returned as opt) as one line, and
 * returns -EUSAGE. */
int verb_bad_option(const char *verb, int opt, char *argv[]);
/* "Invalid value 'VALUE' for --OPTION: EXPECTED.", and -EUSAGE. */
int verb_bad_value(const char *option, const char *value, const char *expected);
/* What reading a file of ours gave (a settings file, an image definition):
 * its warnings logged; on failure (r < 0) its one error line, as it is.
 * Returns r. */
int log_file_result(int r, const char *error, char *const *warnings);
