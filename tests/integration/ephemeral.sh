#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --ephemeral: the tree is the read-only lower layer of an overlay whose
# upper layer is a tmpfs gone with the machine. Writes don't reach the tree;
# the tree is not even locked exclusively.
. "$(dirname "$0")/lib.sh"

snapshot() {
        # what a machine could change: names, sizes, owners, modes
        find "$TREE" -xdev -printf '%p %s %u %g %m\n' | sort | sha256sum
}
before=$(snapshot)

start_machine eph -x
wait_running eph
in_machine eph sh -c 'echo x > /etc/written-inside && rm /etc/hostname 2>/dev/null; rm -f /etc/os-release; mkdir /root/newdir'
check "the machine sees its own writes" in_machine eph test -e /etc/written-inside
check "the root is an overlay" test "$(in_machine eph stat -fc %T /)" = overlayfs
check "files keep the machine's owners" test "$(in_machine eph stat -c %U /etc/passwd)" = root
check "new files are the machine root's" test "$(in_machine eph stat -c %U /root/newdir)" = root
check "the tree is locked shared, not exclusively" \
        test "$(flock -n -s "$(dirname "$TREE")/.#$(basename "$TREE").lck" -c 'echo shared-ok')" = shared-ok
"$BERTH" poweroff eph
wait_supervisor eph
check "exit status 0 (got $RC)" test "$RC" = 0

check "nothing reached the tree" test "$(snapshot)" = "$before"
check "no upper layer or scratch directory is left" test -z "$(find /var/tmp /tmp -maxdepth 1 -name '*eph*' -newer "$WORK/leaks.before" 2>/dev/null)"
