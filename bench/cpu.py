#!/usr/bin/env python3
"""bench/cpu.py: CPU used by processes that are not the benchmark's.

  cpu.py snap FILE PID...      record utime+stime of every user process
                               outside the process trees of PID...
  cpu.py diff FILE0 FILE1 SECS print "<percent of one core> <busiest>"

Kernel threads are left out (loopback traffic makes them busy).
"""

import os
import sys


def table():
    procs = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                stat = f.read()
        except OSError:
            continue
        close = stat.rindex(')')
        name = stat[stat.index('(') + 1:close].replace(' ', '_')
        fields = stat[close + 2:].split()
        # state ppid pgrp session tty tpgid flags minflt cminflt majflt
        # cmajflt utime stime
        procs[int(d)] = (int(fields[1]), int(fields[11]) + int(fields[12]), name)
    return procs


def snap(path, roots):
    procs = table()
    kids = {}
    for pid, (ppid, _, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    ours = set()
    todo = [r for r in roots if r in procs]
    while todo:
        pid = todo.pop()
        if pid not in ours:
            ours.add(pid)
            todo.extend(kids.get(pid, []))
    with open(path, 'w') as f:
        for pid, (ppid, ticks, name) in procs.items():
            if pid in ours or pid == 2 or ppid == 2 or pid == os.getpid():
                continue
            f.write('%d %d %s\n' % (pid, ticks, name))


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            pid, ticks, name = line.split()
            out[int(pid)] = (int(ticks), name)
    return out


def diff(path0, path1, secs):
    before, after = load(path0), load(path1)
    hz = os.sysconf('SC_CLK_TCK')
    total = 0
    by_name = {}
    for pid, (ticks, name) in after.items():
        used = ticks - before[pid][0] if pid in before else ticks
        if used > 0:
            total += used
            by_name[name] = by_name.get(name, 0) + used
    top = max(by_name, key=by_name.get) if by_name else '-'
    print('%.0f %s' % (100.0 * total / hz / float(secs), top))


if __name__ == '__main__':
    if sys.argv[1] == 'snap':
        snap(sys.argv[2], [int(p) for p in sys.argv[3:] if p.isdigit()])
    else:
        diff(sys.argv[2], sys.argv[3], sys.argv[4])
