#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# berth against systemd-nspawn (Debian's systemd-container), on the same
# Debian 12 tree, in one run; prints each measurement and the ratios
# against the targets of design.md §7.
#
#   bench/run.sh [RUNS]          as root; BERTH=path picks the binary
#                                (default: builds one in /var/cache/berth-build-bench)
#
# What is compared:
#   run       `berth run -D TREE /bin/true` vs `systemd-nspawn -U -D TREE /bin/true`
#   boot      boot to multi-user (READY=1 from the machine's systemd), then an
#             orderly shutdown on SIGTERM: `berth boot` vs `systemd-nspawn -b -U`
#   ephemeral `berth run -x` (overlay) vs `berth run` on the same 200 MB tree
#   memory    the supervisor's VmRSS (and PSS) with a booted machine
#   floors    /bin/true, and util-linux's `unshare -Urmpf --mount-proc
#             /bin/true` (a user, mount and PID namespace and a /proc: less
#             than a machine needs), to tell berth's cost from the kernel's
#
# systemd-nspawn runs with --keep-unit --register=no: this host has no
# system bus, and without them nspawn can't run at all. That spares nspawn
# its D-Bus work, so the ratios favour nspawn, if anything.
set -euo pipefail

runs=${1:-30}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/run.sh: run me as root" >&2; exit 1; }

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"

tree=$("$src/tests/fixtures/debian-tree.sh")
# Booting writes to a tree: both boot a private copy (the same one).
boot_tree=$(bench_tree)
work=/var/cache/berth-bench
size=$(du -sm "$tree" | cut -f1)

json=$work/results.json
mean() { # mean NAME: seconds
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["mean"] for r in d["results"] if r["command"]==sys.argv[2]][0])' "$json" "$1"
}
ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f}')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }

echo "berth: $("$BERTH" --version)    systemd-nspawn: $(systemd-nspawn --version | head -1)"
echo "tree: $tree ($size MB), $runs runs each, $(nproc) CPUs"
echo

hyperfine -N -w 3 -r "$runs" --export-json "$json" \
        -n berth-run "$BERTH run -q -D $tree /bin/true" \
        -n nspawn-run "systemd-nspawn -q -U --keep-unit --register=no -D $tree /bin/true" \
        -n berth-run-ephemeral "$BERTH run -q -x -D $tree /bin/true" \
        -n floor-true "/bin/true" \
        -n floor-unshare "unshare -Urmpf --mount-proc /bin/true" >/dev/null
run_b=$(mean berth-run)
floor_true=$(mean floor-true)
floor_unshare=$(mean floor-unshare)
run_n=$(mean nspawn-run)
run_x=$(mean berth-run-ephemeral)

boot_runs=$(( runs < 10 ? runs : 10 ))
hyperfine -w 1 -r "$boot_runs" --export-json "$json.boot" \
        -n berth-boot "python3 $src/bench/boot-cycle.py $BERTH boot -q -D $boot_tree -M bench --console=passive --notify-ready=yes" \
        -n nspawn-boot "python3 $src/bench/boot-cycle.py systemd-nspawn -q -U --keep-unit --register=no -b -D $boot_tree -M bench --console=passive --notify-ready=yes" >/dev/null
json=$json.boot
boot_b=$(mean berth-boot)
boot_n=$(mean nspawn-boot)

read -r rss_b anon_b pss_b < <(python3 "$src/bench/rss.py" "$BERTH" boot -q -D "$boot_tree" -M bench --console=passive --notify-ready=yes)
read -r rss_n anon_n pss_n < <(python3 "$src/bench/rss.py" systemd-nspawn -q -U --keep-unit --register=no -b -D "$boot_tree" -M bench --console=passive --notify-ready=yes)

printf '%-34s %12s %12s %8s   %s\n' "" berth nspawn ratio target
printf '%-34s %10s ms %9s ms %8s   %s\n' "run /bin/true" "$(ms "$run_b")" "$(ms "$run_n")" "$(ratio "$run_b" "$run_n")" "<= 10 ms and <= 0.15"
printf '%-34s %10s ms %12s %8s   %s\n' "  floor: /bin/true" "$(ms "$floor_true")" "-" "-" "exec of a dynamic program"
printf '%-34s %10s ms %12s %8s   %s\n' "  floor: unshare -Urmpf" "$(ms "$floor_unshare")" "-" "-" "--mount-proc: user+mount+PID ns, /proc"
printf '%-34s %10s ms %9s ms %8s   %s\n' "boot to multi-user + poweroff" "$(ms "$boot_b")" "$(ms "$boot_n")" "$(ratio "$boot_b" "$boot_n")" "<= 0.90"
printf '%-34s %10s ms %12s %8s   %s\n' "run -x (ephemeral) vs run" "$(ms "$run_x")" "-" "$(ratio "$run_x" "$run_b")" "<= 1.10 (vs berth run)"
printf '%-34s %10s kB %9s kB %8s   %s\n' "supervisor VmRSS, machine booted" "$rss_b" "$rss_n" "$(ratio "$rss_b" "$rss_n")" "<= 2048 kB"
printf '%-34s %10s kB %9s kB %8s\n' "supervisor RssAnon" "$anon_b" "$anon_n" "$(ratio "$anon_b" "$anon_n")"
printf '%-34s %10s kB %9s kB %8s\n' "supervisor Pss" "$pss_b" "$pss_n" "$(ratio "$pss_b" "$pss_n")"
