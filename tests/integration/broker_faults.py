"""umbra-broker faults and leaks, each against a real redis-server:

* outage: with Redis stopped (SIGSTOP: it accepts connections but never
  answers, the case a synchronous client waits on), batches of 50
  concurrent requests all get 503 + Retry-After within a bound a loop that
  waits redis-timeout-ms per reconnect cannot meet; after SIGCONT, and
  after a kill and restart, requests succeed without restarting the broker.
* oversize bodies: just over max-body and 10 x max-body (Content-Length,
  chunked, and Expect: 100-continue) all get a JSON 413
  {"error": "payload_too_large", "detail": ...}, never libevent's HTML page;
  a body at the limit still passes, and the connection keeps working for
  requests that fit.
* secrets in memory: after a call set-up (identity token in the request
  body; caller secret, TURN password and DTLS private key in the reply) has
  been answered, none of them is left anywhere in the broker's writable
  memory (read through /proc/PID/mem): the copies were wiped, not just
  freed.
* policy file: decisions shown to users (create reply, invited event, 403
  refusal) name the operator's policy file by base name and line only.
* queued SDP: the queue that holds the offer (with the caller's DTLS
  fingerprint in clear) expires no later than the call; once the callee has
  it (asks from past it) it is gone from Redis; after DELETE no key names
  the call and no fingerprint is anywhere in Redis.

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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness  # noqa: E402
import broker_sdp_fixtures as fx  # noqa: E402

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


MAX_BODY = 4096


def send_raw(port, data, timeout=10.0):
    """Sends data (ignoring a reset while sending) and reads to EOF."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        try:
            s.sendall(data)
        except OSError:
            pass
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    finally:
        s.close()
    return out


def post_head(length=None, chunked=False, expect=False):
    head = "POST /v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if length is not None:
        head += "Content-Length: %d\r\n" % length
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    if expect:
        head += "Expect: 100-continue\r\n"
    return (head + "Connection: close\r\n\r\n").encode()


def json_body(n):
    """A JSON object of exactly n bytes."""
    return b'{"pad":"' + b"x" * (n - 10) + b'"}'


def is_json_413(reply):
    status, headers, body = parse_reply(reply)
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return (status == 413 and headers.get("content-type") == "application/json"
            and j.get("error") == "payload_too_large" and str(MAX_BODY) in j.get("detail", ""))


def test_oversize(b):
    for n, what in ((MAX_BODY + 1, "max-body + 1"), (10 * MAX_BODY, "10 x max-body")):
        body = json_body(n)
        r = b.request("POST", "/v1/calls", raw=body)
        check(r.status == 413 and r.headers.get("Content-Type") == "application/json"
              and r.json is not None and r.json.get("error") == "payload_too_large"
              and str(MAX_BODY) in r.json.get("detail", ""),
              "oversize: %s (Content-Length) gets JSON 413 payload_too_large: %r" % (what, r.raw[:90]))
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                          for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
        reply = send_raw(b.port, post_head(chunked=True) + chunks)
        check(is_json_413(reply), "oversize: %s (chunked) gets JSON 413: %r" % (what, reply[:60]))
        reply = send_raw(b.port, post_head(length=n, expect=True))
        check(is_json_413(reply), "oversize: %s (Expect: 100-continue, no body sent) gets JSON 413"
              % what)
    r = b.request("POST", "/v1/calls", raw=json_body(MAX_BODY))
    check(r.status == 400 and r.json["error"] == "invalid_request",
          "oversize: a body of exactly max-body is read (400 for its unknown field, not 413)")
    small = b"2\r\n{}\r\n0\r\n\r\n"
    reply = send_raw(b.port, post_head(chunked=True).replace(b"/v1/calls", b"/v1/identities") + small)
    check(parse_reply(reply)[0] == 201, "oversize: a small chunked body passes")
    conn = b.connection()
    try:
        codes = []
        for body in (json_body(10 * MAX_BODY), b""):
            conn.request("POST", "/v1/identities", body=body)
            resp = conn.getresponse()
            resp.read()
            codes.append(resp.status)
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = b.connection()
    finally:
        conn.close()
    check(codes == [413, 201], "oversize: the next request after a 413 is served (%s)" % codes)


def memory_finds(pid, needles):
    """Which needles occur in the process's readable, writable memory."""
    found = set()
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            # The sanitizer's shadow is terabytes of mostly unmapped
            # address space; the heap lives in far smaller mappings.
            if not fields[1].startswith("rw") or hi - lo > (1 << 32):
                continue
            pos, tail = lo, b""
            while pos < hi:
                n = min(hi - pos, 8 << 20)
                try:
                    mem.seek(pos)
                    data = tail + mem.read(n)
                except (OSError, ValueError, OverflowError):
                    break
                found.update(x for x in needles if x in data)
                tail = data[-256:]
                pos += n
    return found


def test_secrets_in_memory(b):
    t1, t2 = b.identity(), b.identity()
    pn2 = b.pseudonym(t2, "peer")
    # The token goes to the broker in a body only (never in a path or a
    # header here), the rest comes back in the reply only.
    c = b.create_call(pn2, caller=t1, native=True)
    check(c.status == 201 and "dtls" in c.json, "memory: a native call set-up with a private key")
    key_b64 = "".join(c.json["dtls"]["private_key"].splitlines()[1:-1])
    secrets = {"identity token": t1, "caller secret": c.json["caller_secret"],
               "TURN password": c.json["ice_servers"][0]["credential"],
               "DTLS private key": key_b64[len(key_b64) // 2 - 24:len(key_b64) // 2 + 24]}
    del c
    time.sleep(0.5)  # the connection is closed and freed
    pid = b.proc.pid
    t0 = time.monotonic()
    # The scan must be able to see what is there: the pseudonym and the
    # call's own public values stay in memory by design (control).
    found = memory_finds(pid, [s.encode() for s in secrets.values()] + [pn2.encode()])
    check(pn2.encode() in found, "memory: the scan finds a value the broker keeps (control, %.1f s)"
          % (time.monotonic() - t0))
    left = [k for k, v in secrets.items() if v.encode() in found]
    check(left == [], "memory: no identity token, caller secret, TURN password or private key "
          "left in the broker's memory after the reply (found: %s)" % (", ".join(left) or "none"))


POLICY = {"version": 1, "source": "service", "rules": [
    {"match": {"service": "contact-list"}, "set": {"relay_only": True}},
    {"match": {"service": "interworking"}, "mandatory": True, "set": {"anonymity": "identified"}},
]}


def origins(decision):
    """Every rule origin ({"file", "line", ...}) in a decision."""
    out = [e["set_by"] for e in decision["explanation"].values()]
    for r in decision["refused"]:
        out += [r["by"], r["winner"]]
    return out


def test_policy_file_name(b):
    full = b.policy_path
    base = os.path.basename(full)
    t1, t2 = b.identity(), b.identity()
    pn2 = b.pseudonym(t2, "peer")
    c = b.create_call(pn2, caller=t1)
    inv = b.events(c.json["call_id"], "callee", t2).json["events"][0]
    refused = b.create_call(pn2, caller=t1, service="interworking")
    check(c.status == 201 and refused.status == 403 and inv["type"] == "invited",
          "policy file: a call admitted, one refused by a mandatory rule")
    for what, reply, decision in (("create reply", c, c.json["decision"]),
                                  ("invited event", None, inv["decision"]),
                                  ("403 refusal", refused, refused.json["decision"])):
        mine = [o for o in origins(decision) if o["file"] == base]
        check(mine != [] and all(isinstance(o["line"], int) and o["line"] > 0 for o in mine)
              and all("/" not in o["file"] for o in origins(decision))
              and os.path.dirname(full) not in json.dumps(decision)
              and (reply is None or os.path.dirname(full) not in reply.raw),
              "policy file: the %s names %s and its line, not %s" % (what, base, full))


def fingerprint_forms(fp):
    """The ways a fingerprint can be spelt: with and without colons, any case."""
    hexes = fp.split()[-1]
    return [f.encode() for f in (hexes, hexes.lower(), hexes.replace(":", ""),
                                 hexes.replace(":", "").lower())]


def redis_blob(rc):
    return b"\n".join(k + b"\n" + b"\n".join(x if isinstance(x, bytes) else str(x).encode()
                                               for x in v)
                       for k, (t, ttl, v) in rc.dump_all().items())


def test_queued_sdp(b, rc):
    t1, t2 = b.identity(), b.identity()
    pn2 = b.pseudonym(t2, "peer")
    c = b.create_call(pn2, caller=t1).json
    cid, csec = c["call_id"], c["caller_secret"]
    fp_a, fp_b = fx.random_fingerprint(), fx.random_fingerprint()
    # Queues made later than the call must still end with it.
    time.sleep(2.2)
    r = b.request("POST", "/v1/calls/%s/offer" % cid, {"sdp": fx.chromium_offer(fp_a, candidates=False)},
                  bearer=csec)
    check(r.status == 200 and r.json["held"] is False, "queued SDP: the offer is queued for the callee")
    call_ttl = rc.cmd("TTL", "umbra:call:%s" % cid)
    q_ttl = rc.cmd("TTL", "umbra:call:%s:ev:callee" % cid)
    check(0 < q_ttl <= call_ttl, "queued SDP: the callee's queue expires with the call (TTL %d s, call %d s)"
          % (q_ttl, call_ttl))
    check(any(f in redis_blob(rc) for f in fingerprint_forms(fp_a)),
          "queued SDP: until delivered, the offer's fingerprint is in Redis (needed to deliver it)")
    ev = b.events(cid, "callee", t2)
    types = [e["type"] for e in ev.json["events"]]
    check(types == ["invited", "offer"] and fp_a.split()[-1] in ev.json["events"][1]["sdp"],
          "queued SDP: the callee receives the offer with its fingerprint")
    nxt = ev.json["next"]
    ev = b.events(cid, "callee", t2, since=nxt)
    blob = redis_blob(rc)
    check(ev.status == 200 and ev.json["events"] == [] and
          not any(f in blob for f in fingerprint_forms(fp_a)),
          "queued SDP: once the callee asks past it, the offer is gone from Redis")
    again = b.events(cid, "callee", t2)
    check(again.status == 200 and again.json["events"] == [] and again.json["next"] == nxt,
          "queued SDP: asking from 0 again gives nothing delivered twice, same next")
    acc = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=t2)
    r = b.request("POST", "/v1/calls/%s/answer" % cid, {"sdp": fx.firefox_answer(fp_b)},
                  bearer=acc.json["callee_secret"])
    call_ttl = rc.cmd("TTL", "umbra:call:%s" % cid)
    q_ttl = rc.cmd("TTL", "umbra:call:%s:ev:caller" % cid)
    check(acc.status == 200 and r.status == 200 and 0 < q_ttl <= call_ttl,
          "queued SDP: the caller's queue (accepted, answer) expires with the call (TTL %d s, call %d s)"
          % (q_ttl, call_ttl))
    check(any(f in redis_blob(rc) for f in fingerprint_forms(fp_b)),
          "queued SDP: the undelivered answer's fingerprint is in Redis before DELETE")
    r = b.request("DELETE", "/v1/calls/%s" % cid, bearer=csec)
    check(r.status == 200, "queued SDP: the caller ends the call")
    keys = [k for k in rc.all_keys() if cid.encode() in k]
    blob = redis_blob(rc)
    fps = [f for f in fingerprint_forms(fp_a) + fingerprint_forms(fp_b) if f in blob]
    check(keys == [], "queued SDP: after DELETE no key names the call (%d found)" % len(keys))
    check(fps == [] and cid.encode() not in blob,
          "queued SDP: after DELETE no fingerprint (any spelling) and no call id anywhere in Redis")
    ev = b.events(cid, "caller", csec)
    check(ev.status == 200 and ev.json["events"] == [{"type": "ended"}],
          "queued SDP: the caller is still told the call ended")


def main():
    with Harness("broker_faults", port_base=25000, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], policy=POLICY,
                   max_body=MAX_BODY, redis_timeout_ms=REDIS_TIMEOUT_MS)
        b.start()
        rc = Resp(redis.port)
        test_oversize(b)
        # The broker is not dumpable: only root may read its memory.
        if os.geteuid() == 0:
            test_secrets_in_memory(b)
        else:
            print("note: not root: the scan of the broker's memory is left out")
        test_policy_file_name(b)
        test_queued_sdp(b, rc)
        rc.close()
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
