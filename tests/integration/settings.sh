#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Settings files (berth.settings(5)) on real machines: /etc/berth/NAME.berth
# sets the hostname, init's environment, a read-only bind and a memory limit
# of a booted machine; the command line wins by default and the file with
# --settings=override; /etc/berth wins over /run/berth; a file beside the
# image applies but its Bind= only with --settings=trusted; a NAME.nspawn is
# read when there is no NAME.berth; --settings=no reads nothing; a Boot= that
# contradicts the verb is ignored with a warning; a malformed file fails with
# exit 1 and one line naming FILE:LINE before anything is made on the host.
. "$(dirname "$0")/lib.sh"

# Every settings file the test writes, removed at exit; the directories too
# when the test made them.
SETTINGS_FILES=()
MADE_DIRS=()
remove_settings() {
        local d
        rm -f "${SETTINGS_FILES[@]}"
        for ((d = ${#MADE_DIRS[@]} - 1; d >= 0; d--)); do
                rmdir "${MADE_DIRS[d]}" 2>/dev/null || true
        done
}
on_exit remove_settings

# settings FILE TEXT: writes a settings file (printf-style escapes in TEXT).
settings() {
        local dir
        dir=$(dirname "$1")
        if [[ ! -d $dir ]]; then
                mkdir -p "$dir"
                MADE_DIRS+=("$dir")
        fi
        SETTINGS_FILES+=("$1")
        # shellcheck disable=SC2059 # TEXT is a format on purpose
        printf "$2" >"$1"
}

# run NAME [OPTIONS…] -- COMMAND…: berth run of an ephemeral $TREE (unless
# OPTIONS has -D), stdout in OUT, stderr in ERR, exit status in RC.
run() {
        local name=$1
        shift
        local dir=(-D "$TREE") a
        for a in "$@"; do
                [[ $a == -D ]] && dir=()
        done
        RC=0
        "$BERTH" run -q -x -M "$name" "${dir[@]}" "$@" </dev/null >"$WORK/out" 2>"$WORK/err" || RC=$?
        OUT=$(cat "$WORK/out")
        ERR=$(cat "$WORK/err")
}

mkdir -p "$WORK/share" "$WORK/other"
echo from-the-host >"$WORK/share/marker"
echo other >"$WORK/other/marker"
# shellcheck disable=SC2016 # expanded in the machine
SHOW='echo "host=$(hostname) A=${A:-} B=${B:-}"; ls /mnt'

# --- A booted machine, configured by /etc/berth/NAME.berth ---------------------------
settings /etc/berth/set-boot.berth "# a comment\n[Exec]\nHostname=set-host\nEnvironment=SETTINGS_TEST=from-file\n\
NoSuchKey=1\n[Files]\nBindReadOnly=$WORK/share:/mnt/share\n[Resources]\nMemoryMax=200M\n"
start_machine set-boot -x
wait_running set-boot

check "MemoryMax= of [Resources] is the machine's limit" \
        test "$("$BERTH" show set-boot -p MemoryMax --value)" = $((200 << 20))
check "status shows it: $("$BERTH" status set-boot | grep Memory:)" \
        grep -qE 'Memory: .*\(max: 200\.0M\)' <<<"$("$BERTH" status set-boot)"
check "Hostname= is the machine's hostname" test "$("$BERTH" shell set-boot -- /bin/hostname)" = set-host
check "Environment= is in init's environment" \
        grep -qx SETTINGS_TEST=from-file <<<"$("$BERTH" shell set-boot -- /bin/sh -c 'tr "\0" "\n" </proc/1/environ')"
check "BindReadOnly= is mounted inside" \
        test "$("$BERTH" shell set-boot -- /bin/cat /mnt/share/marker)" = from-the-host
check "… read-only" not "$BERTH" shell set-boot -- /bin/touch /mnt/share/new </dev/null 2>/dev/null
check "… and nothing was written to the host" test ! -e "$WORK/share/new"
check "the unknown key was warned about, naming FILE:LINE: $(grep NoSuchKey "$WORK/set-boot.stderr")" \
        grep -qF "/etc/berth/set-boot.berth:5: Unknown key NoSuchKey= in [Exec], not supported, ignoring" \
        "$WORK/set-boot.stderr"
"$BERTH" poweroff set-boot
wait_supervisor set-boot
check "the machine powers off cleanly (got $RC)" test "$RC" = 0

# --- Precedence: command line, file, override ---------------------------------------
settings /etc/berth/set-prec.berth "[Exec]\nHostname=file-host\nEnvironment=A=file B=file\n\
[Files]\nBindReadOnly=$WORK/share:/mnt/share\n"
run set-prec -- /bin/sh -c "$SHOW"
check "without options, the file applies: $OUT" test "$OUT" = "$(printf 'host=file-host A=file B=file\nshare')"
run set-prec --hostname=cli-host -E A=cli --bind-ro="$WORK/other:/mnt/other" -- /bin/sh -c "$SHOW"
check "by default the command line wins, per variable; its mounts replace the file's: $OUT" \
        test "$OUT" = "$(printf 'host=cli-host A=cli B=file\nother')"
run set-prec --settings=override --hostname=cli-host -E A=cli --bind-ro="$WORK/other:/mnt/other" -- \
        /bin/sh -c "$SHOW"
check "with --settings=override the file wins, its mounts replace the command line's: $OUT" \
        test "$OUT" = "$(printf 'host=file-host A=file B=file\nshare')"
run set-prec --settings=no -- /bin/sh -c "$SHOW"
check "--settings=no reads no file: $OUT" test "$OUT" = "host=set-prec A= B="
check "… and warns about nothing" test -z "$ERR"

# /etc/berth before /run/berth.
settings /run/berth/set-prec.berth "[Exec]\nHostname=run-host\n"
run set-prec -- /bin/hostname
check "/etc/berth/NAME.berth wins over /run/berth/NAME.berth: $OUT" test "$OUT" = file-host
rm /etc/berth/set-prec.berth
run set-prec -- /bin/hostname
check "… which applies when there is none in /etc/berth: $OUT" test "$OUT" = run-host

# --- A file beside the image is not trusted ------------------------------------------
mkdir -p "$WORK/images/set-beside"
mount --bind "$TREE" "$WORK/images/set-beside"
on_exit "umount '$WORK/images/set-beside'"
settings "$WORK/images/set-beside.berth" "[Exec]\nHostname=beside-host\n[Files]\nBind=$WORK/share:/mnt/share\n"
run set-beside -D "$WORK/images/set-beside" -- /bin/sh -c 'hostname; ls /mnt'
check "beside the image, safe keys apply: $OUT" test "$OUT" = beside-host
check "… Bind= is ignored with a warning: $ERR" test "$ERR" = \
        "berth: $WORK/images/set-beside.berth:4: ignoring Bind= in an untrusted settings file (see --settings=trusted)"
check "… and exit 0 (got $RC)" test "$RC" = 0
run set-beside -D "$WORK/images/set-beside" --settings=trusted -- /bin/sh -c 'hostname; cat /mnt/share/marker'
check "with --settings=trusted its Bind= applies: $OUT" test "$OUT" = "$(printf 'beside-host\nfrom-the-host')"
check "… without a warning: $ERR" test -z "$ERR"

# --- NAME.nspawn, when there is no NAME.berth -------------------------------------------
settings /run/systemd/nspawn/set-nsp.nspawn "[Exec]\nHostname=nspawn-host\nEnvironment=A=nspawn\n"
run set-nsp -- /bin/sh -c "$SHOW"
check "a .nspawn file applies when there is no .berth one: $OUT" test "$OUT" = "$(printf 'host=nspawn-host A=nspawn B=\n')"
settings /run/berth/set-nsp.berth "[Exec]\nHostname=berth-host\n"
run set-nsp -- /bin/sh -c "$SHOW"
check "… and is not read when there is one: $OUT" test "$OUT" = "$(printf 'host=berth-host A= B=\n')"

# --- Boot= is the verb's ------------------------------------------------------------------
settings /etc/berth/set-bootkey.berth "[Exec]\nBoot=yes\nParameters=--log-level=debug\n"
run set-bootkey -- /bin/echo the-command
check "Boot=yes in 'berth run': the command runs (rc $RC): $OUT" test "$RC:$OUT" = 0:the-command
check "… with a warning that Boot= and Parameters= are ignored: $ERR" grep -qF \
        "berth: /etc/berth/set-bootkey.berth:2: Boot=yes ignored: 'berth run' runs a command, not init" <<<"$ERR"

# --- Malformed files fail before anything is made ---------------------------------------
bad_file() {
        local verb=$1 name=$2 text=$3 expected=$4 out
        settings "/etc/berth/$name.berth" "$text"
        RC=0
        out=$("$BERTH" "$verb" -q -x -D "$TREE" -M "$name" --console=pipe -- /bin/true </dev/null 2>&1) || RC=$?
        check "$verb with a malformed file exits 1 (got $RC)" test "$RC" = 1
        check "… with one line naming FILE:LINE: $out" test "$out" = "berth: /etc/berth/$name.berth:$expected"
        check "… and no record, cgroup or console log of the machine" \
                test ! -e "/run/berth/machines/$name" -a ! -e "/run/berth/console/$name" -a \
                -z "$(find "$CGROUP_UNIFIED" -name "*$name*" 2>/dev/null)"
        rm "/etc/berth/$name.berth"
}
bad_file run set-bad "[Exec]\nHostname=fine\nthis line is broken\n" "3: Missing '=' in 'this line is broken'"
bad_file boot set-bad2 "[Resources]\nMemoryMax=lots\n" \
        "2: Invalid value 'lots' for MemoryMax=: expected bytes with an optional K, M, G or T suffix, a percentage or infinity"
bad_file run set-bad3 "[Exec\nHostname=x\n" "1: Invalid section header '[Exec'"

# A key before any section is only warned about, as in systemd.
settings /etc/berth/set-nosect.berth "Hostname=ignored\n[Exec]\nEnvironment=A=1\n"
run set-nosect -- /bin/sh -c "$SHOW"
check "a key before the first section is ignored: $OUT" test "$OUT" = "host=set-nosect A=1 B="
check "… with a warning: $ERR" test "$ERR" = \
        "berth: /etc/berth/set-nosect.berth:1: Assignment 'Hostname=ignored' outside of a section, ignoring"
