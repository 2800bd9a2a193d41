#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Registration with the real systemd-machined on a private system bus: the
# machine as machinectl, busctl, systemctl -M, systemd-run -M and
# journalctl -M see it; machinectl poweroff/reboot/kill act on it as berth's
# own verbs do; it is forgotten when it stops (also when its supervisor was
# SIGKILLed); machined restarting does not hurt it; --register=yes/no/auto.
. "$(dirname "$0")/lib.sh"

start_machined

machined_has() {
        busctl --system call org.freedesktop.machine1 /org/freedesktop/machine1 \
                org.freedesktop.machine1.Manager ListMachines | grep -q "\"$1\""
}
machine_prop() {
        busctl --system get-property org.freedesktop.machine1 "/org/freedesktop/machine1/machine/$1" \
                org.freedesktop.machine1.Machine "$2"
}

start_machine reg -x
wait_running reg
leader=$(leader_of reg)

check "machined knows the machine" machined_has reg
check "machinectl list: class container, service berth" grep -Eq '^reg +container +berth ' <(machinectl list --no-legend)
status=$(machinectl status reg --no-pager 2>/dev/null || true)
check "machinectl status: its leader is the machine's init ($leader)" grep -q "Leader: $leader " <<<"$status"
check "machinectl status: the machine's OS" grep -q "OS: Debian GNU/Linux 12" <<<"$status"
check "machinectl show: Unit is machine-reg.scope" test "$(machinectl show reg -p Unit --value)" = machine-reg.scope
check "busctl: Class is container" test "$(machine_prop reg Class)" = 's "container"'
check "busctl: Service is berth" test "$(machine_prop reg Service)" = 's "berth"'
check "busctl: Leader is the machine's init" test "$(machine_prop reg Leader)" = "u $leader"
check "busctl: RootDirectory is the tree" test "$(machine_prop reg RootDirectory)" = "s \"$TREE\""
uuid=$(in_machine reg cat /etc/machine-id)
id=$(machine_prop reg Id | python3 -c 'import sys; print("".join("%02x" % int(b) for b in sys.stdin.read().split()[2:]))')
check "busctl: Id is the machine's UUID, its machine-id ($id)" test "$id" = "$uuid"
check "systemctl -M: is-system-running says running" test "$(systemctl -M reg is-system-running)" = running
check "systemd-run -M runs a unit in the machine" systemd-run -M reg --wait -q -- /bin/true
check "journalctl -M reads the machine's journal" grep -q "Reached target.*Multi-User" <(journalctl -M reg -b --no-pager 2>/dev/null)
check "machinectl shell runs a command in it" machinectl shell reg /bin/true
check "berth records the registration" grep -qx REGISTERED=yes /run/berth/machines/reg

# machined going away and coming back doesn't hurt the machine.
kill -TERM "$MACHINED"
wait "$MACHINED" 2>/dev/null || true
check "with machined gone the machine still runs" test "$(in_machine reg systemctl is-system-running)" = running
/lib/systemd/systemd-machined &
MACHINED=$!
HELPERS+=("$MACHINED")
for ((i = 0; i < 100; i++)); do
        busctl --system status org.freedesktop.machine1 >/dev/null 2>&1 && break
        sleep 0.05
done
check "a restarted machined still knows the machine" machined_has reg

machinectl poweroff reg
wait_supervisor reg
check "machinectl poweroff: exit 0, as berth poweroff (got $RC)" test "$RC" = 0
check "… and machined forgot it" not machined_has reg
check "… machinectl list doesn't show it" not grep -q '^reg ' <(machinectl list --no-legend)

start_machine reb -x
wait_running reb
machinectl reboot reb
wait_supervisor reb
check "machinectl reboot: exit 133, as a reboot inside (got $RC)" test "$RC" = 133
check "… and machined forgot it" not machined_has reb

start_machine kil -x
wait_running kil
machinectl kill kil --kill-whom=leader --signal=SIGKILL
wait_supervisor kil
check "machinectl kill --signal=SIGKILL of the leader: init died of SIGKILL, exit 137 (got $RC)" test "$RC" = 137
check "… and machined forgot it" not machined_has kil

start_machine dead -x
wait_running dead
kill -KILL "${SUPERVISOR[dead]}"
wait "${SUPERVISOR[dead]}" || true
"$BERTH" list >/dev/null
check "a SIGKILLed supervisor's machine is unregistered by the next berth list" not machined_has dead

start_machine noreg -x --register=no
wait_running noreg
check "--register=no: machined doesn't know it" not machined_has noreg
"$BERTH" poweroff noreg
wait_supervisor noreg

# A machined that doesn't answer (stopped) holds no machine back: the
# machine runs and can be entered while machined is stopped, and is
# registered once it answers.
kill -STOP "$MACHINED"
on_exit "kill -CONT $MACHINED 2>/dev/null"
start_machine stall -x
wait_state stall running
check "with machined stopped, the machine runs and berth shell enters it" \
        test "$("$BERTH" shell stall -- hostname </dev/null)" = stall
check "… not registered yet: machined is stopped" test "$(sed -n 's/^REGISTERED=//p' /run/berth/machines/stall)" = no
kill -CONT "$MACHINED"
for ((i = 0; i < 300; i++)); do
        machined_has stall && break
        sleep 0.1
done
check "… and once machined answers, it is registered" machined_has stall
check "… which the record says" test "$(sed -n 's/^REGISTERED=//p' /run/berth/machines/stall)" = yes
"$BERTH" poweroff stall
wait_supervisor stall
check "… and forgotten when it stops" not machined_has stall

# Machines that end before machined has answered: each is unregistered all
# the same (the supervisor waits for the answer), and says nothing of it.
out=$(for i in $(seq 10); do "$BERTH" run -q -x -D "$TREE" -M "quick$i" -- true; done 2>&1)
check "10 quick runs print nothing: $out" test -z "$out"
for i in $(seq 10); do
        check "… quick$i is not left registered" not machined_has "quick$i"
done

kill -TERM "$MACHINED"
wait "$MACHINED" 2>/dev/null || true
rc=0; out=$("$BERTH" run -q -x -D "$TREE" -M yesreg --register=yes true 2>&1) || rc=$?
check "--register=yes without machined fails with 1 (got $rc)" test "$rc" = 1
check "… saying so: $out" grep -q "systemd-machined is not on the system bus" <<<"$out"
check "--register=auto without machined runs" "$BERTH" run -q -x -D "$TREE" -M autoreg --register=auto true
unset DBUS_SYSTEM_BUS_ADDRESS
check "--register=auto without a system bus at all runs" env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent "$BERTH" run -q -x -D "$TREE" -M nobus true
