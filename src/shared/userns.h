/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "lock-util.h"
#include "macro.h"

/* UID ranges: each machine maps its 0…65535 to a 64K range of host IDs that
 * no other machine and no host user or group holds. */

#define UID_RANGE_SIZE UINT32_C(0x10000)
#define UID_RANGE_FIRST UINT32_C(0x00080000) /* 524288 */
#define UID_RANGE_LAST UINT32_C(0x6FFF0000)  /* 1878982656 */

typedef struct UidRangeLookup {
        const char *lock_dir;         /* e.g. /run/berth/uid-range */
        const char *passwd_path;      /* /etc/passwd, or a test's own */
        const char *group_path;       /* /etc/group */
        const char *foreign_lock_dir; /* systemd-nspawn's, checked but never taken; may be NULL */
} UidRangeLookup;

/* The first candidate base for a machine name: a hash of the name, aligned. */
uid_t userns_range_candidate(const char *name) _pure_;

/* Locks the range starting at base: -EBUSY if another machine holds it,
 * -EEXIST if a host user or group (or an nspawn machine) holds an ID in it. */
int userns_lock_range(const UidRangeLookup *l, uid_t base, uid_t count, LockFile *ret);

/* Picks and locks a free 64K range: "preferred" first when it is not
 * UID_INVALID (a tree that remembers its range), then the name's hash
 * candidate, then the following candidates in turn. */
int userns_pick_range(const UidRangeLookup *l, const char *name, uid_t preferred, uid_t *ret_base, LockFile *ret_lock);

/* Creates a user namespace mapping 0…count-1 to base…base+count-1 (both UIDs
 * and GIDs) and returns an fd for it. The namespace is made by a short-lived
 * child: we write its maps as host root, then let it go. It is owned by UID
 * base (not root), so that per-user limits are the machine's own. */
int userns_new(uid_t base, uid_t count, int *ret_fd);
/* The same, and inside UID and GID count stand for host UID and GID extra
 * too: for an idmapped mount that host root writes to as well (a layered
 * image's top, where overlayfs works as the one who mounted it), which
 * would fail (EOVERFLOW) where host root has no ID. */
int userns_new_with_extra(uid_t base, uid_t count, uid_t extra, int *ret_fd);

/* Removes the lock files of ranges nobody holds (left by a supervisor that
 * was killed while picking). */
int userns_gc_range_locks(const char *lock_dir);

#define UID_INVALID ((uid_t) -1)
