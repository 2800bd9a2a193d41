#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stopping a machine from the host: SIGTERM to the supervisor powers it off
# (exit 0); a second SIGTERM kills it; `berth terminate` kills it now;
# --timeout kills it and exits 1; `berth poweroff` of a `berth run` machine.
. "$(dirname "$0")/lib.sh"

start_machine term -x
wait_running term
kill -TERM "${SUPERVISOR[term]}"
wait_supervisor term
check "SIGTERM powers the machine off cleanly: exit 0 (got $RC)" test "$RC" = 0
check "… through a real shutdown" grep -q "Powering off" "$WORK/term.console"

# An init that ignores the poweroff request: /bin/sleep as PID 1.
start_machine stubborn -x -- /bin/sleep 600
wait_state stubborn starting
kill -TERM "${SUPERVISOR[stubborn]}"
sleep 0.5
check "an init that ignores the request keeps running after one SIGTERM" kill -0 "$(leader_of stubborn)"
kill -TERM "${SUPERVISOR[stubborn]}"
wait_supervisor stubborn
check "a second SIGTERM kills it: init died of SIGKILL, exit 137 (got $RC)" test "$RC" = 137

start_machine killme -x
wait_running killme
"$BERTH" terminate killme
wait_supervisor killme
check "berth terminate kills the machine: exit 137 (got $RC)" test "$RC" = 137
check "… and it is gone" test -z "$(machine_field killme machine)"

rc=0; out=$("$BERTH" boot -q -x -D "$TREE" -M slow --console=passive --timeout=2s -- /bin/sleep 600 </dev/null 2>&1) || rc=$?
check "boot --timeout kills the machine and exits 1 (got $rc)" test "$rc" = 1
check "… saying so: $out" grep -q "Machine 'slow' timed out after 2" <<<"$out"

"$BERTH" run -q -x -D "$TREE" -M runner sleep 600 </dev/null &
runner=$!
STARTED+=("$runner")
for ((i = 0; i < 300; i++)); do
        [[ $(machine_field runner state) == running ]] && break
        sleep 0.1
done
"$BERTH" poweroff runner
rc=0; wait "$runner" || rc=$?
check "berth poweroff stops a berth run machine (its command dies of SIGKILL: 137, got $rc)" test "$rc" = 137

"$BERTH" run -q -x -D "$TREE" -M runner2 -a sh -c 'trap "exit 3" TERM; sleep 600 & wait' </dev/null &
runner=$!
STARTED+=("$runner")
for ((i = 0; i < 300; i++)); do
        [[ $(machine_field runner2 state) == running ]] && break
        sleep 0.1
done
sleep 0.3
kill -TERM "$runner"
rc=0; wait "$runner" || rc=$?
check "SIGTERM to berth run --as-pid2 reaches the command, whose status is returned (3, got $rc)" test "$rc" = 3
