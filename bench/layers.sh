#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Layered images: the three-layer OCI image of the test tree
# (tests/fixtures/oci-image.sh, gzip'd layers), in one run:
#
#   import     `berth import-oci LAYOUT NAME` (into /var/lib/machines, the
#              layers absent before each run) against `umoci unpack` of the
#              same layout (one flattened tree) and against LXC's way
#              (lxc-oci: skopeo copy into a local OCI cache, then umoci
#              unpack of the container's flattened rootfs): time, and bytes
#              on disk (blocks, hard links counted once)
#   sharing    a second image on the same base (the fixture's "sibling"):
#              berth stores only its own layer; a flattened copy costs the
#              whole tree again
#   boot       boot to multi-user (READY=1), then an orderly shutdown on
#              SIGTERM: the layered image (`berth boot -M NAME`: overlayfs on
#              the idmapped layers) against the same tree as a plain directory
#              (umoci unpack of the layout; `berth boot -D`); target <= 1.10
#
#   bench/layers.sh [RUNS]     as root; BERTH=path as in run.sh
#
# If the layers are in the store already (another image links them), the
# import would not unpack them: the benchmark says so and stops.
set -euo pipefail

runs=${1:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/layers.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages hyperfine python3 umoci skopeo
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
oci=$("$src/tests/fixtures/oci-image.sh")
# shellcheck source=/dev/null
. "$oci/fixture.env"
store=/var/lib/machines
work=$(mktemp -d /var/tmp/berth-bench-XXXXXX) # 0700: berth boots a tree in it
deb=bench-layers-deb-$$
sib=bench-layers-sib-$$
cleanup() {
        "$BERTH" remove "$sib" >/dev/null 2>&1 || true
        "$BERTH" remove "$deb" >/dev/null 2>&1 || true
        rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# The base must be unpacked by each import; a small layer already there
# (another image links it) is said.
read -ra ids <<<"$DEBIAN_DIFF_IDS"
if [[ -e $store/.oci-sha256:${ids[0]#sha256:} ]]; then
        echo "bench/layers.sh: the base layer ${ids[0]} is in $store already (another image links it): remove that image first" >&2
        exit 1
fi
present=()
for id in $DEBIAN_DIFF_IDS $SIBLING_DIFF_IDS; do
        [[ -e $store/.oci-sha256:${id#sha256:} ]] && present+=("$id")
done

json=$work/results.json
mean() { # mean NAME: seconds
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["mean"] for r in d["results"] if r["command"]==sys.argv[2]][0])' "$json" "$1"
}
ms() { python3 -c "print(f'{float(\"$1\")*1000:.0f}')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }
mb() { python3 -c "print(f'{int(\"$1\")/1048576:.2f}')"; }
# bytes PATH…: blocks on disk of all of them together, hard links once.
bytes() { du -sc --block-size=1 "$@" | tail -n1 | cut -f1; }
# image_bytes NAME: NAME.mstack and the layers it links to.
image_bytes() {
        local l paths=("$store/$1.mstack")
        for l in "$store/$1.mstack"/layer@*; do
                paths+=("$store/$(readlink "$l" | sed 's|^\.\./||')")
        done
        bytes "${paths[@]}"
}
# own_bytes NAME OTHER: what NAME adds to the store beside OTHER.
own_bytes() {
        local own
        mapfile -t own < <(comm -23 <(readlink "$store/$1.mstack"/layer@* | sort) \
                <(readlink "$store/$2.mstack"/layer@* | sort) | sed "s|^\.\./|$store/|")
        bytes "$store/$1.mstack" "${own[@]}"
}

echo "berth: $("$BERTH" --version)    $(umoci --version)    skopeo $(skopeo --version | cut -d' ' -f3)"
echo "image: $oci/debian, 3 layers ($(mb "$(bytes "$oci/debian")") MB of blobs), $runs runs each, $(nproc) CPUs, $(stat -fc %T "$store")"
((${#present[@]} == 0)) || echo "note: in the store already (not unpacked by the imports): ${present[*]}"
echo

# shellcheck disable=SC2016 # for hyperfine's shell
hyperfine -w 1 -r "$runs" --export-json "$json" \
        -p "$BERTH remove $deb >/dev/null 2>&1; true" -n berth "$BERTH import-oci $oci/debian $deb" \
        -p "rm -rf $work/umoci" -n umoci "umoci unpack --image $oci/debian:debian $work/umoci >/dev/null 2>&1" \
        -p "rm -rf $work/lxc-cache $work/lxc" -n lxc \
        "skopeo copy -q oci:$oci/debian:debian oci:$work/lxc-cache:latest && umoci unpack --image $work/lxc-cache:latest $work/lxc >/dev/null 2>&1" \
        >/dev/null
imp_b=$(mean berth) imp_u=$(mean umoci) imp_l=$(mean lxc)
bytes_b=$(image_bytes "$deb") bytes_u=$(bytes "$work/umoci") bytes_l=$(bytes "$work/lxc-cache" "$work/lxc")

# The sibling: imported beside $deb (its base already there).
hyperfine -w 1 -r "$runs" --export-json "$json.sib" \
        -p "$BERTH remove $sib >/dev/null 2>&1; true" -n berth "$BERTH import-oci $oci/sibling $sib" \
        -p "rm -rf $work/umoci-sib" -n umoci "umoci unpack --image $oci/sibling:sibling $work/umoci-sib >/dev/null 2>&1" \
        >/dev/null
json=$json.sib
sib_b=$(mean berth) sib_u=$(mean umoci)
sbytes_b=$(own_bytes "$sib" "$deb") sbytes_u=$(bytes "$work/umoci-sib")
rm -rf --one-file-system "$work/umoci-sib" "$work/lxc" "$work/lxc-cache"

# Boot: the layered image (its top starts empty each run) against the
# flattened tree as a plain directory (a fresh copy each run, written out
# before the boot starts: no writeback of the copy during it).
json=$work/boot.json
boot_runs=$((runs > 10 ? runs : 10)) # a boot is short and noisy: 10 at least
flat=$work/flat
hyperfine -w 1 -r "$boot_runs" --export-json "$json" \
        -p "sh -c 'rm -rf $store/$deb.mstack/rw && sync'" -n layered \
        "python3 $src/bench/boot-cycle.py $BERTH boot -q -M $deb --console=passive --notify-ready=yes" \
        -p "sh -c 'rm -rf $flat && cp -a $work/umoci/rootfs $flat && sync'" -n directory \
        "python3 $src/bench/boot-cycle.py $BERTH boot -q -D $flat -M $deb --console=passive --notify-ready=yes" \
        >/dev/null
boot_l=$(mean layered) boot_d=$(mean directory)

printf '%-44s %10s %12s %8s   %s\n' "" time "on disk" ratio "against"
printf '%-44s %7s ms %9s MB %8s\n' "berth import-oci (3 layers)" "$(ms "$imp_b")" "$(mb "$bytes_b")" ""
printf '%-44s %7s ms %9s MB %8s   %s\n' "umoci unpack (one flattened tree)" "$(ms "$imp_u")" "$(mb "$bytes_u")" \
        "$(ratio "$imp_b" "$imp_u")" "berth/umoci time"
printf '%-44s %7s ms %9s MB %8s   %s\n' "LXC's way (skopeo copy + umoci unpack)" "$(ms "$imp_l")" "$(mb "$bytes_l")" \
        "$(ratio "$imp_b" "$imp_l")" "berth/LXC time"
printf '%-44s %7s ms %9s MB %8s   %s\n' "second image on the same base: berth" "$(ms "$sib_b")" "$(mb "$sbytes_b")" "" "its own layer only"
printf '%-44s %7s ms %9s MB %8s   %s\n' "second image on the same base: flattened" "$(ms "$sib_u")" "$(mb "$sbytes_u")" \
        "$(python3 -c "print(f'{$sbytes_b/$sbytes_u:.4f}')")" "berth/flattened bytes"
printf '%-44s %7s ms %12s %8s   %s\n' "boot to multi-user + poweroff, layered" "$(ms "$boot_l")" "" "" ""
printf '%-44s %7s ms %12s %8s   %s\n' "boot to multi-user + poweroff, directory" "$(ms "$boot_d")" "" \
        "$(ratio "$boot_l" "$boot_d")" "layered/directory, target <= 1.10"
