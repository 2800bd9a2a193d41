/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"

#include "parse-util.h"
#include "path-util.h"
#include "resources.h"
#include "string-util.h"

static const char *const resource_kind_table[_RESOURCE_KIND_MAX] = {
        [RESOURCE_MEMORY_MAX] = "MemoryMax",
        [RESOURCE_MEMORY_HIGH] = "MemoryHigh",
        [RESOURCE_CPU_WEIGHT] = "CPUWeight",
        [RESOURCE_CPU_QUOTA] = "CPUQuota",
        [RESOURCE_TASKS_MAX] = "TasksMax",
        [RESOURCE_IO_WEIGHT] = "IOWeight",
        [RESOURCE_MEMORY_SWAP_MAX] = "MemorySwapMax",
        [RESOURCE_CPU_QUOTA_PERIOD] = "CPUQuotaPeriodSec",
        [RESOURCE_ALLOWED_CPUS] = "AllowedCPUs",
        [RESOURCE_ALLOWED_MEMORY_NODES] = "AllowedMemoryNodes",
        [RESOURCE_IO_READ_BANDWIDTH_MAX] = "IOReadBandwidthMax",
        [RESOURCE_IO_WRITE_BANDWIDTH_MAX] = "IOWriteBandwidthMax",
        [RESOURCE_IO_READ_IOPS_MAX] = "IOReadIOPSMax",
        [RESOURCE_IO_WRITE_IOPS_MAX] = "IOWriteIOPSMax",
};

DEFINE_STRING_TABLE_LOOKUP(resource_kind, ResourceKind);

#define WEIGHT_MIN UINT64_C(1)
#define WEIGHT_MAX UINT64_C(10000)
#define WEIGHT_DEFAULT UINT64_C(100)

/* "N%" with N a whole number ≤ max, into N. */
static int parse_percent(const char *s, uint64_t max, uint64_t *ret) {
        size_t n = strlen(s);
        char digits[24];
        uint64_t v;
        int r;

        if (n < 2 || s[n - 1] != '%' || n - 1 >= sizeof(digits))
                return -EINVAL;
        memcpy(digits, s, n - 1);
        digits[n - 1] = 0;
        r = safe_atou64(digits, 10, &v);
        if (r < 0)
                return r;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_memory(const char *s, uint64_t *ret) {
        uint64_t v;
        int r;

        if (streq(s, "infinity")) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        if (endswith(s, "%")) {
                long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);

                r = parse_percent(s, 100, &v);
                if (r < 0)
                        return r;
                if (pages <= 0 || page_size <= 0)
                        return -EOPNOTSUPP;
                v = (uint64_t) pages * (uint64_t) page_size / 100 * v;
        } else {
                r = parse_size(s, &v);
                if (r < 0)
                        return r;
        }
        /* 0 would make any allocation fail; the kernel also wants a page. */
        if (v < 4096)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* MemorySwapMax=: 0 is fine (no swap). */
static int parse_swap(const char *s, uint64_t *ret) {
        if (streq(s, "infinity")) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        return parse_size(s, ret);
}

/* CPUQuotaPeriodSec=: the kernel takes 1 ms…1 s. */
static int parse_period(const char *s, uint64_t *ret) {
        usec_t v;
        int r;

        if (isempty(s)) {
                *ret = RESOURCE_CPU_PERIOD_USEC;
                return 0;
        }
        r = parse_sec(s, &v);
        if (r < 0)
                return r;
        if (v < USEC_PER_MSEC || v > USEC_PER_SEC)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_weight(const char *s, uint64_t *ret) {
        uint64_t v;
        int r;

        r = safe_atou64(s, 10, &v);
        if (r < 0)
                return r;
        if (v < WEIGHT_MIN || v > WEIGHT_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int parse_cpu_quota(const char *s, uint64_t *ret) {
        uint64_t percent;
        int r;

        if (isempty(s)) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        /* Up to 1000 CPUs' worth; beyond that it is surely a typo. */
        r = parse_percent(s, 100000, &percent);
        if (r < 0)
                return r;
        if (percent == 0)
                return -ERANGE;
        *ret = percent * (USEC_PER_SEC / 100);
        return 0;
}

static int parse_tasks(const char *s, uint64_t *ret) {
        uint64_t v;
        int r;

        if (streq(s, "infinity")) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        r = safe_atou64(s, 10, &v);
        if (r < 0)
                return r;
        if (v == 0 || v == UINT64_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}

int resource_parse(const char *assignment, ResourceKind *ret_kind, uint64_t *ret_value) {
        char name[32];
        const char *eq, *value;
        ResourceKind k;
        uint64_t v = 0;
        int r;

        eq = strchr(assignment, '=');
        if (!eq)
                return -EINVAL;
        if ((size_t) (eq - assignment) >= sizeof(name))
                return -EOPNOTSUPP;
        memcpy(name, assignment, eq - assignment);
        name[eq - assignment] = 0;
        value = eq + 1;

        k = resource_kind_from_string(name);
        if (k < 0)
                return -EOPNOTSUPP;

        switch (k) {
        case RESOURCE_MEMORY_MAX:
        case RESOURCE_MEMORY_HIGH:
                r = parse_memory(value, &v);
                break;
        case RESOURCE_CPU_WEIGHT:
        case RESOURCE_IO_WEIGHT:
                r = parse_weight(value, &v);
                break;
        case RESOURCE_CPU_QUOTA:
                r = parse_cpu_quota(value, &v);
                break;
        case RESOURCE_TASKS_MAX:
                r = parse_tasks(value, &v);
                break;
        case RESOURCE_MEMORY_SWAP_MAX:
                r = parse_swap(value, &v);
                break;
        case RESOURCE_CPU_QUOTA_PERIOD:
                r = parse_period(value, &v);
                break;
        default:
                return -EOPNOTSUPP;
        }
        if (r < 0)
                return r;

        *ret_kind = k;
        *ret_value = v;
        return 0;
}

const char *resource_explain_error(const char *assignment, int error) {
        static const char *const syntax[_RESOURCE_KIND_MAX] = {
                [RESOURCE_MEMORY_MAX] = "MemoryMax= takes a size of at least 4K (bytes, or with K, M, G or T), "
                                        "a percentage of memory, or infinity",
                [RESOURCE_MEMORY_HIGH] = "MemoryHigh= takes a size of at least 4K (bytes, or with K, M, G or T), "
                                         "a percentage of memory, or infinity",
                [RESOURCE_CPU_WEIGHT] = "CPUWeight= takes a weight of 1…10000",
                [RESOURCE_CPU_QUOTA] = "CPUQuota= takes a percentage of one CPU above 0% (150% is 1.5 CPUs)",
                [RESOURCE_TASKS_MAX] = "TasksMax= takes a number of tasks above 0, or infinity",
                [RESOURCE_IO_WEIGHT] = "IOWeight= takes a weight of 1…10000",
                [RESOURCE_MEMORY_SWAP_MAX] = "MemorySwapMax= takes a size (bytes, or with K, M, G or T), or infinity",
                [RESOURCE_CPU_QUOTA_PERIOD] = "CPUQuotaPeriodSec= takes a time span of 1ms…1s, such as 10ms",
                [RESOURCE_ALLOWED_CPUS] = "AllowedCPUs= takes CPU numbers and ranges of this host's CPUs "
                                          "(/sys/devices/system/cpu/possible), such as 0-3,6",
                [RESOURCE_ALLOWED_MEMORY_NODES] = "AllowedMemoryNodes= takes NUMA node numbers and ranges of this "
                                                  "host's nodes (/sys/devices/system/node/possible), such as 0",
                [RESOURCE_IO_READ_BANDWIDTH_MAX] = "IOReadBandwidthMax= takes a block device or a path on one's "
                                                   "file system, and bytes per second (K, M, G, T: powers of 1000) "
                                                   "or infinity",
                [RESOURCE_IO_WRITE_BANDWIDTH_MAX] = "IOWriteBandwidthMax= takes a block device or a path on one's "
                                                    "file system, and bytes per second (K, M, G, T: powers of 1000) "
                                                    "or infinity",
                [RESOURCE_IO_READ_IOPS_MAX] = "IOReadIOPSMax= takes a block device or a path on one's file system, "
                                              "and operations per second above 0, or infinity",
                [RESOURCE_IO_WRITE_IOPS_MAX] = "IOWriteIOPSMax= takes a block device or a path on one's file "
                                               "system, and operations per second above 0, or infinity",
        };
        const char *eq = strchr(assignment, '=');
        char name[32];

        if (!eq)
                return "expected NAME=VALUE, such as MemoryMax=512M";
        if (error != -EOPNOTSUPP && (size_t) (eq - assignment) < sizeof(name)) {
                memcpy(name, assignment, (size_t) (eq - assignment));
                name[eq - assignment] = 0;
                ResourceKind k = resource_kind_from_string(name);
                if (k >= 0)
                        return syntax[k];
        }
        return "expected MemoryMax=, MemoryHigh=, MemorySwapMax=, CPUWeight=, CPUQuota=, CPUQuotaPeriodSec=, "
               "AllowedCPUs=, AllowedMemoryNodes=, TasksMax=, IOWeight=, IOReadBandwidthMax=, "
               "IOWriteBandwidthMax=, IOReadIOPSMax= or IOWriteIOPSMax=";
}

/* The number of CPUs or nodes the host may ever have ("0-1" in the
 * possible file: 2). */
static int possible_count(ResourceKind k, size_t *ret) {
        _cleanup_free_ char *text = NULL;
        ResourceSet set;
        int r;

        r = read_one_line_file(k == RESOURCE_ALLOWED_CPUS ? "/sys/devices/system/cpu/possible"
                                                          : "/sys/devices/system/node/possible",
                               &text);
        if (r == -ENOENT && k == RESOURCE_ALLOWED_MEMORY_NODES) {
                *ret = 1; /* a kernel without NUMA: node 0 */
                return 0;
        }
        if (r >= 0)
                r = resource_set_parse(text, &set);
        if (r < 0)
                return r;
        *ret = 0;
        for (size_t i = 0; i < RESOURCE_SET_MAX; i++)
                if (set.bits[i / 64] & (UINT64_C(1) << (i % 64)))
                        *ret = i + 1;
        return 0;
}

static int add_set(Resources *r, ResourceKind k, const char *value) {
        ResourceSet set;
        size_t n;
        int q;

        q = resource_set_parse(value, &set);
        if (q < 0)
                return q;
        q = possible_count(k, &n);
        if (q < 0)
                return q;
        for (size_t i = n; i < RESOURCE_SET_MAX; i++)
                if (set.bits[i / 64] & (UINT64_C(1) << (i % 64)))
                        return -ERANGE;
        if (k == RESOURCE_ALLOWED_CPUS)
                r->cpus = set;
        else
                r->mems = set;
        r->set |= 1U << k;
        return 0;
}

/* "254:0" of dev_t d, in /sys/dev/block: a partition's disk instead. */
static int whole_disk(dev_t d, dev_t *ret) {
        _cleanup_free_ char *text = NULL;
        char path[96];
        unsigned maj, min;

        snprintf(path, sizeof path, "/sys/dev/block/%u:%u/partition", major(d), minor(d));
        if (access(path, F_OK) < 0) {
                *ret = d;
                return 0;
        }
        snprintf(path, sizeof path, "/sys/dev/block/%u:%u/../dev", major(d), minor(d));
        if (read_one_line_file(path, &text) < 0 || sscanf(text, "%u:%u", &maj, &min) != 2)
                return -ENODEV;
        *ret = makedev(maj, min);
        return 0;
}

/* A block device node, or a path on a block device's file system. */
static int resolve_device(const char *path, dev_t *ret) {
        struct stat st;

        if (!path_is_absolute(path))
                return -EINVAL;
        if (stat(path, &st) < 0)
                return -errno == -ENOENT ? -ENODEV : -errno;
        if (S_ISBLK(st.st_mode))
                return whole_disk(st.st_rdev, ret);
        /* Major 0: tmpfs, overlayfs, btrfs… no one block device. */
        if (major(st.st_dev) == 0)
                return -ENODEV;
        return whole_disk(st.st_dev, ret);
}

/* "10M" with powers of 1000 (systemd's bandwidth), or a count. */
static int parse_rate(const char *s, bool bandwidth, uint64_t *ret) {
        static const char suffixes[] = "KMGT";
        const char *suffix;
        char digits[24];
        size_t n = strlen(s);
        uint64_t v, m = 1;
        int r;

        if (streq(s, "infinity")) {
                *ret = RESOURCE_INFINITY;
                return 0;
        }
        if (bandwidth && n > 0 && (suffix = strchr(suffixes, s[n - 1])) && s[n - 1]) {
                for (const char *c = suffixes; c <= suffix; c++)
                        m *= 1000;
                n--;
        }
        if (n == 0 || n >= sizeof digits)
                return -EINVAL;
        memcpy(digits, s, n);
        digits[n] = 0;
        r = safe_atou64(digits, 10, &v);
        if (r < 0)
                return r;
        if (v == 0 || v > UINT64_MAX / 2 / m)
                return -ERANGE;
        *ret = v * m;
        return 0;
}

static int add_device_limit(Resources *r, ResourceKind k, const char *value) {
        const char *space = strrchr(value, ' ');
        _cleanup_free_ char *path = NULL;
        ResourceDeviceLimit l = { .kind = k };
        size_t i;
        int q;

        if (!space)
                return -EINVAL;
        path = strndup(value, (size_t) (space - value));
        if (!path)
                return -ENOMEM;
        q = parse_rate(space + 1, k == RESOURCE_IO_READ_BANDWIDTH_MAX || k == RESOURCE_IO_WRITE_BANDWIDTH_MAX,
                       &l.value);
        if (q >= 0)
                q = resolve_device(path, &l.device);
        if (q < 0)
                return q;

        /* A later one for the same device replaces it. */
        for (i = 0; i < r->n_io; i++)
                if (r->io[i].kind == k && r->io[i].device == l.device)
                        break;
        if (i == r->n_io && r->n_io >= RESOURCE_DEVICE_LIMITS_MAX)
                return -ENOBUFS;
        r->io[i] = l;
        if (i == r->n_io)
                r->n_io++;
        r->set |= 1U << k;
        return 0;
}

int resources_add(Resources *r, const char *assignment) {
        const char *eq = strchr(assignment, '=');
        ResourceKind k;
        uint64_t v;
        int q;

        if (eq && (size_t) (eq - assignment) < 32) {
                char name[32];

                memcpy(name, assignment, (size_t) (eq - assignment));
                name[eq - assignment] = 0;
                k = resource_kind_from_string(name);
                if (k >= 0 && resource_kind_is_set(k))
                        return add_set(r, k, eq + 1);
                if (k >= 0 && resource_kind_is_device(k))
                        return add_device_limit(r, k, eq + 1);
        }

        q = resource_parse(assignment, &k, &v);
        if (q < 0)
                return q;
        r->set |= 1U << k;
        r->value[k] = v;
        return 0;
}

int resource_value_to_string(ResourceKind k, uint64_t v, char **ret) {
        static const char suffixes[] = "KMGT";
        char buf[48];

        if (v == RESOURCE_INFINITY)
                snprintf(buf, sizeof(buf), "%s", k == RESOURCE_CPU_QUOTA ? "" : "infinity");
        else if (k == RESOURCE_CPU_QUOTA)
                snprintf(buf, sizeof(buf), "%" PRIu64 "%%", v / (USEC_PER_SEC / 100));
        else if (k == RESOURCE_CPU_QUOTA_PERIOD)
                snprintf(buf, sizeof(buf), "%" PRIu64 "%s", v % USEC_PER_MSEC ? v : v / USEC_PER_MSEC,
                         v % USEC_PER_MSEC ? "us" : "ms");
        else if (k == RESOURCE_MEMORY_MAX || k == RESOURCE_MEMORY_HIGH || k == RESOURCE_MEMORY_SWAP_MAX) {
                /* The largest suffix that divides it exactly, so that the
                 * string parses back to the same number. */
                int i = -1;

                while (v > 0 && i + 1 < (int) strlen(suffixes) && v % (UINT64_C(1024) << (10 * (i + 1))) == 0)
                        i++;
                if (i < 0)
                        snprintf(buf, sizeof(buf), "%" PRIu64, v);
                else
                        snprintf(buf, sizeof(buf), "%" PRIu64 "%c", v >> (10 * (i + 1)), suffixes[i]);
        } else
                snprintf(buf, sizeof(buf), "%" PRIu64, v);

        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

const char *resource_dbus_property(ResourceKind k) {
        /* systemd's CPUQuota= is the property CPUQuotaPerSecUSec on the bus. */
        if (k == RESOURCE_CPU_QUOTA)
                return "CPUQuotaPerSecUSec";
        if (k == RESOURCE_CPU_QUOTA_PERIOD)
                return "CPUQuotaPeriodUSec";
        return resource_kind_to_string(k);
}

uint64_t resource_dbus_value(ResourceKind k, uint64_t v) {
        (void) k;
        return v; /* the same units and the same infinity everywhere */
}

const char *resource_controller(ResourceKind k, bool v1) {
        switch (k) {
        case RESOURCE_MEMORY_MAX:
        case RESOURCE_MEMORY_HIGH:
        case RESOURCE_MEMORY_SWAP_MAX:
                return "memory";
        case RESOURCE_CPU_WEIGHT:
        case RESOURCE_CPU_QUOTA:
                return "cpu";
        case RESOURCE_TASKS_MAX:
                return "pids";
        case RESOURCE_IO_WEIGHT:
        case RESOURCE_IO_READ_BANDWIDTH_MAX:
        case RESOURCE_IO_WRITE_BANDWIDTH_MAX:
        case RESOURCE_IO_READ_IOPS_MAX:
        case RESOURCE_IO_WRITE_IOPS_MAX:
                return v1 ? "blkio" : "io";
        case RESOURCE_CPU_QUOTA_PERIOD:
                return "cpu";
        case RESOURCE_ALLOWED_CPUS:
        case RESOURCE_ALLOWED_MEMORY_NODES:
                return "cpuset";
        default:
                return NULL;
        }
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
        return v < lo ? lo : v > hi ? hi : v;
}

/* prefix: what io.weight wants before the number. */
static void write_set(ResourceWrite *w, const char *controller, const char *file, const char *prefix, uint64_t v) {
        w->controller = controller;
        w->file = file;
        snprintf(w->value, sizeof(w->value), "%s%" PRIu64, prefix, v);
}

static void write_max(ResourceWrite *w, const char *controller, const char *file, uint64_t v, const char *infinity) {
        if (v == RESOURCE_INFINITY) {
                w->controller = controller;
                w->file = file;
                snprintf(w->value, sizeof(w->value), "%s", infinity);
        } else
                write_set(w, controller, file, "", v);
}

int resource_writes(ResourceKind k, uint64_t v, bool v1, ResourceWrite ret[static 2]) {
        const char *c = v1 ? resource_controller(k, true) : NULL;

        switch (k) {
        case RESOURCE_MEMORY_MAX:
                write_max(&ret[0], c, v1 ? "memory.limit_in_bytes" : "memory.max", v, v1 ? "-1" : "max");
                return 1;
        case RESOURCE_MEMORY_HIGH:
                /* v1 has no throttling limit; the soft limit is what it has
                 * closest to it (reclaim pressure above it). */
                write_max(&ret[0], c, v1 ? "memory.soft_limit_in_bytes" : "memory.high", v, v1 ? "-1" : "max");
                return 1;
        case RESOURCE_CPU_WEIGHT:
                if (v1)
                        /* systemd's mapping: weight 100 is 1024 shares. */
                        write_set(&ret[0], c, "cpu.shares", "", clamp_u64(v * 1024 / WEIGHT_DEFAULT, 2, 262144));
                else
                        write_set(&ret[0], c, "cpu.weight", "", v);
                return 1;
        case RESOURCE_CPU_QUOTA:
                /* The quota per period, never below the kernel's 1 ms. */
                return resource_cpu_writes(v, RESOURCE_CPU_PERIOD_USEC, v1, ret);
        case RESOURCE_TASKS_MAX:
                write_max(&ret[0], c, "pids.max", v, "max");
                return 1;
        case RESOURCE_IO_WEIGHT:
                if (v1)
                        /* systemd's mapping: weight 100 is blkio 500, in 10…1000. */
                        write_set(&ret[0], c, "blkio.weight", "", clamp_u64(v * 500 / WEIGHT_DEFAULT, 10, 1000));
                else
                        write_set(&ret[0], c, "io.weight", "default ", v);
                return 1;
        case RESOURCE_MEMORY_SWAP_MAX:
                if (v1)
                        return -EINVAL; /* memsw: with the memory limit in force (cgroup-limits.c) */
                write_max(&ret[0], c, "memory.swap.max", v, "max");
                return 1;
        default:
                return -EINVAL;
        }
}

void resources_copy_kind(Resources *dst, const Resources *src, ResourceKind k) {
        if (k == RESOURCE_ALLOWED_CPUS)
                dst->cpus = src->cpus;
        else if (k == RESOURCE_ALLOWED_MEMORY_NODES)
                dst->mems = src->mems;
        else if (resource_kind_is_device(k)) {
                /* The source's limits of this kind replace the destination's. */
                size_t n = 0;

                for (size_t i = 0; i < dst->n_io; i++)
                        if (dst->io[i].kind != k)
                                dst->io[n++] = dst->io[i];
                for (size_t i = 0; i < src->n_io && n < RESOURCE_DEVICE_LIMITS_MAX; i++)
                        if (src->io[i].kind == k)
                                dst->io[n++] = src->io[i];
                dst->n_io = n;
        }
        dst->value[k] = src->value[k];
        dst->set |= 1U << k;
}

int resource_set_parse(const char *text, ResourceSet *ret) {
        ResourceSet s = {};
        const char *p = text;

        for (;;) {
                unsigned long a, b;
                char *end;

                p += strspn(p, " ,\n");
                if (!*p)
                        break;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                a = b = strtoul(p, &end, 10);
                if (*end == '-') {
                        if (end[1] < '0' || end[1] > '9')
                                return -EINVAL;
                        b = strtoul(end + 1, &end, 10);
                }
                if (*end && !strchr(" ,\n", *end))
                        return -EINVAL;
                if (a > b)
                        return -EINVAL;
                if (b >= RESOURCE_SET_MAX)
                        return -ERANGE;
                for (unsigned long i = a; i <= b; i++)
                        s.bits[i / 64] |= UINT64_C(1) << (i % 64);
                p = end;
        }
        *ret = s;
        return 0;
}

static bool set_has(const ResourceSet *s, size_t i) {
        return i < RESOURCE_SET_MAX && (s->bits[i / 64] & (UINT64_C(1) << (i % 64)));
}

int resource_set_to_string(const ResourceSet *s, char **ret) {
        char buf[RESOURCE_SET_MAX * 5] = "";
        size_t n = 0;

        for (size_t i = 0; i < RESOURCE_SET_MAX; i++) {
                size_t j = i;

                if (!set_has(s, i))
                        continue;
                while (set_has(s, j + 1))
                        j++;
                if (j == i)
                        n += (size_t) snprintf(buf + n, sizeof buf - n, "%s%zu", n ? "," : "", i);
                else
                        n += (size_t) snprintf(buf + n, sizeof buf - n, "%s%zu-%zu", n ? "," : "", i, j);
                i = j;
        }
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int resource_device_limit_to_string(const ResourceDeviceLimit *l, char **ret) {
        if (l->value == RESOURCE_INFINITY)
                *ret = strdup_printf("%u:%u infinity", major(l->device), minor(l->device));
        else
                *ret = strdup_printf("%u:%u %" PRIu64, major(l->device), minor(l->device), l->value);
        return *ret ? 0 : -ENOMEM;
}

int resource_cpu_writes(uint64_t quota, uint64_t period, bool v1, ResourceWrite ret[static 2]) {
        uint64_t q =
                quota == RESOURCE_INFINITY ? quota : clamp_u64(quota * period / USEC_PER_SEC, 1000, UINT64_MAX - 1);

        if (v1) {
                write_set(&ret[0], "cpu", "cpu.cfs_period_us", "", period);
                write_max(&ret[1], "cpu", "cpu.cfs_quota_us", q, "-1");
                return 2;
        }
        ret[0].controller = NULL;
        ret[0].file = "cpu.max";
        if (q == RESOURCE_INFINITY)
                snprintf(ret[0].value, sizeof(ret[0].value), "max %" PRIu64, period);
        else
                snprintf(ret[0].value, sizeof(ret[0].value), "%" PRIu64 " %" PRIu64, q, period);
        return 1;
}

void resource_device_write(const ResourceDeviceLimit *l, bool v1, ResourceWrite *ret) {
        static const char *const v1_files[] = {
                [RESOURCE_IO_READ_BANDWIDTH_MAX - RESOURCE_IO_READ_BANDWIDTH_MAX] = "blkio.throttle.read_bps_device",
                [RESOURCE_IO_WRITE_BANDWIDTH_MAX - RESOURCE_IO_READ_BANDWIDTH_MAX] = "blkio.throttle.write_bps_device",
                [RESOURCE_IO_READ_IOPS_MAX - RESOURCE_IO_READ_BANDWIDTH_MAX] = "blkio.throttle.read_iops_device",
                [RESOURCE_IO_WRITE_IOPS_MAX - RESOURCE_IO_READ_BANDWIDTH_MAX] = "blkio.throttle.write_iops_device",
        };
        static const char *const v2_keys[] = { "rbps", "wbps", "riops", "wiops" };
        size_t i = (size_t) (l->kind - RESOURCE_IO_READ_BANDWIDTH_MAX);

        ret->controller = v1 ? "blkio" : NULL;
        ret->file = v1 ? v1_files[i] : "io.max";
        if (v1)
                /* 0 removes v1's rule. */
                snprintf(ret->value, sizeof ret->value, "%u:%u %" PRIu64, major(l->device), minor(l->device),
                         l->value == RESOURCE_INFINITY ? 0 : l->value);
        else if (l->value == RESOURCE_INFINITY)
                snprintf(ret->value, sizeof ret->value, "%u:%u %s=max", major(l->device), minor(l->device), v2_keys[i]);
        else
                snprintf(ret->value, sizeof ret->value, "%u:%u %s=%" PRIu64, major(l->device), minor(l->device),
                         v2_keys[i], l->value);
}
