/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "string-table.h"

/* Resource limits of a machine, as systemd names them (--property=,
 * [Resources] in settings files, `berth set-property`), and how each one is
 * written: as a unit property through systemd, into a cgroup2 file, or into
 * a cgroup v1 file on a hybrid host. Parsing and formatting only; the
 * writing is done by whoever owns the cgroups. */

typedef enum ResourceKind {
        RESOURCE_MEMORY_MAX,  /* bytes; memory.max / memory.limit_in_bytes */
        RESOURCE_MEMORY_HIGH, /* bytes; memory.high / memory.soft_limit_in_bytes */
        RESOURCE_CPU_WEIGHT,  /* 1…10000; cpu.weight / cpu.shares */
        RESOURCE_CPU_QUOTA,   /* µs of CPU time per second; cpu.max / cpu.cfs_quota_us */
        RESOURCE_TASKS_MAX,   /* tasks; pids.max */
        RESOURCE_IO_WEIGHT,   /* 1…10000; io.weight / blkio.weight */
        /* bytes; memory.swap.max / memory.memsw.limit_in_bytes (v1's counts
         * memory and swap together: MemoryMax plus this) */
        RESOURCE_MEMORY_SWAP_MAX,
        RESOURCE_CPU_QUOTA_PERIOD,     /* µs, 1000…1000000; the period of cpu.max / cpu.cfs_period_us */
        RESOURCE_ALLOWED_CPUS,         /* a set (Resources.cpus); cpuset.cpus */
        RESOURCE_ALLOWED_MEMORY_NODES, /* a set (Resources.mems); cpuset.mems */
        /* per device (Resources.io): io.max, blkio.throttle.*_device */
        RESOURCE_IO_READ_BANDWIDTH_MAX,  /* bytes per second */
        RESOURCE_IO_WRITE_BANDWIDTH_MAX, /* bytes per second */
        RESOURCE_IO_READ_IOPS_MAX,       /* operations per second */
        RESOURCE_IO_WRITE_IOPS_MAX,      /* operations per second */
        _RESOURCE_KIND_MAX,
        _RESOURCE_KIND_INVALID = -EINVAL,
} ResourceKind;

#define RESOURCE_INFINITY UINT64_MAX

/* The period cpu.max and cpu.cfs_period_us are written with (systemd's). */
#define RESOURCE_CPU_PERIOD_USEC UINT64_C(100000)

/* CPUs or memory nodes (AllowedCPUs=, AllowedMemoryNodes=). Empty: no
 * restriction (all of the parent's). */
#define RESOURCE_SET_MAX 1024
typedef struct ResourceSet {
        uint64_t bits[RESOURCE_SET_MAX / 64];
} ResourceSet;

/* One per-device I/O limit: IOWriteBandwidthMax=/dev/sda 10M. */
typedef struct ResourceDeviceLimit {
        ResourceKind kind;
        dev_t device;   /* the whole disk (a partition's or a file system's, resolved) */
        uint64_t value; /* RESOURCE_INFINITY: none */
} ResourceDeviceLimit;

#define RESOURCE_DEVICE_LIMITS_MAX 16

/* A set of limits: which are set, and to what. Plain data: may be copied. */
typedef struct Resources {
        unsigned set; /* 1 << ResourceKind */
        uint64_t value[_RESOURCE_KIND_MAX];
        ResourceSet cpus, mems;
        ResourceDeviceLimit io[RESOURCE_DEVICE_LIMITS_MAX];
        size_t n_io;
} Resources;

static inline bool resource_kind_is_device(ResourceKind k) {
        return k >= RESOURCE_IO_READ_BANDWIDTH_MAX && k <= RESOURCE_IO_WRITE_IOPS_MAX;
}

static inline bool resource_kind_is_set(ResourceKind k) {
        return k == RESOURCE_ALLOWED_CPUS || k == RESOURCE_ALLOWED_MEMORY_NODES;
}

/* "MemoryMax" ↔ RESOURCE_MEMORY_MAX */
DECLARE_STRING_TABLE_LOOKUP(resource_kind, ResourceKind);

/* Parses "NAME=VALUE" (for a set or a device kind, use resources_add()). VALUE may be:
 *   MemoryMax, MemoryHigh  bytes with an optional K, M, G, T suffix (base
 *                          1024), a percentage of physical memory, "infinity"
 *   CPUWeight, IOWeight    1…10000
 *   CPUQuota               a percentage > 0 of one CPU ("150%"); empty: none
 *   TasksMax               a count > 0, "infinity"
 *   MemorySwapMax          bytes (0 too: no swap), "infinity"
 *   CPUQuotaPeriodSec      a time span of 1ms…1s ("10ms"; a number: seconds); empty: the default
 * -EOPNOTSUPP for a NAME that is not one of these, -EINVAL for a value that
 * cannot be parsed, -ERANGE for one out of range. */
int resource_parse(const char *assignment, ResourceKind *ret_kind, uint64_t *ret_value);

/* What is wrong with an assignment resource_parse() refused with error, for
 * a message: "MemoryMax= takes …". */
const char *resource_explain_error(const char *assignment, int error) _pure_;

/* Parses an assignment into the set (replacing an earlier value of it).
 * Besides resource_parse()'s:
 *   AllowedCPUs, AllowedMemoryNodes  numbers and ranges ("0-3,6 8") of the
 *                                    host's possible CPUs or nodes; empty: all
 *   IO{Read,Write}{Bandwidth,IOPS}Max "DEVICE VALUE": a block device node or
 *                                    a path on a block device's file system;
 *                                    bytes (K, M, G, T) or operations per
 *                                    second, or "infinity"
 * -ENODEV for a path that is on no block device, -ENOBUFS when there are
 * too many device limits. */
int resources_add(Resources *r, const char *assignment);

/* Copies kind k (its value, set or device limits) from src to dst. */
void resources_copy_kind(Resources *dst, const Resources *src, ResourceKind k);

/* "0-3,6": a set as the kernel writes it; "" when empty. */
int resource_set_to_string(const ResourceSet *s, char **ret);
int resource_set_parse(const char *text, ResourceSet *ret);
static inline bool resource_set_is_empty(const ResourceSet *s) {
        for (size_t i = 0; i < RESOURCE_SET_MAX / 64; i++)
                if (s->bits[i])
                        return false;
        return true;
}

/* "254:0 10M" (or "254:0 infinity"), for people. */
int resource_device_limit_to_string(const ResourceDeviceLimit *l, char **ret);

static inline bool resources_has(const Resources *r, ResourceKind k) {
        return r->set & (1U << k);
}

/* The value as a person writes it: "64M", "infinity", "150%", "100". */
int resource_value_to_string(ResourceKind k, uint64_t v, char **ret);

/* The value in systemd's D-Bus unit property: its name and its value (all of
 * these are of type "t"). */
const char *resource_dbus_property(ResourceKind k) _pure_;
uint64_t resource_dbus_value(ResourceKind k, uint64_t v) _pure_;

/* One write into a cgroup file. */
typedef struct ResourceWrite {
        const char *controller; /* v1 hierarchy (memory, cpu, pids, blkio); NULL on cgroup2 */
        const char *file;
        char value[48];
} ResourceWrite;

/* The writes that set the limit, in order (at most two), for a cgroup2 tree
 * (v1 == false) or for the v1 hierarchies. Returns how many. For the kinds
 * of one number only (not sets, devices, MemorySwapMax on v1 or
 * CPUQuotaPeriodSec: cgroup-limits.c writes those knowing what is in force). */
int resource_writes(ResourceKind k, uint64_t v, bool v1, ResourceWrite ret[static 2]);

/* cpu.max, or cpu.cfs_period_us and cpu.cfs_quota_us: quota in µs per
 * second (RESOURCE_INFINITY: none) over period µs. */
int resource_cpu_writes(uint64_t quota, uint64_t period, bool v1, ResourceWrite ret[static 2]);

/* The write of a device limit: io.max "MAJ:MIN wbps=N", or
 * blkio.throttle.write_bps_device "MAJ:MIN N". */
void resource_device_write(const ResourceDeviceLimit *l, bool v1, ResourceWrite *ret);

/* The controller a kind needs ("memory", "cpu", "pids", "io"/"blkio", "cpuset"). */
const char *resource_controller(ResourceKind k, bool v1) _pure_;
