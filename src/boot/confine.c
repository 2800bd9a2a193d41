/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The machine's system call filter is built with libseccomp, which takes
 * ~20 ms for a policy this size: once, then it comes from a cache in
 * CACHE_DIR, named by a hash of everything it was built from (berth's
 * binary, the capabilities, the allow and deny lists), so that a machine
 * starts without building one. The cache is root's, 0700, on tmpfs: what
 * is in it is as trusted as our binary. A copy for the machine's entering
 * processes goes to SECCOMP_DIR/NAME, removed with the machine. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "confine.h"
#include "fileio.h"
#include "log.h"
#include "machine-paths.h"
#include "path-util.h"
#include "seccomp-util.h"
#include "string-util.h"
#include "strv.h"

void machine_confinement_done(MachineConfinement *m) {
        free(m->seccomp);
        m->seccomp = NULL;
        m->seccomp_size = 0;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t size) {
        const unsigned char *p = data;

        for (size_t i = 0; i < size; i++)
                h = (h ^ p[i]) * UINT64_C(0x100000001b3);
        return h;
}

static uint64_t fnv1a_strv(uint64_t h, char **l) {
        STRV_FOREACH(s, l)
                h = fnv1a(h, *s, strlen(*s) + 1);
        return fnv1a(h, "", 1);
}

/* The cache's name for a filter: what it is built from. */
static char *cache_path(const BootConfig *c, uint64_t bounding) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        struct stat st;

        h = fnv1a(h, "berth-seccomp-1", 16);
        if (stat("/proc/self/exe", &st) >= 0) {
                uint64_t id[] = { st.st_dev, st.st_ino, (uint64_t) st.st_size, (uint64_t) st.st_mtim.tv_sec,
                                  (uint64_t) st.st_mtim.tv_nsec };
                h = fnv1a(h, id, sizeof id);
        }
        h = fnv1a(h, &bounding, sizeof bounding);
        h = fnv1a_strv(h, c->syscall_allow);
        h = fnv1a_strv(h, c->syscall_deny);
        return strdup_printf("%s/seccomp-%016llx", CACHE_DIR, (unsigned long long) h);
}

static int build_filter(const BootConfig *c, uint64_t bounding, MachineConfinement *m) {
        _cleanup_free_ char *path = cache_path(c, bounding);
        int r;

        if (!path)
                return log_oom();
        if (read_full_file(path, &m->seccomp, &m->seccomp_size) >= 0 &&
            seccomp_blob_is_valid(m->seccomp, m->seccomp_size))
                return 0;
        machine_confinement_done(m);

        r = seccomp_build_machine_filter(bounding, c->syscall_allow, c->syscall_deny, &m->seccomp, &m->seccomp_size);
        if (r == -EOPNOTSUPP)
                return log_error_errno(r, "Failed to build the system call filter: libseccomp is missing.");
        if (r < 0)
                return log_error_errno(r, "Failed to build the system call filter: %m");

        if (mkdir_p(CACHE_DIR, 0700) >= 0)
                (void) write_data_file_at(AT_FDCWD, path, m->seccomp, m->seccomp_size, WRITE_FILE_ATOMIC, 0600);
        return 0;
}

/* The copy that entering processes install. */
static int keep_filter(const char *name, const MachineConfinement *m, Record *rec) {
        _cleanup_free_ char *path = machine_seccomp_path(name);
        int r;

        if (!path)
                return log_oom();
        r = record_intend(rec, UNDO_FILE, path);
        if (r < 0)
                return r;
        r = mkdir_p(SECCOMP_DIR, 0700);
        if (r >= 0)
                r = write_data_file_at(AT_FDCWD, path, m->seccomp, m->seccomp_size, WRITE_FILE_ATOMIC, 0600);
        if (r < 0)
                return log_error_errno(r, "Failed to write '%s': %m", path);
        return 0;
}

int machine_setup_confinement(const BootConfig *c, const char *name, Record *rec, MachineConfinement *ret) {
        const char *e = getenv("SYSTEMD_SECCOMP");
        int r;

        ret->bounding = boot_config_bounding_set(c);
        ret->ambient = c->caps_ambient;
        ret->no_new_privileges = c->no_new_privileges;

        /* As with systemd-nspawn, SYSTEMD_SECCOMP=0 turns the filter off. */
        if (e && parse_boolean(e) == 0) {
                log_debug("SYSTEMD_SECCOMP=0: no system call filter.");
                return 0;
        }
        r = build_filter(c, ret->bounding, ret);
        if (r < 0)
                return r;
        return keep_filter(name, ret, rec);
}
