#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Memory of a supervisor with a booted machine: runs COMMAND… until READY=1
# (see readiness.py), lets the machine settle, prints the supervisor's
# VmRSS, RssAnon and Pss (kB), then stops it with SIGTERM.
import signal
import sys
import time

from readiness import start_until_ready


def field(pid, name, f="status"):
    with open(f"/proc/{pid}/{f}") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return -1


p = start_until_ready(sys.argv[1:])
time.sleep(2)
print(field(p.pid, "VmRSS"), field(p.pid, "RssAnon"), field(p.pid, "Pss", "smaps_rollup"))
p.send_signal(signal.SIGTERM)
p.wait(timeout=120)
