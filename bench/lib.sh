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
