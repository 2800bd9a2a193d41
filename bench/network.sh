#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the network costs, berth against its anchors of design.md §7, in one
# run; prints medians and ratios.
#
#   bench/network.sh [RUNS]      as root; BERTH=path as in run.sh; BYTES=N
#                                per transfer (default 2000000000)
#
# What is compared:
#   start     `berth run --network-veth /bin/true` vs `berth run /bin/true`
#             (what the veth adds: the link, its addresses, NAT in nftables)
#             vs `systemd-nspawn --network-veth` and plain systemd-nspawn, on
#             the same tree, RUNS times each (hyperfine)
#   NAT       a TCP transfer of BYTES from inside a machine with
#             --network-veth (its veth, forwarding, masquerade) to a sink in
#             an "upstream" namespace, vs the same transfer between two
#             plain namespaces over one veth pair; up to 5 times each, in
#             turn; medians of MB/s
#
# Everything runs in network namespaces of the benchmark's own, entered with
# nsenter --net (never ip netns exec: it remounts /sys, which hides the
# cgroup hierarchy). systemd-nspawn runs with --keep-unit --register=no as in
# run.sh; it makes only the veth pair (no addresses, no NAT: that is
# systemd-networkd's work), so its numbers favour it, if anything.
set -euo pipefail

runs=${1:-30}
bytes=${BYTES:-2000000000}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/network.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages hyperfine python3 systemd-container iproute2 nftables gcc libc6-dev
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"

# A private copy of the tree (the one run.sh boots), for both.
tree=$(bench_tree)

scratch=$(mktemp -d /var/tmp/berth-bench-net-XXXXXX)
ns=berth-bench-net-$$
HOST=$ns-host # berth runs here; its machines' upstream is…
UP=$ns-up     # … here
PLAIN_A=$ns-a # the plain pair
PLAIN_B=$ns-b
netns_mounted=0
mountpoint -q /run/netns 2>/dev/null && netns_mounted=1
pids=()
cleanup() {
        local n
        bench_stop "${pids[@]}"
        # What an interrupted machine left, while its namespace is there.
        "$BERTH" list >/dev/null 2>&1 || true
        for n in "$HOST" "$UP" "$PLAIN_A" "$PLAIN_B"; do
                ip netns delete "$n" 2>/dev/null || true
        done
        if ((netns_mounted == 0)); then
                umount /run/netns 2>/dev/null || true
        fi
        rm -rf "$scratch"
}
trap cleanup EXIT

in_ns() {
        local n=$1
        shift
        nsenter --net="/run/netns/$n" "$@"
}
for n in "$HOST" "$UP" "$PLAIN_A" "$PLAIN_B"; do
        ip netns add "$n"
        in_ns "$n" ip link set lo up
done
in_ns "$HOST" ip link add up0 type veth peer name up1 netns "$UP"
in_ns "$HOST" ip addr add 192.0.2.1/24 dev up0
in_ns "$UP" ip addr add 192.0.2.2/24 dev up1
in_ns "$HOST" ip link set up0 up
in_ns "$UP" ip link set up1 up
in_ns "$HOST" ip route add default via 192.0.2.2
in_ns "$PLAIN_A" ip link add p0 type veth peer name p1 netns "$PLAIN_B"
in_ns "$PLAIN_A" ip addr add 198.51.100.1/24 dev p0
in_ns "$PLAIN_B" ip addr add 198.51.100.2/24 dev p1
in_ns "$PLAIN_A" ip link set p0 up
in_ns "$PLAIN_B" ip link set p1 up

# The probe, static: the machine runs it from a bind mount.
mkdir -m 0755 "$scratch/bin"
gcc -static -O2 -o "$scratch/bin/netprobe" "$src/tests/integration/netprobe.c"

json=$scratch/start.json
median() { # median NAME: seconds
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["median"] for r in d["results"] if r["command"]==sys.argv[2]][0])' "$json" "$1"
}
ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f}')"; }
added() { python3 -c "print(f'{(float(\"$1\")-float(\"$2\"))*1000:+.1f}')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }

echo "berth: $("$BERTH" --version)    systemd-nspawn: $(systemd-nspawn --version | head -1)"
echo "tree: $tree, $runs runs each, $(nproc) CPUs, $((bytes / 1000000)) MB per transfer"
echo

# --- Starting a machine with a veth ---------------------------------------------

nspawn="systemd-nspawn -q -U --keep-unit --register=no"
in_ns "$HOST" hyperfine -N -w 3 -r "$runs" --export-json "$json" \
        -n berth-run "$BERTH run -q -D $tree /bin/true" \
        -n berth-veth "$BERTH run -q --network-veth -D $tree /bin/true" \
        -n nspawn-run "$nspawn -D $tree /bin/true" \
        -n nspawn-veth "$nspawn --network-veth -D $tree /bin/true" >/dev/null
run_b=$(median berth-run)
veth_b=$(median berth-veth)
run_n=$(median nspawn-run)
veth_n=$(median nspawn-veth)

# --- NAT throughput -------------------------------------------------------------

# nsenter itself in the background (not in_ns, a subshell): $! is then the
# sink's PID, for the cleanup to end.
nsenter --net="/run/netns/$UP" "$scratch/bin/netprobe" sink tcp 5001 >"$scratch/sink-up" 2>&1 &
pids+=($!)
nsenter --net="/run/netns/$PLAIN_B" "$scratch/bin/netprobe" sink tcp 5001 >"$scratch/sink-plain" 2>&1 &
pids+=($!)
for f in "$scratch/sink-up" "$scratch/sink-plain"; do
        for ((i = 0; i < 100; i++)); do
                grep -q listening "$f" && break
                sleep 0.05
        done
        grep -q listening "$f" || { echo "bench/network.sh: a sink did not start:" >&2; cat "$f" >&2; exit 1; }
done

tp_runs=$((runs < 5 ? runs : 5))
: >"$scratch/nat"
: >"$scratch/plain"
for ((i = 0; i < tp_runs; i++)); do
        in_ns "$HOST" "$BERTH" run -q --network-veth -D "$tree" --bind-ro="$scratch/bin:/mnt" \
                /mnt/netprobe send tcp 192.0.2.2 5001 "$bytes" </dev/null >>"$scratch/nat"
        in_ns "$PLAIN_A" "$scratch/bin/netprobe" send tcp 198.51.100.2 5001 "$bytes" >>"$scratch/plain"
done
median_rate() { # median_rate FILE: of the first column ("MBYTES/S SECONDS")
        python3 -c 'import statistics,sys; print(f"{statistics.median(float(l.split()[0]) for l in open(sys.argv[1])):.0f}")' "$1"
}
nat=$(median_rate "$scratch/nat")
plain=$(median_rate "$scratch/plain")

printf '%-34s %12s %12s %8s   %s\n' "(medians)" berth nspawn ratio target
printf '%-34s %9s ms %9s ms %8s\n' "run /bin/true" "$(ms "$run_b")" "$(ms "$run_n")" "$(ratio "$run_b" "$run_n")"
printf '%-34s %9s ms %9s ms %8s   %s\n' "run --network-veth /bin/true" "$(ms "$veth_b")" "$(ms "$veth_n")" \
        "$(ratio "$veth_b" "$veth_n")" "<= 0.20"
printf '%-34s %9s ms %9s ms %8s   %s\n' "  added by the veth" "$(added "$veth_b" "$run_b")" "$(added "$veth_n" "$run_n")" \
        "-" "<= +3 ms (berth)"
echo
printf '%-34s %12s %12s %8s   %s\n' "(medians of $tp_runs transfers)" "machine" "plain veth" ratio target
printf '%-34s %7s MB/s %7s MB/s %8s   %s\n' "TCP out of the machine (NAT)" "$nat" "$plain" "$(ratio "$nat" "$plain")" ">= 0.90"
