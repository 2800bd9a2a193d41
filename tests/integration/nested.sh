#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth@.service for real, with systemd as PID 1: a "host" tree (Debian with
# systemd, dbus and systemd-container) booted by berth itself as a
# privileged machine, with this build of berth and its units installed in
# it. Inside that host: `berth enable inner && systemctl start berth@inner`
# boots a user-namespaced machine; machinectl, systemctl -M and berth shell
# reach it; journalctl -M, -m and -u find its logs; its cgroup is
# berth@inner.service/payload, owned by its root; a
# reboot inside restarts the unit (exit 133); systemctl stop, berth stop,
# berth start and berth disable do what they say; the supervisor's errors
# reach the journal with MACHINE=; and nothing is left in the host.
# Socket activation (machines/socket-activation): berth-web.socket in the
# host, and the first connection to its port boots berth@web.service, a
# machine with only loopback (--private-network), whose own web.socket
# answers it; a second connection is served by the same machine. The host
# machine has a network namespace of its own: the port is never the real
# host's.
. "$(dirname "$0")/lib.sh"

: "${BERTH_BUILD:?BERTH_BUILD must point at the build directory}"
HOST_TREE=$("$BERTH_SRC/tests/fixtures/debian-tree.sh" host)
UNIT=$BERTH_BUILD/units/berth@.service
[[ -f $UNIT ]] || fail "no $UNIT in the build"
UNIT_DIR=/usr/local/lib/systemd/system
grep -q "^ExecStart=/usr/local/bin/berth " "$UNIT" || fail "$UNIT does not run /usr/local/bin/berth: build with the default prefix"

mkdir -p "$WORK/machines" "$WORK/web-units/sockets.target.wants"
# The machine web's own units, where systemd looks for an administrator's.
SA=$BERTH_SRC/machines/socket-activation
cp "$SA/web.socket" "$SA/web@.service" "$WORK/web-units/"
ln -s ../web.socket "$WORK/web-units/sockets.target.wants/web.socket"
start_machine e2e-host -D "$HOST_TREE" -x --private-users=no --private-network \
        --bind-ro="$SA:/srv/socket-activation" --bind-ro="$WORK/web-units:/srv/web-units" \
        --bind-ro="$BERTH:/usr/local/bin/berth" \
        --bind-ro="$UNIT:$UNIT_DIR/berth@.service" \
        --bind-ro="$BERTH_SRC/units/berth-machines.target:$UNIT_DIR/berth-machines.target" \
        --bind="$WORK/machines:/var/lib/machines" \
        --bind="$TREE:/var/lib/machines/inner" \
        --bind="$TREE:/var/lib/machines/web"
wait_running e2e-host

# host CMD…: CMD in the host machine, its output and exit status ours.
host() {
        "$BERTH" shell e2e-host "$@" </dev/null
}

host_snapshot() {
        # shellcheck disable=SC2016 # expanded by the machine's shell
        host /bin/sh -c 'awk "{ print \$5 }" /proc/self/mountinfo | sort
                find /sys/fs/cgroup/machine.slice -mindepth 1 -type d 2>/dev/null | sort
                find /run/berth -mindepth 1 ! -type d ! -path "/run/berth/cache/*" 2>/dev/null | sort
                ip -o link show | cut -d: -f2 | sort'
}
before=$(host_snapshot)

check "systemd-analyze verify passes on the installed units" \
        host /bin/systemd-analyze verify --man=no berth@inner.service berth-machines.target

out=$(host /usr/local/bin/berth enable inner 2>&1)
check "berth enable inner links berth@inner.service into berth-machines.target: $out" \
        test "$(host /bin/readlink /etc/systemd/system/berth-machines.target.wants/berth@inner.service)" = \
        "$UNIT_DIR/berth@.service"
check "… and enables berth-machines.target" \
        host /bin/test -L /etc/systemd/system/multi-user.target.wants/berth-machines.target
check "systemd sees berth@inner.service enabled" test "$(host /bin/systemctl is-enabled berth@inner)" = enabled

check "systemctl start berth@inner boots the machine (Type=notify: returns once it is ready)" \
        host /bin/systemctl start berth@inner
check "systemctl is-active berth@inner" test "$(host /bin/systemctl is-active berth@inner)" = active
list=$(host /bin/machinectl list --no-legend)
check "machinectl list shows it, class container, service berth: $list" \
        grep -qE '^inner +container +berth ' <<<"$list"
check "machined knows its unit" test "$(host /bin/machinectl show inner -p Unit --value)" = berth@inner.service
check "systemctl -M inner is-system-running" \
        test "$(host /bin/systemctl -M inner is-system-running --wait)" = running
check "berth shell inner -- hostname" test "$(host /usr/local/bin/berth shell inner -- /bin/hostname)" = inner

# The journal: berth@.service links the machine's (--link-journal=try-guest).
check "journalctl -M inner reads the machine's own journal" \
        grep -qx "_HOSTNAME=inner" <<<"$(host /bin/journalctl -M inner -o export --no-pager -n 20)"
id=$(host /usr/local/bin/berth shell inner -- /bin/cat /etc/machine-id)
check "the host has /var/log/journal/$id, a symlink into the machine's tree" \
        host /bin/test -L "/var/log/journal/$id"
for ((i = 0; i < 100; i++)); do
        host /bin/journalctl -m _HOSTNAME=inner -n 1 -o cat --no-pager | grep -q . && break
        sleep 0.1
done
check "journalctl -m on the host merges the machine's entries in" \
        grep -q . <<<"$(host /bin/journalctl -m _HOSTNAME=inner -n 1 -o cat --no-pager)"
check "journalctl -u berth@inner has the unit's messages" \
        grep -q . <<<"$(host /bin/journalctl -u berth@inner -o cat --no-pager)"

cgroup=$(host /usr/local/bin/berth show inner -p ControlGroup --value)
check "the machine's cgroup is the unit's: $cgroup" test "$cgroup" = /machine.slice/berth@inner.service
uid=$(host /usr/local/bin/berth show inner -p UIDShift --value)
check "its payload/ belongs to the machine's root ($uid)" \
        test "$(host /bin/stat -c %u "/sys/fs/cgroup$cgroup/payload")" = "$uid"
check "… and holds its init" grep -qx "0::/init.scope" <<<"$(host /usr/local/bin/berth shell inner -- /bin/cat /proc/1/cgroup)"
check "… and the supervisor is in supervisor/" \
        host /bin/grep -qx "$(host /bin/systemctl show berth@inner -p MainPID --value)" \
        "/sys/fs/cgroup$cgroup/supervisor/cgroup.procs"

# A reboot inside: the supervisor exits 133, and systemd starts it again.
leader=$(host /usr/local/bin/berth show inner -p Leader --value)
host /bin/systemctl -M inner reboot || true
for ((i = 0; i < 300; i++)); do
        [[ $(host /bin/systemctl show berth@inner -p NRestarts --value) == 1 &&
                $(host /bin/systemctl is-active berth@inner) == active ]] && break
        sleep 0.1
done
check "systemctl -M inner reboot restarts the unit (NRestarts=1)" \
        test "$(host /bin/systemctl show berth@inner -p NRestarts --value)" = 1
check "… and the machine comes back, with a new init ($leader before)" \
        test "$(host /bin/systemctl -M inner is-system-running --wait)" = running -a \
        "$(host /usr/local/bin/berth show inner -p Leader --value)" != "$leader"

check "systemctl stop berth@inner powers it off" host /bin/systemctl stop berth@inner
check "… the unit is inactive, not failed" test "$(host /bin/systemctl is-active berth@inner)" = inactive
check "… and berth lists no machine" test "$(host /usr/local/bin/berth list --json)" = "[]"

check "berth start inner starts the unit (through systemd)" host /usr/local/bin/berth start inner
check "… which is active" test "$(host /bin/systemctl is-active berth@inner)" = active
check "berth stop inner stops it (through systemd)" host /usr/local/bin/berth stop inner
check "… which is inactive" test "$(host /bin/systemctl is-active berth@inner)" = inactive

out=$(host /usr/local/bin/berth disable inner 2>&1)
check "berth disable inner removes the link: $out" \
        not host /bin/test -e /etc/systemd/system/berth-machines.target.wants/berth@inner.service
check "systemd sees berth@inner.service disabled" \
        test "$(host /bin/systemctl is-enabled berth@inner || true)" = disabled

# The supervisor's own messages in the journal: a machine that can't start.
host /bin/systemctl start berth@missing >/dev/null 2>&1 || true
entries=$(host /bin/journalctl -u berth@missing -o json --no-pager MACHINE=missing PRIORITY=3)
check "the supervisor's error is in the journal of berth@missing, PRIORITY=3 and MACHINE=missing" \
        grep -q '"MESSAGE":"[^"]*missing' <<<"$entries"
host /bin/systemctl reset-failed berth@missing

# Socket activation: the examples, as documented. The machine web is the
# test tree again (ephemeral), with its units bound in.
host /bin/cp /srv/socket-activation/berth-web.socket /etc/systemd/system/
printf '[Exec]\nEphemeral=yes\n[Files]\nBindReadOnly=/srv/web-units:/usr/local/lib/systemd/system\n' |
        "$BERTH" shell e2e-host /bin/sh -c 'mkdir -p /etc/berth && cat /srv/socket-activation/web.berth - >/etc/berth/web.berth'
host /bin/systemctl daemon-reload
check "systemd-analyze verify passes on the example units" \
        host /bin/systemd-analyze verify --man=no /etc/systemd/system/berth-web.socket \
        /srv/socket-activation/web.socket "/srv/socket-activation/web@.service"
check "systemctl start berth-web.socket" host /bin/systemctl start berth-web.socket
check "… does not boot the machine yet" test "$(host /bin/systemctl is-active berth@web || true)" = inactive

# ask: one HTTP request to the host's port 8080 (bash's /dev/tcp: the tree
# has no curl); prints the answer's body. The limit only turns a hang into
# a failure.
ask() {
        # shellcheck disable=SC2016 # for the machine's shell
        host /usr/bin/timeout 300 /bin/bash -c 'exec 5<>/dev/tcp/127.0.0.1/8080 &&
                printf "GET / HTTP/1.0\r\nHost: web\r\n\r\n" >&5 && sed -n "\$p" <&5'
}
answer=$(ask) || true
check "the first connection boots the machine, and its web.socket answers it: '$answer'" \
        test "$answer" = "hello from web"
state=$(host /bin/systemctl is-active berth@web || true)
check "… berth@web.service is starting or started ($state: the machine serves before it is ready)" \
        grep -qxE 'activating|active' <<<"$state"
check "… and becomes ready" test "$(host /bin/systemctl -M web is-system-running --wait)" = running -a \
        "$(host /bin/systemctl is-active berth@web)" = active
leader=$(host /usr/local/bin/berth show web -p Leader --value)
check "… the machine has only loopback (Private=yes)" \
        test "$(host /usr/local/bin/berth shell web -- /bin/ls /sys/class/net)" = lo
answer=$(ask) || true
check "a second connection is answered too: '$answer'" test "$answer" = "hello from web"
check "… by the same machine (leader $leader), whose web.socket accepted both" \
        test "$(host /usr/local/bin/berth show web -p Leader --value)" = "$leader" -a \
        "$(host /bin/systemctl -M web show web.socket -p NAccepted --value)" = 2
check "systemctl stop berth-web.socket berth@web.service" \
        host /bin/systemctl stop berth-web.socket berth@web.service
check "… the unit is inactive, not failed" test "$(host /bin/systemctl is-active berth@web)" = inactive
check "… and berth lists no machine" test "$(host /usr/local/bin/berth list --json)" = "[]"

after=$(host_snapshot)
check "nothing of the inner machine is left in the host: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')" \
        test "$before" = "$after"

"$BERTH" poweroff e2e-host
wait_supervisor e2e-host
check "the host machine powers off cleanly (got $RC)" test "$RC" = 0
