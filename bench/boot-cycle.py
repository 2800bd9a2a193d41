#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# One boot cycle: runs COMMAND… with NOTIFY_SOCKET pointing at us, waits for
# READY=1 (with --notify-ready=yes that is the machine's systemd reaching its
# default target, multi-user), then sends SIGTERM (which both berth and
# systemd-nspawn turn into an orderly shutdown) and waits for the end.
# Exits with the command's status; hyperfine times the whole cycle.
import os
import signal
import socket
import subprocess
import sys
import tempfile

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(120)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    p = subprocess.Popen(sys.argv[1:], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        msg = s.recv(4096).decode(errors="replace")
        if "READY=1" in msg.split("\n"):
            break
    p.send_signal(signal.SIGTERM)
    sys.exit(p.wait(timeout=120))
