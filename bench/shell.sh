#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Entering a running machine: `berth shell NAME /bin/true` against
# `machinectl shell NAME /bin/true` (systemd-machined on a private system
# bus, a transient unit started by the machine's own systemd) and
# `nsenter -a -t LEADER /bin/true` (util-linux), in one run, on one machine
# booted by berth and registered with machined.
#
#   bench/shell.sh [RUNS]     as root; BERTH=path as in run.sh
set -euo pipefail

runs=${1:-30}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/shell.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages hyperfine bc python3 systemd-container dbus-daemon util-linux
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
tree=$("$src/tests/fixtures/debian-tree.sh")
work=$(mktemp -d /var/tmp/berth-bench-XXXXXX)
pids=()
cleanup() {
        "$BERTH" poweroff bench-shell 2>/dev/null || true
        # dbus-daemon and machined run until told to stop.
        bench_stop "${pids[@]}"
        rm -rf "$work"
}
trap cleanup EXIT

# A private system bus with the real systemd-machined on it.
bench_machined "$work"
machined=${pids[-1]}

"$BERTH" boot -q -x -D "$tree" -M bench-shell --console=passive </dev/null >/dev/null 2>&1 &
supervisor=$!
for ((i = 0; i < 300; i++)); do
        [[ $("$BERTH" list --json) == *'"state":"running"'* ]] && break
        sleep 0.1
done
leader=$(awk -F= '$1 == "LEADER" { print $2 }' /run/berth/machines/bench-shell)

hyperfine -N -w 3 -r "$runs" --export-json "$work/shell.json" \
        -n berth "$BERTH shell bench-shell /bin/true" \
        -n machinectl "$work/machinectl shell bench-shell /bin/true" \
        -n nsenter "nsenter -a -t $leader /bin/true" >/dev/null
mean() {
        python3 -c 'import json,sys; print([r["mean"] for r in json.load(open(sys.argv[1]))["results"] if r["command"]==sys.argv[2]][0])' "$work/shell.json" "$1"
}
b=$(mean berth); m=$(mean machinectl); n=$(mean nsenter)
printf '%-34s %10.1f ms   machinectl shell %.1f ms (ratio %.2f), nsenter -a %.1f ms   target <= 10 ms\n' \
        "shell NAME /bin/true" "$(echo "$b * 1000" | bc)" "$(echo "$m * 1000" | bc)" "$(echo "$b / $m" | bc -l)" \
        "$(echo "$n * 1000" | bc)"

"$BERTH" poweroff bench-shell
wait "$supervisor" || true
kill "$machined" 2>/dev/null || true
