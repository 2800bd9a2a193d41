/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fd-util.h"
#include "fileio.h"
#include "fuzz.h"
#include "oci-image.h"
#include "rm-rf.h"
#include "string-util.h"

/* An OCI layout or docker-save archive is untrusted input. The fuzzer's
 * input is a few files of one: sections "--- NAME\n" followed by the
 * file's text, NAME one of oci-layout, index.json, manifest.json,
 * config.json, layer.tar, or "blob" (stored as blobs/sha256/ its digest, so
 * that descriptors can name it); input without sections is index.json. The
 * whole input is also a config for oci_config_parse(). Whatever the bytes,
 * loading fails with one line or gives layers whose paths stay inside. */

static void store(int fd, const char *name, const char *text, size_t size) {
        static const char *const names[] = { "oci-layout", "index.json", "manifest.json", "config.json", "layer.tar" };
        char hex[SHA256_HEX_SIZE], path[STRLEN("blobs/sha256/") + SHA256_HEX_SIZE];
        _cleanup_(sha256_freep) Sha256 *s = NULL;

        if (streq(name, "blob")) {
                if (sha256_new(&s) < 0 || sha256_update(s, text, size) < 0 || sha256_final_hex(s, hex) < 0)
                        return;
                snprintf(path, sizeof path, "blobs/sha256/%s", hex);
                (void) write_data_file_at(fd, path, text, size, WRITE_FILE_CREATE, 0644);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(name, names[i]))
                        (void) write_data_file_at(fd, name, text, size, WRITE_FILE_CREATE, 0644);
}

static void store_sections(int fd, char *text) {
        char *p = startswith(text, "--- ");

        if (!p) {
                store(fd, "index.json", text, strlen(text));
                return;
        }
        while (p) {
                char *name = p, *nl = strchr(p, '\n'), *next;

                if (!nl)
                        return;
                *nl = '\0';
                next = strstr(nl + 1, "\n--- ");
                store(fd, name, nl + 1, next ? (size_t) (next - nl - 1) : strlen(nl + 1));
                p = next ? next + STRLEN("\n--- ") : NULL;
        }
}

static void check(int fd, const char *ref) {
        _cleanup_(oci_image_done) OciImage img = {};
        _cleanup_free_ char *error = NULL;

        if (oci_image_load(fd, ref, &img, &error) < 0) {
                if (!error || strchr(error, '\n'))
                        abort();
                return;
        }
        if (img.n_layers > OCI_LAYERS_MAX || !img.config_json)
                abort();
        for (size_t i = 0; i < img.n_layers; i++)
                if (img.layers[i].path[0] == '/' || strstr(img.layers[i].path, "../") ||
                    streq(img.layers[i].path, "..") || endswith(img.layers[i].path, "/.."))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = strndup((const char *) data, size);
        _cleanup_(oci_image_done) OciImage config = {};
        char dir[] = "/tmp/berth-fuzz-oci-XXXXXX";
        _cleanup_close_ int fd = -EBADF;

        if (!text)
                return 0;
        (void) oci_config_parse(text, &config, NULL);
        if (!mkdtemp(dir))
                return 0;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && mkdirat(fd, "blobs", 0755) >= 0 && mkdirat(fd, "blobs/sha256", 0755) >= 0) {
                (void) write_string_file_at(fd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", WRITE_FILE_CREATE,
                                            0644);
                store_sections(fd, text);
                check(fd, NULL);
                check(fd, "latest");
        }
        (void) rm_rf_path(dir);
        return 0;
}
