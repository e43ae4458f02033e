"""umbra-broker at the edges of its documented limits, over HTTP with a real
redis-server: each limit at N (accepted), N+1 (a 4xx with a reason, nothing
written to Redis) and the largest input the outer limit (max-body) lets
through. After every refused request the broker must still be up.

Regressions of two one-request crashes:
- 24 or more kept trickled candidates (end-of-candidates "" entries count)
  once overflowed the Redis batch and aborted the broker;
- a=fingerprint with a 16-character hash name and 64 pairs once overran a
  stack buffer.
And of a 500: a callee with more pending calls than one Redis reply may
hold (65536 values) got 500 from GET /v1/pending.

Ports: from 38000-38099.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness, expect, run  # noqa: E402
import broker_sdp_fixtures as fx  # noqa: E402

MAX_BODY = 100000       # the test broker's max-body: room for an SDP over its own limit
SDP_MAX_INPUT = 65536   # broker/sdp_sanitize.h
MAX_CANDIDATES = 32     # docs/api.md: POST /v1/calls/{id}/candidates
MAX_EVENTS = 256        # docs/api.md: events queued for one party of a call
MAX_EVENT_BYTES = 1 << 20  # docs/api.md: bytes of events sent to one party of a call
MAX_FINGERPRINTS = 8    # docs/api.md: distinct a=fingerprint values per SDP
HASH_NAME_MAX = 16
CONTEXT_MAX = 256       # docs/api.md: a pseudonym context
PAIRS_MAX = 64
MAX_PENDING = 256       # docs/api.md: GET /v1/pending lists the newest 256
REPLY_VALUES_MAX = 65536  # common/redis_val.h: values in one Redis reply
POLICY = {"version": 1, "source": "service", "rules": [
    {"match": {"service": "click-to-link"}, "set": {"ice_delay_until_answer": False}}]}


def snapshot(rc):
    return {k: (t, v) for k, (t, ttl, v) in rc.dump_all().items()}


def alive(b, what):
    expect(b.proc.alive(), "%s: the broker is still running" % what)
    r = b.request("GET", "/healthz")
    expect(r.status == 200, "%s: the broker still answers (healthz %d)" % (what, r.status))


def refused(b, rc, method, path, body, bearer, status, what, raw=None):
    before = snapshot(rc)
    r = b.request(method, path, body, bearer=bearer, raw=raw)
    expect(r.status == status and r.json is not None and isinstance(r.json.get("detail"), str)
           and r.json["detail"] != "",
           "%s: %d with a reason (got %d %s)" % (what, status, r.status, r.raw[:160]))
    expect(snapshot(rc) == before, "%s: nothing written to Redis" % what)
    alive(b, what)
    return r


def fingerprint(name, pairs, first=0):
    body = [first & 0xff] + list(os.urandom(pairs - 1))
    return name + " " + ":".join("%02X" % x for x in body)


def offer_with(fps):
    """A Chromium offer carrying each of fps as an a=fingerprint line."""
    sdp = fx.chromium_offer(fps[0], candidates=False)
    extra = "".join("a=fingerprint:%s\r\n" % f for f in fps[1:])
    at = sdp.index("a=setup:")
    return sdp[:at] + extra + sdp[at:]


def relay_candidate(i, ufrag_len=0):
    c = "candidate:%d 1 udp 41885439 198.51.100.20 %d typ relay raddr 10.0.0.1 rport 9" % (
        i, 50000 + i)
    if ufrag_len:
        c += " ufrag " + "u" * ufrag_len
    return c


def new_call(b, t1, t2, pn2, **kw):
    r = b.create_call(pn2, caller=t1, **kw)
    assert r.status == 201, r
    b.remember(r.json["caller_secret"])
    return r.json["call_id"], r.json["caller_secret"]


def test_candidates(b, rc, t1, t2, pn2):
    cid, sec = new_call(b, t1, t2, pn2, service="click-to-link")
    path = "/v1/calls/%s/candidates" % cid
    queue = "umbra:call:%s:ev:callee" % cid
    for n in (23, 24):  # 24 kept was the first batch that aborted the broker
        r = b.request("POST", path, {"candidates": [relay_candidate(i) for i in range(n)]},
                      bearer=sec)
        expect(r.status == 200 and r.json["kept"] == n,
               "candidates: %d relay candidates kept (got %d %s)" % (n, r.status, r.raw[:120]))
        alive(b, "candidates: %d kept" % n)
    r = b.request("POST", path, {"candidates": [""] * MAX_CANDIDATES}, bearer=sec)
    expect(r.status == 200 and r.json["kept"] == MAX_CANDIDATES,
           "candidates: %d end-of-candidates entries kept" % MAX_CANDIDATES)
    # N at the longest candidate the sanitizer keeps (256-char ufrag).
    r = b.request("POST", path, {"candidates": [relay_candidate(i, 256)
                                                for i in range(MAX_CANDIDATES)]}, bearer=sec)
    expect(r.status == 200 and r.json["kept"] == MAX_CANDIDATES and r.json["dropped"] == 0,
           "candidates: %d of the longest kept form" % MAX_CANDIDATES)
    llen = rc.cmd("LLEN", queue)
    expect(llen == 1 + 23 + 24 + 2 * MAX_CANDIDATES,
           "candidates: every kept entry queued for the callee (LLEN %r)" % llen)
    refused(b, rc, "POST", path, {"candidates": [""] * (MAX_CANDIDATES + 1)}, sec, 400,
            "candidates: %d entries" % (MAX_CANDIDATES + 1))
    # A 257-char ufrag is over the 256 ice-chars kept: the extension goes.
    r = b.request("POST", path, {"candidates": [relay_candidate(0, 257)]}, bearer=sec)
    last = json.loads(rc.cmd("LRANGE", queue, -1, -1)[0])
    expect(r.status == 200 and r.json["kept"] == 1 and "ufrag" not in last["candidate"]
           and last["candidate"].endswith("typ relay raddr 0.0.0.0 rport 0"),
           "candidates: a 257-char ufrag is dropped from the kept candidate (%s)" % last)
    # The largest array max-body lets through: refused on its count.
    n = (MAX_BODY - len('{"candidates":[]}') + 1) // 3
    raw = '{"candidates":[' + ",".join(['""'] * n) + "]}"
    assert len(raw) <= MAX_BODY
    refused(b, rc, "POST", path, None, sec, 400, "candidates: %d entries in max-body" % n, raw=raw)


def test_event_limit(b, rc, t1, t2, pn2):
    """The callee's queue starts with its invitation; the caller fills it
    to MAX_EVENTS, then one more event is refused (409) and writes nothing,
    the caller's own queue is unaffected."""
    cid, sec = new_call(b, t1, t2, pn2, service="click-to-link")
    path = "/v1/calls/%s/candidates" % cid
    queue = "umbra:call:%s:ev:callee" % cid
    left = MAX_EVENTS - rc.cmd("LLEN", queue)
    while left > 0:
        n = min(left, MAX_CANDIDATES)
        r = b.request("POST", path, {"candidates": [""] * n}, bearer=sec)
        assert r.status == 200, r
        left -= n
    expect(rc.cmd("LLEN", queue) == MAX_EVENTS, "events: the callee's queue holds %d" % MAX_EVENTS)
    refused(b, rc, "POST", path, {"candidates": [""]}, sec, 409,
            "events: event %d for one party" % (MAX_EVENTS + 1))
    refused(b, rc, "POST", path, {"candidates": [""] * MAX_CANDIDATES}, sec, 409,
            "events: %d more for one party" % MAX_CANDIDATES)
    refused(b, rc, "POST", "/v1/calls/%s/offer" % cid,
            {"sdp": fx.chromium_offer(fx.random_fingerprint(), candidates=False)}, sec, 409,
            "events: an offer to a full queue")
    acc = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=t2)
    expect(acc.status == 200, "events: the callee still accepts (got %d)" % acc.status)
    b.remember(acc.json.get("callee_secret"))
    r = b.request("POST", path, {"candidates": [""]}, bearer=acc.json["callee_secret"])
    expect(r.status == 200 and r.json["kept"] == 1,
           "events: the callee still queues for the caller (got %d)" % r.status)


def test_event_bytes(b, rc, t1, t2, pn2):
    """Offers of the largest size fill the callee's byte budget long before
    its 256 events; candidates then take it to exactly MAX_EVENT_BYTES, and
    one byte more is refused (409) and writes nothing."""
    cid, sec = new_call(b, t1, t2, pn2, service="click-to-link")
    cands = "/v1/calls/%s/candidates" % cid
    sent = "umbra:call:%s:bytes:callee" % cid

    def used():
        return int(rc.cmd("GET", sent) or 0)

    offer = {"sdp": padded_offer(SDP_MAX_INPUT)}
    while True:
        before = used()
        r = b.request("POST", "/v1/calls/%s/offer" % cid, offer, bearer=sec)
        if r.status != 200:
            break
        size = used() - before
    expect(r.status == 409 and before + size > MAX_EVENT_BYTES,
           "event bytes: an offer past %d bytes refused (got %d at %d)"
           % (MAX_EVENT_BYTES, r.status, before))
    events = rc.cmd("LLEN", "umbra:call:%s:ev:callee" % cid) + rc.cmd(
        "LLEN", "umbra:call:%s:held:callee" % cid)
    expect(events < MAX_EVENTS, "event bytes: refused at %d events, below %d" % (events, MAX_EVENTS))

    def push(cs):
        before = used()
        r = b.request("POST", cands, {"candidates": cs}, bearer=sec)
        return r, used() - before

    # One candidate's event text grows by one byte per ufrag character.
    _, t1_len = push([relay_candidate(0, 1)])
    _, t2_len = push([relay_candidate(0, 2)])
    assert t2_len == t1_len + 1
    base, full = t1_len - 1, t1_len + 255  # a candidate costs base + its ufrag
    while MAX_EVENT_BYTES - used() > (MAX_CANDIDATES + 1) * full:
        r, _ = push([relay_candidate(0, 256)] * MAX_CANDIDATES)
        assert r.status == 200, r
    if MAX_EVENT_BYTES - used() > MAX_CANDIDATES * full:
        r, _ = push([relay_candidate(0, 256)])
        assert r.status == 200, r
    left = MAX_EVENT_BYTES - used()
    n = -(-left // full)
    assert 0 < n <= MAX_CANDIDATES and left >= n * (base + 1), (left, n)
    share, extra = divmod(left - n * base, n)
    last = [share + (1 if i < extra else 0) for i in range(n)]
    r, _ = push([relay_candidate(0, u) for u in last])
    expect(r.status == 200 and used() == MAX_EVENT_BYTES,
           "event bytes: exactly %d accepted (got %d, %d used)"
           % (MAX_EVENT_BYTES, r.status, used()))
    refused(b, rc, "POST", cands, {"candidates": [""]}, sec, 409,
            "event bytes: one byte past %d" % MAX_EVENT_BYTES)
    refused(b, rc, "POST", "/v1/calls/%s/offer" % cid, offer, sec, 409,
            "event bytes: the largest offer past %d" % MAX_EVENT_BYTES)


def test_fingerprints(b, rc, t1, t2, pn2):
    name16 = "x-sixteen-chars0"
    assert len(name16) == HASH_NAME_MAX
    cid, sec = new_call(b, t1, t2, pn2)
    path = "/v1/calls/%s/offer" % cid
    longest = [fingerprint(name16, PAIRS_MAX, i) for i in range(MAX_FINGERPRINTS)]
    r = b.request("POST", path, {"sdp": offer_with(longest)}, bearer=sec)
    expect(r.status == 200, "fingerprint: %d of a %d-char name and %d pairs accepted (got %d %s)"
           % (MAX_FINGERPRINTS, HASH_NAME_MAX, PAIRS_MAX, r.status, r.raw[:160]))
    alive(b, "fingerprint: the longest")
    cid, sec = new_call(b, t1, t2, pn2)
    path = "/v1/calls/%s/offer" % cid
    over = [fingerprint(name16, PAIRS_MAX, i) for i in range(MAX_FINGERPRINTS + 1)]
    refused(b, rc, "POST", path, {"sdp": offer_with(over)}, sec, 422,
            "fingerprint: %d distinct" % (MAX_FINGERPRINTS + 1))
    refused(b, rc, "POST", path, {"sdp": offer_with([fingerprint(name16, PAIRS_MAX + 1)])}, sec,
            422, "fingerprint: %d pairs" % (PAIRS_MAX + 1))
    refused(b, rc, "POST", path, {"sdp": offer_with([fingerprint(name16 + "x", PAIRS_MAX)])}, sec,
            422, "fingerprint: a %d-char hash name" % (HASH_NAME_MAX + 1))


def padded_offer(size):
    """A valid offer of exactly size bytes (padding in a=x-pad lines)."""
    sdp = fx.chromium_offer(fx.random_fingerprint(), candidates=False)
    at = sdp.index("a=setup:")
    need = size - len(sdp)
    pad = ""
    while need > 0:
        line = min(need, 1000)
        assert line >= 9
        if 0 < need - line < 9:
            line -= 9
        pad += "a=x-pad:" + "p" * (line - 10) + "\r\n"
        need -= line
    out = sdp[:at] + pad + sdp[at:]
    assert len(out) == size, (len(out), size)
    return out


def test_sizes(b, rc, t1, t2, pn2):
    cid, sec = new_call(b, t1, t2, pn2)
    path = "/v1/calls/%s/offer" % cid
    r = b.request("POST", path, {"sdp": padded_offer(SDP_MAX_INPUT)}, bearer=sec)
    expect(r.status == 200, "sdp: %d bytes accepted (got %d %s)" % (SDP_MAX_INPUT, r.status,
                                                                    r.raw[:160]))
    refused(b, rc, "POST", path, {"sdp": padded_offer(SDP_MAX_INPUT + 1)}, sec, 422,
            "sdp: %d bytes" % (SDP_MAX_INPUT + 1))
    # The largest body max-body lets through, and one byte more.
    sdp = padded_offer(SDP_MAX_INPUT + 1)
    body = json.dumps({"sdp": sdp, "pad": ""})
    body = json.dumps({"sdp": sdp, "pad": "x" * (MAX_BODY - len(body))})
    assert len(body) == MAX_BODY
    r = refused(b, rc, "POST", path, None, sec, 400, "body: %d bytes (max-body)" % MAX_BODY,
                raw=body)
    refused(b, rc, "POST", path, None, sec, 413, "body: %d bytes" % (MAX_BODY + 1),
            raw=body[:-2] + "x\"}")


def test_contexts(b, rc, t1):
    pn = b.pseudonym(t1, "c" * CONTEXT_MAX)
    expect(len(pn) > 0, "context: %d bytes accepted" % CONTEXT_MAX)
    r = b.pending(t1, "c" * CONTEXT_MAX)
    expect(r.status == 200, "pending: a %d-byte context accepted (got %d)" % (CONTEXT_MAX, r.status))
    refused(b, rc, "POST", "/v1/pseudonyms", {"context": "c" * (CONTEXT_MAX + 1)}, t1, 400,
            "context: %d bytes" % (CONTEXT_MAX + 1))
    refused(b, rc, "GET", "/v1/pending?context=" + "c" * (CONTEXT_MAX + 1), None, t1, 400,
            "pending: a %d-byte context" % (CONTEXT_MAX + 1))
    raw = json.dumps({"context": "c" * (MAX_BODY - len('{"context": ""}'))})
    assert len(raw) == MAX_BODY
    refused(b, rc, "POST", "/v1/pseudonyms", None, t1, 400, "context: in a %d-byte body" % MAX_BODY,
            raw=raw)


def fill_pending(rc, pn, n):
    """n pending calls to pn, straight into Redis (as n callers within
    their creation limits would leave them): ids 0..n-1, later expiring
    later."""
    key = "umbra:pend:%s" % pn
    far = int(time.time()) + 3600
    rc.cmd("DEL", key)
    for start in range(0, n, 4096):
        args = ["ZADD", key]
        for i in range(start, min(n, start + 4096)):
            args += [str(far + i), "%032x" % i]
        rc.cmd(*args)
    return ["%032x" % i for i in range(n)]


def test_pending(b, rc):
    t = b.identity()
    pn = b.pseudonym(t, "pending")
    for n in (MAX_PENDING, MAX_PENDING + 1, REPLY_VALUES_MAX + 1):
        ids = fill_pending(rc, pn, n)
        r = b.pending(t, "pending")
        expect(r.status == 200 and r.json is not None
               and r.json["calls"] == ids[-MAX_PENDING:]
               and r.json["more"] is (n > MAX_PENDING),
               "pending: %d calls, the newest %d listed, more %s (got %d %s)"
               % (n, MAX_PENDING, n > MAX_PENDING, r.status, r.raw[:120]))
        alive(b, "pending: %d calls" % n)
    rc.cmd("DEL", "umbra:pend:%s" % pn)


def main():
    with Harness("broker_edges", port_base=38000, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], policy=POLICY,
                   max_body=MAX_BODY)
        b.start()
        rc = Resp(redis.port)
        t1, t2 = b.identity(), b.identity()
        pn2 = b.pseudonym(t2, "peer")
        test_candidates(b, rc, t1, t2, pn2)
        test_event_limit(b, rc, t1, t2, pn2)
        test_event_bytes(b, rc, t1, t2, pn2)
        test_fingerprints(b, rc, t1, t2, pn2)
        test_sizes(b, rc, t1, t2, pn2)
        test_contexts(b, rc, t1)
        test_pending(b, rc)
        rc.close()
        b.stop()
        h.stop(redis)
    print("all checks passed")
    return 0


if __name__ == "__main__":
    run(main)
