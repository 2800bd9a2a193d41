#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for the machine's shell
# berth shell and berth login: entering a running machine with setns().
# Without a terminal: output, exit status, stdin pass-through, the user, the
# machine's PID namespace and cgroup, a clean environment, only fds 0-2, not
# dumpable before exec. With one (through tmux): a pty of the machine's own
# devpts, a login with the machine's root password, ^]^]^] to leave. Bad
# input.
. "$(dirname "$0")/lib.sh"

start_machine sh -x
wait_running sh
leader=$(leader_of sh)
shell() {
        "$BERTH" shell "$@"
}

check "a command's output comes back" test "$(shell sh -- echo hello)" = hello
rc=0; shell sh -- sh -c 'exit 7' </dev/null || rc=$?
check "its exit status is returned (7, got $rc)" test "$rc" = 7
check "stdin passes through" test "$(echo piped | shell sh -- cat)" = piped
check "stderr passes through, apart" test "$(shell sh -- sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)" = err
check "root by default" test "$(shell sh -- id -u)" = 0
check "nobody@sh runs as 65534:65534" test "$(shell nobody@sh -- id -u):$(shell nobody@sh -- id -g)" = 65534:65534
check "the user's supplementary groups from the machine's /etc/group" \
        test "$(shell root@sh -- id -G)" = "$(in_machine sh id -G root)"
check "in the machine's PID namespace" \
        test "$(shell sh -- readlink /proc/self/ns/pid)" = "$(readlink "/proc/$leader/ns/pid")"
check "in the machine's mount namespace" \
        test "$(shell sh -- readlink /proc/self/ns/mnt)" = "$(readlink "/proc/$leader/ns/mnt")"
check "in the machine's user namespace" \
        test "$(shell sh -- readlink /proc/self/ns/user)" = "$(readlink "/proc/$leader/ns/user")"
check "in the leader's cgroup (init.scope of the machine's tree)" \
        grep -qx '0::/init.scope' <(shell sh -- cat /proc/self/cgroup)
check "hostname is the machine's" test "$(shell sh -- hostname)" = sh
check "only fds 0, 1, 2 arrive (ls has its own 3)" test "$(shell sh -- ls /proc/self/fd | tr '\n' ' ')" = "0 1 2 3 "
env_keys=$(SECRET_HOST_VAR=1 shell sh -- env | cut -d= -f1 | sort | tr '\n' ' ')
check "no host environment leaks in (got: $env_keys)" not grep -q SECRET_HOST_VAR <<<"$env_keys"
check "a clean login environment: HOME LOGNAME PATH SHELL TERM USER" \
        test "$(grep -oE '\b(HOME|LOGNAME|PATH|SHELL|TERM|USER)\b' <<<"$env_keys" | tr '\n' ' ')" = "HOME LOGNAME PATH SHELL TERM USER "
check "HOME and SHELL are the user's, from the machine's /etc/passwd" \
        test "$(shell nobody@sh -- sh -c 'echo $HOME:$SHELL:$USER')" = /nonexistent:/usr/sbin/nologin:nobody

# Not dumpable from before it joins the machine until it execs: the order
# of the entering child's system calls.
strace -f -qq -e trace=prctl,setns,execve -o "$WORK/strace" "$BERTH" shell sh -- true
check "PR_SET_DUMPABLE 0 comes before setns()" \
        python3 -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
i = next(i for i, l in enumerate(lines) if "PR_SET_DUMPABLE, SUID_DUMP_DISABLE" in l or "PR_SET_DUMPABLE, 0" in l)
j = next(i for i, l in enumerate(lines) if "setns(" in l)
sys.exit(0 if i < j else 1)' "$WORK/strace"

# Bad input.
expect_fail() {
        local what=$1 pattern=$2 rc=0 out
        shift 2
        out=$("$BERTH" "$@" </dev/null 2>&1 >/dev/null) || rc=$?
        check "$what: exit 1 (got $rc)" test "$rc" = 1
        check "$what: one line matching '$pattern' ($out)" \
                test "$(wc -l <<<"$out")" = 1 -a -n "$(grep -E "^berth: .*$pattern" <<<"$out")"
}
expect_fail "unknown machine" "Machine 'nosuch' is not running" shell nosuch -- true
expect_fail "unknown user" "User 'nosuchuser' does not exist in machine 'sh'" shell nosuchuser@sh -- true
expect_fail "malformed USER@NAME" "Invalid USER@NAME" shell @sh -- true
expect_fail "malformed USER@NAME" "Invalid USER@NAME" shell root@ -- true
expect_fail "invalid machine name" "Invalid machine name" shell 'root@../x' -- true
expect_fail "login without a terminal" "needs a terminal" login sh

# With a terminal, through tmux.
command -v tmux >/dev/null || skip "tmux is missing"
tty_tmux new-session -d -s t -x 100 -y 30 "$BERTH shell sh; echo EXIT=\$?; sleep 600"
check "shell: a prompt of the machine's shell" pane_has "root@sh:~#"
tty_tmux send-keys -t t 'tty; echo TERM=$TERM; exit 5' Enter
check "shell: tty is a pty of the machine's devpts" pane_has "^/dev/pts/[0-9]"
check "shell: exit status of the shell" pane_has "EXIT=5"
tty_end

tty_tmux new-session -d -s t -x 100 -y 30 "$BERTH login sh; echo EXIT=\$?; sleep 600"
check "login: the machine's login prompt" pane_has "sh login:"
tty_tmux send-keys -t t root Enter
check "login: asks for the password" pane_has "Password:"
tty_tmux send-keys -t t berth Enter
check "login: the machine's root password works" pane_has "root@sh:~#"
tty_tmux send-keys -t t 'tty' Enter
check "login: tty is a pty of the machine's devpts" pane_has "^/dev/pts/[0-9]"
tty_tmux send-keys -t t C-] C-] C-]
check "login: ^]^]^] leaves" pane_has "EXIT="
tty_end
check "the machine still runs" test "$(in_machine sh systemctl is-system-running)" = running

"$BERTH" poweroff sh
wait_supervisor sh
check "exit 0 (got $RC)" test "$RC" = 0
