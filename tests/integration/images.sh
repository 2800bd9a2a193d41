#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for eval
# The image store, against the real systemd-machined and machinectl: what
# berth makes (import-fs, clone, rename, read-only, remove) machinectl
# lists and shows the same way; a copy keeps owners, modes, xattrs, file
# capabilities, hard links, device nodes and holes, and gets an empty
# machine-id; settings files travel along; the locks interoperate both
# ways (machinectl remove and systemd-nspawn are refused while berth runs
# an image, berth is refused while systemd-nspawn runs one); on btrfs (a
# file of the test's) a clone is a snapshot, set-limit sets its quota and
# remove deletes subvolumes; bad input gets one line; a command killed
# half-way leaves no image, and the next one removes its temporary.
. "$(dirname "$0")/lib.sh"

command -v machinectl >/dev/null || fail "machinectl is missing (systemd-container)"
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn is missing (systemd-container)"
command -v setcap >/dev/null || fail "setcap is missing (libcap2-bin)"

STORE=/var/lib/machines
tag=$$
A=ia$tag B=ib$tag C=ic$tag D=deb$tag E=ie$tag
IMAGES=("$A" "$B" "$C" "$D" "$E")
images_teardown() {
        local i
        for i in "${IMAGES[@]}"; do
                chattr -i "$STORE/$i" 2>/dev/null || true
                rm -rf "${STORE:?}/$i" "$STORE/$i.nspawn" "$STORE/$i.berth"
        done
        rm -rf "/usr/local/lib/machines/v$tag" "$STORE/.h$tag" "$STORE/.#hk$tag".* "/run/machines/ln$tag"*
        rmdir /usr/local/lib/machines 2>/dev/null || true
        rm -rf "/run/systemd/nspawn/propagate/$D"
}
on_exit images_teardown
start_machined

# --- A small tree with everything a copy must keep -------------------------------
S=$WORK/src
make_rich_tree "$S" "$tag"
echo "[Exec]" >"$WORK/settings"

# --- import-fs: a copy that keeps everything ----------------------------------
check "import-fs $S $A: exit 0" "$BERTH" import-fs "$S" "$A"
check "… makes $STORE/$A" test -d "$STORE/$A"
check "… a copy of everything but the machine-id" \
        test "$(list_tree "$S" | grep -v '^etc/machine-id ')" = "$(list_tree "$STORE/$A" | grep -v '^etc/machine-id ')"
check "… whose machine-id is empty" test -f "$STORE/$A/etc/machine-id" -a ! -s "$STORE/$A/etc/machine-id"
check "… ping keeps its file capability" grep -q cap_net_raw <<<"$(getcap "$STORE/$A/usr/bin/ping")"
check "… the hole stays a hole" \
        test "$(stat -c %b "$STORE/$A/srv/sparse")" -lt 1024
check "… the hard link stays one" \
        test "$(stat -c %i "$STORE/$A/srv/owned")" = "$(stat -c %i "$STORE/$A/srv/hardlink")"
check "… and no temporary is left beside it" test -z "$(find "$STORE" -maxdepth 1 -name '.#*')"

# --- What berth and machinectl say of it ----------------------------------------
cp "$WORK/settings" "$STORE/$A.nspawn"
out=$("$BERTH" images)
check "images lists $A, a writable directory" grep -Eq "^$A +directory +no " <<<"$out"
check "images --json: type directory" test "$(image_json "$A" type)" = directory
check "images --json: ro false" test "$(image_json "$A" ro)" = False
check "images --json: path $STORE/$A" test "$(image_json "$A" path)" = "$STORE/$A"
mlist=$(machinectl list-images --no-legend --no-pager 2>&1 || true)
check "machinectl list-images shows $A as a writable directory ($(grep "$A" <<<"$mlist" || echo none))" \
        grep -Eq "^$A +directory +no " <<<"$mlist"
status=$("$BERTH" image-status "$A")
check "image-status: OS Test OS $tag" grep -Eq "^ *OS: Test OS $tag\$" <<<"$status"
check "image-status: Hostname host-$tag" grep -Eq "^ *Hostname: host-$tag\$" <<<"$status"
check "image-status: Path $STORE/$A" grep -Eq "^ *Path: $STORE/$A\$" <<<"$status"
mstatus=$(machinectl image-status "$A" --no-pager 2>&1 || true)
check "machinectl image-status $A: the same path" grep -Eq "Path: $STORE/$A\$" <<<"$mstatus"
check "… and hostname" grep -Eq "Hostname: host-$tag\$" <<<"$mstatus"

# --- clone, read-only, rename ---------------------------------------------------
check "clone $A $B: exit 0" "$BERTH" clone "$A" "$B"
check "… a copy of everything" test "$(list_tree "$STORE/$A")" = "$(list_tree "$STORE/$B")"
check "… with $A's settings file, as $B.nspawn" cmp -s "$STORE/$A.nspawn" "$STORE/$B.nspawn"
check "read-only $B: exit 0" "$BERTH" read-only "$B"
check "… images --json: ro true" test "$(image_json "$B" ro)" = True
check "… machinectl agrees" grep -Eq "^$B +directory +yes " <<<"$(machinectl list-images --no-legend --no-pager)"
check "… the tree is still writable inside (only its top is marked)" touch "$STORE/$B/srv/new"
check "rename $B $C, read-only: exit 0" "$BERTH" rename "$B" "$C"
check "… $B is gone, $C is there" test ! -e "$STORE/$B" -a -d "$STORE/$C"
check "… and so is its settings file" test ! -e "$STORE/$B.nspawn" -a -f "$STORE/$C.nspawn"
check "… still read-only" test "$(image_json "$C" ro)" = True
check "read-only $C no: writable again" eval '"$BERTH" read-only "$C" no && test "$(image_json "$C" ro)" = False'
check "machinectl list-images shows $C, not $B" \
        eval 'm=$(machinectl list-images --no-legend --no-pager); grep -q "^$C " <<<"$m" && ! grep -q "^$B " <<<"$m"'

# An image linked from /run/machines: cloned is what it points at; removed
# is the link only.
mkdir -p /run/machines
ln -s "$STORE/$A" "/run/machines/ln$tag"
cp "$WORK/settings" "/run/machines/ln$tag.nspawn"
check "images lists ln$tag, linked from /run/machines" test "$(image_json "ln$tag" path)" = "/run/machines/ln$tag"
check "clone ln$tag $E: exit 0" "$BERTH" clone "ln$tag" "$E"
check "… $E is a copy of $A's tree, not of the link" test "$(list_tree "$STORE/$A")" = "$(list_tree "$STORE/$E")"
check "… with the settings file beside the link, beside $E" \
        test -f "$STORE/$E.nspawn" -a ! -e "/run/machines/$E.nspawn"
check "remove ln$tag: exit 0" "$BERTH" remove "ln$tag"
check "… the link and its settings file are gone, $A is not" \
        test ! -L "/run/machines/ln$tag" -a ! -e "/run/machines/ln$tag.nspawn" -a -x "$STORE/$A/usr/bin/su"

# --- Hidden, vendor, bad input ---------------------------------------------------
mkdir -p "$STORE/.h$tag" "/usr/local/lib/machines/v$tag"
check "a hidden image is not listed" not grep -q "^\.h$tag " <<<"$("$BERTH" images)"
check "… but is with --all" grep -q "^\.h$tag " <<<"$("$BERTH" images --all)"
check "a vendor image in /usr/local/lib/machines is listed read-only" test "$(image_json "v$tag" ro)" = True
# An image name machined takes (a file name) that is no machine name.
mkdir "$STORE/sp $tag"
check "an image named 'sp $tag' (a space: machined's rules) is listed" grep -q "^sp $tag " <<<"$("$BERTH" images)"
check "… as machinectl lists it" grep -q "^sp $tag " <<<"$(machinectl list-images --no-legend --no-pager)"
check "… and removed by name" "$BERTH" remove "sp $tag"
check "… gone" test ! -e "$STORE/sp $tag"
bad 1 "clone of an image that does not exist" clone "nx$tag" "ny$tag"
bad 1 "clone onto an image that exists" clone "$A" "$C"
bad 2 "clone to an invalid name" clone "$A" "bad/name"
bad 1 "remove of a vendor image" remove "v$tag"
bad 1 "rename of a vendor image" rename "v$tag" "w$tag"
bad 1 "import-fs of a file" import-fs /etc/hostname "nf$tag"
bad 2 "read-only with a bad boolean" read-only "$A" maybe
bad 1 "set-limit of a directory image on ext4" set-limit "$A" 1G
bad 1 "set-limit of a vendor image" set-limit "v$tag" 1G
bad 2 "set-limit with a bad size" set-limit "$A" 1.5G
bad 1 "image-status of an image that does not exist" image-status "nx$tag"
check "… and none of them made an image" test -z "$(ls -d "$STORE"/n[xyf]"$tag" "$STORE/w$tag" 2>/dev/null)"

# A command killed half-way (SIGKILL) leaves no image, and the next one
# that makes an image removes its temporary: an import-tar whose tarball
# comes slowly, through a FIFO.
mkfifo "$WORK/half.fifo"
"$BERTH" import-tar - "hk$tag" <"$WORK/half.fifo" &
importer=$!
exec {feed}>"$WORK/half.fifo"
tar -C "$S" -cf "$WORK/whole.tar" .
head -c 20480 "$WORK/whole.tar" >&"$feed"
for ((i = 0; i < 100; i++)); do
        compgen -G "$STORE/.#hk$tag.berth~*" >/dev/null && break
        sleep 0.1
done
check "(import-tar, half-way, works in a temporary)" eval 'compgen -G "$STORE/.#hk$tag.berth~*" >/dev/null'
kill -KILL "$importer"
wait "$importer" || true
exec {feed}>&-
check "killed, it left no image hk$tag" not grep -q "hk$tag" <<<"$("$BERTH" images --all)"
"$BERTH" clone "$A" "$B" >/dev/null
check "… and the next clone removed its temporary" not compgen -G "$STORE/.#hk$tag*"

# --- On btrfs: a clone is a snapshot ---------------------------------------------
# A btrfs filesystem in a file of the test's, on the store's place in a
# mount namespace of its own (machined does not see it).
truncate -s 1G "$WORK/btrfs.img"
mkfs.btrfs -q "$WORK/btrfs.img"
cat >"$WORK/btrfs.sh" <<'EOF'
set -eu
img=$1 src=$2 berth=$3 store=/var/lib/machines
mount -o loop "$img" "$store"
btrfs -q subvolume create "$store/bt"
cp -a "$src/." "$store/bt/"
"$berth" clone bt bt2
echo "type=$("$berth" images --json | python3 -c 'import json,sys; print(" ".join(i["name"] + ":" + i["type"] for i in json.load(sys.stdin) if i["name"].startswith("bt")))')"
echo "parent=$(btrfs subvolume show "$store/bt2" | awk '$1 == "Parent" && $2 == "UUID:" { print $3 }')"
echo "uuid=$(btrfs subvolume show "$store/bt" | awk '$1 == "UUID:" { print $2 }')"
echo "quota-off=$("$berth" set-limit bt2 64M 2>&1)"
btrfs quota enable "$store"
"$berth" set-limit bt2 64M
echo "limit=$(btrfs qgroup show -rf --raw "$store/bt2" | tail -n 1 | awk '{ print $4 }')"
"$berth" read-only bt2
echo "ro=$(btrfs property get "$store/bt2" ro)"
"$berth" remove bt bt2
echo "left=$(ls -A "$store" | tr '\n' ' ')"
umount "$store"
EOF
out=$(unshare -m --propagation private bash "$WORK/btrfs.sh" "$WORK/btrfs.img" "$S" "$BERTH" 2>&1) || fail "btrfs: $out"
check "btrfs: images lists the subvolume bt and its clone bt2 as subvolumes ($(grep '^type=' <<<"$out"))" \
        grep -qx "type=bt:subvolume bt2:subvolume" <<<"$out"
check "… bt2 is a snapshot of bt" \
        test "$(sed -n 's/^parent=//p' <<<"$out")" = "$(sed -n 's/^uuid=//p' <<<"$out")" -a -n "$(sed -n 's/^uuid=//p' <<<"$out")"
check "… set-limit says so where quotas are off ($(grep '^quota-off=' <<<"$out"))" \
        grep -q "^quota-off=berth: Can't limit image 'bt2': quotas are off" <<<"$out"
check "… and, with quotas on, sets the subvolume's limit ($(grep '^limit=' <<<"$out"))" grep -qx "limit=67108864" <<<"$out"
check "… read-only marks the subvolume read-only" grep -qx "ro=ro=true" <<<"$out"
check "… and remove deletes both, read-only or not" grep -qx "left=" <<<"$out"
for ((i = 0; i < 50; i++)); do
        [[ -z $(losetup -j "$WORK/btrfs.img" 2>/dev/null) ]] && break
        sleep 0.1
done

# --- Locks shared with machined and nspawn ---------------------------------------
"$BERTH" import-fs "$TREE" "$D" >/dev/null
start_machine "$D" -D "$STORE/$D"
wait_running "$D"
rc=0
out=$(machinectl remove "$D" 2>&1) || rc=$?
check "machinectl remove $D fails while berth runs it (exit $rc: $out)" test "$rc" != 0
check "… and the image is still there" test -x "$STORE/$D/sbin/init"
bad 1 "berth remove of an image a machine runs" remove "$D"
bad 1 "berth rename of an image a machine runs" rename "$D" "w$tag"
rc=0
out=$(systemd-nspawn -q --keep-unit --register=no -D "$STORE/$D" /bin/true 2>&1) || rc=$?
check "systemd-nspawn -D $STORE/$D is refused while berth runs it (exit $rc: $out)" test "$rc" != 0
"$BERTH" poweroff "$D"
wait_supervisor "$D"
check "$D powered off (exit $RC)" test "$RC" = 0
"$BERTH" read-only "$D"
check "berth run of a read-only image runs it, as nspawn does" "$BERTH" run -q -M "$D" --register=no /bin/true
check "… with its root read-only" not "$BERTH" run -q -M "$D" --register=no touch /berth-ro-probe
check "… so nothing was written" test ! -e "$STORE/$D/berth-ro-probe"
check "… while an ephemeral machine runs from it" "$BERTH" run -q -x -M "$D" --register=no /bin/true
"$BERTH" read-only "$D" no

systemd-nspawn -q --keep-unit --register=no -D "$STORE/$D" /bin/sleep 60 </dev/null >"$WORK/nspawn.out" 2>&1 &
NSPAWN=$!
HELPERS+=("$NSPAWN")
for ((i = 0; i < 100; i++)); do
        [[ -n $(find /run/systemd/nspawn/locks -name 'inode-*' 2>/dev/null) ]] && break
        sleep 0.1
done
check "(systemd-nspawn runs $D)" alive "$NSPAWN"
bad 1 "berth remove of an image systemd-nspawn runs" remove "$D"
rc=0
out=$("$BERTH" run -q -D "$STORE/$D" --register=no /bin/true 2>&1) || rc=$?
check "berth run -D of an image systemd-nspawn runs is refused (exit $rc: $out)" test "$rc" = 1
kill "$NSPAWN"
wait "$NSPAWN" || true

# An export killed while it holds the image's locks (it writes to a FIFO
# nobody reads): the next image verb removes the lock files it left.
mkfifo "$WORK/export.fifo"
"$BERTH" export-tar "$D" - >"$WORK/export.fifo" &
exporter=$!
exec {drain}<"$WORK/export.fifo"
for ((i = 0; i < 100; i++)); do
        [[ -e $STORE/.#$D.lck ]] && break
        sleep 0.1
done
check "(export-tar, blocked, holds $D's lock)" test -e "$STORE/.#$D.lck"
kill -KILL "$exporter"
wait "$exporter" || true
exec {drain}<&-
"$BERTH" image-status "$D" >/dev/null
check "killed, its lock files are removed by the next image verb" \
        test ! -e "$STORE/.#$D.lck" -a -z "$(find /run/systemd/nspawn/locks -name 'inode-*' 2>/dev/null)"
check "with nspawn gone, machinectl remove $D works" machinectl remove "$D"
check "… and $D is gone" test ! -e "$STORE/$D"

# --- remove ----------------------------------------------------------------------
check "remove $A $B $C $E: exit 0" "$BERTH" remove "$A" "$B" "$C" "$E"
check "… they are gone, and their settings files" \
        test -z "$(ls -d "$STORE/$A"* "$STORE/$B"* "$STORE/$C"* "$STORE/$E"* 2>/dev/null)"
check "… machinectl lists none of them" \
        not grep -Eq "^($A|$B|$C) " <<<"$(machinectl list-images --no-legend --no-pager)"
check "… and no temporary is left" test -z "$(find "$STORE" -maxdepth 1 -name ".#*$tag*")"
