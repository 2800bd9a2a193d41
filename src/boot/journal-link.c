/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* --link-journal=: the machine's persistent journal, /var/log/journal/ID
 * (ID the machine's ID), made visible to the host's journalctl, as
 * systemd-nspawn does it:
 *
 *   host   the directory lives on the host and is bind-mounted into the
 *          machine (idmapped onto the machine's root in a user namespace);
 *   guest  it lives in the tree, and the host gets a symlink to it;
 *   auto   a host directory that already exists is bound, else nothing;
 *   try-*  as host or guest, skipped with a debug line where impossible.
 *
 * What is made here stays after the machine, on purpose: it is where the
 * machine's logs are read from later (`journalctl -D`, `journalctl -m`).
 * An ephemeral machine's journal goes with it, so nothing is linked then. */

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal-link.h"
#include "chase.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "path-util.h"
#include "string-util.h"

#define HOST_JOURNAL_DIR "/var/log/journal"

/* The journal directory inside the tree, owned by the machine's root. */
static int make_guest_dir(const JournalLink *j, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        uid_t owner = j->users->ownership == OWNERSHIP_CHOWN ? j->users->uid_base : 0;
        int r;

        r = mkdir_p_in_root(j->root_fd, path, 0755, &fd);
        if (r < 0)
                return r;
        /* O_PATH: fchownat() on it, not fchown(). */
        if (fchownat(fd, "", owner, owner, AT_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

static int link_guest(const JournalLink *j, const char *host_path, const char *tree_path, bool try) {
        _cleanup_free_ char *target = path_join(j->root, tree_path);
        char old[PATH_MAX];
        struct stat st;
        int r;

        if (!target)
                return log_oom();

        if (lstat(host_path, &st) >= 0) {
                if (S_ISLNK(st.st_mode)) {
                        ssize_t n = readlink(host_path, old, sizeof old - 1);
                        if (n >= 0 && (old[n] = '\0', streq(old, target)))
                                goto made;
                        if (unlink(host_path) < 0)
                                return log_error_errno(errno, "Failed to remove symlink %s: %m", host_path);
                } else if (!S_ISDIR(st.st_mode) || rmdir(host_path) < 0) {
                        if (try) {
                                log_debug("%s is in the way, not linking the journal.", host_path);
                                return 0;
                        }
                        return log_error_errno(S_ISDIR(st.st_mode) ? errno : EEXIST,
                                               "Failed to link the machine's journal: %s is in the way: %m", host_path);
                }
        }

        if (symlink(target, host_path) < 0) {
                if (try) {
                        log_debug_errno(errno, "Failed to symlink %s, not linking the journal: %m", host_path);
                        return 0;
                }
                return log_error_errno(errno, "Failed to symlink %s to %s: %m", host_path, target);
        }
made:
        r = make_guest_dir(j, tree_path);
        if (r < 0)
                log_warning_errno(r, "Failed to create %s in the machine's tree: %m", tree_path);
        return 0;
}

static int bind_host(const JournalLink *j, const char *host_path, const char *tree_path, bool try, CustomMount *ret) {
        LinkJournal mode = j->mode;
        struct stat st;
        int r;

        if (mode != LINK_JOURNAL_AUTO && mkdir(host_path, 0755) < 0 && errno != EEXIST) {
                /* Parents are not made: a host without a persistent journal
                 * doesn't get one for a machine's sake. */
                if (try) {
                        log_debug_errno(errno, "Failed to create %s, not linking the journal: %m", host_path);
                        return 0;
                }
                return log_error_errno(errno, "Failed to create %s: %m", host_path);
        }
        if (lstat(host_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
                if (mode == LINK_JOURNAL_AUTO)
                        return 0;
                if (try) {
                        log_debug("%s is not a directory, not linking the journal.", host_path);
                        return 0;
                }
                return log_error_errno(SYNTHETIC_ERRNO(ENOTDIR),
                                       "Failed to link the machine's journal: %s is not "
                                       "a directory.",
                                       host_path);
        }

        r = make_guest_dir(j, tree_path);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s in the machine's tree: %m", tree_path);

        *ret = (CustomMount) {
                .type = CUSTOM_MOUNT_BIND,
                .source = strdup(host_path),
                .destination = strdup(tree_path),
                .idmap = j->users->uid_count > 0,
        };
        if (!ret->source || !ret->destination)
                return log_oom();
        return 0;
}

int machine_link_journal(const JournalLink *j, CustomMount *ret) {
        LinkJournal mode = j->mode;
        char id[ID128_STRING_MAX];
        _cleanup_free_ char *host_path = NULL, *tree_path = NULL;
        _cleanup_free_ char *host_id = NULL;
        bool guest = mode == LINK_JOURNAL_GUEST || mode == LINK_JOURNAL_TRY_GUEST;
        bool try = mode != LINK_JOURNAL_HOST && mode != LINK_JOURNAL_GUEST;
        Id128 h;

        if (mode == LINK_JOURNAL_NO || j->ephemeral)
                return 0;

        /* A machine that shares the host's ID would share its journal. */
        if (read_full_file("/etc/machine-id", &host_id, NULL) >= 0 &&
            id128_from_string(strstrip_trailing(host_id), &h) >= 0 && id128_equal(h, j->uuid)) {
                if (try) {
                        log_warning("The machine has the host's machine ID: not linking its journal.");
                        return 0;
                }
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST),
                                       "The machine has the host's machine ID: refusing to link its journal.");
        }

        host_path = path_join(HOST_JOURNAL_DIR, id128_to_string(j->uuid, id));
        tree_path = strdup(host_path);
        if (!host_path || !tree_path)
                return log_oom();

        if (guest)
                return link_guest(j, host_path, tree_path, try);
        return bind_host(j, host_path, tree_path, try, ret);
}
