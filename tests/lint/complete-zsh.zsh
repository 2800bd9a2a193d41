#!/usr/bin/zsh -f
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# complete-zsh.zsh COMPLETION-DIR BIN-DIR IMAGE-DIR < LINES
#
# Runs zsh's real completion system on each line of standard input, as if
# the line had been typed at a prompt followed by TAB, and prints what was
# offered, one candidate a line, then a line "--end--". Used by
# docs-complete.sh zsh.
#
# How: an interactive zsh on a pseudo-terminal (zsh/zpty) loads compinit
# with COMPLETION-DIR first in fpath and BIN-DIR first in PATH (so that
# "berth" is a stand-in that knows some machines); _berth_image_dir is
# IMAGE-DIR. In there, compadd is wrapped: it asks the real one which of
# its words match (compadd -O) and prints those, with the prefix that
# compset moved aside (IPREFIX), before adding them (the completion
# functions count what was added); TAB is bound to a widget that completes,
# neither inserting nor listing anything, and then prints an end marker. The markers are
# printed as "<""M>" so that the terminal's echo of these definitions can't
# be taken for them.

emulate -L zsh
zmodload zsh/zpty || { print -u2 "complete-zsh: no zsh/zpty module"; exit 1 }

(( $# == 3 )) || { print -u2 "usage: complete-zsh.zsh COMPLETION-DIR BIN-DIR IMAGE-DIR"; exit 2 }
compdir=$1 bindir=$2 imagedir=$3
home=$(mktemp -d) || exit 1
trap 'zpty -d lint 2>/dev/null; rm -rf -- $home' EXIT

zpty lint env -i HOME=$home TERM=dumb PATH=$bindir:/usr/bin:/bin zsh -f -i || exit 1
zpty -w lint "PS1=''; PS2=''; RPS1=''; fpath=(${(q)compdir} \$fpath); _berth_image_dir=${(q)imagedir}"
zpty -w lint 'autoload -Uz compinit && compinit -u -D'
zpty -w lint 'compadd() {
        if (( ${@[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi
        local -a m; local w
        builtin compadd -O m "$@"
        for w in $m; do print -r -- "<""M>$IPREFIX$w"; done
        builtin compadd "$@"
}'
zpty -w lint '_lint_quiet() { compstate[insert]=""; compstate[list]=""; }'
zpty -w lint '_lint_complete() {
        comppostfuncs=(_lint_quiet)
        zle complete-word
        print -r -- "<""END>"
}'
zpty -w lint 'zle -N _lint_complete; bindkey "^I" _lint_complete'
zpty -w lint 'print -r -- "<""READY>"'

# Reads from the terminal until a line holds marker $1 (or 10 s pass),
# printing the candidates met on the way.
read_until() {
        local line
        integer deadline=$(( SECONDS + 10 ))
        while (( SECONDS < deadline )); do
                if ! zpty -rt lint line; then
                        sleep 0.01
                        continue
                fi
                line=${line//$'\r'/}
                [[ $line == *'<M>'* ]] && print -r -- "${line#*<M>}"
                [[ $line == *"$1"* ]] && return 0
        done
        print -r -- "<timed out>"
        return 1
}

read_until '<READY>' >/dev/null || { print -u2 "complete-zsh: zsh did not start"; exit 1 }
while IFS= read -r typed; do
        zpty -w -n lint "$typed"$'\t'
        read_until '<END>'
        # ^U: the next line starts on an empty buffer.
        zpty -w -n lint $'\C-u'
        print -r -- "--end--"
done
