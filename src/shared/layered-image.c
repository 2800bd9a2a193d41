/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "image-store.h"
#include "layered-image.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

#define CONFIG_PATH ".oci/config.json"
#define CONFIG_MAX (4U * 1024U * 1024U)

char *layer_dir_name(const char *hex) {
        return strjoin(LAYER_PREFIX, hex);
}

bool layer_dir_name_parse(const char *name, const char **ret_hex) {
        const char *hex = startswith(name, LAYER_PREFIX);

        if (!hex || !sha256_hex_is_valid(hex))
                return false;
        if (ret_hex)
                *ret_hex = hex;
        return true;
}

void layered_image_done(LayeredImage *i) {
        for (size_t k = 0; k < i->n_layers; k++)
                safe_close(i->layer_fds[k]);
        free(i->layer_fds);
        strv_free(i->layers);
        safe_close(i->dir_fd);
        safe_close(i->rw_fd);
        *i = (LayeredImage) LAYERED_IMAGE_NULL;
}

typedef struct LayerEntry {
        char *key; /* what follows "layer@" */
        char *hex;
} LayerEntry;

static int compare_entries(const void *a, const void *b) {
        return strverscmp(((const LayerEntry *) a)->key, ((const LayerEntry *) b)->key);
}

/* A layer@KEY entry: a symlink to one of the store's layers (nothing else
 * is followed out of the stack), or a directory of its own. */
static int read_layer_entry(int dir_fd, const char *name, LayerEntry *ret, char **ret_error) {
        char target[PATH_MAX];
        const char *hex = NULL;
        struct stat st;
        ssize_t n;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode)) {
                n = readlinkat(dir_fd, name, target, sizeof target - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                const char *last = startswith(target, "../");
                if (!last || !layer_dir_name_parse(last, &hex)) {
                        *ret_error = strdup_printf("%s points at '%s', not at a layer of the store", name, target);
                        return -EBADMSG;
                }
        } else if (!S_ISDIR(st.st_mode)) {
                *ret_error = strdup_printf("%s is not a directory (raw layers are not supported)", name);
                return -EBADMSG;
        }
        *ret = (LayerEntry) { .key = strdup(name + strlen("layer@")), .hex = strdup(hex ?: "") };
        return ret->key && ret->hex ? 0 : -ENOMEM;
}

static void entries_free(LayerEntry *e, size_t n) {
        for (size_t k = 0; k < n; k++) {
                free(e[k].key);
                free(e[k].hex);
        }
        free(e);
}

/* The stack's entries, layers sorted: what systemd's mstack takes, less
 * what berth doesn't boot (raw layers, bind mounts, root/). */
static int read_entries(int dir_fd, LayerEntry **ret, size_t *ret_n, bool *ret_rw, char **ret_error) {
        _cleanup_close_ int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        LayerEntry *e = NULL;
        struct dirent *de;
        size_t n = 0;
        int r = 0;

        if (!d)
                return -errno;
        TAKE_FD(fd);
        *ret_rw = false;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (streq(de->d_name, "rw")) {
                        *ret_rw = true;
                        continue;
                }
                if (!startswith(de->d_name, "layer@") || !de->d_name[6]) {
                        *ret_error =
                                strdup_printf("'%s' is not an entry berth boots (only layer@N and rw)", de->d_name);
                        r = -EBADMSG;
                        break;
                }
                LayerEntry *grown = reallocarray(e, n + 1, sizeof *e);
                if (!grown) {
                        r = -ENOMEM;
                        break;
                }
                e = grown;
                r = read_layer_entry(dirfd(d), de->d_name, &e[n], ret_error);
                if (r < 0)
                        break;
                n++;
        }
        if (r < 0) {
                entries_free(e, n);
                return r;
        }
        if (n > 0)
                qsort(e, n, sizeof *e, compare_entries);
        *ret = e;
        *ret_n = n;
        return 0;
}

static int open_layers(LayeredImage *i, const LayerEntry *e, size_t n) {
        i->layer_fds = calloc(n ?: 1, sizeof(int));
        if (!i->layer_fds)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *name = strjoin("layer@", e[k].key);

                if (!name || strv_extend(&i->layers, e[k].hex) < 0)
                        return -ENOMEM;
                i->layer_fds[k] = openat(i->dir_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                i->n_layers = k + 1;
                if (i->layer_fds[k] < 0)
                        return -errno;
        }
        return 0;
}

int layered_image_open(const char *path, LayeredImage *ret, char **ret_error) {
        _cleanup_(layered_image_done) LayeredImage i = LAYERED_IMAGE_NULL;
        LayerEntry *e = NULL;
        size_t n = 0;
        bool rw;
        int r;

        *ret_error = NULL;
        i.dir_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (i.dir_fd < 0)
                return -errno;
        r = read_entries(i.dir_fd, &e, &n, &rw, ret_error);
        if (r < 0)
                return r;
        r = open_layers(&i, e, n);
        entries_free(e, n);
        if (r < 0)
                return r;
        if (n == 0) {
                *ret_error = strdup("it has no layers");
                return -EBADMSG;
        }
        if (rw) {
                i.rw_fd = openat(i.dir_fd, "rw", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (i.rw_fd < 0)
                        return -errno;
        }
        *ret = i;
        i = (LayeredImage) LAYERED_IMAGE_NULL;
        return 0;
}

static int make_dir(int dir_fd, const char *name, mode_t mode) {
        if (mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int layered_image_top(LayeredImage *i, int *ret_data_fd, int *ret_work_fd) {
        _cleanup_close_ int data = -EBADF, work = -EBADF;
        int r;

        if (i->rw_fd < 0) {
                r = make_dir(i->dir_fd, "rw", 0700);
                if (r < 0)
                        return r;
                i->rw_fd = openat(i->dir_fd, "rw", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (i->rw_fd < 0)
                        return -errno;
        }
        r = make_dir(i->rw_fd, "data", 0755);
        if (r >= 0)
                r = make_dir(i->rw_fd, "work", 0700);
        if (r < 0)
                return r;
        data = openat(i->rw_fd, "data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        work = openat(i->rw_fd, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (data < 0 || work < 0)
                return -errno;
        *ret_data_fd = TAKE_FD(data);
        *ret_work_fd = TAKE_FD(work);
        return 0;
}

int layered_image_top_used(const LayeredImage *i) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (i->rw_fd < 0)
                return 0;
        fd = openat(i->rw_fd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return 1;
        return 0;
}

int layered_image_read_config(const LayeredImage *i, char **ret) {
        return read_full_file_at(i->dir_fd, CONFIG_PATH, CONFIG_MAX, ret, NULL);
}

int layered_image_write(int dir_fd, char *const *diff_ids, size_t n, const char *config_json) {
        int r;

        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *link = strdup_printf("layer@%zu", k);
                _cleanup_free_ char *target = strjoin("../" LAYER_PREFIX, diff_ids[k]);

                if (!link || !target)
                        return -ENOMEM;
                if (!sha256_hex_is_valid(diff_ids[k]))
                        return -EINVAL;
                if (symlinkat(target, dir_fd, link) < 0)
                        return -errno;
        }
        r = make_dir(dir_fd, "rw", 0700);
        if (r < 0 || !config_json)
                return r;
        r = make_dir(dir_fd, ".oci", 0700);
        if (r < 0)
                return r;
        return write_string_file_at(dir_fd, CONFIG_PATH, config_json,
                                    WRITE_FILE_CREATE | WRITE_FILE_ATOMIC | WRITE_FILE_NO_NEWLINE, 0600);
}

int layers_lock(const char *store, LockFile *ret) {
        _cleanup_free_ char *p = path_join(store, ".#oci-layers.lck");

        if (!p)
                return -ENOMEM;
        return lock_file_acquire(p, LOCK_EX, ret);
}

/* Calls f for every layer symlink of every mount stack in store_fd. */
static int for_each_stack_layer(int store_fd, int (*f)(const char *hex, void *userdata), void *userdata) {
        _cleanup_close_ int fd = openat(store_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                _cleanup_free_ char *err = NULL;
                LayerEntry *e = NULL;
                size_t n = 0;
                bool rw;
                int r;

                /* Temporaries (".#NAME…") are stacks being made: theirs count too. */
                if (!endswith(de->d_name, MSTACK_SUFFIX) && !startswith(de->d_name, ".#"))
                        continue;
                _cleanup_close_ int s = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0 || read_entries(s, &e, &n, &rw, &err) < 0)
                        continue;
                r = 0;
                for (size_t k = 0; k < n && r >= 0; k++)
                        if (e[k].hex[0])
                                r = f(e[k].hex, userdata);
                entries_free(e, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int collect_hex(const char *hex, void *userdata) {
        return strv_extend(userdata, hex);
}

int layers_remove_unused(int store_fd) {
        _cleanup_close_ int fd = openat(store_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        _cleanup_(strv_freep) char **used = NULL;
        struct dirent *de;
        int r, n = 0;

        if (!d)
                return -errno;
        TAKE_FD(fd);
        r = for_each_stack_layer(store_fd, collect_hex, &used);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                const char *hex;

                if (!layer_dir_name_parse(de->d_name, &hex) || strv_contains(used, hex))
                        continue;
                r = image_remove_tree(dirfd(d), de->d_name);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}

typedef struct CountUsers {
        const char *hex;
        unsigned n;
} CountUsers;

static int count_one(const char *hex, void *userdata) {
        CountUsers *c = userdata;

        if (streq(hex, c->hex))
                c->n++;
        return 0;
}

int layer_count_users(int store_fd, const char *hex, unsigned *ret) {
        CountUsers c = { .hex = hex };
        int r = for_each_stack_layer(store_fd, count_one, &c);

        if (r < 0)
                return r;
        *ret = c.n;
        return 0;
}
