# SPDX-License-Identifier: LGPL-2.1-or-later
"""Starting a supervisor with NOTIFY_SOCKET pointing at us, and waiting
for its READY=1 (with --notify-ready=yes: the machine's systemd reached
its default target)."""
import os
import socket
import subprocess
import tempfile


def start_until_ready(argv, timeout=120):
    """Runs argv and returns its Popen once READY=1 arrived."""
    d = tempfile.mkdtemp()
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(timeout)
    p = subprocess.Popen(argv, env=dict(os.environ, NOTIFY_SOCKET=path),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        while "READY=1" not in s.recv(4096).decode(errors="replace").split("\n"):
            pass
    finally:
        s.close()
        os.unlink(path)
        os.rmdir(d)
    return p
