#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth as debci's backend, end to end, on one host standing in for a farm:
# Debian's RabbitMQ on loopback (our own node, data and ports), the real
# debci-collector, two real `debci worker --backend berth` (two "hosts")
# and `debci enqueue` of four real Debian source packages whose
# autopkgtests run in berth machines (autopkgtest-virt-berth, the host's
# network: apt in them reaches Debian's archive, nothing else). All four
# results arrive as pass with their logs. Then a worker is SIGKILLed in the
# middle of a job: its machine leaves nothing behind (the next berth command
# cleans up), RabbitMQ redelivers the job and the other worker finishes it.
#
# The testbed image is built by the backend's create-testbed (debci setup)
# with berth create from machines/debian-bookworm-farm.conf, and kept in
# /var/cache/berth-tests (keyed on the definition and the backend, rebuilt
# after a week so that its apt lists stay fresh); a cached one is imported
# into the store for the run. debci runs from a private copy of its
# installation with the backend of this checkout in it, and keeps its
# state in $WORK.
. "$(dirname "$0")/lib.sh"

for p in /usr/lib/rabbitmq/bin/rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmqctl epmd \
        /usr/share/debci/bin/debci-worker /usr/share/debci/bin/debci-collector \
        /usr/share/debci/bin/debci-enqueue autopkgtest amqp-consume; do
        command -v "$p" >/dev/null || skip "$p is missing (rabbitmq-server, debci, debci-worker, debci-collector, autopkgtest, amqp-tools)"
done
virt=$BERTH_SRC/farm/autopkgtest-virt-berth
[[ -x $virt ]] || fail "$virt is missing"

ARCH=$(dpkg --print-architecture)
SUITE=bookworm
PREFIX=berthtest-debci         # the image's and the machines' names start so
IMAGE=$PREFIX-$SUITE-$ARCH
PACKAGES=(hello sed gzip less) # small, with tests that need no build
CACHE=${BERTH_TEST_CACHE:-/var/cache/berth-tests}
DEFINITION=$BERTH_SRC/machines/debian-bookworm-farm.conf
BACKEND=$BERTH_SRC/farm/debci/backends/berth
declare -A WORKER=() # name → PID (and process group: setsid)
RABBIT='' COLLECTOR='' EPMD=''

# berth and the virtualisation server under test, as debci finds them.
mkdir -p "$WORK/bin"
ln -s "$BERTH" "$WORK/bin/berth"
ln -s "$virt" "$WORK/bin/autopkgtest-virt-berth"
export PATH=$WORK/bin:$PATH

# --- stopping what we start (on every exit, before lib.sh's leak check) ---

# group_alive PGID: a process of the group is still there (not a zombie).
group_alive() {
        ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
# stop_group PID: SIGTERM to the process group PID leads, SIGKILL after
# 60 s; waits until it is gone.
stop_group() {
        local pgid=$1 i
        [[ -n $pgid ]] || return 0
        kill -TERM -- "-$pgid" 2>/dev/null || true
        for ((i = 0; i < 600; i++)); do
                group_alive "$pgid" || break
                sleep 0.1
        done
        kill -KILL -- "-$pgid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
                group_alive "$pgid" || break
                sleep 0.1
        done
        wait "$pgid" 2>/dev/null || true
}
# our_machines: the names of running machines of this test.
our_machines() {
        "$BERTH" list --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["machine"].startswith(sys.argv[1] + "-"):
        print(m["machine"])
' "$PREFIX"
}
teardown() {
        local n i
        for n in "${!WORKER[@]}"; do
                stop_group "${WORKER[$n]}"
        done
        # The machines die with their workers; berth list cleans up after them.
        for ((i = 0; i < 600; i++)); do
                [[ -z $(our_machines) ]] && break
                sleep 0.1
        done
        stop_group "$COLLECTOR"
        stop_group "$RABBIT"
        if [[ -n $EPMD ]]; then
                kill "$EPMD" 2>/dev/null || true
                wait "$EPMD" 2>/dev/null || true
        fi
        "$BERTH" remove "$IMAGE" "$IMAGE.new" >/dev/null 2>&1 || true
}
on_exit teardown
# What a killed run of this test left.
"$BERTH" remove "$IMAGE" "$IMAGE.new" >/dev/null 2>&1 || true

# --- RabbitMQ: a node of our own on loopback ---

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
R=$WORK/rabbitmq
mkdir -p "$R/home" "$R/mnesia" "$R/log"
echo '[].' >"$R/enabled_plugins"
: >"$R/rabbitmq-env.conf"
AMQP_PORT=$(free_port)
AMQP=amqp://127.0.0.1:$AMQP_PORT
# The node, and rabbitmqctl's, in our directory; their Erlang distribution on
# loopback, with a port mapper (epmd) of our own.
EPMD_PORT=$(free_port)
RABBIT_ENV=(
        HOME="$R/home" ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
        RABBITMQ_NODENAME="berth-debci-$$@localhost" RABBITMQ_CONF_ENV_FILE="$R/rabbitmq-env.conf"
        RABBITMQ_CONFIG_FILE="$R/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$R/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$R/mnesia" RABBITMQ_LOG_BASE="$R/log" RABBITMQ_PID_FILE="$R/pid"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT="$(free_port)"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
        RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
)
epmd -address 127.0.0.1 -port "$EPMD_PORT" &
EPMD=$!
env "${RABBIT_ENV[@]}" setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$R/server.log" 2>&1 &
RABBIT=$!
rabbitmqctl() { env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl "$@"; }
for ((i = 0; i < 600; i++)); do
        rabbitmqctl -q await_startup >/dev/null 2>&1 && break
        alive "$RABBIT" || { cat "$R/server.log" >&2; fail "rabbitmq-server ended"; }
        sleep 0.5
done
check "rabbitmq-server is up, on loopback only" \
        test "$(ss -Hltn "sport = :$AMQP_PORT" | awk '{ print $4 }')" = "127.0.0.1:$AMQP_PORT"

# --- debci: its programs, with the backend of this checkout ---

D=$WORK/debci
cp -a /usr/share/debci "$D"
# Its links into the host's /etc/debci, /var/lib/debci, /var/log/debci:
# ours instead.
rm -f "$D/config" "$D/data" "$D/log" "$D/chroots"
mkdir -p "$D/config" "$D/data" "$D/log" "$D/lock"
cp -a "$BACKEND" "$D/backends/berth"
cat >"$D/config/debci.conf" <<EOF
debci_suite=$SUITE
debci_arch=$ARCH
debci_backend=berth
debci_data_basedir=$D/data
debci_lock_dir=$D/lock
debci_amqp_server=$AMQP
debci_berth_prefix=$PREFIX
debci_berth_definition=$DEFINITION
EOF
export debci_config_dir=$D/config
debci() { "$D/bin/debci" "$@"; }
debci migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "debci migrate"; }

# --- the testbed image ---

key=$(cat "$DEFINITION" "$BACKEND"/* | sha256sum | cut -c1-16)
cached=$CACHE/debci-testbed-$SUITE-$ARCH-$key
mkdir -p "$CACHE"
chmod 0700 "$CACHE"
exec 8>"$CACHE/.debci-testbed.lock"
flock 8
if [[ -d $cached && -n $(find "$cached" -maxdepth 0 -mtime -7) ]]; then
        check "the cached testbed is imported as $IMAGE" \
                "$BERTH" import-fs "$cached" "$IMAGE" --read-only
else
        # The backend's create-testbed, as debci's update of a worker runs it.
        debci setup >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; fail "debci setup"; }
        check "debci setup (create-testbed) made the image $IMAGE" test "$(image_json "$IMAGE" name)" = "$IMAGE"
        check "… read-only" test "$(image_json "$IMAGE" ro)" = True
        check "… with deb-src lines" grep -q '^deb-src ' "$(image_json "$IMAGE" path)/etc/apt/sources.list"
        check "… and the user debci" grep -q '^debci:' "$(image_json "$IMAGE" path)/etc/passwd"
        check "… and nothing else in the store" test -z "$(image_json "$IMAGE.new" name)"
        rm -rf --one-file-system "$CACHE/.building-debci-testbed" "$CACHE/debci-testbed-$SUITE-$ARCH"-*
        cp -a "$(image_json "$IMAGE" path)" "$CACHE/.building-debci-testbed"
        mv "$CACHE/.building-debci-testbed" "$cached"
fi
exec 8>&-

# --- the collector and two workers ---

setsid "$D/bin/debci" collector >"$WORK/collector.log" 2>&1 &
COLLECTOR=$!
start_worker() {
        mkdir -p "$WORK/tmp-$1"
        TMPDIR=$WORK/tmp-$1 setsid "$D/bin/debci" worker --backend berth >"$WORK/worker-$1.log" 2>&1 &
        WORKER[$1]=$!
}
start_worker a
start_worker b
QUEUE=debci-tests-$ARCH-berth
# consumers QUEUE: how many consume from QUEUE.
consumers() {
        rabbitmqctl -q list_queues name consumers 2>/dev/null | awk -v q="$1" '$1 == q { print $2 }'
}
for ((i = 0; i < 600; i++)); do
        [[ $(consumers "$QUEUE") == 2 && $(consumers debci_results) == 1 ]] && break
        sleep 0.5
done
check "both workers consume from $QUEUE, the collector from debci_results" \
        test "$(consumers "$QUEUE"):$(consumers debci_results)" = 2:1

# --- four packages ---

# debci_jobs: one line per job in debci's database: RUN-ID PACKAGE STATUS.
debci_jobs() {
        python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for run_id, name, status in db.execute(
        "SELECT j.run_id, p.name, j.status FROM jobs j JOIN packages p ON p.id = j.package_id ORDER BY j.run_id"):
    print(run_id, name, status or "-")
' "$D/data/debci.sqlite3"
}
# wait_results N: until N jobs have a result (20 min at most).
wait_results() {
        local i
        for ((i = 0; i < 1200; i++)); do
                (($(debci_jobs | awk '$3 != "-"' | wc -l) >= $1)) && return 0
                group_alive "$COLLECTOR" || fail "the collector ended"
                sleep 1
        done
        debci_jobs >&2
        tail -n 20 "$WORK"/worker-*.log "$WORK/collector.log" >&2
        fail "only $(debci_jobs | awk '$3 != "-"' | wc -l) of $1 results arrived"
}
# check_result RUN-ID PACKAGE: the job passed, and its log is there: the
# summary of autopkgtest names each test as passed.
check_result() {
        local id=$1 pkg=$2 log summary
        log=$D/data/autopkgtest/$SUITE/$ARCH/${pkg:0:1}/$pkg/$id/log.gz
        if [[ $(debci_jobs | awk -v id="$id" '$1 == id { print $2, $3 }') != "$pkg pass" ]]; then
                echo "--- the end of job $id's log:" >&2
                zcat "$log" | tail -n 40 >&2 || true
        fi
        check "$pkg (job $id): pass" test "$(debci_jobs | awk -v id="$id" '$1 == id { print $2, $3 }')" = "$pkg pass"
        check "… its log is there" test -s "$log"
        summary=$(zcat "$log" | sed -n '/@@@@@@@@@@@@@@@@@@@@ summary/,$p' | sed 1d)
        check "… and says its tests passed: ${summary//$'\n'/, }" \
                test -n "$summary" -a "$(grep -vc ' PASS' <<<"$summary")" = 0
}
# started WORKER: the packages the worker has started, a line each.
started() {
        sed -n "s|^\([^ ]*\) $SUITE/$ARCH/berth started$|\1|p" "$WORK/worker-$1.log"
}

debci enqueue "${PACKAGES[@]}" >"$WORK/enqueue.log" 2>&1 || { cat "$WORK/enqueue.log" >&2; fail "debci enqueue"; }
wait_results ${#PACKAGES[@]}
for ((i = 0; i < ${#PACKAGES[@]}; i++)); do
        check_result $((i + 1)) "${PACKAGES[i]}"
done
check "worker a ran tests ($(started a | xargs))" test -n "$(started a)"
check "worker b ran tests ($(started b | xargs))" test -n "$(started b)"

# --- a worker SIGKILLed in the middle of a job ---

# worker_of PID: the worker whose process tree PID is in.
worker_of() {
        local pid=$1 n
        while ((pid > 1)); do
                for n in "${!WORKER[@]}"; do
                        if [[ ${WORKER[$n]} == "$pid" ]]; then
                                echo "$n"
                                return 0
                        fi
                done
                pid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
                [[ -n $pid ]] || return 1
        done
        return 1
}
# running_testbed: "WORKER MACHINE LEADER" of a running machine of ours,
# whose worker is found among its leader's ancestors.
running_testbed() {
        local m leader w
        while read -r m leader; do
                if w=$(worker_of "$leader"); then
                        echo "$w $m $leader"
                        return 0
                fi
        done < <("$BERTH" list --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["machine"].startswith(sys.argv[1] + "-") and m["state"] == "running" and m.get("leader"):
        print(m["machine"], m["leader"])
' "$PREFIX")
        return 1
}

pkg=hello
declare -A before=([a]=$(started a | wc -l) [b]=$(started b | wc -l))
debci enqueue "$pkg" >>"$WORK/enqueue.log" 2>&1 || { cat "$WORK/enqueue.log" >&2; fail "debci enqueue"; }
id=$((${#PACKAGES[@]} + 1))
found=
for ((i = 0; i < 1200; i++)); do
        found=$(running_testbed) && break
        # (Never seen running: the test fails, it does not wait on.)
        [[ $(debci_jobs | awk -v id="$id" '$1 == id { print $3 }') == - ]] || break
        sleep 0.5
done
[[ -n $found ]] || fail "no testbed of a worker was seen running for $pkg ($(debci_jobs | tail -n 1))"
read -r victim machine leader <<<"$found"
pgid=${WORKER[$victim]}
kill -KILL -- "-$pgid"
{ wait "$pgid" || true; } 2>/dev/null
unset "WORKER[$victim]"
[[ $victim == a ]] && other=b || other=a
check "worker $victim was running $pkg, in the machine $machine" \
        test "$(started "$victim" | tail -n +$((before[$victim] + 1)) | xargs)" = "$pkg"
for ((i = 0; i < 300; i++)); do
        group_alive "$pgid" || break
        sleep 0.1
done
check "worker $victim's processes are all gone" not group_alive "$pgid"
wait_dead "$leader"
check "… and the machine's init ($leader) with them" not alive "$leader"
# The next berth command (here: list) removes what the machine left.
for ((i = 0; i < 600; i++)); do
        [[ -z $(machine_field "$machine" machine) ]] && break
        sleep 0.1
done
check "berth list does not show $machine any more" test -z "$(machine_field "$machine" machine)"
check "… its record is gone" test ! -e "/run/berth/machines/$machine"
# (the cgroup's and mounts' names may escape the "-": the random end only)
check "… its cgroups are gone" test -z "$(find /sys/fs/cgroup -name "*${machine##*-}*" 2>/dev/null)"
check "… and no mount names it" not grep -qF "${machine##*-}" /proc/self/mountinfo

wait_results "$id"
check "worker $other ran $pkg after that (redelivered)" \
        test "$(started "$other" | tail -n +$((before[$other] + 1)) | xargs)" = "$pkg"
check_result "$id" "$pkg"
check "the collector got one result of job $id, no other" \
        test "$(grep -c "^$pkg $SUITE/$ARCH " "$WORK/collector.log")" = 2
check "… and there are no other jobs" test "$(debci_jobs | wc -l)" = "$id"
# teardown stops the rest; lib.sh checks that nothing leaked.
