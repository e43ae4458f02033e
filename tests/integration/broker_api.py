"""umbra-broker against a real redis-server: identities and pseudonyms,
call signaling through the sanitizer, ICE delay, fingerprint reuse, what
Redis holds (no private key, no token, TTL on every key), bad input with no
state change, revocation publish, Redis outage (503, then recovery), HTTPS,
and what the log never holds.

Ports: from 22000-22099.
"""
import base64
import hashlib
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness, find_addresses, find_sensitive  # noqa: E402
import broker_sdp_fixtures as fx  # noqa: E402

FAILS = []
SECRETS_SEEN = []  # every token/secret/password/key handed out, for the log check


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


POLICY = {"version": 1, "source": "service", "rules": [
    {"match": {"service": "negotiated"}, "set": {"log_retention_seconds": 600}},
    {"match": {"service": "click-to-link"}, "set": {"ice_delay_until_answer": False}},
    {"match": {"service": "conferencing"}, "set": {"identity_assertion": "forbid"}},
    {"match": {"service": "interworking"}, "mandatory": True, "set": {"anonymity": "identified"}},
]}


def snapshot(rc):
    """Keys and values, without TTLs (they tick)."""
    return {k: (t, v) for k, (t, ttl, v) in rc.dump_all().items()}


def remember(*values):
    SECRETS_SEEN.extend(v for v in values if v)
    BROKER[0].remember(*values)


BROKER = [None]
NOT_LOGGED = []


def test_identities(b, rc):
    t1, t2 = b.identity(), b.identity()
    remember(t1, t2)
    check(t1 != t2 and len(t1) == 43, "identities: distinct 256-bit bearer tokens")
    a1 = b.pseudonym(t1, "shop.example")
    a2 = b.pseudonym(t1, "shop.example")
    c1 = b.pseudonym(t1, "clinic.example")
    o1 = b.pseudonym(t2, "shop.example")
    check(a1 == a2, "pseudonym: same context gives the same pseudonym")
    check(a1 != c1, "pseudonym: different contexts give different pseudonyms")
    check(a1 != o1, "pseudonym: two identities differ in one context")
    # The surrogate key is in Redis (only the broker maps back); the
    # pseudonym must not reveal it, nor be a plain hash of it.
    sks = [v[v.index(b"sk") + 1] for k, (t, ttl, v) in rc.dump_all().items()
           if k.startswith(b"umbra:id:")]
    check(len(sks) == 2, "identities: two surrogate records in Redis")
    raw = base64.urlsafe_b64decode(a1 + "==")
    for sk_hex in sks:
        sk = bytes.fromhex(sk_hex.decode())
        for ctx in (b"shop.example", b"clinic.example"):
            for rot in (b"", b"\0" * 8):
                plain = hashlib.blake2b(sk + rot + ctx, digest_size=16).digest()
                check(plain != raw, "pseudonym: not an unkeyed hash of the surrogate key")
        check(sk not in raw and sk_hex.decode() not in a1 and sk_hex.decode() not in c1,
              "pseudonym: does not contain the surrogate key")
    check(all(t1 not in str(v) and t2 not in str(v) for v in rc.dump_all().values())
          and all(t1.encode() not in k for k in rc.all_keys()),
          "identities: the bearer token is not stored in Redis")
    # Rotation: a new pseudonym, stable afterwards; the old one is forgotten.
    r1 = b.pseudonym(t1, "shop.example", rotate=True)
    r2 = b.pseudonym(t1, "shop.example")
    check(r1 != a1 and r1 == r2, "pseudonym: rotation gives a new, stable pseudonym")
    check(b.pseudonym(t1, "clinic.example") == c1, "pseudonym: rotation of one context keeps others")
    r = b.create_call(a1)
    check(r.status == 404, "pseudonym: a rotated-away pseudonym cannot be called (404)")
    r = b.request("POST", "/v1/pseudonyms", {"context": "x"}, bearer="A" * 43)
    check(r.status == 404 and r.json["error"] == "not_found", "pseudonym: unknown token is 404")
    return t1, t2, r1, o1


def call_setup(b, caller_token, callee_token, callee_pn, **kw):
    r = b.create_call(callee_pn, caller=caller_token, **kw)
    assert r.status == 201, r
    remember(r.json["caller_secret"], r.json["ice_servers"][0]["credential"])
    # Stored in Redis by design, but never to be logged in clear.
    NOT_LOGGED.extend([r.json["ice_servers"][0]["username"], r.json["call_id"]])
    if "dtls" in r.json:
        remember(r.json["dtls"]["private_key"])
    return r.json


# A sealed TURN username (common/turn_rest.h): expiry, then 122 base64url
# characters.
SEALED = re.compile(r"^[0-9]{1,18}:[A-Za-z0-9_-]{122}$")


def test_call_flow(b, rc, t1, t2, pn2):
    fp_a, fp_b = fx.random_fingerprint(), fx.random_fingerprint()
    c = call_setup(b, t1, t2, pn2)
    cid, csec = c["call_id"], c["caller_secret"]
    check(c["ice_transport_policy"] == "relay", "create: iceTransportPolicy relay (relay_only)")
    user = c["ice_servers"][0]["username"]
    expiry, token = user.split(":")
    check(SEALED.match(user) and cid not in token
          and int(expiry) > time.time() + 200 and int(expiry) <= time.time() + 301,
          "create: REST username <expiry>:<sealed token>, TTL of minutes")
    import hmac
    want = base64.b64encode(hmac.new(b.secret.encode(), user.encode(), "sha1").digest()).decode()
    check(c["ice_servers"][0]["credential"] == want, "create: password = b64(HMAC-SHA1(secret, user))")
    check(c["ice_servers"][0]["urls"] == b.relays, "create: the configured turn:/turns: URIs")
    cname = base64.b64decode(c["cname"])
    check(len(c["cname"]) == 16 and len(cname) == 12, "create: CNAME is 96 bits in base64")
    check("dtls" not in c, "create: no DTLS identity for a browser caller")
    check(t1 not in str(c) and "sk" not in c, "create: the reply holds no token or surrogate key")
    d = c["decision"]
    check({"decision", "explanation", "refused"} <= set(d) and d["decision"]["admit"] is True,
          "create: decision with explanation and refusals")

    # Callee learns of the call by listing and by long poll.
    r = b.pending(t2, "peer")
    check(r.status == 200 and cid in r.json["calls"], "pending: the callee lists the call")
    r = b.pending(t1, "peer")
    check(r.status == 200 and cid not in r.json["calls"], "pending: another identity does not")
    ev = b.events(cid, "callee", t2)
    check(ev.status == 200 and ev.json["events"][0]["type"] == "invited"
          and ev.json["events"][0]["caller"] == c["caller_pseudonym"],
          "events: callee sees invited with the caller's pseudonym")
    nxt = ev.json["next"]

    # Offer: sanitized, delivered before accept (it carries only relay candidates).
    r = b.request("POST", "/v1/calls/%s/offer" % cid, {"type": "offer", "sdp": fx.chromium_offer(fp_a)},
                  bearer=csec)
    check(r.status == 200 and r.json["candidates_kept"] == 1 and r.json["candidates_dropped"] == 4,
          "offer: 1 relay candidate kept, host/srflx/mDNS/IPv6 dropped")
    check(r.json["held"] is True, "offer: an offer with candidates is held until accept (ICE delay)")
    r = b.request("POST", "/v1/calls/%s/offer" % cid, {"sdp": fx.chromium_offer(fp_a, candidates=False)},
                  bearer=csec)
    check(r.status == 200 and r.json["held"] is False, "offer: without candidates it goes at once")
    ev = b.events(cid, "callee", t2, since=nxt)
    offer = ev.json["events"][0]
    check(offer["type"] == "offer", "events: the callee receives the offer before accepting")
    sdp = offer["sdp"]
    check(all(leak not in sdp for leak in fx.LEAKS), "offer: no address, label or CNAME leaks")
    check(("cname:" + c["cname"]) in sdp and sdp.startswith("v=0\r\no=- "),
          "offer: per-call CNAME and rewritten o= line")
    nxt = ev.json["next"]
    # Trickled caller candidates before accept are held.
    cands = ["candidate:3454225543 1 udp 41885439 198.51.100.20 50000 typ relay raddr 203.0.113.7 rport 54321 generation 0",
             {"candidate": "candidate:1 1 udp 2122260223 192.168.1.23 54321 typ host generation 0", "sdpMid": "0", "sdpMLineIndex": 0},
             {"candidate": "candidate:5 1 udp 41885439 198.51.100.20 50002 typ relay raddr 192.168.1.23 rport 9 generation 0", "sdpMid": "0", "sdpMLineIndex": 0}]
    r = b.request("POST", "/v1/calls/%s/candidates" % cid, {"candidates": cands}, bearer=csec)
    check(r.status == 200 and r.json == {"kept": 2, "dropped": 1, "held": True},
          "candidates: relay kept, host dropped, held before accept")
    ev = b.events(cid, "callee", t2, since=nxt)
    check(ev.json["events"] == [], "ICE delay: the callee gets no caller candidate before accepting")
    # Callee answers before accepting (ringing): held.
    r = b.request("POST", "/v1/calls/%s/answer" % cid, {"sdp": fx.firefox_answer(fp_b)}, bearer=t2)
    check(r.status == 200 and r.json["held"] is True, "answer: the callee's answer is held before accept")
    ev = b.events(cid, "caller", csec)
    check(ev.status == 200 and ev.json["events"] == [], "ICE delay: the caller sees nothing before accept")

    # One party acting for the other.
    before = snapshot(rc)
    r = b.request("POST", "/v1/calls/%s/answer" % cid, {"sdp": fx.firefox_answer(fp_b)}, bearer=csec)
    check(r.status == 403, "authz: the caller cannot answer (403)")
    r = b.events(cid, "callee", csec)
    check(r.status == 403, "authz: the caller cannot read the callee's events (403)")
    r = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=csec)
    check(r.status == 403, "authz: the caller cannot accept (403)")
    r = b.request("POST", "/v1/calls/%s/offer" % cid, {"sdp": fx.chromium_offer(fp_a)}, bearer=t1)
    check(r.status == 401, "authz: another identity's token speaks for no party (401)")
    r = b.request("DELETE", "/v1/calls/%s" % cid, bearer="x" * 43)
    check(r.status == 401, "authz: a made-up secret cannot end the call (401)")
    check(snapshot(rc) == before, "authz: refused requests changed nothing in Redis")

    # Long poll: the caller waits; accept wakes it.
    got = {}

    def poll():
        t0 = time.time()
        got["r"] = b.events(cid, "caller", csec, wait=5)
        got["t"] = time.time() - t0
    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.5)
    acc = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=t2)
    th.join()
    check(acc.status == 200 and "callee_secret" in acc.json, "accept: the callee gets its secret")
    remember(acc.json["callee_secret"], acc.json["ice_servers"][0]["credential"])
    check(SEALED.match(acc.json["ice_servers"][0]["username"])
          and acc.json["ice_servers"][0]["username"] != user and acc.json["cname"] != c["cname"],
          "accept: the callee's own credentials and CNAME")
    evs = got["r"].json["events"]
    check(got["t"] < 2.0 and [e["type"] for e in evs] == ["accepted", "answer"],
          "long poll: accept wakes the caller with accepted, then the held answer")
    ans = evs[1]["sdp"]
    check([leak for leak in fx.LEAKS if leak in ans] == [] and ("cname:" + acc.json["cname"]) in ans,
          "answer: sanitized (no address, label or CNAME leaks), callee's CNAME")
    check("a=identity" in ans, "answer: a=identity kept where the decision allows assertions")
    ev = b.events(cid, "callee", acc.json["callee_secret"], since=nxt)
    types = [e["type"] for e in ev.json["events"]]
    check(types == ["offer", "candidate", "candidate"], "accept: held offer and candidates released to the callee")
    cs = [e for e in ev.json["events"] if e["type"] == "candidate"]
    check(all("raddr 0.0.0.0 rport 0" in e["candidate"] for e in cs) and cs[1].get("sdpMid") == "0",
          "candidates: raddr/rport zeroed, sdpMid kept")
    r = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=t2)
    check(r.status in (401, 409), "accept: a second accept is refused")
    return cid, csec, acc.json["callee_secret"], fp_a


def test_no_delay(b, t1, t2, pn2):
    c = call_setup(b, t1, t2, pn2, service="click-to-link")
    cid = c["call_id"]
    check(c["decision"]["decision"]["ice_delay_until_answer"] is False,
          "policy: click-to-link rule turns the ICE delay off")
    r = b.request("POST", "/v1/calls/%s/candidates" % cid,
                  {"candidates": ["candidate:3 1 udp 41885439 198.51.100.20 50000 typ relay raddr 1.2.3.4 rport 5"]},
                  bearer=c["caller_secret"])
    ev = b.events(cid, "callee", t2, since=1)
    check(r.json["held"] is False and [e["type"] for e in ev.json["events"]] == ["candidate"],
          "no ICE delay: candidates reach the callee at once")


def longest_common_run(a, b):
    """Length of the longest substring a and b share."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for k, y in enumerate(b):
            if x == y:
                cur[k + 1] = prev[k] + 1
                best = max(best, cur[k + 1])
        prev = cur
    return best


def test_unlinkable_usernames(b, t1, t2, pn2):
    c1, c2 = call_setup(b, t1, t2, pn2), call_setup(b, t1, t2, pn2)
    check(c1["decision"]["decision"]["unlinkability"] == "granted"
          and c1["caller_pseudonym"] == c2["caller_pseudonym"],
          "unlinkability: the callee sees one stable pseudonym for this caller")
    a1 = b.request("POST", "/v1/calls/%s/accept" % c1["call_id"], {}, bearer=t2).json
    a2 = b.request("POST", "/v1/calls/%s/accept" % c2["call_id"], {}, bearer=t2).json
    e = call_setup(b, t1, t2, pn2, destination="emergency")
    check(e["decision"]["decision"]["unlinkability"] == "refused",
          "linkable (emergency): unlinkability refused by policy")
    users = {"c1 caller": c1, "c1 callee": a1, "c2 caller": c2, "c2 callee": a2,
             "emergency caller": e}
    users = {k: v["ice_servers"][0]["username"] for k, v in users.items()}
    check(all(SEALED.match(u) for u in users.values()),
          "TURN usernames are <expiry>:<token>, the token 122 base64url characters")
    secrets = [c1["call_id"], c2["call_id"], e["call_id"], c1["caller_pseudonym"], pn2]
    check(not any(x in u for x in secrets for u in users.values()),
          "no call id and no pseudonym in any TURN username (not even a linkable call's)")
    names = sorted(users)
    runs = {(p, q): longest_common_run(users[p].split(":", 1)[1], users[q].split(":", 1)[1])
            for i, p in enumerate(names) for q in names[i + 1:]}
    worst = max(runs.items(), key=lambda kv: kv[1])
    check(worst[1] < 6,
          "the two parties of a call, and two calls of one identity, share no 6 characters "
          "beyond the expiry (longest common run %d, %s)" % (worst[1], " / ".join(worst[0])))


def test_policy_refusal(b, rc, t1, pn2):
    before = snapshot(rc)
    r = b.create_call(pn2, caller=t1, service="interworking")
    check(r.status == 403 and r.json["error"] == "refused_by_policy"
          and r.json["decision"]["decision"]["admit"] is False
          and len(r.json["decision"]["refused"]) >= 1,
          "policy: a mandatory identity rule refuses a pseudonymous caller, explained (403)")
    check(snapshot(rc) == before, "policy: a refused call leaves nothing in Redis")
    r = b.create_call(pn2, caller=t1, service="interworking", caller_state="identified")
    check(r.status == 201, "policy: the same call is admitted for an identified caller")


def test_strip_identity(b, t1, t2, pn2):
    c = call_setup(b, t1, t2, pn2, service="conferencing")
    check(c["decision"]["decision"]["identity_assertion"] == "forbid",
          "policy: conferencing rule forbids identity assertions")
    acc = b.request("POST", "/v1/calls/%s/accept" % c["call_id"], {}, bearer=t2)
    r = b.request("POST", "/v1/calls/%s/answer" % c["call_id"],
                  {"sdp": fx.firefox_answer(fx.random_fingerprint())},
                  bearer=acc.json["callee_secret"])
    check(r.status == 200 and "a=identity" not in r.json["sdp"],
          "answer: a=identity stripped when the decision forbids assertions")
    ev = b.events(c["call_id"], "caller", c["caller_secret"])
    check(all("a=identity" not in e.get("sdp", "") for e in ev.json["events"])
          and ev.json["events"][-1]["type"] == "answer", "answer: the caller receives it stripped")


def test_fingerprints(b, rc, t1, t2, pn2, used_fp):
    c = call_setup(b, t1, t2, pn2)
    before = snapshot(rc)
    r = b.request("POST", "/v1/calls/%s/offer" % c["call_id"], {"sdp": fx.chromium_offer(used_fp)},
                  bearer=c["caller_secret"])
    check(r.status == 409 and r.json["error"] == "conflict",
          "fingerprint: reuse from an earlier call is refused (409)")
    check(snapshot(rc) == before, "fingerprint: the refused offer changed nothing")
    # Native: the broker issues the key; only that party may present it.
    n = call_setup(b, t1, t2, pn2, native=True)
    fp = n["dtls"]["fingerprint"]
    key_pem = n["dtls"]["private_key"]
    check(key_pem.startswith("-----BEGIN PRIVATE KEY-----") and fp.startswith("sha-256 "),
          "native: a private key and its certificate fingerprint")
    r = b.request("POST", "/v1/calls/%s/offer" % n["call_id"], {"sdp": fx.chromium_offer(fp)},
                  bearer=n["caller_secret"])
    check(r.status == 200, "native: the issued fingerprint is accepted from its party")
    acc = b.request("POST", "/v1/calls/%s/accept" % n["call_id"], {"native": True}, bearer=t2)
    remember(acc.json["callee_secret"], acc.json["dtls"]["private_key"])
    r = b.request("POST", "/v1/calls/%s/answer" % n["call_id"], {"sdp": fx.firefox_answer(fp)},
                  bearer=acc.json["callee_secret"])
    check(r.status == 409, "native: the callee cannot present the caller's issued key (409)")
    r = b.request("POST", "/v1/calls/%s/answer" % n["call_id"],
                  {"sdp": fx.firefox_answer(acc.json["dtls"]["fingerprint"])},
                  bearer=acc.json["callee_secret"])
    check(r.status == 200, "native: the callee's own issued fingerprint is accepted")
    c2 = call_setup(b, t1, t2, pn2)
    r = b.request("POST", "/v1/calls/%s/offer" % c2["call_id"], {"sdp": fx.chromium_offer(fp)},
                  bearer=c2["caller_secret"])
    check(r.status == 409, "native: an issued fingerprint is refused in another call (409)")
    # The private keys are nowhere in Redis.
    dump = rc.dump_all()
    blob = repr(dump).encode()
    for pem in (key_pem, acc.json["dtls"]["private_key"]):
        body = "".join(pem.strip().splitlines()[1:-1])
        check(all(body[i:i + 24].encode() not in blob for i in range(0, len(body) - 24, 8)),
              "Redis: no part of an issued private key is stored")
    check(b"PRIVATE KEY" not in blob, "Redis: no PEM private key")
    # A fingerprint travels in the SDP queued for the other party; apart
    # from that queue it is kept only as a keyed hash, and ending the call
    # removes the queue.
    b.request("DELETE", "/v1/calls/%s" % n["call_id"], bearer=n["caller_secret"])
    blob = repr(rc.dump_all()).encode()
    hexfp = fp.split()[1].replace(":", "")
    check(fp.split()[1].encode() not in blob and hexfp.encode() not in blob
          and hexfp.lower().encode() not in blob,
          "Redis: after the call, its fingerprints only as keyed hashes")
    secrets_in_redis = [s for s in SECRETS_SEEN if s.encode() in blob]
    check(secrets_in_redis == [], "Redis: no token, party secret or TURN password stored")


def test_ttls(rc):
    dump = rc.dump_all()
    no_ttl = [k for k, (t, ttl, v) in dump.items() if ttl < 0]
    check(len(dump) > 0 and no_ttl == [], "Redis: every one of %d keys has a TTL" % len(dump))


def test_bad_input(b, rc, t2, pn2):
    c = call_setup(b, None, t2, pn2)
    cid, csec = c["call_id"], c["caller_secret"]
    check(c["caller_pseudonym"] != call_setup(b, None, t2, pn2)["caller_pseudonym"],
          "undetectable: a one-call pseudonym per call")
    ev = b.events(cid, "callee", t2)
    check(ev.json["events"][0]["caller"] is None, "undetectable: the callee is told no caller")
    before = snapshot(rc)
    cases = [
        ("POST", "/v1/calls", None, '{"callee": ', 400, "malformed_json", "malformed JSON"),
        ("POST", "/v1/calls", None, '[1,2]', 400, "malformed_json", "a JSON array body"),
        ("POST", "/v1/calls", None, b'{"callee\\\xda\x85": 1}', 400, "malformed_json",
         "a bad escape before a 2-byte character (the error quotes half of it)"),
        ("POST", "/v1/calls", {"callee": pn2, "service": "contact-list", "call_model": "single-cs",
                               "destination": "trusted", "caller_state": "undetectable",
                               "colour": "blue"}, None, 400, "invalid_request", "an unknown field"),
        ("POST", "/v1/calls", {"callee": 5, "service": "contact-list", "call_model": "single-cs",
                               "destination": "trusted", "caller_state": "undetectable"}, None,
         400, "invalid_request", "a wrong type"),
        ("POST", "/v1/calls", {"callee": pn2, "service": "telepathy", "call_model": "single-cs",
                               "destination": "trusted", "caller_state": "undetectable"}, None,
         400, "invalid_request", "an unknown service"),
        ("POST", "/v1/calls", {"callee": pn2, "service": "contact-list", "call_model": "single-cs",
                               "destination": "trusted", "caller_state": "pseudonymous"}, None,
         400, "invalid_request", "a pseudonymous caller without a token"),
        ("POST", "/v1/calls", {"callee": pn2, "service": "contact-list"}, None, 400,
         "invalid_request", "missing fields"),
        ("POST", "/v1/calls", None, '{"callee": "%s", "callee": "x"}' % pn2, 400, "malformed_json",
         "a duplicate key"),
        ("POST", "/v1/calls", None, '{"pad": "' + "x" * 5000 + '"}', 413, "payload_too_large",
         "an oversize body"),
        ("POST", "/v1/calls/%s/offer" % ("0" * 32), {"sdp": "v=0"}, None, 404, "not_found",
         "an unknown call id"),
        ("POST", "/v1/calls/nothex/offer", {"sdp": "v=0"}, None, 404, "not_found", "a malformed call id"),
        ("POST", "/v1/calls/%s/offer" % cid, {"sdp": 7}, None, 400, "invalid_request",
         "an SDP of the wrong type"),
        ("POST", "/v1/calls/%s/offer" % cid, {"sdp": "hello"}, None, 422, "unprocessable",
         "an SDP that is not SDP"),
        ("POST", "/v1/calls/%s/candidates" % cid, {"candidates": ["candidate:x"]}, None, 422,
         "unprocessable", "a malformed candidate"),
        ("POST", "/v1/calls/%s/candidates" % cid, {"candidates": []}, None, 400,
         "invalid_request", "no candidates"),
        ("POST", "/v1/calls/%s/candidates" % cid, {"candidates": [
            "candidate:3 1 udp 41885439 198.51.100.20 50000 typ relay raddr 1.2.3.4 rport 5",
            "candidate:bad"]}, None, 422, "unprocessable",
         "one bad candidate among good ones (none queued)"),
        ("GET", "/v1/calls/%s/events?party=caller&colour=1" % cid, None, None, 400,
         "invalid_request", "an unknown query parameter"),
        ("GET", "/v1/calls/%s/events?party=nobody" % cid, None, None, 400, "invalid_request",
         "an unknown party"),
        ("PUT", "/v1/calls", None, "{}", 405, "method_not_allowed", "a wrong method"),
        ("GET", "/v1/nothing", None, None, 404, "not_found", "an unknown path"),
    ]
    for method, path, body, raw, code, err, what in cases:
        r = b.request(method, path, body, bearer=csec, raw=raw)
        ok = r.status == code and r.json is not None and r.json.get("error") == err \
            and isinstance(r.json.get("detail"), str)
        check(ok, "bad input: %s gives %d %s (got %d %s)" % (what, code, err, r.status, r.raw[:120]))
    check(snapshot(rc) == before, "bad input: nothing changed in Redis")
    # An expired call (its keys gone) is unknown.
    for k in rc.all_keys():
        if k.startswith(("umbra:call:%s" % cid).encode()):
            rc.cmd("DEL", k)
    r = b.request("POST", "/v1/calls/%s/offer" % cid, {"sdp": fx.chromium_offer(fx.random_fingerprint())},
                  bearer=csec)
    check(r.status == 404, "expired call: 404")


def test_end(b, rc, cid, csec, ksec):
    sub = Resp(b.redis_port)
    sub.send("SUBSCRIBE", "umbra:revoke")
    sub.read()
    nxt = b.events(cid, "caller", csec).json["next"]
    got = {}

    def poll():
        t0 = time.time()
        got["r"] = b.events(cid, "caller", csec, since=nxt, wait=5)
        got["t"] = time.time() - t0
    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.3)
    r = b.request("DELETE", "/v1/calls/%s" % cid, bearer=ksec)
    check(r.status == 200, "end: the callee ends the call")
    th.join()
    check(got["r"].json["events"] == [{"type": "ended"}] and got["t"] < 1.5,
          "end: the waiting caller's long poll returns ended at once (%.2f s)" % got["t"])
    msg = sub.read()
    check(msg == [b"message", b"umbra:revoke", cid.encode()],
          "end: the call id is published on umbra:revoke")
    sub.close()
    left = [k for k in rc.all_keys() if cid.encode() in k and not k.startswith(b"umbra:end:")]
    check(left == [], "end: the call's state is deleted")
    r = b.events(cid, "caller", csec)
    check(r.status == 200 and r.json["events"] == [{"type": "ended"}], "end: the caller is told ended")
    r = b.request("POST", "/v1/calls/%s/offer" % cid, {"sdp": "v=0"}, bearer=csec)
    check(r.status == 410, "end: later requests get 410")


def test_retention(b, rc, t1, t2, pn2):
    c = call_setup(b, t1, t2, pn2, service="negotiated")
    check(c["decision"]["decision"]["log_retention_seconds"] == 600, "retention: policy gives 600 s")
    b.request("DELETE", "/v1/calls/%s" % c["call_id"], bearer=c["caller_secret"])
    logs = {k: v for k, v in rc.dump_all().items() if k.startswith(b"umbra:log:")}
    check(len(logs) == 1, "retention: one record remains")
    for k, (t, ttl, v) in logs.items():
        fields = dict(zip(v[::2], v[1::2]))
        check(0 < ttl <= 600, "retention: it expires within log_retention_seconds")
        check(set(fields) == {b"caller", b"callee", b"started", b"ended", b"accepted"}
              and fields[b"callee"] == pn2.encode() and c["call_id"].encode() not in k,
              "retention: only pseudonyms and times, not even the call id")


def test_outage(h, b, redis, t2, pn2):
    h.stop(redis)
    r = b.request("POST", "/v1/identities")
    check(r.status == 503 and r.headers.get("Retry-After") == "1" and r.json["error"] == "store_unavailable",
          "outage: 503 with Retry-After while Redis is down")
    r = b.request("GET", "/healthz")
    check(r.status == 503, "outage: /healthz says 503")
    redis = h.start_redis(port=redis.port, name="redis-again")
    ok, t0 = False, time.time()
    while time.time() - t0 < 5 and not ok:
        ok = b.request("POST", "/v1/identities").status == 201
        if not ok:
            time.sleep(0.1)
    check(ok and time.time() - t0 < 2, "outage: the broker recovers by itself (%.2f s)" % (time.time() - t0))
    check(b.request("GET", "/healthz").status == 200, "outage: /healthz is 200 again")
    return redis


def test_metrics(b):
    r = b.metrics()
    check(r.status == 200 and "umbra_broker_calls_created_total" in r.raw
          and "umbra:" not in r.raw, "metrics: Prometheus counts")
    created = [l for l in r.raw.splitlines() if l.startswith("umbra_broker_calls_created_total ")]
    check(created and int(created[0].split()[1]) >= 5, "metrics: calls counted")


def test_tls(h, redis_port):
    b = Broker(h, redis_port, ["turns:localhost:5349?transport=tcp"], tls=True, name="broker-tls")
    b.start()
    try:
        r = b.request("GET", "/healthz")
        check(r.status == 200, "https: the broker serves TLS with tls-cert/tls-key")
        t = b.identity()
        check(len(t) == 43, "https: API calls over TLS")
    finally:
        b.stop()


def test_log(b):
    log = b.log()
    leaked = [s[:8] for s in find_sensitive(log, SECRETS_SEEN + NOT_LOGGED)]
    check(leaked == [] and "PRIVATE KEY" not in log and find_addresses(log) == [],
          "log: no token, secret, password, call id, private key or address (%d lines)" % len(log.splitlines()))


def main():
    with Harness("broker_api", port_base=22000, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp",
                                   "turns:relay.example:5349?transport=tcp"],
                   policy=POLICY, max_body=4096)
        BROKER[0] = b
        b.start()
        rc = Resp(redis.port)
        t1, t2, pn1, _ = test_identities(b, rc)
        pn2 = b.pseudonym(t2, "peer")
        cid, csec, ksec, fp_a = test_call_flow(b, rc, t1, t2, pn2)
        test_no_delay(b, t1, t2, pn2)
        test_strip_identity(b, t1, t2, pn2)
        test_policy_refusal(b, rc, t1, pn2)
        test_unlinkable_usernames(b, t1, t2, pn2)
        test_fingerprints(b, rc, t1, t2, pn2, fp_a)
        test_ttls(rc)
        test_bad_input(b, rc, t2, pn2)
        test_end(b, rc, cid, csec, ksec)
        test_retention(b, rc, t1, t2, pn2)
        test_ttls(rc)
        test_metrics(b)
        rc.close()
        redis = test_outage(h, b, redis, t2, pn2)
        test_tls(h, redis.port)
        b.stop()
        test_log(b)
        h.stop(redis)
    if FAILS:
        print("broker log tail:\n" + "\n".join(b.log().splitlines()[-20:]))
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
