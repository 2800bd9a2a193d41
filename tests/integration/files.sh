#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth copy-to, copy-from, bind on a running machine: contents, modes,
# times and ownership on both sides; symlinks in the machine (to "/",
# "../../..", host paths) never make berth read or write host files;
# --force; progress only on a terminal; bind's --read-only and --mkdir, and
# no mount left on the host.
. "$(dirname "$0")/lib.sh"

M=fl-files
tree=$(copy_tree "$M")
start_machine "$M" -D "$tree"
wait_running "$M"
leader=$(leader_of "$M")
# shellcheck disable=SC2016 # awk's $2
base=$(in_machine "$M" awk '{ print $2 }' /proc/self/uid_map)
# On disk, files of the machine's root are owned as the tree's are: 0 on
# an idmapped root, the range's base on a chowned one.
disk_root=$(stat -c %u "$tree/etc/passwd")
T=981173106 # a modification time to find again

# The host side: a tree to copy in, and canaries that hostile links in the
# machine point at.
src=$WORK/src
mkdir -p "$src/tree/sub/deep" "$WORK/canary-dir"
printf 'hello\n' >"$src/tree/file"
chmod 0640 "$src/tree/file"
printf '#!/bin/sh\n' >"$src/tree/exec"
chmod 04755 "$src/tree/exec"
printf 'leaf\n' >"$src/tree/sub/deep/leaf"
chmod 0750 "$src/tree/sub"
ln -s ../../../../.. "$src/tree/up"
ln -s / "$src/tree/abs"
ln -s "$WORK/canary" "$src/tree/to-canary"
touch -h -d "@$T" "$src/tree/file" "$src/tree/exec" "$src/tree/sub/deep/leaf" "$src/tree/up" "$src/tree/sub"
chmod 0555 "$src/tree/sub/deep"
touch -d "@$T" "$src/tree/sub/deep"
printf 'host canary\n' >"$WORK/canary"
chmod 0600 "$WORK/canary"
printf 'host inner\n' >"$WORK/canary-dir/inner"
touch -d "@$T" "$WORK/canary" "$WORK/canary-dir/inner" "$WORK/canary-dir"
canaries() {
        stat -c '%n %s %a %u %Y' "$WORK/canary" "$WORK/canary-dir" "$WORK/canary-dir"/*
        cat "$WORK/canary" "$WORK/canary-dir/inner"
}
canaries_before=$(canaries)
canaries_untouched() {
        test "$(canaries)" = "$canaries_before"
}

# expect STATUS PATTERN ARGS…: berth fails with STATUS and one line.
expect() {
        local status=$1 pattern=$2 rc=0 err
        shift 2
        "$BERTH" "$@" </dev/null >"$WORK/expect.out" 2>"$WORK/expect.err" || rc=$?
        err=$(cat "$WORK/expect.err")
        check "berth $* → exit $status (got $rc: $err)" test "$rc" = "$status"
        check "… one line on stderr, 'berth: ' and matching '$pattern'" \
                test "$(wc -l <"$WORK/expect.err")" = 1 -a -n "$(grep -E "^berth: .*$pattern" "$WORK/expect.err")"
        check "… nothing on stdout" test ! -s "$WORK/expect.out"
}

# in M CMD…, quietly
inside() {
        in_machine "$M" "$@"
}

# --- copy-to ---------------------------------------------------------------

check "copy-to a file" "$BERTH" copy-to "$M" "$src/tree/file" /root/file
check "… content inside" test "$(inside cat /root/file)" = hello
check "… mode and owner inside are 640 0:0" test "$(inside stat -c '%a %u:%g' /root/file)" = "640 0:0"
check "… modification time kept" test "$(inside stat -c %Y /root/file)" = "$T"
check "… owned by the machine's root on the host ($base)" \
        test "$(stat -c %u:%g "/proc/$leader/root/root/file")" = "$base:$base"
check "… and on disk as the tree's own files ($disk_root)" test "$(stat -c %u "$tree/root/file")" = "$disk_root"

check "copy-to a tree" "$BERTH" copy-to "$M" "$src/tree" /root/tree
# path type mode owner ->link-target
listing() {
        inside find "$1" -printf '%P %y %m %U:%G ->%l\n' | sort
}
expected=$(
        cat <<EOF
 d 755 0:0 ->
abs l 777 0:0 ->/
exec f 755 0:0 ->
file f 640 0:0 ->
sub d 750 0:0 ->
sub/deep d 555 0:0 ->
sub/deep/leaf f 644 0:0 ->
to-canary l 777 0:0 ->$WORK/canary
up l 777 0:0 ->../../../../..
EOF
)
listing=$(listing /root/tree)
check "… the tree inside: types, modes (set-user-ID dropped), owners, link targets as they were" \
        test "$listing" = "$expected"
check "… contents" test "$(inside cat /root/tree/sub/deep/leaf)" = leaf
check "… times of files, directories and links" \
        test "$(inside stat -c %Y /root/tree/file /root/tree/sub /root/tree/sub/deep /root/tree/up | sort -u)" = "$T"
check "… all owned by the machine's root on the host" \
        test "$(find "/proc/$leader/root/root/tree" -printf '%U:%G\n' | sort -u)" = "$base:$base"
check "the host's canaries are untouched (links were copied, not followed)" canaries_untouched

expect 1 "'/root/file' in machine '$M' already exists; use --force" copy-to "$M" "$src/tree/file" /root/file
printf 'new\n' >"$WORK/new"
check "copy-to --force replaces a file" "$BERTH" copy-to "$M" "$WORK/new" /root/file --force
check "… with the new content" test "$(inside cat /root/file)" = new
check "… and leaves no temporary file" test -z "$(inside find /root -maxdepth 1 -name '.#*')"
inside ln -s / /root/link-to-root
check "copy-to --force over a symlink replaces the link" "$BERTH" copy-to --force "$M" "$WORK/new" /root/link-to-root
check "… which is a file now" inside test -f /root/link-to-root -a ! -L /root/link-to-root
check "copy-to --force of a tree merges into the existing one" "$BERTH" copy-to "$M" "$src/tree" /root/tree --force
check "… the same tree" test "$(listing /root/tree)" = "$expected"

inside mkdir -p "$WORK/default"
printf 'default\n' >"$WORK/default-src"
mkdir -p "$WORK/default" && cp "$WORK/default-src" "$WORK/default/f"
check "copy-to without DST copies to the same path" "$BERTH" copy-to "$M" "$WORK/default/f"
check "… there" test "$(inside cat "$WORK/default/f")" = default
(cd "$WORK/default" && "$BERTH" copy-to "$M" f /root/relative-src) </dev/null
check "copy-to takes a host path relative to the working directory" test "$(inside cat /root/relative-src)" = default

# --- symlinks in the machine that point out of it ---------------------------

inside mkdir -p "$WORK"
inside sh -c "printf 'machine canary\n' > '$WORK/canary'"
inside ln -s / /escape-abs
inside ln -s ../../../../../.. /escape-up
inside ln -s "$WORK" /escape-work
inside ln -s "$WORK/canary" /escape-canary

check "copy-to through a link to '../../..' as a DST component" \
        "$BERTH" copy-to --force "$M" "$WORK/new" "/escape-up$WORK/canary"
check "… wrote the machine's file" test "$(inside cat "$WORK/canary")" = new
check "… not the host's" canaries_untouched
inside sh -c "printf 'machine canary\n' > '$WORK/canary'"
check "copy-to through a link to the host's path, and one to '/'" \
        "$BERTH" copy-to --force "$M" "$WORK/new" "/escape-abs/escape-work/canary"
check "… wrote the machine's file" test "$(inside cat "$WORK/canary")" = new
check "… not the host's" canaries_untouched
expect 1 "already exists" copy-to "$M" "$WORK/new" /escape-canary
check "copy-to --force onto a link to a host path replaces the link" \
        "$BERTH" copy-to --force "$M" "$WORK/new" /escape-canary
check "… in the machine" test "$(inside cat /escape-canary)" = new
check "… not the host's file" canaries_untouched
check "copy-to of a tree into a directory reached through '../../..'" \
        "$BERTH" copy-to "$M" "$src/tree" "/escape-up/escape-up$WORK/tree-via-link"
check "… is in the machine" inside test -f "$WORK/tree-via-link/file"
check "… and not on the host" test ! -e "$WORK/tree-via-link"
inside sh -c "printf 'machine canary\n' > '$WORK/canary'"

check "copy-from through a link to '../../..'" \
        "$BERTH" copy-from "$M" "/escape-up$WORK/canary" "$WORK/got-up"
check "… read the machine's file, not the host's" test "$(cat "$WORK/got-up")" = "machine canary"
check "copy-from through a link to the host's path" "$BERTH" copy-from "$M" /escape-work/canary "$WORK/got-work"
check "… read the machine's file" test "$(cat "$WORK/got-work")" = "machine canary"
check "copy-from of a link to '/' copies the link" "$BERTH" copy-from "$M" /escape-abs "$WORK/got-abs"
check "… a symlink to '/' on the host" test "$(readlink "$WORK/got-abs")" = /
inside ln -s "$WORK/canary" /link-to-canary
check "copy-from of a link to a host path copies the link" "$BERTH" copy-from "$M" /link-to-canary "$WORK/got-canary"
check "… a symlink" test "$(readlink "$WORK/got-canary")" = "$WORK/canary"
inside mkdir /root/links
inside ln -s / /root/links/root
inside ln -s ../../../../.. /root/links/up
inside ln -s "$WORK/canary-dir" /root/links/canary-dir
check "copy-from of a directory with links out" "$BERTH" copy-from "$M" /root/links "$WORK/got-links"
check "… has the links, not what they point at" \
        test "$(find "$WORK/got-links" -printf '%P %y %l\n' | sort | tr '\n' ,)" = " d ,canary-dir l $WORK/canary-dir,root l /,up l ../../../../..,"
check "the host's canaries are untouched" canaries_untouched

# --- copy-from --------------------------------------------------------------

inside sh -c 'mkdir -p /srv/out/sub && printf "out\n" > /srv/out/f && chmod 0604 /srv/out/f && chmod 0710 /srv/out/sub'
inside touch -d "@$T" /srv/out/f /srv/out/sub
inside ln -s f /srv/out/link
check "copy-from a tree" "$BERTH" copy-from "$M" /srv/out "$WORK/from-tree"
check "… types, modes, links, owned by root on the host" \
        test "$(find "$WORK/from-tree" -printf '%P %y %m %U:%G %l\n' | sort | tr '\n' ,)" = " d 755 0:0 ,f f 604 0:0 ,link l 777 0:0 f,sub d 710 0:0 ,"
check "… contents" test "$(cat "$WORK/from-tree/f")" = out
check "… times" test "$(stat -c %Y "$WORK/from-tree/f" "$WORK/from-tree/sub" | sort -u)" = "$T"
check "copy-from reads what only the machine's root can ($(inside stat -c '%a %U:%G' /etc/shadow) /etc/shadow)" \
        "$BERTH" copy-from "$M" /etc/shadow "$WORK/shadow"
check "… same content" cmp -s "$WORK/shadow" "$tree/etc/shadow"
check "… owned by root on the host, mode kept" test "$(stat -c '%U:%G %a' "$WORK/shadow")" = "root:root 640"
su_path=$(inside sh -c 'command -v su')
check "copy-from drops the set-user-ID bit of $su_path" "$BERTH" copy-from "$M" "$su_path" "$WORK/su"
check "… 4755 became 755" test "$(inside stat -c %a "$su_path"):$(stat -c %a "$WORK/su")" = "4755:755"
expect 1 "'$WORK/from-tree' already exists; use --force" copy-from "$M" /srv/out "$WORK/from-tree"
inside sh -c 'printf "changed\n" > /srv/out/f'
check "copy-from --force replaces" "$BERTH" copy-from --force "$M" /srv/out "$WORK/from-tree"
check "… with the new content" test "$(cat "$WORK/from-tree/f")" = changed
inside sh -c "printf 'default from\n' > '$WORK/default/from'"
check "copy-from without DST copies to the same path" "$BERTH" copy-from "$M" "$WORK/default/from"
check "… there" test "$(cat "$WORK/default/from")" = "default from"

inside mkfifo /root/fifo
expect 1 "Cannot copy '/root/fifo' in machine '$M': only regular files, directories and symlinks" \
        copy-from "$M" /root/fifo "$WORK/fifo"
mkfifo "$src/fifo"
# shellcheck disable=SC2016 # expanded in the machine
inside sh -c 'mkdir /root/esc && mkfifo "/root/esc/$(printf "bad\nname")"'
expect 1 "Cannot copy '/root/esc/bad\\\\x0aname' in machine '$M': only regular" copy-from "$M" /root/esc "$WORK/esc"
expect 1 "Cannot copy '$src/fifo': only regular files" copy-to "$M" "$src/fifo" /root/fifo2

# --- progress: on a terminal only ---------------------------------------------

dd if=/dev/urandom of="$src/big" bs=1M count=64 status=none
err=$("$BERTH" copy-to "$M" "$src/big" /root/big 2>&1 </dev/null >/dev/null)
check "without a terminal, copy-to says nothing: '$err'" test -z "$err"
err=$("$BERTH" copy-from "$M" /root/big "$WORK/big-back" 2>&1 </dev/null >/dev/null)
check "… and neither does copy-from: '$err'" test -z "$err"
check "… and the 64 MB came back whole" cmp -s "$src/big" "$WORK/big-back"
command -v tmux >/dev/null || fail "tmux is missing"
# on_tty NAME CMD: runs CMD on a terminal until it ends; what the terminal
# shows is in $WORK/NAME.screen.
on_tty() {
        local name=$1
        shift
        tty_tmux new-session -d -s t -x 120 -y 20 "$*; echo DONE=\$?; sleep 600"
        pane_has '^DONE=' || fail "'$*' did not end on the terminal"
        tty_tmux capture-pane -p -t t >"$WORK/$name.screen"
        tty_end
}
on_tty to "$BERTH copy-to --force $M $src/big /root/big"
check "on a terminal, copy-to ends with what it copied: $(grep Copied "$WORK/to.screen")" \
        grep -qE '^Copied 64\.0M in [0-9.]+[a-z]+ \([0-9.]+[KMG]?/s\)\.$' "$WORK/to.screen"
check "… and succeeds" grep -qx 'DONE=0' "$WORK/to.screen"
on_tty from "$BERTH copy-from --force $M /root/big $WORK/big-back"
check "… so does copy-from: $(grep Copied "$WORK/from.screen")" \
        grep -qE '^Copied 64\.0M in ' "$WORK/from.screen"
check "… and the copy is whole" cmp -s "$src/big" "$WORK/big-back"
on_tty fail "$BERTH copy-to $M $src/big /root/big"
check "a failed copy on a terminal shows the error and no progress: $(grep berth: "$WORK/fail.screen")" \
        grep -q "^berth: .*already exists" "$WORK/fail.screen"
check "… and no 'Copied'" not grep -q Copied "$WORK/fail.screen"
inside rm -f /root/big
rm -f "$src/big" "$WORK/big-back"

# --- bind -------------------------------------------------------------------

mkdir -p "$WORK/bind-src/sub"
chmod 1777 "$WORK/bind-src"
printf 'bound\n' >"$WORK/bind-src/f"
# A submount, and a file below it that it hides.
printf 'under\n' >"$WORK/bind-src/sub/under"
mount -t tmpfs -o size=1m,mode=0755 fl-files-sub "$WORK/bind-src/sub"
on_exit "umount '$WORK/bind-src/sub' 2>/dev/null"
printf 'bound file\n' >"$WORK/bind-file"

expect 1 "'/mnt/fl-bind' does not exist in machine '$M'; use --mkdir" bind "$M" "$WORK/bind-src" /mnt/fl-bind
check "bind --mkdir" "$BERTH" bind --mkdir "$M" "$WORK/bind-src" /mnt/fl-bind
check "… visible inside" test "$(inside cat /mnt/fl-bind/f)" = bound
check "… writable" inside sh -c 'echo w > /mnt/fl-bind/written'
check "… the write is on the host" test "$(cat "$WORK/bind-src/written")" = w
check "… with its submount" inside mountpoint -q /mnt/fl-bind/sub
check "… which the machine's root can't unmount (to see what it hides)" \
        not inside umount /mnt/fl-bind/sub 2>/dev/null
check "… so the file below it stays hidden" not inside test -e /mnt/fl-bind/sub/under
check "bind --read-only --mkdir with parents, through a link to '../../..'" \
        "$BERTH" bind --read-only --mkdir "$M" "$WORK/bind-src" /escape-up/mnt/fl-ro/a/b
check "… visible inside" test "$(inside cat /mnt/fl-ro/a/b/f)" = bound
check "… read-only" not inside sh -c 'echo x > /mnt/fl-ro/a/b/x' 2>/dev/null
check "… said as much" grep -q '^ro,' <<<"$(inside findmnt -no OPTIONS /mnt/fl-ro/a/b)"
check "… and the machine's root can't make it writable" \
        not inside mount -o remount,bind,rw /mnt/fl-ro/a/b 2>/dev/null
check "… still read-only" not inside sh -c 'echo x > /mnt/fl-ro/a/b/x' 2>/dev/null
check "… the parents it made belong to the machine's root" test "$(inside stat -c %u:%g /mnt/fl-ro /mnt/fl-ro/a)" = "0:0
0:0"
check "bind of a file, --mkdir makes an empty file to mount on" \
        "$BERTH" bind --mkdir "$M" "$WORK/bind-file" /etc/fl-bound
check "… visible inside" test "$(inside cat /etc/fl-bound)" = "bound file"
umount "$WORK/bind-src/sub"
check "no mount of them on the host" not grep -qE "bind-(src|file)|fl-ro|fl-bind|fl-bound" /proc/self/mountinfo
check "and the host has no /mnt/fl-ro" test ! -e /mnt/fl-ro

# --- bad input --------------------------------------------------------------

expect 1 "Machine 'fl-nope' is not running" copy-to fl-nope "$src/tree/file" /root/x
expect 1 "Machine 'fl-nope' is not running" copy-from fl-nope /etc/passwd "$WORK/x"
expect 1 "Machine 'fl-nope' is not running" bind fl-nope "$WORK/bind-src" /mnt
expect 1 "Failed to copy '$WORK/missing': No such file" copy-to "$M" "$WORK/missing" /root/x
expect 1 "Failed to copy '/missing' in machine '$M' to '$WORK/x': No such file" copy-from "$M" /missing "$WORK/x"
expect 1 "Failed to open '$WORK/missing'.*No such file" bind "$M" "$WORK/missing" /mnt
expect 1 "Failed to open directory '/no/such' in machine '$M'" copy-to "$M" "$src/tree/file" /no/such/file
expect 1 "Failed to open directory '$WORK/no/such'" copy-from "$M" /etc/passwd "$WORK/no/such/file"
expect 2 "Path 'root/x' in the machine is not absolute" copy-to "$M" "$src/tree/file" root/x
expect 2 "Path 'etc/passwd' in the machine is not absolute" copy-from "$M" etc/passwd "$WORK/x"
expect 2 "Path 'relative' in the machine is not absolute" bind "$M" relative
expect 2 "Path '/' in the machine names no file" copy-to "$M" "$src/tree" /
expect 2 "needs a machine name, a source" copy-to "$M"
expect 2 "needs a machine name, a source" copy-from "$M" /a /b /c
expect 2 "Unknown option '--mkdir'" copy-to --mkdir "$M" "$src/tree/file" /root/x
check "nothing of all that reached the host's canaries" canaries_untouched

# --- the end ------------------------------------------------------------------

"$BERTH" poweroff "$M"
wait_supervisor "$M"
check "exit status 0 (got $RC)" test "$RC" = 0
check "no mount of the bound sources is left" not grep -q "$WORK" /proc/self/mountinfo
