/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"
#include "user-db.h"

int user_entry_root(UserEntry *ret) {
        *ret = (UserEntry) {
                .name = strdup("root"),
                .home = strdup("/root"),
                .shell = strdup("/bin/sh"),
        };
        if (!ret->name || !ret->home || !ret->shell) {
                user_entry_done(ret);
                return -ENOMEM;
        }
        return 0;
}

void user_entry_done(UserEntry *u) {
        free(u->name);
        free(u->home);
        free(u->shell);
        *u = (UserEntry) {};
}

/* Splits one line into at most n ':'-separated fields, in place. */
static size_t split_fields(char *line, char **fields, size_t n) {
        size_t k = 0;

        line[strcspn(line, "\n")] = '\0';
        for (char *p = line; k < n;) {
                fields[k++] = p;
                p = strchr(p, ':');
                if (!p)
                        break;
                *p++ = '\0';
        }
        return k;
}

int user_db_find_user(const char *passwd_path, const char *user, UserEntry *ret) {
        _cleanup_fclose_ FILE *f = fopen(passwd_path, "re");
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        uint32_t want_uid;
        bool by_uid;

        if (!f)
                return -errno;
        by_uid = safe_atou32(user, 10, &want_uid) >= 0;

        while (getline(&line, &allocated, f) >= 0) {
                char *fields[7];
                uint32_t uid, gid;

                if (split_fields(line, fields, 7) < 7)
                        continue;
                if (safe_atou32(fields[2], 10, &uid) < 0 || safe_atou32(fields[3], 10, &gid) < 0)
                        continue;
                if (by_uid ? uid != want_uid : !streq(fields[0], user))
                        continue;

                UserEntry u = {
                        .name = strdup(fields[0]),
                        .uid = uid,
                        .gid = gid,
                        .home = strdup(isempty(fields[5]) ? "/" : fields[5]),
                        .shell = strdup(isempty(fields[6]) ? "/bin/sh" : fields[6]),
                };
                if (!u.name || !u.home || !u.shell) {
                        user_entry_done(&u);
                        return -ENOMEM;
                }
                *ret = u;
                return 0;
        }
        return -ESRCH;
}

int user_db_supplementary_groups(const char *group_path, const char *user, gid_t primary, gid_t **ret, size_t *ret_n) {
        _cleanup_fclose_ FILE *f = fopen(group_path, "re");
        _cleanup_free_ char *line = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        size_t allocated = 0, n = 0;

        if (!f && errno != ENOENT)
                return -errno;

        while (f && getline(&line, &allocated, f) >= 0) {
                char *fields[4], *members;
                uint32_t gid;
                bool member = false;

                if (split_fields(line, fields, 4) < 4 || safe_atou32(fields[2], 10, &gid) < 0 || gid == primary)
                        continue;
                members = fields[3];
                for (char *m = strtok(members, ","); m; m = strtok(NULL, ","))
                        if (streq(m, user))
                                member = true;
                if (!member)
                        continue;

                gid_t *t = reallocarray(groups, n + 1, sizeof(gid_t));
                if (!t)
                        return -ENOMEM;
                groups = t;
                groups[n++] = gid;
        }

        *ret = TAKE_PTR(groups);
        *ret_n = n;
        return 0;
}

int user_db_has_id_in_range(const char *path, bool is_group_file, uid_t base, uid_t count) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;

        if (!f)
                return errno == ENOENT ? 0 : -errno;

        while (getline(&line, &allocated, f) >= 0) {
                char *fields[4];
                size_t k = split_fields(line, fields, 4);

                /* passwd: uid and gid in fields 3 and 4; group: gid in field 3 */
                for (size_t i = 2; i < (is_group_file ? 3 : 4) && i < k; i++) {
                        uint32_t id;

                        if (safe_atou32(fields[i], 10, &id) >= 0 && id >= base &&
                            (uint64_t) id < (uint64_t) base + count)
                                return 1;
                }
        }
        return 0;
}
