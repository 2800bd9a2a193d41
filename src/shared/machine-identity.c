/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image-store.h"
#include "layered-image.h"
#include "machine-identity.h"
#include "machine-name.h"
#include "path-util.h"
#include "string-util.h"

void machine_identity_done(MachineIdentity *id) {
        free(id->name);
        free(id->path);
        free(id->root);
        *id = (MachineIdentity) {};
}

static int find_tree(const char *directory, const char *image, const char *machine, const char *image_dir,
                     MachineIdentity *id, IdentityProblem *ret_problem) {
        int r;

        if (directory)
                id->path = strdup(directory);
        else if (image) {
                id->path = strdup(image);
                id->disk = true;
        } else if (machine) {
                r = image_find(image_dir, machine, &id->path, &id->disk);
                if (r < 0) {
                        *ret_problem = IDENTITY_NO_IMAGE;
                        return r;
                }
        } else if (!(id->path = getcwd(NULL, 0))) {
                *ret_problem = IDENTITY_NO_DIRECTORY;
                return -errno;
        }
        if (!id->path)
                return -ENOMEM;

        id->root = realpath(id->path, NULL);
        if (!id->root) {
                *ret_problem = IDENTITY_NO_DIRECTORY;
                return errno == ENOMEM ? -ENOMEM : -errno;
        }
        return 0;
}

int machine_identity_resolve(const char *directory, const char *image, const char *machine, const char *image_dir,
                             MachineIdentity *ret, IdentityProblem *ret_problem) {
        _cleanup_free_ char *dir = NULL;
        int r;

        *ret = (MachineIdentity) {};
        *ret_problem = _IDENTITY_PROBLEM_INVALID;

        r = find_tree(directory, image, machine, image_dir, ret, ret_problem);
        if (r < 0)
                return r;
        if (streq(ret->root, "/")) {
                *ret_problem = IDENTITY_HOST_ROOT;
                return -EPERM;
        }
        for (const char *p = ret->root; *p; p++)
                if ((unsigned char) *p < ' ') {
                        *ret_problem = IDENTITY_BAD_PATH;
                        return -EINVAL;
                }

        /* A disk image is named as given (a symlink's own name, as
         * systemd-nspawn does), a tree by where it really is. */
        if (machine)
                ret->name = strdup(machine);
        else if (path_split_last(ret->disk ? ret->path : ret->root, &dir, &ret->name) == -ENOMEM)
                return -ENOMEM;
        if (!ret->name)
                return -ENOMEM;
        ret->layered = !ret->disk && endswith(ret->root, MSTACK_SUFFIX);
        if (!machine && (ret->disk || ret->layered)) {
                char *e = endswith(ret->name, ret->disk ? ".raw" : MSTACK_SUFFIX);
                if (e && e != ret->name)
                        *e = '\0';
        }
        if (!machine_name_is_valid(ret->name)) {
                *ret_problem = IDENTITY_BAD_NAME;
                return -EINVAL;
        }
        return 0;
}
