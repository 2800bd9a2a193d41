/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "lock-util.h"
#include "macro.h"

/* Layered images, in the layout of systemd's mount stacks (systemd.mstack(7),
 * what `importctl pull-oci` makes), so machined and nspawn --mstack= read
 * berth's and berth reads theirs:
 *
 *     STORE/NAME.mstack/layer@0 -> ../.oci-sha256:HEX   the lowest layer
 *     STORE/NAME.mstack/layer@1 -> ../.oci-sha256:HEX   (version-sorted)
 *     STORE/NAME.mstack/rw/{data,work}                  the writable top
 *     STORE/NAME.mstack/.oci/config.json                the OCI config (berth's; systemd skips dot files)
 *     STORE/.oci-sha256:HEX/                            one layer, shared by every image that has it
 *
 * HEX is the layer's diff_id: the SHA-256 of its uncompressed tarball, the
 * same however it was shipped. A layer holds overlayfs's whiteouts
 * (character devices 0/0, trusted.overlay.opaque), owners as in the
 * tarball (a machine sees them through idmapped mounts). */

#define MSTACK_SUFFIX ".mstack"
#define LAYER_PREFIX ".oci-sha256:"

typedef struct LayeredImage {
        int dir_fd;     /* NAME.mstack (O_PATH) */
        char **layers;  /* the layers' diff_ids (hex), lowest first */
        int *layer_fds; /* each layer's directory (O_PATH) */
        size_t n_layers;
        int rw_fd; /* rw/, or -EBADF when there is none */
} LayeredImage;

#define LAYERED_IMAGE_NULL \
        { .dir_fd = -EBADF, .rw_fd = -EBADF }

/* Opens the mount stack at path: its layers (directories, or symlinks to
 * "../.oci-sha256:HEX" and nothing else), sorted as systemd does, and
 * rw/. -EBADMSG (and *ret_error: which entry and why) for an entry it
 * doesn't take: a raw layer, bind@, root/, or anything unknown. */
int layered_image_open(const char *path, LayeredImage *ret, char **ret_error);
void layered_image_done(LayeredImage *i);

/* rw/data and rw/work, made (owned by 0, 0755 and 0700) when missing. */
int layered_image_top(LayeredImage *i, int *ret_data_fd, int *ret_work_fd);
/* Whether rw/data holds anything: 1 yes, 0 no (or no rw/ at all). */
int layered_image_top_used(const LayeredImage *i);

/* Reads .oci/config.json; -ENOENT when the image has none. */
int layered_image_read_config(const LayeredImage *i, char **ret);

/* Makes the mount stack in the empty directory dir_fd: layer@N symlinks to
 * the given layers (lowest first), an empty rw/, and the config (may be
 * NULL). */
int layered_image_write(int dir_fd, char *const *diff_ids, size_t n, const char *config_json);

/* "STORE/.oci-sha256:HEX"'s name, for a diff_id's hex. */
char *layer_dir_name(const char *hex);
/* Whether name is a layer's ("…:HEX"): then *ret_hex points at HEX. */
bool layer_dir_name_parse(const char *name, const char **ret_hex);

/* Every layer and every mount stack of the store is changed under this
 * lock, exclusive, taken by who adds or removes layers: the hidden
 * "STORE/.#oci-layers.lck". Waits for it. */
int layers_lock(const char *store, LockFile *ret);

/* Removes the layers of store_fd that no mount stack in it links to. The
 * caller holds layers_lock(). Returns how many went. */
int layers_remove_unused(int store_fd);

/* How many mount stacks of store_fd link to layer hex. */
int layer_count_users(int store_fd, const char *hex, unsigned *ret);
