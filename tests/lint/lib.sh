# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Sourced by the lint tests. Gives:
#   $SRC                 the source tree (BERTH_SRC)
#   skip REASON          exit 77, or 1 under BERTH_TESTS_MUST_WORK=1 (CI)
#   need_tool TOOL PKG   skip when TOOL is missing, naming the package
#   fail MESSAGE         report a failure, and go on (see finish)
#   finish               exit 1 if anything failed, else 0

set -eEuo pipefail
trap 'echo "FAIL [$TEST_NAME]: unexpected error (status $?) at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND" >&2' ERR

TEST_NAME=$(basename "$0" .sh)${1:+ $1}
# shellcheck disable=SC2034 # used by the tests that source this file
SRC=${BERTH_SRC:?BERTH_SRC must point at the source tree (run the test through meson test)}
failures=0

skip() {
        if [[ ${BERTH_TESTS_MUST_WORK:-0} == 1 ]]; then
                echo "FAIL [$TEST_NAME] (BERTH_TESTS_MUST_WORK=1 forbids skipping): $*" >&2
                exit 1
        fi
        echo "SKIP [$TEST_NAME]: $*" >&2
        exit 77
}

need_tool() {
        command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package: $2)"
}

fail() {
        echo "FAIL [$TEST_NAME]: $*" >&2
        failures=$((failures + 1))
}

finish() {
        if ((failures > 0)); then
                echo "$TEST_NAME: $failures problem(s)" >&2
                exit 1
        fi
        echo "$TEST_NAME: ok"
        exit 0
}
