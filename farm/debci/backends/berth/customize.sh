#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# customize.sh [PROXY]: run once inside a new testbed image, as its root,
# by create-testbed (`berth run`, the host's network), to make it what
# debci's testbeds are (as debci's lxc backend makes its containers):
#
# - apt's sources in one-line form in /etc/apt/sources.list, each with its
#   deb-src twin: autopkgtest fetches the package under test with
#   `apt-get source`, and its --pin-packages and --add-apt-release (which
#   debci uses) read only that form. They are made from the sources the
#   image was built with (deb822 .sources files or .list lines), so the
#   testbed uses the mirror berth create used;
# - PROXY, when given, as apt's HTTP proxy (debci's GUEST_PROXY);
# - apt's lists fetched, so that each testbed's `apt-get update` only checks
#   them;
# - the user debci, whom tests that need no root run as.

set -eu

proxy=${1:-}

# deb822 paragraphs as one-line entries (without the deb/deb-src type).
# Signed-By, Architectures and Trusted become options; a key written into
# the file itself (a multi-line Signed-By) has no one-line form.
deb822_entries() {
  awk '
    function flush(   nu, ns, u, s, i, j, opts, a) {
      if (("types" in f) && f["types"] ~ /(^| )deb( |$)/ && tolower(f["enabled"]) != "no") {
        opts = ""
        if ("signed-by" in f)
          opts = opts " signed-by=" f["signed-by"]
        if ("architectures" in f) {
          a = f["architectures"]
          gsub(/ +/, ",", a)
          opts = opts " arch=" a
        }
        if ("trusted" in f)
          opts = opts " trusted=" f["trusted"]
        if (opts != "")
          opts = "[" substr(opts, 2) "] "
        nu = split(f["uris"], u, " ")
        ns = split(f["suites"], s, " ")
        for (i = 1; i <= nu; i++)
          for (j = 1; j <= ns; j++)
            print opts u[i] " " s[j] (f["components"] == "" ? "" : " " f["components"])
      }
      split("", f)
      key = ""
    }
    FNR == 1 { flush() }
    /^#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ {
      if (key == "signed-by") {
        print FILENAME ": a key inside the sources file has no one-line form" > "/dev/stderr"
        failed = 1
      }
      next
    }
    {
      key = tolower(substr($0, 1, index($0, ":") - 1))
      value = substr($0, index($0, ":") + 1)
      gsub(/^[ \t]+|[ \t]+$/, "", value)
      gsub(/[ \t]+/, " ", value)
      f[key] = value
    }
    END { flush(); exit failed }
  ' "$@"
}

# One-line "deb" entries, without the type.
list_entries() {
  sed -n 's/^[[:blank:]]*deb[[:blank:]]\{1,\}//p' "$@"
}

sources() {
  set --
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -s "$f" ] && set -- "$@" "$f"
  done
  [ $# -eq 0 ] || list_entries "$@"
  set --
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -s "$f" ] && set -- "$@" "$f"
  done
  [ $# -eq 0 ] || deb822_entries "$@"
}

all=$(sources)
entries=$(echo "$all" | awk 'NF && !seen[$0]++')
if [ -z "$entries" ]; then
  echo "customize.sh: the image has no apt sources" >&2
  exit 1
fi
echo "$entries" | sed 's/^/deb /; p; s/^deb /deb-src /' >/etc/apt/sources.list.new
rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
mv /etc/apt/sources.list.new /etc/apt/sources.list
echo "I: apt sources of the testbed:"
sed 's/^/I:   /' /etc/apt/sources.list

if [ -n "$proxy" ]; then
  echo "Acquire::http::Proxy \"$proxy\";" >/etc/apt/apt.conf.d/70proxy
fi

tries=0
until apt-get -q update; do
  tries=$((tries + 1))
  if [ "$tries" -ge 5 ]; then
    echo "customize.sh: apt-get update failed $tries times" >&2
    exit 1
  fi
  echo "I: apt-get update failed, trying again in 10 s"
  sleep 10
done
apt-get clean

if ! getent passwd debci >/dev/null; then
  useradd --home-dir /home/debci --create-home debci
fi
