#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs shellcheck on every shell script of the project, found anew at each run
# so that a new script is covered without being listed: *.sh under tests/,
# tools/, bench/ and farm/, .ci/run, the bash completion, and the scripts without
# a suffix that start with a shell's #! line under farm/ (the debci
# backend) and tests/ (the test packages' tests). Nothing is left out; the
# list of files checked is printed.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

need_tool shellcheck shellcheck

cd "$SRC"
mapfile -t scripts < <(
        for dir in tests tools bench farm; do
                if [[ -d $dir ]]; then
                        find "$dir" -type f -name '*.sh'
                fi
        done
        for dir in farm tests; do
                if [[ -d $dir ]]; then
                        find "$dir" -type f ! -name '*.*' -exec awk 'FNR == 1 && /^#!.*\/(ba)?sh( |$)/ { print FILENAME } { nextfile }' {} +
                fi
        done
        for file in .ci/run shell-completion/bash/berth; do
                if [[ -f $file ]]; then
                        echo "$file"
                fi
        done
)
mapfile -t scripts < <(printf '%s\n' "${scripts[@]}" | sed '/^$/d' | sort -u)
((${#scripts[@]} > 0)) || skip "no shell scripts found under $SRC"

echo "checking ${#scripts[@]} scripts:"
printf '  %s\n' "${scripts[@]}"
# Each script's dialect comes from its #! line or a "shellcheck shell="
# directive. --external-sources follows `source`; SCRIPTDIR resolves sourced
# paths next to each script.
if ! shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}"; then
        fail "shellcheck found problems (above)"
fi
finish
