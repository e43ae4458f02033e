"""Nothing a stranger can fill: umbra-broker's limits on what lives for
identity-ttl, against a real broker and a real redis-server on loopback.
Clients are told apart by their source address (127.0.0.1, 127.0.0.2,
127.0.0.3 are distinct clients).

* identity-rate N (per client a minute): N back-to-back POST
  /v1/identities of one client pass, N+1 is 429 with Retry-After and
  {"error": "rate_limited", "detail": "... identity-rate ..."}, and so is
  every later one of a burst as large as client-rate lets through;
  another address is not affected;
* identity-global-rate: all clients together are held to it (a third
  address that never created anything is refused once it is used up);
* pseudonym-rate: only a context without a live pseudonym counts: the
  N-th new context passes, N+1 is refused, fetching or rotating a live
  one still passes, a rotation of a context with none is refused, reading
  pending calls of a new context writes nothing;
* behind a trusted-proxy the client its X-Forwarded-For names is limited;
* /metrics counts every refusal by kind and limit; a refused request
  writes nothing to Redis (DBSIZE and the keys are unchanged);
* a Redis at its maxmemory (noeviction) refuses writes: the broker answers
  503 {"error": "store_full"} with Retry-After (never 500), keeps
  answering reads, logs it once, and takes writes again once keys are
  removed; it never crashes (stopped cleanly, sanitizers silent); a relay
  whose fleet announcements it refuses keeps allocating and logs it once;
* the shipped defaults let a user's first steps through.

Ports: from 37300-37399.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker, Resp  # noqa: E402
from broker_limits import connect, ask, read_reply, metric  # noqa: E402
from umbra_harness import Harness, note, run, expect  # noqa: E402
import umbra_stun  # noqa: E402

RELAYS = ["turn:127.0.0.1:3478?transport=udp"]
ID_RATE, ID_GLOBAL, PN_RATE = 3, 5, 4


def post(port, path, body=None, source="127.0.0.1", xff=None, bearer=None):
    """One request on its own connection: (status, headers, json)."""
    data = json.dumps(body) if body is not None else ""
    extra = "X-Forwarded-For: %s\r\n" % xff if xff is not None else ""
    if bearer is not None:
        extra += "Authorization: Bearer %s\r\n" % bearer
    s = connect(port, source)
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n%s" % (path, extra, len(data), data)).encode())
        status, headers, raw = read_reply(s)
    finally:
        s.close()
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    return status, headers, doc


def refused(reply, key, limit):
    """True when reply is the 429 of the creation limit named key."""
    status, headers, doc = reply
    ra = headers.get("retry-after", "")
    return (status == 429 and ra.isdigit() and 1 <= int(ra) <= limit
            and isinstance(doc, dict) and set(doc) == {"error", "detail"}
            and doc["error"] == "rate_limited" and "(%s)" % key in doc["detail"])


def snapshot(redis):
    r = Resp(redis.port)
    try:
        return r.cmd("DBSIZE"), sorted(r.all_keys())
    finally:
        r.close()


def test_identities(b, redis):
    codes = [post(b.port, "/v1/identities")[0] for _ in range(ID_RATE)]
    expect(codes == [201] * ID_RATE, "identity-rate %d: the first %d of a client pass (%s)"
           % (ID_RATE, ID_RATE, codes))
    before = snapshot(redis)
    over = post(b.port, "/v1/identities")
    expect(refused(over, "identity-rate", 60), "identity-rate: the %d-th is 429, Retry-After "
           "%s, %s" % (ID_RATE + 1, over[1].get("retry-after"), over[2]))
    # The largest burst client-rate lets through: 40 more back to back.
    s = connect(b.port)
    burst = [ask(s, "POST", "/v1/identities") for _ in range(40)]
    s.close()
    expect([r[0] for r in burst] == [429] * 40, "identity-rate: 40 more back to back, all 429")
    expect(snapshot(redis) == before, "identity-rate: the refused requests wrote nothing "
           "(DBSIZE %d)" % before[0])
    other = [post(b.port, "/v1/identities", source="127.0.0.2")[0] for _ in range(2)]
    expect(other == [201, 201], "identity-rate: another client address is not affected (%s)"
           % other)
    before = snapshot(redis)
    g2 = post(b.port, "/v1/identities", source="127.0.0.2")
    g3 = post(b.port, "/v1/identities", source="127.0.0.3")
    expect(refused(g2, "identity-global-rate", 60) and refused(g3, "identity-global-rate", 60),
           "identity-global-rate %d: all clients together are held to it, a fresh address too "
           "(%s / %s)" % (ID_GLOBAL, g2[2], g3[2]))
    expect(snapshot(redis) == before, "identity-global-rate: the refused requests wrote nothing")
    n_client = metric(b.metrics_port, 'umbra_broker_creations_refused_total{kind="identity",'
                      'limit="client"}', "127.0.0.3")
    n_global = metric(b.metrics_port, 'umbra_broker_creations_refused_total{kind="identity",'
                      'limit="global"}', "127.0.0.3")
    created = metric(b.metrics_port, "umbra_broker_identities_created_total", "127.0.0.3")
    expect((n_client, n_global, created) == (41, 2, ID_GLOBAL),
           "metrics: identities refused by client limit %d, by global limit %d, created %d"
           % (n_client, n_global, created))


def test_pseudonyms(b, redis, token):
    path = "/v1/pseudonyms"
    codes = [post(b.port, path, {"context": "c%d" % i}, bearer=token)[0] for i in range(PN_RATE)]
    expect(codes == [200] * PN_RATE, "pseudonym-rate %d: %d new contexts pass (%s)"
           % (PN_RATE, PN_RATE, codes))
    before = snapshot(redis)
    over = post(b.port, path, {"context": "c%d" % PN_RATE}, bearer=token)
    expect(refused(over, "pseudonym-rate", 60), "pseudonym-rate: the %d-th new context is 429 "
           "(%s)" % (PN_RATE + 1, over[2]))
    rot = post(b.port, path, {"context": "never-made", "rotate": True}, bearer=token)
    expect(refused(rot, "pseudonym-rate", 60), "pseudonym-rate: rotating a context with no "
           "pseudonym makes a new one: 429")
    expect(snapshot(redis) == before, "pseudonym-rate: the refused requests wrote nothing")
    again = [post(b.port, path, {"context": "c%d" % (i % PN_RATE)}, bearer=token) for i in range(8)]
    expect([r[0] for r in again] == [200] * 8, "pseudonym-rate: fetching live contexts again "
           "is not counted (%s)" % [r[0] for r in again])
    first = again[0][2]["pseudonym"]
    r = post(b.port, path, {"context": "c0", "rotate": True}, bearer=token)
    expect(r[0] == 200 and r[2]["pseudonym"] != first, "pseudonym-rate: rotating a live "
           "context is not counted (%d)" % r[0])
    before = snapshot(redis)
    pend = b.pending(token, "read-only")
    expect(pend.status == 200 and pend.json["calls"] == [] and snapshot(redis) == before,
           "pending calls of a context without a pseudonym: 200, nothing written (%d)"
           % pend.status)
    other = post(b.port, path, {"context": "from-elsewhere"}, source="127.0.0.2", bearer=token)
    expect(other[0] == 200, "pseudonym-rate: another client address is not affected")
    n = metric(b.metrics_port, 'umbra_broker_creations_refused_total{kind="pseudonym",limit="client"}',
               "127.0.0.3")
    made = metric(b.metrics_port, "umbra_broker_pseudonym_contexts_created_total", "127.0.0.3")
    expect((n, made) == (2, PN_RATE + 1), "metrics: pseudonym contexts refused %d, created %d"
           % (n, made))
    # A call in a context the caller has no pseudonym in makes one: counted
    # the same way (this client's bucket is empty by now).
    callee = post(b.port, path, {"context": "callee"}, source="127.0.0.4",
                  bearer=b.identity())[2]["pseudonym"]
    body = {"callee": callee, "caller": token, "caller_context": "via-a-call",
            "service": "contact-list", "call_model": "single-cs", "destination": "trusted",
            "caller_state": "pseudonymous"}
    before = snapshot(redis)
    r = post(b.port, "/v1/calls", body)
    expect(refused(r, "pseudonym-rate", 60) and snapshot(redis) == before,
           "pseudonym-rate: a call in a new caller context is 429, nothing written (%s)"
           % (r[2],))
    body["caller_context"] = "c1"
    r = post(b.port, "/v1/calls", body)
    if r[2]:
        b.remember(r[2].get("caller_secret"))
    expect(r[0] == 201, "pseudonym-rate: a call in a live caller context passes (%d)" % r[0])


def test_proxy(h, redis):
    proxy = "127.0.0.2"
    b = Broker(h, redis.port, RELAYS, name="broker-proxy", client_rate=0, trusted_proxy=proxy,
               identity_rate=2, identity_global_rate=0)
    b.start()
    codes = [post(b.port, "/v1/identities", source=proxy, xff="198.51.100.1")[0]
             for _ in range(3)]
    expect(codes == [201, 201, 429], "proxy: the client behind a trusted proxy is limited "
           "(identity-rate 2: %s)" % codes)
    expect(post(b.port, "/v1/identities", source=proxy, xff="198.51.100.2")[0] == 201,
           "proxy: another client behind it is not")
    expect(post(b.port, "/v1/identities", source=proxy, xff="198.51.100.9, 198.51.100.1")[0]
           == 429, "proxy: an address the client put left of its own does not help it")
    b.stop()


def used_memory(r):
    info = r.cmd("INFO", "memory").decode()
    return int([x.split(":")[1] for x in info.splitlines() if x.startswith("used_memory:")][0])


def fill(b, limit):
    """Identities until the broker answers something else: (created, reply)."""
    s = connect(b.port)
    try:
        for n in range(limit):
            r = ask(s, "POST", "/v1/identities")
            if r[0] != 201:
                return n, r
            b.remember(json.loads(r[2])["token"])
    finally:
        s.close()
    return limit, None


def test_full(h):
    redis = h.start_redis(name="redis-full")
    b = Broker(h, redis.port, RELAYS, name="broker-full", client_rate=0)
    b.start()
    token = b.identity()
    b.pseudonym(token, "kept")
    r = Resp(redis.port)
    expect(r.cmd("CONFIG", "GET", "maxmemory-policy")[1] == b"noeviction",
           "full: the shipped Redis config keeps noeviction")
    r.cmd("CONFIG", "SET", "maxmemory", str(used_memory(r) + 256 * 1024))
    made, reply = fill(b, 20000)
    t_full = time.time()
    status, headers, raw = reply if reply else (0, {}, b"")
    doc = json.loads(raw) if raw else {}
    expect(status == 503 and doc.get("error") == "store_full"
           and headers.get("retry-after", "").isdigit(),
           "full: after %d identities Redis is at maxmemory: 503 store_full, Retry-After %s (%s)"
           % (made, headers.get("retry-after"), doc))
    # At the edge a small write may still fit now and then: from here on
    # Redis stays full, as it would under a flood.
    r.cmd("CONFIG", "SET", "maxmemory", str(used_memory(r) - 64 * 1024))
    codes = [post(b.port, "/v1/identities")[0] for _ in range(3)]
    pn = post(b.port, "/v1/pseudonyms", {"context": "new-one"}, bearer=token)
    expect(codes == [503] * 3 and pn[0] == 503 and pn[2]["error"] == "store_full",
           "full: every write is 503 (identities %s, new pseudonym %d)" % (codes, pn[0]))
    health = b.request("GET", "/healthz")
    pend = b.pending(token, "kept")
    expect(health.status == 200 and pend.status == 200,
           "full: reads still answer (healthz %d, pending calls %d)"
           % (health.status, pend.status))
    test_relay_full(h, redis)
    keys = [k for k in r.all_keys() if k.startswith(b"umbra:id:")]
    for i in range(0, len(keys), 500):
        r.cmd("DEL", *keys[i:i + 500])  # freed at once (UNLINK frees later)
    # Redis frees what the keys held as it goes; give it up to 3 s.
    deadline = time.time() + 3
    waits = 0  # 503s while Redis frees, counted in the 5xx below
    while True:
        status = post(b.port, "/v1/identities")[0]
        if status == 201 or time.time() > deadline:
            break
        waits += status == 503
        time.sleep(0.1)
    expect(status == 201, "full: once keys are removed, writes pass again (%d, used %d of %s)"
           % (status, used_memory(r), r.cmd("CONFIG", "GET", "maxmemory")[1]))
    r.close()
    warns = b.log().count("redis: at maxmemory")
    # at most once a minute: a slow machine may take more than one here
    most = 1 + int((time.time() - t_full) / 60)
    expect(1 <= warns <= most, "full: logged once a minute (%d lines in %.0f s) for %d refused "
           "writes" % (warns, time.time() - t_full, 5 + waits))
    fives = metric(b.metrics_port, "umbra_broker_http_responses_total{class=\"5xx\"}", "127.0.0.1")
    expect(fives == 5 + waits, "full: %d answers of class 5xx, no 500 among the others (%d)"
           % (5 + waits, fives))
    b.stop()
    h.stop(redis)


def test_relay_full(h, redis):
    """A relay whose fleet announcements a full Redis refuses keeps
    relaying and says so once."""
    secrets = h.write_secrets(["relay-full-secret"], name="relay-full-secrets")
    relay = h.start_relay("relay-full", tls=False, auth_secret_file=secrets, relay_id="rf",
                          operator="op", redis="127.0.0.1:%d" % redis.port, fleet_refresh=1,
                          fleet_ttl=3)
    time.sleep(3.5)  # the first announcement and three refreshes, all refused
    user, password = h.rest_credentials("relay-full-secret")
    c = umbra_stun.TurnClient("127.0.0.1", relay.port, username=user, password=password)
    try:
        resp = c.allocate()
    finally:
        c.close()
    expect(resp.cls == umbra_stun.SUCCESS, "relay: with Redis full it still allocates")
    h.stop(relay)
    with open(h.path("relay-full.log"), errors="replace") as f:
        said = f.read().count("announcement not written")
    expect(said == 1, "relay: refused announcements logged once (%d lines)" % said)


def test_defaults(h, redis):
    b = Broker(h, redis.port, RELAYS, name="broker-defaults", identity_rate=None,
               identity_global_rate=None, pseudonym_rate=None, pseudonym_global_rate=None)
    b.start()
    token = b.identity()
    ctx = [b.pseudonym(token, "ctx%d" % i) for i in range(5)]
    expect(len(set(ctx)) == 5, "defaults: a new user's identity and 5 contexts pass")
    codes = [post(b.port, "/v1/identities", source="127.0.0.2")[0] for _ in range(11)]
    expect(codes == [201] * 10 + [429], "defaults: identity-rate 10 a minute (%s)" % codes)
    b.stop()


def test_calls(h, redis):
    """call-rate 3, call-global-rate 5: undetectable callers need no
    identity, so calls are limited on their own."""
    b = Broker(h, redis.port, RELAYS, name="broker-calls", client_rate=0, call_rate=3,
               call_global_rate=5)
    b.start()
    callee = b.pseudonym(b.identity(), "callee")
    body = {"callee": callee, "service": "contact-list", "call_model": "single-cs",
            "destination": "trusted", "caller_state": "undetectable"}
    made = [post(b.port, "/v1/calls", body) for _ in range(3)]
    for r in made:
        if r[2]:
            b.remember(r[2].get("caller_secret"))
    expect([r[0] for r in made] == [201] * 3, "call-rate 3: the first 3 calls of a client pass")
    before = snapshot(redis)
    over = post(b.port, "/v1/calls", body)
    expect(refused(over, "call-rate", 60), "call-rate: the 4th is 429 (%s)" % (over[2],))
    bad = post(b.port, "/v1/calls", {"callee": 7})
    expect(bad[0] == 400, "call-rate: a malformed request is 400, not counted (%d)" % bad[0])
    expect(snapshot(redis) == before, "call-rate: the refused requests wrote nothing")
    other = [post(b.port, "/v1/calls", body, source="127.0.0.2") for _ in range(2)]
    for r in other:
        if r[2]:
            b.remember(r[2].get("caller_secret"))
    expect([r[0] for r in other] == [201, 201], "call-rate: another client is not affected")
    g = post(b.port, "/v1/calls", body, source="127.0.0.3")
    expect(refused(g, "call-global-rate", 60), "call-global-rate 5: the 6th call of all is 429")
    n = metric(b.metrics_port, 'umbra_broker_creations_refused_total{kind="call",limit="client"}',
               "127.0.0.3")
    m = metric(b.metrics_port, 'umbra_broker_creations_refused_total{kind="call",limit="global"}',
               "127.0.0.3")
    expect((n, m) == (1, 1), "metrics: calls refused by client limit %d, by global limit %d"
           % (n, m))
    b.stop()


def main():
    with Harness("broker_flood", port_base=37300, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, RELAYS, client_rate=0, identity_rate=ID_RATE,
                   identity_global_rate=ID_GLOBAL, pseudonym_rate=PN_RATE,
                   pseudonym_global_rate=1000)
        b.start()
        test_identities(b, redis)
        b.stop()
        b = Broker(h, redis.port, RELAYS, name="broker-pn", client_rate=0,
                   pseudonym_rate=PN_RATE, pseudonym_global_rate=1000)
        b.start()
        test_pseudonyms(b, redis, b.identity())
        b.stop()
        test_proxy(h, redis)
        test_calls(h, redis)
        test_defaults(h, redis)
        h.stop(redis)
        test_full(h)
    note("all checks passed")


if __name__ == "__main__":
    run(main)
