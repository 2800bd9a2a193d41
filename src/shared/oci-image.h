/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "macro.h"

/* OCI images as files: an image layout (image-layout.md: oci-layout,
 * index.json, blobs/sha256/) or an unpacked `docker save` archive, read
 * into the list of layers and the config berth needs; and the layout
 * berth writes for export-oci. The JSON is untrusted: every blob is at most
 * OCI_JSON_MAX bytes and verified against its digest and size before it
 * is parsed, digests are sha256 only, and blobs are opened beneath the
 * layout's directory (chase.h's open_in_root()). */

/* The largest JSON blob (index, manifest, config) read. */
#define OCI_JSON_MAX (4U * 1024U * 1024U)
/* The most layers an image may have (overlayfs stacks 500 lower layers). */
#define OCI_LAYERS_MAX 500U

typedef struct OciLayer {
        char digest[SHA256_HEX_SIZE];  /* the blob's sha256, hex; "" for a legacy docker-save layer (no blob digest) */
        char diff_id[SHA256_HEX_SIZE]; /* the uncompressed tar's, from the config's rootfs.diff_ids */
        char *media_type;              /* as the manifest says; "" for docker-save legacy */
        uint64_t size;                 /* the blob's size from the manifest; UINT64_MAX if unknown */
        char *path; /* the blob relative to the layout: "blobs/sha256/HEX", or docker's "HEX/layer.tar" */
} OciLayer;

typedef struct OciImage {
        OciLayer *layers; /* lowest first */
        size_t n_layers;
        char *config_json; /* the config blob, verified against its digest */
        char config_digest[SHA256_HEX_SIZE];
        char *architecture, *os;         /* from the config */
        char **env, **entrypoint, **cmd; /* config.Env, config.Entrypoint, config.Cmd (NULL when absent) */
        char *working_dir, *user;        /* config.WorkingDir, config.User (NULL when absent or "") */
} OciImage;

/* The image in directory dir_fd: an OCI image layout (oci-layout with
 * imageLayoutVersion 1.0.0, index.json, blobs/sha256/) or an unpacked
 * `docker save` archive: legacy (manifest.json: Config, RepoTags, Layers)
 * or the newer kind holding an OCI layout too (then index.json is used).
 *
 * ref: a tag — the index's org.opencontainers.image.ref.name annotation
 * (or io.containerd.image.name, or a docker RepoTags entry "repo:tag"):
 * the whole name or the part after its last ':'. NULL: the only image
 * (entries naming the same manifest count once), or it fails with
 * "several images, pick one with --ref= (has: a, b)".
 *
 * Image indexes are followed (at most 4 deep); among several manifests the
 * first for linux and oci_arch_host() is picked (variant ignored): none,
 * "no image for amd64 (has: arm64, s390x)". A lone manifest without a
 * platform is taken as it is.
 *
 * Every JSON blob read is verified against its digest and size; layers
 * are verified later by the unpacker (here their blobs must exist, be
 * regular files and have the manifest's size). Refused: a digest that is
 * not sha256:64-hex, a blob path escaping the layout (docker's Layers and
 * Config: relative, no ".."), a missing blob, a layer count that differs
 * from rootfs.diff_ids, a layer media type other than OCI's tar, tar+gzip,
 * tar+zstd and docker's rootfs.diff.tar.gzip (named in the error), e.g. a
 * non-distributable or foreign layer.
 *
 * On failure *ret_error (if not NULL) is one line without "berth:", and
 * ret is untouched. Returns -EBADMSG for bad input, -ENOENT for a missing
 * file or image, -EOPNOTSUPP without json-c or libcrypto, -ENOMEM. */
int oci_image_load(int dir_fd, const char *ref, OciImage *ret, char **ret_error);
void oci_image_done(OciImage *i);

/* The architecture name OCI (GOARCH) uses for this host ("amd64"). */
const char *oci_arch_host(void) _const_;

/* The config from a config blob (for an image already in the store:
 * .oci/config.json): fills architecture..user only. */
int oci_config_parse(const char *json, OciImage *ret, char **ret_error);

/* A new config for export or commit: config_json (NULL: a minimal one for
 * linux and oci_arch_host()) with rootfs = {type: layers, diff_ids: the
 * given ones (64-hex, or "sha256:"-prefixed), in order}, and, when
 * created_by is not NULL, "created" (now) and a "history" entry appended
 * for the new layer. A history that then does not match the layers (its
 * entries without empty_layer must be one per layer) is dropped. */
int oci_config_with_layers(const char *config_json, char *const *diff_ids, const char *created_by, char **ret_json);

/* Writes an OCI image layout into dir_fd, empty but for the layer blobs
 * already in blobs/sha256/HEX (the caller packs them there): oci-layout,
 * the config blob, one manifest (application/vnd.oci.image.manifest.v1+json,
 * schemaVersion 2, layers as application/vnd.oci.image.layer.v1.tar with
 * their digest and size, both checked against the blob files) and
 * index.json naming it with org.opencontainers.image.ref.name = ref (and
 * the config's platform). Digests are given as 64-hex. */
int oci_layout_write(int dir_fd, const char *ref, const char *config_json, char *const *layer_digests,
                     const uint64_t *layer_sizes, size_t n_layers, char **ret_error);
