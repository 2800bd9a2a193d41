#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A SIGKILLed supervisor takes its machine down with it, and the next berth
# command (berth list) removes what it left: record, locks, cgroup.
. "$(dirname "$0")/lib.sh"

start_machine victim -x
wait_running victim
leader=$(leader_of victim)
sup=${SUPERVISOR[victim]}
scope=$CGROUP_UNIFIED/machine.slice/machine-victim.scope
# procs_in DIR: the PIDs in the cgroup DIR and below (fails if DIR is missing).
procs_in() {
        [[ -d $1 ]] && find "$1" -name cgroup.procs -exec cat {} +
}
check "before: the machine's init is in its cgroup" grep -qx "$leader" <(procs_in "$scope/payload")

kill -KILL "$sup"
wait "$sup" || true
wait_dead "$leader"
check "the machine's init died with its supervisor" not kill -0 "$leader" 2>/dev/null
check "its cgroup is still there: nobody has cleaned up yet" test -d "$scope/payload"
procs=$(procs_in "$scope")
check "no process is left in the machine's cgroup (${procs//$'\n'/ })" test -z "$procs"
check "the stale record is still there before any berth command" test -e /run/berth/machines/victim

check "berth list does not show the dead machine" test -z "$(machine_field victim machine)"
check "… and removed its record" test ! -e /run/berth/machines/victim
check "… its name lock" test ! -e /run/berth/machines/.#victim.lck
check "… and its cgroup" test ! -e "$CGROUP_UNIFIED/machine.slice/machine-victim.scope"
# lib.sh's leak check verifies that nothing else is left.
