/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"
#include "string-table.h"

/* Image definitions: how `berth create` builds an OS tree (machines/NAME.conf,
 * machines/README.md). An INI file of the syntax of settings files
 * (ini-file.h):
 *
 *   [Distribution]
 *   Distribution=debian          which bootstrap tool builds it
 *   Release=bookworm             the distribution's release (suite)
 *   Components=main              archive areas, for the lines berth derives
 *   Mirror=…                     where packages come from (repeatable)
 *
 *   [Content]
 *   Variant=minbase              the bootstrap tool's set of base packages
 *   Packages=systemd dbus …      more packages (repeatable)
 *   Hostname=…                   /etc/hostname; none by default
 *   RootPassword=locked          locked, empty, plain:TEXT or hashed:HASH
 *   PostInstall=…                a shell command, "$1" the tree (repeatable)
 *
 * Nothing here logs: warnings and the error come back as text. */

typedef enum RootPassword {
        ROOT_PASSWORD_KEEP,   /* as the distribution leaves it */
        ROOT_PASSWORD_LOCKED, /* no password opens it */
        ROOT_PASSWORD_EMPTY,  /* none is asked for */
        ROOT_PASSWORD_PLAIN,  /* the text, hashed in the tree */
        ROOT_PASSWORD_HASHED, /* a crypt(3) hash, as it is */
        _ROOT_PASSWORD_MAX,
        _ROOT_PASSWORD_INVALID = -EINVAL,
} RootPassword;

DECLARE_STRING_TABLE_LOOKUP(root_password, RootPassword);

typedef struct MachineDefinition {
        char *path;         /* the file it was read from */
        char *distribution; /* "debian" */
        char *release;      /* "bookworm" */
        char **components;  /* NULL: the tool's default */
        char **mirrors;     /* as the tool takes them; NULL: from the host */
        char *variant;      /* NULL: the tool's default for containers */
        char **packages;
        char *hostname; /* NULL: no /etc/hostname */
        RootPassword root_password;
        char *root_password_text; /* PLAIN: the password; HASHED: the hash */
        char **post_install;      /* shell commands, in order */
} MachineDefinition;

void machine_definition_done(MachineDefinition *d);

/* Parses a definition: 0 with *ret and the warnings (unknown sections and
 * keys), or -EBADMSG with *ret_error ("FILE:LINE: what is wrong", or
 * "FILE: Missing Release=" for a required key), -ENOMEM. */
int machine_definition_parse_text(const char *text, const char *filename, MachineDefinition *ret, char ***ret_warnings,
                                  char **ret_error);
int machine_definition_parse(const char *path, MachineDefinition *ret, char ***ret_warnings, char **ret_error);

/* The installed places of definitions, in the order they are searched:
 * BERTH_CONFIG_DIR/machines (the administrator's), then
 * BERTH_DEFINITION_DIR (those berth ships). NULL-terminated. */
extern const char *const machine_definition_dirs[];

/* The file of definition def: a name (a valid machine name, not ending in
 * ".conf") is looked up as NAME.conf in dirs, first found; anything else
 * (a '/' in it, or ending in ".conf") is a path. 0 with the path, -ENOENT
 * when there is none, -EINVAL for a def that is neither, another -errno
 * when a place can't be looked at. */
int machine_definition_find(const char *const *dirs, const char *def, char **ret_path);
