#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Copying an image: `berth clone` of the test tree (about 260 MB, in
# /var/lib/machines) against `cp -a` and `machinectl clone` (the real
# systemd-machined, on a private system bus) on the same filesystem, in
# one run. The page cache is warm for all three (a first copy is made
# before the timed ones).
#
#   bench/images.sh [RUNS]     as root; BERTH=path as in run.sh
set -euo pipefail

runs=${1:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/images.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages hyperfine bc python3 systemd-container dbus-daemon
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
tree=$("$src/tests/fixtures/debian-tree.sh")
work=$(mktemp -d /var/tmp/berth-bench-XXXXXX)
store=/var/lib/machines
from=bench-img-src-$$
to=bench-img-dst-$$
pids=()
cleanup() {
        rm -rf "${store:?}/$from" "${store:?}/$to"
        bench_stop "${pids[@]}"
        rm -rf "$work"
}
trap cleanup EXIT

bench_machined "$work"

"$BERTH" import-fs "$tree" "$from"
echo "berth: $("$BERTH" --version)    machinectl: $(machinectl --version | head -1)    $(du -sh "$store/$from" | cut -f1) on $(stat -fc %T "$store")"

hyperfine -N -w 1 -r "$runs" --export-json "$work/clone.json" \
        -p "rm -rf $store/$to" -n berth "$BERTH clone $from $to" \
        -p "rm -rf $store/$to" -n cp "cp -a $store/$from $store/$to" \
        -p "rm -rf $store/$to" -n machinectl "$work/machinectl clone $from $to" >/dev/null
mean() {
        python3 -c 'import json,sys; print([r["mean"] for r in json.load(open(sys.argv[1]))["results"] if r["command"]==sys.argv[2]][0])' "$work/clone.json" "$1"
}
b=$(mean berth); c=$(mean cp); m=$(mean machinectl)
printf '%-30s %8.0f ms   cp -a %.0f ms (ratio %.2f), machinectl clone %.0f ms (ratio %.2f)\n' \
        "clone of the test tree" "$(echo "$b * 1000" | bc)" "$(echo "$c * 1000" | bc)" "$(echo "$b / $c" | bc -l)" \
        "$(echo "$m * 1000" | bc)" "$(echo "$b / $m" | bc -l)"
