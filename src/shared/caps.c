/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"
#include "fileio.h"
#include "parse-util.h"

#define CAP(c) (UINT64_C(1) << (c))

uint64_t caps_machine_default(bool private_network) {
        uint64_t s = CAP(CAP_AUDIT_CONTROL) | CAP(CAP_AUDIT_WRITE) | CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) |
                     CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) | CAP(CAP_IPC_OWNER) | CAP(CAP_KILL) |
                     CAP(CAP_LEASE) | CAP(CAP_LINUX_IMMUTABLE) | CAP(CAP_MKNOD) | CAP(CAP_NET_BIND_SERVICE) |
                     CAP(CAP_NET_BROADCAST) | CAP(CAP_NET_RAW) | CAP(CAP_SETFCAP) | CAP(CAP_SETGID) | CAP(CAP_SETPCAP) |
                     CAP(CAP_SETUID) | CAP(CAP_SYS_ADMIN) | CAP(CAP_SYS_BOOT) | CAP(CAP_SYS_CHROOT) |
                     CAP(CAP_SYS_NICE) | CAP(CAP_SYS_PTRACE) | CAP(CAP_SYS_RESOURCE) | CAP(CAP_SYS_TTY_CONFIG);

        if (private_network)
                s |= CAP(CAP_NET_ADMIN);
        return s;
}

static int cap_last(void) {
        _cleanup_free_ char *s = NULL;
        int v;

        if (read_one_line_file("/proc/sys/kernel/cap_last_cap", &s) >= 0 && safe_atoi(s, &v) >= 0 && v > 0 && v < 64)
                return v;
        return CAP_LAST_CAP;
}

int caps_limit_bounding_set(uint64_t keep) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};
        int last = cap_last();

        for (int c = 0; c <= last; c++) {
                if (keep & CAP(c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long) c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        }
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

        /* Also restrict the permitted/effective/inheritable sets. */
        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        for (int i = 0; i < 2; i++) {
                uint32_t k = (uint32_t) (keep >> (32 * i));
                d[i].effective &= k;
                d[i].permitted &= k;
                d[i].inheritable &= k;
        }
        return RET_NERRNO(syscall(SYS_capset, &h, d));
}
