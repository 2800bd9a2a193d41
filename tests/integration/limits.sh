#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resource limits are enforced for real, where the host keeps its
# controllers (the v1 hierarchies on a hybrid host like CI's, cgroup2
# elsewhere): a process that allocates beyond MemoryMax= is OOM-killed
# inside the machine while the machine goes on; TasksMax= stops a fork bomb;
# `berth set-property` changes limits of a running machine; `berth status`
# and `berth show` read them back with the usage; bad values fail before the
# machine starts.
. "$(dirname "$0")/lib.sh"

# The machine's cgroup where the memory controller is, from its record.
memory_cgroup() {
        local v1
        v1=$(sed -n 's|^CGROUP_V1=\(/sys/fs/cgroup/memory/.*\)|\1|p' "/run/berth/machines/$1")
        if [[ -n $v1 ]]; then
                echo "$v1"
        else
                echo "$CGROUP_UNIFIED$(sed -n 's/^CGROUP=//p' "/run/berth/machines/$1")/payload"
        fi
}

oom_kills() {
        local dir
        dir=$(memory_cgroup "$1")
        if [[ -f $dir/memory.oom_control ]]; then
                awk '$1 == "oom_kill" { print $2 }' "$dir/memory.oom_control"
        else
                awk '$1 == "oom_kill" { print $2 }' "$dir/memory.events"
        fi
}

# How often the pids controller refused a fork in the machine's cgroup.
fork_refusals() {
        local v1
        v1=$(sed -n 's|^CGROUP_V1=\(/sys/fs/cgroup/pids/.*\)|\1|p' "/run/berth/machines/$1")
        awk '$1 == "max" { print $2 }' "${v1:-$CGROUP_UNIFIED$(sed -n 's/^CGROUP=//p' "/run/berth/machines/$1")/payload}/pids.events"
}

# --- berth run: the command itself is limited --------------------------------
rc=0
"$BERTH" run -q -x -D "$TREE" -M lim-run --property=MemoryMax=64M -- \
        dd if=/dev/zero of=/dev/null bs=200M count=1 </dev/null >/dev/null 2>&1 || rc=$?
check "run --property=MemoryMax=64M: dd with a 200 MB buffer is OOM-killed (137, got $rc)" test "$rc" = 137
rc=0
"$BERTH" run -q -x -D "$TREE" -M lim-run --property=MemoryMax=300M -- \
        dd if=/dev/zero of=/dev/null bs=200M count=1 </dev/null >/dev/null 2>&1 || rc=$?
check "… and gets its 200 MB under MemoryMax=300M (0, got $rc)" test "$rc" = 0

# --- A booted machine ------------------------------------------------------------
start_machine lim -x --property=MemoryMax=64M --property=TasksMax=60 --property=CPUWeight=50
wait_running lim

show=$("$BERTH" show lim)
check "show reads MemoryMax back: $(grep MemoryMax= <<<"$show")" grep -qx 'MemoryMax=67108864' <<<"$show"
check "show reads TasksMax back" grep -qx 'TasksMax=60' <<<"$show"
check "show reads CPUWeight back" grep -qx 'CPUWeight=50' <<<"$show"
check "show has the memory in use" grep -qE '^MemoryCurrent=[1-9][0-9]*$' <<<"$show"
check "show has the tasks in use" grep -qE '^TasksCurrent=[1-9][0-9]*$' <<<"$show"
status=$("$BERTH" status lim)
check "status shows memory use and limit: $(grep Memory: <<<"$status")" \
        grep -qE 'Memory: [0-9.]+[BKMG] \(max: 64\.0M\)' <<<"$status"
check "status shows tasks and their limit: $(grep Tasks: <<<"$status")" \
        grep -qE 'Tasks: [0-9]+ \(limit: 60\)' <<<"$status"
json=$("$BERTH" status --json lim)
check "status --json has memory_max and tasks_max as numbers" python3 -c '
import json, sys
m = json.loads(sys.argv[1])[0]
assert m["memory_max"] == 64 << 20 and m["tasks_max"] == 60 and m["cpu_weight"] == 50, m
assert isinstance(m["memory_current"], int) and m["memory_current"] > 0, m
' "$json"

# Memory: the hog dies, the machine and its init go on.
before=$(oom_kills lim)
rc=0
"$BERTH" shell lim /bin/dd if=/dev/zero of=/dev/null bs=200M count=1 </dev/null >/dev/null 2>&1 || rc=$?
check "in the machine, dd with a 200 MB buffer under MemoryMax=64M dies of SIGKILL (137, got $rc)" test "$rc" = 137
check "… killed by the OOM killer of the machine's cgroup ($before → $(oom_kills lim) kills)" \
        test "$(oom_kills lim)" -gt "$before"
check "… while the machine goes on" test "$("$BERTH" shell lim /bin/systemctl is-system-running)" = running

# Tasks: a fork bomb (bounded, and short-lived) hits the limit.
rc=0
# shellcheck disable=SC2016 # expanded by the machine's shell
out=$("$BERTH" shell lim /bin/sh -c 'for i in $(seq 200); do sleep 3 & done; wait' 2>&1 </dev/null) || rc=$?
check "in the machine, 200 background processes under TasksMax=60 fail to fork (rc $rc: $out)" \
        grep -q "Cannot fork" <<<"$out"
check "… refused by the pids controller of the machine's cgroup ($(fork_refusals lim) refusals)" \
        test "$(fork_refusals lim)" -gt 0
for ((i = 0; i < 100; i++)); do
        (($("$BERTH" show lim -p TasksCurrent --value) < 30)) && break
        sleep 0.1
done
check "… and goes on once they are gone" test "$("$BERTH" shell lim /bin/systemctl is-system-running)" = running

# set-property on the running machine.
"$BERTH" set-property lim MemoryMax=96M CPUQuota=50% TasksMax=infinity
check "set-property MemoryMax=96M is in force" test "$("$BERTH" show lim -p MemoryMax --value)" = 100663296
check "set-property CPUQuota=50% is in force" test "$("$BERTH" show lim -p CPUQuota --value)" = 50%
check "set-property TasksMax=infinity is in force" test "$("$BERTH" show lim -p TasksMax --value)" = infinity
rc=0
"$BERTH" shell lim /bin/dd if=/dev/zero of=/dev/null bs=80M count=1 </dev/null >/dev/null 2>&1 || rc=$?
check "… an 80 MB buffer fits under the new MemoryMax=96M (0, got $rc)" test "$rc" = 0

rc=0; out=$("$BERTH" set-property lim MemoryMax=lots 2>&1) || rc=$?
check "set-property with a bad value exits 2 (got $rc)" test "$rc" = 2
check "… with one line naming it: $out" test "$(wc -l <<<"$out")" = 1 -a -n "$(grep -F "MemoryMax=lots" <<<"$out")"
rc=0; out=$("$BERTH" set-property no-such-machine MemoryMax=1G 2>&1) || rc=$?
check "set-property on a machine that is not running exits 1 (got $rc): $out" test "$rc" = 1
check "… saying so" grep -q "not running" <<<"$out"

"$BERTH" poweroff lim
wait_supervisor lim
check "the limited machine powers off cleanly (got $RC)" test "$RC" = 0

# --- Bad values fail before anything starts ----------------------------------------
for bad in MemoryMax=64MB MemoryMax=0 CPUWeight=0 CPUQuota=50 TasksMax=-1 Memory=1G IOWeight=10001; do
        rc=0; out=$("$BERTH" boot -q -D "$TREE" -M lim-bad --property="$bad" </dev/null 2>&1) || rc=$?
        check "--property=$bad exits 2 (got $rc)" test "$rc" = 2
        check "… with one line naming it: $out" test "$(wc -l <<<"$out")" = 1 -a -n "$(grep -F -- "$bad" <<<"$out")"
done
