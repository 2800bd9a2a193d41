/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "chase.h"
#include "digest.h"
#include "fd-util.h"
#include "image-store.h"
#include "layered-image.h"
#include "log.h"
#include "machine-freeze.h"
#include "machine-name.h"
#include "oci-image.h"
#include "oci-layer.h"
#include "path-util.h"
#include "progress.h"
#include "rm-rf.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "tar-util.h"
#include "tree-clone.h"
#include "uid-shift.h"
#include "verb-images.h"
#include "verbs.h"

/* Layered images (layered-image.h): OCI images imported as shared layers
 * (import-oci), a layered image's top made a layer of a new image
 * (commit), and any image written as an OCI layout (export-oci). Layers
 * are added and removed under the store's layers lock. */

enum {
        OPT_REF = 0x100,
        OPT_READ_ONLY,
        OPT_KEEP_IDENTITY,
};

typedef struct OciArgs {
        const char *ref;
        bool help, read_only, keep_identity;
} OciArgs;

static int parse_oci_args(int argc, char *argv[], const char *usage, const char *takes, OciArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "ref", required_argument, NULL, OPT_REF },
                { "read-only", no_argument, NULL, OPT_READ_ONLY },
                { "keep-identity", no_argument, NULL, OPT_KEEP_IDENTITY },
                {},
        };
        int opt;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                const char *name = opt == OPT_REF ? "ref" : opt == OPT_READ_ONLY ? "read-only" : "keep-identity";

                if (opt == 'h') {
                        a->help = true;
                        fputs(usage, stdout);
                        return 0;
                }
                if (opt == '?' || opt == ':' || !strstr(takes, name))
                        return verb_bad_option(argv[0], opt == '?' || opt == ':' ? opt : '?', argv);
                if (opt == OPT_REF) {
                        if (isempty(optarg) || !string_is_safe(optarg))
                                return verb_bad_value("ref", optarg, "a tag");
                        a->ref = optarg;
                }
                a->read_only = a->read_only || opt == OPT_READ_ONLY;
                a->keep_identity = a->keep_identity || opt == OPT_KEEP_IDENTITY;
        }
        return 0;
}

static int open_store(int *ret_fd) {
        int r = mkdir_p(BERTH_IMAGE_DIR, 0700);

        *ret_fd = r < 0 ? r : open(BERTH_IMAGE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*ret_fd < 0)
                return log_error_errno(r < 0 ? r : -errno, "Failed to open %s: %m", BERTH_IMAGE_DIR);
        return 0;
}

/* The layers of store, ours to change; the ones no image links to (what
 * an image's removal, or an import or commit killed before its image was
 * made, left) go first: how many in *ret_swept, or why they could not. */
static int lock_layers_in(const char *store, LockFile *ret, int *ret_swept) {
        _cleanup_close_ int fd = -EBADF;
        int r = layers_lock(store, ret);

        if (r < 0)
                return log_error_errno(r, "Failed to lock the layers of %s: %m", store);
        fd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *ret_swept = fd < 0 ? -errno : layers_remove_unused(fd);
        return 0;
}

static int lock_layers(LockFile *ret) {
        int swept, r = lock_layers_in(BERTH_IMAGE_DIR, ret, &swept);

        if (r >= 0 && swept < 0)
                log_debug_errno(swept, "Failed to remove the layers no image uses, ignoring: %m");
        return r;
}

static void progress_written(uint64_t bytes, void *userdata) {
        progress_add(userdata, bytes);
}

/* Room for what is unpacked: what the store's filesystem has, less a
 * twentieth (as import-tar), so a bomb stops before the disk is full. */
static uint64_t room(int dir_fd) {
        struct statvfs sv;

        return fstatvfs(dir_fd, &sv) < 0 ? UINT64_MAX : (uint64_t) sv.f_bavail * sv.f_frsize / 20 * 19;
}

/* A new hidden directory in the store for something of image name: a
 * temporary that a sweep removes when we die (we hold the name). */
static int make_temporary_dir(int store_fd, const char *name, char **ret_name, int *ret_fd) {
        _cleanup_free_ char *tmp = image_temporary_path(BERTH_IMAGE_DIR, name);
        _cleanup_close_ int fd = -EBADF;

        if (!tmp)
                return -ENOMEM;
        if (mkdirat(store_fd, strrchr(tmp, '/') + 1, 0755) < 0)
                return -errno;
        fd = openat(store_fd, strrchr(tmp, '/') + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_name = strdup(strrchr(tmp, '/') + 1);
        if (!*ret_name)
                return -ENOMEM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static bool layer_present(int store_fd, const char *hex) {
        _cleanup_free_ char *name = layer_dir_name(hex);
        struct stat st;

        return name && fstatat(store_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode);
}

/* A layer is never written to once made: marked so, as machined marks an
 * image read-only (its top's immutable flag; the removal clears it). */
static void mark_read_only(const char *name) {
        _cleanup_free_ char *path = path_join(BERTH_IMAGE_DIR, name);
        Image i = { .path = path, .type = IMAGE_DIRECTORY };

        if (path && image_set_read_only(&i, true) < 0)
                log_debug("Failed to mark layer %s read-only, ignoring.", name);
}

/* The layer tarball at blob_fd unpacked into the store as its diff_id's
 * layer, checked against the digests the image gives (when it does);
 * *ret_diff_id what it is. Added to *created. */
static int unpack_layer(int store_fd, int blob_fd, const char *name, const char *want_blob, const char *want_diff,
                        Progress *p, char ret_diff_id[SHA256_HEX_SIZE], char ***created, char **ret_error) {
        _cleanup_free_ char *tmp = NULL, *final = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char blob[SHA256_HEX_SIZE], diff[SHA256_HEX_SIZE];
        int r;

        r = make_temporary_dir(store_fd, name, &tmp, &dir_fd);
        if (r < 0)
                return r;
        r = oci_layer_unpack(blob_fd, dir_fd, room(store_fd),
                             &(CopyProgress) { .written = progress_written, .userdata = p }, blob, diff, ret_error);
        if (r >= 0 && !isempty(want_blob) && !streq(blob, want_blob)) {
                *ret_error = strdup_printf("its blob's digest is sha256:%s, not sha256:%s as the manifest says", blob,
                                           want_blob);
                r = -EBADMSG;
        }
        if (r >= 0 && !isempty(want_diff) && !streq(diff, want_diff)) {
                *ret_error = strdup_printf("its content's digest is sha256:%s, not sha256:%s as the config says", diff,
                                           want_diff);
                r = -EBADMSG;
        }
        final = r < 0 ? NULL : layer_dir_name(diff);
        if (r >= 0 && !final)
                r = -ENOMEM;
        if (r >= 0 && layer_present(store_fd, diff))
                r = 1; /* the same content came another way: the one there stays */
        else if (r >= 0 && renameat2(store_fd, tmp, store_fd, final, RENAME_NOREPLACE) < 0)
                r = -errno;
        else if (r >= 0 && strv_extend(created, final) < 0)
                r = -ENOMEM;
        else if (r >= 0)
                mark_read_only(final);
        if (r != 0)
                (void) image_remove_tree(store_fd, tmp);
        if (r < 0)
                return r;
        memcpy(ret_diff_id, diff, SHA256_HEX_SIZE);
        return 0;
}

static void remove_created(int store_fd, char **created) {
        STRV_FOREACH(c, created)
                (void) image_remove_tree(store_fd, *c);
}

/* A layer the store has already: its blob is still checked, so that an
 * image that is corrupt fails whatever the store holds. (A legacy
 * docker-save layer is an uncompressed tarball: its digest is its
 * diff_id.) */
static int verify_blob(int blob_fd, const OciLayer *l, size_t k) {
        const char *want = isempty(l->digest) ? l->diff_id : l->digest;
        char have[SHA256_HEX_SIZE];
        int r;

        r = sha256_fd(blob_fd, have);
        if (r < 0)
                return log_error_errno(r, "Failed to read layer %zu (%s) of the image: %m", k, l->path);
        if (!streq(have, want))
                return log_error_errno(SYNTHETIC_ERRNO(EBADMSG),
                                       "Failed to import layer %zu (%s) of the image: its blob's digest is sha256:%s, "
                                       "not sha256:%s as the image says.",
                                       k, l->path, have, want);
        return 0;
}

/* Every layer of the image in the layout, in the store: the ones there
 * already (by diff_id) reused, the others unpacked and verified. */
static int import_layers(int store_fd, int layout_fd, const OciImage *img, const char *name, char ***created) {
        uint64_t total = 0;
        Progress p;
        int r = 0;

        for (size_t k = 0; k < img->n_layers; k++)
                if (!layer_present(store_fd, img->layers[k].diff_id) && img->layers[k].size != UINT64_MAX)
                        total += img->layers[k].size;
        progress_init(&p, STDERR_FILENO, total);
        for (size_t k = 0; k < img->n_layers && r >= 0; k++) {
                const OciLayer *l = &img->layers[k];
                _cleanup_free_ char *error = NULL;
                _cleanup_close_ int blob = -EBADF;
                char diff[SHA256_HEX_SIZE];

                r = open_in_root(layout_fd, l->path, O_RDONLY | O_NOCTTY, 0, &blob);
                if (r < 0) {
                        r = log_error_errno(r, "Failed to open layer %zu (%s) of the image: %m", k, l->path);
                        break;
                }
                if (layer_present(store_fd, l->diff_id)) {
                        r = verify_blob(blob, l, k);
                        continue;
                }
                r = unpack_layer(store_fd, blob, name, l->digest, l->diff_id, &p, diff, created, &error);
                if (r == -ENOMEM)
                        r = log_oom();
                else if (r < 0)
                        r = error ? log_error_errno(r, "Failed to import layer %zu (%s) of the image: %s.", k, l->path,
                                                    error)
                                  : log_error_errno(r, "Failed to import layer %zu (%s) of the image: %m", k, l->path);
        }
        progress_end(&p, r >= 0, "Unpacked");
        return r;
}

typedef struct StackSource {
        char **diff_ids;
        const char *config;
        int top_fd; /* rw/ of an image whose top's data/ is copied, or -EBADF */
} StackSource;

static int fill_stack(const ImageSource *s, int dir_fd, const char *tmp_name, const CopyProgress *progress,
                      char **ret_error) {
        const StackSource *st = s->userdata;
        _cleanup_close_ int fd = -EBADF, rw = -EBADF;
        _cleanup_free_ char *failed = NULL;
        int r;

        if (mkdirat(dir_fd, tmp_name, 0700) < 0)
                return -errno;
        fd = openat(dir_fd, tmp_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = layered_image_write(fd, st->diff_ids, strv_length(st->diff_ids), st->config);
        if (r < 0 || st->top_fd < 0)
                return r;
        /* The top as it is: whiteouts, overlayfs's xattrs and all. */
        rw = openat(fd, "rw", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rw < 0)
                return -errno;
        r = tree_clone_at(st->top_fd, "data", rw, "data", progress, &failed);
        if (r < 0 && failed && *failed)
                *ret_error = strdup_printf("copying the top's '%s': %s", failed, strerror(-r));
        return r;
}

static int make_stack_with_top(char **diff_ids, const char *config, int top_fd, const char *name, bool read_only) {
        StackSource st = { .diff_ids = diff_ids, .config = config, .top_fd = top_fd };

        return image_make(&(ImageSource) { .fill = fill_stack,
                                           .userdata = &st,
                                           .total = UINT64_MAX,
                                           .done = top_fd >= 0 ? "Copied" : NULL },
                          IMAGE_MSTACK, name, read_only);
}

static int make_stack(char **diff_ids, const char *config, const char *name, bool read_only) {
        return make_stack_with_top(diff_ids, config, -EBADF, name, read_only);
}

/* A docker-save archive, unpacked into a temporary of the store to be read
 * as a layout. */
static int unpack_archive(int store_fd, int fd, const char *path, const char *name, char **ret_tmp, int *ret_fd) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = make_temporary_dir(store_fd, name, ret_tmp, ret_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to make a directory to unpack '%s' in: %m", path);
        r = tar_unpack(fd, *ret_fd, room(store_fd), NULL, &error);
        if (r < 0)
                return error ? log_error_errno(r, "Failed to unpack archive '%s', %s", path, error)
                             : log_error_errno(r, "Failed to unpack archive '%s': %m", path);
        return 0;
}

static int check_platform(const OciImage *img, const char *path) {
        if (img->os && !streq(img->os, "linux"))
                return log_error_errno(SYNTHETIC_ERRNO(EPROTONOSUPPORT), "Image '%s' is for %s, not for Linux.", path,
                                       img->os);
        if (img->architecture && !streq(img->architecture, oci_arch_host()))
                return log_error_errno(SYNTHETIC_ERRNO(EPROTONOSUPPORT),
                                       "Image '%s' is for architecture %s, not for this host's (%s).", path,
                                       img->architecture, oci_arch_host());
        return 0;
}

static int import_image(int store_fd, int layout_fd, const char *path, const char *name, const OciArgs *a) {
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        _cleanup_(oci_image_done) OciImage img = {};
        _cleanup_strv_free_ char **created = NULL, **diff_ids = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = oci_image_load(layout_fd, a->ref, &img, &error);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return error ? log_error_errno(r, "Failed to read OCI image '%s': %s.", path, error)
                             : log_error_errno(r, "Failed to read OCI image '%s': %m", path);
        r = check_platform(&img, path);
        if (r < 0)
                return r;
        for (size_t k = 0; k < img.n_layers; k++)
                if (strv_extend(&diff_ids, img.layers[k].diff_id) < 0)
                        return log_oom();

        r = lock_layers(&lock);
        if (r < 0)
                return r;
        r = import_layers(store_fd, layout_fd, &img, name, &created);
        if (r >= 0)
                r = make_stack(diff_ids, img.config_json, name, a->read_only);
        if (r < 0)
                remove_created(store_fd, created);
        return r;
}

int verb_import_oci(int argc, char *argv[]) {
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_close_ int store_fd = -EBADF, fd = -EBADF, layout_fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        OciArgs a = {};
        struct stat st;
        int r;

        r = parse_oci_args(argc, argv,
                           "berth import-oci PATH NAME [--ref=TAG] [--read-only]\n\n"
                           "Import an OCI image as the layered image NAME in " BERTH_IMAGE_DIR ", offline:\n"
                           "PATH is an OCI image layout (a directory) or a `docker save` archive. Every\n"
                           "digest is checked; each layer is unpacked once into the store and shared by\n"
                           "every image that has it.\n\n"
                           "     --ref=TAG    The image of that tag, where PATH holds several\n"
                           "     --read-only  Mark NAME read-only\n"
                           "  -h --help       Show this help\n",
                           "ref read-only", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth import-oci' needs a path and an image name.");
        fd = open(argv[optind], O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to open '%s': %m", argv[optind]);
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
                return log_error_errno(SYNTHETIC_ERRNO(EBADFD), "'%s' is neither an OCI layout nor an archive.",
                                       argv[optind]);
        r = image_claim_new_name(argv[optind + 1], &name_lock);
        r = r ?: open_store(&store_fd);
        if (r < 0)
                return r;
        if (S_ISREG(st.st_mode))
                r = unpack_archive(store_fd, fd, argv[optind], argv[optind + 1], &tmp, &layout_fd);
        else
                layout_fd = TAKE_FD(fd);
        if (r >= 0)
                r = import_image(store_fd, layout_fd, argv[optind], argv[optind + 1], &a);
        if (tmp)
                (void) image_remove_tree(store_fd, tmp);
        return r;
}

/* --- commit -------------------------------------------------------------- */

/* What makes a machine itself, left out of (or emptied in) a committed
 * layer: images made from it get their own. */
static OciPackAction identity_filter(const char *path, const struct stat *st, void *userdata) {
        const char *key;

        if (streq(path, "etc/machine-id"))
                return S_ISREG(st->st_mode) ? OCI_PACK_EMPTY : OCI_PACK_KEEP;
        if ((key = startswith(path, "etc/ssh/ssh_host_")) && !strchr(key, '/'))
                return OCI_PACK_SKIP;
        if (streq(path, "var/lib/systemd/random-seed") || streq(path, "var/lib/systemd/credential.secret"))
                return OCI_PACK_SKIP;
        /* The journal of the machine's ID: no other machine writes there. */
        if ((key = startswith(path, "var/log/journal/")) && strlen(key) == 32 && S_ISDIR(st->st_mode))
                return OCI_PACK_SKIP;
        return OCI_PACK_KEEP;
}

/* The tree at dir_fd packed as a layer (a temporary file in the store),
 * and unpacked into the store as its layer unless there is one: its
 * diff_id. */
static int commit_tree(int store_fd, int dir_fd, bool keep_identity, const char *name, char ***created,
                       char ret_diff_id[SHA256_HEX_SIZE]) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int tar = open(BERTH_IMAGE_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        char diff[SHA256_HEX_SIZE];
        uint64_t size;
        Progress p;
        int r;

        if (tar < 0)
                return log_error_errno(errno, "Failed to make a temporary file in %s: %m", BERTH_IMAGE_DIR);
        progress_init(&p, STDERR_FILENO, UINT64_MAX);
        r = oci_layer_pack(dir_fd, tar, keep_identity ? NULL : identity_filter, NULL,
                           &(CopyProgress) { .written = progress_written, .userdata = &p }, diff, &size, &error);
        progress_end(&p, r >= 0, "Packed");
        if (r < 0)
                return error ? log_error_errno(r, "Failed to pack the changes of '%s', %s", name, error)
                             : log_error_errno(r, "Failed to pack the changes of '%s': %m", name);
        if (layer_present(store_fd, diff)) {
                memcpy(ret_diff_id, diff, SHA256_HEX_SIZE);
                return 0;
        }
        if (lseek(tar, 0, SEEK_SET) < 0)
                return log_error_errno(errno, "Failed to read back the new layer: %m");
        progress_init(&p, STDERR_FILENO, size);
        r = unpack_layer(store_fd, tar, name, NULL, diff, &p, ret_diff_id, created, &error);
        progress_end(&p, r >= 0, "Unpacked");
        if (r < 0)
                return error ? log_error_errno(r, "Failed to store the new layer: %s.", error)
                             : log_error_errno(r, "Failed to store the new layer: %m");
        return 0;
}

/* NEWIMAGE of image i's layers, its top's changes (when there are some)
 * as one more, and those of an ephemeral machine of it (changes_fd, or
 * -EBADF) as the last. */
static int commit_image(const Image *i, int changes_fd, const char *new_name, const OciArgs *a) {
        _cleanup_(layered_image_done) LayeredImage l = LAYERED_IMAGE_NULL;
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        _cleanup_free_ char *why = NULL, *config = NULL, *new_config = NULL;
        _cleanup_strv_free_ char **created = NULL, **diff_ids = NULL;
        _cleanup_close_ int store_fd = -EBADF, data = -EBADF;
        char diff[SHA256_HEX_SIZE];
        int r;

        r = layered_image_open(i->path, &l, &why);
        if (r < 0)
                return why ? log_error_errno(r, "Image '%s' is no layered image berth takes: %s.", i->name, why)
                           : log_error_errno(r, "Failed to open image '%s': %m", i->name);
        if (layered_image_top_used(&l) > 0) {
                data = openat(l.rw_fd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (data < 0)
                        return log_error_errno(errno, "Failed to open the top of image '%s': %m", i->name);
        } else if (changes_fd < 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENODATA),
                                       "Image '%s' has no changes to commit: its top is empty.", i->name);
        r = layered_image_read_config(&l, &config);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read the OCI config of image '%s': %m", i->name);
        diff_ids = strv_copy(l.layers);
        if (!diff_ids)
                return log_oom();

        r = open_store(&store_fd);
        r = r ?: lock_layers(&lock);
        for (int k = 0, tops[] = { data, changes_fd }; r >= 0 && k < 2; k++) {
                if (tops[k] < 0)
                        continue;
                r = commit_tree(store_fd, tops[k], a->keep_identity, new_name, &created, diff);
                if (r >= 0 && strv_extend(&diff_ids, diff) < 0)
                        r = log_oom();
        }
        if (r >= 0 && oci_config_with_layers(config, diff_ids, "berth commit", &new_config) < 0)
                r = log_error_errno(SYNTHETIC_ERRNO(EBADMSG), "Failed to make the OCI config of image '%s'.", new_name);
        if (r >= 0)
                r = make_stack(diff_ids, new_config, new_name, a->read_only);
        if (r < 0)
                remove_created(store_fd, created);
        return r;
}

/* The changes of an ephemeral machine: in the supervisor's tmpfs (its fd
 * is in the record), owned by the machine's UIDs; copied into a temporary
 * of the store and moved to 0…, as a layer has them. */
static int copy_changes(const MachineRecord *m, int store_fd, const char *new_name, char **ret_tmp, int *ret_fd) {
        _cleanup_free_ char *path = strdup_printf("/proc/%i/fd/%i", (int) m->supervisor, m->changes_fd);
        _cleanup_free_ char *tmp = image_temporary_path(BERTH_IMAGE_DIR, new_name), *failed = NULL;
        _cleanup_close_ int tmpfs = -EBADF, upper = -EBADF, fd = -EBADF;
        int r;

        if (!path || !tmp)
                return log_oom();
        if (m->changes_fd < 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENODATA), "Machine '%s' keeps no changes berth can read.",
                                       m->name);
        tmpfs = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        upper = tmpfs < 0 ? -EBADF : openat(tmpfs, "root", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0)
                return log_error_errno(errno, "Failed to open the changes of machine '%s': %m", m->name);
        r = tree_clone_at(upper, "upper", store_fd, strrchr(tmp, '/') + 1, NULL, &failed);
        *ret_tmp = strdup(strrchr(tmp, '/') + 1);
        if (!*ret_tmp)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "Failed to copy the changes of machine '%s' ('%s'): %m", m->name,
                                       strempty(failed));
        fd = openat(store_fd, *ret_tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open the copy of the changes: %m");
        if (m->uid_count > 0 && m->uid_base > 0) {
                r = uid_shift_tree(fd, m->uid_base, 0);
                if (r < 0)
                        return log_error_errno(r, "Failed to give the changes of '%s' the image's owners: %m", m->name);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* A machine running from a layered image: frozen while what it changed is
 * read (the image's top, and its tmpfs when it is ephemeral). */
static int commit_machine(const MachineRecord *m, const char *new_name, const OciArgs *a) {
        Image i = { .name = m->name, .path = m->root, .type = IMAGE_MSTACK };
        _cleanup_close_ int store_fd = -EBADF, changes = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        bool frozen;
        int r, k;

        if (!endswith(m->root, MSTACK_SUFFIX))
                return log_error_errno(SYNTHETIC_ERRNO(EMEDIUMTYPE),
                                       "Machine '%s' runs from '%s', no layered image: only what a machine of a "
                                       "layered image changed is committed.",
                                       m->name, m->root);
        r = open_store(&store_fd);
        if (r < 0)
                return r;
        /* One that was frozen before stays so. */
        frozen = machine_cgroup_is_frozen(&m->cgroup) > 0;
        r = machine_cgroup_freeze(&m->cgroup, true);
        if (r < 0)
                return log_error_errno(r, "Failed to freeze machine '%s': %m", m->name);
        if (m->ephemeral)
                r = copy_changes(m, store_fd, new_name, &tmp, &changes);
        k = frozen ? 0 : machine_cgroup_freeze(&m->cgroup, false);
        if (k < 0)
                log_warning_errno(k, "Failed to thaw machine '%s': %m", m->name);
        if (r >= 0)
                r = commit_image(&i, changes, new_name, a);
        if (tmp)
                (void) image_remove_tree(store_fd, tmp);
        return r;
}

/* The running machine name, when there is one (without a word if not). */
static int running_machine(const char *name, MachineRecord *ret) {
        if (!machine_name_is_valid(name))
                return 0;
        return machine_find(name, ret) >= 0 && ret->supervisor > 0;
}

int verb_commit(int argc, char *argv[]) {
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(machine_record_done) MachineRecord m = {};
        _cleanup_(image_done) Image i = {};
        OciArgs a = {};
        int r;

        r = parse_oci_args(argc, argv,
                           "berth commit NAME NEWIMAGE [--keep-identity] [--read-only]\n\n"
                           "Make the changes of layered image NAME (its top, what machines booted from\n"
                           "it wrote) a new layer, and NEWIMAGE the image of NAME's layers and it, with\n"
                           "an empty top. NAME stays as it is. When a machine NAME runs from a layered\n"
                           "image, it is frozen while its changes are read: an ephemeral one's too\n"
                           "become a layer. The machine ID, SSH host keys and random seed are left out\n"
                           "of the new layers, so that machines of NEWIMAGE get their own.\n\n"
                           "     --keep-identity  Keep them\n"
                           "     --read-only      Mark NEWIMAGE read-only\n"
                           "  -h --help           Show this help\n",
                           "keep-identity read-only", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth commit' needs an image and a new image name.");
        if (!image_name_is_valid(argv[optind]))
                return log_usage("Invalid image name '%s'.", argv[optind]);
        r = image_claim_new_name(argv[optind + 1], &name_lock);
        if (r < 0)
                return r;
        if (running_machine(argv[optind], &m) > 0)
                return commit_machine(&m, argv[optind + 1], &a);
        r = image_find_logged(argv[optind], &i);
        if (r < 0)
                return r;
        if (i.type != IMAGE_MSTACK)
                return log_error_errno(SYNTHETIC_ERRNO(EMEDIUMTYPE),
                                       "Image '%s' is no layered image: only a layered image's changes (its top) "
                                       "are committed.",
                                       i.name);
        /* Shared: machines that only read it may run; one that writes to
         * its top may not. */
        r = image_lock(i.path, LOCK_SH, &lock);
        if (r == -EBUSY)
                return log_error_errno(r, "Image '%s' is in use by a machine of another name: stop it first.", i.name);
        if (r < 0)
                return log_error_errno(r, "Failed to lock image '%s': %m", i.name);
        return commit_image(&i, -EBADF, argv[optind + 1], &a);
}

/* --- export-oci ---------------------------------------------------------- */

/* The tree at dir_fd as a layer blob in blobs/sha256/ of the layout. */
static int export_layer(int dir_fd, int blobs_fd, const char *what, char **digests, uint64_t *sizes, size_t k) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = openat(blobs_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
        char digest[SHA256_HEX_SIZE], buf[FD_PATH_MAX];
        Progress p;
        int r;

        if (fd < 0)
                return log_error_errno(errno, "Failed to make a file in the layout: %m");
        progress_init(&p, STDERR_FILENO, UINT64_MAX);
        r = oci_layer_pack(dir_fd, fd, NULL, NULL, &(CopyProgress) { .written = progress_written, .userdata = &p },
                           digest, &sizes[k], &error);
        progress_end(&p, r >= 0, "Packed");
        if (r < 0)
                return error ? log_error_errno(r, "Failed to pack %s, %s", what, error)
                             : log_error_errno(r, "Failed to pack %s: %m", what);
        if (linkat(AT_FDCWD, fd_path(fd, buf), blobs_fd, digest, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to write %s to the layout: %m", what);
        digests[k] = strdup(digest);
        return digests[k] ? 0 : log_oom();
}

/* The image's trees, lowest first: a layered image's layers and its top's
 * changes (when there are some), or a directory image. */
static int export_trees(const Image *i, LayeredImage *l, int blobs_fd, char ***ret_digests, uint64_t **ret_sizes,
                        size_t *ret_n) {
        _cleanup_close_ int tree = -EBADF;
        size_t n = l ? l->n_layers + 1 : 1, k = 0;
        _cleanup_strv_free_ char **digests = calloc(n + 1, sizeof(char *));
        _cleanup_free_ uint64_t *sizes = calloc(n, sizeof(uint64_t));
        int r = 0;

        if (!digests || !sizes)
                return log_oom();
        for (; l && k < l->n_layers && r >= 0; k++) {
                _cleanup_free_ char *what = strdup_printf("layer %zu of image '%s'", k, i->name);
                _cleanup_close_ int fd = openat(l->layer_fds[k], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                r = !what    ? log_oom()
                    : fd < 0 ? log_error_errno(errno, "Failed to open %s: %m", what)
                             : export_layer(fd, blobs_fd, what, digests, sizes, k);
        }
        if (r >= 0 && (!l || layered_image_top_used(l) > 0)) {
                tree = l ? openat(l->rw_fd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                         : open(i->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = tree < 0 ? log_error_errno(errno, "Failed to open image '%s': %m", i->name)
                             : export_layer(tree, blobs_fd, l ? "the top's changes" : "the image", digests, sizes, k++);
        }
        if (r < 0)
                return r;
        *ret_digests = TAKE_PTR(digests);
        *ret_sizes = TAKE_PTR(sizes);
        *ret_n = k;
        return 0;
}

static int export_image(const Image *i, int dir_fd, const char *ref) {
        _cleanup_(layered_image_done) LayeredImage l = LAYERED_IMAGE_NULL;
        _cleanup_free_ char *why = NULL, *config = NULL, *new_config = NULL, *error = NULL;
        _cleanup_strv_free_ char **digests = NULL;
        _cleanup_free_ uint64_t *sizes = NULL;
        _cleanup_close_ int blobs_fd = -EBADF;
        size_t n = 0;
        int r;

        if (i->type == IMAGE_MSTACK) {
                r = layered_image_open(i->path, &l, &why);
                if (r < 0)
                        return why ? log_error_errno(r, "Image '%s' is no layered image berth takes: %s.", i->name, why)
                                   : log_error_errno(r, "Failed to open image '%s': %m", i->name);
                r = layered_image_read_config(&l, &config);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "Failed to read the OCI config of image '%s': %m", i->name);
        }
        if (mkdirat(dir_fd, "blobs", 0755) < 0 || mkdirat(dir_fd, "blobs/sha256", 0755) < 0 ||
            (blobs_fd = openat(dir_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return log_error_errno(errno, "Failed to make the layout's blobs/sha256: %m");
        r = export_trees(i, i->type == IMAGE_MSTACK ? &l : NULL, blobs_fd, &digests, &sizes, &n);
        if (r < 0)
                return r;
        r = oci_config_with_layers(config, digests, NULL, &new_config);
        if (r < 0)
                return log_error_errno(r, "Failed to make the OCI config of the layout: %m");
        r = oci_layout_write(dir_fd, ref ?: "latest", new_config, digests, sizes, n, &error);
        if (r < 0)
                return error ? log_error_errno(r, "Failed to write the OCI layout: %s.", error)
                             : log_error_errno(r, "Failed to write the OCI layout: %m");
        return 0;
}

/* The layout's directory: made, or one that is there and empty. Whether
 * we made it in *ret_made. */
static int open_layout_dir(const char *path, bool *ret_made, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        *ret_made = mkdir(path, 0755) >= 0;
        if (!*ret_made && errno != EEXIST)
                return log_error_errno(errno, "Failed to make directory '%s': %m", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open directory '%s': %m", path);
        d = fdopendir(fd_reopen(fd, O_RDONLY | O_DIRECTORY));
        if (!d)
                return log_error_errno(errno, "Failed to read directory '%s': %m", path);
        while (!*ret_made && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return log_error_errno(SYNTHETIC_ERRNO(ENOTEMPTY),
                                               "Directory '%s' is not empty: an OCI layout is written into a new "
                                               "or empty directory.",
                                               path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int verb_export_oci(int argc, char *argv[]) {
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(image_done) Image i = {};
        _cleanup_close_ int dir_fd = -EBADF;
        OciArgs a = {};
        bool made;
        int r;

        r = parse_oci_args(argc, argv,
                           "berth export-oci NAME PATH [--ref=TAG]\n\n"
                           "Write image NAME as an OCI image layout in directory PATH (new, or empty):\n"
                           "a layered image's layers and its top's changes as one more layer, or a\n"
                           "directory image as one layer; uncompressed, with the image's OCI config.\n\n"
                           "     --ref=TAG  The layout's tag for it (default: latest)\n"
                           "  -h --help     Show this help\n",
                           "ref", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth export-oci' needs an image name and a directory.");
        r = image_find_logged(argv[optind], &i);
        if (r < 0)
                return r;
        if (!IN_SET(i.type, IMAGE_MSTACK, IMAGE_DIRECTORY, IMAGE_SUBVOLUME))
                return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                       "Image '%s' is a disk image: only trees and layered images are exported as "
                                       "OCI layouts.",
                                       i.name);
        r = image_lock(i.path, LOCK_SH, &lock);
        if (r == -EBUSY)
                return log_error_errno(r, "Image '%s' is in use by a running machine.", i.name);
        if (r < 0)
                return log_error_errno(r, "Failed to lock image '%s': %m", i.name);
        r = open_layout_dir(argv[optind + 1], &made, &dir_fd);
        if (r < 0)
                return r;
        r = export_image(&i, dir_fd, a.ref);
        if (r < 0) {
                /* Nothing half-written left: what we made goes. */
                if (made)
                        (void) rm_rf_path(argv[optind + 1]);
                else
                        for (const char *const *e = (const char *const[]) { "blobs", "oci-layout", "index.json", NULL };
                             *e; e++)
                                (void) rm_rf_at(dir_fd, *e);
        }
        return r;
}

/* --- for the image verbs ------------------------------------------------- */

int layered_clone(const Image *src, const char *new_name, bool read_only) {
        _cleanup_(layered_image_done) LayeredImage l = LAYERED_IMAGE_NULL;
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        _cleanup_free_ char *why = NULL, *config = NULL;
        int r;

        r = layered_image_open(src->path, &l, &why);
        if (r < 0)
                return why ? log_error_errno(r, "Image '%s' is no layered image berth takes: %s.", src->name, why)
                           : log_error_errno(r, "Failed to open image '%s': %m", src->name);
        r = layered_image_read_config(&l, &config);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read the OCI config of image '%s': %m", src->name);
        r = lock_layers(&lock);
        if (r < 0)
                return r;
        return make_stack_with_top(l.layers, config, layered_image_top_used(&l) > 0 ? l.rw_fd : -EBADF, new_name,
                                   read_only);
}

static uint64_t usage_sum;

static int add_usage(const char *path, const struct stat *st, int flag, struct FTW *f) {
        usage_sum += (uint64_t) st->st_blocks * 512;
        return 0;
}

/* The disk space of the tree at path, as du counts it (no other mount). */
static int tree_usage(const char *path, uint64_t *ret) {
        usage_sum = 0;
        if (nftw(path, add_usage, 16, FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        *ret = usage_sum;
        return 0;
}

/* One line a layer for people: "sha256:HEX (SIZE, shared with N other
 * images)"; its digest for scripts. */
static int describe_layer(const char *store, int store_fd, const char *hex, char ***text, char ***digests) {
        _cleanup_free_ char *name = layer_dir_name(hex), *digest = strjoin("sha256:", hex), *path = NULL;
        char size[32] = "?";
        unsigned users = 0;
        uint64_t bytes = 0;

        if (!name || !digest || !(path = path_join(store, name)))
                return -ENOMEM;
        if (tree_usage(path, &bytes) >= 0)
                format_bytes(size, sizeof size, bytes);
        (void) layer_count_users(store_fd, hex, &users);
        if (strv_consume(text, users > 1 ? strdup_printf("%s (%s, shared with %u other image%s)", digest, size,
                                                         users - 1, users > 2 ? "s" : "")
                                         : strdup_printf("%s (%s)", digest, size)) < 0)
                return -ENOMEM;
        return strv_consume(digests, TAKE_PTR(digest));
}

int layered_status(const Image *i, char ***ret_text, char ***ret_digests, uint64_t *ret_top_usage) {
        _cleanup_(layered_image_done) LayeredImage l = LAYERED_IMAGE_NULL;
        _cleanup_strv_free_ char **text = NULL, **digests = NULL;
        _cleanup_free_ char *why = NULL, *dir = NULL, *last = NULL;
        _cleanup_close_ int store_fd = -EBADF;
        int r;

        r = layered_image_open(i->path, &l, &why);
        if (r < 0)
                return r;
        r = path_split_last(i->path, &dir, &last);
        if (r < 0)
                return r;
        store_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (store_fd < 0)
                return -errno;
        for (size_t k = 0; k < l.n_layers && r >= 0; k++)
                r = describe_layer(dir, store_fd, l.layers[k], &text, &digests);
        if (r < 0)
                return r;
        _cleanup_free_ char *top = path_join(i->path, "rw/data");
        if (!top)
                return -ENOMEM;
        if (tree_usage(top, ret_top_usage) < 0)
                *ret_top_usage = 0;
        *ret_text = TAKE_PTR(text);
        *ret_digests = TAKE_PTR(digests);
        return 0;
}

int layered_remove_unused(const char *store) {
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        int swept, r = lock_layers_in(store, &lock, &swept);

        if (r < 0)
                return r;
        if (swept < 0)
                return log_error_errno(swept, "Failed to remove the layers no image uses any more: %m");
        log_debug("Removed %i layers no image uses any more.", swept);
        return 0;
}
