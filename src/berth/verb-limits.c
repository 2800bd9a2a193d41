/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-limits.h"
#include "log.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "verbs.h"

static void help(void) {
        printf("berth set-property NAME NAME=VALUE…\n\n"
               "Change resource limits of a running machine, until it stops:\n"
               "MemoryMax=, MemoryHigh=, MemorySwapMax=, CPUWeight=, CPUQuota=,\n"
               "CPUQuotaPeriodSec=, AllowedCPUs=, AllowedMemoryNodes=, TasksMax=, IOWeight=,\n"
               "IOReadBandwidthMax=, IOWriteBandwidthMax=, IOReadIOPSMax=, IOWriteIOPSMax=\n"
               "(DEVICE VALUE: a block device or a path on its file system).\n"
               "Set through systemd where it manages the machine's unit, on the machine's\n"
               "cgroups otherwise (v1 hierarchies on a hybrid host).\n\n"
               "  -h --help  Show this help\n");
}

static int parse_assignments(char **args, Resources *ret) {
        Resources r = {};

        for (char **a = args; *a; a++) {
                int q = resources_add(&r, *a);

                if (q < 0)
                        return log_usage("Invalid property '%s': %s.", *a, resource_explain_error(*a, q));
        }
        *ret = r;
        return 0;
}

static int set_limits(const MachineRecord *m, const Resources *res) {
        _cleanup_(limit_failure_done) LimitFailure failure = {};
        LimitTarget t = { .cgroup = &m->cgroup };
        unsigned unsupported = 0;
        int r;

        if (m->cgroup.systemd_unit) {
                r = system_bus_get(cli_bus(), &t.bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the system bus for unit %s: %m",
                                               m->cgroup.unit);
        }

        /* All or nothing where it can be checked: a kind the machine has no
         * controller for fails before anything is changed. */
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                if (resources_has(res, k) && limit_route(&t, k) == LIMIT_ROUTE_NONE)
                        return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                               "Can't set %s= on machine '%s': the host gives it no %s controller.",
                                               resource_kind_to_string(k), m->name, resource_controller(k, false));

        r = limits_apply(&t, res, &unsupported, &failure);
        if (r < 0) {
                _cleanup_free_ char *text = limit_failure_explain(&failure, res, m->name, r);
                return text ? log_error_errno(r, "%s", text) : log_oom();
        }
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                if (unsupported & (1U << k))
                        return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                               "Can't set %s= on machine '%s': its %s controller has no such limit "
                                               "here%s.",
                                               resource_kind_to_string(k), m->name, resource_controller(k, true),
                                               k == RESOURCE_MEMORY_SWAP_MAX && limit_route(&t, k) == LIMIT_ROUTE_V1
                                                       ? " (v1 limits swap only with MemoryMax=, and only with "
                                                         "swap accounting)"
                                                       : "");
        return 0;
}

int verb_set_property(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(machine_record_done) MachineRecord m = {};
        Resources res;
        int opt, r;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                if (opt == 'h') {
                        help();
                        return 0;
                }
                return verb_bad_option(argv[0], opt, argv);
        }
        if (argc - optind < 2)
                return log_usage("'berth set-property' needs a machine name and at least one NAME=VALUE.");

        r = parse_assignments(argv + optind + 1, &res);
        if (r < 0)
                return r;
        r = machine_get(argv[optind], &m);
        if (r < 0)
                return r;
        return set_limits(&m, &res);
}

/* --- For status and show ----------------------------------------------------- */

void machine_limits_done(MachineLimits *l) {
        free(l->memory_text);
        free(l->tasks_text);
        free(l->cpu_text);
        free(l->cpus_text);
        *l = (MachineLimits) {};
}

static bool limit_known(const MachineLimits *l, ResourceKind k) {
        return resources_has(&l->limits, k);
}

/* ", max: 64.0M" for a memory limit that is set and not infinity. */
static void append_bytes_limit(char *buf, size_t size, const MachineLimits *l, ResourceKind k, const char *label) {
        char b[FORMAT_BYTES_MAX];
        size_t n = strlen(buf);

        if (!limit_known(l, k) || l->limits.value[k] == RESOURCE_INFINITY)
                return;
        snprintf(buf + n, size - n, "%s%s: %s", n > 0 ? ", " : "", label,
                 format_bytes(b, sizeof b, l->limits.value[k]));
}

static char *memory_text(const MachineLimits *l) {
        char limits[96] = "", b[FORMAT_BYTES_MAX];

        append_bytes_limit(limits, sizeof limits, l, RESOURCE_MEMORY_MAX, "max");
        append_bytes_limit(limits, sizeof limits, l, RESOURCE_MEMORY_HIGH, "high");
        if (l->usage.memory == UINT64_MAX)
                return isempty(limits) ? NULL : strdup_printf("(%s)", limits);
        return isempty(limits) ? strdup(format_bytes(b, sizeof b, l->usage.memory))
                               : strdup_printf("%s (%s)", format_bytes(b, sizeof b, l->usage.memory), limits);
}

static char *tasks_text(const MachineLimits *l) {
        char limit[48] = "";

        if (limit_known(l, RESOURCE_TASKS_MAX) && l->limits.value[RESOURCE_TASKS_MAX] != RESOURCE_INFINITY)
                snprintf(limit, sizeof limit, "limit: %" PRIu64, l->limits.value[RESOURCE_TASKS_MAX]);
        if (l->usage.tasks == UINT64_MAX)
                return isempty(limit) ? NULL : strdup_printf("(%s)", limit);
        return isempty(limit) ? strdup_printf("%" PRIu64, l->usage.tasks)
                              : strdup_printf("%" PRIu64 " (%s)", l->usage.tasks, limit);
}

static char *cpu_text(const MachineLimits *l) {
        char buf[128] = "";

        if (limit_known(l, RESOURCE_CPU_WEIGHT))
                snprintf(buf, sizeof buf, "weight %" PRIu64, l->limits.value[RESOURCE_CPU_WEIGHT]);
        if (limit_known(l, RESOURCE_CPU_QUOTA) && l->limits.value[RESOURCE_CPU_QUOTA] != RESOURCE_INFINITY) {
                size_t n = strlen(buf);
                snprintf(buf + n, sizeof buf - n, "%squota %" PRIu64 "%%", n > 0 ? ", " : "",
                         l->limits.value[RESOURCE_CPU_QUOTA] / (USEC_PER_SEC / 100));
        }
        if (!isempty(l->cpus_text)) {
                size_t n = strlen(buf);
                snprintf(buf + n, sizeof buf - n, "%sCPUs %s", n > 0 ? ", " : "", l->cpus_text);
        }
        return isempty(buf) ? NULL : strdup(buf);
}

int machine_limits_get(const MachineRecord *m, MachineLimits *ret) {
        MachineLimits l = {};
        LimitTarget t = { .cgroup = &m->cgroup };
        int r;

        r = limits_read(&t, &l.limits);
        if (r < 0)
                return r;
        limits_read_usage(&t, &l.usage);

        /* NULL texts are fine: nothing to show. */
        if (limit_known(&l, RESOURCE_ALLOWED_CPUS) && resource_set_to_string(&l.limits.cpus, &l.cpus_text) < 0)
                return -ENOMEM;
        l.memory_text = memory_text(&l);
        l.tasks_text = tasks_text(&l);
        l.cpu_text = cpu_text(&l);
        *ret = l;
        return 0;
}

int machine_limits_value(const MachineLimits *l, ResourceKind k, uint64_t *ret) {
        if (!limit_known(l, k))
                return -ENODATA;
        *ret = l->limits.value[k];
        return 0;
}

int machine_limits_show_cells(Table *t, const MachineLimits *l, ResourceKind k) {
        _cleanup_strv_free_ char **items = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (!limit_known(l, k))
                return table_add_string(t, "[not set]") ?: table_add_null(t);
        if (resource_kind_is_set(k)) {
                r = resource_set_to_string(k == RESOURCE_ALLOWED_CPUS ? &l->limits.cpus : &l->limits.mems, &text);
                return r ?: table_add_string(t, text) ?: table_add_string(t, text);
        }
        for (size_t i = 0; i < l->limits.n_io; i++) {
                char *item;

                if (l->limits.io[i].kind != k)
                        continue;
                if (resource_device_limit_to_string(&l->limits.io[i], &item) < 0 || strv_consume(&items, item) < 0)
                        return -ENOMEM;
        }
        text = strv_join(items, ", ");
        if (!text)
                return -ENOMEM;
        return table_add_string(t, text) ?: table_add_strv(t, items);
}
