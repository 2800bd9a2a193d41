/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fd-util.h"
#include "image-store.h"
#include "layered-image.h"
#include "log.h"
#include "machine-name.h"
#include "path-util.h"
#include "progress.h"
#include "string-util.h"
#include "verb-images.h"

/* What a killed command left, its lock files and the temporary of an
 * image it was making: every image verb looks for it. */
void image_store_sweep(void) {
        image_remove_stale_locks(BERTH_IMAGE_DIR);
        (void) image_remove_stale_temporaries(BERTH_IMAGE_DIR);
}

int image_find_logged(const char *name, Image *ret) {
        int r;

        image_store_sweep();
        if (!image_name_is_valid(name))
                return log_usage("Invalid image name '%s'.", name);
        r = image_store_find(BERTH_IMAGE_DIR, name, ret);
        if (r == -ENOENT)
                return log_error_errno(r, "No image '%s'.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to look for image '%s': %m", name);
        return 0;
}

int image_claim_new_name(const char *name, LockFile *ret) {
        Image other = {};
        int r;

        if (!machine_name_is_valid(name))
                return log_usage("Invalid image name '%s'.", name);
        r = image_name_lock(name, ret);
        if (r == -EBUSY)
                return log_error_errno(r, "Image '%s' is being made by someone else.", name);
        if (r < 0)
                return log_error_errno(r, "Failed to lock image name '%s': %m", name);
        r = image_store_find(BERTH_IMAGE_DIR, name, &other);
        if (r >= 0) {
                image_done(&other);
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST), "Image '%s' exists already.", name);
        }
        return r == -ENOENT ? 0 : log_error_errno(r, "Failed to look for image '%s': %m", name);
}

static void progress_written(uint64_t bytes, void *userdata) {
        progress_add(userdata, bytes);
}

/* A new tree gets an empty machine-id: two copies of one image never share
 * one (systemd gives the machine a new one at its first boot). */
static void forget_machine_id(int dir_fd, const char *name) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_close_ int etc = fd >= 0 ? openat(fd, "etc", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : -EBADF;
        _cleanup_close_ int id = etc >= 0 ? openat(etc, "machine-id", O_PATH | O_CLOEXEC | O_NOFOLLOW) : -EBADF;
        _cleanup_close_ int file = -EBADF;
        struct stat st;

        /* Looked at before it is opened: a device node there is the host's. */
        if (id < 0 || fstat(id, &st) < 0 || !S_ISREG(st.st_mode))
                return;
        file = fd_reopen(id, O_WRONLY | O_TRUNC | O_NOCTTY);
        if (file < 0)
                log_debug_errno(file, "Failed to empty the machine-id of the new image, ignoring: %m");
}

int image_make(const ImageSource *s, ImageType type, const char *new_name, bool read_only) {
        bool raw = type == IMAGE_RAW;
        _cleanup_free_ char *target_name = strjoin(new_name, raw ? ".raw" : type == IMAGE_MSTACK ? MSTACK_SUFFIX : "");
        _cleanup_free_ char *tmp = image_temporary_path(BERTH_IMAGE_DIR, new_name), *error = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        const char *tmp_name;
        Progress p;
        int r;

        if (!target_name || !tmp)
                return log_oom();
        r = mkdir_p(BERTH_IMAGE_DIR, 0700);
        dir_fd = r < 0 ? r : open(BERTH_IMAGE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(r < 0 ? r : -errno, "Failed to open %s: %m", BERTH_IMAGE_DIR);
        image_store_sweep();
        tmp_name = strrchr(tmp, '/') + 1;

        progress_init(&p, s->done ? STDERR_FILENO : -EBADF, s->total);
        r = s->fill(s, dir_fd, tmp_name, &(CopyProgress) { .written = progress_written, .userdata = &p }, &error);
        progress_end(&p, r >= 0, s->done);
        if (r >= 0) {
                /* A raw image is marked read-only before it is visible (the
                 * immutable top of a directory can't be renamed: marked once
                 * in place, below). A clone of a read-only one is writable. */
                if (type == IMAGE_DIRECTORY)
                        forget_machine_id(dir_fd, tmp_name);
                else if (raw && fchmodat(dir_fd, tmp_name, read_only ? 0444 : 0644, 0) < 0)
                        r = -errno;
        }
        if (r >= 0) {
                if (renameat2(dir_fd, tmp_name, dir_fd, target_name, RENAME_NOREPLACE) < 0)
                        r = -errno;
        }
        if (r < 0) {
                (void) image_remove_tree(dir_fd, tmp_name);
                return error ? log_error_errno(r, "Failed to make image '%s', %s", new_name, error)
                             : log_error_errno(r, "Failed to make image '%s': %m", new_name);
        }
        if (read_only && !raw) {
                Image i = {};

                r = image_store_find(BERTH_IMAGE_DIR, new_name, &i);
                if (r >= 0)
                        r = image_set_read_only(&i, true);
                image_done(&i);
                if (r < 0) {
                        /* Not left writable when it was asked read-only. */
                        (void) image_remove_tree(dir_fd, target_name);
                        return log_error_errno(r, "Failed to mark image '%s' read-only: %m", new_name);
                }
        }
        return 0;
}
