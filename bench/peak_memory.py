#!/usr/bin/env python3
"""Runs a command and reports its peak anonymous memory (RssAnon) and peak resident size (VmRSS),
sampled from /proc every 10 ms (Linux). File pages of memory-mapped tensors count in VmRSS but not in
RssAnon: the figure that must not grow with the tensor is RssAnon.

Usage:  python3 bench/peak_memory.py [--] COMMAND ARGS...
"""
import subprocess
import sys
import time


def status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("RssAnon", "VmRSS"):
                    out[k] = int(v.split()[0])
    except FileNotFoundError:
        pass
    return out


def main():
    cmd = sys.argv[1:]
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        sys.exit(__doc__)
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = {"RssAnon": 0, "VmRSS": 0}
    while p.poll() is None:
        for k, v in status(p.pid).items():
            peak[k] = max(peak[k], v)
        time.sleep(0.01)
    wall = time.monotonic() - start
    print(f"exit {p.returncode}  wall {wall:.2f} s  peak RssAnon {peak['RssAnon'] / 1024:.1f} MiB  "
          f"peak VmRSS {peak['VmRSS'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
