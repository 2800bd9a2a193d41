#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for eval
# import-tar and export-tar: a tarball made by GNU tar becomes an image
# that keeps owners, modes (setuid too), mtimes, xattrs, ACLs, file
# capabilities, hard links, device nodes, FIFOs and holes, with an empty
# machine-id; export-tar writes it back as a pax tarball (compressed as
# its suffix or --format says, entries named "./…", no temporary left
# beside it) that GNU tar and import-tar read back unchanged, through a
# file or a pipe; the real test tree, imported, boots, and is exported
# while an ephemeral machine runs it. Hostile tarballs (absolute and ".."
# names, files through symlinks the archive made, hard links out of it,
# names over the limits, truncated or garbage input, a gzip bomb bigger
# than the store's free space) fail with one line and leave nothing: no
# image, no temporary, nothing outside. Bad input gets one line.
. "$(dirname "$0")/lib.sh"

command -v setcap >/dev/null || fail "setcap is missing (libcap2-bin)"
command -v setfacl >/dev/null || fail "setfacl is missing (acl)"
command -v zstd >/dev/null || fail "zstd is missing"

STORE=/var/lib/machines
tag=$$
A=ta$tag B=tb$tag R=tr$tag P=tp$tag Z=tz$tag D=td$tag N=tn$tag
IMAGES=("$A" "$B" "$R" "$P" "$Z" "$D" "$N")
FORMATS=(zst gz xz bz2 tar)
for f in "${FORMATS[@]}"; do
        IMAGES+=("t$f$tag")
done
OUTSIDE=$WORK/outside$tag # what symlinks in hostile tarballs point at: stays empty
VICTIM=$WORK/victim$tag   # holds files that hostile tarballs aim at: they stay as they are

tar_teardown() {
        local i
        # A machine of $D still running: the test failed while it ran.
        if [[ -n ${SUPERVISOR[$D]:-} ]] && alive "${SUPERVISOR[$D]}"; then
                "$BERTH" terminate "$D" 2>/dev/null || true
                wait "${SUPERVISOR[$D]}" || true
        fi
        for i in "${IMAGES[@]}"; do
                chattr -i "$STORE/$i" 2>/dev/null || true
                rm -rf "${STORE:?}/$i" "$STORE/$i".nspawn "$STORE/$i".berth "$STORE/.#$i".*
        done
        # Only there if an escape was not refused (and then the test failed).
        rm -rf /escape*"$tag" /abs-escape*"$tag" /var/escape*"$tag" /var/lib/escape*"$tag" \
                "$STORE"/escape*"$tag"
}
on_exit tar_teardown

# same_tree X Y: list_tree of both is the same; else shows the difference.
same_tree() {
        diff -u <(list_tree "$1") <(list_tree "$2") >&2
}
# same_tree_but_machine_id X Y: the same, but for etc/machine-id.
same_tree_but_machine_id() {
        diff -u <(list_tree "$1" | grep -v '^etc/machine-id ') <(list_tree "$2" | grep -v '^etc/machine-id ') >&2
}

listed() { [[ -n $(image_json "$1" name) ]]; }

# magic FILE OFFSET LENGTH: those bytes of FILE, in hex.
magic() {
        od -An -tx1 -j"$2" -N"$3" "$1" | tr -d ' \n'
}

# --- A small tree with everything a copy must keep -------------------------------
S=$WORK/src
make_rich_tree "$S" "$tag"
touch -d 2002-03-04 "$S/srv/owned"
gnu_tar() { # gnu_tar DIR ARGS…: GNU tar keeping all a tree has, of DIR
        local top=$1
        shift
        tar --xattrs --xattrs-include='*' --acls --numeric-owner --sparse --warning=no-unknown-keyword -C "$top" "$@"
}
gnu_tar "$S" -cf "$WORK/src.tar" .
mkdir "$WORK/out"

# --- import-tar: an image that keeps everything -----------------------------------
check "import-tar src.tar $A: exit 0" "$BERTH" import-tar "$WORK/src.tar" "$A"
check "… makes $STORE/$A" test -d "$STORE/$A"
check "… a copy of everything but the machine-id" same_tree_but_machine_id "$S" "$STORE/$A"
check "… whose machine-id is empty" test -f "$STORE/$A/etc/machine-id" -a ! -s "$STORE/$A/etc/machine-id"
check "… su keeps its setuid bit and owner" test "$(stat -c %a:%u:%g "$STORE/$A/usr/bin/su")" = 4755:0:0
check "… ping keeps its file capability" grep -q cap_net_raw <<<"$(getcap "$STORE/$A/usr/bin/ping")"
check "… the ACL is kept" grep -qx "user:4321:r--" <<<"$(getfacl -cp "$STORE/$A/srv/owned" 2>/dev/null)"
check "… the hole stays a hole" test "$(stat -c %b "$STORE/$A/srv/sparse")" -lt 1024
check "… the hard link stays one" \
        test "$(stat -c %i "$STORE/$A/srv/owned")" = "$(stat -c %i "$STORE/$A/srv/hardlink")"
check "… the mtimes are kept (a file, a symlink, a read-only dir)" \
        test "$(stat -c %Y "$STORE/$A/srv/owned" "$STORE/$A/srv/abs-link" "$STORE/$A/var/empty")" = \
        "$(stat -c %Y "$S/srv/owned" "$S/srv/abs-link" "$S/var/empty")"
check "… images --json: a writable directory" \
        test "$(image_json "$A" type):$(image_json "$A" ro)" = directory:False
check "… and no temporary is left beside it" test -z "$(find "$STORE" -maxdepth 1 -name ".#*$tag*")"

# GNU tar writes the users and groups of an ACL by name (and by number in
# the system.posix_acl_* xattrs beside): they stay the same numbers.
mkdir -p "$WORK/named/dir"
echo acl >"$WORK/named/file"
setfacl -m u:7:r,g:4:r "$WORK/named/file"
setfacl -m g:4:rx -d -m g:4:rx "$WORK/named/dir"
gnu_tar "$WORK/named" -cf "$WORK/named.tar" .
check "import-tar of ACLs with users and groups by name ($(getent passwd 7 | cut -d: -f1), $(getent group 4 | cut -d: -f1)): exit 0" \
        "$BERTH" import-tar "$WORK/named.tar" "$N"
check "… the file's ACL is kept ($(getfacl -cpn "$STORE/$N/file" 2>&1 | tr '\n' ' '))" \
        test "$(getfacl -cpn "$STORE/$N/file")" = "$(getfacl -cpn "$WORK/named/file")"
check "… the directory's access and default ACLs are kept ($(getfacl -cpn "$STORE/$N/dir" 2>&1 | tr '\n' ' '))" \
        test "$(getfacl -cpn "$STORE/$N/dir")" = "$(getfacl -cpn "$WORK/named/dir")"

check "import-tar src.tar $R --read-only: exit 0" "$BERTH" import-tar "$WORK/src.tar" "$R" --read-only
check "… images --json: ro true" test "$(image_json "$R" ro)" = True

# --- export-tar: compressed as the suffix says, read back the same ----------------
declare -A MAGIC=([zst]=28b52ffd [gz]=1f8b [xz]=fd377a585a00 [bz2]=425a68)
for f in "${FORMATS[@]}"; do
        out=$WORK/out/x.tar
        [[ $f == tar ]] || out+=.$f
        check "export-tar $A $(basename "$out"): exit 0" "$BERTH" export-tar "$A" "$out"
        if [[ $f == tar ]]; then
                check "… uncompressed, a POSIX (pax) tar: 'ustar\\0' '00' at 257" \
                        test "$(magic "$out" 257 8)" = 7573746172003030
        else
                check "… $f-compressed (magic ${MAGIC[$f]})" \
                        test "$(magic "$out" 0 $((${#MAGIC[$f]} / 2)))" = "${MAGIC[$f]}"
        fi
        check "import-tar $(basename "$out") t$f$tag: exit 0" "$BERTH" import-tar "$out" "t$f$tag"
        check "… the same tree as $A" same_tree "$STORE/$A" "$STORE/t$f$tag"
done
X=$WORK/out/x.tar
check "the tarball's entries are all named ./…" test -z "$(tar --warning=no-unknown-keyword -tf "$X" | grep -Ev '^\.(/|$)')"
check "… numeric owners: srv/owned is 1234/5678" \
        grep -Eq '^\S+ 1234/5678 .* \./srv/owned( |$)' <<<"$(tar --warning=no-unknown-keyword --numeric-owner -tvf "$X")"
check "… the 8 MiB file with a hole is not written out as zeros ($(stat -c %s "$X") bytes)" \
        test "$(stat -c %s "$X")" -lt $((4 * 1024 * 1024))
mkdir "$WORK/gnu"
gnu_tar "$WORK/gnu" -xpf "$X"
check "GNU tar unpacks the export into the same tree as $A" same_tree "$STORE/$A" "$WORK/gnu"
check "no temporary is left beside the exported files" \
        test "$(find "$WORK/out" -mindepth 1 -printf '%P\n' | sort | tr '\n' ' ')" = "x.tar x.tar.bz2 x.tar.gz x.tar.xz x.tar.zst "

# Through pipes: "-" is uncompressed unless --format says otherwise, and
# import-tar finds the compression of what it reads from a pipe.
check "export-tar $A - | cat: exit 0" eval '"$BERTH" export-tar "$A" - | cat >"$WORK/stdout.tar"'
check "… an uncompressed pax tarball" test "$(magic "$WORK/stdout.tar" 257 8)" = 7573746172003030
check "export-tar $A - --format=zstd | cat: exit 0" \
        eval '"$BERTH" export-tar "$A" - --format=zstd | cat >"$WORK/stdout.tar.zst"'
check "… zstd" test "$(magic "$WORK/stdout.tar.zst" 0 4)" = 28b52ffd
rm -f "$WORK/stdout.tar" "$WORK/stdout.tar.zst"
check "export-tar $A - | import-tar - $P: exit 0 both" \
        eval '"$BERTH" export-tar "$A" - | "$BERTH" import-tar - "$P"'
check "… the same tree as $A" same_tree "$STORE/$A" "$STORE/$P"
check "export-tar $A - --format=xz | import-tar - $Z: exit 0 both" \
        eval '"$BERTH" export-tar "$A" - --format=xz | "$BERTH" import-tar - "$Z"'
check "… the same tree as $A" same_tree "$STORE/$A" "$STORE/$Z"
check "gzip of GNU tar's tarball | import-tar - $B: exit 0 both" \
        eval 'gzip -c "$WORK/src.tar" | "$BERTH" import-tar - "$B"'
check "… the same tree as $A" same_tree "$STORE/$A" "$STORE/$B"
check "no temporary is left in the store" test -z "$(find "$STORE" -maxdepth 1 -name ".#*$tag*")"

# --- The real test tree: imported, it boots -----------------------------------------
gnu_tar "$TREE" -cf - . | gzip -1 >"$WORK/tree.tar.gz"
check "import-tar of the test tree as $D (gzip): exit 0" "$BERTH" import-tar "$WORK/tree.tar.gz" "$D"
check "… the same tree" same_tree_but_machine_id "$TREE" "$STORE/$D"
rc=0
"$BERTH" run -q -x -M "$D" --register=no -- /usr/bin/true </dev/null || rc=$?
check "berth run -x -M $D -- /usr/bin/true: exit 0 (got $rc)" test "$rc" = 0

# An image an ephemeral machine runs (a shared lock) can be exported.
"$BERTH" run -q -x -M "$D" -- sleep 600 </dev/null >"$WORK/$D.console" 2>"$WORK/$D.stderr" &
SUPERVISOR[$D]=$!
STARTED+=($!)
wait_state "$D" running
check "export-tar $D while a machine runs it: exit 0" "$BERTH" export-tar "$D" "$WORK/out/d.tar.zst"
check "… the machine still runs" test "$(machine_field "$D" state)" = running
"$BERTH" terminate "$D"
wait_supervisor "$D"
check "… its tarball has the tree's /usr/bin/true" grep -qx ./usr/bin/true <<<"$(tar --warning=no-unknown-keyword -tf "$WORK/out/d.tar.zst")"
rm -f "$WORK/out/d.tar.zst" "$WORK/tree.tar.gz"
check "remove $D: exit 0" "$BERTH" remove "$D"

# --- Hostile tarballs --------------------------------------------------------------
mkdir "$OUTSIDE" "$VICTIM" "$WORK/hostile"
echo intact >"$VICTIM/file"
echo intact >"$VICTIM/machine-id"
cat >"$WORK/hostile.py" <<'EOF'
import gzip, io, os, sys, tarfile

out, tag, outside, victim, src_tar = sys.argv[1:6]

def entry(name, kind=tarfile.REGTYPE, data=b"", linkname="", dev=(0, 0)):
    # Set on the TarInfo: addfile() keeps a leading "/" or "..".
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = {tarfile.DIRTYPE: 0o755, tarfile.SYMTYPE: 0o777}.get(kind, 0o644)
    ti.mtime = 1000000000
    ti.linkname = linkname
    ti.devmajor, ti.devminor = dev
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    return ti, data

def f(name, data=b"pwned\n"): return entry(name, data=data)
def d(name): return entry(name, tarfile.DIRTYPE)
def sym(name, target): return entry(name, tarfile.SYMTYPE, linkname=target)
def hard(name, target): return entry(name, tarfile.LNKTYPE, linkname=target)

def write(case, *entries, fmt=tarfile.PAX_FORMAT, start=True):
    # Each starts well: the import has made something when it meets the bad entry.
    first = (d("etc"), f("etc/os-release", b"ID=hostile\n")) if start else ()
    with tarfile.open(os.path.join(out, case + ".tar"), "w", format=fmt) as t:
        for ti, data in first + entries:
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)

t = tag
write("dotdot", f("../escape1" + t))
write("abs", f("/abs-escape" + t), fmt=tarfile.GNU_FORMAT)
write("abs-pax", f("/abs-escape-" + "p" * 120 + t))
write("dotdot-mid", d("a"), f("a/../../escape2" + t))
write("dotdot-deep", f("../" * 12 + "escape4" + t))
write("symlink-dir", sym("link", outside), f("link/pwned" + t))
write("symlink-up", sym("up", ".."), f("up/escape3" + t))
write("hardlink-abs", hard("hl1" + t, "/etc/shadow"))
write("hardlink-rel", hard("hl2" + t, "../../etc/shadow"))
write("hardlink-deep", hard("hl3" + t, "../" * 12 + "etc/shadow"))
write("hardlink-via-symlink", sym("s", "/etc"), hard("hv" + t, "s/shadow"))
write("longname", f("n" * 4096), fmt=tarfile.GNU_FORMAT)
write("longpath", f(("p" * 63 + "/") * 63 + "q" * 64))
write("device", d("dev"), entry("dev/mydev", tarfile.CHRTYPE, dev=(1, 3)))
write("dup-file", f("dup", b"one\n"), f("dup", b"two\n"))
write("dup-dir-file", d("dd"), f("dd/x"), f("dd", b"file\n"))
write("dup-file-dir", f("fd", b"file\n"), d("fd"), f("fd/x"))
write("dup-symlink-dir", sym("sd", outside), d("sd"), f("sd/pwned" + t))
write("dup-symlink-file", sym("sv", victim + "/file"), f("sv", b"pwned\n"))
write("hardlink-to-symlink", sym("s", victim + "/file"), hard("hs", "s"))
# The machine-id that import-tar empties: not through a symlink.
write("machine-id-symlink", sym("etc/machine-id", victim + "/file"))
write("etc-symlink", sym("etc", victim), start=False)

src = open(src_tar, "rb").read()
m = next(m for m in tarfile.open(src_tar) if m.name.endswith("usr/bin/su"))
open(os.path.join(out, "truncated.tar"), "wb").write(src[:m.offset_data + m.size // 2])
z = gzip.compress(src)
open(os.path.join(out, "truncated.tar.gz"), "wb").write(z[:len(z) // 2])
open(os.path.join(out, "garbage.tar"), "wb").write(os.urandom(64 * 1024))
EOF
python3 "$WORK/hostile.py" "$WORK/hostile" "$tag" "$OUTSIDE" "$VICTIM" "$WORK/src.tar"

# What a case expects: 1 (refused), 0 (kept inside) or 0|1 (either, if
# nothing escapes); and what the one line must name ("-": nothing).
HOSTILE=(
        "dotdot 1 escape1$tag"
        "abs 1 abs-escape$tag"
        "abs-pax 1 abs-escape-ppp"
        "dotdot-mid 1 escape2$tag"
        "dotdot-deep 1 escape4$tag"
        "symlink-dir 1 pwned$tag"
        "symlink-up 1 escape3$tag"
        "hardlink-abs 1 hl1$tag"
        "hardlink-rel 1 hl2$tag"
        "hardlink-deep 1 hl3$tag"
        "hardlink-via-symlink 1 hv$tag"
        "longname 1 nnnnnnnnnnnnnnnn"
        "longpath 1 pppppppppppppppp"
        "truncated 1 -"
        "truncated.tar.gz 1 -"
        "garbage 1 -"
        "device 0 -"
        "dup-file 0|1 -"
        "dup-dir-file 0|1 -"
        "dup-file-dir 0|1 -"
        "dup-symlink-dir 0|1 -"
        "dup-symlink-file 0|1 -"
        "hardlink-to-symlink 0|1 -"
        "machine-id-symlink 0|1 -"
        "etc-symlink 0|1 -"
)
# escaped: what hostile entries made outside their image.
escaped() {
        find / /var /var/lib "$STORE" "$WORK" "$PWD" -maxdepth 1 \( -name "*escape*$tag" -o -name "pwned*$tag" \) 2>/dev/null || true
        find "$OUTSIDE" -mindepth 1 || true
        [[ $(find "$VICTIM" -mindepth 1 -printf '%P\n' | sort | tr '\n' ' ') == "file machine-id " &&
                $(cat "$VICTIM/file" "$VICTIM/machine-id") == $'intact\nintact' ]] || echo "$VICTIM changed"
}
shadow=$(stat -c '%i %h %z' /etc/shadow)
for h in "${HOSTILE[@]}"; do
        read -r c want names <<<"$h"
        tarball=$WORK/hostile/$c
        [[ $c == *.tar.gz ]] || tarball+=.tar
        name=h-${c//./-}-$tag
        IMAGES+=("$name")
        rc=0
        out=$("$BERTH" import-tar "$tarball" "$name" 2>&1 >/dev/null) || rc=$?
        check "hostile $c: exit $want (got $rc)" grep -Eqx "$want" <<<"$rc"
        if [[ $rc != 0 ]]; then
                check "… one line, berth's ($out)" test "$(wc -l <<<"$out"):${out:0:7}" = "1:berth: "
                [[ $names == - ]] ||
                        check "… naming the entry ($names)" grep -qF -- "$names" <<<"$out"
                check "… no image $name" not listed "$name"
                check "… nothing in the store of that name" test -z "$(ls -Ad "$STORE/$name" "$STORE/.#$name".* 2>/dev/null)"
        else
                check "… the image $name is there" listed "$name"
        fi
        check "… nothing escaped ($(escaped | tr '\n' ' '))" test -z "$(escaped)"
        check "… /etc/shadow untouched (not linked to)" test "$(stat -c '%i %h %z' /etc/shadow)" = "$shadow"
        case $c in
        device)
                check "… the device is a device inside the image only" \
                        test "$(stat -c %F:%t,%T "$STORE/$name/dev/mydev")" = "character special file:1,3"
                ;;
        dup-file)
                ((rc != 0)) || check "… the later or the former copy: $(cat "$STORE/$name/dup")" \
                        grep -Eqx 'one|two' "$STORE/$name/dup"
                ;;
        hardlink-to-symlink)
                ((rc != 0)) || check "… hs is not the victim's file" \
                        test "$(stat -c %d:%i "$STORE/$name/hs")" != "$(stat -c %d:%i "$VICTIM/file")"
                ;;
        esac
        if ((rc == 0)); then
                check "… remove $name: exit 0" "$BERTH" remove "$name"
        fi
done
check "no temporary is left in the store" test -z "$(find "$STORE" -maxdepth 1 -name ".#*$tag*")"

# A gzip bomb: 200 MiB of zeros, into a store (a tmpfs of a mount
# namespace of our own) of 32 MiB.
mkdir "$WORK/bomb"
truncate -s 200M "$WORK/bomb/zeros"
tar -C "$WORK/bomb" -cf - zeros | gzip -1 >"$WORK/bomb.tar.gz"
rm -f "$WORK/bomb/zeros"
cat >"$WORK/bomb.sh" <<'EOF'
set -u
berth=$1 tarball=$2 name=$3 store=/var/lib/machines
mount -t tmpfs -o size=32M,mode=0700 tmpfs "$store" || exit 99
rc=0
"$berth" import-tar "$tarball" "$name" >/dev/null 2>"$tarball.err" || rc=$?
echo "rc=$rc"
echo "left=$(ls -A "$store" | tr '\n' ' ')"
umount "$store"
EOF
IMAGES+=("hb$tag")
out=$(unshare -m --propagation private bash "$WORK/bomb.sh" "$BERTH" "$WORK/bomb.tar.gz" "hb$tag" 2>&1) || fail "bomb: $out"
err=$(cat "$WORK/bomb.tar.gz.err")
check "a gzip bomb bigger than the store: exit 1 ($(grep '^rc=' <<<"$out"))" grep -qx "rc=1" <<<"$out"
check "… one line, berth's ($err)" test "$(wc -l <<<"$err"):${err:0:7}" = "1:berth: "
check "… nothing left in the store ($(grep '^left=' <<<"$out"))" grep -qx "left=" <<<"$out"

# --- Bad input -------------------------------------------------------------------
bad 1 "import-tar of a file that does not exist" import-tar "$WORK/nosuch$tag.tar" "nf$tag"
bad 1 "import-tar onto an image that exists" import-tar "$WORK/src.tar" "$B"
bad 2 "import-tar to an invalid name" import-tar "$WORK/src.tar" "bad/name"
bad 1 "export-tar of an image that does not exist" export-tar "nx$tag" "$WORK/out/nx.tar"
bad 2 "export-tar with an unknown --format" export-tar "$A" "$WORK/out/nf.tar" --format=lzma
check "… none of them made an image" test -z "$(ls -Ad "$STORE/nf$tag" "$STORE/nx$tag" "$STORE"/.#n[fx]"$tag".* 2>/dev/null)"
check "… nor a tarball, nor a temporary" test -z "$(find "$WORK/out" -mindepth 1 ! -regex '.*/x\.tar\(\.\(zst\|gz\|xz\|bz2\)\)?')"
check "… and $B is as it was" same_tree "$STORE/$A" "$STORE/$B"

# --- remove ------------------------------------------------------------------------
names=("$A" "$B" "$R" "$P" "$Z" "$N")
for f in "${FORMATS[@]}"; do
        names+=("t$f$tag")
done
check "remove ${names[*]}: exit 0" "$BERTH" remove "${names[@]}"
check "… they are all gone" test -z "$(for i in "${names[@]}"; do ls -Ad "$STORE/$i" 2>/dev/null; done)"
check "… and no temporary is left" test -z "$(find "$STORE" -maxdepth 1 -name ".#*$tag*")"
