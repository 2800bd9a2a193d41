#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# completion-syntax.sh bash|zsh: the shell parses its completion file
# (bash -n, zsh -n).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

shell=${1:?usage: completion-syntax.sh bash|zsh}
case $shell in
bash) file=$SRC/shell-completion/bash/berth ;;
zsh) file=$SRC/shell-completion/zsh/_berth ;;
*)
        echo "usage: completion-syntax.sh bash|zsh" >&2
        exit 2
        ;;
esac

need_tool "$shell" "$shell"
[[ -f $file ]] || fail "${file#"$SRC"/} is missing"
if [[ -f $file ]]; then
        if out=$("$shell" -n "$file" 2>&1) && [[ -z $out ]]; then
                echo "ok: $shell -n ${file#"$SRC"/}"
        else
                fail "$shell -n ${file#"$SRC"/}:"
                printf '%s\n' "$out" >&2
        fi
fi
finish
