#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every man page under man/ must format without a single groff warning
# (-ww: all warnings on). Any output on stderr fails the test.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_tool groff groff-base

mapfile -t pages < <(find "$SRC/man" -type f -name '*.[1-8]' | sort)
((${#pages[@]} > 0)) || fail "no man page found under $SRC/man"

for page in "${pages[@]}"; do
        out=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff failed on ${page#"$SRC"/}"
        if [[ -n $out ]]; then
                fail "groff warns about ${page#"$SRC"/}:"
                printf '%s\n' "$out" >&2
        else
                echo "ok: ${page#"$SRC"/}"
        fi
done
finish
