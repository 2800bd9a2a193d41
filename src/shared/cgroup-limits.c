/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fileio.h"
#include "cgroup-limits.h"
#include "systemd-manager.h"
#include "parse-util.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

const char *const limits_v1_controllers[] = { "memory", "cpu", "pids", "blkio", "cpuset", NULL };

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

static int write_one(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *p = path_join(dir, file);

        return p ? write_string_file(p, value, WRITE_FILE_NO_NEWLINE) : -ENOMEM;
}

static int write_all(const char *dir, const ResourceWrite *w, int n) {
        for (int i = 0; i < n; i++) {
                int r = write_one(dir, w[i].file, w[i].value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_one(const char *dir, ResourceKind k, bool v1, uint64_t *ret);
static int read_line(const char *dir, const char *file, char **ret);
static int read_u64_file(const char *dir, const char *file, uint64_t *ret);
static int read_cpu_period(const char *dir, bool v1, uint64_t *ret);

/* CPUQuota= and CPUQuotaPeriodSec= are one write: each keeps the other's
 * value in force. */
static int write_cpu(const char *dir, const Resources *r, bool v1) {
        uint64_t quota = r->value[RESOURCE_CPU_QUOTA], period = r->value[RESOURCE_CPU_QUOTA_PERIOD];
        ResourceWrite w[2];
        int q;

        if (!resources_has(r, RESOURCE_CPU_QUOTA) && read_one(dir, RESOURCE_CPU_QUOTA, v1, &quota) < 0)
                quota = RESOURCE_INFINITY;
        if (!resources_has(r, RESOURCE_CPU_QUOTA_PERIOD) && read_cpu_period(dir, v1, &period) < 0)
                period = RESOURCE_CPU_PERIOD_USEC;
        q = resource_cpu_writes(quota, period, v1, w);
        return q < 0 ? q : write_all(dir, w, q);
}

/* v1's memsw limit is of memory and swap together: the memory limit in
 * force plus the swap allowed. */
static int write_memsw(const char *dir, uint64_t swap) {
        uint64_t mem;
        char buf[DECIMAL_STR_MAX(uint64_t)];
        int r;

        r = read_u64_file(dir, "memory.limit_in_bytes", &mem);
        if (r < 0)
                return r;
        if (swap == RESOURCE_INFINITY)
                return write_one(dir, "memory.memsw.limit_in_bytes", "-1");
        /* Without a memory limit, v1 can't limit swap alone. */
        if (mem == RESOURCE_INFINITY)
                return -ENOENT;
        snprintf(buf, sizeof buf, "%" PRIu64, mem + swap);
        return write_one(dir, "memory.memsw.limit_in_bytes", buf);
}

/* An empty set is no restriction: on v1 the parent's CPUs (or nodes), on
 * cgroup2 an empty file (inherit). */
static int write_set(const char *dir, const ResourceSet *set, const char *file, bool v1) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = resource_set_to_string(set, &text);
        if (r < 0)
                return r;
        if (v1 && isempty(text)) {
                _cleanup_free_ char *parent = NULL, *last = NULL;

                free(text);
                text = NULL;
                r = path_split_last(dir, &parent, &last);
                if (r >= 0)
                        r = read_line(parent, file, &text);
                if (r < 0)
                        return r;
        }
        return write_one(dir, file, text);
}

static int write_files(const LimitTarget *t, const Resources *res, ResourceKind k, bool v1) {
        _cleanup_free_ char *dir = v1 ? strdup(v1_dir(t, resource_controller(k, true))) : unified_dir(t);
        ResourceWrite w[2];
        int n;

        if (!dir)
                return -ENOMEM;
        switch (k) {
        case RESOURCE_CPU_QUOTA:
                return write_cpu(dir, res, v1);
        case RESOURCE_CPU_QUOTA_PERIOD:
                /* Written with the quota, if that is set too. */
                return resources_has(res, RESOURCE_CPU_QUOTA) ? 0 : write_cpu(dir, res, v1);
        case RESOURCE_MEMORY_SWAP_MAX:
                if (v1)
                        return write_memsw(dir, res->value[k]);
                break;
        case RESOURCE_ALLOWED_CPUS:
                return write_set(dir, &res->cpus, "cpuset.cpus", v1);
        case RESOURCE_ALLOWED_MEMORY_NODES:
                return write_set(dir, &res->mems, "cpuset.mems", v1);
        default:
                if (resource_kind_is_device(k)) {
                        for (size_t i = 0; i < res->n_io; i++)
                                if (res->io[i].kind == k) {
                                        resource_device_write(&res->io[i], v1, &w[0]);
                                        int r = write_all(dir, w, 1);
                                        if (r < 0)
                                                return r;
                                }
                        return 0;
                }
        }
        n = resource_writes(k, res->value[k], v1, w);
        return n < 0 ? n : write_all(dir, w, n);
}

/* Unit properties in the making, and what they point to. */
typedef struct UnitProperties {
        UnitProperty p[_RESOURCE_KIND_MAX];
        ResourceKind kinds[_RESOURCE_KIND_MAX];
        size_t n;
        uint8_t masks[2][RESOURCE_SET_MAX / 8]; /* AllowedCPUs, AllowedMemoryNodes */
        char **paths[4];                        /* the IO…Max kinds */
        uint64_t values[4][RESOURCE_DEVICE_LIMITS_MAX];
} UnitProperties;

static void unit_properties_done(UnitProperties *u) {
        for (size_t i = 0; i < ELEMENTSOF(u->paths); i++)
                strv_free(u->paths[i]);
}

/* systemd's AllowedCPUs=: a bit mask, byte 0 for CPUs 0…7. */
static void add_mask(UnitProperty *p, uint8_t *mask, const ResourceSet *set) {
        size_t n = 0;

        for (size_t i = 0; i < RESOURCE_SET_MAX / 8; i++) {
                mask[i] = (uint8_t) (set->bits[i / 8] >> (8 * (i % 8)));
                if (mask[i])
                        n = i + 1;
        }
        p->is_bytes = true;
        p->bytes = mask;
        p->n_bytes = n;
}

static int add_property(UnitProperties *u, const Resources *r, ResourceKind k) {
        UnitProperty *p = &u->p[u->n];

        *p = (UnitProperty) { .name = resource_dbus_property(k), .value = resource_dbus_value(k, r->value[k]) };
        if (resource_kind_is_set(k))
                add_mask(p, u->masks[k == RESOURCE_ALLOWED_MEMORY_NODES],
                         k == RESOURCE_ALLOWED_CPUS ? &r->cpus : &r->mems);
        else if (resource_kind_is_device(k)) {
                size_t d = (size_t) (k - RESOURCE_IO_READ_BANDWIDTH_MAX), n = 0;

                for (size_t i = 0; i < r->n_io; i++) {
                        char *path;

                        if (r->io[i].kind != k)
                                continue;
                        path = strdup_printf("/dev/block/%u:%u", major(r->io[i].device), minor(r->io[i].device));
                        if (!path || strv_consume(&u->paths[d], path) < 0)
                                return -ENOMEM;
                        u->values[d][n++] = r->io[i].value;
                }
                p->paths = u->paths[d];
                p->values = u->values[d];
        }
        u->kinds[u->n++] = k;
        return 0;
}

static int apply(const LimitTarget *t, const Resources *r, unsigned *ret_unsupported, ResourceKind *ret_failed,
                 char **ret_message) {
        _cleanup_(unit_properties_done) UnitProperties u = {};
        unsigned unsupported = 0;
        int q;

        *ret_failed = _RESOURCE_KIND_INVALID;
        if (ret_message)
                *ret_message = NULL;

        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++) {
                if (!resources_has(r, k))
                        continue;
                switch (limit_route(t, k)) {
                case LIMIT_ROUTE_SYSTEMD:
                        if (add_property(&u, r, k) < 0)
                                return -ENOMEM;
                        continue;
                case LIMIT_ROUTE_UNIFIED:
                case LIMIT_ROUTE_V1:
                        q = write_files(t, r, k, limit_route(t, k) == LIMIT_ROUTE_V1);
                        if (q == -ENOENT) {
                                /* The controller without this knob (blkio
                                 * without a weight-aware I/O scheduler, memory
                                 * without swap accounting or, on v1, a swap
                                 * limit without a memory limit). */
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

        if (u.n > 0) {
                q = systemd_set_unit_properties(t->bus, t->cgroup->unit, u.p, u.n, ret_message);
                if (q < 0) {
                        *ret_failed = u.kinds[0];
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
        if (resource_kind_is_set(f->kind))
                (void) resource_set_to_string(f->kind == RESOURCE_ALLOWED_CPUS ? &r->cpus : &r->mems, &value);
        else if (resource_kind_is_device(f->kind)) {
                for (size_t i = 0; i < r->n_io && !value; i++)
                        if (r->io[i].kind == f->kind)
                                (void) resource_device_limit_to_string(&r->io[i], &value);
        } else
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

static int read_cpu_period(const char *dir, bool v1, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        unsigned long long period;
        int r;

        if (v1)
                return read_u64_file(dir, "cpu.cfs_period_us", ret);
        r = read_line(dir, "cpu.max", &text);
        if (r < 0)
                return r;
        if (sscanf(text, "%*s %llu", &period) != 1)
                return -EBADMSG;
        *ret = period;
        return 0;
}

static int read_v1_swap(const char *dir, uint64_t *ret) {
        uint64_t mem, memsw;
        int r;

        r = read_u64_file(dir, "memory.memsw.limit_in_bytes", &memsw);
        if (r >= 0)
                r = read_u64_file(dir, "memory.limit_in_bytes", &mem);
        if (r < 0)
                return r;
        *ret = memsw == RESOURCE_INFINITY || mem == RESOURCE_INFINITY ? RESOURCE_INFINITY
               : memsw > mem                                          ? memsw - mem
                                                                      : 0;
        return 0;
}

static int read_set(const char *dir, const char *file, ResourceSet *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_line(dir, file, &text);
        return r < 0 ? r : resource_set_parse(text, ret);
}

/* Adds one limit to r->io, unless it is full. */
static void add_io(Resources *r, ResourceKind k, unsigned maj, unsigned min, uint64_t v) {
        if (r->n_io >= RESOURCE_DEVICE_LIMITS_MAX)
                return;
        r->io[r->n_io++] = (ResourceDeviceLimit) { .kind = k, .device = makedev(maj, min), .value = v };
        r->set |= 1U << k;
}

/* io.max: "254:0 rbps=max wbps=1048576 riops=max wiops=max", a line a device. */
static int read_io_max(const char *dir, Resources *r) {
        static const char *const keys[] = { "rbps", "wbps", "riops", "wiops" };
        _cleanup_free_ char *p = path_join(dir, "io.max"), *text = NULL;
        int q;

        if (!p)
                return -ENOMEM;
        q = read_full_file(p, &text, NULL);
        if (q < 0)
                return q;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                unsigned maj, min;

                if (sscanf(line, "%u:%u", &maj, &min) != 2)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        _cleanup_free_ char *key = strjoin(" ", keys[i], "=");
                        const char *v = key ? strstr(line, key) : NULL;
                        unsigned long long n;

                        if (!v || startswith(v + strlen(key), "max"))
                                continue;
                        if (sscanf(v + strlen(key), "%llu", &n) == 1)
                                add_io(r, RESOURCE_IO_READ_BANDWIDTH_MAX + (ResourceKind) i, maj, min, n);
                }
        }
        return 0;
}

/* blkio.throttle.*_device: "254:0 1048576" lines. */
static int read_blkio_throttle(const char *dir, Resources *r) {
        static const char *const files[] = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                                             "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = path_join(dir, files[i]), *text = NULL;

                if (!p)
                        return -ENOMEM;
                if (read_full_file(p, &text, NULL) < 0)
                        continue;
                for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                        unsigned maj, min;
                        unsigned long long n;

                        if (sscanf(line, "%u:%u %llu", &maj, &min, &n) == 3)
                                add_io(r, RESOURCE_IO_READ_BANDWIDTH_MAX + (ResourceKind) i, maj, min, n);
                }
        }
        return 0;
}

/* The kinds that are not one number, into r. */
static int read_other(const char *dir, ResourceKind k, bool v1, Resources *r) {
        int q;

        if (k == RESOURCE_ALLOWED_CPUS || k == RESOURCE_ALLOWED_MEMORY_NODES) {
                q = read_set(dir, k == RESOURCE_ALLOWED_CPUS ? "cpuset.cpus" : "cpuset.mems",
                             k == RESOURCE_ALLOWED_CPUS ? &r->cpus : &r->mems);
                if (q >= 0)
                        r->set |= 1U << k;
                return q;
        }
        /* All four kinds at once, with the first. */
        if (k != RESOURCE_IO_READ_BANDWIDTH_MAX)
                return 0;
        return v1 ? read_blkio_throttle(dir, r) : read_io_max(dir, r);
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
        case RESOURCE_MEMORY_SWAP_MAX:
                return v1 ? read_v1_swap(dir, ret) : read_u64_file(dir, "memory.swap.max", ret);
        case RESOURCE_CPU_QUOTA_PERIOD:
                return read_cpu_period(dir, v1, ret);
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
                if (resource_kind_is_set(k) || resource_kind_is_device(k)) {
                        int q = read_other(dir, k, route == LIMIT_ROUTE_V1, &r);
                        if (q == -ENOMEM)
                                return q;
                } else if (read_one(dir, k, route == LIMIT_ROUTE_V1, &r.value[k]) >= 0)
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
