#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A reboot inside the machine ends the supervisor with 133 (so that a unit
# can restart it); a poweroff inside with 0; `systemctl exit 42` with 42.
. "$(dirname "$0")/lib.sh"

start_machine rb -x
wait_running rb
in_machine rb systemctl reboot
wait_supervisor rb
check "reboot inside gives exit status 133 (got $RC)" test "$RC" = 133

start_machine po -x
wait_running po
in_machine po systemctl poweroff
wait_supervisor po
check "poweroff inside gives exit status 0 (got $RC)" test "$RC" = 0

start_machine ex -x
wait_running ex
in_machine ex systemctl exit 42
wait_supervisor ex
check "'systemctl exit 42' inside gives exit status 42 (got $RC)" test "$RC" = 42
