#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A reboot inside the machine ends the supervisor with 133 (so that a unit
# can restart it); a poweroff inside with 0; `systemctl exit 42` with 42.
# With --reboot=loop the machine boots again in the same supervisor: an
# ephemeral one keeps its changes (its overlay), gets a new boot ID and a
# new init, and is registered anew with machined; berth wait follows it; a
# SIGTERM during a reboot stops it; --timeout spans all boots.
. "$(dirname "$0")/lib.sh"

start_machine rb -x
wait_running rb
in_machine rb systemctl reboot
wait_supervisor rb
check "reboot inside gives exit status 133 (got $RC)" test "$RC" = 133

start_machine po -x
wait_running po
in_machine po systemctl poweroff
wait_supervisor po
check "poweroff inside gives exit status 0 (got $RC)" test "$RC" = 0

start_machine ex -x
wait_running ex
in_machine ex systemctl exit 42
wait_supervisor ex
check "'systemctl exit 42' inside gives exit status 42 (got $RC)" test "$RC" = 42

boot_id() {
        in_machine "$1" cat /proc/sys/kernel/random/boot_id
}
# wait_rebooted NAME BOOT-ID: until NAME runs again with another boot ID.
wait_rebooted() {
        local i
        for ((i = 0; i < 1200; i++)); do
                [[ $(boot_id "$1" 2>/dev/null || true) != "$2" ]] && break
                sleep 0.1
        done
        "$BERTH" wait "$1" --for=running --timeout=300
}

# --reboot=loop: twice, from inside and with berth reboot; registered with
# the real systemd-machined each boot, with that boot's init as leader.
start_machined
start_machine lp -x --reboot=loop
"$BERTH" wait lp --for=running --timeout=300
in_machine lp sh -c 'echo kept > /root/kept'
boot1=$(boot_id lp)
leader1=$(leader_of lp)
check "a boot ID of the machine's own, not the host's" test "$boot1" != "$(cat /proc/sys/kernel/random/boot_id)"
in_machine lp systemctl reboot
# The supervisor stays; a new init comes up.
for ((i = 0; i < 1200; i++)); do
        l=$(leader_of lp)
        [[ -n $l && $l != "$leader1" ]] && break
        alive "${SUPERVISOR[lp]}" || fail "the supervisor of lp ended on reboot"
        sleep 0.1
done
"$BERTH" wait lp --for=running --timeout=300
boot2=$(boot_id lp)
check "--reboot=loop: the supervisor is still there" alive "${SUPERVISOR[lp]}"
check "--reboot=loop: a new init ($leader1 -> $(leader_of lp))" test "$(leader_of lp)" != "$leader1"
check "--reboot=loop: a new boot ID" test "$boot2" != "$boot1"
check "--reboot=loop: the ephemeral machine's changes are kept" test "$(in_machine lp cat /root/kept)" = kept
leader2=$(leader_of lp)
for ((i = 0; i < 100; i++)); do
        [[ $(machinectl show lp -p Leader --value 2>/dev/null || true) == "$leader2" ]] && break
        sleep 0.1
done
check "--reboot=loop: machined knows the new init as the leader" test "$(machinectl show lp -p Leader --value)" = "$leader2"
check "--reboot=loop: the payload cgroup is new (only this boot's init.scope)" \
        test "$(find "$CGROUP_UNIFIED/machine.slice/machine-lp.scope/payload" -name init.scope | wc -l)" = 1
"$BERTH" reboot lp
wait_rebooted lp "$boot2"
check "berth reboot with --reboot=loop: booted again, files kept" test "$(in_machine lp cat /root/kept)" = kept
"$BERTH" poweroff lp
wait_supervisor lp
check "--reboot=loop: a poweroff still ends it with 0 (got $RC)" test "$RC" = 0
check "--reboot=loop: unregistered at the end" not machinectl show lp

# Asked to stop (SIGTERM) while it goes down to reboot: it stops, with 0.
start_machine ls -x --reboot=loop
"$BERTH" wait ls --for=running --timeout=300
in_machine ls sh -c 'systemctl reboot; true'
kill -TERM "${SUPERVISOR[ls]}"
wait_supervisor ls
check "--reboot=loop: a SIGTERM during the reboot ends it, with 0 (got $RC)" test "$RC" = 0

# --timeout counts from the first boot, not from each: a machine that
# reboots for ever is still stopped.
start_machine lt -x --reboot=loop --timeout=15 -- systemd.unit=reboot.target
wait_supervisor lt
check "--reboot=loop --timeout: a machine rebooting for ever is stopped, with 1 (got $RC)" test "$RC" = 1
check "… saying it timed out" grep -q "timed out" "$WORK/lt.stderr"

# A disk image with a /usr partition: both overlays (root and /usr) are kept.
mapfile -t images < <("$BERTH_SRC/tests/fixtures/raw-image.sh")
split=${images[3]}
[[ $split == */debian-split.raw ]] || fail "raw-image.sh gave no split image (${images[*]})"
start_machine li -i "$split" -x --reboot=loop
"$BERTH" wait li --for=running --timeout=300
in_machine li sh -c 'echo root > /root/kept; echo usr > /usr/local/kept'
boot1=$(boot_id li)
"$BERTH" reboot li
wait_rebooted li "$boot1"
check "--reboot=loop, disk image: the root overlay is kept" test "$(in_machine li cat /root/kept)" = root
check "--reboot=loop, disk image: the /usr overlay is kept" test "$(in_machine li cat /usr/local/kept)" = usr
"$BERTH" poweroff li
wait_supervisor li
check "--reboot=loop, disk image: poweroff ends it with 0 (got $RC)" test "$RC" = 0
