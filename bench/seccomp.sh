#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the system call filter costs, berth beside systemd-nspawn, in one run:
#   start     `berth run /bin/true` with the filter, and without it
#             (SYSTEMD_SECCOMP=0); target: at most +1 ms
#   syscalls  N getppid() calls in a machine (tests/integration/probe.c),
#             with and without the filter, berth and nspawn (its default
#             filter, and SYSTEMD_SECCOMP=0)
#
#   bench/seccomp.sh [RUNS] [CALLS]   as root; BERTH=path as in run.sh
set -euo pipefail

runs=${1:-30}
calls=${2:-2000000}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/seccomp.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages hyperfine python3 systemd-container gcc libc6-dev
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"

tree=$("$src/tests/fixtures/debian-tree.sh")
work=/var/cache/berth-bench
mkdir -p "$work"
chmod 0700 "$work"
[[ -d $work/tree ]] || cp -a --reflink=auto "$tree" "$work/tree"
gcc -static -O2 -o "$work/tree/usr/local/bin/probe" "$src/tests/integration/probe.c"
json=$work/seccomp.json

ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f}')"; }
mean() {
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["mean"] for r in d["results"] if r["command"]==sys.argv[2]][0])' "$json" "$1"
}

echo "berth: $("$BERTH" --version)    systemd-nspawn: $(systemd-nspawn --version | head -1)"
echo "$runs runs each; $calls system calls in the loop"
echo

hyperfine -N -w 5 -r "$runs" --export-json "$json" \
        -n filter "$BERTH run -q -D $work/tree /bin/true" \
        -n nofilter "env SYSTEMD_SECCOMP=0 $BERTH run -q -D $work/tree /bin/true" >/dev/null
f=$(mean filter); n=$(mean nofilter)
printf '%-40s %8s ms   without %s ms   +%s ms   target <= +1 ms\n' "berth run /bin/true, filter" \
        "$(ms "$f")" "$(ms "$n")" "$(python3 -c "print(f'{($f-$n)*1000:.2f}')")"

nspawn=(systemd-nspawn -U -q --keep-unit --register=no -D "$work/tree")
hyperfine -N -w 1 -r "$((runs / 3 + 1))" --export-json "$json" \
        -n berth "$BERTH run -q -D $work/tree /usr/local/bin/probe loop $calls" \
        -n berth-nofilter "env SYSTEMD_SECCOMP=0 $BERTH run -q -D $work/tree /usr/local/bin/probe loop $calls" \
        -n nspawn "${nspawn[*]} /usr/local/bin/probe loop $calls" \
        -n nspawn-nofilter "env SYSTEMD_SECCOMP=0 ${nspawn[*]} /usr/local/bin/probe loop $calls" >/dev/null
for name in berth berth-nofilter nspawn nspawn-nofilter; do
        printf '%-40s %8s ms\n' "$calls getppid(), $name" "$(ms "$(mean "$name")")"
done
b=$(mean berth); bn=$(mean berth-nofilter); s=$(mean nspawn); sn=$(mean nspawn-nofilter)
printf '%-40s berth +%s ms, nspawn +%s ms\n' "what the filter adds to the loop" \
        "$(python3 -c "print(f'{($b-$bn)*1000:.1f}')")" "$(python3 -c "print(f'{($s-$sn)*1000:.1f}')")"
