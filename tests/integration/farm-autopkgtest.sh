#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real autopkgtest with `-- berth IMAGE`, on the farm tree: a local
# package whose tests pass (as the normal user and as root, with an
# artifact), one whose test reboots the testbed and finds its files after,
# one whose test fails (autopkgtest's "a test failed", 4, never its testbed
# failure, 16), --shell-fail opening a shell in the testbed (through tmux),
# two runs at once on one image, and Debian's own hello, fetched from the
# archive in the testbed (which shares the host's network for apt). The
# local packages are never built (-B): their tests need only the source.
. "$(dirname "$0")/lib.sh"

FARM=$("$BERTH_SRC/tests/fixtures/debian-tree.sh" farm)
farm_path "$WORK/bin"
PKGS=$BERTH_SRC/tests/integration/farm

# run_autopkgtest NAME ARGS…: autopkgtest ARGS, output in $WORK/NAME.{log,out};
# sets RC.
run_autopkgtest() {
        local name=$1
        shift
        RC=0
        autopkgtest -o "$WORK/$name.out" "$@" </dev/null >"$WORK/$name.log" 2>&1 || RC=$?
        if [[ $RC != 0 && $RC != 4 ]]; then
                tail -n 40 "$WORK/$name.log" >&2
        fi
}
# verdict NAME TEST: the test's line in the summary ("as-user PASS").
verdict() {
        awk -v t="$2" '$1 == t { print $2 }' "$WORK/$1.out/summary"
}

run_autopkgtest pass -B "$PKGS/berth-farm-pass/" -- berth --normal-user=tester "$FARM"
check "a passing package: exit 0 (got $RC)" test "$RC" = 0
check "as-user passed ($(verdict pass as-user))" test "$(verdict pass as-user)" = PASS
check "as-root passed ($(verdict pass as-root))" test "$(verdict pass as-root)" = PASS
check "the normal user ran as-user" grep -q "as-user: tester in" "$WORK/pass.out/as-user-stdout"
check "the artifact reached the host" grep -qx "made in the testbed" "$WORK/pass.out/artifacts/artifact.txt"

run_autopkgtest reboot -B "$PKGS/berth-farm-reboot/" -- berth "$FARM"
check "a test that reboots: exit 0 (got $RC)" test "$RC" = 0
check "its files survived the reboot" grep -q "survived the reboot" "$WORK/reboot.out/survives-reboot-stdout"

run_autopkgtest fail -B "$PKGS/berth-farm-fail/" -- berth "$FARM"
check "a failing test: autopkgtest's 4, not a testbed failure (got $RC)" test "$RC" = 4
check "its verdict is FAIL ($(verdict fail fails))" test "$(verdict fail fails)" = FAIL

# --shell-fail: a shell in the testbed after the failure, on a terminal.
command -v tmux >/dev/null || fail "tmux is not installed"
tty_tmux new-session -d -s t -x 200 -y 50 \
        "PATH=$PATH autopkgtest -B $PKGS/berth-farm-fail/ --shell-fail -- berth $FARM; echo AUTOPKGTEST-EXIT-\$?; sleep 600"
check "--shell-fail: autopkgtest offers the shell" pane_has "running shell"
# shellcheck disable=SC2016 # typed into the testbed's shell
tty_tmux send-keys -t t 'echo IN-TESTBED-$((6 * 7)) $(cat /proc/1/comm)' Enter
check "--shell-fail: the shell runs in the testbed, under its systemd" pane_has "IN-TESTBED-42 systemd"
tty_tmux send-keys -t t 'exit' Enter
check "--shell-fail: autopkgtest ends with 4 after the shell" pane_has "AUTOPKGTEST-EXIT-4"
tty_end

# Two runs at once on one image.
RC=0
autopkgtest -o "$WORK/par1.out" -B "$PKGS/berth-farm-pass/" -- berth "$FARM" </dev/null >"$WORK/par1.log" 2>&1 &
par1=$!
autopkgtest -o "$WORK/par2.out" -B "$PKGS/berth-farm-pass/" -- berth "$FARM" </dev/null >"$WORK/par2.log" 2>&1 || RC=$?
rc1=0
wait "$par1" || rc1=$?
check "two runs at once: both pass (exit $rc1 and $RC)" test "$rc1:$RC" = 0:0

# Debian's hello, its source fetched from the archive in the testbed.
run_autopkgtest hello --setup-commands="apt-get update -q" hello -- berth "$FARM"
check "autopkgtest hello -- berth: exit 0 (got $RC)" test "$RC" = 0
check "hello's tests ran and passed" grep -Eq '^[^ ]+ +PASS' "$WORK/hello.out/summary"
check "berth left no testbed running" test -z "$("$BERTH" list --json | python3 -c '
import json, sys
print(" ".join(m["machine"] for m in json.load(sys.stdin) if m["machine"].startswith("autopkgtest-")))')"
