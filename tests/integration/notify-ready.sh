#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --notify-ready: with yes, the supervisor tells its own service manager
# READY=1 once the machine's init did (and not before); with no (the
# default), as soon as init is started, even by an init that never says so.
. "$(dirname "$0")/lib.sh"

# listen NAME: a NOTIFY_SOCKET in $WORK/NAME.sock logging to $WORK/NAME.log
listen() {
        python3 "$BERTH_SRC/tests/integration/notify-listener.py" "$WORK/$1.sock" "$WORK/$1.log" "$1" &
        HELPERS+=($!)
        LISTENER=$!
        for ((i = 0; i < 100; i++)); do
                [[ -e $WORK/$1.log.ready ]] && return 0
                sleep 0.05
        done
        fail "the notify listener did not start"
}

listen ready
NOTIFY_SOCKET=$WORK/ready.sock start_machine ready -x --notify-ready=yes
wait_running ready
for ((i = 0; i < 100; i++)); do
        grep -q READY=1 "$WORK/ready.log" 2>/dev/null && break
        sleep 0.05
done
check "--notify-ready=yes: READY=1 arrived" grep -q 'READY=1' "$WORK/ready.log"
check "… once the machine was running (record said: $(cut -d'|' -f2 "$WORK/ready.log" | head -1))" \
        grep -q 'READY=1.*|running$' "$WORK/ready.log"
check "… and not before" not grep -q 'READY=1.*|starting$' "$WORK/ready.log"
"$BERTH" poweroff ready
wait_supervisor ready
kill "$LISTENER"

# An init that never sends READY=1: /bin/sleep.
listen silent
NOTIFY_SOCKET=$WORK/silent.sock start_machine silent -x --notify-ready=yes -- /bin/sleep 600
wait_state silent starting
sleep 1
"$BERTH" terminate silent
wait_supervisor silent
check "--notify-ready=yes with an init that never is ready: no READY=1" not grep -qs 'READY=1' "$WORK/silent.log"
kill "$LISTENER"

listen eager
NOTIFY_SOCKET=$WORK/eager.sock start_machine eager -x -- /bin/sleep 600
for ((i = 0; i < 200; i++)); do
        grep -q READY=1 "$WORK/eager.log" 2>/dev/null && break
        sleep 0.05
done
check "--notify-ready=no (default): READY=1 as soon as init runs, even one that never says so" \
        grep -q 'READY=1' "$WORK/eager.log"
"$BERTH" terminate eager
wait_supervisor eager
kill "$LISTENER"
