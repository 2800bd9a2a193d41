# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # the arrays are for the scripts that source this
# Debian 12 packages berth needs; sourced by quickstart.sh and run-tests.sh.

# To build berth.
BUILD_PACKAGES=(
        meson ninja-build gcc pkg-config
        libsystemd-dev libmount-dev libblkid-dev libselinux1-dev libjson-c-dev libseccomp-dev
        libnl-3-dev libnl-route-3-dev libnftables-dev libarchive-dev libssl-dev
)
# To make Debian trees to boot (tests/fixtures/debian-tree.sh).
TREE_PACKAGES=(mmdebstrap ca-certificates)
# To run the test suites: nsenter, flock (util-linux), losetup (mount), ip
# (iproute2), getfattr (attr), tmux for the console tests, strace for
# shell.sh, python3 for helpers; the real systemd-machined and machinectl
# (systemd-container), journalctl, busctl, systemctl, systemd-run (systemd)
# and dbus-daemon for a private system bus; nft (nftables) to look at
# berth's table and libnss-mymachines to resolve machines' names, in the
# network tests; setcap (libcap2-bin), setfacl (acl), chattr (e2fsprogs)
# and mkfs.btrfs (btrfs-progs) for the image tests; sfdisk (fdisk),
# mkfs.ext4 (e2fsprogs), systemd-repart (systemd) and systemd-dissect
# (systemd-container) for the disk images of tests/fixtures/raw-image.sh;
# the real autopkgtest, debci (worker and collector), rabbitmq-server and
# amqp-tools for the test farm's tests; umoci and skopeo to make and read
# OCI images for the layered images' tests; and the linters.
TEST_PACKAGES=(
        util-linux mount iproute2 procps attr acl libcap2-bin e2fsprogs btrfs-progs fdisk tmux python3 findutils strace libc6-dev
        systemd systemd-container dbus-daemon nftables libnss-mymachines
        autopkgtest debci debci-worker debci-collector rabbitmq-server amqp-tools umoci skopeo
        groff-base shellcheck clang-format zsh
)

# install_packages PACKAGE…: installs what is missing, quietly.
install_packages() {
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        ((${#missing[@]} == 0)) && return 0
        echo "Installing: ${missing[*]}" >&2
        apt-get update -qq
        # No service starts because a package was installed (rabbitmq-server
        # would start a broker for all the network): the tests start what
        # they need, on loopback. policy-rc.d says so to invoke-rc.d.
        local policy=
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
                policy=/usr/sbin/policy-rc.d
                printf '#!/bin/sh\nexit 101\n' >"$policy"
                chmod 0755 "$policy"
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
                [[ -z $policy ]] || rm -f "$policy"
                return 1
        }
        [[ -z $policy ]] || rm -f "$policy"
}
