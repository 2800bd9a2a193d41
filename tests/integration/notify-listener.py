#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A NOTIFY_SOCKET for tests: binds a datagram socket at argv[1] and, for each
# notification, appends "<message>|<state of machine argv[3] in berth list>"
# to argv[2]. Runs until killed.
import json
import os
import socket
import subprocess
import sys

path, log, machine = sys.argv[1], sys.argv[2], sys.argv[3]
berth = os.environ["BERTH"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log + ".ready", "w"):
    pass
while True:
    data = s.recv(4096).decode(errors="replace").replace("\n", " ").strip()
    out = subprocess.run([berth, "list", "--json"], capture_output=True, text=True).stdout
    state = next((m["state"] for m in json.loads(out or "[]") if m["machine"] == machine), "absent")
    with open(log, "a") as f:
        f.write(f"{data}|{state}\n")
