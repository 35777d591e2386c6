#!/usr/bin/env python3
"""tstamp.py T0 LOG: copies QEMU's serial console (Xen's com1 and dom0's hvc0) from stdin to LOG, each line prefixed
with the host seconds since T0 (the wall-clock time QEMU was started at), so that boot phases can be timed."""
import sys
import time

t0 = float(sys.argv[1])
with open(sys.argv[2], "w", buffering=1) as log:
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
        log.write("[%8.3f] %s\n" % (time.time() - t0, line))
