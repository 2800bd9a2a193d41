# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2154 # $src is the sourcing script's
# Sourced by the benchmarks, with $src set to the source tree: sets $BERTH
# to the binary to measure, by default a release build of this tree in
# /var/cache/berth-build-bench (built when missing or out of date).
if [[ -z ${BERTH:-} ]]; then
        build=/var/cache/berth-build-bench
        [[ -d $build ]] || meson setup "$build" "$src" -Dbuildtype=release >/dev/null
        ninja -C "$build" src/berth/berth >/dev/null
        BERTH=$build/src/berth/berth
fi
export BERTH

# bench_tree: a private copy of the test tree that the benchmarks boot
# (booting writes to a tree), made once in /var/cache/berth-bench, 0700 as
# berth wants the directory of a tree it maps; prints its path.
bench_tree() {
        local tree work=/var/cache/berth-bench
        tree=$("$src/tests/fixtures/debian-tree.sh")
        mkdir -p "$work"
        chmod 0700 "$work"
        if [[ ! -d $work/tree ]]; then
                cp -a --reflink=auto "$tree" "$work/tree"
        fi
        echo "$work/tree"
}

# bench_machined DIR: a private system bus (its socket DIR/bus) with the
# real systemd-machined on it, DBUS_SYSTEM_BUS_ADDRESS pointing at it; their
# PIDs are added to the caller's array pids, for its cleanup. And
# DIR/machinectl: machinectl in a mount namespace where /run/systemd/system
# exists (it insists on systemd as PID 1).
bench_machined() {
        local dir=$1 i
        sed "s|@SOCKET@|$dir/bus|" "$src/tests/integration/system-bus.conf.in" >"$dir/bus.conf"
        dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile --nosyslog &
        pids+=($!)
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus
        for ((i = 0; i < 100; i++)); do [[ -S $dir/bus ]] && break; sleep 0.05; done
        /lib/systemd/systemd-machined &
        pids+=($!)
        for ((i = 0; i < 100; i++)); do busctl --system status org.freedesktop.machine1 >/dev/null 2>&1 && break; sleep 0.05; done
        cat >"$dir/machinectl" <<'SH'
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec machinectl "$@"' -- "$@"
SH
        chmod +x "$dir/machinectl"
}

# bench_stop PID…: ends the benchmark's own background processes (a bus, a
# machined, supervisors: all asked at once, then reaped).
bench_stop() {
        local p
        for p; do
                kill "$p" 2>/dev/null || true
        done
        for p; do
                wait "$p" 2>/dev/null || true
        done
}
