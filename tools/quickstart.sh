#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# On a fresh Debian 12 machine, as root: installs what berth needs, builds
# and installs berth (into /usr/local), makes a Debian 12 tree as the image
# "debian" in /var/lib/machines (or reuses it), and boots it. Log in on its
# console as root, password "berth"; press ^] three times to leave.
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
        tree=$("$src/tests/fixtures/debian-tree.sh")
        if [[ ! -d /var/lib/machines ]]; then
                mkdir -p /var/lib
                mkdir -m 0700 /var/lib/machines
        fi
        echo "Copying the Debian tree to $image…" >&2
        cp -a --reflink=auto "$tree" "$image.tmp"
        mv "$image.tmp" "$image"
fi

exec /usr/local/bin/berth boot -M debian "$@"
