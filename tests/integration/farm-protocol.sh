#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# autopkgtest-virt-berth by itself: the virtualisation protocol spoken line
# by line (virt-protocol.py) against real booted testbeds of the farm tree:
# capabilities, open, commands and their exit statuses (a command's own,
# 128+signal, 253 for its 255, 255 when berth fails), a daemon holding
# stdout, copydown/copyup, reboot keeping the machine's files with a new
# boot ID, revert, close, two servers at once; nothing left behind.
. "$(dirname "$0")/lib.sh"

FARM=$("$BERTH_SRC/tests/fixtures/debian-tree.sh" farm)
farm_path "$WORK/bin"
python3 "$BERTH_SRC/tests/integration/virt-protocol.py" "$FARM" "$WORK"
