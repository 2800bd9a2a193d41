#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The command line: help for every verb, and bad usage refused with exit
# status 2 and one "berth: " line, before anything on the host is touched.
# Needs no privileges. $BERTH is the binary under test.

set -u

: "${BERTH:?BERTH must name the berth binary}"
# Plain "berth: " lines, whatever the caller's environment.
unset JOURNAL_STREAM BERTH_LOG_LEVEL

tmp=$(mktemp -d /tmp/berth-test-cli.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
# Given before a bad option, so that a bad value wrongly taken would fail
# on a tree that isn't there rather than start a machine.
missing="$tmp/no-such-tree"

n=0
failed=0

ok() {
        n=$((n + 1))
        echo "ok $n - $1"
}

not_ok() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
        shift
        local line
        for line in "$@"; do
                echo "#   $line"
        done
}

# Runs berth with the given arguments, into $tmp/out, $tmp/err and $rc.
run() {
        timeout 20 "$BERTH" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
        rc=$?
}

show() {
        printf '%q ' berth "$@"
}

expect_success() {
        local what
        what=$(show "$@")
        run "$@"
        if [ "$rc" -ne 0 ]; then
                not_ok "$what exits 0" "exit status $rc" "stderr: $(head -c 500 "$tmp/err")"
        elif [ -s "$tmp/err" ]; then
                not_ok "$what writes nothing to stderr" "stderr: $(head -c 500 "$tmp/err")"
        else
                ok "$what"
        fi
}

# Bad usage: exit status 2, exactly one line on stderr starting with
# "berth: ", nothing on stdout.
expect_usage_error() {
        local what lines
        what=$(show "$@")
        run "$@"
        lines=$(wc -l <"$tmp/err")
        if [ "$rc" -ne 2 ]; then
                not_ok "$what exits 2" "exit status $rc" "stderr: $(head -c 500 "$tmp/err")"
        elif [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$tmp/err" | od -An -c | tr -d ' ')" != '\n' ]; then
                not_ok "$what writes one line to stderr" "stderr: $(head -c 500 "$tmp/err")"
        elif ! head -n 1 "$tmp/err" | grep -q '^berth: .'; then
                not_ok "$what writes a 'berth: ' line" "stderr: $(head -c 500 "$tmp/err")"
        elif [ -s "$tmp/out" ]; then
                not_ok "$what writes nothing to stdout" "stdout: $(head -c 500 "$tmp/out")"
        else
                ok "$what: $(head -n 1 "$tmp/err")"
        fi
}

# The same, and the message names what was wrong, quoted: one of the
# '|'-separated needles must be in it.
expect_usage_error_naming() {
        local needles=$1 needle found=false
        shift
        expect_usage_error "$@"
        [ "$rc" -eq 2 ] || return
        IFS='|' read -ra needles <<<"$needles"
        for needle in "${needles[@]}"; do
                if grep -qF -- "'$needle'" "$tmp/err"; then
                        found=true
                fi
        done
        if ! $found; then
                not_ok "$(show "$@") names '${needles[*]}' in its message" "stderr: $(head -c 500 "$tmp/err")"
        fi
}

# --help and --version.
expect_success --help
if ! grep -q '^berth ' "$tmp/out" || ! grep -q '^Verbs:' "$tmp/out"; then
        not_ok "berth --help shows a usage line and the verbs" "stdout: $(head -c 500 "$tmp/out")"
fi
mapfile -t verbs < <(sed -n '/^Verbs:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}' "$tmp/out")
if [ "${#verbs[@]}" -lt 5 ]; then
        not_ok "berth --help lists the verbs" "found: ${verbs[*]:-none}"
fi
expect_success -h

expect_success --version
if ! grep -qx 'berth [0-9][0-9.a-z~+-]*' "$tmp/out"; then
        not_ok "berth --version prints 'berth VERSION'" "stdout: $(cat "$tmp/out")"
else
        ok "berth --version prints '$(cat "$tmp/out")'"
fi

# Each verb's help: exit 0, a usage line first.
for verb in "${verbs[@]}"; do
        for opt in --help -h; do
                expect_success "$verb" "$opt"
                first=$(head -n 1 "$tmp/out")
                case "$first" in
                "berth $verb" | "berth $verb "*)
                        ok "berth $verb $opt starts with a usage line: $first" ;;
                *)
                        not_ok "berth $verb $opt starts with a usage line 'berth $verb …'" "first line: $first" ;;
                esac
        done
done

# Bad usage of berth itself.
expect_usage_error
expect_usage_error bogus-verb
expect_usage_error --bogus
expect_usage_error ""

# Unknown options and missing values, for every verb.
for verb in "${verbs[@]}"; do
        expect_usage_error "$verb" --bogus
        expect_usage_error "$verb" -9
done
expect_usage_error list extra-argument
expect_usage_error poweroff
expect_usage_error terminate
expect_usage_error poweroff --json web

for verb in boot run; do
        expect_usage_error "$verb" -D "$missing" --timeout
        expect_usage_error "$verb" -D "$missing" -M
        expect_usage_error "$verb" -D "$missing" --private-users
        expect_usage_error "$verb" -D "$missing" --bind
        expect_usage_error "$verb" -D
done

# Values that can never be right.
name65=$(printf 'a%.0s' {1..65})
bad_values=(
        --private-users=xyz
        --private-users=1:0
        --private-users=-1
        --private-users-ownership=bogus
        --console=foo
        --timeout=abc
        --timeout=0
        --timeout=-5
        --uuid=zz
        --uuid=00000000-0000-0000-0000-000000000000
        --bind=relative
        --bind=/a:relative
        --bind=/a:/b:bogus
        --bind-ro=relative
        --tmpfs=relative
        --tmpfs=/a/../b
        --notify-ready=maybe
        --chdir=relative
        --hostname=-bad
        --hostname=a..b
        "-M ../x"
        "-M a/b"
        "-M $name65"
        "-M .hidden"
        "-E =x"
        "-E NOVALUE"
        "--setenv=1A=x"
)
for verb in boot run; do
        for v in "${bad_values[@]}"; do
                # shellcheck disable=SC2086 # split "-M ../x" into option and value
                expect_usage_error "$verb" -D "$missing" $v
        done
done
# The message names the offending option, also in a group of short options
# and when the option has a separate value.
expect_usage_error_naming --bogus list --bogus
expect_usage_error_naming -9 list -9
expect_usage_error_naming -9 list -9h
expect_usage_error_naming -9 boot -D "$missing" -9q
expect_usage_error_naming --timeout run -D "$missing" --timeout
expect_usage_error_naming -M run -D "$missing" -M
expect_usage_error_naming xyz run -D "$missing" --private-users=xyz
expect_usage_error_naming '-u|--user' boot -D "$missing" -u root
expect_usage_error_naming '-u|--user' boot -D "$missing" --user=root
expect_usage_error_naming '-M|--machine' boot -D "$missing" --machine

expect_usage_error boot -D "$missing" -u root
expect_usage_error boot -D "$missing" --as-pid2
expect_usage_error run -D "$missing" --as-pid2

echo "1..$n"
[ "$failed" -eq 0 ]
