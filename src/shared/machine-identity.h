/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Which machine `berth boot` and `berth run` are about: its name and its
 * tree, worked out once, by the same rules for the settings files and for
 * the supervisor. Everything else named after the machine comes from its
 * name (machine-paths.h). */

typedef struct MachineIdentity {
        char *name;   /* -M, else the tree's (or disk image's, without .raw) last component */
        char *path;   /* the tree as found: -D or -i, the image NAME for -M alone, else the working directory */
        char *root;   /* the same, absolute and without symlinks */
        bool disk;    /* root is a disk image (a file or a block device), not a directory */
        bool layered; /* root is a layered image (NAME.mstack: layered-image.h), booted as its overlay */
} MachineIdentity;

/* What is wrong when a machine's identity can't be worked out. */
typedef enum IdentityProblem {
        IDENTITY_NO_IMAGE,     /* -M alone: no such image (path: NULL) */
        IDENTITY_NO_DIRECTORY, /* the tree can't be resolved (path: as given) */
        IDENTITY_HOST_ROOT,    /* the tree is the host's "/" */
        IDENTITY_BAD_PATH,     /* the tree's path has control characters */
        IDENTITY_BAD_NAME,     /* no -M, and the tree's name is no machine name */
        _IDENTITY_PROBLEM_MAX,
        _IDENTITY_PROBLEM_INVALID = -EINVAL,
} IdentityProblem;

/* The tree is directory, else the disk image, else the image machine in
 * image_dir, else the working directory; the name is machine, else the
 * tree's last component (a disk image's without ".raw", a layered image's
 * without ".mstack").
 * On failure returns -errno and the problem in *ret_problem, with what was
 * found so far left in ret (for the message): call machine_identity_done()
 * either way. */
int machine_identity_resolve(const char *directory, const char *image, const char *machine, const char *image_dir,
                             MachineIdentity *ret, IdentityProblem *ret_problem);
void machine_identity_done(MachineIdentity *id);
