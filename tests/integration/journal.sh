#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --link-journal=: the machine's persistent journal is readable on the host
# with the real journalctl. guest: it stays in the tree and the host gets a
# symlink /var/log/journal/ID; host: it lives on the host and is bound into
# the machine (idmapped, so the machine's journald can write it); auto
# without a host directory, no and --ephemeral: nothing appears on the host.
. "$(dirname "$0")/lib.sh"

command -v journalctl >/dev/null || fail "journalctl is missing (package systemd)"

# Fixed IDs, so that the test knows where to look and what to remove.
GUEST_ID=0b3a5e1d9f2c4b7a8e6d1c0f2a3b4c5d
HOST_ID=1c4b6f2e0a3d5c8b9f7e2d1a3b4c5d6e
AUTO_ID=2d5c7a3f1b4e6d9c0a8f3e2b4c5d6e7f

made_journal_dir=0
if [[ ! -e /var/log/journal ]]; then
        mkdir /var/log/journal
        made_journal_dir=1
fi
cleanup_journal() {
        local id
        for id in $GUEST_ID $HOST_ID $AUTO_ID; do
                rm -rf --one-file-system "/var/log/journal/$id" "$TREE/var/log/journal/$id"
        done
        if ((made_journal_dir)); then
                rmdir /var/log/journal
        fi
}
on_exit cleanup_journal

# journal_has DIR HOSTNAME: the journal in DIR has entries from the machine
# (its journald writes _HOSTNAME= itself), among them systemd reaching its
# target.
journal_has() {
        local out
        out=$(journalctl -D "$1" -o export --no-pager 2>/dev/null) || return 1
        grep -qx "_HOSTNAME=$2" <<<"$out" && grep -q '^MESSAGE=Reached target' <<<"$out"
}

# wait_journal DIR HOSTNAME: journald flushes to /var/log/journal once the
# machine's systemd-journal-flush.service has run; polls until it did.
wait_journal() {
        local i
        for ((i = 0; i < 300; i++)); do
                journal_has "$1" "$2" && return 0
                sleep 0.1
        done
        return 1
}

# --- guest ---------------------------------------------------------------------
start_machine jguest --link-journal=guest --uuid=$GUEST_ID
wait_running jguest
link=/var/log/journal/$GUEST_ID
check "guest: the host has a symlink $link" test -L "$link"
check "guest: it points into the tree ($(readlink "$link"))" test "$(readlink "$link")" = "$TREE/var/log/journal/$GUEST_ID"
check "guest: journalctl -D $link reads the machine's journal (via the symlink)" wait_journal "$link" jguest
check "guest: the machine's journal files are owned by its root ($(stat -c %u "$TREE/var/log/journal/$GUEST_ID"))" \
        test "$(in_machine jguest stat -c %u "/var/log/journal/$GUEST_ID")" = 0
"$BERTH" poweroff jguest
wait_supervisor jguest
check "guest: the machine powered off (0, got $RC)" test "$RC" = 0
check "guest: the symlink stays after the machine, like systemd-nspawn's" test -L "$link"
check "guest: and the journal is still readable from the host" journal_has "$link" jguest

# --- host ----------------------------------------------------------------------
start_machine jhost --link-journal=host --uuid=$HOST_ID
wait_running jhost
hostdir=/var/log/journal/$HOST_ID
check "host: $hostdir is a directory on the host" test -d "$hostdir" -a ! -L "$hostdir"
check "host: journalctl -D $hostdir reads the machine's journal" wait_journal "$hostdir" jhost
check "host: the files in it belong to the host's root (idmapped bind)" \
        test -z "$(find "$hostdir" -type f ! -uid 0)"
check "host: inside, they belong to the machine's root" \
        test "$(in_machine jhost sh -c "stat -c %u /var/log/journal/$HOST_ID/*.journal | sort -u")" = 0
check "host: the tree has only the empty mount point" test -z "$(ls -A "$TREE/var/log/journal/$HOST_ID")"
"$BERTH" poweroff jhost
wait_supervisor jhost
check "host: the machine powered off (0, got $RC)" test "$RC" = 0
check "host: the journal stays on the host" journal_has "$hostdir" jhost

# --- auto, no, ephemeral: nothing on the host -------------------------------------
for opts in "--link-journal=auto" "--link-journal=no" "-x --link-journal=guest" "-x --link-journal=host"; do
        # shellcheck disable=SC2086 # opts are words
        "$BERTH" run -q -D "$TREE" -M jnone --uuid=$AUTO_ID $opts -- /bin/true </dev/null ||
                fail "run $opts failed"
        check "$opts: nothing appears in /var/log/journal" not test -e "/var/log/journal/$AUTO_ID" -o -L "/var/log/journal/$AUTO_ID"
done
mkdir "/var/log/journal/$AUTO_ID"
"$BERTH" run -q -D "$TREE" -M jauto --uuid=$AUTO_ID -- sh -c "grep -q ' /var/log/journal/$AUTO_ID ' /proc/self/mountinfo" </dev/null ||
        fail "auto: an existing host directory /var/log/journal/$AUTO_ID is not bound into the machine"
echo "ok - auto: an existing host directory is bound into the machine"

# --- try-*: skipped where impossible, not fatal --------------------------------------
echo "not a journal" >"/var/log/journal/$AUTO_ID.file"
rm -rf "/var/log/journal/$AUTO_ID"
mv "/var/log/journal/$AUTO_ID.file" "/var/log/journal/$AUTO_ID"
rc=0
"$BERTH" run -q -D "$TREE" -M jtry --uuid=$AUTO_ID --link-journal=try-guest -- /bin/true </dev/null || rc=$?
check "try-guest with a file in the way of the link still runs (0, got $rc)" test "$rc" = 0
check "… and leaves that file alone" grep -qx "not a journal" "/var/log/journal/$AUTO_ID"
rc=0
err=$("$BERTH" run -q -D "$TREE" -M jtry --uuid=$AUTO_ID --link-journal=guest -- /bin/true 2>&1 </dev/null) || rc=$?
check "guest with a file in the way fails (1, got $rc)" test "$rc" = 1
check "… naming it: $err" grep -q "/var/log/journal/$AUTO_ID is in the way" <<<"$err"
rm -f "/var/log/journal/$AUTO_ID"

# --- bad input -------------------------------------------------------------------
rc=0
err=$("$BERTH" run -D "$TREE" --link-journal=sometimes -- /bin/true 2>&1 </dev/null) || rc=$?
check "a bad --link-journal= is bad usage (2, got $rc)" test "$rc" = 2
check "… with one line naming it: $err" grep -q "link-journal" <<<"$err"
rc=0
err=$("$BERTH" run -D "$TREE" --link-journal=guest --uuid="$(cat /etc/machine-id)" -- /bin/true 2>&1 </dev/null) || rc=$?
check "guest with the host's own machine ID is refused (1, got $rc)" test "$rc" = 1
check "… saying why: $err" grep -q "host's machine ID" <<<"$err"
