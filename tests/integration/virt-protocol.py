#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# virt-protocol.py IMAGE WORKDIR: speaks autopkgtest's virtualisation
# protocol to autopkgtest-virt-berth (on PATH) line by line, as autopkgtest
# does, against a real booted machine of IMAGE, and checks every answer.
# Prints "ok - …" a check; exits 1 at the first that fails.

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.parse

image, work = sys.argv[1], sys.argv[2]
n_checks = 0
servers = []
# The testbeds' names start with this: machines of others are not looked at.
PREFIX = 'berth-proto-%d' % os.getpid()


def fail(what):
    print('FAIL [farm-protocol]: %s' % what, file=sys.stderr)
    # A server whose input ends would wait for more forever (VirtSubproc):
    # SIGTERM makes it clean up its testbed and exit.
    for s in servers:
        if s.p.poll() is None:
            s.p.terminate()
            s.p.wait(timeout=180)
    sys.exit(1)


def check(what, cond):
    global n_checks
    if not cond:
        fail(what)
    n_checks += 1
    print('ok - %s' % what, flush=True)


class Server:
    def __init__(self, *argv):
        self.p = subprocess.Popen(['autopkgtest-virt-berth',
                                   '--name-prefix=' + PREFIX, *argv],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  universal_newlines=True, bufsize=1)
        servers.append(self)
        banner = self.p.stdout.readline().strip()
        check('the server greets with ok (%r)' % banner, banner == 'ok')

    def send(self, *words):
        line = ' '.join(urllib.parse.quote(w) for w in words)
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
        answer = self.p.stdout.readline().strip().split()
        return [urllib.parse.unquote(w) for w in answer]

    def quit(self):
        '''quit has no answer: the server cleans up and exits 0.'''
        self.p.stdin.write('quit\n')
        self.p.stdin.flush()
        check('quit: the server exits 0', self.p.wait(timeout=180) == 0)

    def ok(self, *words):
        a = self.send(*words)
        check('%s: ok (%s)' % (' '.join(words), ' '.join(a)[:100]),
              a[:1] == ['ok'])
        return a[1:]


def execute(auxverb, *command, timeout=120, stdin=subprocess.DEVNULL):
    try:
        p = subprocess.run(auxverb + list(command), stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail('%s hung (still running after %d s)'
             % (shlex.join(command), timeout))
    return p.returncode, p.stdout, p.stderr


def machines():
    out = subprocess.run(['berth', 'list', '--json'], check=True,
                         stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    return [m['machine'] for m in json.loads(out)
            if m['machine'].startswith(PREFIX + '-')]


s = Server('--normal-user=tester', image)
caps = s.ok('capabilities')
check('before open: no downtmp-host yet', not any(
    c.startswith('downtmp-host=') for c in caps))
downtmp = s.ok('open')[0]
caps = s.ok('capabilities')
for c in ('isolation-container', 'revert', 'revert-full-system',
          'root-on-testbed', 'reboot', 'suggested-normal-user=tester',
          'downtmp-host='):
    check('capability %s' % c, any(x.startswith(c) for x in caps))
host_downtmp = [c.split('=', 1)[1] for c in caps
                if c.startswith('downtmp-host=')][0]
auxverb = [urllib.parse.unquote(w)
           for w in s.ok('print-execute-command')[0].split(',')]
names = machines()
check('one machine runs the testbed (%s)' % names, len(names) == 1)
first = names[0]

# Commands: statuses pass through, output too.
rc, out, _ = execute(auxverb, 'sh', '-c', 'echo hello; exit 0')
check('a command\'s output and status 0 (%d, %r)' % (rc, out),
      rc == 0 and out == 'hello\n')
rc, _, _ = execute(auxverb, 'sh', '-c', 'exit 3')
check('status 3 passes through (%d)' % rc, rc == 3)
rc, _, _ = execute(auxverb, 'sh', '-c', 'kill -TERM $$')
check('killed by SIGTERM: 143 (%d)' % rc, rc == 143)
rc, _, _ = execute(auxverb, 'sh', '-c', 'exit 255')
check('a command\'s own 255 is 253, not a testbed failure (%d)' % rc,
      rc == 253)
rc, out, err = execute(auxverb, 'sh', '-c',
                       'echo via-stderr > /dev/stderr; echo x | tee /proc/self/fd/2')
check('a command can open its stdout and stderr again (%d, %r, %r)'
      % (rc, out, err), rc == 0 and out == 'x\n' and err == 'via-stderr\nx\n')
rc, out, _ = execute(auxverb, 'cat', stdin=open('/etc/hostname'))
check('stdin passes through', rc == 0 and out == open('/etc/hostname').read())
rc, out, _ = execute(auxverb, 'id', '-un')
check('commands run as root (%r)' % out, out.strip() == 'root')
rc, out, _ = execute(auxverb, 'su', '-s', '/bin/sh', '-c', 'id -u', 'tester')
check('the normal user was made (uid %r)' % out.strip(),
      rc == 0 and 1000 <= int(out.strip() or 0) <= 59999)
# A daemon left behind with the pipe open must not hang the run.
rc, out, _ = execute(auxverb, 'sh', '-c', 'sleep 1000 & echo started',
                     timeout=60)
check('a background process holding stdout does not hang it (%d)' % rc,
      rc == 0 and out == 'started\n')

# Files: copydown and copyup through the shared directory.
src = os.path.join(work, 'down.txt')
with open(src, 'w') as f:
    f.write('from the host\n')
s.ok('copydown', src, downtmp + '/down.txt')
rc, out, _ = execute(auxverb, 'cat', downtmp + '/down.txt')
check('copydown arrives (%r)' % out, out == 'from the host\n')
execute(auxverb, 'sh', '-c', 'echo from the machine > /root/up.txt')
s.ok('copyup', '/root/up.txt', os.path.join(work, 'up.txt'))
check('copyup arrives', open(os.path.join(work, 'up.txt')).read()
      == 'from the machine\n')
check('downtmp is the host directory',
      os.path.exists(os.path.join(host_downtmp, 'down.txt')))

# Reboot: the machine's own files stay (the overlay is kept), the boot ID
# changes, the machine is the same one.
execute(auxverb, 'sh', '-c', 'echo kept > /root/kept')
_, before, _ = execute(auxverb, 'cat', '/proc/sys/kernel/random/boot_id')
s.ok('reboot')
_, after, _ = execute(auxverb, 'cat', '/proc/sys/kernel/random/boot_id')
check('reboot: a new boot ID (%s -> %s)' % (before.strip(), after.strip()),
      before and after and before != after)
rc, out, _ = execute(auxverb, 'cat', '/root/kept')
check('reboot: the machine\'s files survive (%r)' % out, out == 'kept\n')
rc, out, _ = execute(auxverb, 'cat', downtmp + '/down.txt')
check('reboot: downtmp survives', out == 'from the host\n')
check('reboot: still the same machine', machines() == [first])

# Revert: a new machine, nothing of the old one.
s.ok('revert')
names = machines()
check('revert: a new machine (%s)' % names,
      len(names) == 1 and names[0] != first)
auxverb = [urllib.parse.unquote(w)
           for w in s.ok('print-execute-command')[0].split(',')]
rc, _, _ = execute(auxverb, 'test', '-e', '/root/kept')
check('revert: the old machine\'s files are gone (%d)' % rc, rc == 1)

# berth's own failure is the testbed's: 255, never a test status.
subprocess.run(['berth', 'terminate', names[0]], check=True)
for _ in range(600):
    if not machines():
        break
    time.sleep(0.1)
rc, _, err = execute(auxverb, 'true')
check('a command in a machine that is gone: 255 (%d, %r)' % (rc, err.strip()),
      rc == 255 and err.startswith('berth: '))

s.ok('close')
check('close: no machine left', machines() == [])
s.quit()

# A second server on the same image while a first one runs: both open.
a, b = Server(image), Server(image)
a.ok('open')
b.ok('open')
names = machines()
check('two testbeds of one image at once (%s)' % names, len(names) == 2)
a.quit()
b.quit()
check('both gone', machines() == [])
print('%d protocol checks passed' % n_checks)
