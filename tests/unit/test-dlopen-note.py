#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The libraries berth loads with dlopen() are declared in its ELF note
# section .note.dlopen (systemd's ELF dlopen metadata): each note is owned
# by "FDO", of type 0x407c0c0a, and holds a JSON array of {feature,
# description, priority, soname}. Every library a dlopen_many_sym() call in
# the sources names is declared, and the four are. TAP output.
import json, os, re, struct, subprocess, sys, tempfile

berth = os.environ["BERTH"]
src = os.environ["BERTH_SRC"]
n = 0
failed = 0


def check(what, ok):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    failed += 0 if ok else 1


with tempfile.TemporaryDirectory() as tmp:
    dump = os.path.join(tmp, "note")
    r = subprocess.run(["objcopy", "-O", "binary", "--only-section=.note.dlopen", berth, dump])
    data = open(dump, "rb").read() if r.returncode == 0 and os.path.exists(dump) else b""
check("berth has a .note.dlopen section", len(data) > 0)

notes = []
off = 0
while off + 12 <= len(data):
    namesz, descsz, ntype = struct.unpack_from("<III", data, off)
    off += 12
    name = data[off:off + namesz].rstrip(b"\0").decode()
    off += (namesz + 3) & ~3
    desc = data[off:off + descsz].rstrip(b"\0").decode()
    off += (descsz + 3) & ~3
    notes.append((name, ntype, desc))

sonames = {}
for name, ntype, desc in notes:
    check(f"note owner FDO, type 0x407c0c0a ({name}, {ntype:#x})", name == "FDO" and ntype == 0x407C0C0A)
    try:
        entries = json.loads(desc)
    except ValueError:
        check(f"note is JSON: {desc!r}", False)
        continue
    for e in entries:
        good = (isinstance(e.get("feature"), str) and isinstance(e.get("description"), str)
                and e.get("priority") in ("required", "recommended", "suggested")
                and isinstance(e.get("soname"), list) and e["soname"])
        check(f"entry {e.get('feature')}: feature, description, priority, soname", good)
        for s in e.get("soname", []):
            sonames[s] = e

for want in ("libmount.so.1", "libselinux.so.1", "libblkid.so.1", "libjson-c.so.5"):
    check(f"{want} is declared", want in sonames)

loaded = set()
for root, _, files in os.walk(os.path.join(src, "src")):
    for f in files:
        if f.endswith(".c"):
            loaded |= set(re.findall(r'dlopen_many_sym\(\s*&\w+,\s*"([^"]+)"', open(os.path.join(root, f)).read()))
check(f"the sources load some libraries ({', '.join(sorted(loaded))})", len(loaded) > 0)
for lib in sorted(loaded):
    check(f"{lib}, which the sources load, is declared", lib in sonames)

print(f"1..{n}")
sys.exit(1 if failed else 0)
