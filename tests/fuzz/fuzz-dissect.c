/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dissect.h"
#include "fd-util.h"
#include "fuzz.h"
#include "string-util.h"

/* A disk image is untrusted input: whatever its bytes, dissect_image()
 * either says what is wrong with it, or picks a root partition that lies
 * inside it and holds a file system berth mounts. */
static void check_partition(const DissectedPartition *p, uint64_t size) {
        if (!p->found)
                return;
        if (p->size == 0 || p->offset > size || p->size > size - p->offset || !p->fstype)
                abort();
        static const char *const known[] = { "ext4", "ext3", "ext2", "btrfs", "xfs", "erofs", "squashfs", "vfat" };
        bool ok = false;

        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                ok = ok || streq(p->fstype, known[i]);
        if (!ok)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(dissected_image_done) DissectedImage d = DISSECTED_IMAGE_NULL;
        _cleanup_free_ char *why = NULL;
        _cleanup_close_ int fd = memfd_create("fuzz-dissect", MFD_CLOEXEC);
        int r;

        if (fd < 0 || write(fd, data, size) != (ssize_t) size)
                return 0;
        r = dissect_image(fd, &d, &why);
        if (r == -EOPNOTSUPP && !why)
                return 0; /* no libblkid */
        if (r < 0)
                return 0;
        if (why || !d.root.found || d.size != size)
                abort();
        check_partition(&d.root, size);
        check_partition(&d.usr, size);
        return 0;
}
