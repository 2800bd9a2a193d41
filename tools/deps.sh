# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # the arrays are for the scripts that source this
# Debian 12 packages berth needs; sourced by quickstart.sh and run-tests.sh.

# To build berth.
BUILD_PACKAGES=(
        meson ninja-build gcc pkg-config
        libsystemd-dev libmount-dev libblkid-dev libselinux1-dev libjson-c-dev
)
# To make Debian trees to boot (tests/fixtures/debian-tree.sh).
TREE_PACKAGES=(mmdebstrap ca-certificates)
# To run the test suites: nsenter, flock, losetup (util-linux), ip
# (iproute2), getfattr (attr), tmux for the console tests, python3 for
# helpers, and the linters.
TEST_PACKAGES=(
        util-linux iproute2 procps attr tmux python3 findutils
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
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
