/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

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
        _RESOURCE_KIND_MAX,
        _RESOURCE_KIND_INVALID = -EINVAL,
} ResourceKind;

#define RESOURCE_INFINITY UINT64_MAX

/* The period cpu.max and cpu.cfs_period_us are written with (systemd's). */
#define RESOURCE_CPU_PERIOD_USEC UINT64_C(100000)

/* A set of limits: which are set, and to what. */
typedef struct Resources {
        unsigned set; /* 1 << ResourceKind */
        uint64_t value[_RESOURCE_KIND_MAX];
} Resources;

/* "MemoryMax" ↔ RESOURCE_MEMORY_MAX */
DECLARE_STRING_TABLE_LOOKUP(resource_kind, ResourceKind);

/* Parses "NAME=VALUE". VALUE may be:
 *   MemoryMax, MemoryHigh  bytes with an optional K, M, G, T suffix (base
 *                          1024), a percentage of physical memory, "infinity"
 *   CPUWeight, IOWeight    1…10000
 *   CPUQuota               a percentage > 0 of one CPU ("150%"); empty: none
 *   TasksMax               a count > 0, "infinity"
 * -EOPNOTSUPP for a NAME that is not one of these, -EINVAL for a value that
 * cannot be parsed, -ERANGE for one out of range. */
int resource_parse(const char *assignment, ResourceKind *ret_kind, uint64_t *ret_value);

/* What is wrong with an assignment resource_parse() refused with error, for
 * a message: "MemoryMax= takes …". */
const char *resource_explain_error(const char *assignment, int error) _pure_;

/* Parses an assignment into the set (replacing an earlier value of it). */
int resources_add(Resources *r, const char *assignment);

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
 * (v1 == false) or for the v1 hierarchies. Returns how many. */
int resource_writes(ResourceKind k, uint64_t v, bool v1, ResourceWrite ret[static 2]);

/* The controller a kind needs ("memory", "cpu", "pids", "io"/"blkio"). */
const char *resource_controller(ResourceKind k, bool v1) _pure_;
