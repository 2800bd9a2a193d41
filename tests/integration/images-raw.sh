#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for the machine's shell
# Raw disk images (-i FILE, -M NAME for NAME.raw in the store): the images
# of tests/fixtures/raw-image.sh, checked first by the real systemd-dissect,
# boot to multi-user and power off (one made by systemd-repart, one by
# sfdisk by hand, the latter found by -M in /var/lib/machines); a bare ext4
# filesystem, an image with /usr apart and a block device run; -x writes
# nothing to the image; --read-only, the GPT read-only flag and an
# immutable file give a read-only root; --volatile=yes|state|overlay do
# what nspawn's do, for an image and a directory, one of them booted;
# --overlay and --overlay-ro with -U (what the machine's root writes is
# root's on the host); the partition picked among several roots (the
# newest label, not those marked no-auto, the one generic Linux partition
# when there is no root); image locks; bad images (no root, two roots of
# one label, two generic partitions, corrupt GPT headers, truncated files,
# random data, an empty file) get one line and exit 1; and after every
# run, failed or not, and after a SIGKILLed supervisor, no loop device is
# left on the images and the host's mount table is as it was.
. "$(dirname "$0")/lib.sh"

for tool in sfdisk:fdisk systemd-dissect:systemd-container debugfs:e2fsprogs mkfs.ext4:e2fsprogs; do
        command -v "${tool%%:*}" >/dev/null || fail "${tool%%:*} is missing (${tool#*:})"
done

mapfile -t images < <("$BERTH_SRC/tests/fixtures/raw-image.sh")
REPART=${images[0]} SFDISK=${images[1]} FS=${images[2]} SPLIT=${images[3]}
[[ -f $REPART && -f $SFDISK && -f $FS && -f $SPLIT ]] || fail "raw-image.sh made no images (${images[*]})"

STORE=/var/lib/machines
[[ -d $STORE ]] || mkdir -m 0700 "$STORE" # as machined makes it
tag=$$
SF=rawsf$tag
on_exit 'rm -f "$STORE/$SF.raw" "$STORE/$SF.berth" "$STORE/$SF.nspawn"'

ROOT_TYPE=4f68bce3-e8cd-4db1-96e7-fbcaf984b709  # root-x86-64
LINUX_TYPE=0fc63daf-8483-4772-8e79-3d69d8477de4 # generic Linux data
HOME_TYPE=933ac7e1-2eb4-4f13-b844-0e14e2aef915  # home

# brun ARGS…: berth run, quiet.
brun() {
        "$BERTH" run -q "$@" </dev/null
}
sha() {
        sha256sum "$1" | cut -d' ' -f1
}
# part_geometry IMAGE N: the byte offset and size of partition N.
part_geometry() {
        sfdisk -J "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
p = t["partitions"][int(sys.argv[1]) - 1]
s = t.get("sectorsize", 512)
print(p["start"] * s, p["size"] * s)' "$2"
}
# on_disk IMAGE N DEBUGFS-COMMAND: runs a debugfs request on partition N
# of IMAGE (0: IMAGE is a bare filesystem), read-only, without mounting.
on_disk() {
        local offset=0 size
        if [[ $2 != 0 ]]; then
                read -r offset size < <(part_geometry "$1" "$2")
        fi
        debugfs -R "$3" "$1?offset=$offset" 2>/dev/null
}
# owner_on_disk IMAGE N PATH: uid:gid of PATH in partition N, as stored.
owner_on_disk() {
        on_disk "$1" "$2" "stat $3" | awk '$1 == "User:" { print $2 ":" $4 }'
}

# --- What must be as it was after every run ------------------------------------------
mount_points() {
        awk '{ print $5 }' /proc/self/mountinfo | sort
}
MOUNTS_BEFORE=$(mount_points)
# loops_on FILE…: the loop devices backed by the files.
loops_on() {
        local f
        for f; do
                losetup --list --noheadings --output NAME --associated "$f" 2>/dev/null || true
        done
}
# nothing_left WHAT FILE…: no loop device on the files (a moment is given
# to autoclear), and the host's mount table is as it was at the start.
nothing_left() {
        local what=$1 i
        shift
        for ((i = 0; i < 50; i++)); do
                [[ -z $(loops_on "$@") ]] && break
                sleep 0.1
        done
        check "$what: no loop device left on the image ($(loops_on "$@" | tr '\n' ' '))" test -z "$(loops_on "$@")"
        check "$what: the host's mount table is as it was" test "$(mount_points)" = "$MOUNTS_BEFORE"
}
# loop_while_running IMAGE ARGS…: starts berth run ARGS… -- sleep 3 and
# prints RO AUTOCLEAR OFFSET SIZELIMIT of the loop device it attaches to
# IMAGE, as soon as there is one.
loop_while_running() {
        local image=$1 pid i info=
        shift
        "$BERTH" run -q "$@" -- sleep 3 </dev/null >/dev/null 2>"$WORK/loop-probe.stderr" &
        pid=$!
        for ((i = 0; i < 200; i++)); do
                info=$(losetup --list --noheadings --output RO,AUTOCLEAR,OFFSET,SIZELIMIT --associated "$image" 2>/dev/null || true)
                [[ -n $info ]] && break
                alive "$pid" || break
                sleep 0.02
        done
        wait "$pid" || true
        awk '{ $1 = $1; print }' <<<"$info" # single spaces
}
# refused WHAT RC ARGS…: berth run ARGS… fails with RC and one line of its
# own on stderr (nothing_left checks what it left).
refused() {
        local what=$1 want=$2 rc=0 out
        shift 2
        out=$("$BERTH" run -q "$@" </dev/null 2>&1 >/dev/null) || rc=$?
        check "$what: exit $want (got $rc)" test "$rc" = "$want"
        check "$what: one line, berth's ($out)" test "$(wc -l <<<"$out"):${out:0:7}" = "1:berth: "
}
# erofs WHAT ARGS…: inside berth run ARGS…, a write to /etc fails with EROFS.
erofs() {
        local what=$1 out
        shift
        out=$(brun "$@" -- sh -c 'touch /etc/berth-ro-probe 2>&1 && echo WRITTEN' 2>&1 || true)
        check "$what: a write to /etc fails, read-only file system ($out)" \
                eval '[[ $out == *"Read-only file system"* && $out != *WRITTEN* ]]'
}

# --- The fixtures, as the real systemd-dissect sees them -------------------------------
# dissected IMAGE: "DESIGNATOR:FSTYPE:LABEL" of each partition systemd-dissect would mount.
dissected() {
        systemd-dissect --json=short "$1" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["mounts"]:
    print("%s:%s:%s" % (m["designator"], m["fstype"], m["partition_label"]))'
}
check "systemd-dissect: the repart image has one root partition, ext4" \
        test "$(dissected "$REPART")" = "root:ext4:root-x86-64"
check "systemd-dissect: the sfdisk image has one root partition, ext4" \
        test "$(dissected "$SFDISK")" = "root:ext4:root-x86-64"
check "systemd-dissect: the split image has a root and a usr partition" \
        test "$(dissected "$SPLIT" | tr '\n' ' ')" = "root:ext4:root-x86-64 usr:ext4:usr-x86-64 "
check "systemd-dissect: the bare filesystem is a root" test "$(dissected "$FS")" = "root:ext4:None"
check "the images' files are owned by 0 on disk" \
        test "$(owner_on_disk "$REPART" 1 /etc/passwd) $(owner_on_disk "$SFDISK" 1 /etc/passwd) $(owner_on_disk "$FS" 0 /etc/passwd)" = "0:0 0:0 0:0"
nothing_left "systemd-dissect" "$REPART" "$SFDISK" "$SPLIT" "$FS"

# --- The shared images are never written: runs that write are -x, --read-only or volatile
sha_repart=$(sha "$REPART")
sha_sfdisk=$(sha "$SFDISK")

for img in "$REPART" "$SFDISK"; do
        name=$(basename "$img" .raw)
        out=$(brun -x -i "$img" -- sh -c '. /etc/os-release; echo "$ID $VERSION_ID"; stat -c %U:%G /etc/passwd; hostname; stat -fc %T /' 2>&1 || true)
        check "run -x -i $name: Debian 12, files root's, the machine named $name, an overlay root (${out//$'\n'/ })" \
                test "$out" = "debian 12"$'\n'"root:root"$'\n'"$name"$'\n'"overlayfs"
        nothing_left "run -x -i $name" "$img"
done
out=$(brun --read-only -i "$SPLIT" -- sh -c 'mountpoint -q /usr && echo usr-mounted; test -x /usr/bin/sh && echo has-sh' 2>&1 || true)
check "run -i of an image with /usr apart: /usr is its usr partition (${out//$'\n'/ })" \
        test "$out" = "usr-mounted"$'\n'"has-sh"
out=$(brun -x -i "$SPLIT" -- sh -c 'echo x >/usr/eph-written && cat /usr/eph-written && test -e /usr/lib/os-release && echo has-usr' 2>&1 || true)
check "… and with -x, under the overlay too, writable (${out//$'\n'/ })" test "$out" = "x"$'\n'"has-usr"
nothing_left "run -i (usr apart)" "$SPLIT"
out=$(brun -x -i "$FS" -M bare$tag -- sh -c '. /etc/os-release; echo "$ID $VERSION_ID"' 2>&1 || true)
check "run -x -i of a bare ext4 filesystem, no partition table ($out)" test "$out" = "debian 12"
nothing_left "run -i (bare filesystem)" "$FS"

# -x: writes go to a tmpfs upper layer; the image file is not modified.
out=$(brun -x -i "$REPART" -- sh -c 'echo x >/etc/eph-written && rm /etc/passwd && mkdir /root/eph-dir && cat /etc/eph-written && test ! -e /etc/passwd && echo ok' 2>&1 || true)
check "run -x: the machine sees its own writes (${out//$'\n'/ })" test "$out" = "x"$'\n'"ok"
check "… and the next -x run does not" brun -x -i "$REPART" -- sh -c 'test ! -e /etc/eph-written && test -e /etc/passwd'
nothing_left "run -x" "$REPART"

# The loop device of a partition: autoclear, at the partition's offset and
# size, read-only with --read-only.
read -r off size < <(part_geometry "$SFDISK" 1)
info=$(loop_while_running "$SFDISK" --read-only -i "$SFDISK" -M probe$tag)
check "run --read-only -i: the loop device is read-only, autoclear, at the partition's offset and size ($info)" \
        test "$info" = "1 1 $off $size"
nothing_left "run --read-only (probe)" "$SFDISK"

# --read-only: for an image and a directory.
erofs "run --read-only -i" --read-only -i "$REPART"
erofs "run --read-only -D" --read-only -D "$TREE"
check "run --read-only -i: /tmp is still writable" brun --read-only -i "$REPART" -- touch /tmp/x
nothing_left "run --read-only" "$REPART"

# --volatile, for an image and a directory.
for src in "-i $REPART" "-D $TREE"; do
        read -ra from <<<"$src"
        kind=${src%% *}
        out=$(brun -U --volatile=yes "${from[@]}" -- sh -c 'stat -fc %T / /usr; test -e /etc/passwd && echo has-passwd; touch /usr/x 2>&1; touch /vol-yes && echo wrote-root' 2>&1 || true)
        check "--volatile=yes $kind: the root is a tmpfs, with only the image's /usr, read-only (${out//$'\n'/ })" \
                eval '[[ $(head -n 2 <<<"$out" | tr "\n" " ") == "tmpfs "[a-z]* && $(sed -n 2p <<<"$out") != tmpfs &&
                        $out != *has-passwd* && $out == *"Read-only file system"* && $out == *wrote-root ]]'
        out=$(brun -U --volatile=state "${from[@]}" -- sh -c 'stat -fc %T / /var; touch /etc/x 2>&1; touch /var/vol-state && echo wrote-var' 2>&1 || true)
        check "--volatile=state $kind: the root is read-only, /var a tmpfs (${out//$'\n'/ })" \
                eval '[[ $(head -n 1 <<<"$out") != tmpfs && $(sed -n 2p <<<"$out") == tmpfs &&
                        $out == *"Read-only file system"* && $out == *wrote-var ]]'
        out=$(brun -U --volatile=overlay "${from[@]}" -- sh -c 'stat -fc %T /; echo x >/etc/vol-overlay && cat /etc/vol-overlay' 2>&1 || true)
        check "--volatile=overlay $kind: the root is an overlay, writable (${out//$'\n'/ })" test "$out" = "overlayfs"$'\n'"x"
        check "… and what was written is gone in the next run" brun -U --volatile=overlay "${from[@]}" -- test ! -e /etc/vol-overlay
        check "--volatile=no $kind -x: as without it" brun --volatile=no -x "${from[@]}" -- test -e /etc/passwd
done
refused "--volatile=bogus" 2 --volatile=bogus -i "$REPART" -- true
refused "-i with -D" 2 -i "$REPART" -D "$TREE" -- true
refused "-x with --volatile=overlay" 2 -x --volatile=overlay -i "$REPART" -- true
nothing_left "run --volatile" "$REPART"

# --overlay, --overlay-ro, with -U.
L1=$WORK/lower1 L2=$WORK/lower2 UP=$WORK/upper
mkdir -p "$L1" "$L2" "$UP"
echo 1 >"$L1/same"
echo lower1 >"$L1/from-lower1"
echo 2 >"$L2/same"
echo lower2 >"$L2/from-lower2"
echo upper >"$UP/from-upper"
echo upper >"$UP/same"
for src in "-i $REPART" "-D $TREE"; do
        read -ra from <<<"$src"
        kind=${src%% *}
        x=(-x)
        [[ $kind == -D ]] && x=()
        out=$(brun -U "${x[@]}" "${from[@]}" --overlay="$L1:$L2:$UP:/mnt" -- \
                sh -c 'cat /mnt/from-lower1 /mnt/from-lower2 /mnt/from-upper /mnt/same; echo new >/mnt/new-$0; stat -c %U /mnt/from-lower1 /mnt/new-$0' "${kind#-}" 2>&1 || true)
        check "--overlay=L1:L2:UPPER:/mnt -U $kind: both lowers and the upper, the upper on top, files root's (${out//$'\n'/ })" \
                test "$out" = "lower1"$'\n'"lower2"$'\n'"upper"$'\n'"upper"$'\n'"root"$'\n'"root"
        check "… the write landed in the upper directory on the host, owned by the host's root" \
                test "$(stat -c %u:%g "$UP/new-${kind#-}" 2>&1)" = 0:0
        check "… and not in a lower one" test ! -e "$L1/new-${kind#-}" -a ! -e "$L2/new-${kind#-}"
done
out=$(brun -U -x -i "$REPART" --overlay-ro="$L1:$L2:/mnt" -- sh -c 'cat /mnt/same /mnt/from-lower1; touch /mnt/x 2>&1' 2>&1 || true)
check "--overlay-ro=L1:L2:/mnt: the rightmost lower on top, read-only (${out//$'\n'/ })" \
        eval '[[ $(head -n 2 <<<"$out" | tr "\n" " ") == "2 lower1 " && $out == *"Read-only file system"* ]]'
out=$(brun -U -x -i "$REPART" --overlay-ro="+/etc:$L1:/mnt" -- sh -c 'test -e /mnt/os-release && cat /mnt/from-lower1 && stat -c %U /mnt/passwd /mnt/from-lower1' 2>&1 || true)
check "--overlay-ro=+/etc:L1:/mnt: + is the machine's root: its /etc below L1, files root's (${out//$'\n'/ })" \
        test "$out" = "lower1"$'\n'"root"$'\n'"root"
scratch() {
        find /var/tmp -mindepth 1 -maxdepth 1 ! -name 'berth-test-*' ! -name 'berth-bench-*' | sort
}
scratch_before=$(scratch)
out=$(brun -U -x -i "$REPART" --overlay="$L1::/mnt" -- sh -c 'echo t >/mnt/in-temp && cat /mnt/in-temp /mnt/from-lower1' 2>&1 || true)
check "--overlay=L1::/mnt: an empty upper is a temporary directory, writable (${out//$'\n'/ })" test "$out" = "t"$'\n'"lower1"
check "… nothing reached the lower directory" test ! -e "$L1/in-temp"
check "… and the temporary directory is gone ($(comm -13 <(echo "$scratch_before") <(scratch) | tr '\n' ' '))" \
        test -z "$(comm -13 <(echo "$scratch_before") <(scratch))"
mkdir "$WORK/ud"
out=$(brun -U -x -i "$REPART" --overlay="$L1:$WORK/ud" -- sh -c 'cat "$0/from-lower1" && echo two >"$0/two-paths"' "$WORK/ud" 2>&1 || true)
check "--overlay=L1:DIR: DIR is the upper and the destination ($out)" test "$out" = lower1
check "… the write landed in DIR on the host, root's" test "$(stat -c %u:%g "$WORK/ud/two-paths" 2>&1)" = 0:0
refused "--overlay with one path" 2 -x -i "$REPART" --overlay="$L1" -- true
check "no overlayfs work directory is left beside an upper one ($(find "$WORK" -maxdepth 1 -name '.#*' | tr '\n' ' '))" \
        test -z "$(find "$WORK" -maxdepth 1 -name '.#*')"
nothing_left "run --overlay" "$REPART"

check "nothing any run wrote reached the repart image (sha256)" test "$(sha "$REPART")" = "$sha_repart"
check "… nor the tree" test -z "$(ls -d "$TREE"/etc/{berth-ro-probe,x,vol-overlay} "$TREE"/{vol-yes,var/vol-state,mnt/new-D} 2>/dev/null)"

# --- Which partition: a GPT of three, the tree in the second -----------------------------
# Each a filesystem with /marker, its label; the others are tiny (no shell:
# a run on them fails, so a wrong pick can't pass).
tiny() {
        mkdir -p "$WORK/tiny-$1"
        echo "$1" >"$WORK/tiny-$1/marker"
        truncate -s 8M "$WORK/tiny-$1.ext4"
        mkfs.ext4 -q -F -E root_owner=0:0 -d "$WORK/tiny-$1" "$WORK/tiny-$1.ext4"
}
tiny a
tiny b
PICK=$WORK/pick.raw
fs_size=$(stat -c %s "$FS")
P1=2048 P2=$((2048 + 16384)) P3=$((2048 + 16384 + fs_size / 512))
truncate -s $(((P3 + 16384 + 2048) * 512)) "$PICK"
# layout SPEC1 SPEC2 SPEC3: writes PICK's partition table anew, the same
# partitions, each SPEC "TYPE LABEL [ATTRS]".
layout() {
        local t1 l1 a1 t2 l2 a2 t3 l3 a3
        read -r t1 l1 a1 <<<"$1"
        read -r t2 l2 a2 <<<"$2"
        read -r t3 l3 a3 <<<"$3"
        # (sfdisk tells of the filesystems it finds in the partitions: not kept)
        if ! sfdisk -q --no-reread --no-tell-kernel --wipe=never --wipe-partitions=never "$PICK" >/dev/null 2>"$WORK/sfdisk.err" <<EOF
label: gpt
first-lba: 2048
start=$P1, size=16384, type=$t1, name="$l1"${a1:+, attrs="$a1"}
start=$P2, size=$((fs_size / 512)), type=$t2, name="$l2"${a2:+, attrs="$a2"}
start=$P3, size=16384, type=$t3, name="$l3"${a3:+, attrs="$a3"}
EOF
        then
                fail "sfdisk: $(cat "$WORK/sfdisk.err")"
        fi
}
layout "$ROOT_TYPE debian_1.9" "$ROOT_TYPE debian_1.10" "$ROOT_TYPE debian_1.2"
dd if="$WORK/tiny-a.ext4" of="$PICK" bs=1M oflag=seek_bytes seek=$((P1 * 512)) conv=notrunc,sparse status=none
dd if="$FS" of="$PICK" bs=1M oflag=seek_bytes seek=$((P2 * 512)) conv=notrunc,sparse status=none
dd if="$WORK/tiny-b.ext4" of="$PICK" bs=1M oflag=seek_bytes seek=$((P3 * 512)) conv=notrunc,sparse status=none
echo tree >"$WORK/marker"
debugfs -w -R "write $WORK/marker marker" "$PICK?offset=$((P2 * 512))" >/dev/null 2>&1
check "(the tree's partition has /marker)" test "$(on_disk "$PICK" 2 "cat /marker")" = tree

out=$(brun -i "$PICK" -- sh -c 'cat /marker; hostname' 2>&1 || true)
check "three roots debian_1.9, debian_1.10, debian_1.2: the newest (strverscmp) is picked; named pick (${out//$'\n'/ })" \
        test "$out" = "tree"$'\n'"pick"
nothing_left "run -i, three roots" "$PICK"

layout "$ROOT_TYPE debian_9 GUID:63" "$ROOT_TYPE debian_1.10" "$ROOT_TYPE debian_8 GUID:63"
out=$(brun -i "$PICK" -- cat /marker 2>&1 || true)
check "roots marked no-auto (GPT attribute 63) are skipped, newer or not ($out)" test "$out" = tree

layout "$HOME_TYPE home" "$LINUX_TYPE data" "$HOME_TYPE home2"
out=$(brun -i "$PICK" -- cat /marker 2>&1 || true)
check "no root but one generic Linux partition: that one ($out)" test "$out" = tree
check "… written to, a file made inside is 0's on disk" brun -i "$PICK" -- sh -c 'echo w >/root/made-inside'
check "… (there: $(owner_on_disk "$PICK" 2 /root/made-inside))" test "$(owner_on_disk "$PICK" 2 /root/made-inside)" = 0:0
nothing_left "run -i, one generic Linux partition" "$PICK"

layout "$HOME_TYPE home" "$ROOT_TYPE debian_1.10 GUID:60" "$HOME_TYPE home2"
erofs "GPT read-only flag (attribute 60) on the root" -i "$PICK"
info=$(loop_while_running "$PICK" -i "$PICK")
check "… its loop device is read-only ($info)" test "${info%% *}" = 1

layout "$HOME_TYPE home" "$ROOT_TYPE debian_1.10" "$HOME_TYPE home2"
chattr +i "$PICK"
on_exit 'chattr -i "$PICK" 2>/dev/null'
erofs "an image file that can't be opened for writing (immutable)" -i "$PICK"
chattr -i "$PICK"
chmod a-w "$PICK"
erofs "an image file without write permission (mode 0444, as machined marks raw images read-only)" -i "$PICK"
chmod u+w "$PICK"
nothing_left "run -i, read-only" "$PICK"

# Refused, with one line, leaving nothing.
layout "$HOME_TYPE home" "$HOME_TYPE home1" "$HOME_TYPE home2"
refused "a GPT with no root partition" 1 -i "$PICK" -- true
nothing_left "no root" "$PICK"
layout "$LINUX_TYPE data1" "$LINUX_TYPE data2" "$HOME_TYPE home"
refused "no root and two generic Linux partitions" 1 -i "$PICK" -- true
nothing_left "two generic Linux partitions" "$PICK"
layout "$ROOT_TYPE debian_1.10" "$ROOT_TYPE debian_1.10" "$HOME_TYPE home"
refused "two roots with the same label" 1 -i "$PICK" -- true
nothing_left "two roots, one label" "$PICK"

# Corrupt GPT headers: the primary one only (the backup serves), then both.
layout "$HOME_TYPE home" "$ROOT_TYPE debian_1.10" "$HOME_TYPE home2"
pick_size=$(stat -c %s "$PICK")
dd if="$PICK" of="$WORK/primary.hdr" bs=512 skip=1 count=1 status=none
dd if="$PICK" of="$WORK/backup.hdr" bs=512 skip=$((pick_size / 512 - 1)) count=1 status=none
head -c 512 /dev/urandom | dd of="$PICK" bs=512 seek=1 conv=notrunc status=none
out=$(brun -i "$PICK" -- cat /marker 2>&1 || true)
check "a corrupt primary GPT header, the backup intact: the backup is read ($out)" test "$out" = tree
head -c 512 /dev/urandom | dd of="$PICK" bs=512 seek=$((pick_size / 512 - 1)) conv=notrunc status=none
refused "corrupt GPT headers, primary and backup" 1 -i "$PICK" -- true
nothing_left "corrupt GPT headers" "$PICK"
dd if="$WORK/primary.hdr" of="$PICK" bs=512 seek=1 conv=notrunc status=none
dd if="$WORK/backup.hdr" of="$PICK" bs=512 seek=$((pick_size / 512 - 1)) conv=notrunc status=none
check "(headers restored: it runs again)" brun -i "$PICK" -- test -e /marker

# One owner: an image a machine writes to is not booted by another, and
# ephemeral machines share theirs.
# holder NAME ARGS…: berth run ARGS… -- sleep in the background, once it
# runs; holder_end stops it (SIGTERM).
holder() {
        local name=$1 i
        shift
        "$BERTH" run -q -M "$name" "$@" -- sleep 120 </dev/null >/dev/null 2>&1 &
        HOLDER=$!
        HELPERS+=("$HOLDER")
        for ((i = 0; i < 100; i++)); do
                [[ -n $(machine_field "$name" leader) ]] && return 0
                sleep 0.05
        done
        fail "berth run -M $name $* did not start"
}
holder_end() {
        kill "$HOLDER"
        wait "$HOLDER" || true
}
holder hold1 -x -i "$PICK"
check "two ephemeral machines on one image at once" brun -x -i "$PICK" -M hold2 -- true
refused "a writable machine on an image an ephemeral one uses" 1 -i "$PICK" -M hold3 -- true
holder_end
holder hold4 -i "$PICK"
refused "an ephemeral machine on an image a writable one uses" 1 -x -i "$PICK" -M hold5 -- true
holder_end
nothing_left "image locks" "$PICK"

# A copy cut in the middle of its root partition.
dd if="$SFDISK" of="$WORK/truncated.raw" bs=1M count=64 conv=sparse status=none
refused "a truncated image (cut inside its root partition)" 1 -i "$WORK/truncated.raw" -- true
nothing_left "truncated" "$WORK/truncated.raw"
dd if="$FS" of="$WORK/truncated.ext4" bs=1M count=64 conv=sparse status=none
refused "a truncated bare filesystem" 1 -i "$WORK/truncated.ext4" -- true
nothing_left "truncated filesystem" "$WORK/truncated.ext4"
head -c 8M /dev/urandom >"$WORK/random.raw"
refused "a file of random data" 1 -i "$WORK/random.raw" -- true
nothing_left "random data" "$WORK/random.raw"
: >"$WORK/empty.raw"
refused "an empty file" 1 -i "$WORK/empty.raw" -- true
nothing_left "empty file" "$WORK/empty.raw"
refused "an image that does not exist" 1 -i "$WORK/missing.raw" -- true

# A block device: a loop device of the test's own on the sfdisk image
# (read-only, no partition scan: berth reads the GPT itself).
blk=$(losetup --find --show --read-only "$SFDISK")
on_exit 'losetup -d "$blk" 2>/dev/null'
out=$(brun -x -i "$blk" -M blk$tag -- sh -c '. /etc/os-release; echo "$ID $VERSION_ID"' 2>&1 || true)
check "run -x -i of a block device ($blk, the sfdisk image on it): Debian 12 ($out)" test "$out" = "debian 12"
nothing_left "block device" "$blk"
losetup -d "$blk"

# --- Booted: the repart image (a copy), the sfdisk one (a copy in the store,
# by -M alone), the sfdisk one itself with --volatile=overlay, and the split
# image with --volatile=yes (only its /usr: systemd.firstboot=off, or
# systemd-firstboot asks on the console for what an empty /etc lacks);
# together.
# start_image NAME [OPTIONS…]: berth boot -M NAME OPTIONS… in the background.
start_image() {
        local name=$1
        shift
        "$BERTH" boot -M "$name" --console=read-only "$@" \
                </dev/null >"$WORK/$name.console" 2>"$WORK/$name.stderr" &
        SUPERVISOR[$name]=$!
        STARTED+=($!)
}
cp --reflink=auto --sparse=always "$REPART" "$WORK/rp.raw"
cp --reflink=auto --sparse=always "$SFDISK" "$STORE/$SF.raw"
"$BERTH" read-only "$SF"
erofs "-M $SF, marked read-only in the store (berth read-only)" -M "$SF"
"$BERTH" read-only "$SF" no
start_image rp -i "$WORK/rp.raw"
start_image "$SF"
start_image vol -i "$SFDISK" --volatile=overlay
start_image voly -i "$SPLIT" --volatile=yes -- systemd.firstboot=off
wait_running rp
wait_running "$SF"
wait_running vol
wait_running voly

check "while they run, the host's mount table is as it was" test "$(mount_points)" = "$MOUNTS_BEFORE"
check "rp (repart image): the root is the image's ext4" test "$(in_machine rp stat -fc %T /)" = ext2/ext3
in_machine rp sh -c 'echo inside >/root/made-inside'
check "$SF (-M $SF, $STORE/$SF.raw): the root is the image's ext4" test "$(in_machine "$SF" stat -fc %T /)" = ext2/ext3
check "vol (--volatile=overlay): the root is an overlay" test "$(in_machine vol stat -fc %T /)" = overlayfs
in_machine vol sh -c 'echo inside >/etc/vol-boot'
check "voly (--volatile=yes): the root is a tmpfs" test "$(in_machine voly stat -fc %T /)" = tmpfs
check "voly: berth shell enters it" "$BERTH" shell voly /bin/true
check "voly: /usr is the image's usr partition, read-only" \
        eval '[[ $(in_machine voly findmnt -no FSTYPE,OPTIONS /usr) == ext4*ro,* ]]'
check "rp: listed with the image's OS ($(machine_field rp os) $(machine_field rp version))" \
        test "$(machine_field rp os) $(machine_field rp version)" = "debian 12"
for m in rp "$SF" vol voly; do
        "$BERTH" poweroff "$m"
done
for m in rp "$SF" vol voly; do
        wait_supervisor "$m"
        check "$m: exit status 0 after poweroff (got $RC)" test "$RC" = 0
        check "$m: the console showed the shutdown" grep -q "Powering off" "$WORK/$m.console"
done
check "rp: a file the machine's root made is 0's on disk" test "$(owner_on_disk "$WORK/rp.raw" 1 /root/made-inside)" = 0:0
check "rp: the image's empty /etc/machine-id was not written" \
        test "$(on_disk "$WORK/rp.raw" 1 "stat /etc/machine-id" | awk '$7 == "Size:" { print $8 }')" = 0
check "vol: nothing reached the sfdisk image (sha256)" test "$(sha "$SFDISK")" = "$sha_sfdisk"
nothing_left "boots" "$WORK/rp.raw" "$STORE/$SF.raw" "$SFDISK" "$SPLIT"

# --- A SIGKILLed supervisor leaves no loop device ------------------------------------------
mkdir "$WORK/upper-victim"
start_image victim -x -i "$REPART" --overlay="$L1:$WORK/upper-victim:/mnt"
wait_state victim running
leader=$(leader_of victim)
check "(victim: the image is on a loop device while it runs)" test -n "$(loops_on "$REPART")"
check "(victim: its --overlay has a work directory beside the upper one)" test -n "$(find "$WORK" -maxdepth 1 -name '.#upper-victim*')"
kill -KILL "${SUPERVISOR[victim]}"
wait "${SUPERVISOR[victim]}" || true
wait_dead "$leader"
check "the machine's init died with its supervisor" not kill -0 "$leader" 2>/dev/null
"$BERTH" list >/dev/null
nothing_left "SIGKILLed supervisor" "$REPART"
check "… nor its record" test ! -e /run/berth/machines/victim
check "… nor the work directory of its --overlay ($(find "$WORK" -maxdepth 1 -name '.#*' | tr '\n' ' '))" \
        test -z "$(find "$WORK" -maxdepth 1 -name '.#*')"

# Last, as it is the one berth's manual still refuses: an upper directory
# in the machine's root (+UPPER), as systemd-nspawn takes it.
out=$(brun -U -i "$WORK/rp.raw" --overlay="$L1:+/srv:/mnt" -- sh -c 'cat /mnt/from-lower1 && echo plus >/mnt/plus-upper' 2>&1 || true)
check "--overlay=L1:+/srv:/mnt: the upper directory in the machine's root ($out)" test "$out" = lower1
check "… the write landed in the image's /srv" test "$(on_disk "$WORK/rp.raw" 1 "cat /srv/plus-upper")" = plus
nothing_left "+UPPER" "$WORK/rp.raw"
