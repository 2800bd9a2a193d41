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
logs=("$build/meson-logs/testlog.json")

# The unit and fuzz suites once more under AddressSanitizer and
# UndefinedBehaviorSanitizer (not the integration suite: it forks and execs
# in ways the sanitizers don't follow). Only for a full run.
if (($# == 0)); then
        asan=$build-asan
        if [[ -d $asan ]]; then
                meson setup --reconfigure "$asan" "$src" >/dev/null
        else
                meson setup "$asan" "$src" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true >/dev/null
        fi
        ninja -C "$asan"
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                meson test -C "$asan" --print-errorlogs --suite unit --suite fuzz || rc=$?
        logs+=("$asan/meson-logs/testlog.json")
fi

# meson's summary is not what CI reads: count from the test logs. A test
# that speaks TAP counts once a subtest (a skipped one as skipped); others
# once. A skip is not a pass.
python3 - "${logs[@]}" <<'PY'
import json, re, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
tap = re.compile(r"^(not )?ok\b[^#]*(#\s*(SKIP|TODO))?", re.I)
for log in sys.argv[1:]:
    for line in open(log):
        test = json.loads(line)
        result = test["result"]
        sub = {"passed": 0, "failed": 0, "skipped": 0}
        for out in (test.get("stdout") or "").splitlines():
            m = tap.match(out)
            if not m or not re.match(r"^(not )?ok( \d+)? - ", out):
                continue
            if m.group(1):
                sub["failed"] += 1
            elif m.group(3) and m.group(3).upper() == "SKIP":
                sub["skipped"] += 1
            else:
                sub["passed"] += 1
        if any(sub.values()) and re.search(r"^1\.\.\d+", test.get("stdout") or "", re.M):
            # A TAP test: its subtests, and a failure of the whole that
            # no subtest shows (a crash, a bad plan).
            for k in counts:
                counts[k] += sub[k]
            if result not in ("OK", "SKIP", "EXPECTEDFAIL") and sub["failed"] == 0:
                counts["failed"] += 1
        elif result in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif result == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
if counts["skipped"]:
    print(f"{counts['skipped']} skipped")
print(f"{counts['passed']} passed, {counts['failed']} failed")
PY
exit "$rc"
