#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The C sources follow the repository's .clang-format: every *.c and *.h
# under src/ and tests/, found anew at each run. On failure, `clang-format
# -i FILE` shows what it wants (review the result; it is not always right).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_tool clang-format clang-format

cd "$SRC"
[[ -f .clang-format ]] || fail "no .clang-format at the top of the source tree"
mapfile -t sources < <(find src tests -type f -name '*.[ch]' | sort)
((${#sources[@]} > 0)) || skip "no C sources found under $SRC/src and $SRC/tests"

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
clang-format --style=file --dry-run --Werror "${sources[@]}" >"$report" 2>&1 || status=$?
mapfile -t bad < <(sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: error: .*/\1/p' "$report" | sort -u)

echo "clang-format: ${#sources[@]} files checked, ${#bad[@]} not formatted"
if ((${#bad[@]} > 0)); then
        for f in "${bad[@]}"; do
                n=$(clang-format --style=file "$f" | diff "$f" - | grep -c '^[<>]' || true)
                echo "  $f: $n diff lines" >&2
        done
        # The first differences in full, to show what is meant.
        head -n 60 "$report" >&2
        fail "${#bad[@]} files differ from .clang-format"
elif ((status != 0)); then
        cat "$report" >&2
        fail "clang-format failed (status $status)"
fi
finish
