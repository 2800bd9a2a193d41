/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/pidfd.h>

#include "check.h"
#include "chase.h"
#include "custom-mount.h"
#include "fd-util.h"
#include "fileio.h"
#include "image.h"
#include "log.h"
#include "mount-setup.h"
#include "path-util.h"
#include "process-util.h"
#include "selinux-util.h"
#include "string-util.h"

void machine_facts_done(MachineFacts *f) {
        free(f->hostname);
        free(f->host_os_release);
        host_file_done(&f->resolv_conf);
        host_file_done(&f->localtime);
        f->supervisor_pidfd = safe_close(f->supervisor_pidfd);
        *f = (MachineFacts) { .supervisor_pidfd = -EBADF };
}

static int check_options(const BootConfig *c) {
        const char *what = NULL;
        int r;

        r = custom_mounts_check_sources(c->mounts, c->n_mounts, &what);
        if (r < 0)
                return log_error_errno(r, "Failed to find bind source '%s': %m", what);

        if (c->selinux_context || c->selinux_apifs_context) {
                const char *ctx = c->selinux_context ?: c->selinux_apifs_context;
                r = selinux_check_context(ctx);
                if (r == -EOPNOTSUPP)
                        return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                               "SELinux is not enabled on this host: can't use context '%s'.", ctx);
                if (r < 0)
                        return log_error_errno(r, "SELinux context '%s' is not valid: %m", ctx);
        }
        return 0;
}

/* Directories of ours the children mount on (made once, kept). */
static int make_runtime_dirs(const BootConfig *c, MachineFacts *f) {
        int r;

        r = mkdir_p(STAGING_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", STAGING_DIR);
        f->proc_helper = c->private_users != PRIVATE_USERS_NO && mount_setup_proc_is_covered();
        if (f->proc_helper) {
                r = mkdir_p(PROC_HELPER_DIR, 0755);
                if (r < 0)
                        return log_error_errno(r, "Failed to create %s: %m", PROC_HELPER_DIR);
        }
        return 0;
}

/* /etc/resolv.conf and /etc/localtime of the machine, from the host's. */
static int plan_host_files(const BootConfig *c, MachineFacts *f) {
        ResolvConfContext ctx = {
                .private_network = boot_config_private_network(c) || c->network.namespace_path,
                .nat = network_config_addressed(&c->network),
        };
        int r;

        r = host_file_plan_resolv_conf(c->resolv_conf, &ctx, &f->resolv_conf);
        if (r < 0)
                log_warning_errno(r, "Failed to read the host's resolv.conf, leaving the machine's alone: %m");
        else if (r > 0)
                log_warning("The host names no DNS server a machine behind NAT can reach (only loopback ones, "
                            "and no %s): the machine's resolv.conf is left as it is.",
                            RESOLVED_UPLINK_RESOLV_CONF);
        r = host_file_plan_timezone(c->timezone, NULL, &f->localtime);
        if (r < 0)
                log_warning_errno(r, "Failed to read the host's time zone, leaving the machine's alone: %m");
        return 0;
}

int machine_check(const BootConfig *c, const MachineIdentity *id, MachineFacts *ret) {
        _cleanup_(machine_facts_done) MachineFacts f = { .supervisor_pidfd = -EBADF };
        int r;

        r = check_options(c);
        if (r >= 0)
                r = make_runtime_dirs(c, &f);
        if (r < 0)
                return r;

        f.hostname = strdup(c->hostname ?: id->name);
        if (!f.hostname)
                return log_oom();
        if (read_full_file("/etc/os-release", &f.host_os_release, NULL) < 0)
                (void) read_full_file("/usr/lib/os-release", &f.host_os_release, NULL);

        r = plan_host_files(c, &f);
        if (r < 0)
                return r;

        f.supervisor_pid = getpid();
        f.supervisor_pidfd = pidfd_open(f.supervisor_pid, 0);
        if (f.supervisor_pidfd < 0)
                return log_error_errno(errno, "Failed to open a pidfd of ourselves: %m");
        (void) pid_get_starttime(f.supervisor_pid, &f.supervisor_starttime);
        f.since = now(CLOCK_REALTIME);

        *ret = f;
        f = (MachineFacts) { .supervisor_pidfd = -EBADF };
        return 0;
}
