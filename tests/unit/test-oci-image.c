/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "oci-image.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

/* Layouts made by hand: JSON written here, blobs named by their SHA-256,
 * layers as small files (oci_image_load() checks that they exist and their
 * sizes; their contents are the unpacker's business). */

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_TAR "application/vnd.oci.image.layer.v1.tar"
#define MT_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"

typedef struct Blob {
        char hex[SHA256_HEX_SIZE];
        size_t size;
} Blob;

static void put(int fd, const char *path, const char *text) {
        ASSERT_OK(write_string_file_at(fd, path, text, WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, 0644));
}

static void hex_of(const char *text, char ret[SHA256_HEX_SIZE]) {
        _cleanup_(sha256_freep) Sha256 *s = NULL;

        ASSERT_OK(sha256_new(&s));
        ASSERT_OK(sha256_update(s, text, strlen(text)));
        ASSERT_OK(sha256_final_hex(s, ret));
}

static Blob blob(int fd, const char *text) {
        _cleanup_free_ char *path = NULL;
        Blob b = { .size = strlen(text) };

        hex_of(text, b.hex);
        path = strjoin("blobs/sha256/", b.hex);
        ASSERT_NOT_NULL(path);
        put(fd, path, text);
        return b;
}

/* A descriptor; extra: more members (",\"platform\":{…}") or "". */
static char *desc(const char *media_type, Blob b, const char *extra) {
        char *s = strdup_printf("{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu%s}", media_type, b.hex,
                                b.size, extra);

        ASSERT_NOT_NULL(s);
        return s;
}

_printf_(2, 3) static void append(char **s, const char *format, ...) {
        _cleanup_free_ char *add = NULL;
        char *n;
        va_list ap;

        va_start(ap, format);
        ASSERT_TRUE(vasprintf(&add, format, ap) >= 0);
        va_end(ap);
        n = strjoin(strempty(*s), add);
        ASSERT_NOT_NULL(n);
        free(*s);
        *s = n;
}

static int layout_new(const char *name) {
        _cleanup_free_ char *p = tests_path(name);
        int fd;

        ASSERT_OK(RET_NERRNO(mkdir(p, 0755)));
        fd = tests_open_dir(name);
        ASSERT_OK(RET_NERRNO(mkdirat(fd, "blobs", 0755)));
        ASSERT_OK(RET_NERRNO(mkdirat(fd, "blobs/sha256", 0755)));
        put(fd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        return fd;
}

static char *diff_id(const char *tag, size_t i) {
        _cleanup_free_ char *s = strdup_printf("diff-%s-%zu", tag, i);
        char hex[SHA256_HEX_SIZE];

        ASSERT_NOT_NULL(s);
        hex_of(s, hex);
        return strdup(hex);
}

/* A config naming tag, with n_ids diff_ids, as text. */
static char *config_text(const char *tag, size_t n_ids) {
        _cleanup_free_ char *ids = NULL;
        char *s;

        for (size_t i = 0; i < n_ids; i++) {
                _cleanup_free_ char *id = diff_id(tag, i);
                append(&ids, "%s\"sha256:%s\"", i > 0 ? "," : "", id);
        }
        s = strdup_printf(
                "{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/bin\",\"TAG=%s\"],"
                "\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo %s\"],\"WorkingDir\":\"/srv\","
                "\"User\":\"1000:1000\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]},"
                "\"history\":[{\"created_by\":\"made by hand\"}]}",
                oci_arch_host(), tag, tag, strempty(ids));
        ASSERT_NOT_NULL(s);
        return s;
}

/* An image stored in the layout: n_layers layers "layer-TAG-I" of type
 * layer_type, a config with n_ids diff_ids; returns its manifest. */
static Blob image(int fd, const char *tag, const char *layer_type, size_t n_layers, size_t n_ids) {
        _cleanup_free_ char *config = config_text(tag, n_ids), *layers = NULL, *cd = NULL, *manifest = NULL;

        for (size_t i = 0; i < n_layers; i++) {
                _cleanup_free_ char *content = strdup_printf("layer-%s-%zu", tag, i), *d = NULL;

                ASSERT_NOT_NULL(content);
                d = desc(layer_type, blob(fd, content), "");
                append(&layers, "%s%s", i > 0 ? "," : "", d);
        }
        cd = desc(MT_CONFIG, blob(fd, config), "");
        manifest = strdup_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":%s,\"layers\":[%s]}",
                                 MT_MANIFEST, cd, strempty(layers));
        ASSERT_NOT_NULL(manifest);
        return blob(fd, manifest);
}

/* index.json (or another index) listing the given descriptors. */
static char *index_text(char *const *entries) {
        _cleanup_free_ char *list = strv_join(entries, ",");
        char *s;

        ASSERT_NOT_NULL(list);
        s = strdup_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[%s]}", MT_INDEX, list);
        ASSERT_NOT_NULL(s);
        return s;
}

static void put_index(int fd, char *const *entries) {
        _cleanup_free_ char *s = index_text(entries);

        put(fd, "index.json", s);
}

static char *named(const char *media_type, Blob b, const char *name) {
        _cleanup_free_ char *extra =
                strdup_printf(",\"annotations\":{\"org.opencontainers.image.ref.name\":\"%s\"}", name);

        ASSERT_NOT_NULL(extra);
        return desc(media_type, b, extra);
}

static void load_fails(int line, int fd, const char *ref, int err, const char *needle) {
        _cleanup_free_ char *error = NULL;
        OciImage img = {};
        int r = oci_image_load(fd, ref, &img, &error);

        if (r != -err || !error || !strstr(error, needle) || strchr(error, '\n'))
                tests_fail(__FILE__, line, "oci_image_load(%s) = %d \"%s\", expected %d with \"%s\"", strna(ref), r,
                           strna(error), -err, needle);
}
#define LOAD_FAILS(fd, ref, err, needle) load_fails(__LINE__, fd, ref, err, needle)

static void load(int fd, const char *ref, OciImage *ret) {
        _cleanup_free_ char *error = NULL;
        int r = oci_image_load(fd, ref, ret, &error);

        if (r < 0)
                tests_fail(__FILE__, __LINE__, "oci_image_load(%s): %s", strna(ref), strna(error));
}

/* The image image() made for tag: its layers, diff_ids and config. */
static void assert_image(const OciImage *img, const char *tag, const char *layer_type, size_t n_layers) {
        _cleanup_free_ char *env = strjoin("TAG=", tag), *cmd = strjoin("echo ", tag);

        ASSERT_EQ(img->n_layers, n_layers);
        for (size_t i = 0; i < n_layers; i++) {
                _cleanup_free_ char *content = strdup_printf("layer-%s-%zu", tag, i), *id = diff_id(tag, i),
                                    *path = NULL;
                char hex[SHA256_HEX_SIZE];

                hex_of(content, hex);
                path = strjoin("blobs/sha256/", hex);
                ASSERT_STREQ(img->layers[i].digest, hex);
                ASSERT_STREQ(img->layers[i].diff_id, id);
                ASSERT_STREQ(img->layers[i].media_type, layer_type);
                ASSERT_STREQ(img->layers[i].path, path);
                ASSERT_EQ(img->layers[i].size, strlen(content));
        }
        ASSERT_STREQ(img->architecture, oci_arch_host());
        ASSERT_STREQ(img->os, "linux");
        ASSERT_EQ(strv_length(img->env), 2);
        ASSERT_STREQ(img->env[1], env);
        ASSERT_TRUE(strv_length(img->entrypoint) == 2 && streq(img->entrypoint[1], "-c"));
        ASSERT_TRUE(strv_length(img->cmd) == 1 && streq(img->cmd[0], cmd));
        ASSERT_STREQ(img->working_dir, "/srv");
        ASSERT_STREQ(img->user, "1000:1000");
        ASSERT_TRUE(strstr(img->config_json, cmd) != NULL);
        ASSERT_TRUE(sha256_hex_is_valid(img->config_digest));
}

TEST(oci_arch_host) {
        ASSERT_TRUE(!isempty(oci_arch_host()));
#if defined(__x86_64__)
        ASSERT_STREQ(oci_arch_host(), "amd64");
#endif
}

TEST(two_refs) {
        _cleanup_close_ int fd = layout_new("two");
        _cleanup_(oci_image_done) OciImage a = {}, b = {}, c = {};
        _cleanup_free_ char *one = named(MT_MANIFEST, image(fd, "one", MT_GZIP, 2, 2), "one"),
                            *two = desc(MT_MANIFEST, image(fd, "two", MT_TAR, 1, 1),
                                        ",\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/x:two\","
                                        "\"org.opencontainers.image.ref.name\":\"two\"}");

        put_index(fd, STRV_MAKE(one, two));
        put(fd, "manifest.json", "[]"); /* docker 25 saves both: index.json is read */
        load(fd, "one", &a);
        assert_image(&a, "one", MT_GZIP, 2);
        load(fd, "two", &b);
        assert_image(&b, "two", MT_TAR, 1);
        load(fd, "docker.io/library/x:two", &c);
        assert_image(&c, "two", MT_TAR, 1);
        LOAD_FAILS(fd, NULL, EBADMSG, "several images, pick one with --ref= (has: one, two)");
        LOAD_FAILS(fd, "three", ENOENT, "no image named three in the layout (has: one, two)");
}

TEST(one_image_two_names) {
        _cleanup_close_ int fd = layout_new("names");
        _cleanup_(oci_image_done) OciImage img = {};
        Blob m = image(fd, "x", MT_TAR, 1, 1);
        _cleanup_free_ char *a = named(MT_MANIFEST, m, "latest"), *b = named(MT_MANIFEST, m, "v1");

        put_index(fd, STRV_MAKE(a, b));
        load(fd, NULL, &img);
        assert_image(&img, "x", MT_TAR, 1);
}

static char *platform(const char *os, const char *arch) {
        char *s = strdup_printf(",\"platform\":{\"architecture\":\"%s\",\"os\":\"%s\"}", arch, os);

        ASSERT_NOT_NULL(s);
        return s;
}

TEST(nested_index) {
        _cleanup_close_ int fd = layout_new("nested");
        _cleanup_(oci_image_done) OciImage img = {};
        _cleanup_free_ char *p_arm = platform("linux", "arm64"), *p_host = platform("linux", oci_arch_host()),
                            *p_unknown = platform("unknown", "unknown"), *p_s390 = platform("linux", "s390x"),
                            *arm = desc(MT_MANIFEST, image(fd, "arm", MT_TAR, 1, 1), p_arm),
                            *host = desc(MT_MANIFEST, image(fd, "host", MT_TAR, 2, 2), p_host),
                            *att = desc(MT_MANIFEST, image(fd, "att", MT_TAR, 1, 1), p_unknown),
                            *s390 = desc(MT_MANIFEST, image(fd, "s390", MT_TAR, 1, 1), p_s390),
                            *inner = index_text(STRV_MAKE(arm, host, att)), *foreign = index_text(STRV_MAKE(arm, s390)),
                            *top = named(MT_INDEX, blob(fd, inner), "latest"), *top2 = NULL, *want = NULL;

        put_index(fd, STRV_MAKE(top));
        load(fd, NULL, &img);
        assert_image(&img, "host", MT_TAR, 2);

        top2 = named(MT_INDEX, blob(fd, foreign), "latest");
        put_index(fd, STRV_MAKE(top2));
        want = strdup_printf("no image for %s (has: arm64, s390x)", oci_arch_host());
        LOAD_FAILS(fd, NULL, ENOENT, want);
        LOAD_FAILS(fd, "latest", ENOENT, want);
}

TEST(platforms_in_index_json) {
        _cleanup_close_ int fd = layout_new("platforms");
        _cleanup_(oci_image_done) OciImage img = {};
        _cleanup_free_ char *p_arm = platform("linux", "arm64"), *p_host = platform("linux", oci_arch_host()),
                            *arm = desc(MT_MANIFEST, image(fd, "arm", MT_TAR, 1, 1), p_arm),
                            *host = desc(MT_MANIFEST, image(fd, "host", MT_TAR, 1, 1), p_host);

        put_index(fd, STRV_MAKE(arm, host));
        load(fd, NULL, &img);
        assert_image(&img, "host", MT_TAR, 1);
}

/* index.json with one entry whose digest is digest. */
static void put_index_digest(int fd, const char *digest) {
        _cleanup_free_ char *s = strdup_printf(
                "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":10}]}",
                MT_MANIFEST, digest);

        ASSERT_NOT_NULL(s);
        put(fd, "index.json", s);
}

TEST(bad_digests) {
        _cleanup_close_ int fd = layout_new("digests");
        Blob m = image(fd, "x", MT_TAR, 1, 1);
        _cleanup_free_ char *upper = strdup_printf("sha256:%s", m.hex);

        for (char *p = upper; *p; p++)
                *p = (char) toupper((unsigned char) *p);
        put_index_digest(fd, upper);
        LOAD_FAILS(fd, NULL, EBADMSG, "only sha256:<64 lowercase hex digits>");
        put_index_digest(fd, "sha512:00");
        LOAD_FAILS(fd, NULL, EBADMSG, "has the digest \"sha512:00\"");
        put_index_digest(fd, "sha256:../../../../etc/passwd");
        LOAD_FAILS(fd, NULL, EBADMSG, "sha256:../../../../etc/passwd");
}

/* A manifest whose config or layer descriptor is made of the given text. */
static void put_manifest(int fd, const char *config, const char *layers) {
        _cleanup_free_ char *manifest = strdup_printf(
                                    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":%s,\"layers\":[%s]}",
                                    MT_MANIFEST, config, layers),
                            *entry = NULL;

        ASSERT_NOT_NULL(manifest);
        entry = named(MT_MANIFEST, blob(fd, manifest), "x");
        put_index(fd, STRV_MAKE(entry));
}

TEST(bad_manifest) {
        _cleanup_close_ int fd = layout_new("manifest");
        _cleanup_free_ char *config = config_text("x", 1), *cd = desc(MT_CONFIG, blob(fd, config), ""),
                            *ld = desc(MT_TAR, blob(fd, "layer-x-0"), ""), *bad = NULL, *tampered = NULL;
        Blob cb = blob(fd, config), lb = blob(fd, "layer-x-0");

        put_manifest(fd, cd, ld);
        {
                _cleanup_(oci_image_done) OciImage img = {};
                load(fd, NULL, &img);
        }
        /* Bad digests of the config and of a layer. */
        bad = strdup_printf("{\"mediaType\":\"%s\",\"digest\":\"sha256:%.63sG\",\"size\":%zu}", MT_CONFIG, cb.hex,
                            cb.size);
        put_manifest(fd, bad, ld);
        LOAD_FAILS(fd, NULL, EBADMSG, "the manifest's config has the digest");
        free(bad);
        bad = strdup_printf("{\"mediaType\":\"%s\",\"digest\":\"sha256:%s/../x\",\"size\":%zu}", MT_TAR, lb.hex,
                            lb.size);
        put_manifest(fd, cd, bad);
        LOAD_FAILS(fd, NULL, EBADMSG, "layer 0 of the manifest has the digest");

        /* A config whose bytes are not its digest's; a wrong size. */
        tampered = strjoin("blobs/sha256/", cb.hex);
        strstr(config, "TAG=x")[4] = 'y'; /* the same size */
        put(fd, tampered, config);
        put_manifest(fd, cd, ld);
        LOAD_FAILS(fd, NULL, EBADMSG, "does not match its digest sha256:");
        strstr(config, "TAG=y")[4] = 'x';
        put(fd, tampered, config);
        free(bad);
        bad = strdup_printf("{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu}", MT_TAR, lb.hex,
                            lb.size + 1);
        put_manifest(fd, cd, bad);
        LOAD_FAILS(fd, NULL, EBADMSG, "its descriptor says 10");
}

TEST(tampered_manifest) {
        _cleanup_close_ int fd = layout_new("tampered");
        Blob m = image(fd, "x", MT_TAR, 1, 1);
        _cleanup_free_ char *entry = named(MT_MANIFEST, m, "x"), *path = strjoin("blobs/sha256/", m.hex), *text = NULL;

        put_index(fd, STRV_MAKE(entry));
        ASSERT_OK(read_full_file_at(fd, path, 1 << 20, &text, NULL));
        text[2] = 'S'; /* "Schemaversion": the same size */
        put(fd, path, text);
        LOAD_FAILS(fd, NULL, EBADMSG, "does not match its digest");
}

TEST(missing_blobs) {
        _cleanup_close_ int fd = layout_new("missing");
        _cleanup_free_ char *entry = named(MT_MANIFEST, image(fd, "x", MT_TAR, 2, 2), "x"), *path = NULL;
        char hex[SHA256_HEX_SIZE];

        put_index(fd, STRV_MAKE(entry));
        hex_of("layer-x-1", hex);
        path = strjoin("blobs/sha256/", hex);
        ASSERT_OK(RET_NERRNO(unlinkat(fd, path, 0)));
        LOAD_FAILS(fd, NULL, ENOENT, "layer 1 of the manifest: blobs/sha256/");
        /* A symlink out of the layout resolves inside it: still missing. */
        ASSERT_OK(RET_NERRNO(symlinkat("/etc/hostname", fd, path)));
        LOAD_FAILS(fd, NULL, ENOENT, "is missing");
        ASSERT_OK(RET_NERRNO(unlinkat(fd, path, 0)));
        ASSERT_OK(RET_NERRNO(symlinkat("../../../../../../../../etc/hostname", fd, path)));
        LOAD_FAILS(fd, NULL, ENOENT, "is missing");
        ASSERT_OK(RET_NERRNO(unlinkat(fd, path, 0)));
        ASSERT_OK(RET_NERRNO(mkfifoat(fd, path, 0644)));
        LOAD_FAILS(fd, NULL, EBADMSG, "is not a regular file");
        ASSERT_OK(RET_NERRNO(unlinkat(fd, "index.json", 0)));
        LOAD_FAILS(fd, NULL, ENOENT, "neither an OCI image layout (index.json) nor a docker-save archive");
}

TEST(diff_ids_mismatch) {
        _cleanup_close_ int fd = layout_new("diffids");
        _cleanup_free_ char *entry = named(MT_MANIFEST, image(fd, "x", MT_TAR, 2, 3), "x");

        put_index(fd, STRV_MAKE(entry));
        LOAD_FAILS(fd, NULL, EBADMSG, "the manifest has 2 layers, the image config's rootfs.diff_ids 3");
}

TEST(refused_layer_types) {
        static const char *const types[] = {
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "application/vnd.oci.image.layer.v1.tar+bzip2",
        };

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                _cleanup_free_ char *name = strdup_printf("types%zu", i), *entry = NULL;
                _cleanup_close_ int fd = layout_new(name);

                entry = named(MT_MANIFEST, image(fd, "x", types[i], 1, 1), "x");
                put_index(fd, STRV_MAKE(entry));
                LOAD_FAILS(fd, NULL, EBADMSG, types[i]);
        }
}

TEST(hostile_json) {
        _cleanup_close_ int fd = layout_new("hostile");
        _cleanup_free_ char *big = malloc(OCI_JSON_MAX + 2), *deep = NULL;

        ASSERT_NOT_NULL(big);
        memset(big, ' ', OCI_JSON_MAX + 1);
        big[0] = '{';
        big[OCI_JSON_MAX - 1] = '}';
        big[OCI_JSON_MAX + 1] = '\0';
        put(fd, "index.json", big);
        LOAD_FAILS(fd, NULL, EBADMSG, "index.json is too large");
        put(fd, "index.json", "{\"schemaVersion\":2,\"manifests\":[]} x");
        LOAD_FAILS(fd, NULL, EBADMSG, "index.json is not valid JSON");
        put(fd, "index.json", "{\"schemaVersion\":2,\"manifests\":[],}");
        LOAD_FAILS(fd, NULL, EBADMSG, "index.json is not valid JSON");
        put(fd, "index.json", "{\"schemaVersion\":2,\"manifests\":[]}\n");
        LOAD_FAILS(fd, NULL, ENOENT, "index.json lists no image");
        put(fd, "index.json", "{\"schemaVersion\":1,\"manifests\":[]}");
        LOAD_FAILS(fd, NULL, EBADMSG, "index.json does not have schemaVersion 2");
        for (size_t i = 0; i < 1000; i++)
                append(&deep, "[");
        put(fd, "index.json", deep);
        LOAD_FAILS(fd, NULL, EBADMSG, "index.json is not valid JSON");
        put_index_digest(fd, "sha256:0000000000000000000000000000000000000000000000000000000000000000\\n");
        LOAD_FAILS(fd, NULL, EBADMSG, "\\x0a");
        put(fd, "index.json",
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"sha256:"
            "0000000000000000000000000000000000000000000000000000000000000000\",\"size\":99999999999}]}");
        LOAD_FAILS(fd, NULL, EBADMSG, "is too large (99999999999 bytes");
        put(fd, "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
        LOAD_FAILS(fd, NULL, EBADMSG, "imageLayoutVersion 1.0.0");
}

/* --- docker save ---------------------------------------------------------- */

static int docker_new(const char *name, const char *manifest_fmt) {
        _cleanup_free_ char *p = tests_path(name), *config = config_text("d", 2), *cpath = NULL, *manifest = NULL;
        char hex[SHA256_HEX_SIZE];
        int fd;

        ASSERT_OK(RET_NERRNO(mkdir(p, 0755)));
        fd = tests_open_dir(name);
        hex_of(config, hex);
        cpath = strjoin(hex, ".json");
        put(fd, cpath, config);
        ASSERT_OK(RET_NERRNO(mkdirat(fd, "aaaa", 0755)));
        ASSERT_OK(RET_NERRNO(mkdirat(fd, "bbbb", 0755)));
        put(fd, "aaaa/layer.tar", "layer-d-0");
        put(fd, "cccc.tar", "layer-d-1");
        ASSERT_OK(RET_NERRNO(symlinkat("../cccc.tar", fd, "bbbb/layer.tar")));
        /* The config's name where the template says "%s". */
        manifest = strjoin(strndupa(manifest_fmt, strstr(manifest_fmt, "%s") - manifest_fmt), cpath,
                           strstr(manifest_fmt, "%s") + 2);
        ASSERT_NOT_NULL(manifest);
        put(fd, "manifest.json", manifest);
        return fd;
}

static void assert_docker(const OciImage *img) {
        ASSERT_EQ(img->n_layers, 2);
        ASSERT_STREQ(img->layers[0].path, "aaaa/layer.tar");
        ASSERT_STREQ(img->layers[1].path, "bbbb/layer.tar");
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *id = diff_id("d", i);

                ASSERT_STREQ(img->layers[i].digest, "");
                ASSERT_STREQ(img->layers[i].media_type, "");
                ASSERT_EQ(img->layers[i].size, UINT64_MAX);
                ASSERT_STREQ(img->layers[i].diff_id, id);
        }
        ASSERT_STREQ(img->working_dir, "/srv");
}

TEST(docker_legacy) {
        _cleanup_close_ int fd =
                docker_new("docker", "[{\"Config\":\"%s\",\"RepoTags\":[\"debian:bookworm\",\"debian:12\"],"
                                     "\"Layers\":[\"aaaa/layer.tar\",\"bbbb/layer.tar\"]},"
                                     "{\"Config\":\"other.json\",\"RepoTags\":[\"other:1\"],\"Layers\":[]}]");
        _cleanup_(oci_image_done) OciImage a = {}, b = {};

        load(fd, "debian:bookworm", &a);
        assert_docker(&a);
        load(fd, "12", &b);
        assert_docker(&b);
        LOAD_FAILS(fd, NULL, EBADMSG,
                   "several images, pick one with --ref= (has: debian:bookworm, debian:12, other:1)");
        LOAD_FAILS(fd, "13", ENOENT, "no image tagged 13 in manifest.json");
        LOAD_FAILS(fd, "1", ENOENT, "the image config: other.json is missing");
}

TEST(docker_hostile) {
        static const char *const manifests[] = {
                "[{\"Config\":\"%s\",\"Layers\":[\"aaaa/layer.tar\",\"../x/layer.tar\"]}]",
                "[{\"Config\":\"%s\",\"Layers\":[\"aaaa/layer.tar\",\"/etc/passwd\"]}]",
                "[{\"Config\":\"%s\",\"Layers\":[\"aaaa/layer.tar\",\"bbbb/../../layer.tar\"]}]",
                "[{\"Config\":\"%s\",\"Layers\":[\"aaaa/layer.tar\"]}]",
                "[{\"Config\":\"%s\",\"Layers\":[\"aaaa/layer.tar\",\"bbbb\"]}]",
                "[{\"Config\":\"../%s\",\"Layers\":[]}]",
                "[{\"Config\":\"0000000000000000000000000000000000000000000000000000000000000000.json\",\"Layers\":[],"
                "\"X\":\"%s\"}]",
                "{\"Config\":\"%s\"}",
        };
        static const char *const errors[] = {
                "layer 1 of manifest.json is not a relative path inside the archive: ../x/layer.tar",
                "layer 1 of manifest.json is not a relative path inside the archive: /etc/passwd",
                "not a relative path inside the archive: bbbb/../../layer.tar",
                "manifest.json has 1 layers, the image config's rootfs.diff_ids 2",
                "bbbb is not a regular file",
                "manifest.json's Config is not a relative path inside the archive: ../",
                "the image config: 0000000000000000000000000000000000000000000000000000000000000000.json is missing",
                "manifest.json is not a list",
        };

        for (size_t i = 0; i < ELEMENTSOF(manifests); i++) {
                _cleanup_free_ char *name = strdup_printf("dockerbad%zu", i);
                _cleanup_close_ int fd = docker_new(name, manifests[i]);
                LOAD_FAILS(fd, NULL, i == 6 ? ENOENT : EBADMSG, errors[i]);
        }
}

TEST(docker_config_digest) {
        _cleanup_close_ int fd =
                docker_new("dockerdigest", "[{\"Config\":\"%s\",\"Layers\":[\"aaaa/layer.tar\",\"bbbb/layer.tar\"]}]");
        _cleanup_free_ char *config = config_text("d", 2), *path = NULL;
        char hex[SHA256_HEX_SIZE];

        hex_of(config, hex);
        path = strjoin(hex, ".json");
        config[strlen(config) - 1] = ' ';
        put(fd, path, config);
        LOAD_FAILS(fd, NULL, EBADMSG, "does not match its digest");
}

/* --- Configs -------------------------------------------------------------- */

TEST(config_parse) {
        _cleanup_(oci_image_done) OciImage img = {}, empty = {};
        _cleanup_free_ char *config = config_text("p", 1), *error = NULL;

        ASSERT_OK(oci_config_parse(config, &img, NULL));
        ASSERT_STREQ(img.env[0], "PATH=/usr/bin");
        ASSERT_STREQ(img.user, "1000:1000");
        ASSERT_EQ(img.n_layers, 0);
        ASSERT_OK(oci_config_parse("{\"config\":{\"WorkingDir\":\"\",\"Env\":null}}", &empty, NULL));
        ASSERT_NULL(empty.working_dir);
        ASSERT_NULL(empty.env);
        ASSERT_NULL(empty.architecture);
        ASSERT_ERROR(oci_config_parse("{\"config\":{\"Env\":\"A=1\"}}", &img, &error), EBADMSG);
        ASSERT_STREQ(error, "the image config's Env is not a list of strings");
        error = mfree(error);
        ASSERT_ERROR(oci_config_parse("{\"config\":{\"Cmd\":[\"a\\u0000b\"]}}", &img, &error), EBADMSG);
        ASSERT_STREQ(error, "the image config's Cmd is not a list of strings");
        error = mfree(error);
        ASSERT_ERROR(oci_config_parse("[]", &img, &error), EBADMSG);
        ASSERT_STREQ(error, "the image config is not a JSON object");
        error = mfree(error);
        ASSERT_ERROR(oci_config_parse("{\"architecture\":1}", &img, &error), EBADMSG);
        ASSERT_STREQ(error, "the image config's architecture is not a string");
}

static size_t history_length(const char *json) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *h;

        ASSERT_OK(json_parse(json, strlen(json), &o));
        h = json_get(o, "history", json_type_array);
        return h ? sym_json_object_array_length(h) : 0;
}

TEST(config_with_layers) {
        _cleanup_free_ char *config = config_text("w", 1), *a = diff_id("w", 0), *b = diff_id("w", 1), *out = NULL,
                            *dropped = NULL, *minimal = NULL, *prefixed = NULL, *error = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(oci_image_done) OciImage img = {};
        json_object *h, *ids;
        char *with_prefix;

        /* One layer more, with its history entry: the same config otherwise. */
        ASSERT_OK(oci_config_with_layers(config, STRV_MAKE(a, b), "berth commit", &out));
        ASSERT_OK(json_parse(out, strlen(out), &o));
        ids = json_get(json_get(o, "rootfs", json_type_object), "diff_ids", json_type_array);
        ASSERT_EQ(sym_json_object_array_length(ids), 2);
        ASSERT_TRUE(streq(json_string(sym_json_object_array_get_idx(ids, 1)) + STRLEN("sha256:"), b));
        h = json_get(o, "history", json_type_array);
        ASSERT_EQ(sym_json_object_array_length(h), 2);
        ASSERT_STREQ(json_get_string(sym_json_object_array_get_idx(h, 1), "created_by"), "berth commit");
        ASSERT_NOT_NULL(json_get_string(o, "created"));
        ASSERT_OK(oci_config_parse(out, &img, &error));
        ASSERT_STREQ(img.cmd[0], "echo w");

        /* Two layers more but one history entry: the history goes. */
        ASSERT_OK(oci_config_with_layers(config, STRV_MAKE(a, b, a), "berth commit", &dropped));
        ASSERT_EQ(history_length(dropped), 0);
        ASSERT_TRUE(strstr(dropped, "\"rootfs\":{\"type\":\"layers\"") != NULL);

        /* None: a minimal one for this host. */
        with_prefix = strjoin("sha256:", a);
        ASSERT_OK(oci_config_with_layers(NULL, STRV_MAKE(with_prefix), "first", &minimal));
        free(with_prefix);
        ASSERT_EQ(history_length(minimal), 1);
        oci_image_done(&img);
        ASSERT_OK(oci_config_parse(minimal, &img, NULL));
        ASSERT_STREQ(img.architecture, oci_arch_host());
        ASSERT_STREQ(img.os, "linux");
        ASSERT_OK(oci_config_with_layers(NULL, STRV_MAKE(a), NULL, &prefixed));
        ASSERT_EQ(history_length(prefixed), 0);
        ASSERT_NULL(strstr(prefixed, "created"));

        ASSERT_ERROR(oci_config_with_layers(config, STRV_MAKE("sha256:xyz"), NULL, &out), EINVAL);
        ASSERT_ERROR(oci_config_with_layers("[1]", STRV_MAKE(a), NULL, &out), EBADMSG);
}

/* --- Writing -------------------------------------------------------------- */

TEST(layout_write) {
        _cleanup_close_ int fd = layout_new("write");
        _cleanup_(oci_image_done) OciImage img = {}, named_img = {};
        _cleanup_free_ char *a = diff_id("w", 0), *b = diff_id("w", 1), *config = NULL, *error = NULL;
        Blob l0 = blob(fd, "layer-w-0"), l1 = blob(fd, "layer-w-1");
        char *digests[] = { l0.hex, l1.hex, NULL };
        uint64_t sizes[] = { l0.size, l1.size };

        ASSERT_OK(RET_NERRNO(unlinkat(fd, "oci-layout", 0)));
        ASSERT_OK(oci_config_with_layers(NULL, STRV_MAKE(a, b), NULL, &config));
        ASSERT_ERROR(oci_layout_write(fd, "bad ref", config, digests, sizes, 2, &error), EINVAL);
        ASSERT_TRUE(strstr(error, "not a valid image reference") != NULL);
        error = mfree(error);
        ASSERT_ERROR(oci_layout_write(fd, "-x", config, digests, sizes, 2, NULL), EINVAL);
        ASSERT_ERROR(oci_layout_write(fd, "x//y", config, digests, sizes, 2, NULL), EINVAL);
        ASSERT_ERROR(oci_layout_write(fd, "latest", config, digests, sizes, 1, &error), EINVAL);
        ASSERT_STREQ(error, "the image config has 2 diff_ids for 1 layers");
        error = mfree(error);
        sizes[1]++;
        ASSERT_ERROR(oci_layout_write(fd, "latest", config, digests, sizes, 2, &error), EINVAL);
        ASSERT_TRUE(strstr(error, "has 9 bytes, not 10") != NULL);
        sizes[1]--;

        ASSERT_OK(oci_layout_write(fd, "docker.io/library/x:v1.0--rc_1", config, digests, sizes, 2, NULL));
        load(fd, NULL, &img);
        ASSERT_EQ(img.n_layers, 2);
        ASSERT_STREQ(img.layers[0].digest, l0.hex);
        ASSERT_STREQ(img.layers[1].digest, l1.hex);
        ASSERT_STREQ(img.layers[1].diff_id, b);
        ASSERT_STREQ(img.layers[1].media_type, MT_TAR);
        ASSERT_EQ(img.layers[1].size, l1.size);
        ASSERT_STREQ(img.config_json, config);
        load(fd, "v1.0--rc_1", &named_img);
        ASSERT_STREQ(named_img.config_digest, img.config_digest);
}

/* --- Real tools ----------------------------------------------------------- */

static int run(char *const *argv) {
        pid_t pid = fork();
        int status;

        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (null >= 0)
                        (void) dup2(null, STDOUT_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* umoci's layouts and skopeo's docker-save archives load. */
TEST(umoci_and_skopeo) {
        _cleanup_free_ char *layout = tests_path("umoci"), *file = tests_path("umoci-src"), *image = NULL,
                            *archive = tests_path("docker.tar"), *dest = NULL, *unpacked = tests_path("docker");
        _cleanup_(oci_image_done) OciImage img = {}, docker = {};
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;

        if (access("/usr/bin/umoci", X_OK) < 0 || access("/usr/bin/skopeo", X_OK) < 0) {
                tests_skip("umoci or skopeo is not installed");
                return;
        }
        image = strjoin(layout, ":t");
        dest = strjoin("docker-archive:", archive, ":example/x:t");
        put(AT_FDCWD, file, "hello\n");
        ASSERT_EQ(run(STRV_MAKE("umoci", "init", "--layout", layout)), 0);
        ASSERT_EQ(run(STRV_MAKE("umoci", "new", "--image", image)), 0);
        ASSERT_EQ(run(STRV_MAKE("umoci", "insert", "--rootless", "--image", image, file, "/etc/hello")), 0);
        ASSERT_EQ(run(STRV_MAKE("umoci", "config", "--image", image, "--config.env=FOO=bar", "--config.cmd=/bin/true")),
                  0);
        fd = tests_open_dir("umoci");
        load(fd, "t", &img);
        ASSERT_EQ(img.n_layers, 1);
        ASSERT_STREQ(img.layers[0].media_type, MT_GZIP);
        ASSERT_TRUE(strv_contains(img.env, "FOO=bar"));
        ASSERT_STREQ(img.cmd[0], "/bin/true");

        {
                _cleanup_free_ char *src = strjoin("oci:", image);
                ASSERT_EQ(run(STRV_MAKE("skopeo", "--insecure-policy", "copy", "--quiet", src, dest)), 0);
        }
        ASSERT_OK(RET_NERRNO(mkdir(unpacked, 0755)));
        ASSERT_EQ(run(STRV_MAKE("tar", "-xf", archive, "-C", unpacked)), 0);
        dfd = tests_open_dir("docker");
        load(dfd, "t", &docker);
        ASSERT_EQ(docker.n_layers, 1);
        ASSERT_STREQ(docker.layers[0].diff_id, img.layers[0].diff_id);
        ASSERT_STREQ(docker.config_digest, img.config_digest);
        ASSERT_STREQ(docker.cmd[0], "/bin/true");
}

/* What oci_layout_write() writes, skopeo inspects and umoci unpacks. */
TEST(layout_write_read_by_umoci_and_skopeo) {
        _cleanup_free_ char *src = tests_path("tree"), *hello = tests_path("tree/hello"), *layout = tests_path("out"),
                            *tmp = tests_path("out/blobs/sha256/tmp"), *config = NULL, *blob_path = NULL,
                            *inspect = NULL, *image = NULL, *bundle = tests_path("bundle"),
                            *unpacked = tests_path("bundle/rootfs/hello"), *text = NULL;
        _cleanup_close_ int fd = -EBADF, tar = -EBADF;
        char hex[SHA256_HEX_SIZE];
        struct stat st;

        if (access("/usr/bin/umoci", X_OK) < 0 || access("/usr/bin/skopeo", X_OK) < 0) {
                tests_skip("umoci or skopeo is not installed");
                return;
        }
        ASSERT_OK(RET_NERRNO(mkdir(src, 0755)));
        put(AT_FDCWD, hello, "hello from berth\n");
        fd = layout_new("out");
        ASSERT_OK(RET_NERRNO(unlinkat(fd, "oci-layout", 0)));
        ASSERT_EQ(run(STRV_MAKE("tar", "--numeric-owner", "-cf", tmp, "-C", src, ".")), 0);
        tar = open(tmp, O_RDONLY | O_CLOEXEC);
        ASSERT_OK(tar);
        ASSERT_OK(sha256_fd(tar, hex));
        ASSERT_OK(RET_NERRNO(fstat(tar, &st)));
        blob_path = strjoin("blobs/sha256/", hex);
        ASSERT_OK(RET_NERRNO(renameat(fd, "blobs/sha256/tmp", fd, blob_path)));

        ASSERT_OK(oci_config_with_layers(NULL, STRV_MAKE(hex), "berth test", &config));
        ASSERT_OK(oci_layout_write(fd, "latest", config, STRV_MAKE(hex), (uint64_t[]) { (uint64_t) st.st_size }, 1,
                                   NULL));
        inspect = strjoin("oci:", layout, ":latest");
        ASSERT_EQ(run(STRV_MAKE("skopeo", "inspect", inspect)), 0);
        image = strjoin(layout, ":latest");
        ASSERT_EQ(run(STRV_MAKE("umoci", "unpack", "--rootless", "--image", image, bundle)), 0);
        ASSERT_OK(read_full_file(unpacked, &text, NULL));
        ASSERT_STREQ(text, "hello from berth\n");
}
