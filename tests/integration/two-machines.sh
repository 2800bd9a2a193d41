#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Two machines of one tree at once (both ephemeral): both boot, and their
# UID ranges don't overlap; each has a lock on its range.
. "$(dirname "$0")/lib.sh"

start_machine one -x
start_machine two -x
wait_running one
wait_running two

read -r _ base1 count1 < <(in_machine one cat /proc/1/uid_map)
read -r _ base2 count2 < <(in_machine two cat /proc/1/uid_map)
check "ranges differ ($base1, $base2)" test "$base1" != "$base2"
check "ranges are disjoint" test $((base1 + count1 <= base2 || base2 + count2 <= base1)) = 1
check "each range is locked" test -e "/run/berth/uid-range/$base1" -a -e "/run/berth/uid-range/$base2"
check "both listed as running" test "$("$BERTH" list --json | python3 -c 'import json,sys; print(sorted(m["machine"] for m in json.load(sys.stdin) if m["state"] == "running"))')" = "['one', 'two']"

"$BERTH" poweroff one two
wait_supervisor one
check "one exits 0 (got $RC)" test "$RC" = 0
wait_supervisor two
check "two exits 0 (got $RC)" test "$RC" = 0
