#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Test farms: the same autopkgtest runs through berth (farm/autopkgtest-virt-
# berth), autopkgtest's LXC backend (autopkgtest-virt-lxc --ephemeral, the
# container made by autopkgtest-build-lxc) and autopkgtest-virt-unshare, in
# one run, on testbeds of the same Debian 12 content; prints each
# measurement and the ratios against the targets of design.md §7.
#
#   bench/farm.sh [RUNS]     as root; RUNS (default 2) of each sequential
#                            measurement; BERTH=path as in run.sh; PARALLEL=N
#                            testbeds at once (default 20); MACHINES=N for
#                            the memory part (default 10); BERTH_VIRT=path
#                            of the virtualisation server (default: the
#                            tree's farm/autopkgtest-virt-berth)
#
# What is compared:
#   packages   wall time of `autopkgtest --no-built-binaries SRC/ -- BACKEND`
#              for hello (its test installs hello from the archive) and
#              gzip (its test needs nothing new), RUNS times each, in turn
#   empty      the same for a package of two tests that run `true`, the
#              first marked breaks-testbed: autopkgtest opens the testbed,
#              reverts it between the tests and closes it
#   overhead   the testbed's own overhead through the virtualisation server
#              protocol (bench/farm-virt.py): open, a first command (`true`
#              through print-execute-command), revert, close; the target is
#              on open + revert + close: <= 0.3x LXC's
#   parallel   PARALLEL autopkgtest runs at once of a package with one test
#              that runs `true` (PARALLEL testbeds, all booting together):
#              berth must pass them all; LXC alongside (virt-unshare is left
#              out: each of its testbeds unpacks the 400 MB tarball)
#   memory     MemAvailable and MemFree before and after MACHINES machines
#              booted at once to READY=1 from the testbed tree
#              (bench/farm-mem.py): `berth boot -x` (an overlay: all share
#              the tree's page cache) against `systemd-nspawn -U -x -b` (a
#              copy of the tree each, on ext4); the page cache is dropped
#              before each side. MemAvailable counts the page cache as
#              available (the kernel can drop it), so the copies' cache
#              shows in MemFree: both are printed
#
# About 10 minutes with RUNS=1 on a 2-core machine (the LXC side of the
# parallel part is 2-3 of them), once the testbeds are made (5 minutes).
#
# The testbeds (made once, cached outside the checkout):
#   berth      a tree in /var/cache/berth-bench/farm/testbed-KEY, made by
#              mmdebstrap with the packages of LXC's debian template and
#              autopkgtest's own setup-testbed as a customize hook (what
#              autopkgtest-build-lxc runs in its container)
#   unshare    a tarball of that same tree
#   lxc        the container autopkgtest-bookworm in /var/lib/lxc, made by
#              `autopkgtest-build-lxc debian bookworm` (debootstrap through
#              LXC's debian template, then setup-testbed inside)
# All three have their network configuration neutralised in the same way
# before they first boot (only lo in /etc/network/interfaces; networking,
# ifup@, ssh masked), apt sources of deb.debian.org with their lists
# downloaded, and the same source packages to test (fetched once with apt
# into /var/cache/berth-bench/farm/src, unpacked: autopkgtest copies them in,
# so no testbed needs deb-src).
#
# LXC without touching the host's network. autopkgtest-build-lxc creates the
# container with lxc-create, which takes its network from
# /etc/lxc/default.conf (Debian's says veth on a bridge lxcbr0 that the host
# would need, with dnsmasq: none of that here), and autopkgtest-virt-lxc
# clones that container's config. The build runs in a mount namespace of
# its own where our default.conf is bind-mounted over /etc/lxc/default.conf
# (the host's file is left alone), and so is a wrapper over LXC's debian
# template that neutralises the network configuration of the new rootfs
# before the container ever boots. The config:
#   lxc.net.0.type = none    the container shares the host's network
#                            namespace (it needs apt for hello): no veth,
#                            no bridge, no dnsmasq on the host
#   lxc.cap.drop = net_admin its root can't configure the host's interfaces,
#                            routes or firewall (a privileged container with
#                            type none otherwise could: ifupdown's dhclient
#                            on the host's eth0)
#   lxc.hook.mount           /proc/sys/net read-only in the container: root
#                            (uid 0) writes net sysctls without CAP_NET_ADMIN,
#                            and with type none they are the host's
#                            (systemd-sysctl would set rp_filter...); LXC
#                            5.0's proc:mixed leaves it read-only already,
#                            the hook makes sure of it
#   lxc.cgroup.relative = 1  LXC's cgroups under the lxc-* process's own, not
#                            the hierarchy's root: the benchmark runs LXC in
#                            cgroups of its own (berth-bench-farm-PID under
#                            its cgroup in each v1 hierarchy of this hybrid
#                            host, under machine.slice on the unified one)
#   lxc.apparmor.profile = unconfined   this kernel has no AppArmor
# The empty packages need no network: for them, LXC clones berth-bench-nonet,
# the same rootfs and config with lxc.net.0.type = empty (a network
# namespace with only lo).
#
# autopkgtest-virt-unshare maps the users of its testbed with `unshare
# --map-auto`, which wants a range for root in /etc/subuid and /etc/subgid:
# it runs in a mount namespace where both files say root:100000:65536 (the
# host's are left alone; berth and systemd-nspawn pick ranges from 524288 up).
#
# systemd-nspawn runs as in run.sh (-U --keep-unit --register=no), each
# machine in cgroups of its own under the benchmark's (its systemd takes
# over the cgroup it starts in; this host's PID 1 is no systemd to make one).
set -euo pipefail

runs=${1:-2}
parallel=${PARALLEL:-20}
nmachines=${MACHINES:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) == 0 ]] || { echo "bench/farm.sh: run me as root" >&2; exit 1; }
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
# Where systemd is PID 1, installing Debian's lxc starts lxc-net: a bridge
# lxcbr0 and dnsmasq on the host, which nothing here wants. Masked first (a
# mask of ours: the package's postinst removes only its own).
if [[ -d /run/systemd/system ]] && ! dpkg-query -W -f='${Status}' lxc 2>/dev/null | grep -q "ok installed"; then
        systemctl mask lxc-net.service
fi
install_packages autopkgtest lxc lxc-templates debootstrap rsync wget uidmap mmdebstrap dpkg-dev \
        python3 systemd-container util-linux ca-certificates
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"

cache=/var/cache/berth-bench
farm=$cache/farm
mkdir -p "$farm"
chmod 0700 "$cache"
lxcpath=$(lxc-config lxc.lxcpath)
work=$(mktemp -d /var/tmp/berth-bench-farm-XXXXXX)
# Every run's logs, kept until the next run.
logs=$farm/logs
rm -rf "$logs"
mkdir -p "$logs"
suite=bookworm
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
# The apt sources of every testbed (setup-testbed writes them).
export AUTOPKGTEST_APT_SOURCES="deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main"
failed=0
# The names of our machines start with it.
prefix=berth-bench-farm-$$-

# fail MESSAGE: something did not work; the benchmark goes on and exits 1.
fail() {
        echo "bench/farm.sh: $*" >&2
        failed=1
}

#
# The benchmark's cgroups, and cleaning up.
#
cgroups=()
unified=
make_cgroups() {
        local ctrl path base dir
        while IFS=: read -r _ ctrl path; do
                if [[ -z $ctrl ]]; then
                        base=/sys/fs/cgroup/unified
                        [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] && base=/sys/fs/cgroup
                        dir=$base/machine.slice/berth-bench-farm-$$
                        unified=$dir
                else
                        base=/sys/fs/cgroup/${ctrl#name=}
                        [[ $(stat -fc %T "$base" 2>/dev/null) == cgroupfs ]] || continue
                        dir=$base${path%/}/berth-bench-farm-$$
                fi
                mkdir -p "$dir"
                cgroups+=("$dir")
                if [[ -f $dir/cpuset.cpus ]]; then
                        cat "${dir%/*}/cpuset.cpus" >"$dir/cpuset.cpus"
                        cat "${dir%/*}/cpuset.mems" >"$dir/cpuset.mems"
                fi
        done </proc/self/cgroup
}

cleanup() {
        local c d name i
        set +e
        # LXC containers still running in our cgroups (after an interrupted
        # autopkgtest): stopped, and destroyed if ephemeral clones are left.
        for c in "${cgroups[@]}"; do
                for d in "$c"/lxc.payload.*; do
                        [[ -d $d ]] || continue
                        name=${d##*/lxc.payload.}
                        lxc-stop -k -n "$name" >/dev/null 2>&1
                        [[ $name == autopkgtest-lxc-* ]] && lxc-destroy -f -n "$name" >/dev/null 2>&1
                done
        done
        # Only the config and the symlink: lxc-destroy would remove the
        # rootfs it points to.
        rm -f "$lxcpath/berth-bench-nonet/config" "$lxcpath/berth-bench-nonet/rootfs"
        rmdir "$lxcpath/berth-bench-nonet" 2>/dev/null
        # berth's machines of ours (the virtualisation server's and the
        # memory part's, named with our prefix), if any outlived their runs.
        if [[ -n ${BERTH:-} ]]; then
                "$BERTH" list --json 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["machine"].startswith(sys.argv[1]):
        print(m["machine"])' "$prefix" | while read -r name; do
                        echo "bench/farm.sh: machine $name left running: terminating it" >&2
                        "$BERTH" terminate "$name"
                done
        fi
        # systemd-nspawn's copies of the tree, if one was killed.
        rm -rf --one-file-system "$farm"/.#machine.*
        for ((i = 0; i < 20; i++)); do
                for c in "${cgroups[@]}"; do
                        [[ -d $c ]] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
                done
                for c in "${cgroups[@]}"; do
                        [[ -d $c ]] && continue 2
                done
                break
        done
        for c in "${cgroups[@]}"; do
                [[ -d $c ]] && echo "bench/farm.sh: cgroup $c left behind (processes in it)" >&2
        done
        rm -rf "$work"
}
trap cleanup EXIT
make_cgroups

# $work/in-cg COMMAND…: COMMAND in the benchmark's cgroups.
{
        echo '#!/bin/sh'
        for c in "${cgroups[@]}"; do
                echo "echo \$\$ >$c/cgroup.procs"
        done
        echo 'exec "$@"'
} >"$work/in-cg"
# $work/nspawn-cg I COMMAND…: the same, then a cgroup of its own (I) on
# the hierarchies a machine's systemd takes over.
{
        echo '#!/bin/sh'
        # shellcheck disable=SC2016 # for the wrapper
        echo 'i=$1; shift'
        for c in "${cgroups[@]}"; do
                echo "echo \$\$ >$c/cgroup.procs"
        done
        for c in "${cgroups[@]}"; do
                [[ $c == "$unified" || $c == /sys/fs/cgroup/systemd/* ]] || continue
                echo "mkdir -p $c/nspawn-\$i && echo \$\$ >$c/nspawn-\$i/cgroup.procs"
        done
        echo 'exec "$@"'
} >"$work/nspawn-cg"
# $work/in-subid COMMAND…: COMMAND where root has subordinate IDs (for
# autopkgtest-virt-unshare).
printf 'root:100000:65536\n' >"$work/subid"
cat >"$work/in-subid" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind $work/subid /etc/subuid && mount --bind $work/subid /etc/subgid && exec "\$@"' sh "\$@"
EOF
chmod +x "$work/in-cg" "$work/nspawn-cg" "$work/in-subid"

#
# The testbeds.
#
# $farm/fixup.sh ROOT: what every testbed gets before it first boots.
cat >"$farm/fixup.sh" <<'EOF'
#!/bin/sh
# bench/farm.sh: a testbed's network configuration neutralised (only lo;
# networking, ifup@ and ssh masked), before it first boots; setup-testbed
# finds the link names kept already (it would otherwise want an initramfs).
set -e
root=$1
printf 'auto lo\niface lo inet loopback\n' >"$root/etc/network/interfaces"
mkdir -p "$root/etc/systemd/system" "$root/etc/udev/rules.d"
for u in networking.service ifup@.service ssh.service ssh.socket; do
        ln -sfn /dev/null "$root/etc/systemd/system/$u"
done
ln -sfn /dev/null "$root/etc/udev/rules.d/80-net-setup-link.rules"
EOF
chmod +x "$farm/fixup.sh"
# setup-testbed installs rng-tools unless systemd-detect-virt says
# "container"; these testbeds are containers (LXC's build runs it inside).
mkdir -p "$farm/shim"
printf '#!/bin/sh\nexit 0\n' >"$farm/shim/systemd-detect-virt"
chmod +x "$farm/shim/systemd-detect-virt"
# The packages of LXC's debian template (lxc-templates' lxc-debian).
template_packages=init,ifupdown,locales,ca-certificates,dialog,isc-dhcp-client,netbase,net-tools,iproute2,openssh-server,apt-transport-https

# The tree for berth and the tarball for virt-unshare, keyed on the recipe:
# mmdebstrap's arguments but the output, and the scripts its hooks run.
# shellcheck disable=SC2016 # for mmdebstrap's hook shell
recipe=(--variant=minbase --skip=cleanup/apt/lists --include="$template_packages"
        --customize-hook="$farm/fixup.sh \"\$1\""
        --customize-hook='/usr/share/autopkgtest/setup-commands/setup-testbed "$1"'
        --customize-hook='rm -f "$1"/etc/systemd/system/multi-user.target.wants/autopkgtest@*.service'
        "$suite" OUTPUT "deb $mirror $suite main" "deb $security $suite-security main")
key=$({
        printf '%s\n' "${recipe[@]}"
        cat "$farm/fixup.sh" /usr/share/autopkgtest/setup-commands/setup-testbed
} | sha256sum | cut -c1-16)
tree=$farm/testbed-$key
tarball=$farm/testbed-$key.tar
if [[ ! -x $tree/sbin/init ]]; then
        echo "bench/farm.sh: making the testbed tree $tree (once)" >&2
        rm -rf --one-file-system "$farm/.building"
        PATH=$farm/shim:$PATH mmdebstrap "${recipe[@]/#OUTPUT/$farm/.building}" >"$logs/mmdebstrap.log" 2>&1 ||
                { tail -n 20 "$logs/mmdebstrap.log" >&2; exit 1; }
        mv "$farm/.building" "$tree"
        for old in "$farm"/testbed-*; do
                [[ $old == "$tree" || $old == "$tarball" ]] || rm -rf --one-file-system "$old"
        done
fi
if [[ ! -f $tarball ]]; then
        tar -C "$tree" --numeric-owner -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
fi

# The LXC container, made by autopkgtest-build-lxc with the configuration
# above.
lxcdir=$farm/lxc
mkdir -p "$lxcdir"
cat >"$lxcdir/hook-mount" <<'EOF'
#!/bin/sh
# bench/farm.sh: the container's /proc/sys/net (the host's: it shares the
# host's network namespace) read-only.
set -e
net=$LXC_ROOTFS_MOUNT/proc/sys/net
mount --bind "$net" "$net"
mount -o remount,bind,ro "$net"
EOF
cat >"$lxcdir/default.conf" <<EOF
# bench/farm.sh: LXC's default config while it makes its container (see
# bench/farm.sh).
lxc.net.0.type = none
lxc.cap.drop = net_admin
lxc.hook.mount = $lxcdir/hook-mount
lxc.cgroup.relative = 1
lxc.apparmor.profile = unconfined
EOF
cat >"$lxcdir/lxc-debian" <<EOF
#!/bin/sh
# bench/farm.sh: LXC's debian template, then the testbed's network
# configuration neutralised before the container first boots.
set -e
$lxcdir/lxc-debian.orig "\$@"
path= rootfs=
while [ \$# -gt 0 ]; do
        case \$1 in
        --path=*) path=\${1#*=} ;;
        --rootfs=*) rootfs=\${1#*=} ;;
        --path) path=\$2; shift ;;
        --rootfs) rootfs=\$2; shift ;;
        esac
        shift
done
$farm/fixup.sh "\${rootfs:-\$path/rootfs}"
EOF
chmod +x "$lxcdir/hook-mount" "$lxcdir/lxc-debian"
lxc_base=autopkgtest-$suite
lxc_safe() { # lxc_safe CONFIG: it has the configuration above
        grep -qx 'lxc.net.0.type = none' "$1" && grep -qx 'lxc.cap.drop = net_admin' "$1" &&
                grep -qx "lxc.hook.mount = $lxcdir/hook-mount" "$1" && grep -qx 'lxc.cgroup.relative = 1' "$1"
}
if [[ ! -d $lxcpath/$lxc_base ]]; then
        echo "bench/farm.sh: making the LXC container $lxc_base with autopkgtest-build-lxc (once)" >&2
        cp /usr/share/lxc/templates/lxc-debian "$lxcdir/lxc-debian.orig"
        # shellcheck disable=SC2016 # for the inner shell
        MIRROR=$mirror SECURITY_MIRROR=$security "$work/in-cg" unshare -m --propagation private sh -c '
                mount --bind "$1/default.conf" /etc/lxc/default.conf &&
                mount --bind "$1/lxc-debian" /usr/share/lxc/templates/lxc-debian &&
                exec autopkgtest-build-lxc debian "$2"' sh "$lxcdir" "$suite" >"$logs/build-lxc.log" 2>&1 ||
                { tail -n 20 "$logs/build-lxc.log" >&2; exit 1; }
fi
lxc_safe "$lxcpath/$lxc_base/config" || {
        echo "bench/farm.sh: $lxcpath/$lxc_base was not made by bench/farm.sh: its config lacks the settings that keep it off the host's network; not starting it (lxc-destroy -n $lxc_base, and run me again)" >&2
        exit 1
}
# The same container without network, for the empty packages: its rootfs
# is the base's (LXC wants the container's name in the path: a symlink).
mkdir -p "$lxcpath/berth-bench-nonet"
ln -sfn "../$lxc_base/rootfs" "$lxcpath/berth-bench-nonet/rootfs"
sed -e 's/^lxc\.net\.0\.type = none$/lxc.net.0.type = empty/' \
        -e "s|^lxc\\.rootfs\\.path = .*|lxc.rootfs.path = dir:$lxcpath/berth-bench-nonet/rootfs|" \
        -e 's/^lxc\.uts\.name = .*/lxc.uts.name = berth-bench-nonet/' \
        "$lxcpath/$lxc_base/config" >"$lxcpath/berth-bench-nonet/config"
grep -qx 'lxc.net.0.type = empty' "$lxcpath/berth-bench-nonet/config"

# The packages to test: hello and gzip from Debian, through a private apt
# configuration (the host's sources have no deb-src), and two empty ones.
srcdir=$farm/src
mkdir -p "$srcdir/apt/lists/partial" "$srcdir/apt/cache/archives/partial"
apt_private=(-o "Dir::Etc::SourceList=$srcdir/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o "Dir::State::Lists=$srcdir/apt/lists" -o "Dir::Cache=$srcdir/apt/cache" -o APT::Sandbox::User=root)
packages=(hello gzip)
for p in "${packages[@]}"; do
        [[ -d $srcdir/$p/debian/tests ]] && continue
        echo "deb-src $mirror $suite main" >"$srcdir/apt/sources.list"
        apt-get -qq "${apt_private[@]}" update
        rm -rf "$srcdir/.get"
        mkdir "$srcdir/.get"
        (cd "$srcdir/.get" && apt-get -qq "${apt_private[@]}" source --download-only "$p" >/dev/null &&
                dpkg-source -x ./*.dsc "$p" >/dev/null 2>>"$logs/sources.log")
        mv "$srcdir/.get/$p" "$srcdir/$p"
        rm -rf "$srcdir/.get"
done
# local_package NAME: a source package of ours, its tests' control on stdin.
local_package() {
        mkdir -p "$srcdir/$1/debian/tests"
        printf 'Source: berth-bench-%s\nMaintainer: berth <berth@localhost>\n\nPackage: berth-bench-%s\nArchitecture: all\nDescription: tests that do nothing\n' \
                "$1" "$1" >"$srcdir/$1/debian/control"
        printf 'berth-bench-%s (1) unstable; urgency=medium\n\n  * For bench/farm.sh.\n\n -- berth <berth@localhost>  Thu, 01 Jan 1970 00:00:00 +0000\n' \
                "$1" >"$srcdir/$1/debian/changelog"
        cat >"$srcdir/$1/debian/tests/control"
}
local_package empty <<'EOF'
Test-Command: true
Depends:
Restrictions: needs-root, breaks-testbed

Test-Command: true
Depends:
Restrictions: needs-root
EOF
local_package once <<'EOF'
Test-Command: true
Depends:
Restrictions: needs-root
EOF

#
# The backends.
#
# berth's virtualisation server and berth on PATH, as a farm has them.
mkdir -p "$work/bin"
ln -s "$BERTH" "$work/bin/berth"
berth_server=${BERTH_VIRT:-$src/farm/autopkgtest-virt-berth}
have_berth=yes
if [[ -x $berth_server ]]; then
        ln -s "$berth_server" "$work/bin/autopkgtest-virt-berth"
else
        have_berth="n/a: no $berth_server"
        fail "berth's virtualisation server $berth_server is missing: berth's columns are empty"
fi
export PATH=$work/bin:$PATH
backends=()
[[ $have_berth == yes ]] && backends+=(berth)
backends+=(lxc unshare)

# server BACKEND CASE: the virtualisation server's words after autopkgtest's
# -- for the case's testbed.
server() {
        case $1 in
        berth) echo "berth --name-prefix=${prefix%-} $tree" ;;
        lxc) if [[ $2 == empty || $2 == once ]]; then echo "lxc --ephemeral berth-bench-nonet"; else echo "lxc --ephemeral $lxc_base"; fi ;;
        unshare) echo "unshare -t $tarball" ;;
        esac
}
# wrapper BACKEND: what autopkgtest runs in, for the backend.
wrapper() {
        case $1 in
        berth) ;;
        lxc) echo "$work/in-cg" ;;
        unshare) echo "$work/in-subid" ;;
        esac
}

# at_run BACKEND CASE LOG: one autopkgtest run; prints its seconds, or
# fails with autopkgtest's status.
at_run() {
        local start end rc=0
        start=$EPOCHREALTIME
        # shellcheck disable=SC2046 # words
        $(wrapper "$1") autopkgtest -q --no-built-binaries "$srcdir/$2/" -- $(server "$1" "$2") >"$3" 2>&1 </dev/null || rc=$?
        end=$EPOCHREALTIME
        ((rc == 0)) || return "$rc"
        awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

declare -A times=() status=()
# record BACKEND CASE: one run, into times[] or status[].
record() {
        local t rc=0 log=$logs/$1-$2.log
        t=$(at_run "$1" "$2" "$log") || rc=$?
        if ((rc == 0)); then
                times[$1,$2]+="$t "
        else
                status[$1,$2]="autopkgtest status $rc: $(grep -v '^$' "$log" | tail -n 1) (all in $log)"
        fi
}

mean() { # mean "SECONDS…": their mean, or nothing
        echo "$1" | awk '{ for (i = 1; i <= NF; i++) { s += $i; n++ } } END { if (n) printf "%.2f\n", s / n }'
}

echo "berth: $("$BERTH" --version | head -n 1)    autopkgtest: $(dpkg-query -W -f '${Version}' autopkgtest)    lxc: $(lxc-start --version)    $(unshare --version)"
echo "testbeds: Debian $suite, $(du -sm "$tree" | cut -f1) MB; $runs runs each, in turn; $(nproc) CPUs"
[[ $have_berth == yes ]] || echo "berth: $have_berth"
echo

#
# Sequential runs: the packages and the empty one, each backend in turn.
#
cases=("${packages[@]}" empty)
for ((r = 0; r < runs; r++)); do
        for c in "${cases[@]}"; do
                for b in "${backends[@]}"; do
                        [[ -n ${status[$b,$c]:-} ]] && continue
                        record "$b" "$c"
                done
        done
done

# The testbed's own overhead, through the protocol.
declare -A overhead=()
for b in "${backends[@]}"; do
        # shellcheck disable=SC2046 # words
        if line=$($(wrapper "$b") python3 "$src/bench/farm-virt.py" "$runs" $(printf 'autopkgtest-virt-%s' "$(server "$b" empty)") 2>"$logs/virt-$b.log"); then
                overhead[$b]=$line
        else
                status[$b,overhead]=$(grep -v '^$' "$logs/virt-$b.log" | tail -n 1)
        fi
done

# PARALLEL runs of a one-test package at once: PARALLEL testbeds.
declare -A par_ok=() par_time=()
for b in berth lxc; do
        [[ " ${backends[*]} " == *" $b "* ]] || continue
        start=$EPOCHREALTIME
        pids=()
        for ((i = 0; i < parallel; i++)); do
                at_run "$b" once "$logs/par-$b-$i.log" >/dev/null &
                pids+=($!)
        done
        ok=0
        for i in "${!pids[@]}"; do
                if wait "${pids[$i]}"; then
                        ok=$((ok + 1))
                else
                        echo "bench/farm.sh: $b: parallel run $i: $(grep -v '^$' "$logs/par-$b-$i.log" | tail -n 1)" >&2
                fi
        done
        par_ok[$b]=$ok
        par_time[$b]=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
done

# Memory: MACHINES machines at once, each side after dropping the caches.
mem_berth=$(python3 "$src/bench/farm-mem.py" "$nmachines" "$BERTH" boot -q -x -D "$tree" -M "${prefix}mem{i}" \
        --console=passive --notify-ready=yes 2>"$logs/mem-berth.log") ||
        fail "berth boot -x: $(tail -n 1 "$logs/mem-berth.log")"
mem_nspawn=$(python3 "$src/bench/farm-mem.py" "$nmachines" "$work/nspawn-cg" "{i}" systemd-nspawn -q -U -x \
        --keep-unit --register=no -b -D "$tree" -M "${prefix}mem{i}" \
        --console=passive --notify-ready=yes 2>"$logs/mem-nspawn.log") ||
        echo "bench/farm.sh: systemd-nspawn -x: $(tail -n 1 "$logs/mem-nspawn.log")" >&2

#
# The table.
#
ratio() { # ratio A B: A/B, or -
        [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }' || echo -
}
cell() { # cell BACKEND CASE: mean seconds, or n/a
        local m
        m=$(mean "${times[$1,$2]:-}")
        if [[ -n $m ]]; then echo "$m s"; elif [[ -n ${status[$1,$2]:-} ]]; then echo "fail"; else echo "n/a"; fi
}
row() { # row LABEL CASE
        printf '%-36s %10s %10s %10s %10s\n' "$1" "$(cell berth "$2")" "$(cell lxc "$2")" "$(cell unshare "$2")" \
                "$(ratio "$(mean "${times[berth,$2]:-}")" "$(mean "${times[lxc,$2]:-}")")"
}
printf '%-36s %10s %10s %10s %10s\n' "autopkgtest wall time (mean)" berth lxc unshare berth/lxc
row "hello (2 tests, installs hello)" hello
row "gzip (1 test)" gzip
row "empty (2 tests, a revert between)" empty
echo

# overhead[b] = "open exec revert close" (seconds)
ov() { # ov BACKEND FIELD: seconds (1 open, 2 exec, 3 revert, 4 close, 5 open+revert+close)
        echo "${overhead[$1]:-}" | awk -v f="$2" 'NF { if (f == 5) printf "%.3f\n", $1 + $3 + $4; else print $f }'
}
ovcell() { local v; v=$(ov "$1" "$2"); [[ -n $v ]] && echo "$(awk -v v="$v" 'BEGIN { printf "%.0f", v * 1000 }') ms" || echo n/a; }
printf '%-36s %10s %10s %10s %10s   %s\n' "testbed overhead (virt protocol)" berth lxc unshare berth/lxc target
for f in 1:open "2:first command (true)" 3:revert 4:close; do
        printf '%-36s %10s %10s %10s %10s\n' "  ${f#*:}" "$(ovcell berth "${f%%:*}")" "$(ovcell lxc "${f%%:*}")" \
                "$(ovcell unshare "${f%%:*}")" "$(ratio "$(ov berth "${f%%:*}")" "$(ov lxc "${f%%:*}")")"
done
ovr=$(ratio "$(ov berth 5)" "$(ov lxc 5)")
verdict=MISS
[[ $ovr != - ]] && awk -v r="$ovr" 'BEGIN { exit !(r <= 0.30) }' && verdict=PASS
[[ $ovr == - ]] && verdict="n/a"
printf '%-36s %10s %10s %10s %10s   %s\n' "open + revert + close" "$(ovcell berth 5)" "$(ovcell lxc 5)" \
        "$(ovcell unshare 5)" "$ovr" "<= 0.30: $verdict"
echo

printf '%-36s %21s %21s   %s\n' "$parallel testbeds at once (1 test)" berth lxc target
pcell() { [[ -n ${par_ok[$1]:-} ]] && echo "${par_ok[$1]}/$parallel ok, ${par_time[$1]} s" || echo n/a; }
pverdict=n/a
if [[ -n ${par_ok[berth]:-} ]]; then
        pverdict=PASS
        ((par_ok[berth] == parallel)) || { pverdict=FAIL; fail "$((parallel - par_ok[berth])) of $parallel parallel berth testbeds failed"; }
fi
printf '%-36s %21s %21s   %s\n' "" "$(pcell berth)" "$(pcell lxc)" "all pass: $pverdict"
echo

# mem_* = "N READY dMemAvailable dMemFree dCached" (kB)
memmb() { # memmb "LINE" FIELD: MB per machine, or nothing
        echo "$1" | awk -v f="$2" 'NF { printf "%.1f\n", $f / $1 / 1024 }'
}
memcell() { local v; v=$(memmb "$1" "$2"); [[ -n $v ]] && echo "$v MB" || echo n/a; }
memratio() { ratio "$(memmb "${mem_berth:-}" "$1")" "$(memmb "${mem_nspawn:-}" "$1")"; }
memready() { echo "$1" | awk -v n="$nmachines" 'NF { print $2 "/" n; ok = 1 } END { if (!ok) print "n/a" }'; }
printf '%-36s %10s %10s %10s\n' "memory per machine, $nmachines booted -x" berth nspawn berth/nspawn
printf '%-36s %10s %10s %10s\n' "  ready (READY=1)" "$(memready "${mem_berth:-}")" "$(memready "${mem_nspawn:-}")" -
printf '%-36s %10s %10s %10s\n' "  MemAvailable taken" "$(memcell "${mem_berth:-}" 3)" "$(memcell "${mem_nspawn:-}" 3)" "$(memratio 3)"
printf '%-36s %10s %10s %10s\n' "  MemFree taken (with page cache)" "$(memcell "${mem_berth:-}" 4)" "$(memcell "${mem_nspawn:-}" 4)" "$(memratio 4)"

# berth's failures, and LXC's (the anchor of the targets), fail the
# benchmark; virt-unshare's only say where it does not work.
for k in "${!status[@]}"; do
        echo "${k/,/ }: ${status[$k]}" >&2
        [[ ${k%%,*} == unshare ]] || failed=1
done
((failed == 0))
