#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The network's failures and its scale, in network namespaces of the test's
# own: a "host" namespace where berth runs, with a veth to an "upstream"
# one (192.0.2.1/24 and 2001:db8::1/64 here, .2 and ::2 there, the default
# routes through it). After each case the host namespace's links,
# addresses, routes and nftables ruleset must be as they were before it:
#  1. a missing bridge (and a link that is no bridge) fails clearly;
#  2. a link name that exists already (ve-, vb-, vz-) fails clearly, and the
#     link that was there is still there;
#  3. a zone name too long is bad usage;
#  4. a host port published by another machine, or taken on the loopback by
#     a process of the test, fails clearly and leaves the first machine as it
#     was;
#  5. a supervisor SIGKILLed at random moments of its network's setup leaves
#     nothing once `berth list` has run (also with another machine in the
#     zone, which must not notice);
#  6. 50 quick start/stop cycles leave nothing;
#  7. 20 machines started at once on one zone get addresses of their own,
#     all reach upstream (NAT) and each other, and all go away cleanly.
. "$(dirname "$0")/lib.sh"

command -v nft >/dev/null || skip "nft (nftables) is missing"
command -v gcc >/dev/null || skip "gcc is missing (for the network probe)"

P=nf$$ # the test's names: namespaces, machines, zones
HOST_NS=${P}h
UP_NS=${P}u
NSH=(nsenter --net="/run/netns/$HOST_NS")
NSU=(nsenter --net="/run/netns/$UP_NS")

# `ip netns add` makes /run/netns a mount point of its own when it is none:
# that one goes again with the namespaces (unless others use it by then).
netns_mounted=0
mountpoint -q /run/netns 2>/dev/null && netns_mounted=1
remove_namespaces() {
        ip netns delete "$HOST_NS" 2>/dev/null || true
        ip netns delete "$UP_NS" 2>/dev/null || true
        if ((netns_mounted == 0)); then
                umount /run/netns 2>/dev/null || true
        fi
}
on_exit remove_namespaces

ip netns add "$HOST_NS"
ip netns add "$UP_NS"
for ns in "$HOST_NS" "$UP_NS"; do
        nsenter --net="/run/netns/$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        ip -n "$ns" link set lo up
done
"${NSH[@]}" ip link add up0 type veth peer name up1 netns "$UP_NS"
"${NSH[@]}" ip addr add 192.0.2.1/24 dev up0
"${NSH[@]}" ip addr add 2001:db8::1/64 dev up0 nodad
"${NSU[@]}" ip addr add 192.0.2.2/24 dev up1
"${NSU[@]}" ip addr add 2001:db8::2/64 dev up1 nodad
"${NSH[@]}" ip link set up0 up
"${NSU[@]}" ip link set up1 up
"${NSH[@]}" ip route add default via 192.0.2.2
"${NSH[@]}" ip -6 route add default via 2001:db8::2

# The tree, with the probe in it.
gcc -static -O2 -o "$WORK/netprobe" "$BERTH_SRC/tests/integration/netprobe.c"
tree=$(copy_tree tree)
install -m 0755 "$WORK/netprobe" "$tree/usr/local/bin/netprobe"

# wait_line FILE PATTERN: until FILE has a line matching PATTERN (the limit
# only turns a hang into a failure).
wait_line() {
        local i
        for ((i = 0; i < 300; i++)); do
                grep -q -- "$2" "$1" 2>/dev/null && return 0
                sleep 0.05
        done
        fail "$1 never said '$2'"
}

# Upstream answers on port 7 with the address that reached it.
"${NSU[@]}" "$WORK/netprobe" serve tcp 7 >"$WORK/upstream.out" &
HELPERS+=($!)
wait_line "$WORK/upstream.out" listening

# net_snapshot: what berth may touch in the test's host namespace.
net_snapshot() {
        echo "## links"
        # Name, administrative state (not the carrier: that of a bridge
        # changes on its own), and bridge.
        "${NSH[@]}" ip -o link show | awk '{
                m = ""
                for (i = 3; i < NF; i++)
                        if ($i == "master")
                                m = " master " $(i + 1)
                sub(/:$/, "", $2)
                print $2, ($3 ~ /[<,]UP[,>]/ ? "up" : "down") m
        }' | sort
        echo "## addresses"
        "${NSH[@]}" ip -o addr show | awk '{ print $2, $3, $4 }' | sort
        echo "## routes"
        "${NSH[@]}" ip route show
        echo "## IPv6 routes"
        "${NSH[@]}" ip -6 route show
        echo "## nftables"
        "${NSH[@]}" nft list ruleset
}

# unchanged SNAPSHOT: the host namespace is as in the file SNAPSHOT (else
# shows how it differs).
unchanged() {
        net_snapshot >"$WORK/net.now"
        diff -u "$1" "$WORK/net.now" >&2
}

# gone NAME: no record of the machine is left.
gone() {
        test ! -e "/run/berth/machines/$1" -a ! -e "/run/berth/machines/.#$1.lck"
}

# one_line FILE PATTERN: FILE has one line, which matches PATTERN (grep -E).
one_line() {
        if [[ $(wc -l <"$1") == 1 ]] && grep -qE -- "$2" "$1"; then
                return 0
        fi
        echo "--- $1:" >&2
        cat "$1" >&2
        return 1
}

# try_berth NAME VERB ARGS…: berth VERB -M NAME ARGS… in the host namespace,
# in the foreground; RC is its exit status, its stderr is $WORK/NAME.err.
try_berth() {
        local name=$1 verb=$2
        shift 2
        RC=0
        "${NSH[@]}" "$BERTH" "$verb" -D "$tree" -M "$name" "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" || RC=$?
}

# start_run NAME ARGS…: berth run -x -M NAME ARGS… in the host namespace, in
# the background; stdout in $WORK/NAME.out.
start_run() {
        local name=$1
        shift
        "${NSH[@]}" "$BERTH" run -x -D "$tree" -M "$name" "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.stderr" &
        SUPERVISOR[$name]=$!
        STARTED+=($!)
}

# stop_run NAME…: terminates the machines and waits for their supervisors.
stop_run() {
        local name
        "$BERTH" terminate "$@"
        for name in "$@"; do
                wait "${SUPERVISOR[$name]}" || true
        done
}

# ask FROM-NETNS-PATH ADDRESS PORT: netprobe ask tcp, from that namespace.
ask() {
        nsenter --net="$1" "$WORK/netprobe" ask tcp "$2" "$3"
}

net_snapshot >"$WORK/net.base"
base=$WORK/net.base

# --- 1. A bridge that is not there, or is no bridge -------------------------

m=${P}b
try_berth "$m" run --network-bridge="nobr$$" /bin/true
check "missing bridge: exit status 1 (got $RC)" test "$RC" = 1
check "missing bridge: one line that says so" one_line "$WORK/$m.err" "^berth: Failed to join bridge 'nobr$$': no such link\.$"
check "missing bridge: nothing left in the namespace" unchanged "$base"
check "missing bridge: no record left" gone "$m"

try_berth "$m" run --network-bridge=up0 /bin/true
check "a veth as the bridge: exit status 1 (got $RC)" test "$RC" = 1
check "a veth as the bridge: one line that says so" one_line "$WORK/$m.err" "^berth: Failed to join bridge 'up0': .*no bridge"
check "a veth as the bridge: up0 as it was, nothing left" unchanged "$base"
check "a veth as the bridge: no record left" gone "$m"

# A bridge of the test's own is joined, and left as it was.
"${NSH[@]}" ip link add "br$P" type bridge
"${NSH[@]}" ip link set "br$P" up
net_snapshot >"$WORK/net.c1"
try_berth "$m" run --network-bridge="br$P" /bin/sh -c 'test -e /sys/class/net/host0'
check "an existing bridge is joined (host0 in the machine, exit status $RC)" test "$RC" = 0
check "… and left as it was: no port, nothing else left" unchanged "$WORK/net.c1"
"${NSH[@]}" ip link delete "br$P"
check "the namespace is as at the start" unchanged "$base"

# --- 2. A link of that name exists already ----------------------------------

# Each pre-made link must still be there afterwards, and nothing else.
m=${P}l
"${NSH[@]}" ip link add "ve-$m" type veth peer name "${m}p"
net_snapshot >"$WORK/net.c2"
try_berth "$m" run -n /bin/true
check "ve-$m exists: exit status 1 (got $RC)" test "$RC" = 1
check "ve-$m exists: one line that names it" one_line "$WORK/$m.err" "^berth: .*'ve-$m'.*exists"
check "ve-$m exists: the test's link is still there, nothing else appeared" unchanged "$WORK/net.c2"
check "ve-$m exists: no record left" gone "$m"
"${NSH[@]}" ip link delete "ve-$m" 2>/dev/null || true

"${NSH[@]}" ip link add "vb-$m" type veth peer name "${m}p"
net_snapshot >"$WORK/net.c2"
try_berth "$m" run --network-zone="${P}z" -p 8000:80 /bin/true
check "vb-$m exists: exit status 1 (got $RC)" test "$RC" = 1
check "vb-$m exists: one line that names it" one_line "$WORK/$m.err" "^berth: .*'vb-$m'.*exists"
check "vb-$m exists: the test's link is still there, no zone bridge, no nft rules" unchanged "$WORK/net.c2"
"${NSH[@]}" ip link delete "vb-$m" 2>/dev/null || true

"${NSH[@]}" ip link add "vz-${P}z" type veth peer name "${m}p"
net_snapshot >"$WORK/net.c2"
try_berth "$m" run --network-zone="${P}z" /bin/true
check "vz-${P}z exists and is no bridge: exit status 1 (got $RC)" test "$RC" = 1
check "vz-${P}z exists and is no bridge: one line that says so" one_line "$WORK/$m.err" "^berth: .*'vz-${P}z'.*no bridge"
check "vz-${P}z exists and is no bridge: the test's link is still there, nothing else appeared" unchanged "$WORK/net.c2"
"${NSH[@]}" ip link delete "vz-${P}z" 2>/dev/null || true

"${NSH[@]}" ip link add "vz-${P}z" type bridge
net_snapshot >"$WORK/net.c2"
try_berth "$m" run --network-zone="${P}z" /bin/true
check "vz-${P}z is a bridge berth did not make: exit status 1 (got $RC)" test "$RC" = 1
check "vz-${P}z is a bridge berth did not make: one line that says so" one_line "$WORK/$m.err" "^berth: .*'vz-${P}z'.*berth did not make it"
check "vz-${P}z is a bridge berth did not make: still there, nothing else appeared" unchanged "$WORK/net.c2"
"${NSH[@]}" ip link delete "vz-${P}z" 2>/dev/null || true
check "the namespace is as at the start" unchanged "$base"

# --- 3. A zone name too long --------------------------------------------------

m=${P}t
zone12=${P}zzzzzzzzzzzz
zone12=${zone12:0:12} # vz-ZONE: 15 characters, as long as a link name can be
try_berth "$m" run --network-zone="${zone12}z" /bin/true
check "a zone name of 13 characters: exit status 2 (got $RC)" test "$RC" = 2
check "a zone name of 13 characters: one line about --network-zone" one_line "$WORK/$m.err" "^berth: .*--network-zone"
check "a zone name of 13 characters: nothing left" unchanged "$base"
check "a zone name of 13 characters: no record left" gone "$m"
try_berth "$m" run --network-zone="$zone12" /bin/sh -c 'test -e /sys/class/net/host0'
check "a zone name of 12 characters is fine (exit status $RC)" test "$RC" = 0
check "… and leaves nothing" unchanged "$base"

# --- 4. A host port that is taken ---------------------------------------------

a=${P}a
start_run "$a" -n -p 8080:80 netprobe serve tcp 80
wait_state "$a" running
wait_line "$WORK/$a.out" listening
a_net=/proc/$("$BERTH" show "$a" -p Leader --value)/ns/net
# a_works: from upstream through the DNAT (no NAT on the way in), and from
# the host's loopback through the relay; A's supervisor still runs.
a_works() {
        [[ $(ask "/run/netns/$UP_NS" 192.0.2.1 8080) == 192.0.2.2 ]] &&
                [[ -n $(ask "/run/netns/$HOST_NS" 127.0.0.1 8080) ]] &&
                [[ -n $(ask "/run/netns/$HOST_NS" ::1 8080) ]] &&
                kill -0 "${SUPERVISOR[$a]}" &&
                [[ $(machine_field "$a" state) == running ]]
}
check "machine A publishes port 8080 (upstream, 127.0.0.1 and ::1 reach it)" a_works
net_snapshot >"$WORK/net.c4"

b=${P}p
for opts in "-n" "--network-zone=${P}q"; do
        # shellcheck disable=SC2086 # one option, or two
        try_berth "$b" run -x $opts -p 8080:80 /bin/true
        check "port 8080 of machine A, $opts: exit status 1 (got $RC)" test "$RC" = 1
        check "port 8080 of machine A, $opts: one line that says so" one_line "$WORK/$b.err" \
                "^berth: Failed to publish port tcp:8080: another machine publishes it\.$"
        check "port 8080 of machine A, $opts: nothing left, A's rules as they were" unchanged "$WORK/net.c4"
        check "port 8080 of machine A, $opts: no record left" gone "$b"
        check "port 8080 of machine A, $opts: machine A unaffected" a_works
done

# listen_loopback ADDRESS PORT: a process of the test's own listens there
# (in the host namespace); sets LISTENER to its PID.
listen_loopback() {
        "${NSH[@]}" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen()
print("listening", flush=True)
time.sleep(600)
' "$1" "$2" >"$WORK/listener.out" &
        LISTENER=$!
        HELPERS+=("$LISTENER")
        wait_line "$WORK/listener.out" listening
}
for where in 127.0.0.1 ::1; do
        listen_loopback "$where" 8081
        net_snapshot >"$WORK/net.c4l"
        for opts in "-n" "--network-zone=${P}q"; do
                # shellcheck disable=SC2086 # one option, or two
                try_berth "$b" run -x $opts -p 8081:80 /bin/true
                check "port 8081 taken on $where, $opts: exit status 1 (got $RC)" test "$RC" = 1
                check "port 8081 taken on $where, $opts: one line that says so" one_line "$WORK/$b.err" \
                        "^berth: Failed to publish port tcp:8081: it is in use on the host's loopback\.$"
                check "port 8081 taken on $where, $opts: nothing left" unchanged "$WORK/net.c4l"
                check "port 8081 taken on $where, $opts: no record left" gone "$b"
                check "port 8081 taken on $where, $opts: machine A unaffected" a_works
        done
        kill "$LISTENER"
        wait "$LISTENER" || true
done
check "A's machine namespace is still the one it had" test -e "$a_net"
stop_run "$a"
check "machine A's supervisor has exited" not alive "${SUPERVISOR[$a]}"
check "machine A gone: the namespace is as at the start" unchanged "$base"

# --- 5. SIGKILL during the network's setup -------------------------------------

# kill_rounds FIRST LAST SNAPSHOT: SIGKILLs a supervisor FIRST..LAST times,
# at 0–40 ms after its start (its network is set up from about 5 ms to 20
# ms in, later under load); after each, berth list must leave the namespace
# as in SNAPSHOT. Where the kills landed, from the record they left:
# KILLED[early] (no network in it yet), KILLED[setup] (the network's undo
# entries, the machine still starting), KILLED[late] (running).
declare -A KILLED=([early]=0 [setup]=0 [late]=0)
kill_rounds() {
        local i delay pid name opts record when status
        for ((i = $1; i <= $2; i++)); do
                name=${P}k$i
                if ((i % 2)); then
                        opts=(--network-zone="${P}k" -p 8200:80 -p udp:8201:53)
                else
                        opts=(-n -p 8202:80)
                fi
                delay=$((RANDOM % 41))
                "${NSH[@]}" "$BERTH" run -q -x -D "$tree" -M "$name" "${opts[@]}" sleep 5 </dev/null >/dev/null 2>&1 &
                pid=$!
                STARTED+=("$pid")
                sleep "$(printf '0.%03d' "$delay")"
                kill -KILL "$pid" 2>/dev/null || true
                status=0
                wait "$pid" 2>/dev/null || status=$?
                check "SIGKILL $i at $delay ms: berth was still there to be killed (exit status $status)" test "$status" = 137
                record=/run/berth/machines/$name
                if ! grep -qE '^UNDO="?(link|zone|nft):' "$record" 2>/dev/null; then
                        when=early
                elif grep -qx STATE=starting "$record"; then
                        when=setup
                else
                        when=late
                fi
                KILLED[$when]=$((KILLED[$when] + 1))
                "$BERTH" list >/dev/null
                check "SIGKILL $i at $delay ms ($when; ${opts[*]}): nothing left after berth list" unchanged "$3"
                check "SIGKILL $i: no record left" gone "$name"
        done
}
kill_rounds 1 15 "$base"

# The same with a machine in the zone that stays.
s=${P}y
start_run "$s" --network-zone="${P}k" -p 8203:80 netprobe serve tcp 80
wait_state "$s" running
wait_line "$WORK/$s.out" listening
net_snapshot >"$WORK/net.c5"
kill_rounds 16 30 "$WORK/net.c5"
check "kills during the network's setup: ${KILLED[setup]} of 30 (${KILLED[early]} before, ${KILLED[late]} after; not none)" \
        test "${KILLED[setup]}" -gt 0
check "the zone's other machine still reachable from upstream" test "$(ask "/run/netns/$UP_NS" 192.0.2.1 8203)" = 192.0.2.2
check "… and from the host's loopback" test -n "$(ask "/run/netns/$HOST_NS" 127.0.0.1 8203)"
stop_run "$s"
check "the zone's other machine's supervisor has exited" not alive "${SUPERVISOR[$s]}"
check "the zone's last machine gone: the namespace is as at the start" unchanged "$base"

# --- 6. Quick start/stop cycles --------------------------------------------------

m=${P}c
for ((i = 0; i < 50; i++)); do
        case $((i % 5)) in
        1) opts=(--network-zone="${P}c" -p 8300:80) ;;
        3) opts=(-n -p 8301:80 -p udp:8301:53) ;;
        *) opts=(-n) ;;
        esac
        # Now and then the machine shows that its network worked: upstream
        # sees the host's address (NAT).
        cmd=(/bin/true)
        if ((i % 10 == 4 || i % 10 == 1)); then
                # shellcheck disable=SC2016 # for the machine's shell
                cmd=(/bin/sh -c 'test "$(netprobe ask tcp 192.0.2.2 7)" = 192.0.2.1')
        fi
        try_berth "$m" run "${opts[@]}" "${cmd[@]}"
        check "cycle $i (${opts[*]} ${cmd[*]}): exit status 0 (got $RC)" test "$RC" = 0
        check "cycle $i: nothing left" unchanged "$base"
done
check "cycles: no record left" gone "$m"

# --- 7. 20 machines at once on one zone ------------------------------------------

zone=${P}s
names=()
for ((i = 0; i < 20; i++)); do
        names+=("${P}s$i")
        start_run "${P}s$i" --network-zone="$zone" netprobe serve tcp 80
done
for name in "${names[@]}"; do
        wait_state "$name" running
        wait_line "$WORK/$name.out" listening
done
bridge_net=$("${NSH[@]}" ip -o -4 addr show dev "vz-$zone" | awk '{ print $4 }')
# NAME IPV4 IPV6 for each of them, from berth list --json.
"$BERTH" list --json | python3 -c '
import json, sys
names = set(sys.argv[1:])
for m in json.load(sys.stdin):
    if m["machine"] in names:
        a = m.get("addresses") or []
        print(m["machine"], *([x for x in a if ":" not in x] or ["-"])[:1], *([x for x in a if ":" in x] or ["-"])[:1])
' "${names[@]}" >"$WORK/addresses"
check "20 machines listed, with 20 distinct IPv4 and IPv6 addresses, all in the zone's network ($bridge_net)" \
        python3 -c '
import ipaddress, sys
net = ipaddress.ip_interface(sys.argv[1]).network
rows = [line.split() for line in open(sys.argv[2])]
v4 = {r[1] for r in rows if r[1] != "-"}
v6 = {r[2] for r in rows if r[2] != "-"}
ok = len(rows) == 20 and len(v4) == 20 and len(v6) == 20 and all(ipaddress.ip_address(a) in net for a in v4)
if not ok:
    print(*(" ".join(r) for r in rows), sep="\n", file=sys.stderr)
sys.exit(not ok)
' "$bridge_net" "$WORK/addresses"

declare -A address=()
while read -r name v4 _; do
        address[$name]=$v4
done <"$WORK/addresses"
for ((i = 0; i < 20; i++)); do
        name=${names[i]}
        leader=$("$BERTH" show "$name" -p Leader --value)
        net=/proc/$leader/ns/net
        check "$name reaches upstream over IPv4, as the host (NAT)" test "$(ask "$net" 192.0.2.2 7)" = 192.0.2.1
        check "$name reaches upstream over IPv6, as the host (NAT)" test "$(ask "$net" 2001:db8::2 7)" = 2001:db8::1
        next=${names[(i + 1) % 20]}
        check "$name reaches $next in the zone, as itself" test "$(ask "$net" "${address[$next]}" 80)" = "${address[$name]}"
done

stop_run "${names[@]}"
for name in "${names[@]}"; do
        check "$name: supervisor exited" not alive "${SUPERVISOR[$name]}"
        check "$name: no record left" gone "$name"
done
check "all 20 gone: no bridge, address, route or rule left" unchanged "$base"
