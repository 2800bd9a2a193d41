/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bootstrap-debian.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "ini-file.h"
#include "parse-util.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

#define SOURCES_FILE_MAX (1024 * 1024)
#define SOURCES_MAX 4096

const char *const debian_variants[] = {
        "extract", "custom",    "essential",   "apt",      "required", "minbase",
        "buildd",  "important", "debootstrap", "standard", NULL,
};

/* Releases without -updates and -security suites. */
static const char *const moving_releases[] = { "sid", "unstable", "experimental", "rc-buggy", NULL };

static void apt_source_done(AptSource *s) {
        strv_free(s->uris);
        strv_free(s->suites);
        strv_free(s->components);
        *s = (AptSource) {};
}

void apt_source_array_free(AptSource *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                apt_source_done(&s[i]);
        free(s);
}

/* Takes s (emptied) into the array, if it is whole. */
static int apt_source_add(AptSource *s, AptSource **sources, size_t *n) {
        AptSource *grown;

        if (!s->uris || !s->suites || *n >= SOURCES_MAX) {
                apt_source_done(s);
                return 0;
        }
        grown = reallocarray(*sources, *n + 1, sizeof **sources);
        if (!grown) {
                apt_source_done(s);
                return -ENOMEM;
        }
        *sources = grown;
        (*sources)[(*n)++] = *s;
        *s = (AptSource) {};
        return 0;
}

/* "deb [OPTIONS] URI SUITE [COMPONENT…]": the options (in brackets, maybe
 * with spaces) are skipped. */
static int parse_one_line(const char *line, AptSource *ret) {
        _cleanup_strv_free_ char **w = NULL;
        size_t i = 1;
        int r;

        r = ini_split_words(line, 0, SOURCES_MAX, &w);
        if (r < 0 || strv_length(w) < 3 || !streq(w[0], "deb"))
                return r == -ENOMEM ? r : 0;
        if (w[1][0] == '[') { /* options, up to the word that ends in ']' */
                while (w[i] && !endswith(w[i], "]"))
                        i++;
                if (!w[i])
                        return 0;
                i++;
        }
        if (strv_length(w + i) < 2)
                return 0;
        *ret = (AptSource) {
                .uris = strv_copy((char *[]) { w[i], NULL }),
                .suites = strv_copy((char *[]) { w[i + 1], NULL }),
                .components = strv_copy(w + i + 2),
        };
        if (!ret->uris || !ret->suites || !ret->components) {
                apt_source_done(ret);
                return -ENOMEM;
        }
        return 1;
}

static int parse_one_line_file(const char *text, AptSource **sources, size_t *n) {
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                AptSource s = {};
                int r;

                *strchrnul(l, '#') = '\0';
                r = parse_one_line(l, &s);
                if (r > 0)
                        r = apt_source_add(&s, sources, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A deb822 stanza in the making. */
typedef struct Stanza {
        AptSource source;
        bool deb, disabled;
        char ***field; /* the list a continuation line adds to; NULL: one we skip */
} Stanza;

static int stanza_end(Stanza *st, AptSource **sources, size_t *n) {
        int r = 0;

        if (st->deb && !st->disabled)
                r = apt_source_add(&st->source, sources, n);
        apt_source_done(&st->source);
        *st = (Stanza) {};
        return r;
}

static int stanza_add_words(char ***l, const char *v) {
        _cleanup_strv_free_ char **w = NULL;
        int r = ini_split_words(v, strv_length(*l), SOURCES_MAX, &w);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        STRV_FOREACH(x, w)
                if (strv_extend(l, *x) < 0)
                        return -ENOMEM;
        return 0;
}

static int stanza_field(Stanza *st, const char *key, const char *value) {
        _cleanup_strv_free_ char **types = NULL;

        st->field = NULL;
        if (strcasecmp(key, "Types") == 0) {
                if (stanza_add_words(&types, value) < 0)
                        return -ENOMEM;
                st->deb = strv_contains(types, "deb");
                return 0;
        }
        if (strcasecmp(key, "Enabled") == 0) {
                st->disabled = parse_boolean(value + strspn(value, INI_WHITESPACE)) == 0;
                return 0;
        }
        if (strcasecmp(key, "URIs") == 0)
                st->field = &st->source.uris;
        else if (strcasecmp(key, "Suites") == 0)
                st->field = &st->source.suites;
        else if (strcasecmp(key, "Components") == 0)
                st->field = &st->source.components;
        return st->field ? stanza_add_words(st->field, value) : 0;
}

static int parse_deb822(const char *text, AptSource **sources, size_t *n) {
        _cleanup_free_ char *copy = strdup(text);
        Stanza st = {};
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *l = copy, *next; l && r >= 0; l = next) {
                char *colon;

                next = strchr(l, '\n');
                if (next)
                        *next++ = '\0';
                if (l[0] == '#')
                        continue;
                if (isempty(strstrip_trailing(l))) {
                        r = stanza_end(&st, sources, n);
                        continue;
                }
                if (strchr(" \t", l[0])) { /* continues the field before */
                        if (st.field)
                                r = stanza_add_words(st.field, l);
                        continue;
                }
                colon = strchr(l, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                r = stanza_field(&st, l, colon + 1);
        }
        if (r >= 0)
                r = stanza_end(&st, sources, n);
        apt_source_done(&st.source);
        return r;
}

int apt_sources_parse(const char *text, bool deb822, AptSource **sources, size_t *n_sources) {
        return deb822 ? parse_deb822(text, sources, n_sources) : parse_one_line_file(text, sources, n_sources);
}

/* --- The host ---------------------------------------------------------------- */

void debian_host_done(DebianHost *h) {
        free(h->id);
        free(h->codename);
        strv_free(h->files);
        apt_source_array_free(h->sources, h->n_sources);
        *h = (DebianHost) {};
}

static int host_add_file(DebianHost *h, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t size, n;
        int r;

        r = read_full_file_at(AT_FDCWD, path, SOURCES_FILE_MAX, &text, &size);
        if (r < 0 || size == 0 || memchr(text, '\0', size))
                return r == -ENOMEM ? r : 0; /* what apt could not read either */
        n = h->n_sources;
        r = apt_sources_parse(text, endswith(path, ".sources"), &h->sources, &h->n_sources);
        if (r < 0)
                return r;
        /* Only files with a "deb" entry go to mmdebstrap: one with none
         * would give it a tree without sources. */
        return h->n_sources > n ? strv_extend(&h->files, path) : 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The .list and .sources files of sources.list.d, in apt's order (by name). */
static int host_add_dir(DebianHost *h, const char *dir) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;
        int r;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && (endswith(de->d_name, ".list") || endswith(de->d_name, ".sources")) &&
                    strv_extend(&names, de->d_name) < 0)
                        return -ENOMEM;
        if (names)
                qsort(names, strv_length(names), sizeof *names, compare_strings);
        STRV_FOREACH(name, names) {
                _cleanup_free_ char *path = path_join(dir, *name);

                if (!path)
                        return -ENOMEM;
                r = host_add_file(h, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

int debian_host_load(const char *root, DebianHost *ret) {
        _cleanup_(debian_host_done) DebianHost h = {};
        _cleanup_free_ char *list = path_join(root, "etc/apt/sources.list");
        _cleanup_free_ char *dir = path_join(root, "etc/apt/sources.list.d"), *os = NULL;
        _cleanup_close_ int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (!list || !dir)
                return -ENOMEM;
        if (fd >= 0 && os_release_read(fd, &os) >= 0) {
                if (env_text_get(os, "ID", &h.id) == -ENOMEM ||
                    env_text_get(os, "VERSION_CODENAME", &h.codename) == -ENOMEM)
                        return -ENOMEM;
        }
        r = host_add_file(&h, list);
        if (r >= 0)
                r = host_add_dir(&h, dir);
        if (r < 0)
                return r;
        *ret = h;
        h = (DebianHost) {};
        return 0;
}

/* --- Mirrors ----------------------------------------------------------------- */

/* The first URI of the host's sources of suite. */
static const char *host_uri_of(const DebianHost *h, const char *suite) {
        for (size_t i = 0; i < h->n_sources; i++)
                if (strv_contains(h->sources[i].suites, suite))
                        return h->sources[i].uris[0];
        return NULL;
}

/* "deb URI RELEASE[SUFFIX] COMPONENTS", where the host has a source of
 * its own release with that suffix. */
static int add_derived(char ***l, const DebianHost *h, const char *suffix, const char *release,
                       const char *components) {
        _cleanup_free_ char *host_suite = strjoin(h->codename, suffix);
        const char *uri;

        if (!host_suite)
                return -ENOMEM;
        uri = host_uri_of(h, host_suite);
        if (!uri)
                return 0;
        return strv_consume(l, strdup_printf("deb %s %s%s %s", uri, release, suffix, components));
}

static int derive_mirrors(const MachineDefinition *d, const DebianHost *h, char ***ret) {
        _cleanup_free_ char *components = d->components ? strv_join(d->components, " ") : strdup("main");
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!components)
                return -ENOMEM;
        r = add_derived(&l, h, "", d->release, components);
        if (r >= 0 && l && !strv_contains((char **) moving_releases, d->release)) {
                r = add_derived(&l, h, "-updates", d->release, components);
                if (r >= 0)
                        r = add_derived(&l, h, "-security", d->release, components);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int debian_mirrors(const MachineDefinition *d, char *const *override, const DebianHost *host, char ***ret) {
        char *const *given = override ?: d->mirrors;

        if (given || !streq_ptr(host->id, "debian") || !host->codename) {
                *ret = given ? strv_copy(given) : NULL;
                return given && !*ret ? -ENOMEM : 0;
        }
        if (streq(d->release, host->codename)) {
                *ret = host->files ? strv_copy(host->files) : NULL;
                return host->files && !*ret ? -ENOMEM : 0;
        }
        return derive_mirrors(d, host, ret);
}

/* --- mmdebstrap ---------------------------------------------------------------- */

const char *debian_root_password_env(const MachineDefinition *d) {
        switch (d->root_password) {
        case ROOT_PASSWORD_LOCKED:
                return "!*";
        case ROOT_PASSWORD_EMPTY:
                return "";
        case ROOT_PASSWORD_PLAIN:
        case ROOT_PASSWORD_HASHED:
                return d->root_password_text;
        default:
                return NULL;
        }
}

/* Root's password, set in the tree by its own chpasswd (hashed as the tree
 * hashes them), from the environment: never on a command line. */
static const char *root_password_hook(const MachineDefinition *d) {
        if (!debian_root_password_env(d))
                return NULL;
        return d->root_password == ROOT_PASSWORD_PLAIN
                       ? "--customize-hook=printf 'root:%s\\n' \"$BERTH_ROOT_PASSWORD\" | chroot \"$1\" chpasswd"
                       : "--customize-hook=printf 'root:%s\\n' \"$BERTH_ROOT_PASSWORD\" | chroot \"$1\" chpasswd "
                         "--encrypted";
}

/* "--option=a,b,c" */
static int add_list_option(char ***a, const char *option, char *const *values) {
        _cleanup_free_ char *joined = strv_join(values, ",");

        if (!joined)
                return -ENOMEM;
        return strv_consume(a, strjoin(option, joined));
}

int debian_bootstrap_argv(const MachineDefinition *d, char *const *mirrors, const char *target, char ***ret) {
        _cleanup_strv_free_ char **a = NULL;
        const char *variant = d->variant ?: "minbase", *hook = root_password_hook(d);
        int r = 0;

        if (!strv_contains((char **) debian_variants, variant))
                return -EINVAL;
        r = strv_extend(&a, "mmdebstrap");
        r = r ?: strv_extend(&a, "--mode=root");
        r = r ?: strv_extend(&a, "--format=directory");
        r = r ?: strv_consume(&a, strjoin("--variant=", variant));
        if (r >= 0 && d->components)
                r = add_list_option(&a, "--components=", d->components);
        if (r >= 0 && d->packages)
                r = add_list_option(&a, "--include=", d->packages);
        if (r >= 0 && hook)
                r = strv_extend(&a, hook);
        STRV_FOREACH(c, d->post_install)
                if (r >= 0)
                        r = strv_consume(&a, strjoin("--customize-hook=", *c));
        r = r ?: strv_extend(&a, d->release);
        r = r ?: strv_extend(&a, target);
        STRV_FOREACH(m, (char **) mirrors)
                if (r >= 0)
                        r = strv_extend(&a, *m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}
