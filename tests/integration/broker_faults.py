"""umbra-broker faults and leaks, each against a real redis-server:

* outage: with Redis stopped (SIGSTOP: it accepts connections but never
  answers, the case a synchronous client waits on), batches of 50
  concurrent requests all get 503 + Retry-After within a bound a loop that
  waits redis-timeout-ms per reconnect cannot meet; after SIGCONT, and
  after a kill and restart, requests succeed without restarting the broker.

Ports: from 25000-25099.
"""
import json
import os
import selectors
import signal
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness  # noqa: E402

FAILS = []
REDIS_TIMEOUT_MS = 1000


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def parse_reply(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def batch(port, n, method="POST", path="/v1/identities", timeout=5.0):
    """n requests sent at once on n connections; (wall seconds, replies)."""
    req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
           "Connection: close\r\n\r\n" % (method, path)).encode()
    sel = selectors.DefaultSelector()
    bufs = {}
    t0 = time.monotonic()
    unanswered = 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            s.sendall(req)
        except OSError:  # a stalled loop stops accepting: its backlog fills
            unanswered += 1
            continue
        s.setblocking(False)
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)
    open_ = len(bufs)
    deadline = t0 + timeout
    while open_ and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if chunk:
                bufs[s] += chunk
            else:
                sel.unregister(s)
                open_ -= 1
    wall = time.monotonic() - t0
    # status 0: no connection or no answer in time
    replies = [parse_reply(d) for d in bufs.values()] + [(0, {}, b"")] * unanswered
    for s in bufs:
        s.close()
    return wall, replies


def wait_status(b, status, timeout):
    """Seconds until POST /v1/identities answers status, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if b.request("POST", "/v1/identities").status == status:
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def test_outage(h, b, redis):
    check(b.request("POST", "/v1/identities").status == 201, "outage: up before")
    os.kill(redis.pid, signal.SIGSTOP)
    try:
        # The first request finds Redis silent and waits redis-timeout-ms
        # once; from then on Redis is known down.
        t0 = time.monotonic()
        first = b.request("POST", "/v1/identities")
        check(first.status == 503, "outage: the request that finds Redis silent gets 503 (%.0f ms)"
              % ((time.monotonic() - t0) * 1000))
        walls, bad = [], []
        for _ in range(6):
            time.sleep(0.3)  # past the reconnect interval (250 ms) every time
            wall, replies = batch(b.port, 50)
            walls.append(wall)
            bad += [r for r in replies
                    if r[0] != 503 or r[1].get("retry-after") != "1"
                    or json.loads(r[2] or b"{}").get("error") != "store_unavailable"]
        med = statistics.median(walls)
        print("     batch walls (ms): %s" % " ".join("%.0f" % (w * 1000) for w in walls))
        check(bad == [], "outage: 6 x 50 concurrent requests all got 503 + Retry-After: 1 (%d bad)"
              % len(bad))
        # A loop that reconnects inside a request waits redis-timeout-ms
        # (1000 ms) in every batch, since each comes over 250 ms after the
        # last attempt: every batch would take >= 1000 ms. Half of that
        # leaves room for a loaded machine (a batch takes ~50-150 ms here).
        check(med < REDIS_TIMEOUT_MS / 2000.0,
              "outage: median batch of 50 answered in %.0f ms (bound %d ms; 50 x timeout = %d ms)"
              % (med * 1000, REDIS_TIMEOUT_MS // 2, 50 * REDIS_TIMEOUT_MS))
    finally:
        os.kill(redis.pid, signal.SIGCONT)
    back = wait_status(b, 201, 5)
    check(back is not None and back < 3, "outage: after SIGCONT the broker is back by itself (%s s)"
          % (None if back is None else "%.2f" % back))
    h.stop(redis)
    wall, replies = batch(b.port, 50)
    check(all(r[0] == 503 for r in replies), "outage: Redis killed: 50 x 503 in %.0f ms" % (wall * 1000))
    redis = h.start_redis(port=redis.port, name="redis-again")
    back = wait_status(b, 201, 5)
    check(back is not None and back < 3, "outage: after a restart the broker is back by itself (%s s)"
          % (None if back is None else "%.2f" % back))
    check(b.request("GET", "/healthz").status == 200, "outage: /healthz is 200 again")
    return redis


def main():
    with Harness("broker_faults", port_base=25000, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], max_body=4096,
                   redis_timeout_ms=REDIS_TIMEOUT_MS)
        b.start()
        redis = test_outage(h, b, redis)
        b.stop()
        h.stop(redis)
    if FAILS:
        print("broker log tail:\n" + "\n".join(b.log().splitlines()[-20:]))
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
