/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "machine-freeze.h"
#include "registry.h"
#include "string-util.h"
#include "time-util.h"

#define FREEZE_TIMEOUT_USEC (10 * USEC_PER_SEC)

static char *payload_file(const MachineCgroup *c, const char *file) {
        if (!c->unified_mount || !c->path)
                return NULL;
        return strjoin(c->unified_mount, c->path, "/payload/", file);
}

/* Whether cgroup.events (its text) says "frozen want". */
static bool events_say_frozen(const char *text, bool want) {
        const char *p = strstr(text, "frozen ");

        return p && (p == text || p[-1] == '\n') && p[7] == (want ? '1' : '0');
}

static int read_events(const char *path, bool want) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        return events_say_frozen(text, want);
}

/* Waits until cgroup.events says "frozen want": the kernel changes the file
 * (and tells inotify) once every process has stopped or started again. */
static int wait_frozen(const char *events, bool want) {
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        usec_t deadline = now(CLOCK_MONOTONIC) + FREEZE_TIMEOUT_USEC;
        char buf[4096];
        int r;

        if (fd < 0)
                return -errno;
        if (inotify_add_watch(fd, events, IN_MODIFY) < 0)
                return -errno;
        for (;;) {
                usec_t n = now(CLOCK_MONOTONIC);

                r = read_events(events, want);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (n >= deadline)
                        return -ETIMEDOUT;
                r = poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1,
                         (int) ((deadline - n + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
                if (r < 0 && errno != EINTR)
                        return -errno;
                while (read(fd, buf, sizeof buf) > 0)
                        ;
        }
}

int machine_cgroup_freeze(const MachineCgroup *c, bool freeze) {
        _cleanup_free_ char *control = payload_file(c, "cgroup.freeze"), *events = payload_file(c, "cgroup.events");
        int r;

        if (!control || !events)
                return -ENOMEM;
        r = write_string_file(control, freeze ? "1" : "0", WRITE_FILE_NO_NEWLINE);
        if (r == -ENOENT && access(events, F_OK) >= 0)
                return -EOPNOTSUPP; /* the cgroup is there, its freezer is not */
        if (r < 0)
                return r;
        r = wait_frozen(events, freeze);
        if (r == -ETIMEDOUT && freeze)
                /* Not half frozen: as it was. */
                (void) write_string_file(control, "0", WRITE_FILE_NO_NEWLINE);
        return r;
}

int machine_cgroup_is_frozen(const MachineCgroup *c) {
        _cleanup_free_ char *control = payload_file(c, "cgroup.freeze"), *text = NULL;
        int r;

        if (!control)
                return -ENOMEM;
        /* What was asked for: a machine that is still freezing is frozen
         * for everyone who would enter it. */
        r = read_one_line_file(control, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return streq(text, "1");
}

int machine_freeze_by_name(const char *machines_dir, const char *name, bool freeze) {
        _cleanup_(machine_record_done) MachineRecord m = {};
        int r;

        r = registry_read(machines_dir, name, &m);
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;
        return machine_cgroup_freeze(&m.cgroup, freeze);
}
