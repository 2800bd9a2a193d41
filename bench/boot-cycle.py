#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# One boot cycle: runs COMMAND… until READY=1 (see readiness.py), then
# sends SIGTERM (which both berth and systemd-nspawn turn into an orderly
# shutdown) and waits for the end. Exits with the command's status;
# hyperfine times the whole cycle.
import signal
import sys

from readiness import start_until_ready

p = start_until_ready(sys.argv[1:])
p.send_signal(signal.SIGTERM)
sys.exit(p.wait(timeout=120))
