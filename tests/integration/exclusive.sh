#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One owner per tree and per name: a second boot of the same tree, or of the
# same name, is refused with one clear line while the first keeps running.
. "$(dirname "$0")/lib.sh"

tree=$(copy_tree excl)
start_machine first -D "$tree"
wait_running first

rc=0; out=$("$BERTH" boot -q -D "$tree" -M second </dev/null 2>&1) || rc=$?
check "a second boot of the same tree fails with 1 (got $rc)" test "$rc" = 1
check "… with one line: $out" test "$(wc -l <<<"$out")" = 1
check "… saying the directory is in use" grep -q "^berth: Directory '.*' is in use by another machine" <<<"$out"

rc=0; out=$("$BERTH" boot -q -x -D "$TREE" -M first </dev/null 2>&1) || rc=$?
check "a second machine of the same name fails with 1 (got $rc)" test "$rc" = 1
check "… saying it is already running: $out" grep -qx "berth: Machine 'first' is already running." <<<"$out"

rc=0; "$BERTH" run -q -x -D "$tree" true || rc=$?
check "an ephemeral machine of a tree in use by a writer is refused too (got $rc)" test "$rc" = 1

check "the first machine still runs" test "$(in_machine first systemctl is-system-running)" = running
"$BERTH" poweroff first
wait_supervisor first
check "the first machine exits 0 (got $RC)" test "$RC" = 0

# Now two ephemeral machines of the same tree may run at once.
start_machine eph1 -x -D "$tree"
start_machine eph2 -x -D "$tree"
wait_state eph1 running
wait_state eph2 running
rc=0; "$BERTH" run -q -D "$tree" true || rc=$?
check "a writer is refused while ephemeral machines use the tree (got $rc)" test "$rc" = 1
"$BERTH" poweroff eph1 eph2
wait_supervisor eph1
wait_supervisor eph2
