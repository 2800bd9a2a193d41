/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Disk images (-i/--image=): which partitions of a raw image hold the OS,
 * found as the Discoverable Partitions Specification says, with libblkid
 * (the one file that uses it), and how they are mounted.
 *
 * The root partition is the one whose GPT type is root-ARCH for the host's
 * architecture, skipping those marked no-auto; of several, the one whose
 * label is the newest version (strverscmp()). Without one, a single generic
 * Linux data partition is the root, as systemd-dissect takes it. A
 * usr-ARCH partition, when there is one, is mounted on /usr. An image
 * without a partition table is one file system, the root. */

typedef struct DissectedPartition {
        bool found;
        int partno;            /* 1…; 0: the whole image (no partition table) */
        uint64_t offset, size; /* in bytes */
        char *fstype;          /* as libblkid names it: ext4, btrfs, xfs… */
        char *label;           /* the GPT partition's name, or NULL */
        bool read_only;        /* the GPT read-only flag */
} DissectedPartition;

typedef struct DissectedImage {
        DissectedPartition root, usr;
        uint64_t size; /* of the image, in bytes */
} DissectedImage;

#define DISSECTED_IMAGE_NULL \
        {}

/* Probes the image open at fd (a regular file or a block device). On
 * failure returns -errno and, where the image is at fault, a sentence
 * saying what is wrong with it in *ret_why (e.g. "it has no root partition
 * for x86-64"); -EOPNOTSUPP when libblkid is missing. */
int dissect_image(int fd, DissectedImage *ret, char **ret_why);
void dissected_image_done(DissectedImage *d);

/* Mounts the file system of a partition put on the block device at
 * device_path, detached (fsmount()), read-only if asked, never with device
 * nodes; the mount's fd in *ret_mount_fd. */
int dissected_partition_mount(const DissectedPartition *p, const char *device_path, bool read_only, int *ret_mount_fd);

/* The architecture the root partition type is chosen for ("x86-64"). */
const char *dissect_architecture(void) _const_;
