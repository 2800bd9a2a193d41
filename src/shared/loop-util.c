/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

#include "fd-util.h"
#include "loop-util.h"
#include "string-util.h"

void loop_device_done(LoopDevice *d) {
        d->fd = safe_close(d->fd);
        free(d->path);
        *d = (LoopDevice) LOOP_DEVICE_NULL;
}

/* What the kernel took is what we asked for (some kernels ignored the
 * offset and size limit of LOOP_CONFIGURE), and the device's size is the
 * partition's. */
static int verify(int loop_fd, uint64_t offset, uint64_t size) {
        struct loop_info64 info;
        uint64_t bytes;

        if (ioctl(loop_fd, LOOP_GET_STATUS64, &info) < 0)
                return -errno;
        if (info.lo_offset != offset || info.lo_sizelimit != size || !(info.lo_flags & LO_FLAGS_AUTOCLEAR))
                return -EIO;
        if (ioctl(loop_fd, BLKGETSIZE64, &bytes) < 0)
                return -errno;
        return bytes == size ? 0 : -EIO;
}

/* One try: a free device, configured. -EBUSY when another process took the
 * device between our asking for it and configuring it. */
static int try_attach(int control, int fd, const struct loop_config *config, LoopDevice *ret) {
        _cleanup_close_ int loop = -EBADF;
        char path[STRLEN("/dev/loop") + DECIMAL_STR_MAX(int)];
        int nr;

        nr = ioctl(control, LOOP_CTL_GET_FREE);
        if (nr < 0)
                return -errno;
        snprintf(path, sizeof path, "/dev/loop%i", nr);
        loop = open(path, (config->info.lo_flags & LO_FLAGS_READ_ONLY ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
        if (loop < 0)
                return -errno;
        if (ioctl(loop, LOOP_CONFIGURE, config) < 0)
                return -errno;
        ret->fd = TAKE_FD(loop);
        ret->nr = nr;
        ret->path = strdup(path);
        return ret->path ? 0 : -ENOMEM;
}

int loop_device_attach(int fd, uint64_t offset, uint64_t size, bool read_only, LoopDevice *ret) {
        _cleanup_(loop_device_done) LoopDevice d = LOOP_DEVICE_NULL;
        _cleanup_close_ int control = -EBADF;
        struct loop_config config = {
                .fd = (uint32_t) fd,
                .info = {
                        .lo_offset = offset,
                        .lo_sizelimit = size,
                        .lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0),
                },
        };
        int r;

        control = open("/dev/loop-control", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (control < 0)
                return -errno;
        for (int i = 0;; i++) {
                r = try_attach(control, fd, &config, &d);
                if (r != -EBUSY || i >= 64)
                        break;
                (void) nanosleep(&(struct timespec) { .tv_nsec = (i + 1) * 1000 * 1000 }, NULL);
        }
        if (r < 0)
                return r;
        r = verify(d.fd, offset, size);
        if (r < 0)
                return r;
        d.read_only = read_only;
        *ret = d;
        d = (LoopDevice) LOOP_DEVICE_NULL;
        return 0;
}
