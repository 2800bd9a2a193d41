/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ini-file.h"
#include "machine-definition.h"
#include "machine-name.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

/* Definitions are small, and their lists short. */
#define DEFINITION_FILE_MAX (256 * 1024)
#define DEFINITION_LIST_MAX 4096

/* clang-format off */
static const char *const root_password_table[_ROOT_PASSWORD_MAX] = {
        [ROOT_PASSWORD_KEEP] = "keep",
        [ROOT_PASSWORD_LOCKED] = "locked",
        [ROOT_PASSWORD_EMPTY] = "empty",
        [ROOT_PASSWORD_PLAIN] = "plain",
        [ROOT_PASSWORD_HASHED] = "hashed",
};
/* clang-format on */

DEFINE_STRING_TABLE_LOOKUP(root_password, RootPassword);

const char *const machine_definition_dirs[] = {
        BERTH_CONFIG_DIR "/machines",
        BERTH_DEFINITION_DIR,
        NULL,
};

void machine_definition_done(MachineDefinition *d) {
        free(d->path);
        free(d->distribution);
        free(d->release);
        strv_free(d->components);
        strv_free(d->mirrors);
        free(d->variant);
        strv_free(d->packages);
        free(d->hostname);
        free(d->root_password_text);
        strv_free(d->post_install);
        *d = (MachineDefinition) {};
}

/* --- Values ------------------------------------------------------------------ */

/* A name as a tool takes it on its command line: letters, digits and
 * ".+-_:~/" (a release, a variant, a component, a package with ":ARCH"),
 * not starting with '-' (it would be taken for an option). */
static bool word_is_valid(const char *w) {
        if (isempty(w) || w[0] == '-' || strlen(w) > 256)
                return false;
        for (const char *c = w; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_:~/", *c))
                        return false;
        return true;
}

/* A setting that is one word. */
static int parse_word(MachineDefinition *d, size_t offset, const char *v) {
        if (!word_is_valid(v))
                return -EINVAL;
        return free_and_strdup((char **) ((char *) d + offset), v);
}

/* A list of words, separated by white space or commas; repeated keys add
 * to the list, an empty one empties it. */
static int parse_words(MachineDefinition *d, size_t offset, const char *v) {
        char ***l = (char ***) ((char *) d + offset);
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *spaced = strdup(v);
        int r;

        if (!spaced)
                return -ENOMEM;
        if (isempty(v)) {
                *l = strv_free(*l);
                return 0;
        }
        for (char *c = spaced; *c; c++)
                if (*c == ',')
                        *c = ' ';
        r = ini_split_words(spaced, strv_length(*l), DEFINITION_LIST_MAX, &words);
        if (r < 0)
                return r;
        STRV_FOREACH(w, words)
                if (!word_is_valid(*w))
                        return -EINVAL;
        STRV_FOREACH(w, words)
                if (strv_extend(l, *w) < 0)
                        return -ENOMEM;
        return 0;
}

/* A list of whole lines (commands, mirrors): each key adds one, an empty
 * one empties the list. */
static int parse_lines(MachineDefinition *d, size_t offset, const char *v) {
        char ***l = (char ***) ((char *) d + offset);

        if (isempty(v)) {
                *l = strv_free(*l);
                return 0;
        }
        if (strv_length(*l) >= DEFINITION_LIST_MAX)
                return -E2BIG;
        return strv_extend(l, v);
}

/* An empty one: none. */
static int parse_hostname(MachineDefinition *d, size_t offset, const char *v) {
        if (isempty(v)) {
                d->hostname = mfree(d->hostname);
                return 0;
        }
        if (!hostname_is_valid(v))
                return -EINVAL;
        return free_and_strdup(&d->hostname, v);
}

/* locked, empty, keep, plain:TEXT or hashed:HASH. What follows the colon
 * becomes a line "root:…" for chpasswd: no newline, and a hash no ':'. */
static int parse_root_password(MachineDefinition *d, size_t offset, const char *v) {
        const char *text = NULL;
        RootPassword p;

        if ((text = startswith(v, "plain:")))
                p = ROOT_PASSWORD_PLAIN;
        else if ((text = startswith(v, "hashed:")))
                p = ROOT_PASSWORD_HASHED;
        else
                p = root_password_from_string(v);
        if (p < 0 || IN_SET(p, ROOT_PASSWORD_PLAIN, ROOT_PASSWORD_HASHED) != !!text)
                return -EINVAL;
        if (text && (isempty(text) || strpbrk(text, "\n\r") || (p == ROOT_PASSWORD_HASHED && strchr(text, ':'))))
                return -EINVAL;
        if (free_and_strdup(&d->root_password_text, text) < 0)
                return -ENOMEM;
        d->root_password = p;
        return 0;
}

/* --- Keys -------------------------------------------------------------------- */

typedef struct DefinitionKey {
        const char *section;
        const char *name;
        int (*parse)(MachineDefinition *d, size_t offset, const char *value);
        size_t offset;
        const char *expected;
} DefinitionKey;

#define WORD "expected a word of letters, digits and .+-_:~/"

static const DefinitionKey definition_keys[] = {
        /* clang-format off */
        { "Distribution", "Distribution", parse_word,          offsetof(MachineDefinition, distribution), WORD },
        { "Distribution", "Release",      parse_word,          offsetof(MachineDefinition, release),      WORD },
        { "Distribution", "Components",   parse_words,         offsetof(MachineDefinition, components),   "expected words" },
        { "Distribution", "Mirror",       parse_lines,         offsetof(MachineDefinition, mirrors),      "expected a mirror" },
        { "Content",      "Variant",      parse_word,          offsetof(MachineDefinition, variant),      WORD },
        { "Content",      "Packages",     parse_words,         offsetof(MachineDefinition, packages),     "expected package names" },
        { "Content",      "Hostname",     parse_hostname,      0,                                         "expected a valid hostname" },
        { "Content",      "RootPassword", parse_root_password, 0,                                         "expected locked, empty, keep, plain:TEXT or hashed:HASH" },
        { "Content",      "PostInstall",  parse_lines,         offsetof(MachineDefinition, post_install), "expected a command" },
        /* clang-format on */
};

static int definition_section(IniParser *ip, const char *section, void *userdata) {
        return streq(section, "Distribution") || streq(section, "Content");
}

static int definition_assignment(IniParser *ip, const char *section, const char *key, const char *value,
                                 void *userdata) {
        for (size_t i = 0; i < ELEMENTSOF(definition_keys); i++) {
                const DefinitionKey *k = &definition_keys[i];
                int r;

                if (!streq(k->section, section) || !streq(k->name, key))
                        continue;
                r = k->parse(userdata, k->offset, value);
                if (r == -ENOMEM)
                        return r;
                if (r == -E2BIG)
                        return ini_fail(ip, "Too many values for %s= (at most %d)", k->name, DEFINITION_LIST_MAX);
                if (r < 0)
                        return ini_fail(ip, "Invalid value '%.200s' for %s=: %s", value, k->name, k->expected);
                return 0;
        }
        return ini_warn(ip, "Unknown key %.200s= in [%s], ignoring", key, section);
}

static const IniHandler definition_syntax = {
        .section = definition_section,
        .assignment = definition_assignment,
};

int machine_definition_parse_text(const char *text, const char *filename, MachineDefinition *ret, char ***ret_warnings,
                                  char **ret_error) {
        _cleanup_(machine_definition_done) MachineDefinition d = {};
        _cleanup_strv_free_ char **warnings = NULL;
        const char *missing;
        int r;

        r = ini_parse_text(text, filename, &definition_syntax, &d, &warnings, ret_error);
        if (r < 0)
                return r;
        missing = !d.distribution ? "Distribution=" : !d.release ? "Release=" : NULL;
        if (missing) {
                *ret_error = strdup_printf("%s: Missing %s in [Distribution]", filename, missing);
                return *ret_error ? -EBADMSG : -ENOMEM;
        }
        d.path = strdup(filename);
        if (!d.path)
                return -ENOMEM;
        *ret = d;
        d = (MachineDefinition) {};
        *ret_warnings = TAKE_PTR(warnings);
        return 0;
}

int machine_definition_parse(const char *path, MachineDefinition *ret, char ***ret_warnings, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = ini_read_file(path, DEFINITION_FILE_MAX, &text, ret_error);
        if (r < 0)
                return r;
        return machine_definition_parse_text(text, path, ret, ret_warnings, ret_error);
}

/* --- Lookup ------------------------------------------------------------------ */

int machine_definition_find(const char *const *dirs, const char *def, char **ret_path) {
        _cleanup_free_ char *file = NULL;
        struct stat st;

        if (isempty(def))
                return -EINVAL;
        if (strchr(def, '/') || endswith(def, ".conf")) {
                if (stat(def, &st) < 0)
                        return errno == ENOTDIR ? -ENOENT : -errno;
                if (S_ISDIR(st.st_mode))
                        return -EISDIR;
                *ret_path = strdup(def);
                return *ret_path ? 0 : -ENOMEM;
        }
        if (!machine_name_is_valid(def))
                return -EINVAL;
        file = strjoin(def, ".conf");
        if (!file)
                return -ENOMEM;
        for (const char *const *d = dirs; *d; d++) {
                _cleanup_free_ char *path = path_join(*d, file);

                if (!path)
                        return -ENOMEM;
                if (stat(path, &st) >= 0) {
                        *ret_path = TAKE_PTR(path);
                        return 0;
                }
                if (!IN_SET(errno, ENOENT, ENOTDIR))
                        return -errno;
        }
        return -ENOENT;
}
