#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A SIGKILLed supervisor takes its machine down with it, and the next berth
# command (berth list) removes what it left: record, locks, cgroup.
. "$(dirname "$0")/lib.sh"

start_machine victim -x
wait_running victim
leader=$(leader_of victim)
sup=${SUPERVISOR[victim]}

kill -KILL "$sup"
wait "$sup" || true
for ((i = 0; i < 300; i++)); do
        kill -0 "$leader" 2>/dev/null || break
        sleep 0.1
done
check "the machine's init died with its supervisor" not kill -0 "$leader" 2>/dev/null
check "no process is left in the machine's cgroup" \
        test -z "$(cat "$CGROUP_UNIFIED/machine.slice/machine-victim.scope/payload/cgroup.procs" 2>/dev/null; \
                   find "$CGROUP_UNIFIED/machine.slice/machine-victim.scope" -name cgroup.procs -exec cat {} + 2>/dev/null)"
check "the stale record is still there before any berth command" test -e /run/berth/machines/victim

check "berth list does not show the dead machine" test -z "$(machine_field victim machine)"
check "… and removed its record" test ! -e /run/berth/machines/victim
check "… its name lock" test ! -e /run/berth/machines/.#victim.lck
check "… and its cgroup" test ! -e "$CGROUP_UNIFIED/machine.slice/machine-victim.scope"
# lib.sh's leak check verifies that nothing else is left.
