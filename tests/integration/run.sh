#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for the machine's shell
# `berth run`: the command's exit status, stdio passed through when it is
# not a terminal, --as-pid2, --user, --chdir, --setenv, --hostname,
# --private-network, --bind/--bind-ro/--tmpfs, --timeout, a missing command.
. "$(dirname "$0")/lib.sh"

run() {
        "$BERTH" run -q -x -D "$TREE" "$@"
}

rc=0; run sh -c 'exit 7' || rc=$?
check "exit status is the command's (7, got $rc)" test "$rc" = 7
rc=0; run -a sh -c 'kill -TERM $$' || rc=$?
check "a command killed by a signal gives 128+signal (got $rc; PID 1 ignores signals it has no handler for, so as PID 2)" test "$rc" = 143
check "stdin passes through" test "$(echo hello | run cat)" = hello
check "stdout and stderr stay apart" test "$(run sh -c 'echo out; echo err >&2' 2>/dev/null)" = out
check "stderr passes through" test "$(run sh -c 'echo err >&2' 2>&1 >/dev/null)" = err
check "the command can open its stdin and stderr pipes again (/proc/self/fd/0, /dev/stderr)" \
        test "$(echo again | run sh -c 'cat /proc/self/fd/0 > /dev/stderr' 2>&1 >/dev/null)" = again
echo host > "$WORK/stdout-file"
run sh -c 'echo appended' >>"$WORK/stdout-file"
check "a host file as stdout stays the host's" test "$(stat -c %u "$WORK/stdout-file")" = 0
check "the command is PID 1" test "$(run sh -c 'echo $$')" = 1
check "with --as-pid2 it is PID 2" test "$(run -a sh -c 'echo $$')" = 2
rc=0; run -a sh -c 'exit 5' || rc=$?
check "with --as-pid2 the exit status is still the command's (got $rc)" test "$rc" = 5
check "--as-pid2: PID 1 reaps orphans" test "$(run -a sh -c '(sleep 0.1 &) ; sleep 0.3; ps -o stat= -e | grep -c Z || true')" = 0
check "runs as root by default" test "$(run id -u)" = 0
check "--user=nobody runs as 65534" test "$(run --user=nobody id -u):$(run -u nobody id -g)" = 65534:65534
check "--user sets HOME and USER from the machine's passwd" \
        test "$(run -u nobody sh -c 'echo $USER:$HOME')" = nobody:/nonexistent
check "--chdir" test "$(run --chdir=/etc pwd)" = /etc
check "--setenv" test "$(run -E FOO=bar sh -c 'echo $FOO')" = bar
check "the host's environment does not leak in" test -z "$(SECRET=x run sh -c 'echo ${SECRET:-}')"
check "container=berth in the environment" test "$(run sh -c 'echo $container')" = berth
check "--hostname" test "$(run --hostname=runner hostname)" = runner
check "hostname defaults to the machine name" test "$(run -M named hostname)" = named
check "--private-network leaves only lo" test "$(run --private-network ip -o link | awk -F': ' '{print $2}')" = lo
check "without it, the host's links are there" test "$(run ip -o link | wc -l)" = "$(ip -o link | wc -l)"
check "the user namespace is there for run too" test "$(run awk '{print $2}' /proc/self/uid_map)" -ge 524288

mkdir -p "$WORK/src"
echo from-host >"$WORK/src/file"
check "--bind shows host files" test "$(run --bind="$WORK/src:/mnt/src" cat /mnt/src/file)" = from-host
check "without idmap, host root's files are not the machine root's to write" \
        not run --bind="$WORK/src:/mnt/src" sh -c 'echo written > /mnt/src/back' 2>/dev/null
check "… they show as owned by nobody" test "$(run --bind="$WORK/src:/mnt/src" stat -c %u /mnt/src/file)" = 65534
run --bind="$WORK/src:/mnt/src:idmap" sh -c 'echo written > /mnt/src/back'
check "--bind=…:idmap lets the machine's root write as root" test "$(stat -c %u "$WORK/src/back"):$(cat "$WORK/src/back")" = 0:written
check "--bind-ro is read-only" not run --bind-ro="$WORK/src:/mnt/ro" sh -c 'echo x > /mnt/ro/new' 2>/dev/null
check "--bind-ro still shows the files" test "$(run --bind-ro="$WORK/src:/mnt/ro" cat /mnt/ro/file)" = from-host
check "--bind to a destination that does not exist creates it" test "$(run --bind="$WORK/src/file:/new/dir/file" cat /new/dir/file)" = from-host
check "--tmpfs mounts a tmpfs" test "$(run --tmpfs=/srv/t:mode=0700 stat -fc %T /srv/t)" = tmpfs
check "--tmpfs options apply" test "$(run --tmpfs=/srv/t:mode=0700 stat -c %a:%u /srv/t)" = 700:0
check "mounts apply in order: a tmpfs over a bind hides it" \
        test "$(run --bind="$WORK/src:/mnt/src" --tmpfs=/mnt/src ls -A /mnt/src | wc -l)" = 0

rc=0; out=$(run /no/such/command 2>&1) || rc=$?
check "a missing command fails with exit 1 (got $rc)" test "$rc" = 1
check "… and one line naming it: $out" test "$(wc -l <<<"$out")" = 1
check "… that starts with 'berth: ' and names the command" grep -q "^berth: .*/no/such/command" <<<"$out"

rc=0; out=$(run --timeout=1s sleep 60 2>&1) || rc=$?
check "--timeout kills the machine and exits 1 (got $rc)" test "$rc" = 1
check "--timeout says so" grep -q "timed out" <<<"$out"
