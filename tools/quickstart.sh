#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# On a fresh Debian 12 machine, as root: installs what berth needs, builds
# and installs berth (into /usr/local), makes the image "debian" in
# /var/lib/machines with `berth create` (or reuses it), and boots it. Log
# in on its console as root, password "berth"; press ^] three times to
# leave.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BERTH_BUILD_DIR:-/var/cache/berth-build-release}

if [[ $(id -u) != 0 ]]; then
        echo "quickstart.sh: run me as root" >&2
        exit 1
fi

# shellcheck source=tools/deps.sh
. "$src/tools/deps.sh"
install_packages "${BUILD_PACKAGES[@]}" "${TREE_PACKAGES[@]}"

[[ -d $build ]] || meson setup "$build" "$src" -Dbuildtype=release -Dprefix=/usr/local >/dev/null
ninja -C "$build" >/dev/null
meson install -C "$build" --quiet

image=/var/lib/machines/debian
if [[ ! -d $image ]]; then
        # machines/debian-bookworm.conf, installed with berth: Debian 12 with
        # systemd, from the host's own apt sources. Its root is locked; the
        # quick start gives it the password "berth" for the console.
        echo "Building the image 'debian' with berth create (a minute or two, once)…" >&2
        /usr/local/bin/berth create debian --from debian-bookworm
        echo root:berth | chroot "$image" chpasswd
fi

exec /usr/local/bin/berth boot -M debian "$@"
