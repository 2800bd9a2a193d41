/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "check.h"
#include "chase.h"
#include "custom-mount.h"
#include "dissect.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "log.h"
#include "mount-util.h"
#include "path-util.h"
#include "rm-rf.h"
#include "root.h"
#include "string-util.h"

void machine_root_done(MachineRoot *r) {
        r->fd = safe_close(r->fd);
        r->mount_fd = safe_close(r->mount_fd);
        r->usr_mount_fd = safe_close(r->usr_mount_fd);
        r->overlay_fd = safe_close(r->overlay_fd);
        r->view_fd = safe_close(r->view_fd);
        layered_image_done(&r->layered);
        loop_device_done(&r->loop);
        loop_device_done(&r->usr_loop);
}

int machine_root_copy_mounts(const MachineRoot *r, int tree_fd, int *ret_root_fd, int *ret_usr_fd) {
        _cleanup_close_ int root = -EBADF, usr = -EBADF;
        int k = 0;

        if (tree_fd < 0)
                tree_fd = r->mount_fd;
        if (tree_fd >= 0)
                k = mount_clone_tree(tree_fd, NULL, true, &root);
        if (k >= 0 && r->usr_mount_fd >= 0)
                k = mount_clone_tree(r->usr_mount_fd, NULL, true, &usr);
        if (k < 0)
                return log_error_errno(k, "Failed to copy the mounts of the machine's root: %m");
        *ret_root_fd = TAKE_FD(root);
        *ret_usr_fd = TAKE_FD(usr);
        return 0;
}

/* The tree's machine ID, when it has a valid one. */
static int read_tree_machine_id(int root_fd, bool *ret_present, Id128 *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *s = NULL;
        int r;

        *ret_present = false;
        r = open_in_root(root_fd, "/etc/machine-id", O_RDONLY | O_NOCTTY, 0, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        *ret_present = true;
        if (read_full_fd(fd, 4096, &s, NULL) < 0)
                return 0;
        strstrip_trailing(s);
        return id128_from_string(s, ret) >= 0 && !id128_is_null(*ret) ? 1 : 0;
}

/* The machine's UUID: --uuid, else the tree's machine ID, else new. An
 * empty machine-id in the tree gets one bound over it, never written. */
static int pick_uuid(const BootConfig *c, MachineRoot *f) {
        bool present = false;
        Id128 tree_id = {};
        int r;

        r = read_tree_machine_id(f->fd, &present, &tree_id);
        if (c->set_by & SETTING_UUID)
                f->uuid = c->uuid;
        else if (r > 0)
                f->uuid = tree_id;
        else if (id128_randomize(&f->uuid) < 0)
                return log_error_errno(errno, "Failed to generate a UUID: %m");
        /* With --volatile=yes the tree's /etc is not the machine's. */
        f->bind_machine_id = present && r <= 0 && c->volatile_mode != VOLATILE_YES;
        return 0;
}

static int check_tree(const BootConfig *c, const MachineIdentity *id, const MachineRoot *t) {
        _cleanup_free_ char *os_release = NULL;
        _cleanup_close_ int usr = -EBADF;
        const char *init = DEFAULT_INIT_PATH, *what = id->disk ? "Image" : "Directory";
        int r;

        /* A separate /usr is not in the tree yet: what is in it can't be
         * looked at before the machine starts. */
        if (t->usr_mount_fd >= 0)
                return 0;

        /* An application image (a layered one, run with its own command)
         * need not be an OS: its command must be there. */
        if (c->mode == BOOT_MODE_RUN && id->layered && c->parameters && path_is_absolute(c->parameters[0])) {
                r = image_check_executable(t->fd, c->parameters[0]);
                if (r < 0)
                        return log_error_errno(r, "%s '%s' has no executable %s to run: %m", what, id->root,
                                               c->parameters[0]);
                return 0;
        }
        if (c->mode == BOOT_MODE_RUN) {
                r = open_in_root(t->fd, "/usr", O_PATH | O_DIRECTORY, 0, &usr);
                if (r < 0)
                        return log_error_errno(SYNTHETIC_ERRNO(ENOTDIR),
                                               "%s '%s' doesn't look like an OS tree: /usr is missing.", what,
                                               id->root);
                return 0;
        }

        r = os_release_read(t->fd, &os_release);
        if (r < 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                       "%s '%s' doesn't look like an OS tree: neither /etc/os-release nor "
                                       "/usr/lib/os-release is there.",
                                       what, id->root);
        if (c->parameters && path_is_absolute(c->parameters[0]))
                init = c->parameters[0];
        r = image_check_executable(t->fd, init);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "%s '%s' has no %s to boot.", what, id->root, init);
        if (r < 0)
                return log_error_errno(r, "%s '%s' has no executable %s to boot: %m", what, id->root, init);
        return 0;
}

/* A disk image's partition: on a loop device, mounted (detached). */
static int attach_partition(const MachineIdentity *id, int image_fd, const DissectedPartition *p, bool read_only,
                            LoopDevice *loop, int *ret_mount_fd) {
        int r;

        r = loop_device_attach(image_fd, p->offset, p->size, read_only, loop);
        if (r < 0)
                return log_error_errno(r, "Failed to attach partition %i of image '%s' to a loop device: %m", p->partno,
                                       id->root);
        r = dissected_partition_mount(p, loop->path, read_only, ret_mount_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to mount the %s file system of image '%s'%s: %m", p->fstype, id->root,
                                       p->partno > 0 ? " (its root partition)" : "");
        log_debug("Image '%s': partition %i (%s) on %s%s.", id->root, p->partno, p->fstype, loop->path,
                  read_only ? ", read-only" : "");
        return 0;
}

static int open_disk_image(const MachineIdentity *id, MachineRoot *t) {
        _cleanup_(dissected_image_done) DissectedImage d = DISSECTED_IMAGE_NULL;
        _cleanup_free_ char *why = NULL;
        _cleanup_close_ int fd = -EBADF;
        bool ro = t->lower_read_only;
        struct stat st;
        int flags, r;

        /* Looked at before it is opened: a character device's open may act. */
        if (stat(id->root, &st) < 0)
                return log_error_errno(errno, "Failed to look at image '%s': %m", id->root);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return log_error_errno(SYNTHETIC_ERRNO(EBADFD),
                                       "Image '%s' can't be booted: it is neither a regular file nor a block device.",
                                       id->root);
        /* A block device to write to exclusively: that fails while the
         * host has it mounted, which a second mount through a loop device
         * would wreck. (Readers share it, as ephemeral machines do.) */
        flags = O_CLOEXEC | O_NOCTTY;
        fd = open(id->root, (ro ? O_RDONLY : O_RDWR | (S_ISBLK(st.st_mode) ? O_EXCL : 0)) | flags);
        if (fd < 0 && !ro && IN_SET(errno, EROFS, EACCES, EPERM)) {
                /* The file says read-only: so is the machine's root. */
                ro = t->read_only = true;
                fd = open(id->root, O_RDONLY | flags);
        }
        if (fd < 0 && errno == EBUSY)
                return log_error_errno(SYNTHETIC_ERRNO(EBUSY), "Image '%s' is in use (mounted on the host?).",
                                       id->root);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open image '%s': %m", id->root);
        r = fd_check_same(fd, &st);
        if (r < 0)
                return log_error_errno(r, "Image '%s' changed while it was being opened: %m", id->root);

        r = dissect_image(fd, &d, &why);
        if (r == -EOPNOTSUPP && !why)
                return log_error_errno(r, "Can't boot disk images: libblkid is not installed.");
        if (why)
                return log_error_errno(r, "Image '%s' can't be booted: %s.", id->root, why);
        if (r < 0)
                return log_error_errno(r, "Failed to read the partition table of image '%s': %m", id->root);

        if (d.root.read_only && !ro) {
                ro = t->read_only = true;
                log_debug("Image '%s': its root partition is marked read-only.", id->root);
        }
        r = attach_partition(id, fd, &d.root, ro, &t->loop, &t->mount_fd);
        if (r >= 0 && d.usr.found)
                r = attach_partition(id, fd, &d.usr, ro || d.usr.read_only, &t->usr_loop, &t->usr_mount_fd);
        if (r < 0)
                return r;
        t->fd = openat(t->mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->fd < 0)
                return log_error_errno(errno, "Failed to open the root of image '%s': %m", id->root);
        return 0;
}

/* A copy of the detached mount of dir_fd, idmapped through userns_fd
 * when there is one. */
static int clone_layer(int dir_fd, int userns_fd, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = mount_clone_tree(dir_fd, NULL, false, &fd);
        if (r >= 0 && userns_fd >= 0)
                r = mount_make_idmapped(fd, userns_fd, false);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The image's layers (idmapped copies), lowest first, and its top's
 * data/ as the highest when it is only read. */
static int clone_layers(const MachineRoot *t, int userns_fd, bool with_top, int **ret_fds, size_t *ret_n) {
        const LayeredImage *l = &t->layered;
        size_t n = 0;
        int *fds = calloc(l->n_layers + 1, sizeof(int)), r = 0;

        if (!fds)
                return -ENOMEM;
        for (; n < l->n_layers && r >= 0; n++)
                r = clone_layer(l->layer_fds[n], userns_fd, &fds[n]);
        if (r >= 0 && with_top && layered_image_top_used(l) > 0) {
                _cleanup_close_ int data = openat(l->rw_fd, "data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                /* A mount of data/ itself: a directory below a detached
                 * mount is gone with the mount's fd. */
                r = data < 0 ? -errno : clone_layer(data, userns_fd, &fds[n]);
                if (r >= 0)
                        n++;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        safe_close(fds[i]);
                free(fds);
                return r;
        }
        *ret_fds = fds;
        *ret_n = n;
        return 0;
}

static void close_many(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                safe_close(fds[i]);
        free(fds);
}

/* The overlay of the image's layers, copies idmapped through userns_fd,
 * under its top (writable: idmapped through top_userns_fd), or with the
 * top as the highest of the read-only layers. */
static int mount_stack(const MachineRoot *r, int userns_fd, int top_userns_fd, bool writable, int *ret_fd) {
        _cleanup_close_ int top = -EBADF, data = -EBADF, work = -EBADF;
        size_t n = 0;
        int *fds = NULL, k;

        k = clone_layers(r, userns_fd, !writable, &fds, &n);
        if (k >= 0 && writable) {
                /* The top's data/ and work/ (made by open_layered_image())
                 * in one idmapped copy of rw/: overlayfs wants them on the
                 * same mount. */
                k = clone_layer(r->layered.rw_fd, top_userns_fd, &top);
                if (k >= 0) {
                        data = openat(top, "data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        work = openat(top, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (data < 0 || work < 0)
                                k = -errno;
                }
        }
        if (k >= 0)
                k = mount_overlay_detached(fds, n, data, work, ret_fd);
        close_many(fds, n);
        if (k == -EOPNOTSUPP)
                return log_error_errno(k, "Can't boot layered images: this kernel's overlayfs has no \"lowerdir+\" "
                                          "(Linux 6.8).");
        if (k < 0)
                return log_error_errno(k, "Failed to mount the layers of image '%s': %m", r->layered_path);
        return 0;
}

int machine_root_mount_layers(const MachineRoot *r, int userns_fd, int top_userns_fd, int *ret_fd) {
        return mount_stack(r, userns_fd, top_userns_fd, !r->lower_read_only, ret_fd);
}

/* A layered image: its layers and top opened, and a read-only overlay of
 * them all to look at (check_tree(), the machine ID). */
static int open_layered_image(const MachineIdentity *id, MachineRoot *t) {
        _cleanup_free_ char *why = NULL;
        int r;

        r = layered_image_open(id->root, &t->layered, &why);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0 && why)
                return log_error_errno(r, "Image '%s' can't be booted: %s.", id->root, why);
        if (r < 0)
                return log_error_errno(r, "Failed to open the layers of image '%s': %m", id->root);
        t->layered_path = id->root;
        if (!t->lower_read_only) {
                _cleanup_close_ int data = -EBADF, work = -EBADF;

                r = layered_image_top(&t->layered, &data, &work);
                if (r < 0)
                        return log_error_errno(r, "Failed to make the top of image '%s': %m", id->root);
        }
        r = mount_stack(t, -EBADF, -EBADF, false, &t->view_fd);
        if (r < 0)
                return r;
        t->fd = openat(t->view_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->fd < 0)
                return log_error_errno(errno, "Failed to open the layers of image '%s': %m", id->root);
        return 0;
}

/* A host directory as an overlay's upper layer: what the machine's root
 * writes there is root's on the host, so no other user may reach it (as
 * for a tree); and its work directory must be on its file system, which a
 * mount point's parent is not. */
static int check_overlay_upper(const char *upper) {
        struct statx sx;

        if (statx(AT_FDCWD, upper, 0, STATX_TYPE, &sx) < 0)
                return log_error_errno(errno, "Failed to look at the overlay's upper directory '%s': %m", upper);
        if ((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return log_error_errno(SYNTHETIC_ERRNO(EXDEV),
                                       "The overlay's upper directory '%s' is a mount point: its work directory "
                                       "would go on another file system. Give a directory below it.",
                                       upper);
        return machine_refuse_reachable(upper, "the overlay's upper directory", "");
}

int machine_refuse_reachable(const char *path, const char *what, const char *instead) {
        _cleanup_free_ char *dir = NULL;
        int r;

        r = image_reachable_by_users(path, &dir);
        if (r < 0)
                return log_error_errno(r, "Failed to check who can reach '%s': %m", path);
        if (r > 0)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "Refusing %s '%s': users of the host can reach it, and files the machine's "
                                       "root makes there are root's on the host (set-user-ID ones too); make '%s' "
                                       "root's alone (chmod 0700)%s.",
                                       what, path, dir, instead);
        return 0;
}

/* The empty work directories of --overlay= layers on the host, beside
 * their upper layers; they go with the machine. */
static int make_overlay_workdirs(const BootConfig *c, const char *name, Record *rec) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                _cleanup_free_ char *w = custom_mount_overlay_workdir(&c->mounts[i], name);
                int r;

                if (c->mounts[i].type != CUSTOM_MOUNT_OVERLAY || isempty(c->mounts[i].source) ||
                    c->mounts[i].source[0] == '+')
                        continue;
                if (!w)
                        return log_oom();
                r = check_overlay_upper(c->mounts[i].source);
                if (r < 0)
                        return r;
                r = record_intend(rec, UNDO_WORKDIR, w);
                if (r < 0)
                        return r;
                r = rm_rf_path(w);
                if (r >= 0 && mkdir(w, 0700) < 0)
                        r = -errno;
                if (r < 0)
                        return log_error_errno(r, "Failed to create the overlay's work directory %s: %m", w);
        }
        return 0;
}

/* -x, --volatile=overlay: the tmpfs that takes the machine's changes,
 * detached (in no mount table) and ours: it lives as long as we do, across
 * the machine's reboots (--reboot=loop), and goes with us, however we end. */
static int make_ephemeral_layer(const BootConfig *c, MachineRoot *t) {
        int r;

        if (!c->ephemeral && c->volatile_mode != VOLATILE_OVERLAY)
                return 0;
        r = mount_tmpfs_detached("0700", 0, &t->overlay_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to mount a tmpfs for the machine's changes: %m");
        return 0;
}

int machine_setup_root(const BootConfig *c, const MachineIdentity *id, const MachineLocks *l, Record *rec,
                       MachineRoot *ret) {
        _cleanup_(machine_root_done) MachineRoot t = MACHINE_ROOT_NULL;
        int r;

        /* An image marked read-only is booted read-only, unless its changes
         * go to an overlay anyway. */
        t.lower_read_only = c->ephemeral || c->read_only || c->volatile_mode != VOLATILE_NO || l->marked_read_only;
        t.read_only = c->read_only || l->marked_read_only;

        if (id->disk)
                r = open_disk_image(id, &t);
        else if (id->layered)
                r = open_layered_image(id, &t);
        else {
                t.fd = open(id->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = t.fd < 0 ? log_error_errno(errno, "Failed to open directory '%s': %m", id->root) : 0;
        }
        if (r >= 0)
                r = check_tree(c, id, &t);
        if (r >= 0)
                r = pick_uuid(c, &t);
        if (r >= 0)
                r = make_overlay_workdirs(c, id->name, rec);
        if (r >= 0)
                r = make_ephemeral_layer(c, &t);
        if (r < 0)
                return r;
        *ret = t;
        t = (MachineRoot) MACHINE_ROOT_NULL;
        return 0;
}
