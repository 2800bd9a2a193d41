/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* Loop devices for disk images. A device is set up with LOOP_CONFIGURE in
 * one step, with autoclear: the kernel detaches it once the last user (our
 * fd, a mount of it) is gone, so that nothing is left after a stop or a
 * SIGKILL, and no udev is waited for. */

typedef struct LoopDevice {
        int fd;     /* open on the device */
        int nr;     /* /dev/loopNR */
        char *path; /* "/dev/loopNR" */
        bool read_only;
} LoopDevice;

#define LOOP_DEVICE_NULL \
        { .fd = -EBADF, .nr = -1 }

/* Puts [offset, offset+size) of the file or block device open at fd on a
 * new loop device, read-only if asked; the offset and size the kernel took
 * are checked after the call. */
int loop_device_attach(int fd, uint64_t offset, uint64_t size, bool read_only, LoopDevice *ret);
/* Closes our fd: the device goes once nothing else uses it. */
void loop_device_done(LoopDevice *d);
