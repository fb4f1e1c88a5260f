#!/usr/bin/python3
"""Trivial board emulator for the self-test: echoes every byte back.

  pty_echo_server.py            serve on a new PTY; prints the slave path
                                (e.g. /dev/pts/7) as the first stdout line
  pty_echo_server.py --unix P   serve on a unix stream socket at path P;
                                prints P once listening

Runs until killed.
"""
import os
import socket
import sys
import threading
import time
import tty


def serve_pty():
    master, slave = os.openpty()
    tty.setraw(slave)
    print(os.ttyname(slave), flush=True)
    os.close(slave)              # the USB emulator opens it by path
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:          # EIO while no one has the slave open
            time.sleep(0.01)
            continue
        if not data:
            time.sleep(0.01)
            continue
        os.write(master, data)


def serve_unix(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    print(path, flush=True)

    def echo(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--unix":
        serve_unix(sys.argv[2])
    else:
        serve_pty()
