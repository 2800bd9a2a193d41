/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "boot-config.h"
#include "host-files.h"
#include "machine-identity.h"
#include "time-util.h"

/* The first phase: everything that can be checked and worked out before
 * the first side effect on the host. */

/* Where the outer child mounts the machine's root, in its own mount
 * namespace only: an empty directory on the host that anybody may walk
 * through, unlike the directories trees usually live in. */
#define STAGING_DIR BERTH_RUNTIME_DIR "/root"
/* Where the outer child mounts a fully visible procfs, when the host's is
 * covered (see mount_setup_proc_is_covered()). */
#define PROC_HELPER_DIR BERTH_RUNTIME_DIR "/proc"

#define DEFAULT_INIT_PATH "/sbin/init"

typedef struct MachineFacts {
        bool proc_helper; /* the host's /proc is covered: mount a visible one */
        char *hostname;
        char *host_os_release;
        HostFile resolv_conf, localtime; /* what they become in the machine */
        pid_t supervisor_pid;
        int supervisor_pidfd; /* lets the children notice that we died */
        uint64_t supervisor_starttime;
        usec_t since; /* CLOCK_REALTIME */
} MachineFacts;

/* Checks the bind sources and SELinux contexts, and works out the
 * machine's hostname and what the children need to know of the host. (The
 * tree itself is checked once it is locked and open: root.h.) */
int machine_check(const BootConfig *c, const MachineIdentity *id, MachineFacts *ret);
void machine_facts_done(MachineFacts *f);
