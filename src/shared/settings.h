/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "boot-config.h"

/* Settings files: NAME.berth (or systemd-nspawn's NAME.nspawn) of a machine,
 * merged into its BootConfig (man/berth.settings.5). Nothing here logs:
 * warnings and errors come back as text, "FILE:LINE: what".
 *
 * How `berth boot` and `berth run` call it, once the command line has filled
 * c and its set_by mask, and before anything reads the config
 * (c->settings_mode and c->mode say how):
 *
 *         _cleanup_strv_free_ char **warnings = NULL;
 *         _cleanup_free_ char *path = NULL, *error = NULL;
 *
 *         (id: the machine's identity, machine-identity.h)
 *         r = settings_load(NULL, c, id->name, id->root, &path, &warnings, &error);
 *         if (r == -ENOMEM)
 *                 return log_oom();
 *         if (r < 0)
 *                 return log_error_errno(r, "%s", error);
 *         STRV_FOREACH(w, warnings)
 *                 log_warning("%s", *w);
 *
 * NULL paths are the installed ones (BERTH_CONFIG_DIR, BERTH_RUNTIME_DIR,
 * /etc/systemd/nspawn, /run/systemd/nspawn); root is the machine's tree,
 * whose directory is searched last. Afterwards, check what only a file could
 * have made inconsistent: ProcessTwo= without Parameters= in `berth run` (as
 * -a without a COMMAND). c->machine and c->directory are never touched.
 * settings_find(), settings_parse() and settings_merge() are the same steps
 * one by one. */

typedef struct SettingsPaths {
        const char *config_dir;         /* NAME.berth, trusted */
        const char *runtime_dir;        /* NAME.berth, trusted */
        const char *nspawn_config_dir;  /* NAME.nspawn, trusted */
        const char *nspawn_runtime_dir; /* NAME.nspawn, trusted */
} SettingsPaths;

/* Finds the settings file of machine NAME: NAME.berth in config_dir, in
 * runtime_dir, beside image_path (the tree; may be NULL), then NAME.nspawn
 * in the nspawn directories and beside the image: a .nspawn file is read
 * only when there is no .berth one. The first that exists wins; files beside
 * the image are not trusted. Returns 1 with the path, 0 (and NULL) when
 * there is none, -EINVAL for a bad NAME, another -errno when a place can't
 * be looked at. A NULL p means the installed directories; a NULL directory
 * in p is skipped. */
int settings_find(const SettingsPaths *p, const char *name, const char *image_path, char **ret_path, bool *ret_trusted);

/* Parses a settings file into a fresh config (boot_config_init(ret, mode)):
 * only what the file sets is marked in ret->set_by. Warned about and
 * skipped: unknown sections and keys, nspawn keys berth doesn't support,
 * assignments before the first section header, keys that mean something to
 * the other verb (ProcessTwo= and User= in `berth boot`), and a Boot= that
 * disagrees with mode (with the file's Parameters=, written for the other
 * verb). Keys that are not safe in an untrusted file are checked, then
 * dropped with a warning. Returns -EBADMSG with *ret_error ("FILE:LINE: what
 * is wrong") for a malformed file (a bad section header, a line without '=',
 * a bad value, too many values), -ENOMEM, or another -errno (with
 * *ret_error) when it can't be read. *ret and *ret_warnings are written on
 * success only. */
int settings_parse(const char *path, bool trusted, BootMode mode, BootConfig *ret, char ***ret_warnings,
                   char **ret_error);
/* The same from text in memory; filename is only for messages. */
int settings_parse_text(const char *text, const char *filename, bool trusted, BootMode mode, BootConfig *ret,
                        char ***ret_warnings, char **ret_error);

/* Merges what the file set (s) into the command line's config (c):
 *   SETTINGS_NO                 nothing;
 *   SETTINGS_YES, _TRUSTED      a setting applies where c did not set it;
 *   SETTINGS_OVERRIDE           the file's settings win.
 * Environment= and [Resources] merge per name (the winner's value for each
 * name, the loser's for the others). Bind=, BindReadOnly= and
 * TemporaryFileSystem= are one setting, as in systemd-nspawn: the winner's
 * list replaces the other whole, so any --bind/--bind-ro/--tmpfs keeps all
 * of the file's mounts out unless the file overrides. What is applied is
 * marked in c->set_by. -ENOMEM may leave c half merged. */
int settings_merge(BootConfig *c, const BootConfig *s, SettingsMode mode);

/* Find, parse and merge, as c->settings_mode says (--settings=trusted also
 * trusts a file beside the image; --settings=no reads nothing). Returns 1
 * when a file was merged (its path in *ret_path if not NULL), 0 when none was
 * read; on failure as settings_find() or settings_parse(), with *ret_error
 * (NULL for -ENOMEM); *ret_path and *ret_warnings are written on success
 * only. */
int settings_load(const SettingsPaths *p, BootConfig *c, const char *name, const char *image_path, char **ret_path,
                  char ***ret_warnings, char **ret_error);
