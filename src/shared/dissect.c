/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <blkid/blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "dissect.h"
#include "dlopen-util.h"
#include "fd-util.h"
#include "string-util.h"

DLOPEN_NOTE(blkid, "Disk images (--image=): partition tables", "suggested", "libblkid.so.1");

static void *libblkid_dl = NULL;

static DLSYM_PROTOTYPE(blkid_new_probe);
static DLSYM_PROTOTYPE(blkid_free_probe);
static DLSYM_PROTOTYPE(blkid_probe_set_device);
static DLSYM_PROTOTYPE(blkid_probe_enable_superblocks);
static DLSYM_PROTOTYPE(blkid_probe_set_superblocks_flags);
static DLSYM_PROTOTYPE(blkid_probe_enable_partitions);
static DLSYM_PROTOTYPE(blkid_probe_set_partitions_flags);
static DLSYM_PROTOTYPE(blkid_do_safeprobe);
static DLSYM_PROTOTYPE(blkid_probe_lookup_value);
static DLSYM_PROTOTYPE(blkid_probe_get_partitions);
static DLSYM_PROTOTYPE(blkid_partlist_numof_partitions);
static DLSYM_PROTOTYPE(blkid_partlist_get_partition);
static DLSYM_PROTOTYPE(blkid_partition_get_type_string);
static DLSYM_PROTOTYPE(blkid_partition_get_flags);
static DLSYM_PROTOTYPE(blkid_partition_get_name);
static DLSYM_PROTOTYPE(blkid_partition_get_start);
static DLSYM_PROTOTYPE(blkid_partition_get_size);
static DLSYM_PROTOTYPE(blkid_partition_get_partno);

static int dlopen_blkid(void) {
        return dlopen_many_sym(&libblkid_dl, "libblkid.so.1", DLSYM_ARG(blkid_new_probe), DLSYM_ARG(blkid_free_probe),
                               DLSYM_ARG(blkid_probe_set_device), DLSYM_ARG(blkid_probe_enable_superblocks),
                               DLSYM_ARG(blkid_probe_set_superblocks_flags), DLSYM_ARG(blkid_probe_enable_partitions),
                               DLSYM_ARG(blkid_probe_set_partitions_flags), DLSYM_ARG(blkid_do_safeprobe),
                               DLSYM_ARG(blkid_probe_lookup_value), DLSYM_ARG(blkid_probe_get_partitions),
                               DLSYM_ARG(blkid_partlist_numof_partitions), DLSYM_ARG(blkid_partlist_get_partition),
                               DLSYM_ARG(blkid_partition_get_type_string), DLSYM_ARG(blkid_partition_get_flags),
                               DLSYM_ARG(blkid_partition_get_name), DLSYM_ARG(blkid_partition_get_start),
                               DLSYM_ARG(blkid_partition_get_size), DLSYM_ARG(blkid_partition_get_partno), NULL);
}

static void probe_freep(blkid_probe *p) {
        if (*p)
                sym_blkid_free_probe(*p);
}

/* The Discoverable Partitions Specification's type UUIDs. */
#if defined(__x86_64__)
#define ARCH "x86-64"
#define ROOT_TYPE "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define USR_TYPE "8484680c-9521-48c6-9c11-b0720656f69e"
#elif defined(__aarch64__)
#define ARCH "arm64"
#define ROOT_TYPE "b921b045-1df0-41c3-af44-4c6f280d3fae"
#define USR_TYPE "b0e01050-ee5f-4390-949a-9101b17104e9"
#elif defined(__i386__)
#define ARCH "x86"
#define ROOT_TYPE "44479540-f297-41b2-9af7-d131d5f0458a"
#define USR_TYPE "75250d76-8cc6-458e-bd66-bd47cc81a812"
#else
#error "Which root partition type is this architecture's?"
#endif
#define GENERIC_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"

#define GPT_FLAG_READ_ONLY (UINT64_C(1) << 60)
#define GPT_FLAG_NO_AUTO (UINT64_C(1) << 63)

/* The file systems berth mounts, as systemd-dissect does by default. */
static const char *const mountable[] = { "ext4", "ext3", "ext2", "btrfs", "xfs", "erofs", "squashfs", "vfat" };

const char *dissect_architecture(void) {
        return ARCH;
}

static void partition_done(DissectedPartition *p) {
        free(p->fstype);
        free(p->label);
        *p = (DissectedPartition) {};
}

void dissected_image_done(DissectedImage *d) {
        partition_done(&d->root);
        partition_done(&d->usr);
}

static int why(char **ret_why, int error, const char *format, ...) _printf_(3, 4);
static int why(char **ret_why, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (vasprintf(ret_why, format, ap) < 0)
                *ret_why = NULL;
        va_end(ap);
        return *ret_why ? -error : -ENOMEM;
}

static int image_size(int fd, uint64_t *ret) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode)) {
                *ret = (uint64_t) st.st_size;
                return 0;
        }
        if (!S_ISBLK(st.st_mode))
                return -EBADFD;
        return RET_NERRNO(ioctl(fd, BLKGETSIZE64, ret));
}

/* The file system in [offset, offset+size) of the image, if it is one we
 * mount. */
static int probe_fstype(int fd, DissectedPartition *p, char **ret_why) {
        _cleanup_(probe_freep) blkid_probe pr = sym_blkid_new_probe();
        const char *type = NULL;
        int r;

        if (!pr)
                return -ENOMEM;
        if (sym_blkid_probe_set_device(pr, fd, (blkid_loff_t) p->offset, (blkid_loff_t) p->size) < 0)
                return -errno ?: -EIO;
        sym_blkid_probe_enable_partitions(pr, 0);
        sym_blkid_probe_enable_superblocks(pr, 1);
        sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        r = sym_blkid_do_safeprobe(pr);
        if (r == 0)
                (void) sym_blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
        if (!type) {
                if (p->partno == 0)
                        return why(ret_why, EBADMSG, "it has neither a partition table nor a file system");
                return why(ret_why, EBADMSG, "its partition %i holds no file system", p->partno);
        }
        for (size_t i = 0; i < ELEMENTSOF(mountable); i++)
                if (streq(type, mountable[i])) {
                        p->fstype = strdup(type);
                        return p->fstype ? 0 : -ENOMEM;
                }
        if (p->partno == 0)
                return why(ret_why, EMEDIUMTYPE, "it is a %s file system, which berth doesn't mount", type);
        return why(ret_why, EMEDIUMTYPE, "its partition %i holds a %s file system, which berth doesn't mount",
                   p->partno, type);
}

/* Whether candidate is to be taken over the partition found so far: the
 * newer version by label. Two of the same label can't be told apart. */
static int newer(const DissectedPartition *found, const char *label, const char *what, char **ret_why) {
        int c;

        if (!found->found)
                return 1;
        c = strverscmp(strempty(label), strempty(found->label));
        if (c == 0)
                return why(ret_why, ENOTUNIQ,
                           "it has two %s partitions of the same label ('%s'); berth can't tell "
                           "which to use",
                           what, strempty(label));
        return c > 0;
}

static int take_partition(blkid_partition part, DissectedPartition *into) {
        const char *label = sym_blkid_partition_get_name(part);
        blkid_loff_t start = sym_blkid_partition_get_start(part), size = sym_blkid_partition_get_size(part);
        uint64_t offset, bytes;

        /* In 512-byte sectors, as libblkid counts; an extent that doesn't
         * fit in 64 bits is no partition of any image. */
        if (start < 0 || size < 0 || __builtin_mul_overflow((uint64_t) start, 512, &offset) ||
            __builtin_mul_overflow((uint64_t) size, 512, &bytes))
                return -ERANGE;
        partition_done(into);
        *into = (DissectedPartition) {
                .found = true,
                .partno = sym_blkid_partition_get_partno(part),
                .offset = offset,
                .size = bytes,
                .read_only = ((uint64_t) sym_blkid_partition_get_flags(part) & GPT_FLAG_READ_ONLY) != 0,
        };
        if (!isempty(label) && !(into->label = strdup(label)))
                return -ENOMEM;
        return 0;
}

/* Walks the GPT: root and usr by type, else one generic partition. */
static int pick_partitions(blkid_partlist pl, DissectedImage *d, char **ret_why) {
        DissectedPartition generic = {};
        int n = sym_blkid_partlist_numof_partitions(pl), n_generic = 0, r = 0;

        for (int i = 0; i < n && r >= 0; i++) {
                blkid_partition part = sym_blkid_partlist_get_partition(pl, i);
                const char *type = part ? sym_blkid_partition_get_type_string(part) : NULL;
                uint64_t flags = part ? (uint64_t) sym_blkid_partition_get_flags(part) : 0;
                DissectedPartition *into = NULL;

                if (!type || (flags & GPT_FLAG_NO_AUTO))
                        continue;
                if (strcasecmp(type, GENERIC_TYPE) == 0) {
                        if (n_generic++ == 0)
                                r = take_partition(part, &generic);
                        continue;
                }
                if (strcasecmp(type, ROOT_TYPE) == 0)
                        into = &d->root;
                else if (strcasecmp(type, USR_TYPE) == 0)
                        into = &d->usr;
                else
                        continue;
                r = newer(into, sym_blkid_partition_get_name(part), into == &d->root ? "root" : "usr", ret_why);
                if (r > 0)
                        r = take_partition(part, into);
        }
        if (r >= 0 && !d->root.found && n_generic == 1) {
                d->root = generic;
                generic = (DissectedPartition) {};
        }
        partition_done(&generic);
        if (r == -ERANGE && !*ret_why)
                return why(ret_why, ERANGE, "a partition of it lies past what 64 bits can count");
        if (r < 0)
                return r;
        if (!d->root.found)
                return why(ret_why, ENXIO, "it has no root partition for %s (nor a single generic Linux one)", ARCH);
        return 0;
}

static int check_extent(const DissectedImage *d, const DissectedPartition *p, char **ret_why) {
        if (!p->found)
                return 0;
        if (p->size == 0 || p->offset > d->size || p->size > d->size - p->offset)
                return why(ret_why, ERANGE, "its partition %i runs past the end of the image (is it truncated?)",
                           p->partno);
        return 0;
}

int dissect_image(int fd, DissectedImage *ret, char **ret_why) {
        _cleanup_(dissected_image_done) DissectedImage d = DISSECTED_IMAGE_NULL;
        _cleanup_(probe_freep) blkid_probe pr = NULL;
        const char *pttype = NULL, *fstype = NULL;
        blkid_partlist pl;
        int r;

        *ret_why = NULL;
        r = dlopen_blkid();
        if (r < 0)
                return r;
        r = image_size(fd, &d.size);
        if (r < 0)
                return r;
        if (d.size < 4096)
                return why(ret_why, EBADMSG, "it is too small to be a disk image (%" PRIu64 " bytes)", d.size);

        pr = sym_blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (sym_blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -errno ?: -EIO;
        sym_blkid_probe_enable_superblocks(pr, 1);
        sym_blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        sym_blkid_probe_enable_partitions(pr, 1);
        sym_blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = sym_blkid_do_safeprobe(pr);
        if (r == -2)
                return why(ret_why, ENOTUNIQ, "it looks like several kinds of image at once");
        if (r < 0)
                return -errno ?: -EIO;
        if (r == 0) {
                (void) sym_blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
                (void) sym_blkid_probe_lookup_value(pr, "TYPE", &fstype, NULL);
        }

        if (!pttype) {
                /* One file system, the whole image. */
                d.root = (DissectedPartition) { .found = true, .offset = 0, .size = d.size };
                r = probe_fstype(fd, &d.root, ret_why);
        } else if (streq(pttype, "PMBR"))
                return why(ret_why, EBADMSG,
                           "its GPT can't be read (damaged, or the image cut short): only the protective MBR is left");
        else if (!streq(pttype, "gpt"))
                return why(ret_why, EMEDIUMTYPE, "its partition table is of type '%s'; berth boots GPT images only",
                           pttype);
        else {
                pl = sym_blkid_probe_get_partitions(pr);
                if (!pl)
                        return why(ret_why, EBADMSG, "its GPT can't be read");
                r = pick_partitions(pl, &d, ret_why);
                if (r >= 0)
                        r = check_extent(&d, &d.root, ret_why);
                if (r >= 0)
                        r = check_extent(&d, &d.usr, ret_why);
                if (r >= 0 && d.usr.found && d.usr.offset < d.root.offset + d.root.size &&
                    d.root.offset < d.usr.offset + d.usr.size)
                        r = why(ret_why, EBADMSG, "its root and usr partitions (%i, %i) overlap", d.root.partno,
                                d.usr.partno);
                if (r >= 0)
                        r = probe_fstype(fd, &d.root, ret_why);
                if (r >= 0 && d.usr.found)
                        r = probe_fstype(fd, &d.usr, ret_why);
        }
        if (r < 0)
                return r;
        *ret = d;
        d = (DissectedImage) DISSECTED_IMAGE_NULL;
        return 0;
}

int dissected_partition_mount(const DissectedPartition *p, const char *device_path, bool read_only, int *ret_mount_fd) {
        _cleanup_close_ int fs = -EBADF;
        const char *type = p->fstype;
        int fd;

        /* ext4's driver mounts ext2 and ext3, under its own name. */
        if (streq(type, "ext2") || streq(type, "ext3"))
                type = "ext4";
        read_only = read_only || streq(type, "erofs") || streq(type, "squashfs");

        fs = fsopen(type, FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        if (fsconfig(fs, FSCONFIG_SET_STRING, "source", device_path, 0) < 0)
                return -errno;
        if (read_only && fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
                return -errno;
        /* A journal left to replay (its last writer was killed) can't be
         * replayed on a read-only device: read what is there, as
         * systemd-dissect does. */
        if (read_only && (streq(type, "ext4") || streq(type, "xfs")) &&
            fsconfig(fs, FSCONFIG_SET_FLAG, "norecovery", NULL, 0) < 0)
                return -errno;
        if (read_only && streq(type, "btrfs") && fsconfig(fs, FSCONFIG_SET_STRING, "rescue", "nologreplay", 0) < 0)
                return -errno;
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        fd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0));
        if (fd < 0)
                return -errno;
        *ret_mount_fd = fd;
        return 0;
}
