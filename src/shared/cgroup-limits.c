/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "cgroup-limits.h"
#include "systemd-manager.h"
#include "parse-util.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

const char *const limits_v1_controllers[] = { "memory", "cpu", "pids", NULL };

/* The machine's v1 cgroup in controller's hierarchy, if it has one. */
static const char *v1_dir(const LimitTarget *t, const char *controller) {
        STRV_FOREACH(d, t->cgroup->v1) {
                const char *rest = startswith(*d, "/sys/fs/cgroup/");

                rest = rest ? startswith(rest, controller) : NULL;
                if (rest && *rest == '/')
                        return *d;
        }
        return NULL;
}

/* Where cgroup2 limit files of the machine are: the unit's cgroup when
 * systemd sets them, payload/ when we do. */
static char *unified_dir(const LimitTarget *t) {
        if (t->cgroup->systemd_unit)
                return path_join(t->cgroup->unified_mount, t->cgroup->path);
        return strjoin(t->cgroup->unified_mount, t->cgroup->path, "/payload");
}

static bool word_in(const char *text, const char *word) {
        size_t n = strlen(word);

        for (const char *p = text; (p = strstr(p, word)); p += n)
                if ((p == text || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

/* Whether the unified hierarchy gives the machine this controller: for
 * systemd, anywhere in the tree (it enables it down to the unit when a
 * property needs it); for us, in payload/ already. */
static bool unified_has(const LimitTarget *t, const char *controller) {
        _cleanup_free_ char *dir = NULL, *p = NULL, *text = NULL;

        if (!t->cgroup->unified_mount || !t->cgroup->path)
                return false;
        dir = t->cgroup->systemd_unit ? strdup(t->cgroup->unified_mount) : unified_dir(t);
        p = dir ? path_join(dir, "cgroup.controllers") : NULL;
        return p && read_full_file(p, &text, NULL) >= 0 && word_in(text, controller);
}

LimitRoute limit_route(const LimitTarget *t, ResourceKind k) {
        if (unified_has(t, resource_controller(k, false)))
                return t->cgroup->systemd_unit ? LIMIT_ROUTE_SYSTEMD : LIMIT_ROUTE_UNIFIED;
        if (v1_dir(t, resource_controller(k, true)))
                return LIMIT_ROUTE_V1;
        return LIMIT_ROUTE_NONE;
}

static int write_files(const LimitTarget *t, ResourceKind k, uint64_t v, bool v1) {
        _cleanup_free_ char *dir = v1 ? strdup(v1_dir(t, resource_controller(k, true))) : unified_dir(t);
        ResourceWrite w[2];
        int n, r;

        if (!dir)
                return -ENOMEM;
        n = resource_writes(k, v, v1, w);
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(dir, w[i].file);

                if (!p)
                        return -ENOMEM;
                r = write_string_file(p, w[i].value, WRITE_FILE_NO_NEWLINE);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int apply(const LimitTarget *t, const Resources *r, unsigned *ret_unsupported, ResourceKind *ret_failed,
                 char **ret_message) {
        const char *names[_RESOURCE_KIND_MAX];
        uint64_t values[_RESOURCE_KIND_MAX];
        unsigned unsupported = 0;
        size_t n = 0;
        int q;

        *ret_failed = _RESOURCE_KIND_INVALID;
        if (ret_message)
                *ret_message = NULL;

        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++) {
                if (!resources_has(r, k))
                        continue;
                switch (limit_route(t, k)) {
                case LIMIT_ROUTE_SYSTEMD:
                        names[n] = resource_dbus_property(k);
                        values[n++] = resource_dbus_value(k, r->value[k]);
                        continue;
                case LIMIT_ROUTE_UNIFIED:
                case LIMIT_ROUTE_V1:
                        q = write_files(t, k, r->value[k], limit_route(t, k) == LIMIT_ROUTE_V1);
                        if (q == -ENOENT) {
                                /* The controller without this knob (blkio
                                 * without a weight-aware I/O scheduler). */
                                unsupported |= 1U << k;
                                continue;
                        }
                        if (q < 0) {
                                *ret_failed = k;
                                return q;
                        }
                        continue;
                case LIMIT_ROUTE_NONE:
                default:
                        unsupported |= 1U << k;
                }
        }

        if (n > 0) {
                q = systemd_set_unit_properties(t->bus, t->cgroup->unit, names, values, n, ret_message);
                if (q < 0) {
                        *ret_failed = resource_kind_from_string(names[0]);
                        return q;
                }
        }
        *ret_unsupported = unsupported;
        return 0;
}

void limit_failure_done(LimitFailure *f) {
        free(f->message);
        *f = (LimitFailure) { .kind = _RESOURCE_KIND_INVALID };
}

int limits_apply(const LimitTarget *t, const Resources *r, unsigned *ret_unsupported, LimitFailure *ret_failure) {
        *ret_unsupported = 0;
        *ret_failure = (LimitFailure) { .kind = _RESOURCE_KIND_INVALID };
        return apply(t, r, ret_unsupported, &ret_failure->kind, &ret_failure->message);
}

char *limit_failure_explain(const LimitFailure *f, const Resources *r, const char *machine, int error) {
        _cleanup_free_ char *value = NULL;

        if (f->kind < 0)
                return strdup_printf("Failed to set limits on machine '%s': %s", machine, strerror(ERRNO_VALUE(error)));
        (void) resource_value_to_string(f->kind, r->value[f->kind], &value);
        return strdup_printf("Failed to set %s=%s on machine '%s': %s", resource_kind_to_string(f->kind), strna(value),
                             machine, f->message ?: strerror(ERRNO_VALUE(error)));
}

static int read_line(const char *dir, const char *file, char **ret) {
        _cleanup_free_ char *p = path_join(dir, file);

        return p ? read_one_line_file(p, ret) : -ENOMEM;
}

static int read_u64_file(const char *dir, const char *file, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_line(dir, file, &text);
        if (r < 0)
                return r;
        if (streq(text, "max") || streq(text, "-1")) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        r = safe_atou64(startswith(text, "default ") ?: text, 10, ret);
        if (r < 0)
                return r;
        /* v1's "no limit" is the largest page multiple of LONG_MAX. */
        if (*ret >= (UINT64_C(1) << 62))
                *ret = RESOURCE_INFINITY;
        return 0;
}

static int read_cpu_max(const char *dir, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        unsigned long long quota, period;
        int r;

        r = read_line(dir, "cpu.max", &text);
        if (r < 0)
                return r;
        if (startswith(text, "max")) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        if (sscanf(text, "%llu %llu", &quota, &period) != 2 || period == 0)
                return -EBADMSG;
        *ret = quota * USEC_PER_SEC / period;
        return 0;
}

static int read_v1_quota(const char *dir, uint64_t *ret) {
        uint64_t quota, period;
        int r;

        r = read_u64_file(dir, "cpu.cfs_quota_us", &quota);
        if (r >= 0 && quota != RESOURCE_INFINITY)
                r = read_u64_file(dir, "cpu.cfs_period_us", &period);
        if (r < 0)
                return r;
        *ret = quota == RESOURCE_INFINITY || period == 0 ? RESOURCE_INFINITY : quota * USEC_PER_SEC / period;
        return 0;
}

static int read_one(const char *dir, ResourceKind k, bool v1, uint64_t *ret) {
        uint64_t v;
        int r;

        switch (k) {
        case RESOURCE_MEMORY_MAX:
                return read_u64_file(dir, v1 ? "memory.limit_in_bytes" : "memory.max", ret);
        case RESOURCE_MEMORY_HIGH:
                return read_u64_file(dir, v1 ? "memory.soft_limit_in_bytes" : "memory.high", ret);
        case RESOURCE_CPU_WEIGHT:
                if (!v1)
                        return read_u64_file(dir, "cpu.weight", ret);
                r = read_u64_file(dir, "cpu.shares", &v);
                if (r >= 0)
                        *ret = MAX(v * 100 / 1024, UINT64_C(1));
                return r;
        case RESOURCE_CPU_QUOTA:
                return v1 ? read_v1_quota(dir, ret) : read_cpu_max(dir, ret);
        case RESOURCE_TASKS_MAX:
                return read_u64_file(dir, "pids.max", ret);
        case RESOURCE_IO_WEIGHT:
                r = read_u64_file(dir, v1 ? "blkio.weight" : "io.weight", &v);
                if (r >= 0)
                        *ret = v1 ? MAX(v * 100 / 500, UINT64_C(1)) : v;
                return r;
        default:
                return -EINVAL;
        }
}

int limits_read(const LimitTarget *t, Resources *ret) {
        Resources r = {};

        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++) {
                LimitRoute route = limit_route(t, k);
                _cleanup_free_ char *dir = NULL;

                if (route == LIMIT_ROUTE_NONE)
                        continue;
                dir = route == LIMIT_ROUTE_V1 ? strdup(v1_dir(t, resource_controller(k, true))) : unified_dir(t);
                if (!dir)
                        return -ENOMEM;
                if (read_one(dir, k, route == LIMIT_ROUTE_V1, &r.value[k]) >= 0)
                        r.set |= 1U << k;
        }
        *ret = r;
        return 0;
}

static uint64_t usage_of(const LimitTarget *t, const char *controller, const char *v1_file, const char *file) {
        const char *v1 = v1_dir(t, controller);
        _cleanup_free_ char *dir = v1                                            ? strdup(v1)
                                   : t->cgroup->unified_mount && t->cgroup->path ? unified_dir(t)
                                                                                 : NULL;
        uint64_t v;

        if (!dir || read_u64_file(dir, v1 ? v1_file : file, &v) < 0)
                return UINT64_MAX;
        return v;
}

void limits_read_usage(const LimitTarget *t, LimitUsage *ret) {
        *ret = (LimitUsage) {
                .memory = usage_of(t, "memory", "memory.usage_in_bytes", "memory.current"),
                .tasks = usage_of(t, "pids", "pids.current", "pids.current"),
        };
}
