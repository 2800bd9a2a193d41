#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for the machine's shell
# Layered images (OCI): import-oci of an OCI layout and of a docker-save
# archive (tests/fixtures/oci-image.sh: the Debian test tree in three layers,
# the last one deleting and replacing files and directories with OCI
# whiteouts) stores each layer once, as .oci-sha256:DIFF_ID beside
# NAME.mstack, with overlayfs whiteouts; a second image with the same base
# costs only its own layer; the image boots to multi-user with systemd as
# PID 1 in a user namespace, deleted files absent and replaced ones new,
# the package layer's unit run; the machine's changes land in the image's
# top; commit makes them a layer (identity reset unless --keep-identity),
# also of a running machine (frozen meanwhile) and of a running ephemeral
# one (its tmpfs top); clone shares the layers; export-oci
# writes a layout that skopeo and umoci read (umoci unpack gives the
# image's tree), which imports and boots again with the change; app mode
# runs the config's Entrypoint+Cmd with its Env and WorkingDir; remove
# keeps the layers other images use and drops the others. Hostile or broken
# layouts (corrupt blob, missing blob, foreign architecture, a "../" name)
# fail with one line and leave nothing in the store.
. "$(dirname "$0")/lib.sh"

command -v umoci >/dev/null || fail "umoci is missing (tools/deps.sh installs it)"
command -v skopeo >/dev/null || fail "skopeo is missing (tools/deps.sh installs it)"

OCI=$("$BERTH_SRC/tests/fixtures/oci-image.sh")
# shellcheck source=/dev/null
. "$OCI/fixture.env"
read -ra DEB_IDS <<<"$DEBIAN_DIFF_IDS"
read -ra SIB_IDS <<<"$SIBLING_DIFF_IDS"

STORE=/var/lib/machines
tag=$$
D=tl-deb-$tag K=tl-dock-$tag S=tl-sib-$tag D2=tl-commit-$tag D3=tl-keep-$tag CL=tl-clone-$tag
R=tl-rt-$tag C=tl-eph-$tag A=tl-app-$tag BAD=tl-bad-$tag RN=tl-ren-$tag
IMAGES=("$D" "$K" "$S" "$D2" "$D3" "$CL" "$R" "$C" "$A" "$BAD" "$RN")
ESCAPES=("$STORE/berth-oci-escape" /var/lib/berth-oci-escape /berth-oci-escape)

# The store's entries this test may make or leave: layers, its images, their
# temporaries and locks, and the layers' temporaries (not other tests'
# ".#NAME…", nor the store's layer lock, which lib.sh's leak check covers).
store_names() {
        find "$STORE" -mindepth 1 -maxdepth 1 \( -name '.oci-sha256:*' -o -name 'tl-*' -o -name '.#tl-*' \
                -o -name '.#.oci*' \) \
                -printf '%f\n' | sort
}
store_names >"$WORK/store.start"

# new_since BEFORE: the entries of ours (store_names) that BEFORE had not,
# but for layers that images of others link to (other tests import too, at
# the same time), space-separated.
new_since() {
        local l n others
        others=$(for l in "$STORE"/*.mstack/layer@* "$STORE"/.#*/layer@*; do
                n=${l#"$STORE"/}
                n=${n%%/*}
                if [[ -L $l && $n != tl-*-"$tag".mstack && $n != .#tl-*-"$tag"* ]]; then
                        basename "$(readlink "$l")"
                fi
        done | sort -u)
        comm -13 "$1" <(store_names) | comm -23 - <(echo "$others") | tr '\n' ' '
}

# linked_layers: the layers any image in the store links to.
linked_layers() {
        local l
        for l in "$STORE"/*.mstack/layer@*; do
                [[ -L $l ]] && basename "$(readlink "$l")"
        done | sort -u
}

layers_teardown() {
        local n l
        for n in "${!SUPERVISOR[@]}"; do
                if alive "${SUPERVISOR[$n]}"; then
                        "$BERTH" terminate "$n" 2>/dev/null || true
                        wait "${SUPERVISOR[$n]}" 2>/dev/null || true
                fi
        done
        for n in "${IMAGES[@]}"; do
                if [[ -e $STORE/$n.mstack ]]; then
                        "$BERTH" remove "$n" >/dev/null 2>&1 || rm -rf --one-file-system "${STORE:?}/$n.mstack"
                fi
        done
        # Layers this test made that no image links to (berth remove failed).
        for l in $(comm -13 "$WORK/store.start" <(store_names) | grep '^\.oci-sha256:' | comm -23 - <(linked_layers)); do
                chattr -R -i "$STORE/$l" 2>/dev/null || true
                rm -rf --one-file-system "${STORE:?}/$l"
        done
        rm -rf "${ESCAPES[@]}"
}
on_exit layers_teardown

# nothing_left WHAT BEFORE: the store has no entry of ours that BEFORE (a
# store_names listing) had not, and nothing escaped.
nothing_left() {
        local new e
        new=$(new_since "$2")
        check "$1: nothing new in $STORE (${new:-none})" test -z "$new"
        for e in "${ESCAPES[@]}"; do
                check "$1: no $e" test ! -e "$e"
        done
}

# layer_of NAME N: the directory layer@N of image NAME points at.
layer_of() {
        local t
        t=$(readlink "$STORE/$1.mstack/layer@$2") || return 1
        echo "$STORE/${t#../}"
}
# links_of NAME: the diff_ids (sha256:HEX) of NAME's layers, lowest first, space-separated.
links_of() {
        local l t ids=()
        for l in $(find "$STORE/$1.mstack" -maxdepth 1 -name 'layer@*' -printf '%f\n' | sort -V); do
                t=$(readlink "$STORE/$1.mstack/$l")
                ids+=("sha256:${t#../.oci-sha256:}")
        done
        echo "${ids[*]}"
}
# status_json NAME EXPR: a Python expression of s, NAME's image-status --json.
status_json() {
        "$BERTH" image-status "$1" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
if isinstance(s, list):
    s = s[0]
print(eval(sys.argv[1]))' "$2"
}
is_whiteout() { [[ -c $1 && $(stat -c %t:%T "$1") == 0:0 ]]; }
is_opaque() { [[ $(getfattr --only-values -n trusted.overlay.opaque "$1" 2>/dev/null) == y ]]; }

# start_layered NAME [OPTIONS…]: berth boot -M NAME (the image NAME) in the background.
start_layered() {
        local name=$1
        shift
        "$BERTH" boot -M "$name" --console=read-only "$@" </dev/null >"$WORK/$name.console" 2>"$WORK/$name.stderr" &
        SUPERVISOR[$name]=$!
        STARTED+=($!)
}
stop_machine() {
        "$BERTH" poweroff "$1"
        wait_supervisor "$1"
        check "$1: exit 0 after poweroff (got $RC)" test "$RC" = 0
}
inside() {
        local name=$1
        shift
        "$BERTH" shell "$name" -- "$@" </dev/null
}

# --- Broken and hostile layouts first: nothing of theirs is in the store yet -----------
for b in bad-digest bad-missing bad-arch bad-escape; do
        store_names >"$WORK/store.before"
        bad 1 "import-oci of $b" import-oci "$OCI/$b" "$BAD"
        nothing_left "after import-oci of $b" "$WORK/store.before"
done
store_names >"$WORK/store.before"
bad 2 "import-oci without a name" import-oci "$OCI/debian"
bad 1 "import-oci of a missing path" import-oci "$WORK/none" "$BAD"
bad 1 "import-oci of a plain directory" import-oci "$WORK" "$BAD"
bad 1 "import-oci --ref= of a tag the layout has not" import-oci --ref=nosuchtag "$OCI/debian" "$BAD"
nothing_left "after bad usage" "$WORK/store.before"

# --- import-oci of the layout -------------------------------------------------------
store_names >"$WORK/store.before"
got=$("$BERTH" import-oci "$OCI/debian" "$D" 2>&1)
check "import-oci $OCI/debian $D: exit 0, nothing printed ($got)" test -z "$got"
check "$D.mstack has the layout's layers, lowest first" test "$(links_of "$D")" = "$DEBIAN_DIFF_IDS"
check "… as relative links to ../.oci-sha256:HEX" \
        test "$(readlink "$STORE/$D.mstack/layer@0")" = "../.oci-sha256:${DEB_IDS[0]#sha256:}"
check "… and the image's config as .oci/config.json" \
        python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["rootfs"]["diff_ids"] == sys.argv[2].split()' \
        "$STORE/$D.mstack/.oci/config.json" "$DEBIAN_DIFF_IDS"
L0=$(layer_of "$D" 0) L1=$(layer_of "$D" 1) L2=$(layer_of "$D" 2)
check "layer 1 is the tree, owned by 0 on disk" test "$(stat -c %u:%g "$L0/etc/passwd")" = 0:0
check "layer 2 holds the package" test -x "$L1/usr/bin/hello" -a ! -e "$L1/etc/passwd"
check "layer 3: .wh.motd became a whiteout etc/motd (char 0/0)" is_whiteout "$L2/etc/motd"
check "layer 3: .wh.hello became a whiteout usr/share/doc/hello" is_whiteout "$L2/usr/share/doc/hello"
check "layer 3: .wh..wh..opq made etc/berth-dir opaque" is_opaque "$L2/etc/berth-dir"
check "layer 3: etc/berth-dir holds only 'new'" test "$(ls -A "$L2/etc/berth-dir")" = new
check "layer 3: the replaced etc/issue" grep -q 'replaced by layer 3' "$L2/etc/issue"
check "no .wh. names left in any layer" test -z "$(find "$L0" "$L1" "$L2" -name '.wh.*' -print -quit)"
check "the lower layers keep what layer 3 deletes" test -f "$L0/etc/motd" -a -d "$L1/usr/share/doc/hello"
# The layers may be in the store already, for images of others.
want=$( (echo "$D.mstack" && for id in "${DEB_IDS[@]}"; do echo ".oci-sha256:${id#sha256:}"; done) |
        sort | comm -23 - "$WORK/store.before" | tr '\n' ' ')
new=$(new_since "$WORK/store.before")
check "new in the store: $D.mstack and its layers not there before ($new)" test "$new" = "$want"
check "berth images lists $D as mstack" test "$(image_json "$D" type)" = mstack
check "berth images --all lists its layers" test -n "$(image_json ".oci-sha256:${DEB_IDS[2]#sha256:}" name)"
"$BERTH" image-status "$D" >"$WORK/status.txt"
check "image-status shows Layers: and Top:" grep -q '^ *Top:' "$WORK/status.txt"
check "… each layer by its diff_id" test "$(grep -c -e "${DEB_IDS[0]}" -e "${DEB_IDS[1]}" -e "${DEB_IDS[2]}" "$WORK/status.txt")" = 3
check "image-status --json: type mstack, the layers' diff_ids" \
        test "$(status_json "$D" '(s["type"], " ".join(s["layers"]))')" = "('mstack', '$DEBIAN_DIFF_IDS')"
bad 1 "import-oci into a name that exists" import-oci "$OCI/debian" "$D"

# --- The docker-save archive: the same layers, stored once ---------------------------
store_names >"$WORK/store.before"
check "import-oci of the docker-save archive" "$BERTH" import-oci "$OCI/debian.tar" "$K"
check "$K links the same layers as $D" test "$(links_of "$K")" = "$DEBIAN_DIFF_IDS"
new=$(new_since "$WORK/store.before")
check "… and adds no layer ($new)" test "$new" = "$K.mstack "
check "image-status says the layers are shared" grep -q 'shared with 1 other image' <("$BERTH" image-status "$K")
check "image-status: each of $K's layers is shared with $D" \
        test "$("$BERTH" image-status "$K" | grep -c 'sha256:[0-9a-f]* ([^,]*, shared with 1 other image)')" = 3
check "image-status --json: the top's usage, a number" \
        test "$(status_json "$K" 'isinstance(s["top_usage"], int)')" = True

# --- A second image on the same base costs only its own layer ------------------------
store_names >"$WORK/store.before"
check "import-oci of the sibling" "$BERTH" import-oci "$OCI/sibling" "$S"
check "$S: base shared with $D, a layer of its own" test "$(links_of "$S")" = "$SIBLING_DIFF_IDS"
check "… the base is the same directory (inode)" test "$(stat -c %i "$(layer_of "$S" 0)")" = "$(stat -c %i "$L0")"
want=$(echo ".oci-sha256:${SIB_IDS[1]#sha256:}" | comm -23 - "$WORK/store.before" | tr '\n' ' ')
new=$(new_since "$WORK/store.before" | sed "s/$S.mstack //")
check "… at most its own layer is new in the store ($new)" test "$new" = "$want"
sib_bytes=$(du -sb "$STORE/.oci-sha256:${SIB_IDS[1]#sha256:}" | cut -f1)
base_bytes=$(du -sb "$L0" | cut -f1)
check "… of $sib_bytes bytes, against the base's $base_bytes" test "$sib_bytes" -lt 65536 -a "$base_bytes" -gt 100000000

# --- Boot: systemd as PID 1 on the layers, in a user namespace ----------------------
start_layered "$D"
wait_running "$D"
check "PID 1 is systemd" test "$(inside "$D" readlink /proc/1/exe)" = /usr/lib/systemd/systemd
check "the root is an overlay" test "$(inside "$D" findmnt -no FSTYPE /)" = overlay
check "in a user namespace of its own range" test "$(inside "$D" awk 'NR == 1 { print $2 }' /proc/self/uid_map)" != 0
check "files owned by root inside (idmapped layers)" test "$(inside "$D" stat -c %u:%g /etc/passwd /usr/bin/hello | sort -u)" = 0:0
check "the package layer's unit ran" grep -q 'from the package layer' <(inside "$D" cat /run/berth-layer)
check "a file deleted by layer 3 is absent" inside "$D" test ! -e /etc/motd
check "a directory deleted by layer 3 is absent" inside "$D" test ! -e /usr/share/doc/hello
check "a replaced file is new" grep -q 'replaced by layer 3' <(inside "$D" cat /etc/issue)
check "a replaced directory has only its new content" test "$(inside "$D" ls -A /etc/berth-dir)" = new
# A change, and identity files as a real machine has them (systemd-random-seed
# does not run in a container; there is no ssh server in the tree).
inside "$D" sh -c 'echo changed >/root/tl-change && rm /etc/issue.net && mkdir /srv/tl-dir &&
        mkdir -p /etc/ssh && echo key >/etc/ssh/ssh_host_ed25519_key && echo pub >/etc/ssh/ssh_host_ed25519_key.pub &&
        head -c 512 /dev/urandom >/var/lib/systemd/random-seed'
check "commit of the running $D (frozen meanwhile)" "$BERTH" commit "$D" "$BAD"
check "… $D still runs" inside "$D" test -e /root/tl-change
check "… the new layer has its change" grep -qx changed "$(layer_of "$BAD" 3)/root/tl-change"
check "remove $BAD" "$BERTH" remove "$BAD"
stop_machine "$D"
TOP=$STORE/$D.mstack/rw/data
check "the change is in the top, owned by 0 on disk" test "$(stat -c %u:%g "$TOP/root/tl-change")" = 0:0
check "the deletion is a whiteout in the top" is_whiteout "$TOP/etc/issue.net"
check "the layers are unchanged" test -f "$L0/etc/issue.net" -a ! -e "$L0/root/tl-change"
check "the top has the identity files" test -e "$TOP/var/lib/systemd/random-seed" -a -e "$TOP/etc/ssh/ssh_host_ed25519_key"

# --- commit ------------------------------------------------------------------------
store_names >"$WORK/store.before"
check "commit $D $D2" "$BERTH" commit "$D" "$D2"
read -ra ids2 <<<"$(links_of "$D2")"
check "$D2: $D's layers and one more" test "${#ids2[@]}:${ids2[*]:0:3}" = "4:$DEBIAN_DIFF_IDS"
N3=$(layer_of "$D2" 3)
check "… which holds the change" grep -qx changed "$N3/root/tl-change"
check "… and the deletion as an overlay whiteout" is_whiteout "$N3/etc/issue.net"
check "… no random seed in it (identity reset)" test ! -e "$N3/var/lib/systemd/random-seed"
check "… no SSH host keys in it" test -z "$(find "$N3/etc/ssh" -name 'ssh_host_*' 2>/dev/null)"
check "… no machine ID in it" test ! -s "$N3/etc/machine-id"
check "… no overlay xattrs but opaque ones" \
        test -z "$(getfattr -R -h -m '^trusted\.overlay\.' --absolute-names "$N3" 2>/dev/null | grep '^trusted' | grep -v '^trusted.overlay.opaque=')"
check "$D2's top is empty" test -z "$(ls -A "$STORE/$D2.mstack/rw/data" 2>/dev/null)"
check "$D's own top is still there" test -e "$TOP/root/tl-change"
check "commit $D $D3 --keep-identity" "$BERTH" commit "$D" "$D3" --keep-identity
check "… keeps the random seed and the SSH host keys" \
        test -e "$(layer_of "$D3" 3)/var/lib/systemd/random-seed" -a -e "$(layer_of "$D3" 3)/etc/ssh/ssh_host_ed25519_key"
bad 1 "commit into a name that exists" commit "$D" "$K"
bad 1 "commit of an image that does not exist" commit "tl-none-$tag" "$BAD"

# --- clone: the same layers, a copy of the top -------------------------------------
store_names >"$WORK/store.before"
check "clone $D $CL" "$BERTH" clone "$D" "$CL"
check "$CL links $D's layers" test "$(links_of "$CL")" = "$DEBIAN_DIFF_IDS"
check "… with a copy of the top" grep -qx changed "$STORE/$CL.mstack/rw/data/root/tl-change"
check "… and no new layer" test "$(new_since "$WORK/store.before")" = "$CL.mstack "
check "rename $CL $RN" "$BERTH" rename "$CL" "$RN"
check "… keeps the layers and the top" test "$(links_of "$RN")" = "$DEBIAN_DIFF_IDS" -a -e "$STORE/$RN.mstack/rw/data/root/tl-change"
check "read-only $RN" eval '"$BERTH" read-only "$RN" && test "$(image_json "$RN" ro)" = True'
check "read-only $RN no" eval '"$BERTH" read-only "$RN" no && test "$(image_json "$RN" ro)" = False'
find "$STORE/$RN.mstack/rw/data" -printf '%P %s %T@\n' | sort >"$WORK/top.before"
check "berth run -M $RN -x -- COMMAND sees the layers and the top" \
        test "$("$BERTH" run -q -M "$RN" -x -- sh -c 'cat /root/tl-change; test -e /etc/motd || echo no-motd' </dev/null)" = "changed
no-motd"
check "… and leaves the top as it was" \
        diff -u "$WORK/top.before" <(find "$STORE/$RN.mstack/rw/data" -printf '%P %s %T@\n' | sort)

# --- export-oci: skopeo and umoci read it, and umoci unpacks the image's tree ----------
check "export-oci $K" "$BERTH" export-oci "$K" "$WORK/ek"
check "skopeo inspect reads it: 3 layers, amd64" \
        test "$(skopeo inspect "oci:$WORK/ek:latest" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d["Layers"]), d["Architecture"])')" = "3 amd64"
umoci unpack --image "$WORK/ek:latest" "$WORK/ek-unpacked" >/dev/null 2>&1 || fail "umoci unpack of the export failed"
umoci unpack --image "$OCI/debian:debian" "$WORK/fixture-unpacked" >/dev/null 2>&1 || fail "umoci unpack of the fixture failed"
check "umoci unpack of the export gives the tree of the fixture's" \
        diff -u <(list_tree "$WORK/fixture-unpacked/rootfs") <(list_tree "$WORK/ek-unpacked/rootfs")
rm -rf --one-file-system "$WORK/ek-unpacked" "$WORK/fixture-unpacked" "$WORK/ek"
mkdir "$WORK/full" && touch "$WORK/full/x"
bad 1 "export-oci into a directory that is not empty" export-oci "$K" "$WORK/full"
bad 1 "export-oci of an image that does not exist" export-oci "tl-none-$tag" "$WORK/none"

# --- Round trip: the commit exported, imported again, booted ------------------------
check "export-oci $D2 --ref=rt" "$BERTH" export-oci "$D2" "$WORK/rt" --ref=rt
check "skopeo inspect: 4 layers" \
        test "$(skopeo inspect "oci:$WORK/rt:rt" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["Layers"]))')" = 4
check "import-oci of the export" "$BERTH" import-oci "$WORK/rt" "$R"
rm -rf --one-file-system "$WORK/rt"
start_layered "$R"
wait_running "$R"
check "the round trip keeps the change" test "$(inside "$R" cat /root/tl-change)" = changed
check "… and the deletion" inside "$R" test ! -e /etc/issue.net
check "… and layer 3's" inside "$R" test ! -e /etc/motd -a ! -e /usr/share/doc/hello
check "… and the package layer's unit" inside "$R" test -s /run/berth-layer
stop_machine "$R"

# --- Ephemeral: a tmpfs top; commit of the running machine --------------------------
start_layered "$S" -x
wait_running "$S"
check "$S -x: the sibling's layer is there" grep -q "sibling's own layer" <(inside "$S" cat /etc/sibling)
check "… and not layer 2 of $D" inside "$S" test ! -e /usr/bin/hello
inside "$S" sh -c 'echo ephemeral >/root/tl-eph'
check "commit of the running ephemeral $S" "$BERTH" commit "$S" "$C"
check "… the machine still runs" inside "$S" test -e /root/tl-eph
check "$C: the sibling's layers and the machine's changes" \
        test "$(links_of "$C" | cut -d' ' -f1-2)" = "$SIBLING_DIFF_IDS"
check "… the new layer has the file" grep -qx ephemeral "$(layer_of "$C" 2)/root/tl-eph"
stop_machine "$S"
check "$S's own top got nothing" test ! -e "$STORE/$S.mstack/rw/data/root/tl-eph"

# --- App mode: the config's Entrypoint, Cmd, Env, WorkingDir ------------------------
# A layer no image links, as an import killed before it made its image
# leaves one: the next change to the layers removes it.
orphan="$STORE/.oci-sha256:$(printf 'e%.0s' {1..64})"
mkdir "$orphan"
check "import-oci of the app image" "$BERTH" import-oci "$OCI/app" "$A"
check "… and the layer nobody linked is gone" test ! -e "$orphan"
got=$("$BERTH" run -M "$A" </dev/null 2>"$WORK/app.stderr") || { cat "$WORK/app.stderr" >&2; fail "berth run -M $A failed"; }
check "berth run -M $A runs Entrypoint+Cmd with Env and WorkingDir ($got)" test "$got" = "$APP_OUTPUT"

# --- remove: shared layers stay, the others go ---------------------------------------
for n in "$D" "$K" "$D2" "$D3" "$RN" "$R" "$C" "$A"; do
        check "remove $n" "$BERTH" remove "$n"
done
check "the base layer stays ($S links it)" test -d "$L0"
check "layer 2 of $D goes (no image links it)" test ! -e "$L1" -o -n "$(grep -x "${L1##*/}" "$WORK/store.start")"
start_layered "$S"
wait_running "$S"
check "$S still boots" grep -q "sibling's own layer" <(inside "$S" cat /etc/sibling)
stop_machine "$S"
check "remove $S" "$BERTH" remove "$S"
nothing_left "after removing every image" "$WORK/store.start"
