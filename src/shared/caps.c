/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"
#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"

#define CAP(c) (UINT64_C(1) << (c))

static const char *const capability_names[CAPS_LAST_KNOWN + 1] = {
        [CAP_CHOWN] = "CAP_CHOWN",
        [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
        [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
        [CAP_FOWNER] = "CAP_FOWNER",
        [CAP_FSETID] = "CAP_FSETID",
        [CAP_KILL] = "CAP_KILL",
        [CAP_SETGID] = "CAP_SETGID",
        [CAP_SETUID] = "CAP_SETUID",
        [CAP_SETPCAP] = "CAP_SETPCAP",
        [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
        [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
        [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
        [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
        [CAP_NET_RAW] = "CAP_NET_RAW",
        [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
        [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
        [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
        [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
        [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
        [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
        [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
        [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
        [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
        [CAP_SYS_NICE] = "CAP_SYS_NICE",
        [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
        [CAP_SYS_TIME] = "CAP_SYS_TIME",
        [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
        [CAP_MKNOD] = "CAP_MKNOD",
        [CAP_LEASE] = "CAP_LEASE",
        [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
        [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
        [CAP_SETFCAP] = "CAP_SETFCAP",
        [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
        [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
        [CAP_SYSLOG] = "CAP_SYSLOG",
        [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
        [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
        [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
        [38] = "CAP_PERFMON",
        [39] = "CAP_BPF",
        [40] = "CAP_CHECKPOINT_RESTORE",
};

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

int capability_from_name(const char *name) {
        int v;

        if (safe_atoi(name, &v) >= 0)
                return v >= 0 && v <= CAPS_LAST_KNOWN ? v : -EINVAL;
        for (int c = 0; c <= CAPS_LAST_KNOWN; c++)
                if (strcasecmp(name, capability_names[c]) == 0 ||
                    strcasecmp(name, capability_names[c] + STRLEN("CAP_")) == 0)
                        return c;
        return -EINVAL;
}

const char *capability_to_name(int cap) {
        return cap >= 0 && cap <= CAPS_LAST_KNOWN ? capability_names[cap] : NULL;
}

int caps_parse_list(const char *s, bool allow_all, uint64_t *ret, const char **ret_bad, size_t *ret_bad_len) {
        uint64_t set = 0;

        for (const char *p = s;;) {
                char word[64];
                size_t n;
                int c;

                p += strspn(p, " \t,");
                n = strcspn(p, " \t,");
                if (n == 0)
                        break;
                if (n < sizeof word) {
                        memcpy(word, p, n);
                        word[n] = '\0';
                }
                if (n < sizeof word && allow_all && strcasecmp(word, "all") == 0)
                        set = CAPS_ALL;
                else if (n >= sizeof word || (c = capability_from_name(word)) < 0) {
                        if (ret_bad) {
                                *ret_bad = p;
                                *ret_bad_len = n;
                        }
                        return -EINVAL;
                } else
                        set |= CAP(c);
                p += n;
        }
        *ret = set;
        return 0;
}

char *caps_format(uint64_t set) {
        char *s = strdup(""), *n;

        for (int c = 0; s && c <= CAPS_LAST_KNOWN; c++) {
                if (!(set & CAP(c)))
                        continue;
                n = strdup_printf("%s%s%s", s, isempty(s) ? "" : " ", capability_names[c]);
                free(s);
                s = n;
        }
        if (s)
                for (char *p = s; *p; p++)
                        *p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        return s;
}

static int cap_last(void) {
        _cleanup_free_ char *s = NULL;
        int v;

        if (read_one_line_file("/proc/sys/kernel/cap_last_cap", &s) >= 0 && safe_atoi(s, &v) >= 0 && v > 0 && v < 64)
                return v;
        return CAP_LAST_CAP;
}

static int caps_get(struct __user_cap_data_struct d[static 2]) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

        return RET_NERRNO(syscall(SYS_capget, &h, d));
}

static int caps_set(struct __user_cap_data_struct d[static 2]) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

        return RET_NERRNO(syscall(SYS_capset, &h, d));
}

int caps_limit_bounding_set(uint64_t keep) {
        int last = cap_last();

        for (int c = 0; c <= last; c++) {
                if (keep & CAP(c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long) c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        }
        return RET_NERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
}

int caps_restrict(uint64_t keep, uint64_t ambient) {
        struct __user_cap_data_struct d[2] = {};
        int r;

        ambient &= keep;
        if (ambient != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        r = caps_get(d);
        if (r < 0)
                return r;
        for (int i = 0; i < 2; i++) {
                uint32_t k = (uint32_t) (keep >> (32 * i));
                d[i].effective &= k;
                d[i].permitted &= k;
                d[i].inheritable = (uint32_t) (ambient >> (32 * i)) & d[i].permitted;
        }
        return caps_set(d);
}

int caps_raise_ambient(uint64_t ambient) {
        for (int c = 0; c <= CAPS_LAST_KNOWN; c++)
                if ((ambient & CAP(c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) c, 0, 0) < 0)
                        return -errno;
        return 0;
}

int caps_raise_effective(void) {
        struct __user_cap_data_struct d[2] = {};
        int r;

        r = caps_get(d);
        if (r < 0)
                return r;
        for (int i = 0; i < 2; i++)
                d[i].effective = d[i].permitted;
        return caps_set(d);
}
