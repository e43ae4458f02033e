#!/usr/bin/env python3
"""What kill -9 of redis-server loses of the writes it acknowledged, per
appendfsync policy, with the Redis configuration umbra ships.

    bench/redis_aof_kill.py [--port 22290] [--dir DIR] [--runs 3]

For each policy (always, everysec, no) and each pause (0, 0.5, 1.0, 1.5 s):
start redis-server (contrib/redis/umbra-redis.conf, --appendfsync POLICY,
AOF in DIR, which defaults to a new directory under TMPDIR: put it on the
disk you mean to measure), SET 5 keys, wait the pause, SET 30 more, each
acknowledged (+OK) before the next, kill -9 at once, start Redis again on
the same AOF and count the keys. Prints acknowledged, found and lost.
The pause matters for everysec: about a second after a write, Redis starts
a background fsync, and while it runs Redis holds later write(2)s back
(up to 2 s) but still replies to them.
Python standard library only; loopback only.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = os.path.join(TOP, "contrib", "redis", "umbra-redis.conf")


def command(sock, f, *args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    sock.sendall(b"".join(parts))
    return f.readline()


def start(port, data_dir, policy):
    log = open(os.path.join(data_dir, "redis.log"), "a")
    p = subprocess.Popen(["redis-server", CONF, "--port", str(port), "--bind", "127.0.0.1",
                          "--dir", data_dir, "--appendfsync", policy],
                         stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return p
        except OSError:
            pass
        time.sleep(0.05)
    p.kill()
    sys.exit("redis-server did not start on port %d (see %s)" % (port, data_dir))


def one(port, root, policy, pause):
    data_dir = os.path.join(root, "%s-%.1f" % (policy, pause))
    shutil.rmtree(data_dir, ignore_errors=True)
    os.makedirs(data_dir)
    p = start(port, data_dir, policy)
    acked = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        f = s.makefile("rb")
        for i in range(5):
            acked += command(s, f, b"SET", b"early%d" % i, b"v").startswith(b"+OK")
        time.sleep(pause)
        for i in range(30):
            acked += command(s, f, b"SET", b"k%d" % i, b"v").startswith(b"+OK")
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    p = start(port, data_dir, policy)
    with socket.create_connection(("127.0.0.1", port)) as s:
        found = int(command(s, s.makefile("rb"), b"DBSIZE")[1:])
    p.send_signal(signal.SIGTERM)
    p.wait()
    return acked, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=22290)
    ap.add_argument("--dir")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    root = args.dir or tempfile.mkdtemp(prefix="umbra-aof-kill.")
    print("AOF in %s; %d run(s) of each" % (root, args.runs))
    print("%-9s %6s %6s %6s %6s" % ("policy", "pause", "acked", "found", "lost"))
    for run in range(args.runs):
        for pause in (0.0, 0.5, 1.0, 1.5):
            for policy in ("always", "everysec", "no"):
                acked, found = one(args.port, root, policy, pause)
                # found > acked: a write Redis kept whose reply the kill cut off.
                print("%-9s %6.1f %6d %6d %6d" % (policy, pause, acked, found,
                                                   max(0, acked - found)), flush=True)
    if not args.dir:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
