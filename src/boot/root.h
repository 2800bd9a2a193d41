/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "boot-config.h"
#include "id128.h"
#include "layered-image.h"
#include "lock.h"
#include "loop-util.h"
#include "machine-identity.h"
#include "record.h"

/* The machine's root, once its tree is locked: the directory opened, or
 * the disk image's partitions put on loop devices and mounted, detached
 * (never in the host's mount table: the outer child attaches them in its
 * own mount namespace, and they go with the machine, their loop devices
 * with them, autoclear). Then the tree is checked (an OS with an init to
 * boot, or a /usr to run in) and the machine's UUID worked out. */

typedef struct MachineRoot {
        int fd;               /* the tree, for reading: the directory, or the image's mounted root */
        bool read_only;       /* the machine's root is mounted read-only */
        bool lower_read_only; /* the tree is only read: its changes go elsewhere, or nowhere */
        LoopDevice loop, usr_loop;
        int mount_fd, usr_mount_fd; /* a disk image's file systems (detached), or -EBADF */
        int overlay_fd;             /* -x: a detached tmpfs for the overlays' upper layers, or -EBADF */
        LayeredImage layered;       /* a layered image's layers and top (dir_fd -EBADF: none) */
        int view_fd;                /* a layered image's read-only overlay (detached), that fd is in */
        const char *layered_path;   /* the layered image (the identity's root), for messages */
        Id128 uuid;
        bool bind_machine_id; /* the tree's machine-id is empty: one is bound over it */
} MachineRoot;

#define MACHINE_ROOT_NULL                                                                                      \
        {                                                                                                      \
                .fd = -EBADF, .loop = LOOP_DEVICE_NULL, .usr_loop = LOOP_DEVICE_NULL, .mount_fd = -EBADF,      \
                .usr_mount_fd = -EBADF, .overlay_fd = -EBADF, .layered = LAYERED_IMAGE_NULL, .view_fd = -EBADF \
        }

int machine_setup_root(const BootConfig *c, const MachineIdentity *id, const MachineLocks *l, Record *rec,
                       MachineRoot *ret);
void machine_root_done(MachineRoot *r);

/* The mounts one boot attaches: copies of the detached ones that stay ours
 * for the next boot (--reboot=loop): of tree_fd (the idmapped tree, when
 * there is one) or the image's root, and of its /usr. -EBADF where there is
 * none. (A detached mount can be copied only from our own mount namespace,
 * not from the machine's.) */
int machine_root_copy_mounts(const MachineRoot *r, int tree_fd, int *ret_root_fd, int *ret_usr_fd);

/* A layered image's overlay, to boot (detached): its layers idmapped
 * through userns_fd (-EBADF: as they are), under its top, idmapped through
 * top_userns_fd (the same, and host root too: overlayfs makes its work
 * files as host root, who mounted it), or under nothing when the machine
 * doesn't write to the image (its changes go to an overlay of their own,
 * -x, or nowhere): then the top is the highest of the read-only layers. */
int machine_root_mount_layers(const MachineRoot *r, int userns_fd, int top_userns_fd, int *ret_fd);

/* Refuses (EPERM, logged) path where users of the host other than root can
 * reach it, as what ("the tree"), saying what to do, or instead. */
int machine_refuse_reachable(const char *path, const char *what, const char *instead);
