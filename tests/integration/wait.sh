#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth wait: for a machine not there yet, for ready, running, stopped and
# removed; a timeout names the state reached (exit 1); a machine that ends
# while waited for to be ready fails at once; several names; bad usage.
. "$(dirname "$0")/lib.sh"

# Not there yet: waits, then sees it come.
"$BERTH" wait w1 --timeout=600 &
waiter=$!
HELPERS+=("$waiter")
start_machine w1 -x
rc=0
wait "$waiter" || rc=$?
check "wait for a machine started after: 0 (got $rc)" test "$rc" = 0
check "ready means READY=1 was heard" test "$(machine_field w1 state)" = running

rc=0
"$BERTH" wait w1 --for=running --timeout=300 || rc=$?
check "--for=running: 0 (got $rc)" test "$rc" = 0
state=$(in_machine w1 systemctl is-system-running || true)
check "--for=running: systemd says so too ($state)" test "$state" = running

# A timeout: exit 1, one line naming the state reached.
rc=0
out=$("$BERTH" wait w1 --for=stopped --timeout=1 2>&1) || rc=$?
check "a timeout: exit 1 (got $rc)" test "$rc" = 1
check "a timeout names the state ($out)" test "$out" = "berth: Machine 'w1' is not stopped after 1.000s: it is ready."

# stopped, then removed (w1 is of no image).
"$BERTH" wait w1 --for=stopped --timeout=600 &
waiter=$!
"$BERTH" poweroff w1
rc=0
wait "$waiter" || rc=$?
check "--for=stopped: 0 once it powered off (got $rc)" test "$rc" = 0
check "--for=stopped: it is gone from the list" test -z "$(machine_field w1 machine)"
wait_supervisor w1
check "--for=removed of a machine without an image: 0" "$BERTH" wait w1 --for=removed --timeout=5

# An image: removed only once the image is gone too.
cp -a --reflink=auto "$TREE" /var/lib/machines/berth-wait-img
on_exit "rm -rf --one-file-system /var/lib/machines/berth-wait-img"
"$BERTH" wait berth-wait-img --for=removed --timeout=600 &
waiter=$!
sleep 0.5
check "--for=removed waits while the image is there" alive "$waiter"
"$BERTH" remove berth-wait-img
rc=0
wait "$waiter" || rc=$?
check "--for=removed: 0 once the image is removed (got $rc)" test "$rc" = 0

# A machine that ends before it is ready fails at once, whatever the timeout.
printf '#!/bin/sh\nsleep 1\nexit 3\n' >"$WORK/fake-init"
chmod +x "$WORK/fake-init"
start_machine w2 -x --bind-ro="$WORK/fake-init:/sbin/init"
rc=0
out=$("$BERTH" wait w2 --for=running --timeout=600 2>&1) || rc=$?
wait_supervisor w2
check "a machine that ends while waited for: exit 1 (got $rc: $out)" test "$rc" = 1
check "... saying it stopped ($out)" grep -q "stopped before it was running" <<<"$out"

# A SIGKILLed supervisor is seen (pidfd), and its machine cleaned up.
start_machine w3 -x
"$BERTH" wait w3
"$BERTH" wait w3 --for=stopped --timeout=600 &
waiter=$!
kill -KILL "${SUPERVISOR[w3]}"
rc=0
wait "$waiter" || rc=$?
wait_supervisor w3
check "a SIGKILLed supervisor: --for=stopped returns 0 (got $rc)" test "$rc" = 0

# Several names: all of them.
start_machine w4 -x
start_machine w5 -x
rc=0
"$BERTH" wait w4 w5 --for=running --timeout=600 || rc=$?
check "two names: both running (got $rc)" test "$rc" = 0
"$BERTH" poweroff w4 w5
"$BERTH" wait w4 w5 --for=stopped --timeout=600
wait_supervisor w4
wait_supervisor w5

bad 2 "wait without a name" wait
bad 2 "wait --for=bogus" wait --for=bogus x
bad 2 "wait --timeout=soon" wait --timeout=soon x
bad 2 "wait for an invalid name" wait 'a/b'
