#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The console: read-only shows the machine's boot and login prompt; passive
# shows nothing; pipe gives the machine no /dev/console; interactive (driven
# through tmux) gives a login prompt to log in with the machine's own
# password, forwards window sizes, and ^] three times leaves, killing the
# machine and restoring the terminal.
. "$(dirname "$0")/lib.sh"

wait_file_has() {
        local file=$1 pattern=$2 i
        for ((i = 0; i < 600; i++)); do
                grep -q "$pattern" "$file" 2>/dev/null && return 0
                sleep 0.1
        done
        fail "'$pattern' did not show up in $file"
}

start_machine ro -x --console=read-only
wait_running ro
wait_file_has "$WORK/ro.console" "login:"
check "read-only: the console shows the boot" grep -q "Reached target.*Multi-User System" "$WORK/ro.console"
"$BERTH" poweroff ro
wait_supervisor ro
check "read-only: exit 0 (got $RC)" test "$RC" = 0
check "read-only: the console shows the shutdown too" grep -q "Powering off" "$WORK/ro.console"

start_machine pa -x --console=passive
wait_running pa
check "passive: the machine has a console" test "$(in_machine pa stat -c %t /dev/console)" = 88
"$BERTH" poweroff pa
wait_supervisor pa
check "passive: exit 0 (got $RC)" test "$RC" = 0
check "passive: nothing of the console is shown" not grep -q "Reached target" "$WORK/pa.console"

start_machine pi -x --console=pipe
wait_running pi
check "pipe: the machine has no /dev/console" not in_machine pi test -e /dev/console
"$BERTH" poweroff pi
wait_supervisor pi
check "pipe: exit 0 (got $RC)" test "$RC" = 0

command -v tmux >/dev/null || skip "tmux is missing"
on_exit "\"\$BERTH\" terminate tty 2>/dev/null; sleep 0.5"
tty_tmux new-session -d -s t -x 100 -y 30 \
        "$BERTH boot -x -D $TREE -M tty; echo EXIT=\$?; stty -a | grep -Eo -- '-?icanon'; sleep 600"

shows() {
        pane_has "$1" || fail "'$1' did not show up on the terminal"
}

shows "Press \^] three times within 1s"
shows "tty login:"
tty_tmux send-keys -t t root Enter
shows "Password:"
tty_tmux send-keys -t t berth Enter
check "interactive: logged in with the machine's root password" pane_has "root@tty:~#"
tty_tmux send-keys -t t "tty; stty size; echo done-1" Enter
shows "done-1"
screen=$(tty_tmux capture-pane -p -t t)
check "interactive: the shell's terminal is /dev/console" grep -q "^/dev/console" <<<"$screen"
check "interactive: the window size is forwarded (30 100)" grep -q "^30 100" <<<"$screen"
tty_tmux resize-window -t t -x 120 -y 40
sleep 0.5
tty_tmux send-keys -t t "stty size; echo done-2" Enter
shows "done-2"
check "interactive: window size changes are forwarded (40 120)" grep -q "^40 120" <(tty_tmux capture-pane -p -t t)

tty_tmux send-keys -t t C-] C-] C-]
shows "EXIT="
screen=$(tty_tmux capture-pane -p -t t)
check "interactive: ^]^]^] kills the machine (init died of SIGKILL: 137)" grep -q "^EXIT=137" <<<"$screen"
check "interactive: the terminal is restored (canonical mode)" grep -qx "icanon" <<<"$screen"
tty_end
