/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "chase.h"
#include "copy.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-store.h"
#include "layered-image.h"
#include "log.h"
#include "machine-name.h"
#include "output.h"
#include "path-util.h"
#include "progress.h"
#include "string-util.h"
#include "strv.h"
#include "tar-util.h"
#include "tree-clone.h"
#include "verb-images.h"
#include "verbs.h"

/* machinectl's image verbs, on the store of image-store.h, with the locks
 * machined and nspawn take: what one of them uses, the others leave alone. */

enum {
        OPT_JSON = 0x100,
        OPT_ALL,
        OPT_READ_ONLY,
};

typedef struct ImageArgs {
        bool help, json, all, read_only;
} ImageArgs;

/* The options of every image verb; each takes those in its usage text. */
static int parse_image_args(int argc, char *argv[], const char *usage, const char *takes, ImageArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, OPT_JSON },
                { "all", no_argument, NULL, 'a' },
                { "read-only", no_argument, NULL, OPT_READ_ONLY },
                {},
        };
        int opt;

        optind = 0;
        while ((opt = getopt_long(argc, argv, ":ha", options, NULL)) >= 0) {
                const char *name = opt == 'a' ? "all" : opt == OPT_JSON ? "json" : "read-only";

                if (opt == 'h') {
                        a->help = true;
                        fputs(usage, stdout);
                        return 0;
                }
                if (opt == '?' || opt == ':' || !strstr(takes, name))
                        return verb_bad_option(argv[0], opt == '?' || opt == ':' ? opt : '?', argv);
                a->all = a->all || opt == 'a';
                a->json = a->json || opt == OPT_JSON;
                a->read_only = a->read_only || opt == OPT_READ_ONLY;
        }
        return 0;
}

static int lock_image(const Image *i, int operation, ImageLock *ret) {
        int r = image_lock(i->path, operation, ret);

        if (r == -EBUSY)
                return log_error_errno(r, "Image '%s' is in use by a running machine.", i->name);
        if (r < 0)
                return log_error_errno(r, "Failed to lock image '%s': %m", i->name);
        return 0;
}

/* --- images, image-status ------------------------------------------------ */

static const Column images_columns[] = {
        { "NAME", "name" },
        { "TYPE", "type" },
        { "RO", "ro" },
        { "USAGE", "usage" },
        { "CREATED", "created" },
        { "MODIFIED", "modified" },
        { "PATH", "path", COLUMN_JSON_ONLY },
};

static int add_time(Table *t, usec_t u, bool json) {
        char buf[64];

        if (u == 0)
                return table_add_null(t);
        return json ? table_add_uint(t, u) : table_add_string(t, format_timestamp(buf, sizeof buf, u));
}

static int add_usage(Table *t, uint64_t v, bool json) {
        char buf[32];

        if (v == UINT64_MAX)
                return table_add_null(t);
        return json ? table_add_uint(t, v) : table_add_string(t, format_bytes(buf, sizeof buf, v));
}

static int add_image_row(Table *t, const Image *i, bool json) {
        int r = table_add_string(t, i->name);

        r = r ?: table_add_string(t, image_type_to_string(i->type));
        r = r ?: table_add_bool(t, i->read_only);
        r = r ?: add_usage(t, i->usage, json);
        r = r ?: add_time(t, i->crtime, json);
        r = r ?: add_time(t, i->mtime, json);
        return r ?: table_add_string(t, i->path);
}

int verb_images(int argc, char *argv[]) {
        _cleanup_(table_freep) Table *t = NULL;
        ImageArgs a = {};
        Image *images = NULL;
        size_t n = 0;
        int r;

#define IMAGES_HELP                                                         \
        " [--all] [--json]\n\n"                                             \
        "List the images in the store, as machinectl list-images does.\n\n" \
        "  -a --all   Hidden images (names starting with '.') too\n"        \
        "     --json  One JSON array on stdout\n"                           \
        "  -h --help  Show this help\n"
        r = parse_image_args(argc, argv,
                             streq(argv[0], "list-images") ? "berth list-images" IMAGES_HELP
                                                           : "berth images" IMAGES_HELP,
                             "all json", &a);
        if (r < 0 || a.help)
                return r;
        if (optind < argc)
                return log_usage("'berth %s' takes no arguments.", argv[0]);

        image_store_sweep();
        r = image_store_list(BERTH_IMAGE_DIR, a.all, &images, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to list images: %m");
        t = table_new(images_columns, ELEMENTSOF(images_columns));
        for (size_t i = 0; t && r >= 0 && i < n; i++)
                r = add_image_row(t, &images[i], a.json);
        image_array_free(images, n);
        if (!t || r < 0)
                return log_oom();
        r = a.json ? table_print_json(t, stdout) : table_print(t, stdout, "image", "images");
        return r < 0 ? log_error_errno(r, "Failed to show the images: %m") : 0;
}

static const Column status_columns[] = {
        { "", "name" },
        { "Path", "path" },
        { "Type", "type" },
        { "Read-only", "read_only" },
        { "Hostname", "hostname" },
        { "OS", "os" },
        { "Usage", "usage" },
        { "Created", "created" },
        { "Modified", "modified" },
        { "Layers", "layers_text", COLUMN_TEXT_ONLY },
        { "", "layers", COLUMN_JSON_ONLY },
        { "Top", "top_usage" },
};

/* What the tree says of itself: its hostname and os-release's name. */
static void tree_facts(const Image *i, char **ret_hostname, char **ret_os) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *os = NULL;

        *ret_hostname = *ret_os = NULL;
        if (!IN_SET(i->type, IMAGE_DIRECTORY, IMAGE_SUBVOLUME))
                return;
        fd = open(i->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        if (os_release_read(fd, &os) >= 0 && env_text_get(os, "PRETTY_NAME", ret_os) < 0)
                *ret_os = NULL;
        if (image_read_hostname(fd, ret_hostname) < 0)
                *ret_hostname = NULL;
}

/* A layered image's layers and top; nothing for other images. */
static int add_layers(Table *t, const Image *i, bool json) {
        _cleanup_strv_free_ char **text = NULL, **digests = NULL;
        uint64_t top = UINT64_MAX;
        int r;

        if (i->type == IMAGE_MSTACK && layered_status(i, &text, &digests, &top) < 0)
                log_debug("Failed to look at the layers of image '%s', ignoring.", i->name);
        if (i->type != IMAGE_MSTACK)
                return table_add_null(t) ?: table_add_null(t) ?: table_add_null(t);
        r = table_add_strv(t, text);
        r = r ?: table_add_strv(t, digests);
        return r ?: add_usage(t, top, json);
}

static int add_status_row(Table *t, const Image *i, bool json) {
        _cleanup_free_ char *hostname = NULL, *os = NULL;
        int r;

        tree_facts(i, &hostname, &os);
        r = table_add_string(t, i->name);
        r = r ?: table_add_string(t, i->path);
        r = r ?: table_add_string(t, image_type_to_string(i->type));
        r = r ?: table_add_bool(t, i->read_only);
        r = r ?: (hostname && *hostname ? table_add_string(t, hostname) : table_add_null(t));
        r = r ?: (os ? table_add_string(t, os) : table_add_null(t));
        r = r ?: add_usage(t, i->usage, json);
        r = r ?: add_time(t, i->crtime, json);
        r = r ?: add_time(t, i->mtime, json);
        return r ?: add_layers(t, i, json);
}

int verb_image_status(int argc, char *argv[]) {
        _cleanup_(table_freep) Table *t = NULL;
        ImageArgs a = {};
        int r, ret = 0;

        r = parse_image_args(argc, argv,
                             "berth image-status NAME… [--json]\n\n"
                             "Show what the images are: path, type, read-only mark, hostname, OS.\n\n"
                             "     --json  One JSON array on stdout, an object per image\n"
                             "  -h --help  Show this help\n",
                             "json", &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc)
                return log_usage("'berth image-status' needs at least one image name.");

        t = table_new(status_columns, ELEMENTSOF(status_columns));
        if (!t)
                return log_oom();
        for (int k = optind; k < argc; k++) {
                Image i;

                r = image_find_logged(argv[k], &i);
                if (r < 0) {
                        ret = ret ?: r;
                        continue;
                }
                r = add_status_row(t, &i, a.json);
                image_done(&i);
                if (r < 0)
                        return log_oom();
        }
        if (table_rows(t) == 0)
                return ret;
        r = a.json ? table_print_json(t, stdout) : table_print_fields(t, stdout);
        return r < 0 ? log_error_errno(r, "Failed to show the images: %m") : ret;
}

/* --- settings files beside and for an image --------------------------- */

typedef enum SettingsOp {
        SETTINGS_COPY,
        SETTINGS_RENAME,
        SETTINGS_REMOVE,
} SettingsOp;

/* Each settings file of image name (berth's and nspawn's places, and the
 * directory of the image, image_dir) is copied or renamed to new_name's
 * (beside the image: in new_image_dir), or removed. */
static int settings_files(SettingsOp op, const char *image_dir, const char *new_image_dir, const char *name,
                          const char *new_name) {
        const char *const places[][3] = {
                { BERTH_CONFIG_DIR, BERTH_CONFIG_DIR, ".berth" },
                { BERTH_RUNTIME_DIR, BERTH_RUNTIME_DIR, ".berth" },
                { image_dir, new_image_dir, ".berth" },
                { "/etc/systemd/nspawn", "/etc/systemd/nspawn", ".nspawn" },
                { "/run/systemd/nspawn", "/run/systemd/nspawn", ".nspawn" },
                { image_dir, new_image_dir, ".nspawn" },
        };
        int ret = 0;

        for (size_t k = 0; k < ELEMENTSOF(places); k++) {
                _cleanup_free_ char *from = strdup_printf("%s/%s%s", places[k][0], name, places[k][2]);
                _cleanup_free_ char *to =
                        new_name ? strdup_printf("%s/%s%s", places[k][1], new_name, places[k][2]) : NULL;
                _cleanup_free_ char *text = NULL;
                int r = 0;

                if (!from || (new_name && !to))
                        return log_oom();
                if (op == SETTINGS_REMOVE)
                        r = unlink(from) < 0 && errno != ENOENT ? -errno : 0;
                else if (op == SETTINGS_RENAME)
                        r = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0 && errno != ENOENT ? -errno
                                                                                                             : 0;
                else if ((r = read_full_file_at(AT_FDCWD, from, 1024 * 1024, &text, NULL)) >= 0)
                        r = write_string_file_at(AT_FDCWD, to, text,
                                                 WRITE_FILE_CREATE | WRITE_FILE_ATOMIC | WRITE_FILE_NO_NEWLINE, 0644);
                else if (r == -ENOENT)
                        r = 0;
                if (r < 0) {
                        log_warning_errno(r, "Failed to %s settings file '%s': %m",
                                          op == SETTINGS_REMOVE   ? "remove"
                                          : op == SETTINGS_RENAME ? "rename"
                                                                  : "copy",
                                          from);
                        ret = ret ?: r;
                }
        }
        return ret;
}

/* --- clone, import-fs ----------------------------------------------------- */

static void progress_written(uint64_t bytes, void *userdata) {
        progress_add(userdata, bytes);
}

static int fill_by_copy(const ImageSource *s, int dir_fd, const char *tmp_name, const CopyProgress *progress,
                        char **ret_error) {
        _cleanup_free_ char *failed = NULL;
        int r = tree_clone_at(s->dir_fd, s->name, dir_fd, tmp_name, progress, &failed);

        if (r < 0 && failed && *failed)
                *ret_error = strdup_printf("copying '%s': %s", failed, strerror(-r));
        return r;
}

static int fill_by_unpacking(const ImageSource *s, int dir_fd, const char *tmp_name, const CopyProgress *progress,
                             char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct statvfs sv;

        if (mkdirat(dir_fd, tmp_name, 0755) < 0)
                return -errno;
        fd = openat(dir_fd, tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstatvfs(fd, &sv) < 0)
                return -errno;
        /* Bounded by the room there is, less a twentieth (the file
         * system's own metadata, and the host's other writers): a bomb stops
         * before the disk is full. */
        return tar_unpack(s->fd, fd, (uint64_t) sv.f_bavail * sv.f_frsize / 20 * 19, progress, ret_error);
}

/* The copy of a tree into the store as new_name. */
static int copy_into_store(int src_dir_fd, const char *src_name, ImageType type, const char *new_name, bool read_only) {
        ImageSource s = {
                .fill = fill_by_copy,
                .dir_fd = src_dir_fd,
                .name = src_name,
                .total = UINT64_MAX,
                .done = "Copied",
        };

        if (isatty(STDERR_FILENO))
                (void) copy_tree_size_at(src_dir_fd, src_name, &s.total);
        return image_make(&s, type, new_name, read_only);
}

int verb_clone(int argc, char *argv[]) {
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_free_ char *dir = NULL, *last = NULL, *real = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_(image_done) Image src = {};
        ImageArgs a = {};
        int r;

        r = parse_image_args(argc, argv,
                             "berth clone SRC DST [--read-only]\n\n"
                             "Copy image SRC to a new image DST in " BERTH_IMAGE_DIR ": a snapshot where SRC is\n"
                             "a btrfs subvolume, else a copy that keeps owners, modes, ACLs, xattrs,\n"
                             "hard links, device nodes and holes (file data shared where the filesystem\n"
                             "can). SRC's settings files are copied along; DST's machine-id is empty.\n\n"
                             "     --read-only  Mark DST read-only\n"
                             "  -h --help       Show this help\n",
                             "read-only", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth clone' needs two image names: SRC DST.");
        r = image_find_logged(argv[optind], &src);
        r = r ?: image_claim_new_name(argv[optind + 1], &name_lock);
        r = r ?: lock_image(&src, LOCK_SH, &lock);
        if (r < 0)
                return r;
        if (src.type == IMAGE_BLOCK)
                return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP), "Image '%s' is a block device: it can't be cloned.",
                                       src.name);
        /* An image in /etc/machines or /run/machines is a symlink: what it
         * points at is copied. */
        real = realpath(src.path, NULL);
        if (!real)
                return log_error_errno(errno, "Failed to resolve image '%s': %m", src.name);
        r = path_split_last(real, &dir, &last);
        if (r < 0)
                return log_oom();
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", dir);
        if (src.type == IMAGE_MSTACK)
                return layered_clone(&src, argv[optind + 1], a.read_only);
        r = copy_into_store(dir_fd, last, src.type == IMAGE_RAW ? IMAGE_RAW : IMAGE_DIRECTORY, argv[optind + 1],
                            a.read_only);
        if (r < 0)
                return r;
        _cleanup_free_ char *src_dir = NULL, *src_last = NULL;
        if (path_split_last(src.path, &src_dir, &src_last) < 0)
                return log_oom();
        (void) settings_files(SETTINGS_COPY, src_dir, BERTH_IMAGE_DIR, src.name, argv[optind + 1]);
        return 0;
}

int verb_import_fs(int argc, char *argv[]) {
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_free_ char *dir = NULL, *last = NULL, *path = NULL, *store = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        struct stat st;
        ImageArgs a = {};
        int r;

        r = parse_image_args(argc, argv,
                             "berth import-fs DIRECTORY NAME [--read-only]\n\n"
                             "Copy an OS tree into " BERTH_IMAGE_DIR " as image NAME, keeping everything\n"
                             "as 'berth clone' does.\n\n"
                             "     --read-only  Mark NAME read-only\n"
                             "  -h --help       Show this help\n",
                             "read-only", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth import-fs' needs a directory and an image name.");
        path = realpath(argv[optind], NULL); /* a symlink to a tree: the tree */
        if (!path || stat(path, &st) < 0)
                return log_error_errno(errno, "Failed to look at '%s': %m", argv[optind]);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(SYNTHETIC_ERRNO(ENOTDIR), "'%s' is no directory.", argv[optind]);
        if (streq(path, "/"))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Refusing to import the host's root directory.");
        store = realpath(BERTH_IMAGE_DIR, NULL);
        if (store && path_startswith_dir(store, path))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Refusing to import '%s': the image store is in it.",
                                       argv[optind]);
        r = image_claim_new_name(argv[optind + 1], &name_lock);
        if (r < 0)
                return r;
        r = path_split_last(path, &dir, &last);
        if (r < 0)
                return log_oom();
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", dir);
        return copy_into_store(dir_fd, last, IMAGE_DIRECTORY, argv[optind + 1], a.read_only);
}

int verb_set_limit(int argc, char *argv[]) {
        _cleanup_(image_done) Image i = {};
        ImageArgs a = {};
        uint64_t bytes;
        struct statfs sfs;
        int r;

        r = parse_image_args(argc, argv,
                             "berth set-limit NAME SIZE\n\n"
                             "Limit the disk space image NAME may use to SIZE (bytes, or with K, M, G or\n"
                             "T; 'infinity' or 'none' for none). Only btrfs subvolume images have limits:\n"
                             "their quota group's, with quotas on in their filesystem.\n\n"
                             "  -h --help  Show this help\n",
                             "", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth set-limit' needs an image name and a size.");
        if (streq(argv[optind + 1], "infinity") || streq(argv[optind + 1], "none") || streq(argv[optind + 1], "-"))
                bytes = UINT64_MAX;
        else if (parse_size(argv[optind + 1], &bytes) < 0)
                return log_usage("Invalid size '%s': bytes, or with K, M, G or T.", argv[optind + 1]);
        r = image_find_logged(argv[optind], &i);
        if (r < 0)
                return r;
        if (i.vendor)
                return log_error_errno(SYNTHETIC_ERRNO(EROFS), "Image '%s' is a vendor image (in %s): it can't be %s.",
                                       i.name, i.path, "limited");
        r = image_set_limit(&i, bytes);
        if (r == -EOPNOTSUPP)
                return log_error_errno(r, "Can't limit image '%s': only btrfs subvolume images have size limits%s.",
                                       i.name,
                                       statfs(i.path, &sfs) >= 0 && (unsigned long) sfs.f_type == BTRFS_SUPER_MAGIC
                                               ? " (it is a plain directory)"
                                               : " (its filesystem is no btrfs)");
        if (r == -ENOTCONN)
                return log_error_errno(r,
                                       "Can't limit image '%s': quotas are off on its filesystem "
                                       "(btrfs quota enable).",
                                       i.name);
        if (r < 0)
                return log_error_errno(r, "Failed to limit image '%s': %m", i.name);
        return 0;
}

/* --- import-tar, export-tar ---------------------------------------------- */

int verb_import_tar(int argc, char *argv[]) {
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_close_ int fd = -EBADF;
        ImageSource s = { .fill = fill_by_unpacking, .total = UINT64_MAX, .done = "Unpacked" };
        ImageArgs a = {};
        int r;

        r = parse_image_args(
                argc, argv,
                "berth import-tar FILE|- NAME [--read-only]\n\n"
                "Unpack a tarball (uncompressed, gzip, xz, zstd or bzip2) as image NAME in\n" BERTH_IMAGE_DIR
                ", keeping numeric owners, modes, xattrs, ACLs, file\n"
                "capabilities, hard links, device nodes and holes. Entries that would land\n"
                "outside the image are refused, and the image not made.\n\n"
                "     --read-only  Mark NAME read-only\n"
                "  -h --help       Show this help\n",
                "read-only", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth import-tar' needs a file (or -) and an image name.");
        r = image_claim_new_name(argv[optind + 1], &name_lock);
        if (r < 0)
                return r;
        if (streq(argv[optind], "-"))
                s.fd = STDIN_FILENO;
        else if ((fd = s.fd = open(argv[optind], O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
                return log_error_errno(errno, "Failed to open '%s': %m", argv[optind]);
        return image_make(&s, IMAGE_DIRECTORY, argv[optind + 1], a.read_only);
}

/* The tarball of the image's tree to out_fd. */
static int export_tree(const Image *i, int out_fd, TarCompression c) {
        _cleanup_free_ char *error = NULL;
        _cleanup_close_ int fd = -EBADF;
        Progress p;
        int r;

        fd = open(i->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open image '%s': %m", i->name);
        progress_init(&p, STDERR_FILENO, UINT64_MAX);
        r = tar_pack(fd, out_fd, c, &(CopyProgress) { .written = progress_written, .userdata = &p }, &error);
        progress_end(&p, r >= 0, "Packed");
        if (r < 0)
                return error ? log_error_errno(r, "Failed to export image '%s', %s", i->name, error)
                             : log_error_errno(r, "Failed to export image '%s': %m", i->name);
        return 0;
}

/* Whether dir is the image store's writable directory. */
static bool in_store(const char *dir) {
        struct stat a, b;

        return stat(dir, &a) >= 0 && stat(BERTH_IMAGE_DIR, &b) >= 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* To FILE: through a hidden temporary beside it, renamed when complete. */
static int export_to_file(const Image *i, const char *path, TarCompression c) {
        _cleanup_free_ char *dir = NULL, *last = NULL, *tmp = NULL;
        _cleanup_(lock_file_release) LockFile lock = LOCK_FILE_NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = path_split_last(path, &dir, &last);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0 || streq(last, ".."))
                return log_usage("Invalid file name '%s'.", path);
        tmp = image_temporary_path(dir, last);
        if (!tmp)
                return log_oom();
        /* In the store, the temporary's name lock is held while it is
         * written, as for an image's: the next image verb would take it for
         * a killed command's otherwise. (Elsewhere nothing sweeps.) */
        if (in_store(dir)) {
                r = image_name_lock(last, &lock);
                if (r == -EBUSY)
                        return log_error_errno(r, "'%s' is being written by another command.", path);
                if (r < 0)
                        return log_error_errno(r, "Failed to lock the name '%s': %m", last);
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create '%s': %m", tmp);
        r = export_tree(i, fd, c);
        if (r >= 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
                r = log_error_errno(errno, "Failed to write '%s': %m", path);
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int verb_export_tar(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "format", required_argument, NULL, 'f' },
                {},
        };
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(image_done) Image i = {};
        TarCompression c = _TAR_COMPRESSION_INVALID;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        printf("berth export-tar NAME FILE|- [--format=FORMAT]\n\n"
                               "Write image NAME as a pax tarball: numeric owners, xattrs, ACLs, file\n"
                               "capabilities, hard links, device nodes and holes. Compressed as FILE's\n"
                               "suffix says (.gz, .xz, .zst, .bz2), or not.\n\n"
                               "     --format=uncompressed|gzip|xz|zstd|bzip2\n"
                               "                    Compress so, whatever the suffix\n"
                               "  -h --help         Show this help\n");
                        return 0;
                case 'f':
                        c = tar_compression_from_string(optarg);
                        if (c < 0)
                                return log_usage("Invalid format '%s': uncompressed, gzip, xz, zstd or bzip2.", optarg);
                        break;
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }
        if (argc - optind != 2)
                return log_usage("'berth export-tar' needs an image name and a file (or -).");
        r = image_find_logged(argv[optind], &i);
        if (r < 0)
                return r;
        if (!IN_SET(i.type, IMAGE_DIRECTORY, IMAGE_SUBVOLUME))
                return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP), "Image '%s' is no directory tree: %s.", i.name,
                                       "only trees are exported as tarballs");
        r = lock_image(&i, LOCK_SH, &lock);
        if (r < 0)
                return r;
        if (streq(argv[optind + 1], "-"))
                return export_tree(&i, STDOUT_FILENO, c < 0 ? TAR_COMPRESSION_NONE : c);
        return export_to_file(&i, argv[optind + 1], c < 0 ? tar_compression_from_path(argv[optind + 1]) : c);
}

/* --- rename, remove, read-only ------------------------------------------- */

/* The image, found and locked for writing; not a vendor image. */
static int image_for_change(const char *name, const char *what, Image *ret, ImageLock *lock) {
        int r = image_find_logged(name, ret);

        if (r < 0)
                return r;
        if (ret->vendor)
                return log_error_errno(SYNTHETIC_ERRNO(EROFS), "Image '%s' is a vendor image (in %s): it can't be %s.",
                                       name, ret->path, what);
        return lock_image(ret, LOCK_EX, lock);
}

int verb_rename(int argc, char *argv[]) {
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_free_ char *dir = NULL, *last = NULL, *to = NULL;
        _cleanup_(image_done) Image i = {};
        ImageArgs a = {};
        bool marked;
        int r;

        r = parse_image_args(argc, argv,
                             "berth rename OLD NEW\n\n"
                             "Rename an image, and its settings files.\n\n"
                             "  -h --help  Show this help\n",
                             "", &a);
        if (r < 0 || a.help)
                return r;
        if (argc - optind != 2)
                return log_usage("'berth rename' needs two image names: OLD NEW.");
        r = image_for_change(argv[optind], "renamed", &i, &lock);
        r = r ?: image_claim_new_name(argv[optind + 1], &name_lock);
        if (r < 0)
                return r;
        r = path_split_last(i.path, &dir, &last);
        if (r < 0)
                return log_oom();
        to = strdup_printf("%s/%s%s", dir, argv[optind + 1],
                           i.type == IMAGE_RAW      ? ".raw"
                           : i.type == IMAGE_MSTACK ? MSTACK_SUFFIX
                                                    : "");
        if (!to)
                return log_oom();
        /* The immutable top of a read-only directory can't be renamed:
         * unmarked for the rename, as machined does. */
        marked = i.read_only && IN_SET(i.type, IMAGE_DIRECTORY, IMAGE_MSTACK) && !i.symlink;
        if (marked)
                (void) image_set_read_only(&i, false);
        if (renameat2(AT_FDCWD, i.path, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
                r = -errno;
                if (marked)
                        (void) image_set_read_only(&i, true);
                return log_error_errno(r, "Failed to rename image '%s': %m", i.name);
        }
        if (marked) {
                free(i.path);
                i.path = TAKE_PTR(to);
                (void) image_set_read_only(&i, true);
        }
        (void) settings_files(SETTINGS_RENAME, dir, dir, i.name, argv[optind + 1]);
        return 0;
}

static int remove_one(const char *name) {
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_free_ char *dir = NULL, *last = NULL, *tmp = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_(image_done) Image i = {};
        int r;

        r = image_for_change(name, "removed", &i, &lock);
        if (r < 0)
                return r;
        r = path_split_last(i.path, &dir, &last);
        tmp = r < 0 ? NULL : image_temporary_path(dir, i.name);
        if (!tmp)
                return log_oom();
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", dir);
        /* A symlink in /etc/machines or /run/machines: only the link. */
        if (i.symlink) {
                if (unlinkat(dir_fd, last, 0) < 0)
                        return log_error_errno(errno, "Failed to remove image '%s': %m", i.name);
                (void) settings_files(SETTINGS_REMOVE, dir, dir, i.name, NULL);
                return 0;
        }
        /* Gone from sight at once, then removed; the name stays ours until
         * then, so that nobody takes the temporary for a stale one. */
        r = image_name_lock(i.name, &name_lock);
        if (r < 0)
                return log_error_errno(r, "Failed to lock image name '%s': %m", i.name);
        if (i.read_only && IN_SET(i.type, IMAGE_DIRECTORY, IMAGE_MSTACK))
                (void) image_set_read_only(&i, false);
        if (renameat(dir_fd, last, dir_fd, strrchr(tmp, '/') + 1) < 0) {
                r = -errno;
                if (i.read_only && IN_SET(i.type, IMAGE_DIRECTORY, IMAGE_MSTACK))
                        (void) image_set_read_only(&i, true); /* as it was */
                return log_error_errno(r, "Failed to remove image '%s': %m", i.name);
        }
        (void) settings_files(SETTINGS_REMOVE, dir, dir, i.name, NULL);
        r = image_remove_tree(dir_fd, strrchr(tmp, '/') + 1);
        if (r < 0)
                return log_error_errno(r, "Failed to remove all of image '%s' (left in %s): %m", i.name, tmp);
        return i.type == IMAGE_MSTACK ? layered_remove_unused(dir) : 0;
}

int verb_remove(int argc, char *argv[]) {
        ImageArgs a = {};
        int r, ret = 0;

        r = parse_image_args(argc, argv,
                             "berth remove NAME…\n\n"
                             "Remove images, and their settings files. An image a machine runs from\n"
                             "is not removed.\n\n"
                             "  -h --help  Show this help\n",
                             "", &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc)
                return log_usage("'berth remove' needs at least one image name.");
        for (int k = optind; k < argc; k++) {
                r = remove_one(argv[k]);
                ret = ret ?: r;
        }
        return ret;
}

int verb_read_only(int argc, char *argv[]) {
        _cleanup_(image_lock_release) ImageLock lock = IMAGE_LOCK_NULL;
        _cleanup_(image_done) Image i = {};
        ImageArgs a = {};
        int r, b = 1;

        r = parse_image_args(argc, argv,
                             "berth read-only NAME [BOOL]\n\n"
                             "Mark an image read-only (the default), or writable again with 'no'.\n\n"
                             "  -h --help  Show this help\n",
                             "", &a);
        if (r < 0 || a.help)
                return r;
        if (optind >= argc || argc - optind > 2)
                return log_usage("'berth read-only' needs an image name, and may take yes or no.");
        if (argc - optind == 2 && (b = parse_boolean(argv[optind + 1])) < 0)
                return log_usage("Invalid boolean '%s'.", argv[optind + 1]);
        r = image_for_change(argv[optind], "changed", &i, &lock);
        if (r < 0)
                return r;
        r = image_set_read_only(&i, b);
        if (r == -ENOTTY || r == -EOPNOTSUPP)
                return log_error_errno(r, "Can't mark image '%s' read-only: its filesystem has no immutable flag.",
                                       i.name);
        if (r < 0)
                return log_error_errno(r, "Failed to mark image '%s' %s: %m", i.name, b ? "read-only" : "writable");
        return 0;
}
