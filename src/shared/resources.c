/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse-util.h"
#include "resources.h"
#include "string-util.h"

static const char *const resource_kind_table[_RESOURCE_KIND_MAX] = {
        [RESOURCE_MEMORY_MAX] = "MemoryMax", [RESOURCE_MEMORY_HIGH] = "MemoryHigh", [RESOURCE_CPU_WEIGHT] = "CPUWeight",
        [RESOURCE_CPU_QUOTA] = "CPUQuota",   [RESOURCE_TASKS_MAX] = "TasksMax",     [RESOURCE_IO_WEIGHT] = "IOWeight",
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
        return "expected MemoryMax=, MemoryHigh=, CPUWeight=, CPUQuota=, TasksMax= or IOWeight=";
}

int resources_add(Resources *r, const char *assignment) {
        ResourceKind k;
        uint64_t v;
        int q;

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
        else if (k == RESOURCE_MEMORY_MAX || k == RESOURCE_MEMORY_HIGH) {
                /* The largest suffix that divides it exactly, so that the
                 * string parses back to the same number. */
                int i = -1;

                while (i + 1 < (int) strlen(suffixes) && v % (UINT64_C(1024) << (10 * (i + 1))) == 0)
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
        return k == RESOURCE_CPU_QUOTA ? "CPUQuotaPerSecUSec" : resource_kind_to_string(k);
}

uint64_t resource_dbus_value(ResourceKind k, uint64_t v) {
        (void) k;
        return v; /* the same units and the same infinity everywhere */
}

const char *resource_controller(ResourceKind k, bool v1) {
        switch (k) {
        case RESOURCE_MEMORY_MAX:
        case RESOURCE_MEMORY_HIGH:
                return "memory";
        case RESOURCE_CPU_WEIGHT:
        case RESOURCE_CPU_QUOTA:
                return "cpu";
        case RESOURCE_TASKS_MAX:
                return "pids";
        case RESOURCE_IO_WEIGHT:
                return v1 ? "blkio" : "io";
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
        uint64_t quota;

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
                quota = v == RESOURCE_INFINITY
                                ? v
                                : clamp_u64(v * RESOURCE_CPU_PERIOD_USEC / USEC_PER_SEC, 1000, UINT64_MAX - 1);
                if (v1) {
                        write_set(&ret[0], c, "cpu.cfs_period_us", "", RESOURCE_CPU_PERIOD_USEC);
                        write_max(&ret[1], c, "cpu.cfs_quota_us", quota, "-1");
                        return 2;
                }
                ret[0].controller = NULL;
                ret[0].file = "cpu.max";
                if (quota == RESOURCE_INFINITY)
                        snprintf(ret[0].value, sizeof(ret[0].value), "max %" PRIu64, RESOURCE_CPU_PERIOD_USEC);
                else
                        snprintf(ret[0].value, sizeof(ret[0].value), "%" PRIu64 " %" PRIu64, quota,
                                 RESOURCE_CPU_PERIOD_USEC);
                return 1;
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
        default:
                return -EINVAL;
        }
}
