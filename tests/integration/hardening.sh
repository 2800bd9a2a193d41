#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# How a machine is confined, attacked from inside by a static probe (built
# here with the host's compiler: the tree has none), and what entering it
# gives: the system call filter, capabilities, no-new-privileges, the
# keyring, devices, reach of the tree, the strings of a machine on our
# terminal, mount destinations. Each check fails against berth before its
# hardening (HEAD 369767e).
. "$(dirname "$0")/lib.sh"

command -v gcc >/dev/null || fail "gcc is missing (the probe is built with it)"
gcc -static -O2 -o "$WORK/probe" "$BERTH_SRC/tests/integration/probe.c" || fail "can't build the probe"

# A tree of our own with the probe in it, and one set-user-ID copy.
T=$(copy_tree t)
cp "$WORK/probe" "$T/usr/local/bin/probe"
cp "$WORK/probe" "$T/usr/local/bin/probe-suid"
chmod 4755 "$T/usr/local/bin/probe-suid"

in_run() { # in_run [OPTIONS…] -- CMD…: berth run on $T, ephemeral
        "$BERTH" run -q -x -D "$T" "$@" </dev/null
}
exit_of() { # exit_of CMD…: its exit status
        local rc=0
        "$@" >/dev/null 2>&1 || rc=$?
        echo "$rc"
}

# --- The system call filter --------------------------------------------------
for call in kexec_load init_module open_by_handle_at perf_event_open bpf swapon add_key keyctl clock_settime; do
        check "filtered: $call fails with EPERM" test "$(in_run -- probe syscall $call)" = EPERM
done
check "a plain call goes" test "$(in_run -- probe syscall getpid)" = ok
check "init has the filter (Seccomp: 2)" grep -qx $'Seccomp:\t2' <(in_run -- cat /proc/1/status)
check "--system-call-filter= adds a call back" test "$(in_run --system-call-filter='add_key keyctl' -- probe syscall keyctl)" = ok
check "--system-call-filter=~@clock: no setting the time, even with CAP_SYS_TIME" \
        test "$(in_run --capability=CAP_SYS_TIME --system-call-filter='~@clock' -- probe syscall clock_settime)" = EPERM
check "SYSTEMD_SECCOMP=0: no filter, as with nspawn" \
        grep -qx $'Seccomp:\t0' <(SYSTEMD_SECCOMP=0 in_run -- cat /proc/self/status)

# --- Capabilities --------------------------------------------------------------
bnd=$(in_run -- grep CapBnd /proc/self/status)
check "the default bounding set is nspawn's ($bnd)" test "$bnd" = $'CapBnd:\t00000000fdecafff'
check "--capability=CAP_SYS_TIME adds it" \
        grep -qx $'CapBnd:\t00000000ffecafff' <(in_run --capability=CAP_SYS_TIME -- cat /proc/self/status)
check "--drop-capability=all leaves none" grep -qx $'CapBnd:\t0000000000000000' \
        <(in_run --drop-capability=all -- cat /proc/self/status)
out=$(in_run --capability=CAP_NET_ADMIN -- probe syscall getpid 2>&1)
check "CAP_NET_ADMIN without a network of its own: warned ($out)" grep -q "^berth: CAP_NET_ADMIN without --private-network" <<<"$out"
check "… and the host's network stays out of reach" not in_run --capability=CAP_NET_ADMIN -- ip link add b0 type dummy 2>/dev/null
check "--ambient-capability= reaches a user's command" grep -qx $'CapAmb:\t0000000000000400' \
        <(in_run -u nobody --ambient-capability=CAP_NET_BIND_SERVICE -- cat /proc/self/status)
check "an ambient capability outside the bounding set: exit 2" \
        test "$(exit_of in_run --ambient-capability=CAP_SYS_MODULE -- true)" = 2
check "a set-user-ID root program works without no-new-privileges" \
        test "$(in_run -u nobody -- probe-suid euid)" = 0
check "--no-new-privileges=yes: it runs without privilege" \
        test "$(in_run -u nobody --no-new-privileges=yes -- probe-suid euid)" = 65534

# --- The administrator's keyring ------------------------------------------------
# We join a session keyring that holds a secret, and start the machines
# from there, as an administrator would.
keyring_attack() { # keyring_attack: what the machine's PID 1 gets of the secret
        # shellcheck disable=SC2016 # expanded by the shell that has the key
        BERTH=$BERTH T=$T P=$WORK/probe "$WORK/probe" with-secret sh -c \
                '"$BERTH" run -q -x -D "$T" -- probe key-read "$BERTH_KEY" </dev/null
                 "$BERTH" run -q -x -D "$T" -- probe key-unlink "$BERTH_KEY" "$BERTH_RING" </dev/null
                 "$P" key-read "$BERTH_KEY"'
}
out=$(keyring_attack | tr '\n' ' ')
check "init can't read or unlink the caller's key; it is still there ($out)" \
        grep -Eq '^(EPERM|EACCES|ENOKEY) (EPERM|EACCES|ENOKEY) read:top-secret-payload $' <<<"$out"
out=$(SYSTEMD_SECCOMP=0 keyring_attack | tr '\n' ' ')
check "… also without the filter: a session keyring of its own ($out)" \
        grep -Eq '^(EACCES|ENOKEY) (EACCES|ENOKEY) read:top-secret-payload $' <<<"$out"

# --- Entered processes are confined as the machine is ---------------------------
start_machine hard -D "$T" -x --no-new-privileges=yes
wait_running hard
status_of() { # status_of FIELD…: those lines of a /proc/PID/status
        grep -E "^($(IFS='|'; echo "$*")):" "$1"
}
init_status=$(in_machine hard cat /proc/1/status | grep -E '^(CapBnd|CapInh|CapAmb|NoNewPrivs|Seccomp):')
shell_status=$("$BERTH" shell hard -- cat /proc/self/status </dev/null | grep -E '^(CapBnd|CapInh|CapAmb|NoNewPrivs|Seccomp):')
check "berth shell has the machine's bounding set, no inheritable or ambient capabilities, its no-new-privileges and its filter" \
        test "$shell_status" = "$init_status"
check "… which is the filter (Seccomp: 2) and no-new-privileges" grep -q $'NoNewPrivs:\t1' <<<"$shell_status"
check "… and the filter holds for it" test "$("$BERTH" shell hard -- probe syscall kexec_load </dev/null)" = EPERM
# shellcheck disable=SC2016 # expanded by the shell that has the key
out=$(BERTH=$BERTH "$WORK/probe" with-secret sh -c '"$BERTH" shell hard -- probe key-read "$BERTH_KEY"' </dev/null)
check "berth shell can't read the caller's key either ($out)" grep -Eq '^(EPERM|EACCES|ENOKEY)$' <<<"$out"
# /proc and /dev, as the machine's own processes see them.
in_shell() { "$BERTH" shell hard -- sh -c "$1" </dev/null 2>/dev/null; }
check "berth shell: /proc/sys is read-only" not in_shell 'echo x >/proc/sys/kernel/domainname'
check "… sysrq-trigger can't be written" not in_shell 'echo h >/proc/sysrq-trigger'
check "… kcore, keys, timer_list, kallsyms can't be read" not in_shell 'cat /proc/kcore || cat /proc/keys || cat /proc/timer_list || head -c1 /proc/kallsyms'
check "… /proc/bus, /proc/fs, /proc/irq are read-only" test "$(in_shell 'grep -cE " /proc/(bus|fs|irq) ro," /proc/self/mountinfo')" = 3
check "… no block device in /dev" test "$(in_shell 'find /dev -type b | wc -l')" = 0
check "with --private-network, /proc/sys/net is writable (the machine's own)" \
        in_run --private-network -- sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
check "… and the rest of /proc/sys is not" not in_run --private-network -- sh -c 'echo x >/proc/sys/kernel/domainname' 2>/dev/null
"$BERTH" poweroff hard
wait_supervisor hard
check "the machine powered off (got $RC)" test "$RC" = 0

# --- Devices --------------------------------------------------------------------
mknod "$T/opt/kmsg" c 1 11
marker="berth-hardening-$$"
check "a device node of the tree is no device (nodev)" \
        test "$("$BERTH" run -q -D "$T" -- probe open-write /opt/kmsg)" = EACCES
check "… nor on the ephemeral overlay" test "$(in_run -- probe open-write /opt/kmsg)" = EACCES
check "… nor in a machine without a user namespace" \
        test "$("$BERTH" run -q -D "$T" --private-users=no -- probe open-write /opt/kmsg)" = EACCES
# Where the mount allows devices, the device program refuses them: the
# host's /dev bound in, in a machine whose root is host root.
check "the host's devices through a bind of /dev: refused by the device program" \
        test "$("$BERTH" run -q -D "$T" --private-users=no --bind=/dev:/opt/hostdev -- probe open-write /opt/hostdev/kmsg)" = EPERM
check "… which refuses to make device nodes too" \
        test "$("$BERTH" run -q -D "$T" --private-users=no -- probe mknod /dev/k2 1 11)" = EPERM
check "… and lets the machine's own through" \
        test "$("$BERTH" run -q -D "$T" --private-users=no -- probe open-write /dev/null)" = ok
check "… and a device bound in with --bind=" \
        test "$("$BERTH" run -q -D "$T" --private-users=no --bind=/dev/kmsg:/opt/km -- sh -c "echo '<6>$marker' >/opt/km && echo ok")" = ok
check "… whose message reached the kernel log" grep -q "$marker" <(dmesg)
rm "$T/opt/kmsg"

# --- Reach: a tree users of the host can walk to ----------------------------------
open_dir=$(mktemp -d /var/tmp/berth-reach-XXXXXX)
on_exit "rm -rf --one-file-system '$open_dir'"
chmod 0755 "$open_dir"
mv "$T" "$open_dir/t"
out=$("$BERTH" run -q -D "$open_dir/t" -- true 2>&1) && rc=0 || rc=$?
check "a writable mapped tree others can reach is refused: exit 1 (got $rc)" test "$rc" = 1
check "… in one line naming the directory to close ($out)" \
        test "$(wc -l <<<"$out")" = 1 -a -n "$(grep -F "make '$open_dir' root's alone" <<<"$out")"
check "… an ephemeral machine of it is fine" "$BERTH" run -q -x -D "$open_dir/t" -- true
chmod 0700 "$open_dir"
check "… and once closed, it boots" "$BERTH" run -q -D "$open_dir/t" -- true
mv "$open_dir/t" "$T"

# --- Mounts: destinations -------------------------------------------------------------
src=$WORK/src
mkdir -p "$src"
for bad in --bind="$src:/" --bind="$src:/proc" --bind="$src:/proc/x" --bind="$src:/sys" --tmpfs=/proc \
        --bind-ro="$src:/dev/pts/x" --bind="$src:/run/host"; do
        out=$("$BERTH" run -q -D "$T" "$bad" -- true 2>&1) && rc=0 || rc=$?
        check "$bad: exit 2, one line ($out)" test "$rc" = 2 -a "$(wc -l <<<"$out")" = 1
done
check "… and nothing made in the source" test -z "$(ls -A "$src")"
check "--bind and --tmpfs to directories the tree lacks: made, on a writable tree" \
        "$BERTH" run -q -D "$T" --bind="$src:/newdir" --tmpfs=/newtmp -- test -d /newdir -a -d /newtmp
check "… owned by the machine's root (idmapped: 0 on disk)" \
        test "$(stat -c %u:%g "$T/newdir" "$T/newtmp" | tr '\n' ' ')" = "0:0 0:0 "
rmdir "$T/newdir" "$T/newtmp"

# --- The one-time chown stays in the tree -----------------------------------------------
C=$(copy_tree c)
mkdir -p "$WORK/hostdata" "$C/srv/data"
touch "$WORK/hostdata/secret"
mount --bind "$WORK/hostdata" "$C/srv/data"
on_exit "umount '$C/srv/data' 2>/dev/null"
check "--private-users-ownership=chown runs" "$BERTH" run -q -D "$C" --private-users-ownership=chown -- true
check "… and leaves a host directory bound into the tree alone" test "$(stat -c %u "$WORK/hostdata/secret")" = 0
check "… while the tree itself was chowned" test "$(stat -c %u "$C/etc")" != 0
umount "$C/srv/data"

# --- What a machine prints reaches our terminal escaped -------------------------------------
E=$(copy_tree e)
sed -i 's/^PRETTY_NAME=.*/PRETTY_NAME="Debian \\033]0;pwned\\007\\033[2J"/; s/^ID=.*/ID="debian\\033[31m"/' "$E/etc/os-release"
printf 'PRETTY_NAME="Debian \033]0;pwned\007\033[2J"\nID="debian\033[31m"\nVERSION_ID="12"\n' >"$E/etc/os-release"
start_machine esc -D "$E" -x
wait_running esc
in_machine esc sh -c "printf 'console \033]0;pwned\007 line\n' >/dev/console"
status=$("$BERTH" status esc)
list=$("$BERTH" list)
check "berth status shows no raw escape or bell" not grep -q $'[\033\007]' <<<"$status"
check "… but them escaped" grep -qF 'Debian \x1b]0;pwned\x07\x1b[2J' <<<"$status"
check "berth list shows none either" not grep -q $'[\033\007]' <<<"$list"
check "berth show neither" not grep -q $'[\033\007]' <(in_machine esc true; "$BERTH" show esc)
check "the JSON keeps them, escaped as JSON does" grep -qF '\u001b' <("$BERTH" status esc --json)
"$BERTH" poweroff esc
wait_supervisor esc

# --- Entering and restarting one name --------------------------------------------------
"$BERTH" boot -q -x -D "$T" -M race --console=passive </dev/null >/dev/null 2>&1 &
SUPERVISOR[race]=$!
STARTED+=($!)
wait_running race
( while :; do "$BERTH" shell race -- true </dev/null >/dev/null 2>&1 || true; done ) &
HELPERS+=($!)
"$BERTH" poweroff race
wait_supervisor race
failed=0
for ((i = 0; i < 150; i++)); do
        "$BERTH" run -q -x -D "$T" -M race -- true </dev/null >/dev/null 2>"$WORK/race.err" || {
                failed=$((failed + 1))
                cat "$WORK/race.err" >&2
        }
done
kill "${HELPERS[-1]}"
check "150 starts of one name beside berth shell in a loop: none failed ($failed)" test "$failed" = 0

# --- A SIGKILLed supervisor leaves no temporaries ---------------------------------------
for ((i = 0; i < 30; i++)); do
        "$BERTH" run -q -x -D "$T" -M victim -- sleep 1 </dev/null >/dev/null 2>&1 &
        pid=$!
        sleep "0.00$((RANDOM % 9 + 1))"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
done
dead=$(bash -c 'echo $$')
touch "/run/berth/machines/.#victim.$dead.tmp"
"$BERTH" list >/dev/null
check "berth list removes what killed supervisors were writing" \
        test -z "$(find /run/berth/machines /run/berth/seccomp -name '.#*.tmp' 2>/dev/null)"
