#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# docs-complete.sh man|bash|zsh: the documentation that ships with berth
# must keep up with the CLI. What the CLI has is read from the binary's own
# --help texts:
#   verbs     the "Verbs:" list of `berth --help`
#   options   the option lines of `berth VERB --help`, short and long
#   values    the choices an option lists as --name=a|b|c
#   arguments the words of the usage line of `berth VERB --help`
# and then:
#   man   man/berth.1 has a subsection per verb under COMMANDS; every
#         option of boot and run is the tag of a paragraph under OPTIONS
#         that mentions each value it lists, and no tag names an option the
#         CLI lacks; the other verbs' options and their values are
#         mentioned in the verb's subsection.
#   bash  shell-completion/bash/berth completes exactly the verbs, exactly
#         each verb's options (boot is not offered run's), exactly the
#         listed values of every verb's options, and each argument as
#         arg_kinds below says (running machines from `berth list --json`,
#         images, host paths, nothing), and some options' values as
#         option_value_kinds says. A verb or an argument that arg_kinds
#         does not know fails the test.
#   zsh   shell-completion/zsh/_berth names every verb and option (and none
#         the CLI lacks), and zsh's real completion system, run on a
#         pseudo-terminal (complete-zsh.zsh), offers what bash must.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

target=${1:?usage: docs-complete.sh man|bash|zsh}
BERTH=${BERTH:?BERTH must point at the berth binary}
[[ -x $BERTH ]] || skip "no berth binary at $BERTH"

# --- What the CLI has -------------------------------------------------------

mapfile -t verbs < <("$BERTH" --help | awk '/^Verbs:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
((${#verbs[@]} > 0)) || {
        fail "found no verbs in 'berth --help'"
        finish
}

# Each verb's --help, read once.
declare -A verb_help=()
for v in "${verbs[@]}"; do
        verb_help[$v]=$("$BERTH" "$v" --help) || fail "'berth $v --help' failed"
done

# help_of VERB: its --help.
help_of() {
        printf '%s\n' "${verb_help[$1]:-}"
}

# The options of a verb, one a line: every -x and --name on the lines of its
# --help that start with blanks and a dash.
options_of() {
        help_of "$1" | grep -E '^[[:space:]]+-' |
                grep -oE -- '(^|[[:space:]])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d '[:blank:]' | sort -u
}

# "--name a b c" for each option of a verb that lists plain choices
# (--name=a|b|c, words of lower-case letters, digits and "-", such as
# bzip2); choices that are not plain words (UID[:COUNT]) are left out.
choices_of() {
        help_of "$1" | { grep -oE -- '--[a-z][a-z0-9-]*=[a-zA-Z0-9:|\[-]+' || true; } | { grep -F '|' || true; } |
                while IFS='=' read -r opt values; do
                        printf '%s' "$opt"
                        tr '|' '\n' <<<"$values" | { grep -E '^[a-z][a-z0-9-]*$' || true; } | tr '\n' ' ' | sed 's/^/ /; s/ $//'
                        echo
                done | sort -u
}

declare -A verb_options=()
all_options=()
for v in "${verbs[@]}"; do
        verb_options[$v]=$(options_of "$v")
        [[ -n ${verb_options[$v]} ]] || fail "'berth $v --help' lists no options"
        mapfile -t -O "${#all_options[@]}" all_options <<<"${verb_options[$v]}"
done
mapfile -t all_options < <(printf '%s\n' "${all_options[@]}" --version | sort -u)

mapfile -t choices < <(for v in "${verbs[@]}"; do choices_of "$v"; done | sort -u)

# has_word FILE WORD: WORD (letters, digits, "-", "_") occurs in FILE, not
# as part of a longer option or name. In bash alone: it runs for every
# option and value.
has_word() {
        local content="" re="(^|[^a-zA-Z0-9_-])$2([^a-zA-Z0-9_-]|\$)"
        IFS= read -r -d '' content <"$1" || true
        [[ $content =~ $re ]]
}

is_known_option() {
        local o
        for o in "${all_options[@]}"; do
                [[ $o == "$1" ]] && return 0
        done
        return 1
}

# The words of stdin, sorted, each once, space-separated: for comparing
# sets. In bash alone (an insertion sort): it runs for every comparison.
set_of() {
        local -A seen=()
        local -a ws sorted=()
        local w i
        while read -r -a ws || ((${#ws[@]})); do
                for w in "${ws[@]}"; do
                        seen[$w]=1
                done
                ws=()
        done
        for w in "${!seen[@]}"; do
                for ((i = ${#sorted[@]}; i > 0; i--)); do
                        [[ ${sorted[i - 1]} > $w ]] || break
                        sorted[i]=${sorted[i - 1]}
                done
                sorted[i]=$w
        done
        local IFS=' '
        echo "${sorted[*]}"
}

# verb_has_option VERB OPTION
verb_has_option() {
        [[ $'\n'${verb_options[$1]:-}$'\n' == *$'\n'"$2"$'\n'* ]]
}

# expect_set DESCRIPTION EXPECTED ACTUAL
expect_set() {
        if [[ $2 == "$3" ]]; then
                echo "ok: $1"
        else
                fail "$1: expected [$2], got [$3]"
        fi
}

# --- man/berth.1 --------------------------------------------------------------

check_man() {
        local page=$SRC/man/berth.1 dir text tags section para o v c opt values value where
        [[ -f $page ]] || {
                fail "man/berth.1 is missing"
                return
        }
        dir=$(mktemp -d)
        text=$dir/text tags=$dir/tags section=$dir/section para=$dir/paragraph
        # roff without its escapes: \- is -, fonts and \c vanish.
        sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\c//g' "$page" >"$text"
        # The tags of the paragraphs under OPTIONS (the line after each .TP).
        awk '/^\.SH/ { on = ($2 == "OPTIONS") } on && tp { print } { tp = /^\.TP/ }' "$text" >"$tags"

        for v in "${verbs[@]}"; do
                verb_section "$v" <"$text" >"$section"
                if [[ -s $section ]]; then
                        echo "ok: man page has a subsection for '$v'"
                else
                        fail "man/berth.1 has no subsection (.SS) under COMMANDS for the verb '$v'"
                fi

                # Options, and the values they list (--name=a|b|c): boot's
                # and run's in their paragraph under OPTIONS, the other
                # verbs' in the verb's subsection. -h/--help, every verb's,
                # once anywhere.
                while read -r o; do
                        case $o in
                        -h | --help)
                                has_word "$text" "$o" || fail "man/berth.1 does not mention $o"
                                ;;
                        *)
                                case $v in
                                boot | run)
                                        has_word "$tags" "$o" ||
                                                fail "man/berth.1: option $o of 'berth $v' is not the tag of a paragraph under OPTIONS"
                                        ;;
                                *)
                                        has_word "$section" "$o" ||
                                                fail "man/berth.1: the subsection of '$v' does not mention its option $o"
                                        ;;
                                esac
                                ;;
                        esac
                done <<<"${verb_options[$v]}"

                while read -r c; do
                        [[ -n $c ]] || continue
                        read -r opt values <<<"$c"
                        case $v in
                        boot | run)
                                option_paragraph "$opt" <"$text" >"$para"
                                where="the paragraph of $opt"
                                ;;
                        *)
                                cp "$section" "$para"
                                where="the subsection of '$v'"
                                ;;
                        esac
                        for value in $values; do
                                has_word "$para" "$value" ||
                                        fail "man/berth.1: $where does not mention '$value', a value of $opt of 'berth $v'"
                        done
                done < <(choices_of "$v")
        done

        while read -r o; do
                [[ -n $o ]] || continue
                is_known_option "$o" || fail "man/berth.1 documents $o under OPTIONS, but no verb has it"
        done < <(grep -oE -- '--[a-z][a-z0-9-]*' "$tags" | sort -u)
        rm -rf "$dir"
}

# verb_section VERB < TEXT: the subsection (.SS) of VERB under COMMANDS,
# whose title starts with the verb, up to the next .SS or .SH.
verb_section() {
        awk -v verb="$1" '
                /^\.SH/ { commands = ($2 == "COMMANDS"); on = 0; next }
                /^\.SS/ {
                        title = $0
                        sub(/^\.SS[ \t]+"?/, "", title)
                        split(title, w, /[ \t"]/)
                        on = commands && w[1] == verb
                }
                on'
}

# option_paragraph OPTION < TEXT: the paragraph under OPTIONS whose tag
# names OPTION, up to the next tag that names an option (the tags of its
# values, inside .RS, name none), .SS or .SH.
option_paragraph() {
        awk -v opt="$1" '
                function names_option(line, w, n, i) {
                        n = split(line, w, /[^a-zA-Z0-9_-]+/)
                        for (i = 1; i <= n; i++)
                                if (w[i] ~ /^--?[a-zA-Z]/)
                                        return 1
                        return 0
                }
                function names(line, o, w, n, i) {
                        n = split(line, w, /[^a-zA-Z0-9_-]+/)
                        for (i = 1; i <= n; i++)
                                if (w[i] == o)
                                        return 1
                        return 0
                }
                /^\.SH/ { options = ($2 == "OPTIONS"); on = 0; tp = 0; next }
                /^\.SS/ { on = 0; tp = 0; next }
                options && tp && names_option($0) { on = names($0, opt) }
                on { print }
                { tp = /^\.TP/ }'
}

# --- What each argument completes to ------------------------------------------

# The arguments of a verb as its usage line (the first line of its --help)
# names them, in order, "…" kept: "NAME… SRC DST". Options ("[--json]",
# "[-p PROP…]"), "--" and "OPTIONS…" are left out.
usage_args() {
        printf '%s\n' "${verb_help[$1]%%$'\n'*}" | sed -E \
                -e 's/^berth [^ ]+//' \
                -e 's/\[--?[a-zA-Z][^]]*\]//g' \
                -e 's/[][]//g' \
                -e 's/(^| )--( |$)/ /g' \
                -e 's/(^| )OPTIONS…( |$)/ /g' |
                xargs
}

# What the completions offer for each argument of each verb, by the names
# of usage_args() (NAME:KIND). A verb missing here, or whose usage names
# other arguments, fails the test: a new verb needs a line, and its
# completions.
#   machine       the running machines (`berth list --json`)
#   user@machine  the same, also after "USER@" (users are not listed)
#   image         the images that are trees (what enable and export-tar
#                 take): directories of the image store
#   any-image     every image of the store: trees, NAME.raw files and
#                 NAME.mstack directories (what -M and start take)
#   tree+layered  the trees and the layered images (NAME.mstack): what
#                 export-oci takes
#   layered+machine  the layered images and the running machines: what
#                 commit takes
#   directory     directories on the host
#   boolean       yes and no
#   host          paths on the host (for a FILE|-, "-" is not offered)
#   resource      the NAME= of the resource limits (those set-property's
#                 --help names)
#   -             nothing: paths in the machine, commands, init's arguments
declare -A arg_kinds=(
        [boot]="INIT-ARGS…:-"
        [run]="COMMAND:- ARGS…:-"
        [list]=""
        [status]="NAME…:machine"
        [show]="NAME:machine"
        [poweroff]="NAME…:machine"
        [reboot]="NAME…:machine"
        [stop]="NAME…:machine"
        [terminate]="NAME…:machine"
        [freeze]="NAME…:machine"
        [thaw]="NAME…:machine"
        [stats]="NAME…:machine"
        [kill]="NAME…:machine"
        [set-property]="NAME:machine NAME=VALUE…:resource"
        [start]="NAME…:any-image"
        [wait]="NAME…:machine"
        [enable]="NAME…:image"
        [disable]="NAME…:image"
        [shell]="USER@NAME:user@machine COMMAND:- ARGS…:-"
        [login]="NAME:machine"
        [copy-to]="NAME:machine SRC:host DST:-"
        [copy-from]="NAME:machine SRC:- DST:host"
        [bind]="NAME:machine SRC:host DST:-"
        [images]=""
        [list-images]=""
        [image-status]="NAME…:any-image"
        [clone]="SRC:any-image DST:-"
        [import-fs]="DIRECTORY:directory NAME:-"
        [import-tar]="FILE|-:host NAME:-"
        [export-tar]="NAME:image FILE|-:host"
        [import-oci]="PATH:host NAME:-"
        [export-oci]="NAME:tree+layered PATH:directory"
        [commit]="NAME:layered+machine NEWIMAGE:-"
        [create]="NAME:- --from=DEFINITION:-"
        [rename]="OLD:any-image NEW:-"
        [remove]="NAME…:any-image"
        [read-only]="NAME:any-image BOOL:boolean"
        [set-limit]="NAME:any-image SIZE:-"
)

# The values of options that --help does not list as a|b|c, for each verb
# that has the option ("VERB:OPTION" for one verb's only).
declare -A option_value_kinds=(
        [-D]=directory [--directory]=directory
        [-M]=any-image [--machine]=any-image
        [-i]=host [--image]=host
        [--bind]=host [--bind-ro]=host
        [-s]=signal [--signal]=signal
        [boot:--property]=resource [run:--property]=resource
)

# A stand-in berth that knows two machines, a failing one, an image store
# with two trees, a raw image and a layered one (and a settings file, a
# lock and a layer that are none), and host files.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
mkdir -p "$fake/bin" "$fake/failing" "$fake/images/deb-12" "$fake/images/f41" "$fake/files/a-dir" \
        "$fake/images/app.mstack" "$fake/images/.oci-sha256:0123"
: >"$fake/images/plain.raw"
: >"$fake/images/deb-12.nspawn"
: >"$fake/images/.#deb-12.lck"
: >"$fake/files/a-file"
cat >"$fake/bin/berth" <<-'EOF'
	#!/bin/sh
	[ "$1" = list ] && [ "$2" = --json ] &&
		echo '[{"machine":"web","class":"container","leader":42},{"machine":"db-1.x","class":"container","leader":null}]'
	EOF
printf '#!/bin/sh\necho oops >&2\nexit 1\n' >"$fake/failing/berth"
chmod +x "$fake/bin/berth" "$fake/failing/berth"
machines="db-1.x web"
images="deb-12 f41"
all_images="app deb-12 f41 plain"
layered="app"
# The resource limits, as set-property's --help names them.
resources=""
if [[ " ${verbs[*]} " == *" set-property "* ]]; then
        resources=$(help_of set-property | grep -oE '\b[A-Z][A-Za-z]*[a-z][A-Za-z]*=' | sort -u | xargs)
fi

# The cases, for either shell: what is typed (TAB follows), how what is
# offered is compared, and what is expected.
#   exact    the same set (after norm())
#   path     the same set of file names (the last component of each)
#   none     nothing but options
#   signals  every signal of $expect is offered, and berth takes each
case_desc=()
case_line=()
case_mode=()
case_expect=()
add_case() {
        case_desc+=("$1")
        case_line+=("$2")
        case_mode+=("$3")
        case_expect+=("$4")
}

# Options whose value is optional, as systemd-nspawn's: only "--name=VALUE"
# gives one (a next word is no value of theirs).
optional_value_options=" --volatile "

# The cases for a value of kind $3 of option $2 of verb $1.
add_value_cases() {
        local v=$1 o=$2 kind=$3 sep
        for sep in ' ' '='; do
                [[ $sep == = && $o != --* ]] && continue
                [[ $sep == ' ' && $optional_value_options == *" $o "* ]] && continue
                case $kind in
                image) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep" exact "$images" ;;
                any-image) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep" exact "$all_images" ;;
                directory) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep$fake/files/a" path "a-dir" ;;
                host) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep$fake/files/a" path "a-dir a-file" ;;
                signal) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep" signals "SIGHUP SIGKILL SIGTERM SIGRTMIN+4" ;;
                resource) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep" exact "$resources" ;;
                *) add_case "values of $o (berth $v, '$sep')" "berth $v $o$sep" exact "$kind" ;;
                esac
        done
}

# The cases for argument $2 (0, 1…) of kind $3 of verb $1, after $4.
add_arg_cases() {
        local v=$1 n=$2 kind=$3 before=$4 what="argument $(($2 + 1)) of 'berth $1' ($3)"
        case $kind in
        machine) add_case "$what" "berth $v $before" exact "$machines" ;;
        user@machine)
                add_case "$what" "berth $v $before" exact "$machines"
                add_case "$what, after USER@" "berth $v ${before}root@" exact "$machines"
                add_case "$what, after USER@ and a letter" "berth $v ${before}root@w" exact "web"
                ;;
        image) add_case "$what" "berth $v $before" exact "$images" ;;
        any-image) add_case "$what" "berth $v $before" exact "$all_images" ;;
        tree+layered) add_case "$what" "berth $v $before" exact "$images $layered" ;;
        layered+machine) add_case "$what" "berth $v $before" exact "$layered $machines" ;;
        host) add_case "$what" "berth $v $before$fake/files/a" path "a-dir a-file" ;;
        directory) add_case "$what" "berth $v $before$fake/files/a" path "a-dir" ;;
        boolean) add_case "$what" "berth $v $before" exact "yes no" ;;
        resource) add_case "$what" "berth $v $before" exact "$resources" ;;
        -) add_case "$what" "berth $v $before" none "" ;;
        *) fail "docs-complete.sh: unknown kind '$kind' for berth $v" ;;
        esac
}

build_cases() {
        local v o opt values usage table kinds n before k name kind sample c
        add_case "the verbs" "berth " exact "${verbs[*]}"
        for v in "${verbs[@]}"; do
                add_case "the options of 'berth $v'" "berth $v -" exact "${verb_options[$v]//$'\n'/ }"
        done
        for c in "${choices[@]}"; do
                read -r opt values <<<"$c"
                for v in "${verbs[@]}"; do
                        verb_has_option "$v" "$opt" && add_value_cases "$v" "$opt" "$values"
                done
        done
        for o in "${!option_value_kinds[@]}"; do
                for v in "${verbs[@]}"; do
                        if [[ $o == *:* ]]; then
                                [[ ${o%%:*} == "$v" ]] || continue
                                verb_has_option "$v" "${o#*:}" && add_value_cases "$v" "${o#*:}" "${option_value_kinds[$o]}"
                        else
                                verb_has_option "$v" "$o" && add_value_cases "$v" "$o" "${option_value_kinds[$o]}"
                        fi
                done
        done

        for v in "${verbs[@]}"; do
                usage=$(usage_args "$v")
                if [[ ! -v arg_kinds[$v] ]]; then
                        fail "docs-complete.sh does not know what the arguments of 'berth $v' ($usage) complete to; add it to arg_kinds, and complete them"
                        continue
                fi
                table=$(sed -E 's/:[^ ]*//g' <<<"${arg_kinds[$v]}" | xargs)
                if [[ $table != "$usage" ]]; then
                        fail "the arguments of 'berth $v' are now '$usage', arg_kinds says '$table': update it and the completions"
                        continue
                fi
                read -r -a kinds <<<"${arg_kinds[$v]}"
                before=""
                for ((n = 0; n < ${#kinds[@]}; n++)); do
                        name=${kinds[n]%:*}
                        kind=${kinds[n]##*:}
                        add_arg_cases "$v" "$n" "$kind" "$before"
                        case $kind in
                        machine | user@machine) sample=web ;;
                        image | any-image | tree+layered) sample=deb-12 ;;
                        layered+machine) sample=app ;;
                        resource) sample=TasksMax=10 ;;
                        host | directory) sample=/ ;;
                        *) sample=x ;;
                        esac
                        # "NAME…": the next one too.
                        [[ $name == *… ]] && add_arg_cases "$v" "$((n + 1))" "$kind" "$before$sample "
                        before+="$sample "
                done
                # Past the last argument (unless it repeats): nothing.
                [[ ${#kinds[@]} -eq 0 || ${kinds[-1]%:*} != *… ]] && add_arg_cases "$v" "$n" - "$before"
        done
        for k in "${!arg_kinds[@]}"; do
                [[ -n ${verb_options[$k]:-} ]] || fail "arg_kinds names 'berth $k', which 'berth --help' does not list"
        done
}

# norm TYPED: what was offered (stdin) as a sorted set. After "=" or "@",
# only what follows is compared: bash offers that part (the word breaks
# there), zsh the whole word. Options are compared without a trailing "=".
norm() {
        local typed=${1##* } prefix="" w
        [[ $typed == *[=@]* ]] && prefix=${typed%"${typed##*[=@]}"}
        while IFS= read -r w; do
                [[ -n $w ]] || continue
                [[ -n $prefix ]] && w=${w#"$prefix"}
                [[ $w == -* ]] && w=${w%=}
                printf '%s\n' "$w"
        done | set_of
}

# berth takes signal $1: not refused as a bad value.
declare -A signal_ok=()
berth_takes_signal() {
        if [[ ! -v signal_ok[$1] ]]; then
                if "$BERTH" kill --signal="$1" 2>&1 | grep -q 'Invalid value'; then
                        signal_ok[$1]=0
                else
                        signal_ok[$1]=1
                fi
        fi
        ((signal_ok[$1]))
}

# check_cases SHELL OUTPUT-FILE: compares what SHELL offered (blocks ended
# by "--end--", one per case) with the cases.
check_cases() {
        local shell=$1 out=$2 i=0 block got w s missing bad
        local -a blocks=()
        block=""
        while IFS= read -r w; do
                if [[ $w == --end-- ]]; then
                        blocks+=("$block")
                        block=""
                else
                        block+="$w"$'\n'
                fi
        done <"$out"
        if ((${#blocks[@]} != ${#case_line[@]})); then
                fail "$shell answered ${#blocks[@]} of ${#case_line[@]} completions:"
                sed -n '1,40p' "$out" >&2
                return
        fi

        for ((i = 0; i < ${#case_line[@]}; i++)); do
                case ${case_mode[i]} in
                exact)
                        expect_set "$shell completes ${case_desc[i]}" "$(set_of <<<"${case_expect[i]}")" \
                                "$(norm "${case_line[i]}" <<<"${blocks[i]}")"
                        ;;
                path)
                        got=$(norm "${case_line[i]}" <<<"${blocks[i]}" | tr ' ' '\n' | sed -e 's:/$::' -e 's:.*/::' | set_of)
                        expect_set "$shell completes ${case_desc[i]}" "$(set_of <<<"${case_expect[i]}")" "$got"
                        ;;
                none)
                        got=$(norm "${case_line[i]}" <<<"${blocks[i]}" | tr ' ' '\n' | grep -v '^-' | set_of || true)
                        expect_set "$shell completes nothing for ${case_desc[i]}" "" "$got"
                        ;;
                signals)
                        got=$(norm "${case_line[i]}" <<<"${blocks[i]}")
                        missing="" bad=""
                        for s in ${case_expect[i]}; do
                                [[ " $got " == *" $s "* ]] || missing+=" $s"
                        done
                        for s in $got; do
                                berth_takes_signal "$s" || bad+=" $s"
                        done
                        if [[ -n $missing || -n $bad ]]; then
                                fail "$shell completes ${case_desc[i]}: missing [${missing# }], refused by berth [${bad# }]"
                        else
                                echo "ok: $shell completes ${case_desc[i]} ($(wc -w <<<"$got") signals, berth takes each)"
                        fi
                        ;;
                esac
        done
}

# --- shell-completion/bash/berth ----------------------------------------------

# complete_bash BIN-DIR < LINES: bash's completion of each line (as typed,
# TAB following), one candidate a line, each line's ended by "--end--". The
# line is split into words as readline splits it (COMP_WORDBREAKS, as an
# interactive bash has it); a first word "berth" is BIN-DIR/berth.
complete_bash() {
        bash --norc --noprofile -c '
                source "$1"
                __berth_image_dir=$2
                bin=$3
                COMP_WORDBREAKS=$'"'"' \t\n"\x27@><=;|&(:'"'"'
                while IFS= read -r line; do
                        read -r -a split <<<"$line"
                        words=()
                        for w in "${split[@]}"; do
                                while [[ $w =~ ^([^=:@]*)([=:@])(.*)$ ]]; do
                                        [[ -n ${BASH_REMATCH[1]} ]] && words+=("${BASH_REMATCH[1]}")
                                        words+=("${BASH_REMATCH[2]}")
                                        w=${BASH_REMATCH[3]}
                                done
                                [[ -n $w ]] && words+=("$w")
                        done
                        [[ $line == *" " ]] && words+=("")
                        [[ ${words[0]} == berth ]] && words[0]=$bin/berth
                        COMP_WORDS=("${words[@]}")
                        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                        COMP_LINE=$line
                        COMP_POINT=${#line}
                        COMPREPLY=()
                        _berth
                        printf "%s\n" "${COMPREPLY[@]}" --end--
                done
        ' complete-bash "$SRC/shell-completion/bash/berth" "$fake/images" "$1" 2>&1
}

check_bash() {
        local file=$SRC/shell-completion/bash/berth v out
        [[ -f $file ]] || {
                fail "shell-completion/bash/berth is missing"
                return
        }
        for v in "${verbs[@]}"; do
                has_word "$file" "$v" || fail "bash completion does not name the verb '$v'"
        done

        build_cases
        out=$(mktemp -p "$fake")
        printf '%s\n' "${case_line[@]}" | complete_bash "$fake/bin" >"$out"
        check_cases bash "$out"

        # A berth that fails: nothing offered, nothing printed.
        expect_set "bash completion stays quiet when 'berth list' fails" "" \
                "$(echo 'berth poweroff ' | complete_bash "$fake/failing" | { grep -vx -- --end-- || true; } | set_of)"
}

# --- shell-completion/zsh/_berth ----------------------------------------------

check_zsh() {
        local file=$SRC/shell-completion/zsh/_berth v o opt values offered out
        need_tool zsh zsh
        [[ -f $file ]] || {
                fail "shell-completion/zsh/_berth is missing"
                return
        }
        head -n1 "$file" | grep -qx '#compdef berth' || fail "_berth does not start with '#compdef berth'"
        for v in "${verbs[@]}"; do
                has_word "$file" "$v" || fail "zsh completion does not name the verb '$v'"
        done
        for o in "${all_options[@]}"; do
                [[ $o == --version ]] && continue
                has_word "$file" "$o" || fail "zsh completion does not name the option $o"
        done
        while read -r o; do
                is_known_option "$o" || fail "zsh completion offers $o, but no verb has it"
        done < <(grep -v '^[[:space:]]*#' "$file" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
        for c in "${choices[@]}"; do
                read -r opt values <<<"$c"
                # The spec '…--name=[description]:message:(a b c)'.
                offered=$(grep -E -- "[')]$opt=-?\[" "$file" | grep -oE ':\([a-z0-9 -]+\)' | head -n1 | tr -d ':()' || true)
                expect_set "zsh offers the values of $opt" "$(set_of <<<"$values")" "$(set_of <<<"$offered")"
        done

        # What zsh's completion system really offers, on a terminal.
        build_cases
        out=$(mktemp -p "$fake")
        if ! printf '%s\n' "${case_line[@]}" |
                zsh -f "$SRC/tests/lint/complete-zsh.zsh" "$SRC/shell-completion/zsh" "$fake/bin" "$fake/images" >"$out" 2>&1; then
                fail "zsh's completion could not be run:"
                sed -n '1,20p' "$out" >&2
                return
        fi
        check_cases zsh "$out"
        expect_set "zsh completion stays quiet when 'berth list' fails" "" \
                "$(echo 'berth poweroff ' | zsh -f "$SRC/tests/lint/complete-zsh.zsh" "$SRC/shell-completion/zsh" \
                        "$fake/failing" "$fake/images" 2>&1 | { grep -vx -- --end-- || true; } | set_of)"
}

case $target in
man) check_man ;;
bash) check_bash ;;
zsh) check_zsh ;;
*)
        echo "usage: docs-complete.sh man|bash|zsh" >&2
        exit 2
        ;;
esac
finish
