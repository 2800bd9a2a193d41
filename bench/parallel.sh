#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# N machines of one tree booted in parallel (ephemeral, so they may share
# it), until every one reported READY=1 (berth list: running). Prints how
# many made it and how long it took, and the supervisors' memory per
# machine (PSS: shared library pages divided among the supervisors).
#
#   bench/parallel.sh [N]     as root; N defaults to 50; BERTH=path as in run.sh
set -euo pipefail

n=${1:-50}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/parallel.sh: run me as root" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
tree=$("$src/tests/fixtures/debian-tree.sh")

pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do
                kill -TERM "$p" 2>/dev/null || true
        done
        for p in "${pids[@]}"; do
                wait "$p" 2>/dev/null || true
        done
}
trap cleanup EXIT

start=$(date +%s.%N)
for ((i = 0; i < n; i++)); do
        "$BERTH" boot -q -x -D "$tree" -M "par$i" --console=passive </dev/null >/dev/null 2>&1 &
        pids+=($!)
done

running=0
for ((t = 0; t < 3000; t++)); do
        running=$("$BERTH" list --json | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["machine"].startswith("par") and m["state"] == "running"))')
        ((running == n)) && break
        sleep 0.2
done
end=$(date +%s.%N)

pss=0
for p in "${pids[@]}"; do
        v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        pss=$((pss + v))
done
alive=0
for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
done

printf '%d of %d machines ready (READY=1) after %.1f s; %d supervisors alive\n' \
        "$running" "$n" "$(echo "$end - $start" | bc)" "$alive"
printf 'supervisor memory per machine: %d kB PSS\n' $((pss / n))
((running == n))
