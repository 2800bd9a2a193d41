#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Raw disk images: berth against systemd-nspawn (Debian's systemd-container)
# on the same GPT image of the test tree (tests/fixtures/raw-image.sh, the
# systemd-repart one), in one run; prints each measurement and the ratios.
#
#   bench/raw.sh [RUNS]          as root; BERTH=path as in run.sh
#
# What is compared:
#   boot       boot to multi-user (READY=1 from the machine's systemd), then
#              an orderly shutdown on SIGTERM (bench/boot-cycle.py):
#              `berth boot -i IMG` vs `systemd-nspawn -U -b -i IMG`, both on
#              one private copy of the image (a boot writes to it)
#   run -i     `berth run --read-only -i IMG /bin/true` vs
#              `systemd-nspawn -U --read-only -i IMG /bin/true`
#   ephemeral  `berth run -x -i IMG /bin/true` vs `berth run -x -D TREE
#              /bin/true`: what starting from a disk image (probe, loop
#              device, mount) costs over starting from the same tree
#
# systemd-nspawn runs with --keep-unit --register=no (as in run.sh), through
# a wrapper that gives it what a unit with Delegate=yes would and this host
# lacks: cgroups of its own (on the unified hierarchy, and on the name=systemd
# one of a hybrid host), and a mount namespace whose /run is a tmpfs with a
# socket at /run/udev/control (nspawn -i refuses to start unless udev
# listens there; it only checks, it does not talk to it; this host runs no
# udev). The wrapper's own cost is printed as a floor. Where nspawn can't
# boot all the same, its column says n/a, with its last message.
set -euo pipefail

runs=${1:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/raw.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages hyperfine python3 systemd systemd-container fdisk e2fsprogs util-linux
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"

tree=$("$src/tests/fixtures/debian-tree.sh")
image=$("$src/tests/fixtures/raw-image.sh" | head -n 1)
# Booting writes to an image: both boot a private copy (the same one),
# made once per fixture image.
cache=/var/cache/berth-bench
mkdir -p "$cache"
chmod 0700 "$cache"
boot_image=$cache/$(basename "$(dirname "$image")").raw
if [[ ! -f $boot_image ]]; then
        rm -f "$cache"/raw-*.raw
        cp --reflink=auto --sparse=always "$image" "$boot_image.tmp"
        mv "$boot_image.tmp" "$boot_image"
fi

work=$(mktemp -d /var/tmp/berth-bench-XXXXXX)
pids=()
cgroups=()
cleanup() {
        local c
        bench_stop "${pids[@]}"
        for c in "${cgroups[@]}"; do
                [[ -d $c ]] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        rm -rf "$work"
}
trap cleanup EXIT

# The mount namespace nspawn runs in, held by the listener on its
# /run/udev/control.
# shellcheck disable=SC2016 # for the inner shell
unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/udev && exec python3 -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(\"/run/udev/control\")
s.listen(64)
while True:
    s.accept()[0].close()
"' </dev/null &
udev=$!
pids+=("$udev")
for ((i = 0; i < 100; i++)); do
        [[ -S /proc/$udev/root/run/udev/control ]] && break
        sleep 0.05
done
[[ -S /proc/$udev/root/run/udev/control ]] || { echo "bench/raw.sh: no udev stand-in" >&2; exit 1; }
# Its cgroups, at the top of each hierarchy.
cgroups=()
if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
        cgroups+=("/sys/fs/cgroup/bench-raw-$$")
else
        [[ -d /sys/fs/cgroup/unified ]] && cgroups+=("/sys/fs/cgroup/unified/bench-raw-$$")
        [[ -d /sys/fs/cgroup/systemd ]] && cgroups+=("/sys/fs/cgroup/systemd/bench-raw-$$")
fi
mkdir "${cgroups[@]}"
{
        echo '#!/bin/sh'
        for c in "${cgroups[@]}"; do
                echo "echo \$\$ >$c/cgroup.procs"
        done
        echo "exec nsenter --mount=/proc/$udev/ns/mnt \"\$@\""
} >"$work/in-ns"
chmod +x "$work/in-ns"
nspawn="$work/in-ns systemd-nspawn -q -U --keep-unit --register=no"

# ready_cycle LOG COMMAND…: one boot cycle, as boot-cycle.py, but giving up
# as soon as the command ends before READY=1 (stderr in LOG).
ready_cycle() {
        local log=$1
        shift
        python3 - "$@" 2>"$log" <<'PY'
import os, signal, socket, subprocess, sys, tempfile
d = tempfile.mkdtemp()
path = os.path.join(d, "notify")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
p = subprocess.Popen(sys.argv[1:], env=dict(os.environ, NOTIFY_SOCKET=path),
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
ready = False
for _ in range(240):
    try:
        ready = "READY=1" in s.recv(4096).decode(errors="replace").split("\n")
    except socket.timeout:
        pass
    if ready or p.poll() is not None:
        break
if p.poll() is None:
    p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=120)
os.unlink(path)
os.rmdir(d)
sys.exit(0 if ready and rc == 0 else 1)
PY
}

json=$work/raw.json
mean() { # mean FILE NAME: seconds
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["mean"] for r in d["results"] if r["command"]==sys.argv[2]][0])' "$1" "$2"
}
ms() { python3 -c "print(f'{float(\"$1\")*1000:.1f}')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }

echo "berth: $("$BERTH" --version)    systemd-nspawn: $(systemd-nspawn --version | head -1)"
echo "image: $image ($(du -m --apparent-size "$image" | cut -f1) MB, $(du -m "$image" | cut -f1) MB allocated), $runs runs each, $(nproc) CPUs"
echo

# Each side once before the timed runs (the page cache is warm for both),
# and a boot cycle each, to know that they can.
"$BERTH" run -q --read-only -i "$image" /bin/true
$nspawn --read-only -i "$image" /bin/true
ready_cycle "$work/berth.log" "$BERTH" boot -q -i "$boot_image" -M bench-raw --console=passive --notify-ready=yes ||
        { echo "bench/raw.sh: berth boot -i $boot_image did not reach READY=1: $(tail -n 1 "$work/berth.log")" >&2; exit 1; }
nspawn_boots=yes
# shellcheck disable=SC2086 # $nspawn is words
ready_cycle "$work/nspawn.log" $nspawn -b -i "$boot_image" -M bench-raw --console=passive --notify-ready=yes ||
        nspawn_boots="n/a: $(grep -v '^$' "$work/nspawn.log" | tail -n 1)"

hyperfine -N -w 3 -r "$((runs * 3))" --export-json "$json" \
        -n berth-run-i "$BERTH run -q --read-only -i $image -M bench-raw /bin/true" \
        -n nspawn-run-i "$nspawn --read-only -i $image -M bench-raw /bin/true" \
        -n berth-run-x-i "$BERTH run -q -x -i $image -M bench-raw /bin/true" \
        -n berth-run-x-D "$BERTH run -q -x -D $tree -M bench-raw /bin/true" \
        -n floor-wrapper "$work/in-ns /bin/true" >/dev/null
run_b=$(mean "$json" berth-run-i)
run_n=$(mean "$json" nspawn-run-i)
run_xi=$(mean "$json" berth-run-x-i)
run_xd=$(mean "$json" berth-run-x-D)
floor=$(mean "$json" floor-wrapper)

boot_cmds=(-n berth-boot "python3 $src/bench/boot-cycle.py $BERTH boot -q -i $boot_image -M bench-raw --console=passive --notify-ready=yes")
if [[ $nspawn_boots == yes ]]; then
        boot_cmds+=(-n nspawn-boot "python3 $src/bench/boot-cycle.py $nspawn -b -i $boot_image -M bench-raw --console=passive --notify-ready=yes")
fi
hyperfine -w 1 -r "$runs" --export-json "$json.boot" "${boot_cmds[@]}" >/dev/null
boot_b=$(mean "$json.boot" berth-boot)

printf '%-40s %12s %12s %8s\n' "" berth nspawn ratio
if [[ $nspawn_boots == yes ]]; then
        boot_n=$(mean "$json.boot" nspawn-boot)
        printf '%-40s %10s ms %9s ms %8s\n' "boot -i to multi-user + poweroff" "$(ms "$boot_b")" "$(ms "$boot_n")" "$(ratio "$boot_b" "$boot_n")"
else
        printf '%-40s %10s ms %12s %8s   nspawn %s\n' "boot -i to multi-user + poweroff" "$(ms "$boot_b")" "n/a" "-" "$nspawn_boots"
fi
printf '%-40s %10s ms %9s ms %8s\n' "run --read-only -i /bin/true" "$(ms "$run_b")" "$(ms "$run_n")" "$(ratio "$run_b" "$run_n")"
printf '%-40s %10s %12s %8s   %s\n' "  floor: nspawn's wrapper, /bin/true" "-" "$(ms "$floor") ms" "-" "cgroups, nsenter --mount"
echo
printf '%-40s %12s %12s %8s\n' "berth against itself" "-i IMG" "-D TREE" ratio
printf '%-40s %10s ms %9s ms %8s\n' "run -x (ephemeral) /bin/true" "$(ms "$run_xi")" "$(ms "$run_xd")" "$(ratio "$run_xi" "$run_xd")"
