"""umbra-broker's per-client limits against a real broker and redis-server
on loopback; clients are told apart by their source address (127.0.0.1,
127.0.0.2, 127.0.0.3 are distinct clients):

* client-connections: with 5 connections of one client open (idle: no
  request sent), a 6th from the same address is closed by the broker
  without a byte of reply and without a request being needed (so a client
  cannot hold sockets by connecting and staying silent); the 5 still
  answer; another address still connects; once one of the 5 closes, the
  client connects again. Counted in /metrics.
* client-rate / client-burst: 40 requests back to back from one address:
  the first burst pass, then the passes follow the rate (bounded above by
  burst + rate x elapsed); every refusal is 429 with a whole Retry-After
  >= 1 and {"error": "rate_limited", "detail": ...}; a refused POST
  creates nothing; another address is not limited meanwhile; after
  Retry-After the client passes again. Counted in /metrics.
* trusted-proxy: a proxy's connections are not counted against it; its
  requests are counted for the client its X-Forwarded-For names (the
  rightmost address that is not a trusted proxy), so clients behind it are
  limited one by one and cannot escape by adding addresses on the left; an
  untrusted peer's X-Forwarded-For is ignored.
* the defaults let 60 concurrent connections and then 120 quick requests of
  one address through (the load the other broker tests put on it).
(max-body: tests/integration/broker_faults.py.)

Ports: from 32100-32199.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker  # noqa: E402
from umbra_harness import Harness, fail, note, run, expect  # noqa: E402


def connect(port, source="127.0.0.1", timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_reply(s):
    """One HTTP reply on s: (status, headers, body); (0, {}, b"") when the
    connection ends (or is reset) before a whole reply."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return 0, {}, data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(body) < n:
            chunk = s.recv(65536)
            if not chunk:
                return 0, {}, data
            body += chunk
        return int(lines[0].split()[1]), headers, body[:n]
    except (ConnectionResetError, socket.timeout):
        return 0, {}, data


def ask(s, method="GET", path="/healthz", xff=None):
    extra = "X-Forwarded-For: %s\r\n" % xff if xff is not None else ""
    s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: 0\r\n\r\n"
               % (method, path, extra)).encode())
    return read_reply(s)


def once(port, method="GET", path="/healthz", source="127.0.0.1", xff=None):
    s = connect(port, source)
    try:
        return ask(s, method, path, xff)
    finally:
        s.close()


def metric(port, name, source):
    status, _, body = once(port, "GET", "/metrics", source)
    expect(status == 200, "metrics: /metrics answers on metrics-listen (from %s)" % source)
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    fail("no %s in /metrics" % name)


def closed_unanswered(s, within):
    """True when the broker ends s with no byte sent, within seconds."""
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_connections(b):
    held = []
    deadline = time.monotonic() + 5
    while len(held) < 5 and time.monotonic() < deadline:
        # Each one answers, so each is admitted and counted. (The broker
        # may still count a connection just closed, such as the harness's
        # readiness probe, for a moment: then try again.)
        s = connect(b.port)
        if ask(s)[0] == 200:
            held.append(s)
        else:
            s.close()
            time.sleep(0.1)
    expect(len(held) == 5, "connections: 5 connections of one address open and answered")
    sixth = connect(b.port)  # the kernel accepts it; the broker closes it
    t0 = time.monotonic()
    expect(closed_unanswered(sixth, 3.0), "connections: a 6th idle connection from one address is "
           "closed with no reply (%.0f ms)" % ((time.monotonic() - t0) * 1000))
    sixth.close()
    late = connect(b.port)
    try:
        late.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass
    status, _, data = read_reply(late)
    late.close()
    expect(status == 0 and data == b"", "connections: a request on such a connection gets no reply")
    codes = [ask(s)[0] for s in held]
    expect(codes == [200] * 5, "connections: the 5 open connections still answer (%s)" % codes)
    other = once(b.port, source="127.0.0.2")
    expect(other[0] == 200, "connections: another client address is served meanwhile")
    held.pop().close()
    t0, status = time.monotonic(), 0
    while time.monotonic() - t0 < 3 and status != 200:
        status = once(b.port)[0]
        if status != 200:
            time.sleep(0.05)
    expect(status == 200, "connections: after one of the 5 closes, the client connects again")
    refused = metric(b.metrics_port, "umbra_broker_connections_refused_total", "127.0.0.3")
    expect(refused >= 2, "metrics: umbra_broker_connections_refused_total = %d" % refused)
    for s in held:
        s.close()


RATE, BURST = 5, 10


def test_rate(b):
    created0 = metric(b.metrics_port, "umbra_broker_identities_created_total", "127.0.0.3")
    s = connect(b.port)
    t0 = time.monotonic()
    replies = [ask(s, "POST", "/v1/identities") for _ in range(40)]
    elapsed = time.monotonic() - t0
    s.close()
    codes = [r[0] for r in replies]
    passed = codes.count(201)
    expect(codes[:BURST] == [201] * BURST, "rate: the first %d (the burst) pass" % BURST)
    expect(passed <= BURST + RATE * elapsed + 1 and set(codes) <= {201, 429},
           "rate: %d of 40 passed in %.2f s (bound %d + %d/s x elapsed)"
           % (passed, elapsed, BURST, RATE))
    bad = []
    for status, headers, body in replies:
        if status != 429:
            continue
        try:
            j = json.loads(body)
        except ValueError:
            j = None
        ra = headers.get("retry-after", "")
        if not (ra.isdigit() and int(ra) >= 1 and headers.get("content-type") == "application/json"
                and isinstance(j, dict) and set(j) == {"error", "detail"}
                and j["error"] == "rate_limited" and "client-rate" in j["detail"]):
            bad.append((ra, body[:80]))
    expect(bad == [], "rate: every refusal is 429, Retry-After >= 1, JSON {error: rate_limited, "
           "detail} (%d refused, %d bad)" % (codes.count(429), len(bad)))
    other = [once(b.port, source="127.0.0.2")[0] for _ in range(5)]
    expect(other == [200] * 5, "rate: another client address is not limited (%s)" % other)
    created = metric(b.metrics_port, "umbra_broker_identities_created_total", "127.0.0.3")
    expect(created - created0 == passed, "rate: refused POSTs created nothing (%d created, %d passed)"
           % (created - created0, passed))
    limited = metric(b.metrics_port, "umbra_broker_requests_rate_limited_total", "127.0.0.3")
    expect(limited == codes.count(429), "metrics: umbra_broker_requests_rate_limited_total = %d"
           % limited)
    wait = max(int(r[1]["retry-after"]) for r in replies if r[0] == 429)
    time.sleep(wait)
    expect(once(b.port)[0] == 200, "rate: after Retry-After (%d s) the client passes again" % wait)


def test_defaults(h, redis):
    b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], name="broker-defaults")
    b.start()
    conns = [connect(b.port) for _ in range(60)]
    time.sleep(0.3)
    codes = [ask(s)[0] for s in conns]
    for s in conns:
        s.close()
    expect(codes == [200] * 60, "defaults: 60 concurrent connections of one address are served "
           "(%d refused)" % (60 - codes.count(200)))
    s = connect(b.port)
    codes = [ask(s)[0] for _ in range(120)]
    s.close()
    expect(codes == [200] * 120, "defaults: then 120 quick requests of it pass (%d refused)"
           % (120 - codes.count(200)))
    b.stop()


def test_trusted_proxy(h, redis):
    proxy = "127.0.0.2"
    b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], name="broker-proxy",
               client_rate=1, client_burst=3, client_connections=2, trusted_proxy=proxy)
    b.start()
    conns = [connect(b.port, proxy) for _ in range(4)]
    codes = [ask(s, xff="198.51.100.%d" % (10 + i))[0] for i, s in enumerate(conns)]
    for s in conns:
        s.close()
    expect(codes == [200] * 4, "proxy: 4 connections of a trusted proxy (client-connections 2) "
           "are served (%s)" % codes)
    codes = [once(b.port, source=proxy, xff="198.51.100.1")[0] for _ in range(4)]
    expect(codes == [200, 200, 200, 429], "proxy: a client behind the proxy has its own "
           "bucket (burst 3: %s)" % codes)
    expect(once(b.port, source=proxy, xff="198.51.100.2")[0] == 200,
           "proxy: another client behind it is not limited")
    expect(once(b.port, source=proxy, xff="198.51.100.9, 198.51.100.1")[0] == 429,
           "proxy: an address the client put left of its own does not help it")
    expect(once(b.port, source=proxy, xff="198.51.100.1, %s" % proxy)[0] == 429,
           "proxy: a trusted hop on the right is skipped")
    codes = [once(b.port, xff="198.51.100.3")[0] for _ in range(4)]
    expect(codes == [200, 200, 200, 429], "proxy: an untrusted peer's X-Forwarded-For is "
           "ignored: its own bucket (%s)" % codes)
    expect(once(b.port, source=proxy, xff="198.51.100.3")[0] == 200,
           "proxy: ... and the named client's bucket is untouched")
    codes = [once(b.port, source=proxy)[0] for _ in range(4)]
    expect(codes == [200, 200, 200, 429], "proxy: without X-Forwarded-For the proxy's own "
           "bucket (%s)" % codes)
    b.stop()
    out = h.run_tool("broker-cli", [h.broker_binary(), "--trusted-proxy=192.0.2.1:80"],
                     timeout=30)
    expect(out.returncode == 2 and "trusted-proxy" in out.stderr,
           "proxy: trusted-proxy with a port is a configuration error: %s" % out.stderr.strip())


def main():
    with Harness("broker_limits", port_base=32100, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], client_connections=5,
                   client_rate=0)
        b.start()
        test_connections(b)
        b.stop()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], name="broker-rate",
                   client_rate=RATE, client_burst=BURST)
        b.start()
        test_rate(b)
        b.stop()
        test_defaults(h, redis)
        test_trusted_proxy(h, redis)
        h.stop(redis)
    note("all checks passed")


if __name__ == "__main__":
    run(main)
