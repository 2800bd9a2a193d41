#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cgroup controllers beyond the limits of limits.sh, on a real booted
# machine: AllowedCPUs= keeps a busy loop inside on one CPU and
# set-property moves it; IOWriteBandwidthMax= holds O_DIRECT writes near the
# limit; berth freeze stops every process of it (a counter inside stops
# advancing, read from the host through the machine's own file) and berth
# thaw lets them go on; list and status say "frozen"; a shell into a frozen
# machine fails at once; berth stats (and show) count what a workload inside
# used; stopping a frozen machine works and leaves nothing; bad values fail
# before anything is made.
. "$(dirname "$0")/lib.sh"

# The machine's counter file, read from the host.
counter() {
        cat "/proc/$(leader_of ctl)/root/run/counter" 2>/dev/null || echo 0
}

# figure NAME KEY: one figure of `berth stats --json NAME`.
figure() {
        "$BERTH" stats --json "$1" | python3 -c '
import json, sys
[m] = json.load(sys.stdin)
v = m[sys.argv[1]]
print("null" if v is None else v)' "$2"
}

# The host PIDs of a unit's processes inside the machine.
unit_pids() {
        cat "$CGROUP_UNIFIED$(sed -n 's/^CGROUP=//p' /run/berth/machines/ctl)/payload/system.slice/$1/cgroup.procs"
}

# cpus_of PID: its allowed CPUs, and the CPU it last ran on.
allowed() { sed -n 's/^Cpus_allowed_list:\t//p' "/proc/$1/status"; }
last_cpu() { awk '{ print $39 }' "/proc/$1/stat"; }

# A host directory on a real block device (the machine's own upper layer is
# on tmpfs), written by the machine's root: $WORK's, or a loop-backed file
# system's where $WORK has no block device of its own.
IODIR=$WORK/io
mkdir "$IODIR"
if (($(stat -c %d "$IODIR") >> 8 == 0)); then
        truncate -s 512M "$WORK/io.img"
        mkfs.ext4 -q "$WORK/io.img"
        LOOPDEV=$(losetup -f --show "$WORK/io.img")
        on_exit "umount '$IODIR' 2>/dev/null; losetup -d '$LOOPDEV'"
        mount "$LOOPDEV" "$IODIR"
fi
LIMIT=10000000 # bytes per second
start_machine ctl -x --bind="$IODIR:/io" --property=AllowedCPUs=0 --property="IOWriteBandwidthMax=$IODIR 10M"

# A second machine with a link of its own, in a network namespace of the
# test's (its host side ve-ctlnet is there, not in the host's).
NETNS=/run/netns
NS=berth-ctl-$$
netns_mounted=no
mountpoint -q "$NETNS" && netns_mounted=yes
net_teardown() {
        [[ -e $NETNS/$NS ]] && ip netns delete "$NS"
        if [[ $netns_mounted == no ]] && mountpoint -q "$NETNS" && [[ -z $(ls -A "$NETNS") ]]; then
                umount "$NETNS"
        fi
        return 0
}
on_exit net_teardown
ip netns add "$NS"
nsenter --net="$NETNS/$NS" "$BERTH" boot -M ctlnet -D "$TREE" -x --network-veth --console=read-only \
        </dev/null >"$WORK/ctlnet.console" 2>"$WORK/ctlnet.stderr" &
SUPERVISOR[ctlnet]=$!
STARTED+=($!)

wait_running ctl
chown "$("$BERTH" show ctl -p UIDShift --value)" "$IODIR"

# --- AllowedCPUs= ---------------------------------------------------------------------
check "show reads AllowedCPUs=0 back" test "$("$BERTH" show ctl -p AllowedCPUs --value)" = 0
"$BERTH" shell ctl /usr/bin/systemd-run -q --unit=spin /bin/sh -c 'while :; do :; done'
spin=$(unit_pids spin.service)
check "a busy loop inside may run on CPU 0 only ($(allowed "$spin"))" test "$(allowed "$spin")" = 0
cpus=$(for _ in 1 2 3 4 5 6 7 8 9 10; do last_cpu "$spin"; sleep 0.05; done | sort -u | tr '\n' ' ')
check "… and runs there ($cpus)" test "$cpus" = "0 "
"$BERTH" set-property ctl AllowedCPUs=1
check "set-property AllowedCPUs=1 moves it ($(allowed "$spin"))" test "$(allowed "$spin")" = 1
for ((i = 0; i < 100; i++)); do
        [[ $(last_cpu "$spin") == 1 ]] && break
        sleep 0.05
done
check "… and it runs on CPU 1 ($(last_cpu "$spin"))" test "$(last_cpu "$spin")" = 1
check "… as show says" test "$("$BERTH" show ctl -p AllowedCPUs --value)" = 1
"$BERTH" shell ctl /bin/systemctl stop spin.service
rc=0; out=$("$BERTH" set-property ctl AllowedCPUs=99 2>&1) || rc=$?
check "set-property AllowedCPUs=99 on $(nproc) CPUs exits 2 (got $rc): $out" test "$rc" = 2
check "… with one line, and changes nothing" \
        test "$(wc -l <<<"$out"):$("$BERTH" show ctl -p AllowedCPUs --value)" = 1:1

# --- IOWriteBandwidthMax= --------------------------------------------------------------
check "show reads IOWriteBandwidthMax back" \
        grep -qE "^IOWriteBandwidthMax=[0-9]+:[0-9]+ $LIMIT\$" <<<"$("$BERTH" show ctl -p IOWriteBandwidthMax)"
w0=$("$BERTH" stats --json ctl | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["io_write_bytes"])')
"$BERTH" shell ctl /usr/bin/timeout 3 /bin/dd if=/dev/zero of=/io/file bs=1M count=300 oflag=direct \
        </dev/null 2>/dev/null || true
written=$(stat -c %s "$IODIR/file")
# 3 s at 10 MB/s is 30 MB; unlimited, the 300 MB would be written at once.
check "O_DIRECT writes for 3 s under IOWriteBandwidthMax=10M: $((written >> 20)) MB, near 30 MB" \
        test "$written" -ge $((LIMIT / 2)) -a "$written" -le $((LIMIT * 6))
w1=$("$BERTH" stats --json ctl | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["io_write_bytes"])')
check "stats counts them as block I/O written ($(((w1 - w0) >> 20)) MB)" test $((w1 - w0)) -ge "$written"
rm -f "$IODIR/file"
# shellcheck disable=SC2016 # expanded by the machine's shell
"$BERTH" shell ctl /usr/bin/systemd-run -q --unit=counter /bin/sh -c \
        'i=0; while :; do i=$((i + 1)); echo $i >/run/counter.new; mv /run/counter.new /run/counter; sleep 0.02; done'
for ((i = 0; i < 200; i++)); do
        (($(counter) > 5)) && break
        sleep 0.05
done
check "the counter inside runs ($(counter))" test "$(counter)" -gt 5

# --- freeze and thaw ---------------------------------------------------------------
"$BERTH" freeze ctl
c1=$(counter)
sleep 1
c2=$(counter)
check "frozen, the counter stands still ($c1 → $c2)" test "$c1" = "$c2"
check "list says frozen" test "$(machine_field ctl state)" = frozen
check "status says frozen" grep -qE '^ *State: frozen$' <<<"$("$BERTH" status ctl)"
check "show says frozen" test "$("$BERTH" show ctl -p State --value)" = frozen
check "stats --json says frozen" test "$(figure ctl state)" = frozen
"$BERTH" freeze ctl
check "freezing a frozen machine again is fine, and it stays frozen" test "$(counter)" = "$c1"

rc=0
out=$(timeout 30 "$BERTH" shell ctl /bin/true 2>&1 </dev/null) || rc=$?
check "a shell into the frozen machine fails (exit 1, got $rc) instead of hanging" test "$rc" = 1
check "… with one line saying so: $out" test "$(wc -l <<<"$out")" = 1 -a -n "$(grep frozen <<<"$out")"

"$BERTH" thaw ctl
for ((i = 0; i < 200; i++)); do
        (($(counter) > c1)) && break
        sleep 0.05
done
check "thawed, the counter goes on from where it was ($c1 → $(counter))" test "$(counter)" -gt "$c1"
check "list says running again" test "$(machine_field ctl state)" = running
check "a shell works again" test "$("$BERTH" shell ctl /bin/echo hello </dev/null)" = hello

bad 1 "freeze of a machine that is not running" freeze no-such-ctl
bad 2 "freeze without a name" freeze
bad 2 "thaw with a bad option" thaw --bogus ctl

# --- stats ---------------------------------------------------------------------------
json=$("$BERTH" stats --json)
check "stats --json without names lists the machine, with numbers" python3 -c '
import json, sys
ms = [m for m in json.loads(sys.argv[1]) if m["machine"] == "ctl"]
assert len(ms) == 1, ms
m = ms[0]
for k in ("cpu_usec", "cpu_user_usec", "cpu_system_usec", "memory_current", "memory_peak", "tasks",
          "io_read_bytes", "io_write_bytes", "io_read_ops", "io_write_ops"):
    assert isinstance(m[k], int), (k, m)
assert m["tasks"] > 1 and m["memory_current"] > 0, m
' "$json"

cpu0=$(figure ctl cpu_usec)
user0=$(figure ctl cpu_user_usec)
"$BERTH" shell ctl /usr/bin/timeout 2 /bin/sh -c 'while :; do :; done' </dev/null || true
cpu1=$(figure ctl cpu_usec)
user1=$(figure ctl cpu_user_usec)
check "a 2 s busy loop inside adds about 2 s of CPU time ($(((cpu1 - cpu0) / 1000)) ms)" \
        test $((cpu1 - cpu0)) -ge 1500000 -a $((cpu1 - cpu0)) -le 4000000
# (The kernel splits it into user and system time by sampling: no exact share.)
check "… user time among it ($(((user1 - user0) / 1000)) ms)" test $((user1 - user0)) -gt 0 -a $((user1 - user0)) -le $((cpu1 - cpu0 + 100000))

peak0=$(figure ctl memory_peak)
"$BERTH" shell ctl /bin/dd if=/dev/zero of=/dev/null bs=200M count=1 </dev/null 2>/dev/null
peak1=$(figure ctl memory_peak)
check "a 200 MB allocation inside raises the memory peak ($((peak0 >> 20))M → $((peak1 >> 20))M)" \
        test "$peak1" -ge $((200 << 20)) -a "$peak0" -lt $((200 << 20))

show=$("$BERTH" show ctl)
check "show has the CPU time: $(grep CPUUsageNSec= <<<"$show")" grep -qE '^CPUUsageNSec=[1-9][0-9]*$' <<<"$show"
check "show has the memory peak" grep -qE '^MemoryPeak=[1-9][0-9]*$' <<<"$show"
check "show has the bytes written" grep -qE '^IOWriteBytes=[1-9][0-9]*$' <<<"$show"
check "stats for people has a row for the machine" grep -q '^ctl ' <<<"$("$BERTH" stats ctl)"
bad 1 "stats of a machine that is not running" stats no-such-ctl

# Network bytes: 10 UDP datagrams of 1000 bytes each way over the machine's
# link (to closed ports: received all the same).
wait_running ctlnet
net() { "$BERTH" stats --json ctlnet | python3 -c 'import json, sys; m = json.load(sys.stdin)[0]; print(m["net_rx_bytes"], m["net_tx_bytes"])'; }
addr=$("$BERTH" show ctlnet -p Addresses --value | tr ' ' '\n' | grep -v : | head -n 1 | cut -d/ -f1)
gw=$("$BERTH" shell ctlnet /usr/sbin/ip -4 route show default </dev/null | awk '{ print $3 }')
[[ -n $addr && -n $gw ]] || fail "no IPv4 address on ctlnet's link ('$addr', gateway '$gw')"
read -r rx0 tx0 < <(net)
nsenter --net="$NETNS/$NS" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(10):
    s.sendto(b"x" * 1000, (sys.argv[1], 9))' "$addr"
# shellcheck disable=SC2016 # expanded by the machine's shell
"$BERTH" shell ctlnet /bin/bash -c 'for i in 1 2 3 4 5 6 7 8 9 10; do head -c 1000 /dev/zero >"/dev/udp/$1/9"; done' \
        - "$gw" </dev/null
read -r rx1 tx1 < <(net)
check "stats: the machine received 10 kB on its link ($rx0 → $rx1 bytes)" test $((rx1 - rx0)) -ge 10000
check "… and sent 10 kB ($tx0 → $tx1 bytes)" test $((tx1 - tx0)) -ge 10000
check "a machine without a link of its own has no network figures" test "$(figure ctl net_rx_bytes)" = null
"$BERTH" stop ctlnet
wait_supervisor ctlnet
check "the machine with a link stops cleanly (got $RC)" test "$RC" = 0

# --- a frozen machine stops ------------------------------------------------------------
"$BERTH" freeze ctl
check "frozen again" test "$(machine_field ctl state)" = frozen
"$BERTH" stop ctl --timeout=60
wait_supervisor ctl
check "stop of a frozen machine powers it off cleanly (got $RC)" test "$RC" = 0

# --- Bad values fail before anything starts -------------------------------------------
for bad in AllowedCPUs=99 AllowedCPUs=1-0 AllowedMemoryNodes=64 "IOWriteBandwidthMax=$IODIR 10X" \
        "IOWriteBandwidthMax=$IODIR" "IOReadIOPSMax=/no/such/path 100" CPUQuotaPeriodSec=5s MemorySwapMax=lots; do
        rc=0; out=$("$BERTH" boot -q -D "$TREE" -M ctl-bad --property="$bad" </dev/null 2>&1) || rc=$?
        check "--property=$bad exits 2 (got $rc)" test "$rc" = 2
        check "… with one line naming it: $out" test "$(wc -l <<<"$out")" = 1 -a -n "$(grep -F -- "$bad" <<<"$out")"
done
