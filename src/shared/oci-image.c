/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chase.h"
#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "oci-image.h"
#include "string-util.h"
#include "strv.h"

/* The formats (OCI image-spec 1.1: image-layout, image-index, manifest,
 * config, descriptor; docker's save format, whose manifest.json is a list of
 * {Config, RepoTags, Layers}) are read by what they say, never by where a
 * tool happens to put things: every file is reached from index.json or
 * manifest.json, every JSON blob is hashed before json-c sees it. */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"

#define INDEX_DEPTH_MAX 4U

/* What berth unpacks: tarballs, as they are or compressed (libarchive
 * tells which). Non-distributable and foreign layers live elsewhere (their
 * "urls"), and berth fetches nothing. */
static const char *const layer_media_types[] = {
        MT_OCI_LAYER,
        MT_OCI_LAYER "+gzip",
        MT_OCI_LAYER "+zstd",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

static bool layer_media_type_is_tar(const char *media_type) {
        for (size_t i = 0; i < ELEMENTSOF(layer_media_types); i++)
                if (streq(media_type, layer_media_types[i]))
                        return true;
        return false;
}

/* A descriptor as read; its strings belong to the JSON it came from. */
typedef struct Descriptor {
        const char *media_type; /* NULL if it has none */
        char hex[SHA256_HEX_SIZE];
        uint64_t size;
        const char *os, *architecture;     /* its platform's; NULL without one */
        const char *ref_name, *image_name; /* its annotations' */
} Descriptor;

/* Sets *error to the message (control characters escaped: it is one line
 * whatever the input holds) and returns r. */
_printf_(3, 4) static int fail(char **error, int r, const char *format, ...) {
        char *s = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*error);
        *error = s ? escape_control(s) : NULL;
        free(s);
        return r;
}

static int sha256_data(const void *p, size_t n, char ret[SHA256_HEX_SIZE]) {
        _cleanup_(sha256_freep) Sha256 *s = NULL;
        int r;

        r = sha256_new(&s);
        if (r < 0)
                return r;
        r = sha256_update(s, p, n);
        if (r < 0)
                return r;
        return sha256_final_hex(s, ret);
}

/* "sha256:HEX" into hex: the only digests that become file names. */
static int digest_parse(const char *s, const char *what, char ret[SHA256_HEX_SIZE], char **error) {
        const char *hex = s ? startswith(s, "sha256:") : NULL;

        if (!s)
                return fail(error, -EBADMSG, "%s has no digest", what);
        if (!hex || !sha256_hex_is_valid(hex))
                return fail(error, -EBADMSG,
                            "%s has the digest \"%.100s\": only sha256:<64 lowercase hex digits> is taken", what, s);
        memcpy(ret, hex, SHA256_HEX_SIZE);
        return 0;
}

static int descriptor_parse(json_object *o, const char *what, Descriptor *ret, char **error) {
        json_object *size, *platform, *annotations;
        Descriptor d = {};
        int r;

        if (!o || sym_json_object_get_type(o) != json_type_object)
                return fail(error, -EBADMSG, "%s is not a descriptor (a JSON object)", what);
        d.media_type = json_get_string(o, "mediaType");
        r = digest_parse(json_get_string(o, "digest"), what, d.hex, error);
        if (r < 0)
                return r;
        size = json_get(o, "size", json_type_int);
        if (!size || sym_json_object_get_int64(size) < 0)
                return fail(error, -EBADMSG, "%s has no valid size", what);
        d.size = (uint64_t) sym_json_object_get_int64(size);
        platform = json_get(o, "platform", json_type_object);
        d.os = json_get_string(platform, "os");
        d.architecture = json_get_string(platform, "architecture");
        annotations = json_get(o, "annotations", json_type_object);
        d.ref_name = json_get_string(annotations, ANNOTATION_REF_NAME);
        d.image_name = json_get_string(annotations, ANNOTATION_IMAGE_NAME);
        *ret = d;
        return 0;
}

static bool is_index(const char *media_type) {
        return media_type && (streq(media_type, MT_OCI_INDEX) || streq(media_type, MT_DOCKER_LIST));
}

static bool is_manifest(const char *media_type) {
        return media_type && (streq(media_type, MT_OCI_MANIFEST) || streq(media_type, MT_DOCKER_MANIFEST));
}

/* docker's Config and Layers entries: relative, no "..", no control
 * characters. (They are opened beneath the layout all the same.) */
static bool relative_path_is_safe(const char *p) {
        const char *c = p;

        if (isempty(p) || p[0] == '/' || strlen(p) >= PATH_MAX)
                return false;
        for (const char *s = p; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return false;
        for (;;) {
                size_t n = strcspn(c, "/");

                if (n == 2 && strneq(c, "..", 2))
                        return false;
                if (!c[n])
                        return true;
                c += n + 1;
        }
}

/* The regular file path beneath the layout, as an O_PATH fd: symlinks are
 * resolved inside dir_fd, and no FIFO or device is ever opened. */
static int blob_open(int dir_fd, const char *path, const char *what, struct stat *ret_st, int *ret_fd, char **error) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = open_in_root(dir_fd, path, O_PATH, 0, &fd);
        if (r == -ENOENT)
                return fail(error, r, "%s: %.200s is missing", what, path);
        if (r < 0)
                return fail(error, r, "%s: cannot open %.200s: %s", what, path, strerror(-r));
        if (fstat(fd, &st) < 0)
                return fail(error, -errno, "%s: cannot stat %.200s: %s", what, path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(error, -EBADMSG, "%s: %.200s is not a regular file", what, path);
        *ret_st = st;
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}

/* A JSON file of the layout, checked against size and hex (UINT64_MAX and
 * NULL: not known), hashed (ret_hex) and parsed (ret_json); its text is
 * NUL-terminated. */
static int json_file_read(int dir_fd, const char *path, const char *what, uint64_t size, const char *hex,
                          char **ret_text, char ret_hex[SHA256_HEX_SIZE], json_object **ret_json, char **error) {
        _cleanup_close_ int fd = -EBADF, rfd = -EBADF;
        _cleanup_free_ char *text = NULL;
        char computed[SHA256_HEX_SIZE];
        struct stat st;
        size_t n;
        int r;

        if (size != UINT64_MAX && size > OCI_JSON_MAX)
                return fail(error, -EBADMSG, "%s is too large (%" PRIu64 " bytes, at most %u)", what, size,
                            OCI_JSON_MAX);
        r = blob_open(dir_fd, path, what, &st, &fd, error);
        if (r < 0)
                return r;
        if (size != UINT64_MAX && (uint64_t) st.st_size != size)
                return fail(error, -EBADMSG, "%s: %.200s has %jd bytes, its descriptor says %" PRIu64, what, path,
                            (intmax_t) st.st_size, size);
        rfd = fd_reopen(fd, O_RDONLY | O_NOCTTY | O_NONBLOCK);
        if (rfd < 0)
                return fail(error, rfd, "%s: cannot open %.200s: %s", what, path, strerror(-rfd));
        r = read_full_fd(rfd, OCI_JSON_MAX, &text, &n);
        if (r == -EFBIG)
                return fail(error, -EBADMSG, "%s is too large (more than %u bytes)", what, OCI_JSON_MAX);
        if (r < 0)
                return fail(error, r, "%s: cannot read %.200s: %s", what, path, strerror(-r));
        if (size != UINT64_MAX && n != size)
                return fail(error, -EBADMSG, "%s: %.200s changed while read", what, path);
        r = sha256_data(text, n, computed);
        if (r < 0)
                return fail(error, r, "%s: cannot compute a SHA-256 digest: %s", what, strerror(-r));
        if (hex && !streq(computed, hex))
                return fail(error, -EBADMSG, "%s: %.200s does not match its digest sha256:%s", what, path, hex);
        r = json_parse(text, n, ret_json);
        if (r == -EBADMSG)
                return fail(error, r, "%s is not valid JSON", what);
        if (r < 0)
                return fail(error, r, "%s: cannot parse JSON: %s", what, strerror(-r));
        if (ret_hex)
                memcpy(ret_hex, computed, SHA256_HEX_SIZE);
        if (ret_text)
                *ret_text = TAKE_PTR(text);
        return 0;
}

static int schema_version_check(json_object *o, const char *what, char **error) {
        json_object *v = json_get(o, "schemaVersion", json_type_int);

        if (!o || sym_json_object_get_type(o) != json_type_object)
                return fail(error, -EBADMSG, "%s is not a JSON object", what);
        if (!v || sym_json_object_get_int64(v) != 2)
                return fail(error, -EBADMSG, "%s does not have schemaVersion 2", what);
        return 0;
}

/* --- The config ------------------------------------------------------------ */

/* A string member, or NULL when absent or null (or "" if empty_is_null). */
static int config_string(json_object *o, const char *key, bool empty_is_null, char **ret, char **error) {
        json_object *v = NULL;
        const char *s;

        if (o && sym_json_object_object_get_ex(o, key, &v) && v) {
                s = json_string(v);
                if (!s)
                        return fail(error, -EBADMSG, "the image config's %s is not a string", key);
                if (!(empty_is_null && isempty(s))) {
                        *ret = strdup(s);
                        if (!*ret)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int config_fill(json_object *conf, OciImage *img, char **error) {
        static const char *const lists[] = { "Env", "Entrypoint", "Cmd" };
        char ***dst[] = { &img->env, &img->entrypoint, &img->cmd };
        json_object *c = NULL;
        int r;

        if (!conf || sym_json_object_get_type(conf) != json_type_object)
                return fail(error, -EBADMSG, "the image config is not a JSON object");
        r = config_string(conf, "architecture", false, &img->architecture, error);
        if (r >= 0)
                r = config_string(conf, "os", false, &img->os, error);
        if (r < 0)
                return r;
        if (sym_json_object_object_get_ex(conf, "config", &c) && c && sym_json_object_get_type(c) != json_type_object)
                return fail(error, -EBADMSG, "the image config's config is not a JSON object");
        if (!c)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                r = json_get_strv(c, lists[i], dst[i]);
                if (r == -EBADMSG)
                        return fail(error, r, "the image config's %s is not a list of strings", lists[i]);
                if (r < 0)
                        return r;
        }
        r = config_string(c, "WorkingDir", true, &img->working_dir, error);
        if (r >= 0)
                r = config_string(c, "User", true, &img->user, error);
        return r;
}

int oci_config_parse(const char *json, OciImage *ret, char **ret_error) {
        _cleanup_(json_object_putp) json_object *conf = NULL;
        _cleanup_(oci_image_done) OciImage img = {};
        _cleanup_free_ char *error = NULL;
        size_t n = strlen(json);
        int r;

        if (n > OCI_JSON_MAX)
                r = fail(&error, -EBADMSG, "the image config is too large (%zu bytes, at most %u)", n, OCI_JSON_MAX);
        else {
                r = json_parse(json, n, &conf);
                if (r == -EBADMSG)
                        (void) fail(&error, r, "the image config is not valid JSON");
                if (r >= 0)
                        r = config_fill(conf, &img, &error);
        }
        if (r < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(error) ?: strdup(strerror(-r));
                return r;
        }
        *ret = img;
        img = (OciImage) {};
        return 0;
}

/* rootfs.diff_ids, one per layer: n_layers layers are made for them. */
static int config_diff_ids(json_object *conf, OciImage *img, char **error) {
        json_object *rootfs = json_get(conf, "rootfs", json_type_object), *ids;
        const char *type = json_get_string(rootfs, "type");
        size_t n;
        int r;

        if (!rootfs)
                return fail(error, -EBADMSG, "the image config has no rootfs");
        if (!type || !streq(type, "layers"))
                return fail(error, -EBADMSG, "the image config's rootfs.type is not \"layers\"");
        ids = json_get(rootfs, "diff_ids", json_type_array);
        if (!ids)
                return fail(error, -EBADMSG, "the image config has no rootfs.diff_ids");
        n = sym_json_object_array_length(ids);
        if (n > OCI_LAYERS_MAX)
                return fail(error, -EBADMSG, "the image has %zu layers, at most %u are taken", n, OCI_LAYERS_MAX);
        img->layers = calloc(MAX(n, 1U), sizeof(OciLayer));
        if (!img->layers)
                return -ENOMEM;
        img->n_layers = n;
        for (size_t i = 0; i < n; i++) {
                char what[64];

                snprintf(what, sizeof what, "the image config's rootfs.diff_ids[%zu]", i);
                r = digest_parse(json_string(sym_json_object_array_get_idx(ids, i)), what, img->layers[i].diff_id,
                                 error);
                if (r < 0)
                        return r;
                img->layers[i].size = UINT64_MAX;
        }
        return 0;
}

/* The config at path (its digest hex, if known), with its layers' diff_ids. */
static int config_load(int dir_fd, const char *path, uint64_t size, const char *hex, OciImage *img, char **error) {
        _cleanup_(json_object_putp) json_object *conf = NULL;
        int r;

        r = json_file_read(dir_fd, path, "the image config", size, hex, &img->config_json, img->config_digest, &conf,
                           error);
        if (r < 0)
                return r;
        r = config_fill(conf, img, error);
        if (r < 0)
                return r;
        return config_diff_ids(conf, img, error);
}

/* --- OCI image layouts ----------------------------------------------------- */

static int layer_set(int dir_fd, json_object *o, size_t i, OciLayer *l, char **error) {
        _cleanup_free_ char *path = NULL;
        char what[64];
        Descriptor d;
        struct stat st;
        int r;

        snprintf(what, sizeof what, "layer %zu of the manifest", i);
        r = descriptor_parse(o, what, &d, error);
        if (r < 0)
                return r;
        if (!d.media_type)
                return fail(error, -EBADMSG, "%s has no mediaType", what);
        if (!layer_media_type_is_tar(d.media_type))
                return fail(error, -EBADMSG,
                            "%s has the media type %.200s: berth takes tar layers only (tar, tar+gzip, tar+zstd)", what,
                            d.media_type);
        path = strdup_printf("blobs/sha256/%s", d.hex);
        if (!path)
                return -ENOMEM;
        r = blob_open(dir_fd, path, what, &st, NULL, error);
        if (r < 0)
                return r;
        if ((uint64_t) st.st_size != d.size)
                return fail(error, -EBADMSG, "%s: %s has %jd bytes, its descriptor says %" PRIu64, what, path,
                            (intmax_t) st.st_size, d.size);
        l->media_type = strdup(d.media_type);
        if (!l->media_type)
                return -ENOMEM;
        memcpy(l->digest, d.hex, SHA256_HEX_SIZE);
        l->size = d.size;
        l->path = TAKE_PTR(path);
        return 0;
}

static int manifest_load(int dir_fd, json_object *m, OciImage *img, char **error) {
        char path[STRLEN("blobs/sha256/") + SHA256_HEX_SIZE];
        json_object *layers;
        Descriptor config;
        size_t n;
        int r;

        r = schema_version_check(m, "the manifest", error);
        if (r < 0)
                return r;
        r = descriptor_parse(json_get(m, "config", json_type_object), "the manifest's config", &config, error);
        if (r < 0)
                return r;
        if (!config.media_type ||
            !(streq(config.media_type, MT_OCI_CONFIG) || streq(config.media_type, MT_DOCKER_CONFIG)))
                return fail(error, -EBADMSG, "not a container image: its config has the media type %.200s",
                            strna(config.media_type));
        layers = json_get(m, "layers", json_type_array);
        if (!layers)
                return fail(error, -EBADMSG, "the manifest has no layers list");
        snprintf(path, sizeof path, "blobs/sha256/%s", config.hex);
        r = config_load(dir_fd, path, config.size, config.hex, img, error);
        if (r < 0)
                return r;
        n = sym_json_object_array_length(layers);
        if (n != img->n_layers)
                return fail(error, -EBADMSG, "the manifest has %zu layers, the image config's rootfs.diff_ids %zu", n,
                            img->n_layers);
        for (size_t i = 0; i < n; i++) {
                r = layer_set(dir_fd, sym_json_object_array_get_idx(layers, i), i, &img->layers[i], error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const char *descriptor_name(const Descriptor *d) {
        return d->ref_name ?: d->image_name;
}

static bool name_matches(const char *name, const char *ref) {
        const char *colon;

        if (!name)
                return false;
        if (streq(name, ref))
                return true;
        colon = strrchr(name, ':');
        return colon && streq(colon + 1, ref);
}

static bool platform_is_host(const Descriptor *d) {
        return d->os && d->architecture && streq(d->os, "linux") && streq(d->architecture, oci_arch_host());
}

/* "a, b": each different item once. */
static int list_add(char **list, const char *item) {
        _cleanup_free_ char *pattern = strjoin(", ", item, ", "), *padded = strjoin(", ", strempty(*list), ", ");
        char *n;

        if (!pattern || !padded)
                return -ENOMEM;
        if (strstr(padded, pattern))
                return 0;
        n = *list ? strjoin(*list, ", ", item) : strdup(item);
        if (!n)
                return -ENOMEM;
        free(*list);
        *list = n;
        return 0;
}

static int names_list(const Descriptor *d, size_t n, char **ret) {
        _cleanup_free_ char *list = NULL;

        for (size_t i = 0; i < n; i++) {
                char unnamed[STRLEN("(unnamed sha256:)") + 13];
                const char *name = descriptor_name(&d[i]);

                if (!name) {
                        snprintf(unnamed, sizeof unnamed, "(unnamed sha256:%.12s)", d[i].hex);
                        name = unnamed;
                }
                if (list_add(&list, name) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static int no_platform_error(const Descriptor *d, size_t n, char **error) {
        _cleanup_free_ char *list = NULL;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;

                if (!d[i].architecture)
                        p = strdup("(no platform)");
                else if (d[i].os && !streq(d[i].os, "linux"))
                        p = strjoin(d[i].os, "/", d[i].architecture);
                else
                        p = strdup(d[i].architecture);
                if (!p || list_add(&list, p) < 0)
                        return -ENOMEM;
        }
        return fail(error, -ENOENT, "no image for %s (has: %.300s)", oci_arch_host(), strempty(list));
}

static bool same_digest(const Descriptor *d, size_t n) {
        for (size_t i = 1; i < n; i++)
                if (!streq(d[i].hex, d[0].hex))
                        return false;
        return true;
}

/* Of several manifests (or indexes), the one for this host: the first for
 * linux and our architecture; or else the only one without a platform. */
static int platform_pick(const Descriptor *d, size_t n, const Descriptor **ret, char **error) {
        const Descriptor *unplatformed = NULL;

        for (size_t i = 0; i < n; i++)
                if (platform_is_host(&d[i])) {
                        *ret = &d[i];
                        return 0;
                }
        for (size_t i = 0; i < n; i++) {
                if (d[i].architecture || d[i].os)
                        continue;
                if (unplatformed && !streq(unplatformed->hex, d[i].hex))
                        return no_platform_error(d, n, error);
                unplatformed = &d[i];
        }
        if (!unplatformed)
                return no_platform_error(d, n, error);
        *ret = unplatformed;
        return 0;
}

static int index_descriptors(json_object *index, const char *what, Descriptor **ret, size_t *ret_n, char **error) {
        _cleanup_free_ Descriptor *d = NULL;
        json_object *a;
        size_t n;
        int r;

        r = schema_version_check(index, what, error);
        if (r < 0)
                return r;
        a = json_get(index, "manifests", json_type_array);
        if (!a)
                return fail(error, -EBADMSG, "%s has no manifests list", what);
        n = sym_json_object_array_length(a);
        if (n == 0)
                return fail(error, -ENOENT, "%s lists no image", what);
        d = calloc(n, sizeof(Descriptor));
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char w[96];

                snprintf(w, sizeof w, "manifests[%zu] of %s", i, what);
                r = descriptor_parse(sym_json_object_array_get_idx(a, i), w, &d[i], error);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(d);
        *ret_n = n;
        return 0;
}

static int follow(int dir_fd, const Descriptor *d, unsigned depth, OciImage *img, char **error);

/* index.json's entries: those named ref, or, without one, those of the
 * only image there (several names for one manifest are one image). */
static int top_pick(Descriptor *d, size_t *n, const char *ref, char **error) {
        _cleanup_free_ char *names = NULL;
        size_t k = 0;

        if (names_list(d, *n, &names) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (!ref || name_matches(d[i].ref_name, ref) || name_matches(d[i].image_name, ref))
                        d[k++] = d[i];
        if (k == 0)
                return fail(error, -ENOENT, "no image named %.200s in the layout (has: %.300s)", ref, names);
        *n = k;
        if (ref || same_digest(d, k))
                return 0;
        for (size_t i = 1; i < k; i++)
                if (!streq_ptr(descriptor_name(&d[i]), descriptor_name(&d[0])))
                        return fail(error, -EBADMSG, "several images, pick one with --ref= (has: %.300s)", names);
        return 0;
}

/* The index's manifest for this host (in index.json, depth 0: of the image
 * named ref), followed. */
static int index_follow(int dir_fd, json_object *index, const char *what, const char *ref, unsigned depth,
                        OciImage *img, char **error) {
        _cleanup_free_ Descriptor *d = NULL;
        const Descriptor *pick = NULL;
        size_t n = 0;
        int r;

        r = index_descriptors(index, what, &d, &n, error);
        if (r >= 0 && depth == 0)
                r = top_pick(d, &n, ref, error);
        if (r >= 0)
                r = platform_pick(d, n, &pick, error);
        if (r < 0)
                return r;
        return follow(dir_fd, pick, depth + 1, img, error);
}

/* An index or a manifest, as its descriptor says (or, without a mediaType
 * there, as its own mediaType or its members say). */
static int follow(int dir_fd, const Descriptor *d, unsigned depth, OciImage *img, char **error) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        char what[64], path[STRLEN("blobs/sha256/") + SHA256_HEX_SIZE];
        const char *own, *type;
        int r;

        if (depth > INDEX_DEPTH_MAX)
                return fail(error, -EBADMSG, "image indexes nest more than %u deep", INDEX_DEPTH_MAX);
        snprintf(what, sizeof what, "the %s sha256:%.12s", is_index(d->media_type) ? "image index" : "manifest",
                 d->hex);
        snprintf(path, sizeof path, "blobs/sha256/%s", d->hex);
        r = json_file_read(dir_fd, path, what, d->size, d->hex, NULL, NULL, &o, error);
        if (r < 0)
                return r;
        own = json_get_string(o, "mediaType");
        if (d->media_type && own && !streq(d->media_type, own))
                return fail(error, -EBADMSG, "%s has the media type %.200s, its descriptor says %.200s", what, own,
                            d->media_type);
        type = d->media_type ?: own ?: (json_get(o, "manifests", json_type_array) ? MT_OCI_INDEX : MT_OCI_MANIFEST);
        if (is_index(type)) {
                snprintf(what, sizeof what, "the image index sha256:%.12s", d->hex);
                return index_follow(dir_fd, o, what, NULL, depth, img, error);
        }
        if (is_manifest(type))
                return manifest_load(dir_fd, o, img, error);
        return fail(error, -EBADMSG, "%s has the media type %.200s: not an image manifest or index", what, type);
}

static int layout_load(int dir_fd, const char *ref, OciImage *img, char **error) {
        _cleanup_(json_object_putp) json_object *layout = NULL, *index = NULL;
        const char *version;
        int r;

        r = json_file_read(dir_fd, "oci-layout", "oci-layout", UINT64_MAX, NULL, NULL, NULL, &layout, error);
        if (r < 0)
                return r;
        version = json_get_string(layout, "imageLayoutVersion");
        if (!version || !streq(version, "1.0.0"))
                return fail(error, -EBADMSG, "oci-layout does not say imageLayoutVersion 1.0.0");
        r = json_file_read(dir_fd, "index.json", "index.json", UINT64_MAX, NULL, NULL, NULL, &index, error);
        if (r < 0)
                return r;
        return index_follow(dir_fd, index, "index.json", ref, 0, img, error);
}

/* --- docker save's manifest.json ------------------------------------------- */

static bool repo_tags_match(json_object *entry, const char *ref) {
        json_object *tags = json_get(entry, "RepoTags", json_type_array);
        size_t n = tags ? sym_json_object_array_length(tags) : 0;

        for (size_t i = 0; i < n; i++)
                if (name_matches(json_string(sym_json_object_array_get_idx(tags, i)), ref))
                        return true;
        return false;
}

static int repo_tags_list(json_object *manifest, char **ret) {
        _cleanup_free_ char *list = NULL;
        size_t n = sym_json_object_array_length(manifest);

        for (size_t i = 0; i < n; i++) {
                json_object *tags = json_get(sym_json_object_array_get_idx(manifest, i), "RepoTags", json_type_array);
                size_t m = tags ? sym_json_object_array_length(tags) : 0;

                if (m == 0 && list_add(&list, "(untagged)") < 0)
                        return -ENOMEM;
                for (size_t j = 0; j < m; j++) {
                        const char *t = json_string(sym_json_object_array_get_idx(tags, j));

                        if (t && list_add(&list, t) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static int docker_pick(json_object *manifest, const char *ref, json_object **ret, char **error) {
        _cleanup_free_ char *tags = NULL;
        const char *first;
        size_t n;

        if (sym_json_object_get_type(manifest) != json_type_array)
                return fail(error, -EBADMSG, "manifest.json is not a list");
        n = sym_json_object_array_length(manifest);
        if (n == 0)
                return fail(error, -ENOENT, "manifest.json lists no image");
        if (repo_tags_list(manifest, &tags) < 0)
                return -ENOMEM;
        if (ref) {
                for (size_t i = 0; i < n; i++)
                        if (repo_tags_match(sym_json_object_array_get_idx(manifest, i), ref)) {
                                *ret = sym_json_object_array_get_idx(manifest, i);
                                return 0;
                        }
                return fail(error, -ENOENT, "no image tagged %.200s in manifest.json (has: %.300s)", ref,
                            strempty(tags));
        }
        /* Several entries for one config are one image under several tags. */
        first = json_get_string(sym_json_object_array_get_idx(manifest, 0), "Config");
        for (size_t i = 1; i < n; i++) {
                const char *config = json_get_string(sym_json_object_array_get_idx(manifest, i), "Config");

                if (!first || !config || !streq(first, config))
                        return fail(error, -EBADMSG, "several images, pick one with --ref= (has: %.300s)",
                                    strempty(tags));
        }
        *ret = sym_json_object_array_get_idx(manifest, 0);
        return 0;
}

/* docker names the config after its digest ("HEX.json", or the blob's
 * path in the newer archives): that is checked when it does. */
static const char *docker_config_hex(const char *path, char buf[static SHA256_HEX_SIZE]) {
        const char *base = strrchr(path, '/'), *hex = startswith(path, "blobs/sha256/");

        if (hex)
                return sha256_hex_is_valid(hex) ? hex : NULL;
        base = base ? base + 1 : path;
        if (strlen(base) != SHA256_HEX_SIZE - 1 + STRLEN(".json") || !endswith(base, ".json"))
                return NULL;
        snprintf(buf, SHA256_HEX_SIZE, "%.64s", base);
        return sha256_hex_is_valid(buf) ? buf : NULL;
}

static int docker_layers(int dir_fd, json_object *entry, OciImage *img, char **error) {
        json_object *layers = json_get(entry, "Layers", json_type_array);
        size_t n = layers ? sym_json_object_array_length(layers) : 0;
        int r;

        if (!layers)
                return fail(error, -EBADMSG, "manifest.json has no Layers list");
        if (n != img->n_layers)
                return fail(error, -EBADMSG, "manifest.json has %zu layers, the image config's rootfs.diff_ids %zu", n,
                            img->n_layers);
        for (size_t i = 0; i < n; i++) {
                const char *path = json_string(sym_json_object_array_get_idx(layers, i));
                OciLayer *l = &img->layers[i];
                char what[64];
                struct stat st;

                snprintf(what, sizeof what, "layer %zu of manifest.json", i);
                if (!path || !relative_path_is_safe(path))
                        return fail(error, -EBADMSG, "%s is not a relative path inside the archive: %.200s", what,
                                    strna(path));
                r = blob_open(dir_fd, path, what, &st, NULL, error);
                if (r < 0)
                        return r;
                l->path = strdup(path);
                l->media_type = strdup("");
                if (!l->path || !l->media_type)
                        return -ENOMEM;
        }
        return 0;
}

static int docker_load(int dir_fd, const char *ref, OciImage *img, char **error) {
        _cleanup_(json_object_putp) json_object *manifest = NULL;
        char buf[SHA256_HEX_SIZE];
        json_object *entry = NULL;
        const char *config;
        int r;

        r = json_file_read(dir_fd, "manifest.json", "manifest.json", UINT64_MAX, NULL, NULL, NULL, &manifest, error);
        if (r < 0)
                return r;
        r = docker_pick(manifest, ref, &entry, error);
        if (r < 0)
                return r;
        config = json_get_string(entry, "Config");
        if (!config || !relative_path_is_safe(config))
                return fail(error, -EBADMSG, "manifest.json's Config is not a relative path inside the archive: %.200s",
                            strna(config));
        r = config_load(dir_fd, config, UINT64_MAX, docker_config_hex(config, buf), img, error);
        if (r < 0)
                return r;
        return docker_layers(dir_fd, entry, img, error);
}

/* --- Loading --------------------------------------------------------------- */

static int layout_has(int dir_fd, const char *name, char **error) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = open_in_root(dir_fd, name, O_PATH, 0, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return fail(error, r, "cannot open %s: %s", name, strerror(-r));
        return 1;
}

static int image_load(int dir_fd, const char *ref, OciImage *img, char **error) {
        int r;

        r = dlopen_jsonc();
        if (r < 0)
                return fail(error, r, "reading OCI images needs json-c (libjson-c.so.5): %s", strerror(-r));
        r = layout_has(dir_fd, "index.json", error);
        if (r > 0)
                return layout_load(dir_fd, ref, img, error);
        if (r == 0)
                r = layout_has(dir_fd, "manifest.json", error);
        if (r > 0)
                return docker_load(dir_fd, ref, img, error);
        if (r == 0)
                return fail(error, -ENOENT,
                            "neither an OCI image layout (index.json) nor a docker-save archive "
                            "(manifest.json)");
        return r;
}

int oci_image_load(int dir_fd, const char *ref, OciImage *ret, char **ret_error) {
        _cleanup_(oci_image_done) OciImage img = {};
        _cleanup_free_ char *error = NULL;
        int r;

        r = image_load(dir_fd, ref, &img, &error);
        if (r < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(error) ?: strdup(strerror(-r));
                return r;
        }
        *ret = img;
        img = (OciImage) {};
        return 0;
}

void oci_image_done(OciImage *i) {
        for (size_t k = 0; k < i->n_layers; k++) {
                free(i->layers[k].media_type);
                free(i->layers[k].path);
        }
        free(i->layers);
        free(i->config_json);
        free(i->architecture);
        free(i->os);
        strv_free(i->env);
        strv_free(i->entrypoint);
        strv_free(i->cmd);
        free(i->working_dir);
        free(i->user);
        *i = (OciImage) {};
}

const char *oci_arch_host(void) {
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__i386__)
        return "386";
#elif defined(__arm__)
        return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64le";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#elif defined(__loongarch64)
        return "loong64";
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "mips64le";
#elif defined(__mips__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "mipsle";
#else
#error "Which GOARCH is this architecture?"
#endif
}

/* --- Writing --------------------------------------------------------------- */

static int diff_ids_array(char *const *diff_ids, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = sym_json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;
        STRV_FOREACH(id, (char **) diff_ids) {
                const char *hex = startswith(*id, "sha256:") ?: *id;
                _cleanup_free_ char *d = NULL;

                if (!sha256_hex_is_valid(hex))
                        return -EINVAL;
                d = strjoin("sha256:", hex);
                if (!d)
                        return -ENOMEM;
                r = json_append(a, sym_json_object_new_string(d));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int rootfs_set(json_object *conf, char *const *diff_ids) {
        _cleanup_(json_object_putp) json_object *rootfs = sym_json_object_new_object();
        json_object *ids;
        int r;

        if (!rootfs)
                return -ENOMEM;
        r = diff_ids_array(diff_ids, &ids);
        if (r < 0)
                return r;
        r = json_add_string(rootfs, "type", "layers");
        if (r >= 0)
                r = json_add(rootfs, "diff_ids", ids);
        else
                sym_json_object_put(ids);
        if (r < 0)
                return r;
        return json_add(conf, "rootfs", TAKE_PTR(rootfs));
}

static int history_append(json_object *conf, const char *created_by) {
        _cleanup_(json_object_putp) json_object *entry = sym_json_object_new_object();
        json_object *history = json_get(conf, "history", json_type_array);
        char now[sizeof("YYYY-MM-DDTHH:MM:SSZ")];
        time_t t = time(NULL);
        struct tm tm;
        int r;

        if (!entry)
                return -ENOMEM;
        if (!gmtime_r(&t, &tm) || strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        r = json_add_string(conf, "created", now);
        if (r >= 0)
                r = json_add_string(entry, "created", now);
        if (r >= 0)
                r = json_add_string(entry, "created_by", created_by);
        if (r < 0)
                return r;
        if (!history) {
                r = json_add(conf, "history", sym_json_object_new_array());
                if (r < 0)
                        return r;
                history = json_get(conf, "history", json_type_array);
        }
        return json_append(history, TAKE_PTR(entry));
}

/* Whether history has one entry without empty_layer per layer. */
static bool history_consistent(json_object *conf, size_t n_layers) {
        json_object *history = json_get(conf, "history", json_type_array);
        size_t n, layers = 0;

        if (!history)
                return false;
        n = sym_json_object_array_length(history);
        for (size_t i = 0; i < n; i++) {
                json_object *e = sym_json_object_array_get_idx(history, i), *empty;

                if (!e || sym_json_object_get_type(e) != json_type_object)
                        return false;
                empty = json_get(e, "empty_layer", json_type_boolean);
                if (!empty || !sym_json_object_get_boolean(empty))
                        layers++;
        }
        return layers == n_layers;
}

static int config_minimal(json_object **ret) {
        _cleanup_(json_object_putp) json_object *conf = sym_json_object_new_object();
        int r;

        if (!conf)
                return -ENOMEM;
        r = json_add_string(conf, "architecture", oci_arch_host());
        if (r >= 0)
                r = json_add_string(conf, "os", "linux");
        if (r >= 0)
                r = json_add(conf, "config", sym_json_object_new_object());
        if (r < 0)
                return r;
        *ret = TAKE_PTR(conf);
        return 0;
}

int oci_config_with_layers(const char *config_json, char *const *diff_ids, const char *created_by, char **ret_json) {
        _cleanup_(json_object_putp) json_object *conf = NULL;
        int r;

        r = dlopen_jsonc();
        if (r < 0)
                return r;
        if (config_json) {
                r = json_parse(config_json, strlen(config_json), &conf);
                if (r >= 0 && sym_json_object_get_type(conf) != json_type_object)
                        r = -EBADMSG;
        } else
                r = config_minimal(&conf);
        if (r < 0)
                return r;
        r = rootfs_set(conf, diff_ids);
        if (r >= 0 && created_by)
                r = history_append(conf, created_by);
        if (r < 0)
                return r;
        if (!history_consistent(conf, strv_length((char **) diff_ids)))
                sym_json_object_object_del(conf, "history");
        return json_to_text(conf, ret_json);
}

static bool ascii_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* image-layout.md's grammar of ref.name: components of alphanumerics with
 * single separators ("-", ".", "_", ":", "@", "+", or "--"), joined by "/". */
static bool ref_is_valid(const char *ref) {
        bool want_alnum = true;

        if (isempty(ref) || strlen(ref) > 1024)
                return false;
        for (const char *p = ref; *p; p++) {
                if (ascii_alnum(*p)) {
                        want_alnum = false;
                        continue;
                }
                if (want_alnum || !strchr("/-._:@+", *p))
                        return false;
                if (p[0] == '-' && p[1] == '-')
                        p++;
                want_alnum = true;
        }
        return !want_alnum;
}

/* The JSON written from here on holds only hex digests, numbers, media
 * types, a ref that passed ref_is_valid() and platform names that are plain
 * words: nothing that needs escaping. */
static char *descriptor_text(const char *media_type, const char *hex, uint64_t size, const char *extra) {
        return strdup_printf("{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%" PRIu64 "%s}", media_type, hex,
                             size, extra);
}

/* Writes text as blobs/sha256/HEX; its hex into ret_hex. */
static int blob_write(int dir_fd, const char *text, char ret_hex[SHA256_HEX_SIZE], char **error) {
        char path[STRLEN("blobs/sha256/") + SHA256_HEX_SIZE];
        int r;

        r = sha256_data(text, strlen(text), ret_hex);
        if (r < 0)
                return fail(error, r, "cannot compute a SHA-256 digest: %s", strerror(-r));
        snprintf(path, sizeof path, "blobs/sha256/%s", ret_hex);
        r = write_data_file_at(dir_fd, path, text, strlen(text), WRITE_FILE_CREATE, 0644);
        if (r < 0)
                return fail(error, r, "cannot write %s: %s", path, strerror(-r));
        return 0;
}

static char *manifest_text(const char *config_hex, size_t config_size, char *const *layer_digests,
                           const uint64_t *layer_sizes, size_t n_layers) {
        _cleanup_free_ char *config = descriptor_text(MT_OCI_CONFIG, config_hex, config_size, ""), *layers = strdup("");

        for (size_t i = 0; i < n_layers && layers; i++) {
                _cleanup_free_ char *d = descriptor_text(MT_OCI_LAYER, layer_digests[i], layer_sizes[i], ""),
                                    *old = TAKE_PTR(layers);

                layers = d && old ? strjoin(old, i > 0 ? "," : "", d) : NULL;
        }
        if (!config || !layers)
                return NULL;
        return strdup_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":%s,\"layers\":[%s]}",
                             MT_OCI_MANIFEST, config, layers);
}

static bool word_is_plain(const char *s) {
        return !isempty(s) && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

/* index.json: the manifest, with its ref and the config's platform. */
static char *index_text(const char *manifest_hex, size_t manifest_size, const char *ref, json_object *conf) {
        const char *arch = json_get_string(conf, "architecture"), *os = json_get_string(conf, "os");
        _cleanup_free_ char *extra = NULL, *entry = NULL;

        if (word_is_plain(arch) && word_is_plain(os))
                extra = strdup_printf(
                        ",\"platform\":{\"architecture\":\"%s\",\"os\":\"%s\"},\"annotations\":{\"%s\":\"%s\"}", arch,
                        os, ANNOTATION_REF_NAME, ref);
        else
                extra = strdup_printf(",\"annotations\":{\"%s\":\"%s\"}", ANNOTATION_REF_NAME, ref);
        entry = extra ? descriptor_text(MT_OCI_MANIFEST, manifest_hex, manifest_size, extra) : NULL;
        if (!entry)
                return NULL;
        return strdup_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[%s]}", MT_OCI_INDEX, entry);
}

static int layers_check(int dir_fd, char *const *layer_digests, const uint64_t *layer_sizes, size_t n_layers,
                        char **error) {
        for (size_t i = 0; i < n_layers; i++) {
                char path[STRLEN("blobs/sha256/") + SHA256_HEX_SIZE];
                struct stat st;
                int r;

                if (!sha256_hex_is_valid(layer_digests[i]))
                        return fail(error, -EINVAL, "layer %zu: \"%.100s\" is no SHA-256 digest", i, layer_digests[i]);
                snprintf(path, sizeof path, "blobs/sha256/%s", layer_digests[i]);
                r = blob_open(dir_fd, path, "the layer", &st, NULL, error);
                if (r < 0)
                        return r;
                if ((uint64_t) st.st_size != layer_sizes[i])
                        return fail(error, -EINVAL, "%s has %jd bytes, not %" PRIu64, path, (intmax_t) st.st_size,
                                    layer_sizes[i]);
        }
        return 0;
}

static int layout_write(int dir_fd, const char *ref, const char *config_json, char *const *layer_digests,
                        const uint64_t *layer_sizes, size_t n_layers, char **error) {
        _cleanup_(json_object_putp) json_object *conf = NULL;
        _cleanup_(oci_image_done) OciImage check = {};
        _cleanup_free_ char *manifest = NULL, *index = NULL;
        char config_hex[SHA256_HEX_SIZE], manifest_hex[SHA256_HEX_SIZE];
        int r;

        if (!ref_is_valid(ref))
                return fail(error, -EINVAL, "\"%.200s\" is not a valid image reference (ref.name)", strna(ref));
        r = dlopen_jsonc();
        if (r < 0)
                return fail(error, r, "writing OCI images needs json-c (libjson-c.so.5): %s", strerror(-r));
        r = json_parse(config_json, strlen(config_json), &conf);
        if (r < 0 || sym_json_object_get_type(conf) != json_type_object)
                return fail(error, r < 0 ? r : -EBADMSG, "the image config is not a JSON object");
        r = config_diff_ids(conf, &check, error);
        if (r < 0)
                return r;
        if (check.n_layers != n_layers)
                return fail(error, -EINVAL, "the image config has %zu diff_ids for %zu layers", check.n_layers,
                            n_layers);
        if ((mkdirat(dir_fd, "blobs", 0755) < 0 && errno != EEXIST) ||
            (mkdirat(dir_fd, "blobs/sha256", 0755) < 0 && errno != EEXIST))
                return fail(error, -errno, "cannot make blobs/sha256: %s", strerror(errno));
        r = layers_check(dir_fd, layer_digests, layer_sizes, n_layers, error);
        if (r < 0)
                return r;
        r = blob_write(dir_fd, config_json, config_hex, error);
        if (r < 0)
                return r;
        manifest = manifest_text(config_hex, strlen(config_json), layer_digests, layer_sizes, n_layers);
        if (!manifest)
                return -ENOMEM;
        r = blob_write(dir_fd, manifest, manifest_hex, error);
        if (r < 0)
                return r;
        index = index_text(manifest_hex, strlen(manifest), ref, conf);
        r = !index ? -ENOMEM
                   : write_string_file_at(dir_fd, "index.json", index, WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, 0644);
        if (r >= 0)
                r = write_string_file_at(dir_fd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}",
                                         WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, 0644);
        if (r < 0 && !*error)
                return fail(error, r, "cannot write the OCI image layout: %s", strerror(-r));
        return r;
}

int oci_layout_write(int dir_fd, const char *ref, const char *config_json, char *const *layer_digests,
                     const uint64_t *layer_sizes, size_t n_layers, char **ret_error) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = layout_write(dir_fd, ref, config_json, layer_digests, layer_sizes, n_layers, &error);
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(error) ?: strdup(strerror(-r));
        return r;
}
