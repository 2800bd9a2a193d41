/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Which devices a machine may open or create: a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE on its cgroup (what systemd's
 * DevicePolicy=closed with DeviceAllow= makes). It works on every host with
 * a cgroup2 hierarchy, a hybrid one included: the kernel asks the programs
 * of the process's cgroup2 cgroup, whatever v1 controllers there are. The
 * machine can't remove it (that takes CAP_SYS_ADMIN on the host), and it
 * goes with the cgroup. */

typedef enum DeviceAccess {
        DEVICE_ACCESS_MKNOD = 1 << 0,
        DEVICE_ACCESS_READ = 1 << 1,
        DEVICE_ACCESS_WRITE = 1 << 2,
        DEVICE_ACCESS_ALL = DEVICE_ACCESS_MKNOD | DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE,
} DeviceAccess;

#define DEVICE_MINOR_ANY UINT32_MAX

typedef struct DeviceRule {
        char type;             /* 'c' or 'b' */
        unsigned major, minor; /* minor DEVICE_MINOR_ANY: all of major */
        DeviceAccess access;
} DeviceRule;

/* What every machine may use: null, zero, full, random, urandom, tty,
 * console, ptmx and the ptys, and /dev/net/tun. */
extern const DeviceRule bpf_devices_machine_default[];
extern const size_t bpf_devices_machine_default_count;

/* Attaches a program allowing the rules, and nothing else, to the cgroup
 * at path (absolute). */
int bpf_devices_attach(const char *cgroup_path, const DeviceRule *rules, size_t n_rules);
