#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Installs what building and testing berth needs (Debian 12), builds berth
# and runs every test suite: unit, fuzz, integration (boots real Debian
# machines; the tree is built once and cached in /var/cache/berth-tests),
# lint. Ends with "N passed, N failed". Run as root.
#
#   tools/run-tests.sh [MESON-TEST-ARGS…]   e.g. --suite unit, or a test name
#
# BERTH_TESTS_MUST_WORK=1 turns every skipped test into a failure (CI).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BERTH_BUILD_DIR:-/var/cache/berth-build-tests}

if [[ $(id -u) != 0 ]]; then
        echo "run-tests.sh: run me as root: the integration tests boot machines" >&2
        exit 1
fi

# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages "${BUILD_PACKAGES[@]}" "${TREE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

if [[ -d $build ]]; then
        meson setup --reconfigure "$build" "$src" -Dwerror=true >/dev/null
else
        meson setup "$build" "$src" -Dwerror=true >/dev/null
fi
ninja -C "$build"

rc=0
meson test -C "$build" --print-errorlogs "$@" || rc=$?

# meson's summary is not what CI reads: count from the test log. A skip is
# not a pass.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
PY
exit "$rc"
