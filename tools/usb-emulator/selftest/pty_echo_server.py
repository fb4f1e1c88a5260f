#!/usr/bin/python3
"""Trivial board emulator for the self-test: echoes every byte back on a PTY.

Prints the slave path (e.g. /dev/pts/7) on the first stdout line, then serves
until the slave side is closed by everyone (read gives EIO) or it is killed.
"""
import os
import sys
import tty

master, slave = os.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
os.close(slave)          # the emulator opens it by path
while True:
    try:
        data = os.read(master, 65536)
    except OSError:      # EIO: slave closed
        # Nobody has opened the slave yet, or the emulator went away.  Keep
        # serving until stdin closes so the harness controls our lifetime.
        if sys.stdin.closed:
            break
        import time
        time.sleep(0.01)
        continue
    if not data:
        break
    os.write(master, data)
