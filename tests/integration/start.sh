#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth start: a machine of the image store booted in the background under a
# detached supervisor (no systemd as PID 1 here), its console in
# /var/log/berth/NAME.log. Returns once it runs; with --wait-ready once its
# init is ready. Starting a running machine does nothing; an unknown image
# fails.
. "$(dirname "$0")/lib.sh"

tree=$(copy_tree image)
name=st-$$
ln -s "$tree" "/var/lib/machines/$name"
on_exit "rm -f /var/lib/machines/$name /var/log/berth/$name.log"

check "berth start returns 0" "$BERTH" start "$name"
state=$(machine_field "$name" state)
check "… with the machine up (state: $state)" grep -Eq '^(starting|running)$' <<<"$state"
sup=$(awk -F= '$1 == "SUPERVISOR" { print $2 }' "/run/berth/machines/$name")
check "… under a supervisor of its own session, not ours" test "$(ps -o sid= -p "$sup" | tr -d ' ')" = "$sup"
check "… whose stdin is /dev/null" test "$(readlink "/proc/$sup/fd/0")" = /dev/null
check "… and whose output goes to /var/log/berth/$name.log" test "$(readlink "/proc/$sup/fd/1")" = "/var/log/berth/$name.log"
check "berth wait --for=running right after berth start" "$BERTH" wait "$name" --for=running --timeout=300
check "… then the machine is running (READY=1 from its init)" test "$(machine_field "$name" state)" = running
check "the log holds the machine's console" grep -q "Reached target.*Multi-User" "/var/log/berth/$name.log"
check "starting it again does nothing" "$BERTH" start "$name"
check "… it is still the same supervisor" test "$(awk -F= '$1 == "SUPERVISOR" { print $2 }' "/run/berth/machines/$name")" = "$sup"
"$BERTH" poweroff "$name"
check "berth wait --for=stopped after a poweroff" "$BERTH" wait "$name" --for=stopped --timeout=300
check "… then the machine is gone" test -z "$(machine_field "$name" machine)"

check "berth start --wait-ready returns 0" "$BERTH" start --wait-ready "$name"
check "… once the machine is running (READY=1 from its init)" test "$(machine_field "$name" state)" = running
"$BERTH" poweroff "$name"
wait_gone "$name"

rc=0; out=$("$BERTH" start "nosuch-$$" 2>&1) || rc=$?
check "an unknown image fails with 1 (got $rc)" test "$rc" = 1
check "… saying so: $out" grep -q "^berth: Failed to find image 'nosuch-$$': No such file or directory" <<<"$out"

rc=0; out=$("$BERTH" start ../x 2>&1) || rc=$?
check "an invalid name fails with 1 (got $rc)" test "$rc" = 1
