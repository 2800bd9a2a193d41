#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Memory of a supervisor with a booted machine: runs COMMAND… with
# NOTIFY_SOCKET, waits for READY=1, lets the machine settle, prints the
# supervisor's VmRSS, RssAnon and Pss (kB), then stops it with SIGTERM.
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def field(pid, name, f="status"):
    with open(f"/proc/{pid}/{f}") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return -1


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(120)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    p = subprocess.Popen(sys.argv[1:], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while "READY=1" not in s.recv(4096).decode(errors="replace").split("\n"):
        pass
    time.sleep(2)
    print(field(p.pid, "VmRSS"), field(p.pid, "RssAnon"), field(p.pid, "Pss", "smaps_rollup"))
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=120)
