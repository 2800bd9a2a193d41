#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What test farms do must work under the default system call filter: a
# Debian package built with dpkg-buildpackage (debhelper's dh sequence, the
# compiler, dpkg-deb, fakeroot-less as root) in an ephemeral machine of a
# tree with build-essential, as `berth run -x` gives it.
. "$(dirname "$0")/lib.sh"

B=$("$BERTH_SRC/tests/fixtures/debian-tree.sh" build)

# A small native package: a C program, built and installed by dh.
pkg=$WORK/pkg/berth-hello-1.0
mkdir -p "$pkg/debian/source"
cat >"$pkg/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello from a package built in a berth machine"); return 0; }
C
cat >"$pkg/Makefile" <<'MAKE'
hello: hello.c
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $<
install: hello
	install -D -m 0755 hello $(DESTDIR)/usr/bin/berth-hello
clean:
	rm -f hello
MAKE
cat >"$pkg/debian/control" <<'CONTROL'
Source: berth-hello
Section: misc
Priority: optional
Maintainer: berth tests <tests@berth.invalid>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: berth-hello
Architecture: any
Depends: ${shlibs:Depends}, ${misc:Depends}
Description: a package the berth tests build
 Built by dpkg-buildpackage in a machine, under its system call filter.
CONTROL
cat >"$pkg/debian/changelog" <<'LOG'
berth-hello (1.0) unstable; urgency=medium

  * A test package.

 -- berth tests <tests@berth.invalid>  Sun, 06 Dec 2026 12:00:00 +0000
LOG
printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >"$pkg/debian/rules"
chmod +x "$pkg/debian/rules"
echo "3.0 (native)" >"$pkg/debian/source/format"

# The sources are root's on the host: idmapped, they are the machine's root's.
out=$("$BERTH" run -q -x -D "$B" --bind="$WORK/pkg:/build:idmap" --chdir=/build/berth-hello-1.0 -- \
        dpkg-buildpackage -us -uc -b </dev/null 2>&1) && rc=0 || rc=$?
((rc == 0)) || tail -n 30 <<<"$out" >&2
check "dpkg-buildpackage under the default filter succeeds (got $rc)" test "$rc" = 0
deb=$(find "$WORK/pkg" -maxdepth 1 -name 'berth-hello_1.0_*.deb')
check "… and made the package ($deb)" test -n "$deb"
check "… whose program runs in a machine" grep -q "hello from a package" \
        <("$BERTH" run -q -x -D "$B" --bind="$WORK/pkg:/build:idmap" -- sh -c "dpkg -i /build/$(basename "$deb") >/dev/null && berth-hello" </dev/null)
check "… and the filter was there (Seccomp: 2)" grep -qx $'Seccomp:\t2' <("$BERTH" run -q -x -D "$B" -- cat /proc/self/status </dev/null)
