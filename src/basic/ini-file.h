/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* systemd-style INI files, the syntax of settings files (settings.c) and of
 * image definitions (machine-definition.c): "[Section]" headers,
 * "Key=Value" assignments, whole-line comments ('#' or ';'), a trailing
 * backslash continuing a line on the next, a UTF-8 byte order mark skipped.
 * What the keys mean is the caller's: it gets each header and assignment
 * through an IniHandler. As in systemd, sections and keys starting with
 * "X-" are for other programs and skipped, and an assignment before the
 * first header is warned about and skipped.
 *
 * Nothing here logs. Warnings and the error come back as text, "FILE:LINE:
 * what", control characters shown as '?' (so that a file from anywhere
 * can't drive the terminal they are shown on). */

#define INI_WHITESPACE " \t\r\n"

typedef struct IniParser IniParser;

typedef struct IniHandler {
        /* A header "[name]": 1 for a section the caller knows, 0 for one it
         * doesn't (warned about, its keys skipped), or -errno. */
        int (*section)(IniParser *p, const char *name, void *userdata);
        /* An assignment in a known section: key stripped, value without
         * leading white space. 0, or -errno (after ini_fail() for a bad
         * value). */
        int (*assignment)(IniParser *p, const char *section, const char *key, const char *value, void *userdata);
        /* After the last line, when no line failed (NULL: nothing to do):
         * checks that need the whole file. */
        int (*finish)(IniParser *p, void *userdata);
} IniHandler;

/* Parses text (filename only names it in messages). Returns 0 with the
 * warnings (NULL when none), or -EBADMSG with *ret_error for a malformed
 * file (a bad header, a line without '=', an empty key, or whatever the
 * handler failed with ini_fail()), -ENOMEM (*ret_error NULL), or the
 * handler's -errno. */
int ini_parse_text(const char *text, const char *filename, const IniHandler *h, void *userdata, char ***ret_warnings,
                   char **ret_error);
/* The text of the file at path, of at most max_size bytes (-EFBIG): a NUL
 * byte in it is malformed (-EBADMSG). On failure *ret_error says why
 * ("FILE: Failed to read: …", "FILE:LINE: Unexpected NUL byte"), NULL for
 * -ENOMEM. */
int ini_read_file(const char *path, size_t max_size, char **ret_text, char **ret_error);

/* For handlers. A warning about the line being parsed: 0, or -ENOMEM. Past
 * INI_WARNINGS_MAX one more says that there are more, then none. */
#define INI_WARNINGS_MAX 100
int ini_warn(IniParser *p, const char *format, ...) _printf_(2, 3);
/* The error of the line being parsed: returns -EBADMSG (or -ENOMEM). */
int ini_fail(IniParser *p, const char *format, ...) _printf_(2, 3);
/* The line messages name: where the line being parsed starts, or (in
 * finish) the last line; ini_set_line() points them at another. */
unsigned ini_line(const IniParser *p) _pure_;
void ini_set_line(IniParser *p, unsigned line);

/* The whitespace-separated words of a value, as systemd's
 * config_parse_strv() splits them: '…' and "…" quote (and go), backslashes
 * stay as they are. -EINVAL for an unbalanced quote, -E2BIG when there
 * would be more than max words with the have there are already. */
int ini_split_words(const char *value, size_t have, size_t max, char ***ret);
