/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "fileio.h"
#include "string-util.h"
#include "tests.h"

#define CAP(c) (UINT64_C(1) << (c))

/* systemd-nspawn's default bounding set (nspawn.c, arg_caps_retain). */
static const int nspawn_caps[] = {
        CAP_AUDIT_CONTROL,    CAP_AUDIT_WRITE,    CAP_CHOWN,    CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
        CAP_FSETID,           CAP_IPC_OWNER,      CAP_KILL,     CAP_LEASE,        CAP_LINUX_IMMUTABLE, CAP_MKNOD,
        CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST,  CAP_NET_RAW,  CAP_SETFCAP,      CAP_SETGID,          CAP_SETPCAP,
        CAP_SETUID,           CAP_SYS_ADMIN,      CAP_SYS_BOOT, CAP_SYS_CHROOT,   CAP_SYS_NICE,        CAP_SYS_PTRACE,
        CAP_SYS_RESOURCE,     CAP_SYS_TTY_CONFIG,
};

TEST(machine_default_is_nspawns) {
        uint64_t want = 0;

        for (size_t i = 0; i < ELEMENTSOF(nspawn_caps); i++)
                want |= CAP(nspawn_caps[i]);
        ASSERT_EQ(caps_machine_default(false), want);
        /* CAP_NET_ADMIN only for a network of its own. */
        ASSERT_EQ(caps_machine_default(true), want | CAP(CAP_NET_ADMIN));
}

TEST(machine_default_keeps_out_the_dangerous) {
        static const int never[] = { CAP_SYS_MODULE, CAP_SYS_TIME,   CAP_SYS_RAWIO,     CAP_MAC_ADMIN, CAP_MAC_OVERRIDE,
                                     CAP_SYSLOG,     CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_SYS_PACCT, CAP_IPC_LOCK };

        for (size_t i = 0; i < ELEMENTSOF(never); i++) {
                ASSERT_FALSE(caps_machine_default(false) & CAP(never[i]));
                ASSERT_FALSE(caps_machine_default(true) & CAP(never[i]));
        }
}

static uint64_t status_field(const char *name) {
        _cleanup_free_ char *text = NULL;
        const char *p;

        ASSERT_OK(read_full_file("/proc/self/status", &text, NULL));
        p = strstr(text, name);
        ASSERT_NOT_NULL(p);
        return strtoull(p + strlen(name), NULL, 16);
}

TEST(limit_bounding_set) {
        uint64_t keep = caps_machine_default(false);

        /* Root of a user namespace of our own: all capabilities there. */
        tests_enter_userns();
        ASSERT_OK(caps_limit_bounding_set(keep));
        /* What we have stays until caps_restrict(). */
        ASSERT_TRUE(status_field("CapEff:\t") & (UINT64_C(1) << CAP_SYS_MODULE));
        ASSERT_OK(caps_restrict(keep, 0));

        ASSERT_EQ(status_field("CapBnd:\t"), keep);
        ASSERT_EQ(status_field("CapEff:\t") & ~keep, 0);
        ASSERT_EQ(status_field("CapPrm:\t") & ~keep, 0);
        ASSERT_EQ(status_field("CapInh:\t") & ~keep, 0);
        ASSERT_EQ(status_field("CapAmb:\t"), 0);
        /* Dropped for good: asking for it back fails. */
        ASSERT_TRUE(prctl(PR_CAPBSET_READ, CAP_SYS_MODULE, 0, 0, 0) == 0);
}

TEST(ambient) {
        uint64_t keep = caps_machine_default(false), ambient = CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_KILL);

        tests_enter_userns();
        ASSERT_OK(caps_limit_bounding_set(keep));
        ASSERT_OK(caps_restrict(keep, ambient | CAP(CAP_SYS_MODULE))); /* outside keep: not given */
        ASSERT_OK(caps_raise_ambient(ambient));
        ASSERT_EQ(status_field("CapAmb:\t"), ambient);
        ASSERT_EQ(status_field("CapInh:\t"), ambient);
        ASSERT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1); /* so that they survive a change of user */
}

TEST(names) {
        _cleanup_free_ char *all = caps_format(CAPS_ALL), *two = caps_format(CAP(CAP_CHOWN) | CAP(CAP_SYS_ADMIN));
        const char *bad = NULL;
        size_t bad_len = 0;
        uint64_t set;

        ASSERT_EQ(capability_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
        ASSERT_EQ(capability_from_name("cap_sys_admin"), CAP_SYS_ADMIN);
        ASSERT_EQ(capability_from_name("sys_admin"), CAP_SYS_ADMIN);
        ASSERT_EQ(capability_from_name("21"), 21);
        ASSERT_ERROR(capability_from_name("CAP_NOPE"), EINVAL);
        ASSERT_ERROR(capability_from_name("64"), EINVAL);
        for (int c = 0; c <= CAPS_LAST_KNOWN; c++)
                ASSERT_EQ(capability_from_name(capability_to_name(c)), c);
        ASSERT_NULL(capability_to_name(CAPS_LAST_KNOWN + 1));

        ASSERT_STREQ(two, "cap_chown cap_sys_admin");
        ASSERT_TRUE(strstr(all, "cap_checkpoint_restore") != NULL);
        ASSERT_OK(caps_parse_list(" CAP_CHOWN,cap_sys_admin  ", false, &set, &bad, &bad_len));
        ASSERT_EQ(set, CAP(CAP_CHOWN) | CAP(CAP_SYS_ADMIN));
        ASSERT_OK(caps_parse_list("all", true, &set, &bad, &bad_len));
        ASSERT_EQ(set, CAPS_ALL);
        ASSERT_ERROR(caps_parse_list("all", false, &set, &bad, &bad_len), EINVAL);
        ASSERT_ERROR(caps_parse_list("CAP_CHOWN CAP_BOGUS x", true, &set, &bad, &bad_len), EINVAL);
        ASSERT_TRUE(bad_len == 9 && strncmp(bad, "CAP_BOGUS", 9) == 0);
}
