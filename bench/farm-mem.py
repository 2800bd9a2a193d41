#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# What each additional booted machine costs the host: drops the page cache,
# reads /proc/meminfo, boots N machines at once (COMMAND… with {i} replaced
# by 0…N-1, each with a NOTIFY_SOCKET of its own), waits until every one
# reported READY=1, lets them settle, reads /proc/meminfo again, and stops
# them all with SIGTERM (an orderly shutdown for berth and systemd-nspawn).
#
#   farm-mem.py N COMMAND…
#
# Prints one line: N, how many were ready, and the kB of MemAvailable,
# MemFree and Cached before minus after (what the machines took). Exits 1
# when a machine did not reach READY=1 or did not stop by itself.
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 300


def meminfo():
    with open("/proc/meminfo") as f:
        return {line.split(":")[0]: int(line.split()[1]) for line in f}


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    time.sleep(2)


def start(argv, i, d):
    path = os.path.join(d, f"notify{i}")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    log = open(os.path.join(d, f"log{i}"), "w")
    p = subprocess.Popen([a.replace("{i}", str(i)) for a in argv],
                         env=dict(os.environ, NOTIFY_SOCKET=path),
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    return p, s


def wait_ready(machines):
    """Returns the indices of the machines that reported READY=1."""
    pending = dict(enumerate(machines))
    ready = set()
    deadline = time.monotonic() + TIMEOUT
    while pending and time.monotonic() < deadline:
        socks = {m[1]: i for i, m in pending.items()}
        r, _, _ = select.select(list(socks), [], [], 0.5)
        for s in r:
            i = socks[s]
            if "READY=1" in s.recv(4096).decode(errors="replace").split("\n"):
                ready.add(i)
                del pending[i]
        for i in [i for i, m in pending.items() if m[0].poll() is not None]:
            del pending[i]
    return ready


def stop(machines):
    """SIGTERM to all, then the end of each; True if all stopped by themselves."""
    ok = True
    for p, _ in machines:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p, _ in machines:
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            ok = False
            p.kill()
            p.wait()
    return ok


def main():
    n, argv = int(sys.argv[1]), sys.argv[2:]
    d = tempfile.mkdtemp(prefix="berth-bench-mem-")
    drop_caches()
    before = meminfo()
    machines = [start(argv, i, d) for i in range(n)]
    try:
        ready = wait_ready(machines)
        time.sleep(5)
        after = meminfo()
    finally:
        stopped = stop(machines)
        for _, s in machines:
            s.close()
    for i in sorted(set(range(n)) - ready):
        with open(os.path.join(d, f"log{i}")) as f:
            lines = f.read().strip().splitlines()
        print(f"farm-mem.py: machine {i} not ready: {lines[-1] if lines else '(no output)'}",
              file=sys.stderr)
    print(n, len(ready), *(before[k] - after[k] for k in ("MemAvailable", "MemFree", "Cached")))
    subprocess.run(["rm", "-rf", d])
    sys.exit(0 if len(ready) == n and stopped else 1)


main()
