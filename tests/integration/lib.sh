# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # RC, HELPERS… are for the tests that source this
#
# Sourced by every integration test. Gives:
#   $BERTH        the binary under test
#   $TREE         the Debian test tree (built when missing)
#   $WORK         a scratch directory, removed at exit
#   start_machine NAME [OPTIONS…]   berth boot in the background (-M NAME)
#   wait_state NAME STATE           until `berth list` shows it
#   wait_gone NAME                  until it is not listed
#   leader_of NAME, in_machine NAME CMD…, wait_supervisor NAME (sets RC)
#   fail MESSAGE, skip REASON, check DESCRIPTION CMD…, bad RC WHAT ARGS…
#   make_rich_tree DIR TAG, wait_dead PID, list_tree DIR, image_json NAME FIELD
#   farm_path DIR                   berth and autopkgtest-virt-berth on PATH
# and at exit: stops what the test started and fails the test if berth left
# anything behind on the host (mounts, cgroups, links, loop devices, nft
# rules, records, locks, processes).

set -euo pipefail
shopt -s inherit_errexit

: "${BERTH:?BERTH must point at the berth binary}"
: "${BERTH_SRC:?BERTH_SRC must point at the source tree}"

TEST_NAME=$(basename "$0" .sh)
export BERTH_LOG_LEVEL=${BERTH_LOG_LEVEL:-info}

fail() {
        echo "FAIL [$TEST_NAME]: $*" >&2
        exit 1
}

skip() {
        if [[ ${BERTH_TESTS_MUST_WORK:-0} == 1 ]]; then
                echo "FAIL [$TEST_NAME] (BERTH_TESTS_MUST_WORK=1 forbids skipping): $*" >&2
                exit 1
        fi
        echo "SKIP [$TEST_NAME]: $*" >&2
        exit 77
}

# check DESCRIPTION CMD…: runs CMD, fails the test with DESCRIPTION if it fails.
check() {
        local what=$1
        shift
        if ! "$@"; then
                fail "$what"
        fi
        echo "ok - $what"
}

# not CMD…: succeeds when CMD fails (for check).
not() {
        ! "$@"
}

# bad RC WHAT ARGS…: berth ARGS fails with exit status RC and one line of
# its own on stderr ("berth: …"), as every refusal must.
bad() {
        local want=$1 what=$2 rc=0 out
        shift 2
        out=$("$BERTH" "$@" 2>&1 >/dev/null) || rc=$?
        check "$what: exit $want (got $rc)" test "$rc" = "$want"
        check "$what: one line, berth's ($out)" test "$(wc -l <<<"$out"):${out:0:7}" = "1:berth: "
}

[[ $(id -u) == 0 ]] || skip "needs root"
[[ -d /sys/fs/cgroup/unified || $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] || skip "no cgroup2 hierarchy"
[[ -e /proc/self/ns/user ]] || skip "kernel without user namespaces"

TREE=$("$BERTH_SRC/tests/fixtures/debian-tree.sh")
WORK=$(mktemp -d /var/tmp/berth-test-XXXXXX)
if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
        CGROUP_UNIFIED=/sys/fs/cgroup
else
        CGROUP_UNIFIED=/sys/fs/cgroup/unified
fi

declare -A SUPERVISOR=()
STARTED=() # supervisors: a test must have stopped them by its end
HELPERS=() # other background processes of the test, killed at exit

CLEANUPS=() # commands run first at exit (on_exit)

# on_exit CMD: run CMD (a string for eval) at exit, before the leak check.
on_exit() {
        CLEANUPS+=("$1")
}

# alive PID: exists and is not a zombie waiting to be reaped
alive() {
        local state
        state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
        [[ -n $state && $state != Z ]]
}

# What berth may leave on the host, one section each. Compared before/after.
leak_snapshot() {
        echo "## mounts"
        awk '{ print $5 }' /proc/self/mountinfo | sort
        echo "## machine cgroups"
        if [[ -d $CGROUP_UNIFIED/machine.slice ]]; then
                find "$CGROUP_UNIFIED/machine.slice" -mindepth 1 -type d | sort
        fi
        echo "## v1 cgroups"
        find /sys/fs/cgroup/memory /sys/fs/cgroup/cpu /sys/fs/cgroup/pids /sys/fs/cgroup/blkio /sys/fs/cgroup/cpuset \
                -type d -name 'machine-*' 2>/dev/null | sort || true
        echo "## links"
        ip -o link show | awk -F': ' '{ print $2 }' | sort
        echo "## loop devices"
        losetup -a 2>/dev/null | sort || true
        if command -v nft >/dev/null; then
                echo "## nft rules"
                nft list ruleset 2>/dev/null || true
        fi
        echo "## records and locks"
        # /run/berth/cache is berth's, not a machine's: system call filters
        # once built, kept for the next machine (confine.c).
        find /run/berth -mindepth 1 ! -type d ! -path '/run/berth/cache/*' 2>/dev/null | sort || true
        find "$(dirname "$TREE")" "$WORK" /var/lib/machines -maxdepth 2 -name '.#*.lck' 2>/dev/null | sort || true
        # The image locks berth takes as systemd-nspawn and machined do.
        find /run/systemd/nspawn/locks -mindepth 1 2>/dev/null | sort || true
        echo "## processes"
        # Not zombies: where PID 1 reaps nothing (as in some containers), a
        # killed supervisor's children stay so, and hold nothing.
        ps -eo pid=,stat=,comm= | awk '$3 == "berth" && $2 !~ /^Z/ { print $1 }' | sort
}

leak_snapshot >"$WORK/leaks.before"

at_exit() {
        local rc=$? pid running=() c

        for c in "${CLEANUPS[@]}"; do
                eval "$c" || true
        done
        for pid in "${HELPERS[@]}"; do
                kill -KILL "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
        done
        # A test stops what it starts; anything still running is a failure
        # (and is killed, so the next test starts clean).
        for pid in "${STARTED[@]}"; do
                if alive "$pid"; then
                        running+=("$pid")
                        kill -KILL "$pid" 2>/dev/null || true
                fi
                wait "$pid" 2>/dev/null || true
        done
        if ((${#running[@]} > 0)); then
                echo "FAIL [$TEST_NAME]: supervisors still running at exit: ${running[*]}" >&2
                rc=1
                "$BERTH" list >/dev/null 2>&1 || true
        fi

        leak_snapshot >"$WORK/leaks.after"
        if ! diff -u "$WORK/leaks.before" "$WORK/leaks.after" >"$WORK/leaks.diff"; then
                echo "FAIL [$TEST_NAME]: berth left this behind on the host:" >&2
                cat "$WORK/leaks.diff" >&2
                rc=1
                # Clean up for the tests that follow.
                "$BERTH" list >/dev/null 2>&1 || true
        else
                echo "ok - nothing leaked"
        fi

        rm -rf --one-file-system "$WORK"
        exit "$rc"
}
trap at_exit EXIT

# Through a terminal (tests that use one check that tmux is there):
# tty_tmux ARGS… is tmux on this test's own server, whose session t serves
# as the terminal; pane_has PATTERN waits (up to 60 s) until that terminal
# shows PATTERN, else shows the screen and returns 1; tty_end ends the
# server and waits until everything that ran in it is gone (a berth that
# outlived its pane would otherwise show in the next leak check, and a new
# server could race the old one's exit). Each server gets a socket of its
# own.
TTY_N=0
TTY_SOCK=berth-$TEST_NAME-$$-$TTY_N
on_exit "tty_end"
tty_tmux() {
        tmux -L "$TTY_SOCK" "$@"
}
pane_has() {
        local pattern=$1 i
        for ((i = 0; i < 600; i++)); do
                tty_tmux capture-pane -p -t t | grep -q -- "$pattern" && return 0
                sleep 0.1
        done
        tty_tmux capture-pane -p -t t >&2
        return 1
}
# descendants PID…: the PIDs and all their descendants.
descendants() {
        local p
        for p in "$@"; do
                echo "$p"
                # shellcheck disable=SC2046 # one PID a word
                descendants $(pgrep -P "$p" || true)
        done
}
tty_end() {
        local pids i
        # shellcheck disable=SC2046 # one PID a word
        pids=$(descendants $(tty_tmux list-panes -a -F '#{pane_pid}' 2>/dev/null || true))
        tty_tmux kill-server 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
                local left=()
                for p in $pids; do
                        alive "$p" && left+=("$p")
                done
                ((${#left[@]} == 0)) && break
                sleep 0.1
        done
        TTY_N=$((TTY_N + 1))
        TTY_SOCK=berth-$TEST_NAME-$$-$TTY_N
}

# start_machine NAME [OPTIONS…]: boots $TREE (or -D or -i given in OPTIONS) as NAME
# in the background, console output in $WORK/NAME.console.
start_machine() {
        local name=$1
        shift
        local dir=(-D "$TREE")
        local a
        for a in "$@"; do
                [[ $a == -D || $a == --directory=* || $a == -i || $a == --image=* ]] && dir=()
        done
        "$BERTH" boot -M "$name" "${dir[@]}" --console=read-only "$@" \
                </dev/null >"$WORK/$name.console" 2>"$WORK/$name.stderr" &
        SUPERVISOR[$name]=$!
        STARTED+=($!)
}

# machine_field NAME FIELD: a field of the machine's `berth list --json` entry.
machine_field() {
        "$BERTH" list --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["machine"] == sys.argv[1]:
        v = m.get(sys.argv[2])
        print("" if v is None else v)
' "$1" "$2"
}

# wait_state NAME STATE: polls until the machine is in STATE. The limit only
# turns a hang into a failure; nothing is asserted about the time taken.
wait_state() {
        local name=$1 state=$2 i
        for ((i = 0; i < 1200; i++)); do
                if [[ $(machine_field "$name" state) == "$state" ]]; then
                        return 0
                fi
                if [[ -n ${SUPERVISOR[$name]:-} ]] && ! kill -0 "${SUPERVISOR[$name]}" 2>/dev/null; then
                        echo "--- stderr of $name:" >&2
                        cat "$WORK/$name.stderr" >&2 || true
                        echo "--- console of $name (tail):" >&2
                        tail -n 30 "$WORK/$name.console" >&2 || true
                        fail "machine $name ended before reaching state $state"
                fi
                sleep 0.1
        done
        fail "machine $name did not reach state $state"
}

wait_gone() {
        local name=$1 i
        for ((i = 0; i < 1200; i++)); do
                if [[ -z $(machine_field "$name" machine) ]]; then
                        return 0
                fi
                sleep 0.1
        done
        fail "machine $name is still listed"
}

leader_of() {
        machine_field "$1" leader
}

# in_machine NAME CMD…: runs CMD in all of the machine's namespaces (as
# root of the machine), with nsenter from the host.
in_machine() {
        local name=$1 leader
        shift
        leader=$(leader_of "$name")
        [[ -n $leader ]] || fail "machine $name has no leader"
        nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# wait_supervisor NAME: waits for the supervisor of NAME to end and sets RC
# to its exit status. (Not in a $(…) subshell: only this shell can wait.)
wait_supervisor() {
        RC=0
        wait "${SUPERVISOR[$1]}" || RC=$?
}

# wait_running NAME: until the machine reported READY=1 and systemd inside
# says the system is running.
wait_running() {
        local name=$1 state
        wait_state "$name" running
        state=$(in_machine "$name" systemctl is-system-running --wait || true)
        if [[ $state != running ]]; then
                in_machine "$name" systemctl --failed --no-pager >&2 || true
                fail "machine $name: is-system-running says '$state'"
        fi
}

# start_machined: a private system bus (dbus-daemon with a configuration of
# the test's own) and the real systemd-machined on it. DBUS_SYSTEM_BUS_ADDRESS
# points everything after at it; both are stopped at exit.
start_machined() {
        local i
        mkdir -p "$WORK/bus"
        sed "s|@SOCKET@|$WORK/bus/system_bus_socket|" \
                "$BERTH_SRC/tests/integration/system-bus.conf.in" >"$WORK/bus/system.conf"
        dbus-daemon --config-file="$WORK/bus/system.conf" --nofork --nopidfile --nosyslog &
        HELPERS+=($!)
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus/system_bus_socket
        for ((i = 0; i < 100; i++)); do
                [[ -S $WORK/bus/system_bus_socket ]] && break
                sleep 0.05
        done
        /lib/systemd/systemd-machined &
        MACHINED=$!
        HELPERS+=("$MACHINED")
        for ((i = 0; i < 100; i++)); do
                busctl --system status org.freedesktop.machine1 >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        fail "systemd-machined did not come up on the private bus"
}

# machinectl CMD…: the real machinectl, which refuses to talk to the local
# system bus unless systemd is PID 1 (it checks /run/systemd/system): run it
# in a mount namespace of its own where that directory exists.
machinectl() {
        # shellcheck disable=SC2016 # for the inner shell
        unshare -m --propagation private sh -c \
                'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec machinectl "$@"' -- "$@"
}

# A private copy of the tree, for tests that write to it.
copy_tree() {
        local dest=$WORK/$1
        cp -a --reflink=auto "$TREE" "$dest"
        echo "$dest"
}

# make_rich_tree DIR TAG: a small tree with everything a copy must keep
# (owners, modes, set-user-ID, file capabilities, xattrs, ACLs, hard links,
# holes, symlinks, device nodes, FIFOs, times), TAG in its texts.
make_rich_tree() {
        local S=$1 tag=$2
        mkdir -p "$S/etc" "$S/usr/bin" "$S/dev" "$S/var/empty" "$S/srv"
        echo "0123456789abcdef0123456789abcdef" >"$S/etc/machine-id"
        printf 'PRETTY_NAME="Test OS %s"\nID=test\n' "$tag" >"$S/etc/os-release"
        echo "host-$tag" >"$S/etc/hostname"
        printf 'root:x:0:0::/root:/bin/sh\n' >"$S/etc/passwd"
        echo secret >"$S/etc/shadow"
        chmod 0640 "$S/etc/shadow"
        chown 0:42 "$S/etc/shadow"
        cp /bin/true "$S/usr/bin/ping"
        setcap cap_net_raw+ep "$S/usr/bin/ping"
        cp /bin/true "$S/usr/bin/su"
        chown 0:0 "$S/usr/bin/su"
        chmod 04755 "$S/usr/bin/su"
        echo data >"$S/srv/owned"
        chown 1234:5678 "$S/srv/owned"
        setfattr -n user.berth -v "kept $tag" "$S/srv/owned"
        setfacl -m u:4321:r "$S/srv/owned"
        ln "$S/srv/owned" "$S/srv/hardlink"
        dd if=/dev/urandom of="$S/srv/sparse" bs=4096 count=1 seek=2048 status=none
        ln -s /etc/shadow "$S/srv/abs-link"
        ln -s ../etc/passwd "$S/srv/rel-link"
        mknod "$S/dev/null" c 1 3
        mkfifo "$S/srv/fifo"
        chmod 0555 "$S/var/empty"
        touch -h -d 2001-02-03 "$S/srv/abs-link" "$S/var/empty"
}

# wait_dead PID: until PID is gone (30 s at most).
wait_dead() {
        local i
        for ((i = 0; i < 300; i++)); do
                kill -0 "$1" 2>/dev/null || return 0
                sleep 0.1
        done
}

# list_tree DIR: every entry below DIR, a line each: path, type, mode,
# owner, size, device, hard-link group, xattrs, a digest of the contents,
# and whether the file has holes. Equal for two trees that are copies.
list_tree() { python3 "$BERTH_SRC/tests/integration/list-tree.py" "$1"; }

# image_json NAME FIELD: a field of NAME's entry in `berth images --json`.
image_json() {
        "$BERTH" images --all --json | python3 -c '
import json, sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        print(i.get(sys.argv[2]))
' "$1" "$2"
}

# farm_path DIR: puts berth (the binary under test) and the checkout's
# autopkgtest-virt-berth first on PATH, through DIR, as an installed berth
# would be: autopkgtest finds its virtualisation server there.
farm_path() {
        command -v autopkgtest >/dev/null || fail "autopkgtest is not installed (tools/deps.sh installs it)"
        mkdir -p "$1"
        ln -sf "$BERTH" "$1/berth"
        ln -sf "$BERTH_SRC/farm/autopkgtest-virt-berth" "$1/autopkgtest-virt-berth"
        PATH=$1:$PATH
}
