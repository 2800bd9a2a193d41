#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What a booted machine sees (design.md §2): PID 1, its UID range, its
# cgroup, its mounts, /dev, hostname, environment, capabilities.
. "$(dirname "$0")/lib.sh"

start_machine inside -x --hostname=inside-host
wait_running inside

check "PID 1 is systemd" test "$(in_machine inside cat /proc/1/comm)" = systemd
read -r inner outer count < <(in_machine inside cat /proc/1/uid_map)
check "uid_map maps 0 (got $inner)" test "$inner" = 0
check "uid_map base >= 524288 (got $outer)" test "$outer" -ge 524288
check "uid_map base is 64K-aligned" test $((outer % 65536)) = 0
check "uid_map count is 65536 (got $count)" test "$count" = 65536
check "gid_map is the same" test "$(in_machine inside cat /proc/1/gid_map | awk '{print $2, $3}')" = "$outer $count"
check "PID 1 runs in /init.scope of its cgroup namespace" \
        grep -qx '0::/init.scope' <(in_machine inside cat /proc/1/cgroup)
check "/sys/fs/cgroup is cgroup2" test "$(in_machine inside stat -fc %T /sys/fs/cgroup)" = cgroup2fs
check "systemd made its own cgroups" in_machine inside test -d /sys/fs/cgroup/system.slice
leader=$(leader_of inside)
payload=$(sed -n 's/^0:://p' "/proc/$leader/cgroup")
check "leader's host cgroup is machine.slice/machine-inside.scope/payload/…" \
        grep -q '^/machine.slice/machine-inside.scope/payload/' <<<"$payload"
check "payload/ is delegated to the machine's root" \
        test "$(stat -c %u "$CGROUP_UNIFIED/machine.slice/machine-inside.scope/payload")" = "$outer"
owner=$(python3 -c 'import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(struct.unpack("I", fcntl.ioctl(fd, 0xb704, b"\0" * 4))[0])  # NS_GET_OWNER_UID' "/proc/$leader/ns/user")
check "the user namespace is owned by the range's first UID, not root (so per-user limits are its own)" \
        test "$owner" = "$outer"
check "hostname is --hostname" test "$(in_machine inside hostname)" = inside-host

# berth makes these; systemd adds a few links and sockets of its own.
for d in console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero; do
        check "/dev/$d exists" in_machine inside test -e "/dev/$d" -o -L "/dev/$d"
done
chardevs=$(in_machine inside find /dev -maxdepth 1 -type c -printf '%f\n' | sort | tr '\n' ' ')
# (/dev/console, a mount, is listed as the file below it: checked on its own)
check "character device nodes are exactly full null random tty urandom zero (got: $chardevs)" \
        test "$chardevs" = "full null random tty urandom zero "
check "no block devices in /dev" test -z "$(in_machine inside find /dev -type b)"
check "/dev/ptmx points at pts/ptmx" test "$(in_machine inside readlink /dev/ptmx)" = pts/ptmx
check "/dev/null works" in_machine inside sh -c 'echo x > /dev/null'
check "/dev/console is a pty slave (major 136)" test "$(in_machine inside stat -c %t /dev/console)" = 88

mounts=$(in_machine inside findmnt -rno TARGET,FSTYPE,OPTIONS)
has_mount() { grep -Eq "^$1 $2 $3" <<<"$mounts"; }
check "/proc is proc" has_mount /proc proc 'rw,'
check "/proc/sys is read-only" has_mount /proc/sys proc 'ro,'
check "/sys is read-only sysfs" has_mount /sys sysfs 'ro,'
check "/dev is tmpfs" has_mount /dev tmpfs rw
check "/dev/pts is devpts" has_mount /dev/pts devpts rw
check "/dev/shm is tmpfs" has_mount /dev/shm tmpfs rw
check "/run is tmpfs" has_mount /run tmpfs rw
check "/tmp is tmpfs" has_mount /tmp tmpfs rw
check "/proc/kcore or /proc/keys masked" has_mount '/proc/(kcore|keys)' tmpfs ro

check "/run/host/container-manager says berth" test "$(in_machine inside cat /run/host/container-manager)" = berth
check "/run/host/os-release is the host's" cmp -s /etc/os-release <(in_machine inside cat /run/host/os-release)
env1=$(in_machine inside sh -c "tr '\\0' '\\n' < /proc/1/environ")
check "PID 1's environment: container=berth" grep -qx container=berth <<<"$env1"
check "PID 1's environment: NOTIFY_SOCKET=/run/host/notify" grep -qx NOTIFY_SOCKET=/run/host/notify <<<"$env1"
check "PID 1's environment: container_uuid" grep -q '^container_uuid=' <<<"$env1"
uuid=$(sed -n 's/^container_uuid=//p' <<<"$env1" | tr -d -)
check "machine-id is the machine's UUID" test "$(in_machine inside cat /etc/machine-id)" = "$uuid"

# shellcheck disable=SC2016 # awk's $2, not ours
capbnd=$(in_machine inside awk '/^CapBnd/ {print $2}' /proc/1/status)
has_cap() { (( (0x$capbnd >> $1) & 1 )); }
check "no CAP_SYS_MODULE in the bounding set" not has_cap 16
check "no CAP_SYS_TIME" not has_cap 25
check "no CAP_SYS_RAWIO" not has_cap 17
check "no CAP_NET_ADMIN without a private network" not has_cap 12
check "CAP_SYS_ADMIN kept (systemd needs it)" has_cap 21
check "the machine's root can't load modules" not in_machine inside sh -c 'echo > /proc/sys/kernel/modprobe' 2>/dev/null

"$BERTH" poweroff inside
wait_supervisor inside
check "exit status 0 (got $RC)" test "$RC" = 0
