#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A testbed's own overhead, through autopkgtest's virtualisation server
# protocol (README.virtualisation-server): RUNS times, starts SERVER… and
# times `open`, a first command on the opened testbed (`true` through
# print-execute-command), `revert`, and `close`; after the revert a second
# `true` checks that the reverted testbed works (untimed). A new server each
# time, as autopkgtest starts one per run (autopkgtest-virt-unshare can't
# open again after a close).
#
#   farm-virt.py RUNS SERVER…
#
# Prints one line: the mean seconds of open, exec, revert and close. Exits
# 1 when the server answers anything but ok, or a command fails.
import statistics
import subprocess
import sys
import time
import urllib.parse


class Server:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        try:
            self.expect_ok("startup")
        except SystemExit:
            self.end()
            raise

    def expect_ok(self, what):
        line = self.p.stdout.readline().strip()
        if line.split(" ", 1)[0] != "ok":
            sys.exit(f"farm-virt.py: {what}: {line or 'the server ended'}")
        return line[3:]

    def end(self):
        """quit, and the server's end (VirtSubproc never ends on EOF)."""
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.close()
                self.p.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.p.terminate()
                self.p.wait()
        return self.p.returncode

    def do(self, cmd):
        self.p.stdin.write(cmd + "\n")
        return self.expect_ok(cmd)

    def run(self, argv):
        words = self.do("print-execute-command").split(" ")[0].split(",")
        prefix = [urllib.parse.unquote(w) for w in words]
        r = subprocess.run(prefix + argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"farm-virt.py: {argv} on the testbed: status {r.returncode}: {r.stderr.strip()}")


def timed(f, *a):
    t = time.monotonic()
    f(*a)
    return time.monotonic() - t


def main():
    runs, argv = int(sys.argv[1]), sys.argv[2:]
    times = {k: [] for k in ("open", "exec", "revert", "close")}
    for _ in range(runs):
        s = Server(argv)
        try:
            times["open"].append(timed(s.do, "open"))
            # Asked once open, as autopkgtest does (berth's server has
            # them only then).
            if "revert" not in s.do("capabilities").split():
                sys.exit("farm-virt.py: the server can't revert")
            times["exec"].append(timed(s.run, ["true"]))
            times["revert"].append(timed(s.do, "revert"))
            s.run(["true"])
            times["close"].append(timed(s.do, "close"))
        finally:
            status = s.end()
        if status != 0:
            sys.exit(f"farm-virt.py: the server ended with status {status}")
    print(*(f"{statistics.mean(v):.4f}" for v in times.values()))


main()
