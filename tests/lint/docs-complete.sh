#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# docs-complete.sh man|bash|zsh: the documentation that ships with berth
# must keep up with the CLI. What the CLI has is read from the binary's own
# --help texts:
#   verbs     the "Verbs:" list of `berth --help`
#   options   the option lines of `berth VERB --help`, short and long
#   values    the choices an option lists as --name=a|b|c
# and then:
#   man   man/berth.1 has a subsection per verb; every option of boot and run
#         is the tag of a paragraph under OPTIONS, and no tag names an option
#         the CLI lacks; other verbs' options and every value are mentioned.
#   bash  shell-completion/bash/berth completes exactly the verbs, exactly
#         each verb's options (boot is not offered run's), exactly the
#         listed values, and machine names from `berth list --json`.
#   zsh   shell-completion/zsh/_berth names every verb and option (and none
#         the CLI lacks), and offers exactly the listed values.

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

# The options of a verb, one a line: every -x and --name on the lines of its
# --help that start with blanks and a dash.
options_of() {
        "$BERTH" "$1" --help | grep -E '^[[:space:]]+-' |
                grep -oE -- '(^|[[:space:]])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d '[:blank:]' | sort -u
}

# "--name a b c" for each option of a verb that lists plain choices
# (--name=a|b|c); choices that are not plain words (UID[:COUNT]) are left out.
choices_of() {
        "$BERTH" "$1" --help | { grep -oE -- '--[a-z][a-z0-9-]*=[a-zA-Z0-9:|\[-]+' || true; } | { grep -F '|' || true; } |
                while IFS='=' read -r opt values; do
                        printf '%s' "$opt"
                        tr '|' '\n' <<<"$values" | { grep -E '^[a-z][a-z-]*$' || true; } | tr '\n' ' ' | sed 's/^/ /; s/ $//'
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

# has_word FILE WORD: WORD occurs in FILE, not as part of a longer option
# or name.
has_word() {
        grep -qE -- "(^|[^a-zA-Z0-9_-])$2([^a-zA-Z0-9_-]|$)" "$1"
}

is_known_option() {
        local o
        for o in "${all_options[@]}"; do
                [[ $o == "$1" ]] && return 0
        done
        return 1
}

# Sorted, space-separated, for comparing sets.
set_of() {
        tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# --- man/berth.1 --------------------------------------------------------------

check_man() {
        local page=$SRC/man/berth.1 text tags o v opt values
        [[ -f $page ]] || {
                fail "man/berth.1 is missing"
                return
        }
        text=$(mktemp)
        tags=$(mktemp)
        # roff without its escapes: \- is -, fonts and \c vanish.
        sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\c//g' "$page" >"$text"
        # The tags of the paragraphs under OPTIONS (the line after each .TP).
        awk '/^\.SH/ { on = ($2 == "OPTIONS") } on && tp { print } { tp = /^\.TP/ }' "$text" >"$tags"

        for v in "${verbs[@]}"; do
                if grep -E '^\.SS' "$text" | sed -E 's/^\.SS[[:space:]]+"?//' | awk '{ print $1 }' | grep -qxF -- "$v"; then
                        echo "ok: man page has a subsection for '$v'"
                else
                        fail "man/berth.1 has no subsection (.SS) for the verb '$v'"
                fi
        done

        for v in "${verbs[@]}"; do
                while read -r o; do
                        case $v in
                        boot | run)
                                has_word "$tags" "$o" ||
                                        fail "man/berth.1: option $o of 'berth $v' is not the tag of a paragraph under OPTIONS"
                                ;;
                        *)
                                has_word "$text" "$o" || fail "man/berth.1 does not mention option $o of 'berth $v'"
                                ;;
                        esac
                done <<<"${verb_options[$v]}"
        done

        while read -r o; do
                [[ -n $o ]] || continue
                is_known_option "$o" || fail "man/berth.1 documents $o under OPTIONS, but no verb has it"
        done < <(grep -oE -- '--[a-z][a-z0-9-]*' "$tags" | sort -u)

        for c in "${choices[@]}"; do
                read -r opt values <<<"$c"
                for v in $values; do
                        has_word "$text" "$v" || fail "man/berth.1 does not mention '$v', a value of $opt"
                done
        done
        rm -f "$text" "$tags"
}

# --- shell-completion/bash/berth ----------------------------------------------

# complete WORD…: what the completion offers for a command line whose last
# word is the one being completed, sorted, one line. The first word is the
# command (a path to a fake berth, for machine names).
complete_bash() {
        bash --norc --noprofile -c '
                source "$1"
                shift
                COMP_WORDS=("$@")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMPREPLY=()
                _berth
                printf "%s\n" "${COMPREPLY[@]}"
        ' complete-bash "$SRC/shell-completion/bash/berth" "$@" 2>&1 | set_of
}

# expect DESCRIPTION EXPECTED ACTUAL
expect_set() {
        if [[ $2 == "$3" ]]; then
                echo "ok: $1"
        else
                fail "$1: expected [$2], got [$3]"
        fi
}

check_bash() {
        local file=$SRC/shell-completion/bash/berth v o opt values fake
        [[ -f $file ]] || {
                fail "shell-completion/bash/berth is missing"
                return
        }
        for v in "${verbs[@]}"; do
                has_word "$file" "$v" || fail "bash completion does not name the verb '$v'"
        done

        expect_set "bash completes the verbs" "$(printf '%s ' "${verbs[@]}" | set_of)" "$(complete_bash berth '')"
        for v in "${verbs[@]}"; do
                expect_set "bash completes the options of 'berth $v'" \
                        "$(set_of <<<"${verb_options[$v]//$'\n'/ }")" \
                        "$(complete_bash berth "$v" - | sed 's/=\( \|$\)/\1/g' | set_of)"
        done
        for c in "${choices[@]}"; do
                read -r opt values <<<"$c"
                for v in boot run; do
                        grep -qxF -- "$opt" <<<"${verb_options[$v]:-}" || continue
                        expect_set "bash completes the values of $opt (berth $v)" \
                                "$(set_of <<<"$values")" "$(complete_bash berth "$v" "$opt" = '')"
                        expect_set "bash completes the values of $opt given apart (berth $v)" \
                                "$(set_of <<<"$values")" "$(complete_bash berth "$v" "$opt" '')"
                done
        done

        # Machine names, from a stand-in berth that prints two machines.
        fake=$(mktemp -d)
        cat >"$fake/berth" <<-'EOF'
	#!/bin/sh
	[ "$1" = list ] && [ "$2" = --json ] &&
		echo '[{"machine":"web","class":"container","leader":42},{"machine":"db-1.x","class":"container","leader":null}]'
	EOF
        chmod +x "$fake/berth"
        for v in poweroff terminate; do
                [[ -n ${verb_options[$v]:-} ]] || continue
                expect_set "bash completes running machines for 'berth $v'" "db-1.x web" \
                        "$(complete_bash "$fake/berth" "$v" '')"
        done
        # A berth that fails: nothing offered, nothing printed.
        printf '#!/bin/sh\necho oops >&2\nexit 1\n' >"$fake/berth"
        expect_set "bash completion stays quiet when 'berth list' fails" "" \
                "$(complete_bash "$fake/berth" poweroff '')"
        rm -rf "$fake"
}

# --- shell-completion/zsh/_berth ----------------------------------------------

check_zsh() {
        local file=$SRC/shell-completion/zsh/_berth v o opt values offered
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
                offered=$(grep -E -- "[')]$opt=\[" "$file" | grep -oE ':\([a-z -]+\)' | head -n1 | tr -d ':()' || true)
                expect_set "zsh offers the values of $opt" "$(set_of <<<"$values")" "$(set_of <<<"$offered")"
        done
        echo "ok: zsh completion names every verb and option"
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
