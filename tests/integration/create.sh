#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck disable=SC2016 # the $… in single quotes are for eval and the definitions
# berth create: the minimal Debian definition (machines/debian-bookworm.conf)
# builds, once, an image in the store that the real systemd-machined and
# machinectl see, whose machine-id is empty, that has no hostname and a
# locked root, and that boots to multi-user and powers off. A definition
# whose post-install step fails, and a build killed half-way (SIGKILL),
# leave nothing in the store: no image, no temporary after the next image
# verb, no lock. Bad input gets one line and exit status 2 (usage) or 1.
. "$(dirname "$0")/lib.sh"

command -v mmdebstrap >/dev/null || fail "mmdebstrap is missing (tools/deps.sh)"
command -v machinectl >/dev/null || fail "machinectl is missing (systemd-container)"

STORE=/var/lib/machines
tag=$$
A=cr$tag F=crf$tag K=crk$tag
create_teardown() {
        local i
        for i in "$A" "$F" "$K" "x$tag"; do
                rm -rf --one-file-system "${STORE:?}/$i" "$STORE/.#$i.berth~"*
        done
}
on_exit create_teardown
start_machined

# nothing_of NAME: no image NAME, no temporary of it, no lock of its name.
nothing_of() {
        ! grep -q "^$1 " <<<"$("$BERTH" images --all)" &&
                ! compgen -G "$STORE/.#$1*" >/dev/null &&
                [[ ! -e /run/systemd/nspawn/locks/name-$1 ]]
}

# --- The minimal definition, built once ------------------------------------------
rc=0
"$BERTH" create "$A" --from "$BERTH_SRC/machines/debian-bookworm.conf" >"$WORK/create.out" 2>"$WORK/create.err" || rc=$?
check "create $A --from debian-bookworm.conf: exit 0 (got $rc: $(tail -n 3 "$WORK/create.err"))" test "$rc" = 0
check "… silent when stderr is no terminal" test ! -s "$WORK/create.out" -a ! -s "$WORK/create.err"
check "… makes $STORE/$A, a tree with systemd as init" test -x "$STORE/$A/sbin/init" -a -x "$STORE/$A/lib/systemd/systemd"
check "… whose /etc/machine-id is there and empty" test -f "$STORE/$A/etc/machine-id" -a ! -s "$STORE/$A/etc/machine-id"
check "… that has no /etc/hostname" test ! -e "$STORE/$A/etc/hostname" -a ! -L "$STORE/$A/etc/hostname"
check "… whose root is locked (RootPassword=locked)" grep -q '^root:!\*:' "$STORE/$A/etc/shadow"
check "… with the host's apt sources (the host's release)" test -n "$(ls -A "$STORE/$A/etc/apt/sources.list.d")"
check "… and no temporary or lock left beside it" test -z "$(find "$STORE" /run/systemd/nspawn/locks -maxdepth 1 -name "*$A*" ! -path "$STORE/$A")"
check "berth images lists $A as a directory" grep -Eq "^$A +directory +no " <<<"$("$BERTH" images)"
mlist=$(machinectl list-images --no-legend --no-pager 2>&1 || true)
check "machinectl list-images shows $A ($(grep "$A" <<<"$mlist" || echo none))" grep -Eq "^$A +directory +no " <<<"$mlist"
bad 1 "create onto an image that exists" create "$A" --from "$BERTH_SRC/machines/debian-bookworm.conf"

# It boots to multi-user, named as the machine, and powers off.
start_machine "$A" -D "$STORE/$A"
wait_running "$A"
check "inside, the hostname is the machine's name" test "$(in_machine "$A" hostname)" = "$A"
check "… and systemd made a machine-id at the first boot" test -n "$(in_machine "$A" cat /etc/machine-id)"
"$BERTH" poweroff "$A"
wait_supervisor "$A"
check "$A powered off (exit $RC)" test "$RC" = 0

# --- A post-install step that fails ---------------------------------------------
# (Variant=custom with no packages: mmdebstrap gets as far as the hooks in
# seconds.)
cat >"$WORK/fails.conf" <<'EOF'
[Distribution]
Distribution=debian
Release=bookworm

[Content]
Variant=custom
PostInstall=touch "$1/first-step-ran"
PostInstall=echo "the step that fails" >&2; exit 3
PostInstall=touch "$1/never"
EOF
rc=0
out=$("$BERTH" create "$F" --from "$WORK/fails.conf" 2>&1) || rc=$?
check "create with a failing post-install step: exit 1 (got $rc)" test "$rc" = 1
check "… one line, berth's, naming the tool ($out)" \
        test "$(wc -l <<<"$out"):${out:0:7}:$(grep -c mmdebstrap <<<"$out")" = "1:berth: :1"
check "… leaves nothing of $F in the store" nothing_of "$F"
check "… machinectl sees no $F" not grep -q "^$F " <<<"$(machinectl list-images --no-legend --no-pager)"

# --- Killed half-way ---------------------------------------------------------------
sed -e 's/^PostInstall=.*//' -e "\$a PostInstall=touch \"\$1/started\"; sleep 3600; : cr-marker-$tag" \
        "$WORK/fails.conf" >"$WORK/slow.conf"
"$BERTH" create "$K" --from "$WORK/slow.conf" 2>"$WORK/slow.err" &
creator=$!
for ((i = 0; i < 600; i++)); do
        compgen -G "$STORE/.#$K.berth~*/started" >/dev/null && break
        sleep 0.1
done
check "(create, half-way, builds in a hidden temporary)" eval 'compgen -G "$STORE/.#$K.berth~*/started" >/dev/null'
kill -KILL "$creator"
wait "$creator" || true
for ((i = 0; i < 100; i++)); do
        pgrep -f "cr-marker-$tag|mmdebstrap.*$K" >/dev/null || break
        sleep 0.1
done
check "killed, nothing of its build runs on (mmdebstrap, its hooks)" not pgrep -f "cr-marker-$tag|mmdebstrap.*$K"
check "… it left no image $K" not grep -q "^$K " <<<"$("$BERTH" images --all)"
check "… and that images removed its temporary and its lock" nothing_of "$K"

# --- Bad input -----------------------------------------------------------------------
bad 1 "create from a definition that does not exist" create "x$tag" --from "no-such-definition-$tag"
bad 1 "create from a file that does not exist" create "x$tag" --from "$WORK/none.conf"
bad 2 "create to an invalid name" create "bad/name" --from "$BERTH_SRC/machines/debian-bookworm.conf"
bad 2 "create without --from" create "x$tag"
bad 2 "create without a name" create --from "$BERTH_SRC/machines/debian-bookworm.conf"
bad 2 "create with an unknown option" create "x$tag" --from "$BERTH_SRC/machines/debian-bookworm.conf" --bogus
printf '[Distribution]\nDistribution=fedora\nRelease=41\n' >"$WORK/fedora.conf"
bad 1 "create from a definition of a distribution berth can't build" create "x$tag" --from "$WORK/fedora.conf"
printf '[Distribution]\nDistribution=debian\n' >"$WORK/norelease.conf"
bad 1 "create from a definition without Release=" create "x$tag" --from "$WORK/norelease.conf"
check "… and none of them made anything" nothing_of "x$tag"

check "remove $A: exit 0" "$BERTH" remove "$A"
check "… and nothing of it is left" nothing_of "$A"
