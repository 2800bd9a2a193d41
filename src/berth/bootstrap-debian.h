/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "machine-definition.h"

/* Debian trees, built by mmdebstrap (`berth create`, Distribution=debian).
 *
 * Where the packages come from, first that applies:
 *   1. --mirror, else the definition's Mirror=: given to mmdebstrap as they
 *      are (a URI, a "deb …" line, or a sources file);
 *   2. a definition of the host's own release (os-release ID= and
 *      VERSION_CODENAME=): the host's apt sources files, as apt reads them
 *      (its updates and security suites with them);
 *   3. another release: "deb URI RELEASE COMPONENTS" with the URI of the
 *      host's source of its own release, plus RELEASE-updates and
 *      RELEASE-security from the host's sources of those suites where the
 *      host has them and the release does too (unstable, sid and
 *      experimental have neither);
 *   4. none at all (the host is no Debian): mmdebstrap's default mirror.
 * Nothing here logs. */

/* An enabled "deb" entry of apt's sources, either format. */
typedef struct AptSource {
        char **uris;
        char **suites;
        char **components;
} AptSource;

void apt_source_array_free(AptSource *s, size_t n);

/* Adds the enabled "deb" entries of text (a one-line sources.list, or a
 * deb822 .sources file) to *sources. Lines it can't read are skipped, as
 * apt would refuse them itself. */
int apt_sources_parse(const char *text, bool deb822, AptSource **sources, size_t *n_sources);

typedef struct DebianHost {
        char *id;       /* os-release ID=; NULL: unknown */
        char *codename; /* VERSION_CODENAME= */
        char **files;   /* its apt sources files */
        AptSource *sources;
        size_t n_sources;
} DebianHost;

void debian_host_done(DebianHost *h);
/* The host's os-release and apt sources (in root, "/" but for tests). */
int debian_host_load(const char *root, DebianHost *ret);

/* The mirror arguments of mmdebstrap for d: override (--mirror) if any,
 * else as above. *ret may be NULL (mmdebstrap's default). */
int debian_mirrors(const MachineDefinition *d, char *const *override, const DebianHost *host, char ***ret);

/* The command line of mmdebstrap that builds d into target from mirrors
 * (not --quiet: where its output is not shown, the one line that says why
 * it failed is picked from it, and only apt says which package is
 * missing). -EINVAL for a Variant= mmdebstrap lacks. The root
 * password is set by a hook from $BERTH_ROOT_PASSWORD, whose value
 * debian_root_password_env() gives (NULL: none to set). */
int debian_bootstrap_argv(const MachineDefinition *d, char *const *mirrors, const char *target, char ***ret);
const char *debian_root_password_env(const MachineDefinition *d);

/* mmdebstrap's variants, NULL-terminated, for messages. */
extern const char *const debian_variants[];
