#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# machinectl's management verbs on running machines: status (for people and
# --json: the record's fields, the machine's own OS, its console), show
# (-p, --value, --json), kill (--signal, --kill-whom), reboot (exit 133),
# stop (a clean poweroff; and --timeout on an init that ignores it), and
# what they refuse.
. "$(dirname "$0")/lib.sh"

# record_field NAME KEY: a value of the machine's record in /run/berth
# (shell-style quoting, as os-release).
record_field() {
        python3 -c '
import shlex, sys
for line in open(sys.argv[1]):
    key, _, value = line.rstrip("\n").partition("=")
    if key == sys.argv[2]:
        print(shlex.split(value)[0] if value else "")
' "/run/berth/machines/$1" "$2"
}

# json_check JSON PYTHON-EXPRESSION [ARGS…]: the expression, over the parsed
# document `d` and the arguments `a`, is true.
json_check() {
        python3 -c '
import json, sys
d = json.loads(sys.argv[1])
a = sys.argv[3:]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
' "$@"
}

# expect STATUS PATTERN ARGS…: berth ARGS… exits STATUS with one "berth: "
# line on stderr matching PATTERN, and nothing on stdout.
expect() {
        local status=$1 pattern=$2 rc=0
        shift 2
        "$BERTH" "$@" </dev/null >"$WORK/out" 2>"$WORK/err" || rc=$?
        check "berth $* → exit $status (got $rc: $(cat "$WORK/err"))" test "$rc" = "$status"
        check "… one line on stderr, 'berth: …$pattern…'" \
                test "$(wc -l <"$WORK/err")" = 1 -a -n "$(grep -E "^berth: .*$pattern" "$WORK/err")"
        check "… nothing on stdout" test ! -s "$WORK/out"
}

# poll SECONDS CMD…: until CMD succeeds; fails the test after SECONDS.
poll() {
        local limit=$1 i
        shift
        for ((i = 0; i < limit * 10; i++)); do
                "$@" && return 0
                sleep 0.1
        done
        return 1
}

# --- status -------------------------------------------------------------------

m=mg-status
start_machine "$m" -x
wait_running "$m"

console_has_prompt() {
        "$BERTH" status --json "$m" >"$WORK/status.json" &&
                json_check "$(cat "$WORK/status.json")" 'any(l.startswith(a[0]) for l in d[0]["console"])' "$m login:"
}
check "status --json: the console lines come to show the login prompt '$m login:'" poll 60 console_has_prompt

# The machine's own os-release, reached through an absolute symlink that
# means something else on the host: status reads it inside the machine.
in_machine "$m" sh -c 'printf "ID=mgtest\nVERSION_ID=7\nPRETTY_NAME=\"berth manage test OS\"\n" >/usr/lib/os-release-mg &&
        ln -sf /usr/lib/os-release-mg /etc/os-release'
test ! -e /usr/lib/os-release-mg || fail "the host has /usr/lib/os-release-mg: the test can't tell the two apart"

leader=$(leader_of "$m")
supervisor=${SUPERVISOR[$m]}
read -r _ uid_outer uid_count < <(head -n1 "/proc/$leader/uid_map")
"$BERTH" status --json "$m" >"$WORK/status.json"
status=$(cat "$WORK/status.json")
uuid=$(record_field "$m" UUID | tr -d -)
cgroup=$(record_field "$m" CGROUP)
since=$(record_field "$m" SINCE)
leader_cgroup=$(sed -n 's/^0:://p' "/proc/$leader/cgroup")
check "status --json is one array of one object" json_check "$status" 'isinstance(d, list) and len(d) == 1'
check "… machine, id (32 hex digits, the record's UUID)" \
        json_check "$status" 'd[0]["machine"] == a[0] and d[0]["id"] == a[1] and len(a[1]) == 32' "$m" "$uuid"
check "… state running, mode boot, class container, service berth" \
        json_check "$status" 'd[0]["state"] == "running" and d[0]["mode"] == "boot" and
                d[0]["class"] == "container" and d[0]["service"] == "berth"'
check "… since: the record's ($since)" json_check "$status" 'd[0]["since"] == int(a[0])' "$since"
check "… leader $leader, comm systemd" \
        json_check "$status" 'd[0]["leader"] == int(a[0]) and d[0]["leader_comm"] == "systemd"' "$leader"
check "… supervisor $supervisor" json_check "$status" 'd[0]["supervisor"] == int(a[0])' "$supervisor"
check "… root: the record's, ephemeral" \
        json_check "$status" 'd[0]["root"] == a[0] and d[0]["ephemeral"] is True' "$(record_field "$m" ROOT)"
check "… uid_base $uid_outer, uid_count $uid_count: the leader's uid_map" \
        json_check "$status" 'd[0]["uid_base"] == int(a[0]) and d[0]["uid_count"] == int(a[1]) == 65536' \
        "$uid_outer" "$uid_count"
check "… cgroup: the record's, which holds the leader ($leader_cgroup)" \
        json_check "$status" 'd[0]["cgroup"] == a[0] and a[1].startswith(a[0] + "/payload/")' "$cgroup" "$leader_cgroup"
check "… OS: the machine's own os-release, not the tree's" \
        json_check "$status" 'd[0]["os_pretty_name"] == "berth manage test OS" and d[0]["os"] == "mgtest" and
                d[0]["version"] == "7"'
check "… addresses: none yet" json_check "$status" 'd[0]["addresses"] == []'
check "… console: at most 10 lines, the prompt among them" \
        json_check "$status" 'len(d[0]["console"]) <= 10 and any(l.startswith(a[0]) for l in d[0]["console"])' \
        "$m login:"

"$BERTH" status "$m" >"$WORK/status.txt"
has_line() { grep -Eq "$1" "$WORK/status.txt"; }
check "status: first line NAME(ID)" test "$(head -n1 "$WORK/status.txt")" = "$m($uuid)"
check "status: State: running" has_line '^ *State: running$'
check "status: Since: the time and how long ago" has_line '^ *Since: [A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} .*; [0-9].* ago$'
check "status: Leader: $leader (systemd)" has_line "^ *Leader: $leader \\(systemd\\)$"
check "status: Service: berth; class container" has_line '^ *Service: berth; class container$'
check "status: UID Shift" has_line "^ *UID Shift: $uid_outer \\(65536 UIDs\\)$"
check "status: Supervisor: $supervisor" has_line "^ *Supervisor: $supervisor$"
check "status: OS: the machine's" has_line '^ *OS: berth manage test OS$'
check "status: Addresses: -" has_line '^ *Addresses: -$'
check "status: the console's lines, the prompt among them" has_line "^ *(Console: )?$m login:"
check "status: the labels are aligned" \
        test "$(sed -n '2,/Console:/p' "$WORK/status.txt" | grep -o '^ *[A-Za-z ]*:' | awk '{ print length }' | sort -u)" = 11

# --- show ---------------------------------------------------------------------

"$BERTH" show "$m" >"$WORK/show.txt"
prop() { sed -n "s/^$1=//p" "$WORK/show.txt"; }
check "show: Name" test "$(prop Name)" = "$m"
check "show: Id is the UUID as 32 hex digits" test "$(prop Id)" = "$uuid"
check "show: Class, Service, State, Mode" \
        test "$(prop Class) $(prop Service) $(prop State) $(prop Mode)" = "container berth running boot"
check "show: Leader, Supervisor" test "$(prop Leader) $(prop Supervisor)" = "$leader $supervisor"
check "show: RootDirectory" test "$(prop RootDirectory)" = "$(record_field "$m" ROOT)"
check "show: Ephemeral=yes, UIDShift, UIDCount" \
        test "$(prop Ephemeral) $(prop UIDShift) $(prop UIDCount)" = "yes $uid_outer 65536"
check "show: ControlGroup" test "$(prop ControlGroup)" = "$cgroup"
check "show: Timestamp, as machined formats it" \
        test "$(prop Timestamp)" = "$(date -d "@$((since / 1000000))" '+%a %Y-%m-%d %H:%M:%S %Z')"
check "show: every line is Name=value" not grep -qv '^[A-Za-z]*=' "$WORK/show.txt"
check "show -p Name -p State,Leader: those three, in show's order" \
        test "$("$BERTH" show "$m" -p Name -p State,Leader | tr '\n' ' ')" = "Name=$m Leader=$leader State=running "
check "show -p Leader --value: the value alone" test "$("$BERTH" show "$m" -p Leader --value)" = "$leader"
check "show --property=UIDCount --value" test "$("$BERTH" show "$m" --property=UIDCount --value)" = 65536
out=$("$BERTH" show "$m" -p NoSuchProperty)
check "show -p NoSuchProperty: nothing, exit 0" test -z "$out"
show_json=$("$BERTH" show --json "$m")
check "show --json: one object, typed values" \
        json_check "$show_json" 'd["Name"] == a[0] and d["Leader"] == int(a[1]) and d["Ephemeral"] is True and
                d["UIDCount"] == 65536 and d["Timestamp"] == int(a[2]) and d["Id"] == a[3]' \
        "$m" "$leader" "$since" "$uuid"
show_json=$("$BERTH" show --json "$m" -p Name,Leader)
check "show --json -p Name,Leader: those keys only" json_check "$show_json" 'sorted(d) == ["Leader", "Name"]'

# --- kill ---------------------------------------------------------------------

# start_sleeper NAME: a shell that systemd starts in the machine, which notes
# a SIGTERM in /run/mg-sleeper-got and exits; prints its cgroup.procs file on
# the host.
start_sleeper() {
        local name=$1 procs
        # shellcheck disable=SC2016 # for the machine's shell
        in_machine "$name" systemd-run -q --unit=mg-sleeper \
                sh -c 'trap "echo TERM >/run/mg-sleeper-got; exit 0" TERM; while :; do sleep 1; done'
        procs=$CGROUP_UNIFIED$(record_field "$name" CGROUP)/payload/system.slice/mg-sleeper.service/cgroup.procs
        poll 10 grep -q . "$procs" || fail "the sleeper did not start in machine $name's payload cgroup"
        echo "$procs"
}

# systemd raises its log level to debug on SIGRTMIN+22 and restores it on
# SIGRTMIN+23: an observable, harmless signal for the leader alone.
log_level() { in_machine "$m" systemctl show -p LogLevel --value; }
log_level_is() { [[ $(log_level) == "$1" ]]; }
check "systemd's log level is not debug to begin with" not log_level_is debug
sleeper=$(start_sleeper "$m")
"$BERTH" kill "$m" --signal=RTMIN+22 --kill-whom=leader
check "kill --signal=RTMIN+22 --kill-whom=leader reaches systemd: log level debug" poll 10 log_level_is debug
rtmin23=$(kill -l SIGRTMIN+23)
"$BERTH" kill -s "$rtmin23" --kill-whom=leader "$m"
check "kill -s $rtmin23 (SIGRTMIN+23) --kill-whom=leader: log level no longer debug" poll 10 not log_level_is debug
"$BERTH" kill --kill-whom=leader -s sigrtmin+22 "$m"
check "kill -s sigrtmin+22 --kill-whom=leader: debug again" poll 10 log_level_is debug
check "… and no other process got them: the sleeper runs" grep -q . "$sleeper"
rc=0
"$BERTH" kill "$m" --signal=SIGCONT --kill-whom=all || rc=$?
check "kill --signal=SIGCONT --kill-whom=all (harmless to all): exit 0 (got $rc)" test "$rc" = 0
check "… the sleeper still runs" grep -q . "$sleeper"
check "… and so does the machine" test "$(machine_field "$m" state)" = running

# SIGTERM to every process of a systemd machine leaves it running (PID 1
# re-executes, services restart) but unsettled: on a machine of its own.
start_machine mg-kill -x
wait_running mg-kill
kill_leader=$(leader_of mg-kill)
sleeper=$(start_sleeper mg-kill)
"$BERTH" kill mg-kill
check "kill with the defaults (SIGTERM, all) ends processes other than the leader" poll 10 not grep -q . "$sleeper"
check "… with SIGTERM" test "$(in_machine mg-kill cat /run/mg-sleeper-got)" = TERM
check "… the machine still runs, with the same leader (systemd re-executes on SIGTERM)" \
        test "$(machine_field mg-kill state) $(leader_of mg-kill)" = "running $kill_leader"
"$BERTH" terminate mg-kill
wait_supervisor mg-kill
check "… (then terminated: exit 137, got $RC)" test "$RC" = 137

# --- reboot -------------------------------------------------------------------

"$BERTH" reboot "$m"
wait_supervisor "$m"
check "reboot: the supervisor exits 133 (got $RC)" test "$RC" = 133
check "… after a shutdown inside" grep -q "Rebooting" "$WORK/$m.console"
check "… and the machine is gone" test -z "$(machine_field "$m" machine)"

# --- stop ---------------------------------------------------------------------

start_machine mg-stop -x
wait_running mg-stop
rc=0
"$BERTH" stop mg-stop 2>"$WORK/err" || rc=$?
check "stop: exit 0 (got $rc)" test "$rc" = 0
check "… quietly" test ! -s "$WORK/err"
check "… and once it returns, the machine is not listed" test -z "$(machine_field mg-stop machine)"
check "… nor is its record there" test ! -e /run/berth/machines/mg-stop
wait_supervisor mg-stop
check "… it was a poweroff: the supervisor exits 0 (got $RC)" test "$RC" = 0
check "… through a real shutdown" grep -q "Powering off" "$WORK/mg-stop.console"

# An init that ignores the poweroff request: /bin/sleep as PID 1.
start_machine mg-stubborn -x -- /bin/sleep 600
wait_state mg-stubborn starting
rc=0
start=$(date +%s%N)
"$BERTH" stop mg-stubborn --timeout=2s 2>"$WORK/err" || rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "stop --timeout=2s of an init that ignores poweroff: exit 0 once terminated (got $rc)" test "$rc" = 0
check "… after the timeout (${elapsed_ms} ms)" test "$elapsed_ms" -ge 2000
check "… saying so: $(cat "$WORK/err")" grep -q "^berth: Machine 'mg-stubborn' did not power off within 2" "$WORK/err"
check "… and it is gone" test -z "$(machine_field mg-stubborn machine)"
wait_supervisor mg-stubborn
check "… killed: init died of SIGKILL, exit 137 (got $RC)" test "$RC" = 137

# --- what the verbs refuse --------------------------------------------------------

for verb in status show reboot kill stop; do
        expect 1 "Machine 'mg-nosuch' is not running" "$verb" mg-nosuch
done
expect 1 "Machine 'mg-nosuch' is not running" status --json mg-nosuch
expect 1 "Machine 'mg-nosuch' is not running" stop --timeout=infinity mg-nosuch

"$BERTH" run -q -x -D "$TREE" -M mg-runner sleep 600 </dev/null &
runner=$!
STARTED+=("$runner")
runner_is_running() { [[ $(machine_field mg-runner state) == running ]]; }
check "a berth run machine comes up" poll 30 runner_is_running
runner_status=$("$BERTH" status --json mg-runner)
check "status of a berth run machine (its console a pipe): mode run, no console lines" \
        json_check "$runner_status" 'd[0]["mode"] == "run" and d[0]["console"] == []'
check "… and for people: 'Console: -'" grep -Eq '^ *Console: -$' <("$BERTH" status mg-runner)
expect 2 "Invalid value 'SIGFOO' for --signal" kill mg-runner --signal=SIGFOO
expect 2 "Invalid value '0' for --signal" kill mg-runner --signal=0
expect 2 "Invalid value 'RTMIN\+99' for --signal" kill mg-runner --signal=RTMIN+99
expect 2 "Invalid value 'some' for --kill-whom" kill mg-runner --kill-whom=some
expect 2 "Invalid value 'abc' for --timeout" stop mg-runner --timeout=abc
expect 2 "Unknown option '--signal=TERM' for 'berth stop'" stop mg-runner --signal=TERM
expect 2 "takes one machine name" show mg-runner mg-runner
expect 2 "needs at least one machine name" status
expect 1 "Machine 'mg-runner' runs a command, not an init: it can't be rebooted" reboot mg-runner
check "… and it still runs" test "$(machine_field mg-runner state)" = running
rc=0
"$BERTH" stop mg-runner || rc=$?
check "stop of a berth run machine: exit 0 (got $rc)" test "$rc" = 0
rc=0
wait "$runner" || rc=$?
check "… its command was stopped (137, got $rc)" test "$rc" = 137
