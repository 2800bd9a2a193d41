#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for an inner shell
# Networking, in network namespaces of the test's own: a "host" (where berth
# runs), an "upstream" beyond it (no route to the machines: what reaches it
# went through NAT), and a "client" that reaches published ports from
# outside. Veth, zone and bridge machines reach upstream and each other as
# they should; --private-network reaches nothing; -p ports answer on every
# address of the host, loopback included, over TCP and UDP, IPv4 and IPv6;
# a port taken twice fails clearly and hurts nobody; --resolv-conf=auto
# gives the host's upstream DNS; networkd in the machine keeps berth's
# address; machinectl and nss-mymachines see the machine through machined;
# list/status/show say the link, zone, addresses and ports; links lent
# with --network-interface/-macvlan/-ipvlan (where the kernel makes
# ipvlan links) and --network-namespace-path; and nothing (link, address,
# route, rule) is left in the test's host after. And what a review found:
# router advertisements kept only where the host learns routes from them,
# hairpin NAT, no way in to a machine's own address from outside, a
# loopback relay that survives rude clients and owns its ports, lent links
# given back only when they are the same link, a bridge named like a zone's
# left alone, a FIFO for resolv.conf not opened.
. "$(dirname "$0")/lib.sh"

# python3 may be a wrapper (pyenv's shims) that costs half a second a
# call: the interpreter itself comes first in PATH, for lib.sh's helpers too.
PATH=$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH
command -v gcc >/dev/null || fail "gcc is missing (netprobe is built with it)"
command -v nft >/dev/null || fail "nft is missing (the rules berth makes are read with it)"
gcc -static -O2 -o "$WORK/netprobe" "$BERTH_SRC/tests/integration/netprobe.c" || fail "can't build netprobe"
NP=/usr/local/bin/netprobe # in the machines

# A tree of our own: netprobe in it, systemd-networkd enabled (used only by
# the machine that boots; the others run a command instead of init).
mkdir "$WORK/trees"
chmod 700 "$WORK/trees"
T=$WORK/trees/net
cp -a --reflink=auto "$TREE" "$T"
cp "$WORK/netprobe" "$T$NP"
ln -s /lib/systemd/system/systemd-networkd.service "$T/etc/systemd/system/multi-user.target.wants/"
mkdir -p "$T/etc/systemd/system/sockets.target.wants"
ln -s /lib/systemd/system/systemd-networkd.socket "$T/etc/systemd/system/sockets.target.wants/"

# --- The test's network -------------------------------------------------------
#
#   upstream 192.0.2.2, 2001:db8::2 (eth0)
#       |
#   host 192.0.2.1, 2001:db8::1 (up0)            berth runs here
#       198.51.100.1, 2001:db8:1::1 (cl0)
#       |
#   client 198.51.100.2, 2001:db8:1::2 (eth0)
#
# and, for --network-bridge=, a bridge in the host with a "peer" namespace
# on it (100.64.77.2, 2001:db8:77::2).
tag=$$
NETNS=/run/netns
HOST=berth-net-$tag-host
UP=berth-net-$tag-up
CLIENT=berth-net-$tag-client
PEER=berth-net-$tag-peer
NAMESPACES=("$HOST" "$UP" "$CLIENT" "$PEER")
netns_mounted=no
mountpoint -q "$NETNS" && netns_mounted=yes

net_teardown() {
        local ns
        for ns in "${NAMESPACES[@]}"; do
                [[ -e $NETNS/$ns ]] && ip netns delete "$ns"
        done
        # ip netns made /run/netns a mount point: it was none before us.
        if [[ $netns_mounted == no ]] && mountpoint -q "$NETNS" && [[ -z $(ls -A "$NETNS") ]]; then
                umount "$NETNS"
        fi
        return 0
}
on_exit net_teardown

for ns in "${NAMESPACES[@]}"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
done
in_host() { nsenter --net="$NETNS/$HOST" "$@"; }

ip -n "$HOST" link add up0 type veth peer name eth0 netns "$UP"
ip -n "$HOST" addr add 192.0.2.1/24 dev up0
ip -n "$HOST" addr add 2001:db8::1/64 dev up0 nodad
ip -n "$HOST" link set up0 up
ip -n "$UP" addr add 192.0.2.2/24 dev eth0
ip -n "$UP" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "$UP" link set eth0 up
ip -n "$HOST" route add default via 192.0.2.2
ip -n "$HOST" -6 route add default via 2001:db8::2

ip -n "$HOST" link add cl0 type veth peer name eth0 netns "$CLIENT"
ip -n "$HOST" addr add 198.51.100.1/24 dev cl0
ip -n "$HOST" addr add 2001:db8:1::1/64 dev cl0 nodad
ip -n "$HOST" link set cl0 up
ip -n "$CLIENT" addr add 198.51.100.2/24 dev eth0
ip -n "$CLIENT" addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n "$CLIENT" link set eth0 up
ip -n "$CLIENT" route add default via 198.51.100.1
ip -n "$CLIENT" -6 route add default via 2001:db8:1::1

# No forwarding in the test's host (a new namespace may inherit it): berth
# turns it on.
in_host sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward && echo 0 >/proc/sys/net/ipv6/conf/all/forwarding'

# Servers upstream: netprobe on TCP and UDP port 7, and a DNS server that
# knows one name.
# (nsenter itself in the background, not a function: $! is then the
# server's PID, for the kill at exit.)
nsenter --net="$NETNS/$UP" "$WORK/netprobe" serve tcp 7 >"$WORK/up-tcp.out" 2>&1 &
HELPERS+=($!)
nsenter --net="$NETNS/$UP" "$WORK/netprobe" serve udp 7 >"$WORK/up-udp.out" 2>&1 &
HELPERS+=($!)
cat >"$WORK/dns.py" <<'EOF'
# A DNS server for one name: upstream.test is 203.0.113.1 (A); any other
# name does not exist. Each question is logged: "NAME TYPE PEER".
import socket, struct, sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print("listening", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    try:
        qid, flags, qdcount = struct.unpack("!HHH", q[:6])
        i, labels = 12, []
        while q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
            i += 1 + q[i]
        qtype, _ = struct.unpack("!HH", q[i + 1:i + 5])
        question = q[12:i + 5]
    except (IndexError, struct.error, UnicodeDecodeError):
        continue
    name = ".".join(labels)
    print(name, qtype, peer[0], flush=True)
    answer, rcode = b"", 0
    if name == "upstream.test":
        if qtype == 1:
            answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("203.0.113.1")
    else:
        rcode = 3
    header = struct.pack("!HHHHHH", qid, 0x8080 | (flags & 0x0100) | rcode, 1, 1 if answer else 0, 0, 0)
    s.sendto(header + question + answer, peer)
EOF
nsenter --net="$NETNS/$UP" python3 "$WORK/dns.py" 192.0.2.2 >"$WORK/dns.out" 2>&1 &
HELPERS+=($!)
for ((i = 0; i < 100; i++)); do
        [[ $(cat "$WORK/up-tcp.out" "$WORK/up-udp.out" "$WORK/dns.out") == $'listening\nlistening\nlistening' ]] && break
        sleep 0.1
done
((i < 100)) || fail "the upstream servers did not start: $(cat "$WORK"/up-*.out "$WORK/dns.out")"

# machined on a private bus, for the checks of registration.
start_machined

# --- Helpers ------------------------------------------------------------------

# link_names: the names in `ip -o link` output (stdin), sorted, one a line.
link_names() {
        awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
}
# host_links: the link names of the test's host.
host_links() {
        in_host ip -o link show | link_names
}
# links_are NAME…: the test's host has its own links (lo, up0, cl0) and
# these, no other.
links_are() {
        local want
        want=$(printf '%s\n' lo up0 cl0 "$@" | sort)
        if [[ $(host_links) != "$want" ]]; then
                echo "links of the test host: $(host_links | tr '\n' ' ')- expected: $(tr '\n' ' ' <<<"$want")" >&2
                return 1
        fi
}

# run_bg NAME [OPTIONS…] -- CMD…: `berth run` of our tree as NAME in the
# test's host, in the background; output in $WORK/NAME.out, .stderr.
run_bg() {
        local name=$1
        shift
        nsenter --net="$NETNS/$HOST" "$BERTH" run -q -x -D "$T" -M "$name" "$@" \
                </dev/null >"$WORK/$name.out" 2>"$WORK/$name.stderr" &
        SUPERVISOR["$name"]=$!
        STARTED+=($!)
}
# run_fg [OPTIONS…] -- CMD…: `berth run` of our tree in the test's host,
# not registered: machined may outlive such short machines' registration
# (that is for register.sh to look at).
run_fg() {
        in_host "$BERTH" run -q -x -D "$T" --register=no "$@" </dev/null
}
# wait_listening NAME N: until the machine's netprobes said N times that
# they listen.
wait_listening() {
        local name=$1 n=$2 i
        for ((i = 0; i < 300; i++)); do
                (($(grep -c '^listening$' "$WORK/$name.out" || true) >= n)) && return 0
                if ! alive "${SUPERVISOR[$name]}"; then
                        cat "$WORK/$name.stderr" >&2
                        fail "machine $name ended before its servers listened"
                fi
                sleep 0.1
        done
        fail "machine $name: its servers did not listen"
}
stop() { # stop NAME: terminates the machine, waits for its supervisor
        "$BERTH" terminate "$1"
        wait_supervisor "$1"
}

# ask NS PROTO ADDRESS PORT: netprobe's answer from namespace NS (host, up,
# client): the address the server saw us as. Never fails: says the error.
ask() {
        local ns
        case $1 in
        host) ns=$HOST ;;
        up) ns=$UP ;;
        client) ns=$CLIENT ;;
        esac
        nsenter --net="$NETNS/$ns" "$WORK/netprobe" ask "$2" "$3" "$4" 2>&1 || true
}
# ask_in MACHINE PROTO ADDRESS PORT: the same, from a machine.
ask_in() {
        in_machine "$1" "$NP" ask "$2" "$3" "$4" 2>&1 || true
}

# status_field NAME FIELD: a field of `berth status --json`, one item of a
# list a line, nothing for null.
status_field() {
        "$BERTH" status "$1" --json | python3 -c '
import json, sys
v = json.load(sys.stdin)[0].get(sys.argv[1])
if isinstance(v, list):
    print("\n".join(v))
elif v is not None:
    print(v)
' "$2"
}
# status_values TEXT FIELD: the values of FIELD in `berth status` output
# TEXT: the one after "FIELD: ", and those of the lines that follow it.
status_values() {
        awk -v f="$2" '
                $0 ~ "^ *" f ": " { sub("^ *" f ": ", ""); print; on = 1; next }
                on && /^ +[^ ]/ && !/^ *[A-Za-z][A-Za-z ]*: / { sub(/^ +/, ""); print; next }
                { on = 0 }' <<<"$1"
}
# list_addresses NAME: the "addresses" of `berth list --json`, space-separated.
list_addresses() {
        "$BERTH" list --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["machine"] == sys.argv[1]:
        print(" ".join(m.get("addresses") or []))
' "$1"
}
# Address arithmetic, on ADDRESS/LEN as berth writes them.
cat >"$WORK/ipcalc.py" <<'EOF'
import ipaddress, sys

op, a = sys.argv[1], ipaddress.ip_interface(sys.argv[2])
if op == "host":  # address N of the network
    print(a.network.network_address + int(sys.argv[3]))
elif op == "number":  # the host number in the network
    print(int(a.ip) - int(a.network.network_address))
elif op == "in":  # in PREFIX?
    sys.exit(a.ip not in ipaddress.ip_network(sys.argv[3], strict=False))
elif op == "48":  # its /48
    print(ipaddress.ip_interface("%s/48" % a.ip).network)
EOF
host_of() { python3 "$WORK/ipcalc.py" host "$1" "$2"; }  # host_of ADDRESS/LEN N
number_of() { python3 "$WORK/ipcalc.py" number "$1"; }   # number_of ADDRESS/LEN
in_network() { python3 "$WORK/ipcalc.py" in "$1" "$2"; } # in_network ADDRESS/LEN PREFIX
ula48() { python3 "$WORK/ipcalc.py" 48 "$1"; }           # ula48 ADDRESS/LEN
plain() { echo "${1%/*}"; }
# addr_is ADDRESS/LEN POOL LEN N: host N of a /LEN of POOL.
addr_is() {
        in_network "$1" "$2" && [[ ${1#*/} == "$3" && $(number_of "$1") == "$4" ]]
}
# pair_is ADDRESS4/LEN ADDRESS6/LEN: an IPv4 /24 and an IPv6 /64 address.
pair_is() {
        in_network "$1" 0.0.0.0/0 && in_network "$2" ::/0 && [[ $1 == */24 && $2 == */64 ]]
}
# has_addresses TEXT ADDRESS/LEN…: `ip -o addr` output TEXT shows each.
has_addresses() {
        local text=$1 a
        shift
        for a in "$@"; do
                if [[ $a == *:* ]]; then
                        grep -Fq " inet6 $a " <<<"$text" || return 1
                else
                        grep -Fq " inet $a " <<<"$text" || return 1
                fi
        done
}
# routes_via MACHINE GATEWAY4 GATEWAY6: host0's default routes go there.
routes_via() {
        [[ $(in_machine "$1" ip -4 route show default) == "default via $2 dev host0"* &&
                $(in_machine "$1" ip -6 route show default) == "default via $3 dev host0"* ]]
}

# Router advertisements: the test host has a route it learned from one on
# up0; cl0 takes them as well, but learned nothing from them.
in_host ip -6 route add 2001:db8:5::/64 via 2001:db8::2 dev up0 proto ra
for l in default up0 cl0; do
        in_host sh -c "echo 1 >/proc/sys/net/ipv6/conf/$l/accept_ra"
done

# --- Machines: one on a veth link with published ports, two in a zone ---------
WEB=web$tag
ZA=za$tag
ZB=zb$tag
ZONE=z$tag
# The veth machine notes what its first process finds, before it serves.
run_bg "$WEB" -n -p tcp:18080:80 -p udp:18081:81 -- sh -c "
        { ip -o addr show dev host0; ip -4 route show default; ip -6 route show default
          $NP ask tcp 192.0.2.2 7; $NP ask tcp 2001:db8::2 7; } >/tmp/at-start 2>&1
        $NP serve udp 81 & exec $NP serve tcp 80"
run_bg "$ZA" --network-zone="$ZONE" -- sh -c "$NP serve udp 80 & exec $NP serve tcp 80"
run_bg "$ZB" --network-zone="$ZONE" -- sh -c "$NP serve udp 80 & exec $NP serve tcp 80"
wait_listening "$WEB" 2
wait_listening "$ZA" 2
wait_listening "$ZB" 2

check "the test host has exactly ve-$WEB, vz-$ZONE, vb-$ZA and vb-$ZB besides its own links" \
        links_are "ve-$WEB" "vz-$ZONE" "vb-$ZA" "vb-$ZB"
check "vb-$ZA and vb-$ZB are the ports of bridge vz-$ZONE" \
        test "$(in_host ip -o link show master "vz-$ZONE" | link_names | tr '\n' ' ')" = "vb-$ZA vb-$ZB "
check "berth turned on IPv4 and IPv6 forwarding in the namespace it runs in" \
        test "$(in_host cat /proc/sys/net/ipv4/ip_forward)$(in_host cat /proc/sys/net/ipv6/conf/all/forwarding)" = 11
check "nftables has berth's table (inet berth)" eval 'in_host nft list table inet berth >/dev/null'
sysctl_of() { in_host cat "/proc/sys/net/ipv6/conf/$1/$2"; } # sysctl_of LINK KEY
check "up0, which has a route from a router advertisement, still takes them under forwarding (accept_ra 2)" \
        test "$(sysctl_of up0 accept_ra)" = 2
check "… cl0, which has none, and the default for new links are left as they were (1)" \
        test "$(sysctl_of cl0 accept_ra)$(sysctl_of default accept_ra)" = 11
for l in "ve-$WEB" "vz-$ZONE" "vb-$ZA"; do
        check "$l takes no router advertisements and makes no address from them" \
                test "$(sysctl_of "$l" accept_ra)$(sysctl_of "$l" autoconf)" = 00
done
in_host ip -6 route del 2001:db8:5::/64 via 2001:db8::2 dev up0 proto ra

# --- The veth machine ---------------------------------------------------------
mapfile -t web_addr < <(status_field "$WEB" addresses)
web4=${web_addr[0]:-}
web6=${web_addr[1]:-}
check "status --json: $WEB has two addresses (${web_addr[*]})" test "${#web_addr[@]}" = 2
check "… IPv4 then IPv6" pair_is "$web4" "$web6"
gw4=$(host_of "$web4" 1)
gw6=$(host_of "$web6" 1)
check "its IPv4 address is host 2 of a /24 of the default pool 10.80.0.0/12 ($web4)" addr_is "$web4" 10.80.0.0/12 24 2
check "its IPv6 address is host 2 of a /64 of a ULA /48 ($web6)" addr_is "$web6" fd00::/8 64 2
check "host0 in the machine has $web4 and $web6" \
        has_addresses "$(in_machine "$WEB" ip -o addr show dev host0)" "$web4" "$web6"
check "its default routes go through $gw4 and $gw6" routes_via "$WEB" "$gw4" "$gw6"
at_start=$(in_machine "$WEB" cat /tmp/at-start)
check "… all of which were there when the machine's first process started" \
        has_addresses "$at_start" "$web4" "$web6"
check "… the routes too" \
        test "$(grep -c -e "^default via $gw4 dev host0" -e "^default via $gw6 dev host0" <<<"$at_start")" = 2
check "… which reached upstream at once, over IPv4 and IPv6" \
        test "$(grep -Ex '192\.0\.2\.1|2001:db8::1' <<<"$at_start" | tr '\n' ' ')" = "192.0.2.1 2001:db8::1 "
check "ve-$WEB on the host has $gw4/24 and $gw6/64" \
        has_addresses "$(in_host ip -o addr show dev "ve-$WEB")" "$gw4/24" "$gw6/64"

for proto in tcp udp; do
        got=$(ask_in "$WEB" $proto 192.0.2.2 7)
        check "veth machine reaches upstream over $proto/IPv4, NATed: upstream sees 192.0.2.1 (got $got)" test "$got" = 192.0.2.1
        got=$(ask_in "$WEB" $proto 2001:db8::2 7)
        check "veth machine reaches upstream over $proto/IPv6, NATed: upstream sees 2001:db8::1 (got $got)" test "$got" = 2001:db8::1
done

# What berth says of it.
check "list --json: addresses are the plain addresses" test "$(list_addresses "$WEB")" = "$(plain "$web4") $(plain "$web6")"
check "status --json: link ve-$WEB" test "$(status_field "$WEB" link)" = "ve-$WEB"
check "status --json: no zone" test -z "$(status_field "$WEB" zone)"
check "status --json: ports tcp:18080:80 and udp:18081:81" \
        test "$(status_field "$WEB" ports | tr '\n' ' ')" = "tcp:18080:80 udp:18081:81 "
status=$("$BERTH" status "$WEB")
check "status: Link: ve-$WEB" grep -Eq "^ *Link: ve-$WEB\$" <<<"$status"
check "status: Addresses: $web4, then $web6" \
        test "$(status_values "$status" Addresses | tr '\n' ' ')" = "$web4 $web6 "
check "status: Ports: tcp:18080:80, then udp:18081:81" \
        test "$(status_values "$status" Ports | tr '\n' ' ')" = "tcp:18080:80 udp:18081:81 "
show=$("$BERTH" show "$WEB")
check "show: NetworkLink=ve-$WEB" grep -qx "NetworkLink=ve-$WEB" <<<"$show"
check "show: Zone= empty" grep -qx "Zone=" <<<"$show"
check "show: Addresses=$web4 $web6" grep -qx "Addresses=$web4 $web6" <<<"$show"
check "show: Ports=tcp:18080:80 udp:18081:81" grep -qx "Ports=tcp:18080:80 udp:18081:81" <<<"$show"

# --- Published ports ----------------------------------------------------------
# FROM ADDRESS SEEN: asked from FROM at ADDRESS, the machine sees SEEN.
# The host's loopback goes through the supervisor's relay: the machine sees
# the host side of its link.
port_cases=(
        "host 127.0.0.1 $gw4"
        "host ::1 $gw6"
        "host 192.0.2.1 192.0.2.1"
        "host 2001:db8::1 2001:db8::1"
        "host 198.51.100.1 198.51.100.1"
        "client 198.51.100.1 198.51.100.2"
        "client 2001:db8:1::1 2001:db8:1::2"
        "client 192.0.2.1 198.51.100.2"
        "client 2001:db8::1 2001:db8:1::2"
        "up 192.0.2.1 192.0.2.2"
        "up 2001:db8::1 2001:db8::2"
)
ports_answer() { # ports_answer WHAT: every case of port_cases, TCP 18080 and UDP 18081
        local c from address seen got
        for c in "${port_cases[@]}"; do
                read -r from address seen <<<"$c"
                got=$(ask "$from" tcp "$address" 18080)
                check "$1: tcp 18080 at $address from the $from namespace reaches port 80, which sees $seen (got $got)" \
                        test "$got" = "$seen"
                got=$(ask "$from" udp "$address" 18081)
                check "$1: udp 18081 at $address from the $from namespace reaches port 81, which sees $seen (got $got)" \
                        test "$got" = "$seen"
        done
}
ports_answer "-p"

# A machine reaches its own published port at the host's address (NAT both
# ways: the replies come back through the host).
got=$(ask_in "$WEB" tcp 192.0.2.1 18080)
check "hairpin: $WEB reaches its own port 18080 at 192.0.2.1, which sees $gw4 (got $got)" test "$got" = "$gw4"
got=$(ask_in "$WEB" tcp 2001:db8::1 18080)
check "hairpin: … at 2001:db8::1, which sees $gw6 (got $got)" test "$got" = "$gw6"

# The relay of loopback ports: clients that reset their connections while
# the machine answers, or close their side at once, hurt neither.
cat >"$WORK/rude.py" <<'PY'
import socket, struct

for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for i in range(40):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.connect((address, 18080))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # a reset
    # Half closed: the answer still comes.
    s = socket.create_connection((address, 18080))
    s.shutdown(socket.SHUT_WR)
    print(s.makefile().readline().strip())
    s.close()
PY
got=$(in_host python3 "$WORK/rude.py" 2>&1 | tr '\n' ' ' || true)
check "loopback relay: a client that closed its side still gets the answer ($gw4 and $gw6; got $got)" \
        test "$got" = "$gw4 $gw6 "
check "… and 80 clients that reset their connections did not end the supervisor" alive "${SUPERVISOR[$WEB]}"
got=$(ask host tcp 127.0.0.1 18080)
check "… whose relay still answers (got $got)" test "$got" = "$gw4"
cat >"$WORK/bind.py" <<'PY'
import socket

for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for kind, port in ((socket.SOCK_STREAM, 18080), (socket.SOCK_DGRAM, 18081)):
        s = socket.socket(family, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
            print("bound", address, port)
        except OSError as e:
            print(e.strerror)
PY
got=$(in_host python3 "$WORK/bind.py" 2>&1 | sort | uniq -c | awk '{ $1 = $1; print }' || true)
check "no other program can bind the relay's ports, even with SO_REUSEADDR (got $got)" \
        test "$got" = "4 Address already in use"

# The machines' own addresses are no way in from outside: the client,
# routed through the host, reaches $WEB only through its published ports.
ask client tcp "$(plain "$web4")" 80 >"$WORK/direct4" &
direct4=$!
ask client tcp "$(plain "$web6")" 80 >"$WORK/direct6" &
wait $! "$direct4"
check "the client does not reach $WEB at $(plain "$web4"):80 ($(cat "$WORK/direct4"))" \
        not grep -qx 198.51.100.2 "$WORK/direct4"
check "… nor at $(plain "$web6"):80 ($(cat "$WORK/direct6"))" not grep -qx 2001:db8:1::2 "$WORK/direct6"

# --- The zone -----------------------------------------------------------------
za=$(status_field "$ZA" addresses | tr '\n' ' ')
zb=$(status_field "$ZB" addresses | tr '\n' ' ')
read -r za4 za6 <<<"$za"
read -r zb4 zb6 <<<"$zb"
check "$ZA has an IPv4 and an IPv6 address ($za)" pair_is "$za4" "$za6"
check "$ZB has an IPv4 and an IPv6 address ($zb)" pair_is "$zb4" "$zb6"
zgw4=$(host_of "$za4" 1)
zgw6=$(host_of "$za6" 1)
check "bridge vz-$ZONE has $zgw4/24 and $zgw6/64" \
        has_addresses "$(in_host ip -o addr show dev "vz-$ZONE")" "$zgw4/24" "$zgw6/64"
check "the zone is one /24: both machines in it" in_network "$zb4" "$zgw4/24"
check "the zone is one /64: both machines in it" in_network "$zb6" "$zgw6/64"
check "the zone's IPv4 network is of the pool 10.80.0.0/12" in_network "$za4" 10.80.0.0/12
check "the zone's IPv6 network is of the veth machine's ULA /48" test "$(ula48 "$za6")" = "$(ula48 "$web6")"
check "the zone is a network of its own, not the veth machine's" not in_network "$za4" "$web4"
na=$(number_of "$za4")
nb=$(number_of "$zb4")
check "$ZA's number is in 2..254 ($na)" test "$na" -ge 2 -a "$na" -le 254
check "$ZB's number is in 2..254 ($nb)" test "$nb" -ge 2 -a "$nb" -le 254
check "$ZA's IPv6 address has the same number" test "$(number_of "$za6")" = "$na"
check "$ZB's IPv6 address has the same number" test "$(number_of "$zb6")" = "$nb"
check "the two machines have different numbers" test "$na" != "$nb"
check "$ZA's default routes go through the bridge's $zgw4 and $zgw6" routes_via "$ZA" "$zgw4" "$zgw6"
for proto in tcp udp; do
        got=$(ask_in "$ZA" $proto 192.0.2.2 7)
        check "zone machine reaches upstream over $proto/IPv4, NATed: upstream sees 192.0.2.1 (got $got)" test "$got" = 192.0.2.1
        got=$(ask_in "$ZA" $proto 2001:db8::2 7)
        check "zone machine reaches upstream over $proto/IPv6, NATed: upstream sees 2001:db8::1 (got $got)" test "$got" = 2001:db8::1
        got=$(ask_in "$ZA" $proto "$(plain "$zb4")" 80)
        check "$ZA reaches $ZB over $proto/IPv4 without NAT: $ZB sees $(plain "$za4") (got $got)" test "$got" = "$(plain "$za4")"
        got=$(ask_in "$ZB" $proto "$(plain "$za6")" 80)
        check "$ZB reaches $ZA over $proto/IPv6 without NAT: $ZA sees $(plain "$zb6") (got $got)" test "$got" = "$(plain "$zb6")"
done
check "status --json: $ZA's zone is $ZONE" test "$(status_field "$ZA" zone)" = "$ZONE"
check "status --json: $ZA's link is vb-$ZA" test "$(status_field "$ZA" link)" = "vb-$ZA"
check "status --json: no ports" test -z "$(status_field "$ZA" ports)"
show=$("$BERTH" show "$ZA")
check "show: Zone=$ZONE" grep -qx "Zone=$ZONE" <<<"$show"
check "show: NetworkLink=vb-$ZA" grep -qx "NetworkLink=vb-$ZA" <<<"$show"
check "show: Addresses=$za4 $za6" grep -qx "Addresses=$za4 $za6" <<<"$show"
check "show: Ports= empty" grep -qx "Ports=" <<<"$show"
check "status: Link: vb-$ZA" grep -Eq "^ *Link: vb-$ZA\$" <<<"$("$BERTH" status "$ZA")"

stop "$ZA"
check "with $ZA gone, the zone's bridge stays for $ZB, and vb-$ZA is gone" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB"
got=$(ask_in "$ZB" tcp 192.0.2.2 7)
check "… and $ZB still reaches upstream (got $got)" test "$got" = 192.0.2.1

# --- A bridge of the test's own -----------------------------------------------
# berth adds the host side to it and gives no address: the machine sets
# its own, and reaches a peer on the bridge.
BR=br$tag
ip -n "$HOST" link add "$BR" type bridge
ip -n "$HOST" link set "$BR" up
ip -n "$HOST" link add "bp$tag" type veth peer name eth0 netns "$PEER"
ip -n "$HOST" link set "bp$tag" master "$BR" up
ip -n "$PEER" addr add 100.64.77.2/24 dev eth0
ip -n "$PEER" addr add 2001:db8:77::2/64 dev eth0 nodad
ip -n "$PEER" link set eth0 up
nsenter --net="$NETNS/$PEER" "$WORK/netprobe" serve tcp 7 >"$WORK/peer.out" 2>&1 &
HELPERS+=($!)
nft_before=$(in_host nft list ruleset)
BRM=bridgedmachine$tag # long: its link's name is made short
run_bg "$BRM" --network-bridge="$BR" -- sh -c '
        ip -o addr show dev host0 scope global >/tmp/before
        ip addr add 100.64.77.3/24 dev host0 && ip addr add 2001:db8:77::3/64 dev host0 nodad &&
                exec '"$NP"' serve tcp 80'
wait_listening "$BRM" 1
brlink=$(status_field "$BRM" link)
check "a machine name too long for a link name: vb- + its first 3 characters + ~ + 8 hex digits ($brlink)" \
        grep -Eqx "vb-bri~[0-9a-f]{8}" <<<"$brlink"
check "the test host has $brlink besides the others" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB" "$BR" "bp$tag" "$brlink"
check "$brlink is a port of $BR" test "$(in_host ip -o link show master "$BR" | grep -c ": $brlink@")" = 1
check "berth gave host0 no address on the bridge" test -z "$(in_machine "$BRM" cat /tmp/before)"
check "… nor to $brlink" test -z "$(in_host ip -o addr show dev "$brlink" scope global)"
check "… and records none" test -z "$(status_field "$BRM" addresses)"
check "… and added no rules to nftables" test "$(in_host nft list ruleset)" = "$nft_before"
got=$(ask_in "$BRM" tcp 100.64.77.2 7)
check "the bridged machine reaches the peer on the bridge over IPv4 as 100.64.77.3 (got $got)" test "$got" = 100.64.77.3
got=$(ask_in "$BRM" tcp 2001:db8:77::2 7)
check "… and over IPv6 as 2001:db8:77::3 (got $got)" test "$got" = 2001:db8:77::3
got=$(nsenter --net="$NETNS/$PEER" "$WORK/netprobe" ask tcp 100.64.77.3 80 2>&1 || true)
check "… and the peer reaches it (got $got)" test "$got" = 100.64.77.2
show=$("$BERTH" show "$BRM")
check "show: NetworkLink=$brlink" grep -qx "NetworkLink=$brlink" <<<"$show"
check "show: Zone= empty" grep -qx "Zone=" <<<"$show"
check "show: Addresses= empty" grep -qx "Addresses=" <<<"$show"
stop "$BRM"
check "$brlink is gone with the machine, the test's bridge stays" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB" "$BR" "bp$tag"
ip -n "$HOST" link del "bp$tag"
ip -n "$HOST" link del "$BR"

# --- --private-network --------------------------------------------------------
out=$(run_fg -M "pn$tag" --private-network -- ip -o link show | awk -F': ' '{ print $2 }')
check "--private-network: only lo (got $out)" test "$out" = lo
rc=0
run_fg -M "pn$tag" --private-network -- "$NP" ask tcp 192.0.2.2 7 >/dev/null 2>&1 || rc=$?
check "--private-network: upstream is out of reach (netprobe exit $rc)" test "$rc" != 0
check "--private-network adds no link to the host" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB"

# --- Links lent to the machine, and a namespace joined ------------------------
# A veth pair of the test's: li lent whole, lp the parent of the others.
ip -n "$HOST" link add "li$tag" type veth peer name "lp$tag"
out=$(run_fg -M "if$tag" --network-interface="li$tag" -- ip -o link show | link_names | tr '\n' ' ')
check "--network-interface=li$tag: the machine has lo and li$tag (got $out)" test "$out" = "li$tag lo "
check "… and the host has it back after" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB" "li$tag" "lp$tag"
ifindex_of() { in_host ip -o link show "$1" | cut -d: -f1; } # ifindex_of LINK: in the test host
li_index=$(ifindex_of "li$tag")
out=$(run_fg -M "if$tag" --network-interface="li$tag" -- ip link set "li$tag" name lx 2>&1) ||
        echo "$out" >&2
check "renamed lx in the machine, li$tag is given back under its own name" \
        links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB" "li$tag" "lp$tag"
check "… the same link (index $li_index)" test "$(ifindex_of "li$tag")" = "$li_index"
out=$(run_fg -M "mv$tag" --network-macvlan="lp$tag" -- ip -o -d link show "mv-lp$tag" 2>&1 || true)
check "--network-macvlan=lp$tag: the machine has macvlan mv-lp$tag" grep -q " macvlan " <<<"$out"
check "… which is not left on the host" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB" "li$tag" "lp$tag"
if ip -n "$HOST" link add "ivprobe$tag" link "lp$tag" type ipvlan 2>/dev/null; then
        ip -n "$HOST" link del "ivprobe$tag"
        out=$(run_fg -M "iv$tag" --network-ipvlan="lp$tag" -- ip -o -d link show "iv-lp$tag" 2>&1 || true)
        check "--network-ipvlan=lp$tag: the machine has ipvlan iv-lp$tag" grep -q " ipvlan " <<<"$out"
        check "… which is not left on the host" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB" "li$tag" "lp$tag"
else
        echo "# --network-ipvlan not checked: this kernel makes no ipvlan links"
fi
# The machine removes li (its peer lp goes with it) and makes an ifb link of
# that name at its index: not the link it was lent, not the host's.
out=$(run_fg -M "if$tag" --network-interface="li$tag" -- sh -c '
        i=$(cat /sys/class/net/$1/ifindex) && ip link del "$1" && ip link add "$1" index "$i" type ifb &&
                ip -o -d link show "$1"' -- "li$tag" 2>&1 || true)
check "the machine swapped li$tag for an ifb link at its index ($out)" grep -q " ifb " <<<"$out"
check "… and nothing comes back to the host (li$tag and lp$tag are gone)" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB"
out=$(run_fg -M "ns$tag" --network-namespace-path="$NETNS/$CLIENT" -- ip -o addr show dev eth0 2>&1 || true)
check "--network-namespace-path: the machine is in that namespace (has the client's 198.51.100.2)" \
        grep -q " inet 198.51.100.2/24 " <<<"$out"
out=$(run_fg -M "ns$tag" --network-namespace-path="$NETNS/$CLIENT" -- ls /sys/class/net 2>&1 | tr '\n' ' ' || true)
check "… and its /sys/class/net shows that namespace's links (got $out)" test "$out" = "eth0 lo "
check "… which keeps its link after" test "$(ip -n "$CLIENT" -o link show | wc -l)" = 2

# --- A bridge berth did not make ----------------------------------------------
in_host ip link add "vz-own$tag" type bridge
rc=0
out=$(in_host "$BERTH" run -q -x -D "$T" --register=no -M "ow$tag" --network-zone="own$tag" -- echo started \
        </dev/null 2>&1) || rc=$?
check "--network-zone=own$tag with a bridge vz-own$tag of the test's: exit 1 (got $rc)" test "$rc" = 1
check "… one line, berth's, naming the bridge ($(tr '\n' '|' <<<"$out"))" \
        test "$(wc -l <<<"$out"):$(grep -c "^berth: .*vz-own$tag" <<<"$out")" = 1:1
check "… and the test's bridge is left alone, with no port" \
        eval 'in_host ip link show "vz-own$tag" >/dev/null && test -z "$(in_host ip -o link show master "vz-own$tag")"'
in_host ip link del "vz-own$tag"

# --- A port that is taken -----------------------------------------------------
# Each of these fails before its machine starts, with one line, and leaves
# the tables, links and the first machine's ports as they were.
nft_before=$(in_host nft list ruleset)
taken() { # taken WHAT NAME OPTIONS…
        local what=$1 name=$2 rc=0 out
        shift 2
        out=$(in_host "$BERTH" run -q -x -D "$T" --register=no -M "$name" "$@" -- echo started </dev/null 2>&1) || rc=$?
        check "$what: exit 1 (got $rc)" test "$rc" = 1
        check "$what: one line, berth's, naming the port ($(tr '\n' '|' <<<"$out"))" \
                test "$(wc -l <<<"$out"):$(grep -Ec '^berth: .*1808[01]' <<<"$out")" = 1:1
        check "$what: the machine did not start" not grep -q started <<<"$out"
        check "$what: no link left behind" links_are "ve-$WEB" "vz-$ZONE" "vb-$ZB"
        check "$what: nftables as it was" test "$(in_host nft list ruleset)" = "$nft_before"
}
taken "tcp:18080 again, veth" "wb$tag" -n -p tcp:18080:80
taken "udp:18081 again, zone $ZONE" "zc$tag" --network-zone="$ZONE" -p udp:18081:81
taken "tcp:18080 again, new zone y$tag" "zd$tag" --network-zone="y$tag" -p tcp:18080
ports_answer "after the failed attempts, $WEB"

# --- The zone's and the veth machine's end ------------------------------------
stop "$ZB"
check "with the zone's last machine gone, vz-$ZONE is gone" links_are "ve-$WEB"
check "… and so is its NAT" not grep -Fq "$(host_of "$za4" 0)/24" <<<"$(in_host nft list ruleset)"
stop "$WEB"
check "with the last machine gone, the test host has its own links only" links_are
check "… and berth's table is gone" test -z "$(in_host nft list ruleset)"
check "… and nothing listens on the published ports" test -z "$(in_host ss -Htuln 'sport = :18080 or sport = :18081')"

# Addresses are stable: the same again for the same name.
check "$WEB gets $web4 and $web6 again" has_addresses "$(run_fg -M "$WEB" -n -- ip -o addr show dev host0)" "$web4" "$web6"
check "$ZA gets $za4 and $za6 again in a new $ZONE" \
        has_addresses "$(run_fg -M "$ZA" --network-zone="$ZONE" -- ip -o addr show dev host0)" "$za4" "$za6"

# --- --resolv-conf=auto -------------------------------------------------------
# berth runs in a mount namespace where the host's resolv.conf names the
# upstream DNS server (the host's own files are not touched).
printf 'nameserver 192.0.2.2\n' >"$WORK/resolv.conf"
resolv_run() { # resolv_run [OPTIONS…] -- CMD…: run_fg where the host's resolv.conf is ours
        unshare --mount --propagation private sh -c '
                r=$1
                shift
                mount --bind "$r" /etc/resolv.conf || exit 1
                if [ -e /run/systemd/resolve/resolv.conf ]; then
                        mount --bind "$r" /run/systemd/resolve/resolv.conf || exit 1
                fi
                exec "$@"' -- "$WORK/resolv.conf" \
                nsenter --net="$NETNS/$HOST" "$BERTH" run -q -x -D "$T" --register=no "$@" </dev/null
}
check "(the tree's own resolv.conf names another server)" not grep -q 192.0.2.2 "$T/etc/resolv.conf"
out=$(resolv_run -M "rs$tag" -n -- sh -c 'cat /etc/resolv.conf; echo ---; timeout 5 getent hosts upstream.test' 2>&1 || true)
check "--resolv-conf=auto (default), veth: the machine's resolv.conf names the host's server 192.0.2.2 ($(tr '\n' ' ' <<<"$out"))" \
        grep -qx "nameserver 192.0.2.2" <<<"${out%%---*}"
check "… and getent hosts upstream.test answers 203.0.113.1 through it" \
        grep -Eqx "203\.0\.113\.1 +upstream\.test" <<<"${out#*---}"
out=$(resolv_run -M "rz$tag" --network-zone="$ZONE" --resolv-conf=auto -- timeout 5 getent hosts upstream.test 2>&1 || true)
check "--resolv-conf=auto, zone: getent hosts upstream.test answers 203.0.113.1 (got $out)" \
        grep -Eqx "203\.0\.113\.1 +upstream\.test" <<<"$out"
check "the DNS server was asked from the host's uplink address (NAT)" grep -q "^upstream.test 1 192.0.2.1$" "$WORK/dns.out"

mv "$T/etc/resolv.conf" "$WORK/tree-resolv.conf"
mkfifo "$T/etc/resolv.conf"
rc=0
out=$(timeout 60 nsenter --net="$NETNS/$HOST" "$BERTH" run -q -x -D "$T" --register=no -M "rf$tag" -n \
        --resolv-conf=copy-host -- sh -c 'test -p /etc/resolv.conf && echo fifo' </dev/null 2>/dev/null) || rc=$?
check "--resolv-conf=copy-host where the tree has a FIFO: the machine runs (exit $rc), its FIFO untouched" \
        test "$rc:$out" = 0:fifo
rm "$T/etc/resolv.conf"
mv "$WORK/tree-resolv.conf" "$T/etc/resolv.conf"

# --- systemd-networkd in the machine; machined --------------------------------
ND=nd$tag
nsenter --net="$NETNS/$HOST" "$BERTH" boot -M "$ND" -D "$T" -x -n --console=read-only \
        </dev/null >"$WORK/$ND.console" 2>"$WORK/$ND.stderr" &
SUPERVISOR["$ND"]=$!
STARTED+=($!)
wait_running "$ND"
mapfile -t nd_addr < <(status_field "$ND" addresses)
nd4=${nd_addr[0]:-}
nd6=${nd_addr[1]:-}
ndgw4=$(host_of "$nd4" 1)
ndgw6=$(host_of "$nd6" 1)
check "systemd-networkd runs in the machine" test "$(in_machine "$ND" systemctl is-active systemd-networkd)" = active
nd_has_network() { # host0 has berth's addresses and default routes
        has_addresses "$(in_machine "$ND" ip -o addr show dev host0)" "$nd4" "$nd6" && routes_via "$ND" "$ndgw4" "$ndgw6"
}
check "with networkd started, host0 still has $nd4, $nd6 and the default routes" nd_has_network
check "berth wrote /run/systemd/network/10-berth-host0.network for networkd" \
        in_machine "$ND" test -s /run/systemd/network/10-berth-host0.network
check "networkd configures host0 with it" grep -Fq "Network File: /run/systemd/network/10-berth-host0.network" \
        <<<"$(in_machine "$ND" networkctl status host0 --no-pager 2>&1)"

# machinectl in the test's host, where it can name the link by its index.
host_machinectl() {
        in_host unshare -m --propagation private sh -c \
                'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec machinectl "$@"' -- "$@"
}
mstatus=$(host_machinectl status "$ND" --no-pager 2>&1 || true)
check "machinectl status shows $ND's address $(plain "$nd4")" \
        grep -Eq "^[[:space:]]+(Address: )?$(plain "$nd4")\$" <<<"$mstatus"
check "… and $(plain "$nd6")" grep -Eq "^[[:space:]]+(Address: )?$(plain "$nd6")(%[0-9]+)?\$" <<<"$mstatus"
check "machinectl status: Iface: ve-$ND (registered with its host link's index)" grep -Eq "Iface: ve-$ND\$" <<<"$mstatus"
ifindex=$(ifindex_of "ve-$ND")
got=$(busctl --system get-property org.freedesktop.machine1 "/org/freedesktop/machine1/machine/$ND" \
        org.freedesktop.machine1.Machine NetworkInterfaces 2>&1 || true)
check "machined's NetworkInterfaces is ve-$ND's index $ifindex (got $got)" test "$got" = "ai 1 $ifindex"
got=$(getent -s hosts:mymachines hosts "$ND" || true)
check "getent -s hosts:mymachines hosts $ND resolves it (got $got)" \
        grep -Eqx "($(plain "$nd4")|$(plain "$nd6")) +$ND" <<<"$got"
got=$(getent -s hosts:mymachines ahostsv4 "$ND" | awk '{ print $1 }' | sort -u | tr '\n' ' ' || true)
check "… to $(plain "$nd4") over IPv4 (got $got)" grep -qw "$(plain "$nd4")" <<<"$got"

# networkd drops what it did not configure when it (re)configures a link:
# the addresses stay only if its configuration has them.
in_machine "$ND" networkctl reconfigure host0
for ((i = 0; i < 100; i++)); do
        [[ $(in_machine "$ND" networkctl list host0 --no-legend --no-pager 2>/dev/null) == *" configured"* ]] && break
        sleep 0.1
done
check "after networkctl reconfigure host0, it has them still" nd_has_network
got=$(ask_in "$ND" tcp 192.0.2.2 7)
check "… and reaches upstream (got $got)" test "$got" = 192.0.2.1
"$BERTH" poweroff "$ND"
wait_supervisor "$ND"
check "$ND powered off (got $RC)" test "$RC" = 0
check "… and ve-$ND is gone" links_are

# --- The end ------------------------------------------------------------------
machines=$(busctl --system call org.freedesktop.machine1 /org/freedesktop/machine1 org.freedesktop.machine1.Manager ListMachines)
for m in "$WEB" "$ZA" "$ZB" "$BRM" "$ND"; do
        check "machined forgot $m" not grep -q "\"$m\"" <<<"$machines"
done

# Nothing of berth's is left in the test host.
check "the test host's links are its own" links_are
check "nftables is empty" test -z "$(in_host nft list ruleset)"
check "the test host's addresses are its own" \
        test "$(in_host ip -o addr show | awk '{ print $2, $4 }' | grep -v ' fe80::' | sort | tr '\n' ' ')" = \
        "cl0 198.51.100.1/24 cl0 2001:db8:1::1/64 lo 127.0.0.1/8 lo ::1/128 up0 192.0.2.1/24 up0 2001:db8::1/64 "
routes4="192.0.2.0/24 dev up0 proto kernel scope link src 192.0.2.1"
routes4+="|198.51.100.0/24 dev cl0 proto kernel scope link src 198.51.100.1"
routes4+="|default via 192.0.2.2 dev up0"
check "… and its IPv4 routes" test "$(in_host ip -4 route show | awk '{ $1 = $1; print }' | sort | paste -sd '|')" = "$routes4"
check "… and its IPv6 routes" test -z "$(in_host ip -6 route show | grep -Ev ' dev (lo|up0|cl0) ')"
