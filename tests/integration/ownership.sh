#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --private-users-ownership: map (idmapped mount, tree untouched on disk),
# chown (the tree is chowned into the range once, the range remembered in
# user.berth.uid_shift, and picked again next time), identity and no.
. "$(dirname "$0")/lib.sh"

tree=$(copy_tree own)
check "the tree has /etc/shadow in group 42 (shadow) to start with" test "$(stat -c %g "$tree/etc/shadow")" = 42
run() {
        "$BERTH" run -q -D "$tree" -M own "$@"
}

check "map: files appear owned by root inside" test "$(run --private-users-ownership=map stat -c %u /etc/passwd)" = 0
check "map: the tree is still owned by 0 on disk" test "$(stat -c %u "$tree/etc/passwd")" = 0

check "chown: files appear owned by root inside" test "$(run --private-users-ownership=chown stat -c %u /etc/passwd)" = 0
base=$(getfattr --only-values -n user.berth.uid_shift "$tree" 2>/dev/null)
check "chown: the range is remembered on the tree ($base)" test "$base" -ge 524288
check "chown: the tree is owned by the range on disk" test "$(stat -c %u:%g "$tree")" = "$base:$base"
check "chown: /etc/passwd is owned by the range on disk" test "$(stat -c %u "$tree/etc/passwd")" = "$base"
check "chown: other owners move too (/etc/shadow's group shadow, 42)" test "$(stat -c %g "$tree/etc/shadow")" = $((base + 42))
check "chown: setuid bits survive the chown" test -u "$tree/usr/bin/su" -o -u "$tree/bin/su"
check "chown: the next boot picks the same range" test "$(run awk '{print $2}' /proc/self/uid_map)" = "$base"
check "auto: a chowned tree stays chowned (no idmap on top)" \
        test "$(run stat -c %u /etc/passwd):$(stat -c %u "$tree/etc/passwd")" = "0:$base"

rc=0; out=$(run --private-users-ownership=map true 2>&1) || rc=$?
check "map on a chowned tree is refused with 1 (got $rc)" test "$rc" = 1
check "… saying so: $out" grep -q "was chowned to UID range $base before" <<<"$out"

check "identity: uid_map is 0 0 65536" test "$(run --private-users=identity cat /proc/self/uid_map | awk '{print $1, $2, $3}')" = "0 0 65536"
check "no: no user namespace" test "$(run --private-users=no cat /proc/self/uid_map | awk '{print $1, $2, $3}')" = "0 0 4294967295"
check "no: all caps but the dropped ones" not grep -q '^CapBnd:\s*0*$' <(run --private-users=no cat /proc/self/status)
check "fixed: --private-users=UID:COUNT" test "$("$BERTH" run -q -x -D "$TREE" --private-users=1879048192:65536 cat /proc/self/uid_map | awk '{print $2, $3}')" = "1879048192 65536"
