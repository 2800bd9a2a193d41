#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input: each case exits 1 (failure) or 2 (bad usage) with exactly one
# line on stderr, "berth: …" naming what and why, nothing on stdout, and
# leaves nothing behind (lib.sh's leak check, plus no record per case).
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/no-init/usr/lib" "$WORK/no-os-release/sbin" "$WORK/no-usr/etc"
echo 'ID=test' >"$WORK/no-init/usr/lib/os-release"
printf '#!/bin/sh\n' >"$WORK/no-os-release/sbin/init"
chmod +x "$WORK/no-os-release/sbin/init"
long=$(printf 'a%.0s' {1..65})

# expect STATUS PATTERN ARGS…
expect() {
        local status=$1 pattern=$2 rc=0
        shift 2
        "$BERTH" "$@" </dev/null >"$WORK/out" 2>"$WORK/err" || rc=$?
        local err
        err=$(cat "$WORK/err")
        check "berth $* → exit $status (got $rc: $err)" test "$rc" = "$status"
        check "… one line on stderr" test "$(wc -l <"$WORK/err")" = 1
        check "… starting with 'berth: ' and matching '$pattern'" grep -Eq "^berth: .*$pattern" "$WORK/err"
        check "… nothing on stdout" test ! -s "$WORK/out"
        check "… no machine record left" test -z "$(find /run/berth/machines -mindepth 1 2>/dev/null)"
}

expect 2 "Invalid machine name '\.\./x'" boot -D "$TREE" -M ../x
expect 2 "Invalid machine name 'a/b'" boot -D "$TREE" -M a/b
expect 2 "Invalid machine name '$long'" run -D "$TREE" -M "$long" true
expect 2 "Invalid machine name '\.hidden'" boot -D "$TREE" -M .hidden
expect 1 "Failed to find directory '/nonexistent/tree'" boot -D /nonexistent/tree
expect 1 "has no /sbin/init" boot -D "$WORK/no-init"
expect 1 "os-release" boot -D "$WORK/no-os-release"
expect 1 "/usr is missing" run -D "$WORK/no-usr" true
expect 1 "Refusing to boot the host's root directory" boot -D /
expect 1 "bind source '/nonexistent/src'" run -D "$TREE" --bind=/nonexistent/src:/mnt true
expect 2 "--bind" run -D "$TREE" --bind=/tmp:relative/dst true
expect 2 "--bind" run -D "$TREE" --bind=relative:/dst true
expect 2 "--bind" run -D "$TREE" --bind=/tmp:/mnt:bogus-option true
expect 2 "--tmpfs" run -D "$TREE" --tmpfs=relative true
expect 2 "--private-users" boot -D "$TREE" --private-users=xyz
expect 2 "--private-users" boot -D "$TREE" --private-users=1:0
expect 2 "--private-users-ownership" boot -D "$TREE" --private-users-ownership=sometimes
expect 2 "--console" boot -D "$TREE" --console=loud
expect 2 "--notify-ready" boot -D "$TREE" --notify-ready=maybe
expect 2 "--timeout" run -D "$TREE" --timeout=soon true
expect 2 "--uuid" boot -D "$TREE" --uuid=not-a-uuid
expect 2 "--hostname" boot -D "$TREE" --hostname=-bad
expect 2 "--setenv" run -D "$TREE" -E =value true
expect 2 "--chdir" run -D "$TREE" --chdir=relative true
if ! grep -qw selinuxfs /proc/filesystems || [[ ! -e /sys/fs/selinux/enforce ]]; then
        expect 1 "SELinux is not enabled on this host" run -D "$TREE" -Z system_u:system_r:container_t:s0 true
        expect 1 "SELinux is not enabled on this host" run -D "$TREE" -L system_u:object_r:container_file_t:s0 true
fi
expect 2 "Unknown option '--bogus'" boot --bogus
expect 2 "needs a value" boot -D
expect 2 "for 'berth run' only" boot -D "$TREE" --user=root
expect 2 "Unknown verb 'frobnicate'" frobnicate
expect 2 "Missing verb"
expect 1 "Machine 'nosuch' is not running" poweroff nosuch
expect 1 "Machine 'nosuch' is not running" terminate nosuch
expect 1 "Invalid machine name" poweroff ../x
expect 2 "needs at least one machine name" poweroff
expect 2 "takes no arguments" list extra
