/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fuzz.h"
#include "rm-rf.h"
#include "string-util.h"
#include "tar-util.h"

/* A tarball is untrusted input: whatever its bytes, tar_unpack() writes
 * only below its target. The target is the one entry of a scratch
 * directory; afterwards that is still all the scratch directory holds. */
static bool only_target(int scratch_fd) {
        _cleanup_close_ int fd = openat(scratch_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        bool ok = true;

        if (!d)
                return false;
        fd = -EBADF; /* the DIR has it */
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && !streq(de->d_name, "target"))
                        ok = false;
        closedir(d);
        return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_close_ int in = memfd_create("fuzz-tar", MFD_CLOEXEC), scratch = -EBADF, target = -EBADF;
        _cleanup_free_ char *error = NULL;
        char dir[] = "/tmp/berth-fuzz-tar-XXXXXX";

        if (in < 0 || write(in, data, size) != (ssize_t) size || lseek(in, 0, SEEK_SET) < 0)
                return 0;
        if (!mkdtemp(dir))
                return 0;
        scratch = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (scratch >= 0 && mkdirat(scratch, "target", 0755) >= 0)
                target = openat(scratch, "target", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (target >= 0)
                (void) tar_unpack(in, target, 64 * 1024 * 1024, NULL, &error);
        if (scratch >= 0 && !only_target(scratch))
                abort();
        (void) rm_rf_path(dir);
        return 0;
}
