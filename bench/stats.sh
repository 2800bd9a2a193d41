#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The cost of `berth stats --json` for N running machines (ephemeral boots
# of the test tree): the median wall time of one call (target: at most
# 20 ms for 20 machines), against `systemd-cgtop -b -n1 --raw` reading the
# host's cgroups, where it is installed. Checks that the document has all N.
#
#   bench/stats.sh [N]     as root; N defaults to 20; BERTH=path as in run.sh
set -euo pipefail

n=${1:-20}
runs=21
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/stats.sh: run me as root" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
tree=$("$src/tests/fixtures/debian-tree.sh")

pids=()
trap 'bench_stop "${pids[@]}"' EXIT

for ((i = 0; i < n; i++)); do
        "$BERTH" boot -q -x -D "$tree" -M "bstat$i" --console=passive </dev/null >/dev/null 2>&1 &
        pids+=($!)
done
for ((t = 0; t < 3000; t++)); do
        running=$("$BERTH" list --json | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["machine"].startswith("bstat") and m["state"] == "running"))')
        ((running == n)) && break
        sleep 0.2
done
((running == n)) || { echo "bench/stats.sh: only $running of $n machines came up" >&2; exit 1; }

names=()
for ((i = 0; i < n; i++)); do names+=("bstat$i"); done
got=$("$BERTH" stats --json "${names[@]}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
((got == n)) || { echo "bench/stats.sh: stats --json gave $got machines, not $n" >&2; exit 1; }

# median_ms CMD…: the median wall time of runs calls, and their CPU time
# (user and system, less at the mercy of the host's other load), in ms.
median_ms() {
        python3 - "$runs" "$@" <<'PY'
import resource, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
wall, cpu = [], []
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall.append((time.perf_counter() - t) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000)
wall.sort()
cpu.sort()
print(f"{wall[len(wall) // 2]:.1f} ms wall, {cpu[len(cpu) // 2]:.1f} ms CPU")
PY
}

echo "machines: $n, calls: $runs (medians); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "berth stats --json NAME… (the $n):     $(median_ms "$BERTH" stats --json "${names[@]}")"
echo "berth stats --json (every machine):   $(median_ms "$BERTH" stats --json)"
if command -v systemd-cgtop >/dev/null; then
        echo "systemd-cgtop -b -n1 --raw (host):    $(median_ms systemd-cgtop -b -n1 --raw)"
else
        echo "systemd-cgtop: not installed"
fi
