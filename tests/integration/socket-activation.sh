#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for the machine's shell
# Socket activation of `berth run` (berth@.service with a .socket unit is
# tested in nested.sh): under the real systemd-socket-activate, the
# connection it passes reaches the command inside as fd 3, with LISTEN_FDS,
# LISTEN_FDNAMES and a LISTEN_PID of its own, as PID 1 and as PID 2 under
# --as-pid2, in a machine with only loopback (--private-network); no other
# fd crosses. `berth boot` with a listening socket: systemd in the machine
# takes it through its own web.socket (machines/socket-activation) and
# answers, and after a reboot (--reboot=loop) the new init gets it again.
# Listen fds that are another process's (LISTEN_PID not berth's) are
# ignored, with a debug line, and nothing is passed.
. "$(dirname "$0")/lib.sh"

command -v systemd-socket-activate >/dev/null || fail "no systemd-socket-activate (package systemd, tools/deps.sh)"

# A network namespace of the test's own, held by a sleeping process: the
# ports are opened there, never on the host's network.
unshare --net sleep infinity &
NETNS_HOLDER=$!
HELPERS+=("$NETNS_HOLDER")
for ((i = 0; i < 600; i++)); do
        [[ $(readlink "/proc/$NETNS_HOLDER/ns/net") != "$(readlink /proc/self/ns/net)" ]] && break
        sleep 0.05
done
# In the background, CMD is started as { exec nsenter … } &: then $! is
# CMD's PID (nsenter execs it), which a bare "in_netns CMD &" is not.
in_netns() {
        nsenter -t "$NETNS_HOLDER" -n "$@"
}
check "a network namespace of the test's own" \
        test "$(readlink "/proc/$NETNS_HOLDER/ns/net")" != "$(readlink /proc/self/ns/net)"
in_netns ip link set lo up

# activate PORT CMD…: systemd-socket-activate in the namespace, listening on
# 127.0.0.1:PORT; each connection runs CMD with it as fd 3 (--accept).
activate() {
        local port=$1
        shift
        {
                exec nsenter -t "$NETNS_HOLDER" -n systemd-socket-activate --listen="127.0.0.1:$port" --accept \
                        --fdname=web "$@" </dev/null 2>>"$WORK/activate.stderr"
        } &
        HELPERS+=($!)
        listening "$port"
}

# listening PORT: waits until something listens on it in the namespace.
listening() {
        local i
        for ((i = 0; i < 600; i++)); do
                [[ -n $(in_netns ss -Hltn "sport = :$1") ]] && return 0
                sleep 0.05
        done
        fail "nothing listens on port $1"
}

# ask PORT: connects, prints what comes back until the other end closes.
# The limit only turns a hang into a failure.
ask() {
        in_netns timeout 300 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" && cat <&5' _ "$1"
}

# PID 1: fds 0, 1, 2 and the connection; the answer goes out on fd 3 (its
# stdout is not the connection: that would be --inetd).
activate 7101 "$BERTH" run -q -x -D "$TREE" -M sa-pid1 --private-network \
        sh -c 'exec >&3; echo "$LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES"; ls /proc/1/fd; readlink /proc/1/fd/3; ls /sys/class/net'
mapfile -t answer < <(ask 7101)
check "a connection reaches the command inside, which answers on fd 3 (${answer[*]})" test "${#answer[@]}" = 7
check "… with LISTEN_FDS=1 LISTEN_PID=1 LISTEN_FDNAMES=web (${answer[0]})" test "${answer[0]}" = "1 1 web"
check "… its /proc/1/fd shows only 0, 1, 2 and the socket (${answer[*]:1:4}; ${answer[5]})" \
        test "${answer[*]:1:4}" = "0 1 2 3" -a "${answer[5]:0:8}" = "socket:["
check "… and the machine has only loopback (${answer[6]})" test "${answer[6]}" = lo
mapfile -t answer < <(ask 7101)
check "a second connection, a second machine, answers too" test "${answer[0]}" = "1 1 web"

# --as-pid2: the command, PID 2, gets the socket and LISTEN_PID=2; the stub
# init, PID 1, keeps nothing but stdio. The command waits for a line from
# the client, so that the stub can be looked at meanwhile.
activate 7102 "$BERTH" run -q -x -D "$TREE" -M sa-pid2 --private-network --as-pid2 \
        sh -c 'exec >&3; echo "$LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES"; ls /proc/$$/fd; echo end; read -r line <&3; echo "got $line"'
mkfifo "$WORK/go"
{
        exec nsenter -t "$NETNS_HOLDER" -n timeout 300 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" || exit
                while read -r line <&5; do echo "$line"; [[ $line == end ]] && break; done
                read -r go <"$2" && echo "$go" >&5 && cat <&5' _ 7102 "$WORK/go" >"$WORK/pid2.out"
} &
client=$!
HELPERS+=("$client")
for ((i = 0; i < 3000; i++)); do
        grep -qx end "$WORK/pid2.out" && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
done
mapfile -t answer <"$WORK/pid2.out"
check "--as-pid2: the command gets LISTEN_FDS=1 LISTEN_PID=2 LISTEN_FDNAMES=web (${answer[0]:-})" \
        test "${answer[0]:-}" = "1 2 web"
check "… and fds 0, 1, 2 and the socket (${answer[*]:1:4})" test "${answer[*]:1:4}" = "0 1 2 3"
stub=$(leader_of sa-pid2)
stub_fds=$(find "/proc/$stub/fd" -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' ')
check "… the stub init (PID 1) keeps only stdio ($stub_fds)" test "$stub_fds" = "0 1 2 "
timeout 300 sh -c 'echo bye >"$1"' _ "$WORK/go"
wait "$client" || true
check "… and the command goes on with the connection" test "$(tail -n 1 "$WORK/pid2.out")" = "got bye"

# LISTEN_PID another's: the fds are not ours to pass (nor is fd 3 left open
# into the machine).
out=$(LISTEN_FDS=1 LISTEN_PID=$$ LISTEN_FDNAMES=web BERTH_LOG_LEVEL=debug "$BERTH" run -x -D "$TREE" \
        -M sa-notours sh -c 'echo "${LISTEN_FDS:-none} ${LISTEN_PID:-none}"; ls /proc/1/fd' \
        3</dev/null 2>"$WORK/notours.stderr" | tr '\n' ' ')
check "LISTEN_PID not berth's: nothing passed, no LISTEN_* inside ($out)" test "$out" = "none none 0 1 2 "
check "… said in a debug line" grep -q "LISTEN_FDS=1 is not for us (LISTEN_PID=$$" "$WORK/notours.stderr"

wait_gone sa-pid1
wait_gone sa-pid2

# berth boot: systemd-socket-activate without --accept execs it with the
# listening socket on the first connection. The machine's units are the
# examples', bound in; the socket is on the address of their ListenStream=
# (8080: every address), or systemd would not take it for web.socket.
SA=$BERTH_SRC/machines/socket-activation
mkdir -p "$WORK/web-units/sockets.target.wants"
cp "$SA/web.socket" "$SA/web@.service" "$WORK/web-units/"
ln -s ../web.socket "$WORK/web-units/sockets.target.wants/web.socket"
{
        exec nsenter -t "$NETNS_HOLDER" -n systemd-socket-activate --listen=8080 --fdname=web \
                "$BERTH" boot -M sa-boot -D "$TREE" -x --private-network --reboot=loop --console=read-only \
                --bind-ro="$WORK/web-units:/usr/local/lib/systemd/system" \
                </dev/null >"$WORK/sa-boot.console" 2>"$WORK/sa-boot.stderr"
} &
SUPERVISOR[sa-boot]=$!
STARTED+=($!)
listening 8080

# http PORT: one HTTP request; prints the answer's last line.
http() {
        in_netns timeout 300 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" &&
                printf "GET / HTTP/1.0\r\n\r\n" >&5 && sed -n "\$p" <&5' _ "$1"
}
reply=$(http 8080) || true
check "berth boot on the first connection: systemd in the machine takes the socket through its web.socket, and answers ($reply)" \
        test "$reply" = "hello from sa-boot"
wait_running sa-boot
leader=$(leader_of sa-boot)
"$BERTH" reboot sa-boot
for ((i = 0; i < 1200; i++)); do
        new=$(leader_of sa-boot)
        [[ -n $new && $new != "$leader" ]] && break
        sleep 0.1
done
check "the machine reboots in the supervisor (--reboot=loop): a new init ($leader before, $new now)" \
        test -n "$new" -a "$new" != "$leader"
wait_running sa-boot
reply=$(http 8080) || true
check "… which gets the socket again, and answers ($reply)" test "$reply" = "hello from sa-boot"
"$BERTH" poweroff sa-boot
wait_supervisor sa-boot
check "the machine powers off cleanly (got $RC)" test "$RC" = 0
