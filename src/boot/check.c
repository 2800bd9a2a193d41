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
        f->root_fd = safe_close(f->root_fd);
        free(f->hostname);
        free(f->host_os_release);
        host_file_done(&f->resolv_conf);
        host_file_done(&f->localtime);
        f->supervisor_pidfd = safe_close(f->supervisor_pidfd);
        *f = (MachineFacts) { .root_fd = -EBADF, .supervisor_pidfd = -EBADF };
}

/* The tree's machine ID, when it has a valid one. */
static int read_tree_machine_id(int root_fd, bool *ret_present, Id128 *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *s = NULL;
        int r;

        *ret_present = false;
        r = open_in_root(root_fd, "/etc/machine-id", O_RDONLY | O_NOCTTY, 0, &fd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        *ret_present = true;
        if (read_full_fd(fd, 4096, &s, NULL) < 0)
                return 0;
        strstrip_trailing(s);
        return id128_from_string(s, ret) >= 0 && !id128_is_null(*ret) ? 1 : 0;
}

static int check_tree(const BootConfig *c, const char *root, int root_fd) {
        _cleanup_free_ char *os_release = NULL;
        _cleanup_close_ int usr = -EBADF;
        const char *init = DEFAULT_INIT_PATH;
        int r;

        if (c->mode == BOOT_MODE_RUN) {
                r = open_in_root(root_fd, "/usr", O_PATH | O_DIRECTORY, 0, &usr);
                if (r < 0)
                        return log_error_errno(SYNTHETIC_ERRNO(ENOTDIR),
                                               "Directory '%s' doesn't look like an OS tree: /usr is missing.", root);
                return 0;
        }

        r = os_release_read(root_fd, &os_release);
        if (r < 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                       "Directory '%s' doesn't look like an OS tree: neither /etc/os-release nor "
                                       "/usr/lib/os-release is there.",
                                       root);

        if (c->parameters && path_is_absolute(c->parameters[0]))
                init = c->parameters[0];
        r = image_check_executable(root_fd, init);
        if (r == -ENOENT)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "Directory '%s' has no %s to boot.", root, init);
        if (r < 0)
                return log_error_errno(r, "Directory '%s' has no executable %s to boot: %m", root, init);
        return 0;
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

/* The machine's UUID: --uuid, else the tree's machine ID, else new. An
 * empty machine-id in the tree gets one bound over it, never written. */
static int pick_uuid(const BootConfig *c, MachineFacts *f) {
        bool present = false;
        Id128 tree_id = {};
        int r;

        r = read_tree_machine_id(f->root_fd, &present, &tree_id);
        if (c->set_by & SETTING_UUID)
                f->uuid = c->uuid;
        else if (r > 0)
                f->uuid = tree_id;
        else if (id128_randomize(&f->uuid) < 0)
                return log_error_errno(errno, "Failed to generate a UUID: %m");
        f->bind_machine_id = present && r <= 0;
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
        _cleanup_(machine_facts_done) MachineFacts f = { .root_fd = -EBADF, .supervisor_pidfd = -EBADF };
        int r;

        f.root_fd = open(id->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f.root_fd < 0)
                return log_error_errno(errno, "Failed to open directory '%s': %m", id->root);

        r = check_tree(c, id->root, f.root_fd);
        if (r >= 0)
                r = check_options(c);
        if (r >= 0)
                r = pick_uuid(c, &f);
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
        f = (MachineFacts) { .root_fd = -EBADF, .supervisor_pidfd = -EBADF };
        return 0;
}
