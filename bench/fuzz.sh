#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Fuzzing beyond replaying the corpora: each fuzzer of tests/fuzz/ built
# with clang's libFuzzer and the address and undefined-behaviour
# sanitizers, run for SECONDS, starting from a copy of its corpus (what it
# finds stays in the copy, in /var/cache/berth-fuzz). Not part of the test
# suites; prints a line a fuzzer, and the crashes found.
#
#   bench/fuzz.sh [SECONDS]     default 60
set -euo pipefail

seconds=${1:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages "${BUILD_PACKAGES[@]}" clang libclang-rt-14-dev

build=/var/cache/berth-build-fuzz
out=/var/cache/berth-fuzz
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
if [[ ! -d $build ]]; then
        CC=clang meson setup "$build" "$src" -Dbuildtype=debugoptimized -Db_lundef=false \
                -Dc_args="$flags" -Dc_link_args="-fsanitize=address,undefined" >/dev/null
fi
ninja -C "$build" src/shared/libshared.a src/basic/libbasic.a >/dev/null

mkdir -p "$out"
read -r -a pkgflags <<<"$(pkg-config --cflags libmount blkid json-c libseccomp)"
crashes=0
for f in "$src"/tests/fuzz/fuzz-*.c; do
        name=$(basename "$f" .c)
        [[ $name == fuzz-main ]] && continue
        clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1 \
                -include "$build/config.h" -D_GNU_SOURCE -I"$build" -I"$src/src/basic" -I"$src/src/shared" \
                "${pkgflags[@]}" \
                "$f" "$build/src/shared/libshared.a" "$build/src/basic/libbasic.a" -lsystemd -ldl \
                -o "$out/$name"
        mkdir -p "$out/$name.corpus" "$out/$name.crashes"
        cp -n "$src/tests/fuzz/corpus/$name"/* "$out/$name.corpus/" 2>/dev/null || true
        log=$out/$name.log
        rc=0
        "$out/$name" -max_total_time="$seconds" -artifact_prefix="$out/$name.crashes/" -print_final_stats=1 \
                "$out/$name.corpus" >"$log" 2>&1 || rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        found=$(find "$out/$name.crashes" -type f | wc -l)
        crashes=$((crashes + found))
        printf '%-24s %10s runs   %-12s corpus %4s   crashes %s%s\n' "$name" "${runs:-?}" "${cov:-cov: ?}" \
                "$(find "$out/$name.corpus" -type f | wc -l)" "$found" "$( ((rc != 0)) && echo " (exit $rc: see $log)")"
done
echo "crashes: $crashes"
