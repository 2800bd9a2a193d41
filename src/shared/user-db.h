/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* Users and groups read straight from passwd(5) and group(5) files, never
 * through NSS: the files may belong to a machine, and loading a machine's
 * NSS modules into berth would run the machine's code with our privileges. */

typedef struct UserEntry {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;
        char *shell;
} UserEntry;

void user_entry_done(UserEntry *u);
/* root as a system without a user database knows it: 0, /root, /bin/sh. */
int user_entry_root(UserEntry *ret);

/* Finds a user by name, or by number when "user" is all digits. */
int user_db_find_user(const char *passwd_path, const char *user, UserEntry *ret);

/* The groups listing user as a member, besides its primary group. */
int user_db_supplementary_groups(const char *group_path, const char *user, gid_t primary, gid_t **ret, size_t *ret_n);

/* Whether any entry in a passwd (uid and gid fields) or group (gid field)
 * file holds an ID in [base, base + count). A missing file holds none. */
int user_db_has_id_in_range(const char *path, bool is_group_file, uid_t base, uid_t count);
