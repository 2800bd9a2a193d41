#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boots a Debian tree to multi-user with its own systemd as PID 1 in a user
# namespace, powers it off with `berth poweroff`: exit status 0, and the
# tree was not written where it must not be (machine-id) nor chowned.
. "$(dirname "$0")/lib.sh"

tree=$(copy_tree debian)
start_machine bp -D "$tree"
wait_running bp

check "listed as class container, service berth" \
        test "$(machine_field bp class)/$(machine_field bp service)" = container/berth
check "listed with the tree's OS" test "$(machine_field bp os) $(machine_field bp version)" = "debian 12"

in_machine bp sh -c 'echo inside > /root/made-inside'
"$BERTH" poweroff bp
wait_supervisor bp
check "exit status 0 after poweroff (got $RC)" test "$RC" = 0
check "the console showed the shutdown" grep -q "Powering off" "$WORK/bp.console"
check "machine is gone from the list" test -z "$(machine_field bp machine)"
check "the tree's empty /etc/machine-id was not written" test ! -s "$tree/etc/machine-id"
check "the tree is still owned by 0 on disk (idmapped mount)" test "$(stat -c %u:%g "$tree")" = 0:0
check "a file the machine's root created is owned by 0 on disk" \
        test "$(stat -c %u:%g "$tree/root/made-inside")" = 0:0
