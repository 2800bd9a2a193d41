/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "cgroup.h"
#include "macro.h"
#include "resources.h"

/* A machine's resource limits, where the host's controllers are:
 *
 *   systemd  the controller is on the unified hierarchy and systemd manages
 *            the machine's unit (berth@NAME.service, or the scope it made):
 *            set as unit properties, so that systemd keeps them
 *   unified  the controller is on the unified hierarchy and the cgroup is
 *            ours: written into payload/ (the machine, not the supervisor;
 *            limit files are not delegated, so the machine can't undo them)
 *   v1       the controller is on a v1 hierarchy (a hybrid host): written
 *            into the machine's cgroup there, made below the supervisor's
 *   none     the host has no such controller anywhere the machine is */

typedef enum LimitRoute {
        LIMIT_ROUTE_NONE,
        LIMIT_ROUTE_SYSTEMD,
        LIMIT_ROUTE_UNIFIED,
        LIMIT_ROUTE_V1,
        _LIMIT_ROUTE_MAX,
        _LIMIT_ROUTE_INVALID = -EINVAL,
} LimitRoute;

typedef struct LimitTarget {
        const MachineCgroup *cgroup; /* the machine's; with systemd_unit, properties go to its unit */
        sd_bus *bus;                 /* for LIMIT_ROUTE_SYSTEMD */
} LimitTarget;

/* The v1 controllers a hybrid host's machine gets cgroups of, whether or not
 * limits are given at start, so that set-property can add them later. */
extern const char *const limits_v1_controllers[];

LimitRoute limit_route(const LimitTarget *t, ResourceKind k);

/* What failed when limits could not be applied. */
typedef struct LimitFailure {
        ResourceKind kind;
        char *message; /* systemd's reason, or NULL */
} LimitFailure;

void limit_failure_done(LimitFailure *f);

/* Applies every limit of r. A kind with no route (or whose controller lacks
 * the file for it) is skipped and its bit set in *ret_unsupported. On
 * failure returns -errno and *ret_failure says what failed. */
int limits_apply(const LimitTarget *t, const Resources *r, unsigned *ret_unsupported, LimitFailure *ret_failure);

/* The one line that tells a failure of limits_apply() (r its result) on
 * machine: "Failed to set KIND=VALUE on machine 'M': why". */
char *limit_failure_explain(const LimitFailure *f, const Resources *r, const char *machine, int error);

/* Reads back the limits in force (of the kinds that have a route). */
int limits_read(const LimitTarget *t, Resources *ret);

typedef struct LimitUsage {
        uint64_t memory; /* bytes; UINT64_MAX: unknown */
        uint64_t tasks;  /* UINT64_MAX: unknown */
} LimitUsage;

void limits_read_usage(const LimitTarget *t, LimitUsage *ret);
