"""umbra-broker under generated hostile HTTP requests, against a real
redis-server on loopback. Properties, for every request:

* the broker answers (or closes the connection) and stays up; a crash is
  reported with the request that caused it (seed and index replay it),
  the broker is restarted and the run goes on, so one run shows every crash;
  at the end the sanitizer check of the harness runs on stop;
* the status is one that docs/api.md documents for that endpoint (the
  table ROUTES below; a wrong method on a known path is 405, an unknown
  path 404); no 500, and no 503 but relays_unavailable (Redis stays up);
* every error (4xx) is JSON {"error": NAME, "detail": TEXT} with the NAME
  docs/api.md gives for that status; the one exception is what
  docs/api.md says libevent answers itself to a request it cannot read
  as HTTP (an HTML 400, 413 or 501 that closes the connection), never to
  a request meant to be well-formed;
* every 2xx that says it is JSON is JSON;
* a refused request (4xx) leaves Redis as it was: no key added, changed
  or deleted, no expiry moved (a snapshot of every key, a hash of its
  value and its absolute expiry time, before and after).

The requests are valid ones (built on real state: identities, pseudonyms,
calls in each state with their party secrets) and mutations of them:
lengths at each documented limit N, N+1 and the largest max-body allows;
counts (candidates, fingerprints); encodings (invalid UTF-8, overlong
forms, NUL, \\u0000, lone surrogates, BOM); Unicode; duplicate keys; huge
numbers; wrong types; deep nesting; wrong methods; unknown paths; bad or
missing Content-Type; Content-Length lies; chunked bodies; pipelining;
huge and many headers; bad Authorization. The limits (candidates 1, 23,
24, 25, 32, 33 and as many as max-body holds, "" entries or relay ones; a=fingerprint with a
16- and a 17-character hash name and 64 and 65 pairs; 8 and 9
fingerprints; contexts of 0, 1, 256, 257 and max-body bytes; bodies of
max-body and one more, plain and chunked) and HTTP edges are sent once
each first, the random requests after. Besides, slow requests run
alongside: a body that stalls and a body trickled a byte at a time must be
timed out (the connection closed) while others are served, and bodies cut
by a close must leave nothing behind.

Replay: UMBRA_PROPS_SEED=N (UMBRA_PROPS_TRACE=1 prints every request).
Size: UMBRA_PROPS_REQUESTS (default 3000) and UMBRA_PROPS_SECONDS (default
45; whichever ends first); the count made is printed. UMBRA_PROPS_SLOW=0
leaves out the slow requests (which take 31 s, alongside the others).
A long local run: UMBRA_PROPS_SLOW=0 UMBRA_PROPS_REQUESTS=100000
UMBRA_PROPS_SECONDS=3600 (Redis is emptied and the state made again
whenever it holds over 1000 keys, so snapshots stay cheap).

Ports: from 36600-36699.
"""
import collections
import json
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker, Resp, secret_values  # noqa: E402
from umbra_harness import Harness, fail, note, run, top_srcdir  # noqa: E402
import broker_sdp_fixtures as fx  # noqa: E402

MAX_BODY = 65536  # the broker's default max-body, which this test keeps
CONTEXT_MAX = 256  # identities: context 1-256 bytes
CANDIDATES_MAX = 32  # candidates: 1 to 32 entries
FINGERPRINTS_MAX = 8  # distinct a=fingerprint values per SDP (SDP_MAX_FINGERPRINTS)
HASH_NAME_MAX, HEX_PAIRS_MAX = 16, 64  # a=fingerprint: hash name 1-16, 2-64 pairs
POLL_MAX = 1000000  # since, wait: 0 to 1000000
HEADERS_MAX = 16384  # the request head the broker reads

# The API as docs/api.md documents it, one row per route of broker/api.c:
# the listener ("public", or "ops": metrics-listen), method, path
# ({call}: a call id, {file}: a demo file), how the request says who it is
# (None; "token": Authorization: Bearer with an identity token; "secret":
# Authorization: Bearer with a party's secret, or the callee's identity
# token before accepting; "body": the caller's token in the JSON body),
# the success status, and the documented refusals of the route. Every
# route may also answer 400 malformed_json (a body that is not one JSON
# object), 413 (body over max-body) and 429 (client-rate, off here).
Route = collections.namedtuple("Route", "name listener method path auth ok errors")
ROUTES = [
    Route("identity", "public", "POST", "/v1/identities", None, 201, {400}),
    Route("pseudonym", "public", "POST", "/v1/pseudonyms", "token", 200, {400, 401, 404}),
    Route("pending", "public", "GET", "/v1/pending", "token", 200, {400, 401, 404}),
    Route("create", "public", "POST", "/v1/calls", "body", 201, {400, 401, 403, 404, 503}),
    Route("events", "public", "GET", "/v1/calls/{call}/events", "secret", 200,
          {400, 401, 403, 404}),
    Route("accept", "public", "POST", "/v1/calls/{call}/accept", "secret", 200,
          {400, 401, 403, 404, 409, 410, 503}),
    Route("offer", "public", "POST", "/v1/calls/{call}/offer", "secret", 200,
          {400, 401, 403, 404, 409, 410, 422}),
    Route("answer", "public", "POST", "/v1/calls/{call}/answer", "secret", 200,
          {400, 401, 403, 404, 409, 410, 422}),
    Route("candidates", "public", "POST", "/v1/calls/{call}/candidates", "secret", 200,
          {400, 401, 403, 404, 409, 410, 422}),
    Route("end", "public", "DELETE", "/v1/calls/{call}", "secret", 200,
          {400, 401, 403, 404, 410}),
    Route("healthz", "public", "GET", "/healthz", None, 200, set()),
    Route("demo", "public", "GET", "/demo", None, 301, set()),
    Route("demo_index", "public", "GET", "/demo/", None, 200, set()),
    Route("demo_file", "public", "GET", "/demo/{file}", None, 200, {404}),
    Route("metrics", "ops", "GET", "/metrics", None, 200, set()),
    Route("ops_healthz", "ops", "GET", "/healthz", None, 200, set()),
]
ALL_ROUTES = {400, 413}
# docs/api.md: the error name of each status.
ERROR_NAMES = {
    400: {"malformed_json", "invalid_request"}, 401: {"unauthorized"},
    403: {"forbidden", "refused_by_policy"}, 404: {"not_found"},
    405: {"method_not_allowed"}, 409: {"conflict"}, 410: {"gone"},
    413: {"payload_too_large"}, 422: {"unprocessable"}, 429: {"rate_limited"},
    # Redis stays up: only the split_relays refusal may be a 503 here.
    503: {"relays_unavailable"},
}
# docs/api.md: what libevent answers itself for a request it cannot read
# as HTTP/1.1 (its HTML page, Connection: close). Never for a request this
# test meant to be well-formed.
LIBEVENT_STATUSES = {400, 413, 501}
ROUTE = {r.name: r for r in ROUTES}
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
           "FOO", "get", "M-SEARCH", "PROPFIND"]

POLICY = {"version": 1, "source": "service", "rules": [
    {"match": {"service": "click-to-link"}, "set": {"ice_delay_until_answer": False}},
    {"match": {"service": "conferencing"}, "set": {"identity_assertion": "forbid"}},
    {"match": {"service": "negotiated"}, "set": {"log_retention_seconds": 60}},
    {"match": {"service": "interworking"}, "mandatory": True, "set": {"anonymity": "identified"}},
]}
SERVICES = ["contact-list", "click-to-link", "negotiated", "interworking", "conferencing"]
MODELS = ["single-cs", "dual-cs"]
DESTINATIONS = ["trusted", "inner-circle", "uncertain", "untrusted", "emergency"]
STATES = ["undetectable", "pseudonymous", "identified"]
SET_FIELDS = {
    "anonymity": ["identified", "pseudonymous", "undetectable"],
    "unlinkability": ["refused", "granted"], "relay_only": [True, False],
    "ice_delay_until_answer": [True, False], "fresh_dtls_per_call": [True, False],
    "cname": ["per-session", "per-call-random"], "origin_disclosure": ["full", "status-only", "none"],
    "org_domain_disclosure": [True, False], "identity_assertion": ["require", "allow", "forbid"],
    "log_retention_seconds": [0, 1, 60, 86400], "split_relays": [True, False],
}


# -- JSON with every liberty: raw text, duplicate keys, invalid bytes ---------

class Raw:
    """JSON text written as is (bytes)."""

    def __init__(self, text):
        self.b = text if isinstance(text, bytes) else text.encode()

    def __repr__(self):
        return "Raw(%r)" % self.b[:40]


class Obj:
    """A JSON object as ordered (key, value) pairs: keys may repeat."""

    def __init__(self, pairs):
        self.pairs = list(pairs)


def enc(v, ascii_only=True):
    if isinstance(v, Raw):
        return v.b
    if isinstance(v, dict):
        v = Obj(v.items())
    if isinstance(v, Obj):
        return b"{" + b",".join(enc(k, ascii_only) + b":" + enc(x, ascii_only)
                                for k, x in v.pairs) + b"}"
    if isinstance(v, list):
        return b"[" + b",".join(enc(x, ascii_only) for x in v) + b"]"
    if isinstance(v, str) and not ascii_only:
        try:
            return json.dumps(v, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate: escape it
            pass
    return json.dumps(v).encode()


# Strings no schema should choke on, and bytes no JSON parser should accept.
ODD_STRINGS = [
    "", "\u00e9", "\U0001F600" * 3, "\u202e\u0635\u0648\u062a", "e\u0301" * 5, "\ufeff",
    "\ud800", "\udfff\ud800", "\u0000", "a\u0000b", "\\", "\"", "%00", "%s%n%x", "../../etc",
    "\r\n", " ", "\t", "null", "0", "true", "\u2028\u2029", "\uffff", "\U0010ffff",
]
BAD_STRING_TEXT = [
    b'"\xff"', b'"\xc0\xaf"', b'"\xe0\x80\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"',
    b'"a\x00b"', b'"\x01\x1f"', b'"\\u0000"', b'"\\ud800"', b'"\\udc00\\ud800"', b'"\\uD83D"',
    b'"\\x41"', b'"\\u12"', b'"\xc3"', b'"\xef\xbb\xbf"', b'"abc', b'"\\', b"'single'",
]
NUMBER_TEXT = [
    b"1e400", b"-1e400", b"9223372036854775807", b"9223372036854775808", b"18446744073709551616",
    b"-9223372036854775809", b"-0", b"1.0", b"0.5", b"1e-400", b"00", b"01", b"+1", b".5",
    b"NaN", b"Infinity", b"-", b"1" * 400, b"0x10", b"1E2",
]


def nested(depth, open_=b"[", close=b"]", inner=b""):
    return Raw(open_ * depth + inner + close * depth)


# -- the state requests are built on -------------------------------------------

class Call:
    def __init__(self, cid, caller_secret, accepted=False, callee_secret=None):
        self.id = cid
        self.caller_secret = caller_secret
        self.callee_secret = callee_secret
        self.accepted = accepted


class World:
    """Identities, pseudonyms and calls made through the API itself."""

    def __init__(self, b, rng):
        self.b = b
        self.rng = rng
        self.caller = b.identity()
        self.callee = b.identity()
        self.other = b.identity()
        self.callee_pn = b.pseudonym(self.callee, "peer")
        self.caller_pn = b.pseudonym(self.caller, "me")
        self.calls = []
        self.refresh()

    def new_call(self, accept, **kw):
        caller = self.caller if self.rng.random() < 0.5 else None
        r = self.b.create_call(self.callee_pn, caller=caller, **kw)
        if r.status != 201:
            fail("setup: POST /v1/calls gave %r" % r)
        c = Call(r.json["call_id"], r.json["caller_secret"])
        if accept:
            a = self.b.request("POST", "/v1/calls/%s/accept" % c.id, {}, bearer=self.callee)
            if a.status != 200:
                fail("setup: accept gave %r" % a)
            c.accepted, c.callee_secret = True, a.json["callee_secret"]
        self.calls.append(c)
        return c

    def refresh(self):
        """New calls in each state: ringing, accepted, no ICE delay (a
        generated "rotate": true may have replaced the pseudonym)."""
        self.callee_pn = self.b.pseudonym(self.callee, "peer")
        self.calls = self.calls[-6:]
        self.new_call(False)
        self.new_call(True)
        self.new_call(self.rng.random() < 0.5, service="click-to-link")

    def call(self):
        return self.rng.choice(self.calls)


# -- requests --------------------------------------------------------------------

class Req:
    """One request as bytes on the wire, and what it is meant to test."""

    def __init__(self, label, method, path, body=b"", headers=None, route=None):
        self.label = label
        self.method = method
        self.path = path
        self.body = body
        self.headers = list(headers or [])
        self.route = route
        self.listener = route.listener if route is not None else "public"
        self.framing = "length"  # length, chunked, none, short, truncated, raw
        self.raw = None
        self.content_type = "application/json"
        self.chunks = None
        self.expect = None  # the statuses docs/api.md gives this very request

    def wire(self):
        if self.raw is not None:
            return self.raw
        head = ["%s %s HTTP/1.1" % (self.method, self.path), "Host: 127.0.0.1"]
        if self.content_type is not None and self.body:
            head.append("Content-Type: " + self.content_type)
        body = self.body
        if self.framing in ("length", "truncated"):
            if self.body or self.method in ("POST", "PUT", "PATCH"):
                head.append("Content-Length: %d" % len(self.body))
        elif self.framing == "short":
            head.append("Content-Length: %d" % max(0, len(self.body) // 2))
        elif self.framing == "chunked":
            head.append("Transfer-Encoding: chunked")
            parts, i = [], 0
            sizes = self.chunks or [len(body)]
            for n in sizes:
                if i >= len(body):
                    break
                piece = body[i:i + max(1, n)]
                i += len(piece)
                parts.append(b"%x\r\n%s\r\n" % (len(piece), piece))
            if i < len(body):
                parts.append(b"%x\r\n%s\r\n" % (len(body) - i, body[i:]))
            body = b"".join(parts) + b"0\r\n\r\n"
        out = "\r\n".join(head).encode()
        for k, v in self.headers:
            out += b"\r\n" + (k if isinstance(k, bytes) else k.encode()) + b": " + \
                (v if isinstance(v, bytes) else v.encode("utf-8", "surrogateescape"))
        out += b"\r\n\r\n" + body
        if self.framing == "truncated":
            out = out[:len(out) - max(1, len(self.body) // 2)]
        return out


def path_of(route, world, call=None, file=None):
    p = route.path
    if "{call}" in p:
        p = p.replace("{call}", (call or world.call()).id)
    if "{file}" in p:
        p = p.replace("{file}", file or "demo.js")
    return p


def candidate_line(rng, kind=None):
    kind = kind or rng.choice(["relay", "relay", "host", "srflx", "end", "bad", "v6relay"])
    port = rng.randint(1, 65535)
    if kind == "relay":
        return "candidate:%d 1 udp 41885439 198.51.100.%d %d typ relay raddr 203.0.113.7 rport %d" \
            % (rng.randint(0, 2 ** 32 - 1), rng.randint(1, 254), port, port)
    if kind == "v6relay":
        return "candidate:7 1 udp 41885439 2001:db8::%x %d typ relay raddr :: rport 0" \
            % (rng.randint(1, 65535), port)
    if kind == "host":
        return "candidate:1 1 udp 2122260223 192.168.1.%d %d typ host generation 0" \
            % (rng.randint(1, 254), port)
    if kind == "srflx":
        return "candidate:2 1 udp 1686052607 203.0.113.7 %d typ srflx raddr 10.0.0.1 rport 9" % port
    if kind == "end":
        return ""
    return rng.choice(["candidate:x", "candidate:1 1 udp", "candidate:" + "9" * 300 + " 1 udp 1 "
                       "198.51.100.1 1 typ relay", "a=candidate:1 1 udp 1 1.2.3.4 5 typ relay",
                       "candidate:1 1 udp 1 1.2.3.4 70000 typ relay",
                       "candidate:1 1 udp 1 999.2.3.4 5 typ relay",
                       "candidate:1 1 udp 1 1.2.3.4 5 typ relay ufrag " + "u" * 300,
                       "candidate:1 1 udp 1 1.2.3.4 5 typ relay\r\na=x"])


def candidate_entry(rng, kind=None):
    line = candidate_line(rng, kind)
    r = rng.random()
    if r < 0.5:
        return line
    e = {"candidate": line, "sdpMid": rng.choice(["0", "1", "", "x" * 40]),
         "sdpMLineIndex": rng.choice([0, 1, 65535, -1])}
    if rng.random() < 0.3:
        e["usernameFragment"] = rng.choice(["Xq3b", "", "u" * 300])
    if rng.random() < 0.1:
        e[rng.choice(["extra", "sdpMid"])] = rng.choice([None, 5, "y"])
    return e


def fingerprint(rng, name="sha-256", pairs=32):
    return name + " " + ":".join("%02X" % rng.randrange(256) for _ in range(pairs))


def hash_name(rng, n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(n))


def sdp_with(rng, fps, offer=True, extra_lines=()):
    """A browser SDP whose a=fingerprint lines are fps (one per section,
    the rest at session level)."""
    base = fx.chromium_offer(fps[0], candidates=rng.random() < 0.5) if offer \
        else fx.firefox_answer(fps[0])
    lines = base.split("\r\n")
    at = lines.index("t=0 0") + 1
    more = ["a=fingerprint:" + f for f in fps[1:]] + list(extra_lines)
    return "\r\n".join(lines[:at] + more + lines[at:])


def sdp_value(rng, offer):
    """An SDP at one of the sanitizer's edges, or a plain one."""
    r = rng.random()
    if r < 0.35:
        return sdp_with(rng, [fingerprint(rng)], offer)
    if r < 0.55:  # fingerprint counts: N, N+1, with repeats
        n = rng.choice([FINGERPRINTS_MAX, FINGERPRINTS_MAX + 1, FINGERPRINTS_MAX - 1, 30])
        return sdp_with(rng, [fingerprint(rng) for _ in range(n)], offer)
    if r < 0.75:  # hash name and pair count at their limits
        name = hash_name(rng, rng.choice([1, HASH_NAME_MAX, HASH_NAME_MAX + 1, 40]))
        pairs = rng.choice([1, 2, HEX_PAIRS_MAX, HEX_PAIRS_MAX + 1, 200])
        return sdp_with(rng, [fingerprint(rng, name, pairs)], offer)
    if r < 0.85:  # many candidates in the SDP, a long line, odd bytes
        cands = ["a=" + candidate_line(rng) for _ in range(rng.choice([1, 33, 200]))
                 if True]
        cands = [c for c in cands if c != "a="]
        return sdp_with(rng, [fingerprint(rng)], offer, cands)
    if r < 0.92:  # up to the largest SDP that fits a max-body body
        s = sdp_with(rng, [fingerprint(rng)], offer)
        room = MAX_BODY - len(s) - 40
        return s + "a=x-pad:" + "p" * rng.randint(max(0, room - 200), room) + "\r\n"
    return rng.choice(["", "v=0", "hello", "v=0\r\n" * 5000, "v=0\no=- 1 1 IN IP4 0.0.0.0\n",
                       "\u00e9\r\n", "v=0\r\na=fingerprint:sha-256 " + "0" * 500 + "\r\n"])


def valid_body(route, world, rng, call):
    """A body the route accepts, as a Python value (Obj for order)."""
    n = route.name
    if n == "pseudonym":
        b = {"context": rng.choice(["peer", "me", "ctx%d" % rng.randint(0, 5)])}
        if rng.random() < 0.2:
            b["rotate"] = rng.random() < 0.3
        return b
    if n == "create":
        state = rng.choice(STATES)
        b = {"callee": world.callee_pn, "service": rng.choice(SERVICES),
             "call_model": rng.choice(MODELS), "destination": rng.choice(DESTINATIONS),
             "caller_state": state}
        if state != "undetectable" or rng.random() < 0.2:
            b["caller"] = world.caller
        if rng.random() < 0.2:
            b["caller_context"] = rng.choice(["me", "x" * CONTEXT_MAX])
        if rng.random() < 0.1:
            b["caller_org"], b["callee_org"] = "a.example", "b.example"
        if rng.random() < 0.15:
            b["native"] = True
        if rng.random() < 0.2:
            b["preferences"] = preferences(rng)
        return b
    if n == "accept":
        return rng.choice([{}, {"native": False}, {"native": True}])
    if n in ("offer", "answer"):
        b = {"sdp": sdp_value(rng, n == "offer")}
        if rng.random() < 0.3:
            b["type"] = n
        return b
    if n == "candidates":
        k = rng.choice([1, 1, 2, 3, CANDIDATES_MAX])
        return {"candidates": [candidate_entry(rng, rng.choice(["relay", "host", "end"]))
                               for _ in range(k)]}
    return None


def preferences(rng):
    def rule():
        r = {"set": {}}
        for _ in range(rng.randint(1, 3)):
            k = rng.choice(list(SET_FIELDS))
            r["set"][k] = rng.choice(SET_FIELDS[k])
        if rng.random() < 0.3:
            r["match"] = {"service": rng.choice(SERVICES)}
        if rng.random() < 0.1:
            r["mandatory"] = True
        return r
    return rule() if rng.random() < 0.5 else [rule() for _ in range(rng.randint(0, 4))]


def auth_for(route, world, rng, call):
    """The right secret for the route, mostly; None for none."""
    if route.auth == "token":
        return rng.choice([world.callee, world.callee, world.caller, world.other])
    if route.auth != "secret":
        return None
    n = route.name
    if n == "accept":
        return world.callee
    if n == "answer" or (n == "events" and rng.random() < 0.5):
        return call.callee_secret or world.callee
    if n in ("candidates", "end"):
        return rng.choice([call.caller_secret, call.callee_secret or world.callee])
    return call.caller_secret


def query_for(route, world, rng, call, auth):
    if route.name == "pending":
        return "?context=" + rng.choice(["peer", "me", "nothing"])
    if route.name == "events":
        party = "callee" if auth in (call.callee_secret, world.callee) else "caller"
        q = "?party=" + party
        if rng.random() < 0.7:
            q += "&since=%d" % rng.choice([0, 0, 1, 2, 5])
        q += "&wait=0"
        return q
    return ""


# -- mutations -------------------------------------------------------------------

def mutate_value(rng, v):
    """A hostile replacement for one JSON value."""
    r = rng.random()
    if r < 0.15:
        return rng.choice([None, True, False, 0, -1, 1.5, [], {}, [v], {"x": v}])
    if r < 0.3:
        return Raw(rng.choice(NUMBER_TEXT))
    if r < 0.45:
        return Raw(rng.choice(BAD_STRING_TEXT))
    if r < 0.6:
        return rng.choice(ODD_STRINGS)
    if r < 0.7:
        depth = rng.choice([1, 32, 100, 1000, 5000, MAX_BODY // 2 - 200])
        return nested(depth) if rng.random() < 0.7 else nested(depth, b'{"a":', b"}", b"1")
    if r < 0.85:  # lengths: the documented context limit, then big
        n = rng.choice([0, 1, CONTEXT_MAX - 1, CONTEXT_MAX, CONTEXT_MAX + 1, 4096,
                        MAX_BODY - 300])
        ch = rng.choice(["a", "\u00e9", "\u20ac", "\U0001F600"])
        s = ch * max(0, n // len(ch.encode()))
        return s
    if isinstance(v, str) and v:
        i = rng.randrange(len(v))
        return v[:i] + rng.choice(ODD_STRINGS) + v[i + 1:]
    return rng.choice(ODD_STRINGS)


def mutate_body(rng, body):
    """body (dict) with one or two changes; an Obj when keys repeat."""
    pairs = list(body.items()) if isinstance(body, dict) else list(body.pairs)
    for _ in range(rng.randint(1, 2)):
        r = rng.random()
        if r < 0.2 and pairs:
            pairs.pop(rng.randrange(len(pairs)))
        elif r < 0.35:
            pairs.append((rng.choice(["colour", "", "\u00e9", "x" * 300, "__proto__"]),
                          rng.choice([1, "x", None])))
        elif r < 0.5 and pairs:
            k, v = rng.choice(pairs)
            pairs.append((k, mutate_value(rng, v) if rng.random() < 0.5 else v))
        elif r < 0.6 and pairs:
            i = rng.randrange(len(pairs))
            pairs[i] = (Raw(rng.choice(BAD_STRING_TEXT)), pairs[i][1])
        elif pairs:
            i = rng.randrange(len(pairs))
            pairs[i] = (pairs[i][0], mutate_value(rng, pairs[i][1]))
    return Obj(pairs)


def mutate_text(rng, text):
    """Byte-level damage to a JSON body."""
    r = rng.random()
    if r < 0.2:
        return b"\xef\xbb\xbf" + text
    if r < 0.35 and text:
        return text[:rng.randrange(len(text))]
    if r < 0.5:
        return text + rng.choice([b"x", b"{}", b"\x00", b" " * 10, b"\n"])
    if r < 0.65 and text:
        i = rng.randrange(len(text))
        return text[:i] + bytes([rng.randrange(256)]) + text[i + 1:]
    if r < 0.8:
        return rng.choice([b"[]", b"null", b"1", b'"x"', b"{", b"}", b"\x00", b"{}" * 2,
                           b"\xff\xfe{\x00}\x00", b"{\"a\":1,}", b"{'a':1}", b"\t{ }\n"])
    return text.replace(b'"', b"'", 1)


def mutate_auth(rng, world, call):
    r = rng.random()
    token = rng.choice([call.caller_secret, call.callee_secret or world.callee, world.callee,
                        world.caller, world.other])
    return rng.choice([
        None, [("Authorization", "Bearer")], [("Authorization", "Bearer ")],
        [("Authorization", "bearer " + token)], [("Authorization", "Bearer    " + token)],
        [("Authorization", "Basic " + token)], [("Authorization", "Bearer " + token + " x")],
        [("Authorization", "Bearer " + token[:-1])], [("Authorization", "Bearer " + token + "A")],
        [("Authorization", "Bearer " + "A" * 43)], [("Authorization", "Bearer " + "A" * 8000)],
        [("Authorization", "Bearer " + token), ("Authorization", "Bearer " + world.other)],
        [("Authorization", b"Bearer \xff\xfe" + token.encode())],
        [("Authorization", "Bearer " + token.upper())],
        [("Authorization", "Bearer " + token + "\t")],
    ]) if r < 0.9 else [("Authorization", "Bearer " + token)]


def mutate_path(rng, path):
    segs = path.split("?")[0].split("/")
    q = "?" + path.split("?", 1)[1] if "?" in path else ""
    r = rng.random()
    if r < 0.3 and len(segs) > 3:  # the id or token segment
        i = 3
        segs[i] = rng.choice([segs[i][:-1], segs[i] + "0", segs[i].upper(), "0" * 32, "", "..",
                              "%2e%2e", "x" * 600, "%00", "\u00e9".encode().decode("latin-1"),
                              segs[i] + "%20", "*", "f" * 32])
        return "/".join(segs) + q
    if r < 0.5:
        return path + rng.choice(["/", "//", "/x", "?", "?&", "?a", "?=1", "?%zz", "#frag",
                                  "&x=1", "?context=a&context=b", "?party=caller&party=callee"])
    if r < 0.65:
        return "/".join(segs).replace("/", rng.choice(["//", "/./", "/%2F"]), 1) + q
    if r < 0.8:
        return path + q + ("&" if q else "?") + "&".join(
            "k%d=%s" % (i, "v" * rng.choice([1, 100])) for i in range(rng.choice([1, 50, 400])))
    return rng.choice(["/", "", "*", "/v1", "/v1/", "/v1/calls/", "/v1/identities/",
                       "/v1/calls/a/b/c/d/e/f/g/h/i", "/" + "a/" * 300, "/v1/%s" % ("x" * 10000),
                       "http://127.0.0.1/healthz", "/healthz?" + "a" * 9000, "/demo/..%2F..",
                       "/demo/.hidden", "/demo/" + "a" * 70 + ".js", "/demo/README.md",
                       "/v1/calls/../identities", "/metrics/", "/HEALTHZ"])


def mutate_headers(rng, req):
    r = rng.random()
    if r < 0.2:
        req.content_type = rng.choice([None, "text/plain", "application/json; charset=latin1",
                                       "multipart/form-data; boundary=x", "", "a" * 2000])
    elif r < 0.35:  # huge headers: under, at and over the head limit
        n = rng.choice([1000, HEADERS_MAX - 600, HEADERS_MAX - 100, HEADERS_MAX + 1,
                        4 * HEADERS_MAX])
        req.headers.append(("X-Pad", "p" * n))
    elif r < 0.5:  # many headers
        n = rng.choice([50, 300, 1000, 3000])
        req.headers += [("X-H%d" % i, "v") for i in range(n)]
    elif r < 0.6:
        req.headers.append(rng.choice([
            ("Expect", "100-continue"), ("Connection", "close"), ("Connection", "keep-alive"),
            ("X-Umbra-Body-Too-Large", "1"), ("X-Forwarded-For", "1.2.3.4, ::1, x"),
            ("Content-Encoding", "gzip"), ("Host", "a"), ("Range", "bytes=0-1"),
            ("If-None-Match", "*"), (b"Bad Header", b"x"), (b"X-Bin", b"\x00\x01\xff"),
            ("X-Fold", "a\r\n b"), ("Content-Length", "5"), ("Content-Length", "-1"),
            ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "gzip, chunked"),
        ]))
    elif r < 0.75:
        req.framing = rng.choice(["chunked", "chunked", "short", "none"])
        req.chunks = rng.choice([None, [1] * 40, [7, 3000], [0x10000]])
    elif r < 0.85:
        req.framing = "truncated"
    else:
        req.method = rng.choice(METHODS)


# -- the generator ---------------------------------------------------------------

def gen_request(rng, world):
    route = rng.choice(ROUTES)
    call = world.call()
    auth = auth_for(route, world, rng, call)
    path = path_of(route, world, call,
                   rng.choice(["demo.js", "index.html", "demo.css", "README.md", "none.js"]))
    path += query_for(route, world, rng, call, auth)
    body_v = valid_body(route, world, rng, call)
    text = enc(body_v, rng.random() < 0.5) if body_v is not None else b""
    label = [route.name]
    headers = [("Authorization", "Bearer " + auth)] if auth else []
    k = rng.random()
    if k < 0.25:
        label.append("valid")
    else:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            what = rng.choice(["body", "body", "body", "text", "auth", "path", "headers",
                               "limits", "limits"])
            label.append(what)
            if what == "body" and body_v is not None:
                text = enc(mutate_body(rng, body_v), rng.random() < 0.5)
            elif what == "body" or what == "text":
                text = mutate_text(rng, text)
            elif what == "auth":
                headers = mutate_auth(rng, world, call) or []
            elif what == "path":
                path = mutate_path(rng, path)
            elif what == "limits":
                text, path = limits(rng, route, world, call, text, path)
    req = Req(" ".join(label), route.method, path, text, headers, route)
    if "headers" in label:
        mutate_headers(rng, req)
    return req


def limits(rng, route, world, call, text, path):
    """A documented limit at N, N+1 or the largest the outer limit allows."""
    n = route.name
    if n == "candidates":
        count = rng.choice([0, 1, 23, 24, 25, CANDIDATES_MAX, CANDIDATES_MAX + 1, 1000])
        kind = rng.choice([None, "end", "relay"])
        cands = [candidate_entry(rng, kind) for _ in range(count)]
        return enc({"candidates": cands}), path
    if n in ("pseudonym", "create") or (n == "pending" and rng.random() < 0.5):
        ln = rng.choice([0, 1, CONTEXT_MAX, CONTEXT_MAX + 1, 5000, MAX_BODY - 40])
        ch = rng.choice(["c", "\u00e9"])
        ctx = ch * (ln // len(ch.encode())) + ("c" if ln % len(ch.encode()) else "")
        if n == "pseudonym":
            return enc({"context": ctx}, False), path
        if n == "pending":
            return text, path.split("?")[0] + "?context=" + ctx[:12000]
        b = valid_body(route, world, rng, call)
        b["caller_context" if rng.random() < 0.5 else "caller_org"] = ctx
        return enc(b, False), path
    if n == "events":
        v = rng.choice(["0", str(POLL_MAX), str(POLL_MAX + 1), "-1", "", "1e3", "9" * 30,
                        " 1", "1 ", "0x10", "+1", "%00"])
        party = "caller" if "party=caller" in path else "callee"
        return text, path.split("?")[0] + "?party=%s&%s=%s&wait=0" % (
            party, rng.choice(["since", "wait"]), v)
    # The body size: max-body exactly, one over, and far over.
    size = rng.choice([MAX_BODY, MAX_BODY + 1, MAX_BODY - 1, 2 * MAX_BODY, 4 * MAX_BODY + 1])
    base = text or b"{}"
    return base[:-1] + b" " * max(0, size - len(base)) + base[-1:], path


def gen_protocol(rng, world):
    """A request that is wrong at the HTTP level."""
    route = rng.choice(ROUTES)
    path = path_of(route, world)
    r = rng.random()
    req = Req(route.name + " protocol", route.method, path, b"", [], route)
    if r < 0.3:
        req.method = rng.choice([m for m in METHODS if m != route.method])
        req.label = route.name + " method " + req.method
        if rng.random() < 0.5:
            req.body = b"{}"
    elif r < 0.45:
        req.path = mutate_path(rng, path)
        req.label = route.name + " path"
    elif r < 0.55:
        req.raw = rng.choice([
            b"GET /healthz\r\n\r\n", b"GET /healthz HTTP/1.0\r\n\r\n", b"GET /healthz HTTP/9.9\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
            b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"GET  /healthz  HTTP/1.1\r\n\r\n",
            b"GET /healthz HTTP/1.1\nHost: x\n\n", b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n",
            b"POST /v1/identities HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            b"POST /v1/identities HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked"
            b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            b"POST /v1/identities HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            b"POST /v1/identities HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"ffffffffffffffff\r\n{}\r\n0\r\n\r\n",
            b"POST /v1/identities HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2;ext=1\r\n{}\r\n0\r\nTrailer: x\r\n\r\n",
            b"POST /v1/identities HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
            b"POST /v1/identities HTTP/1.1\r\nContent-Length: 0x2\r\n\r\n{}",
            b"GET /healthz HTTP/1.1\r\n" + b"X: y\r\n" * 5000 + b"\r\n",
            b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
            b"\x00\x00\x00\x00\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: \xff\r\n\r\n",
        ])
        req.label = "raw %r" % req.raw[:40]
    elif r < 0.7:
        req.method = "POST" if route.method == "GET" else route.method
        req.body = enc({}) if rng.random() < 0.5 else b"{}" + b" " * rng.choice([0, MAX_BODY])
        req.framing = rng.choice(["chunked", "short", "truncated"])
        req.chunks = rng.choice([None, [1] * 20, [MAX_BODY + 10]])
        req.label = route.name + " framing " + req.framing
    else:
        mutate_headers(rng, req)
        req.label = route.name + " headers"
    return req


def fixed_requests(rng, world):
    """The documented limits at N, N+1 and the largest max-body lets
    through, once each before the random ones, and HTTP edges that once
    went wrong; each a list of requests for one connection."""
    out = []

    def req(label, name, body, auth=None, method=None, call=None, expect=None):
        route = ROUTE[name]
        call = call or world.calls[1]  # accepted
        r = Req("fixed " + label, method or route.method, path_of(route, world, call),
                body if isinstance(body, bytes) else enc(body, False),
                [("Authorization", "Bearer " + auth)] if auth else [], route)
        r.expect = expect
        return r

    acc = [c for c in world.calls if c.accepted][0]
    for n in (1, 23, 24, 25, CANDIDATES_MAX, CANDIDATES_MAX + 1, None):
        for kind in ("end", "relay"):  # "" end-of-candidates entries count
            one = candidate_line(rng, kind)
            # None: as many as max-body lets through
            many = n or (MAX_BODY - len('{"candidates":[]}')) // (len(enc(one)) + 1)
            body = enc({"candidates": [one] * many})
            out.append([req("%d %s candidates (%d bytes)" % (many, kind, len(body)),
                            "candidates", body, acc.caller_secret, call=acc,
                            expect={200} if many <= CANDIDATES_MAX else {400})])
    for name_len, pairs in ((HASH_NAME_MAX, HEX_PAIRS_MAX), (HASH_NAME_MAX, HEX_PAIRS_MAX + 1),
                            (HASH_NAME_MAX + 1, HEX_PAIRS_MAX), (7, 2), (7, 1)):
        fp = fingerprint(rng, hash_name(rng, name_len), pairs)
        ok = name_len <= HASH_NAME_MAX and 2 <= pairs <= HEX_PAIRS_MAX
        out.append([req("fingerprint %d-char name, %d pairs" % (name_len, pairs), "offer",
                        {"sdp": sdp_with(rng, [fp])}, acc.caller_secret, call=acc,
                        expect={200} if ok else {422})])
    for n in (FINGERPRINTS_MAX, FINGERPRINTS_MAX + 1):
        out.append([req("%d fingerprints" % n, "answer",
                        {"sdp": sdp_with(rng, [fingerprint(rng) for _ in range(n)], False)},
                        acc.callee_secret, call=acc,
                        expect={200} if n <= FINGERPRINTS_MAX else {422})])
    for n in (0, 1, CONTEXT_MAX, CONTEXT_MAX + 1, MAX_BODY - 40):
        out.append([req("context of %d bytes" % n, "pseudonym", {"context": "c" * n},
                        world.callee, expect={200} if 1 <= n <= CONTEXT_MAX else {400})])
    for size in (MAX_BODY, MAX_BODY + 1):
        body = b'{"context":"x"' + b" " * (size - 15) + b"}"
        assert len(body) == size
        want = {200} if size <= MAX_BODY else {413}
        out.append([req("body of %d bytes" % size, "pseudonym", body, world.callee,
                        expect=want)])
        r = req("chunked body of %d bytes" % size, "pseudonym", body, world.callee,
                expect=want)
        r.framing, r.chunks = "chunked", [1000] * (size // 1000 + 1)
        out.append([r])
    # A reply to HEAD carries no content, a body on HEAD or TRACE is
    # dropped: the reply after each is read right.
    out.append([req("HEAD", "healthz", b"", method="HEAD", expect={405}),
                req("after HEAD", "healthz", b"", expect={200})])
    out.append([req("HEAD with a body", "healthz", b"FOO / HTTP/1.1\r\n", method="HEAD",
                    expect={405}), req("after HEAD with a body", "healthz", b"", expect={200})])
    out.append([req("TRACE with a body", "create", b"{}", method="TRACE", expect={405}),
                req("after TRACE with a body", "healthz", b"", expect={200})])
    return out


# -- sending and checking --------------------------------------------------------

def read_reply(s, head_only=False):
    """(status, headers, body) of one reply on s, or None when the
    connection ends before a whole one. Raises socket.timeout on a stall."""
    data = b""
    while b"\r\n\r\n" not in data or data.startswith(b"HTTP/1.1 100 "):
        if data.startswith(b"HTTP/1.1 100 ") and b"\r\n\r\n" in data:
            data = data.split(b"\r\n\r\n", 1)[1]  # 100 Continue: the reply follows
            continue
        chunk = s.recv(65536)
        if not chunk:
            return None, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return (0, headers, head), rest
    if head_only:
        return (status, headers, b""), rest
    if "content-length" not in headers:  # HTTP/1.0: the body ends with the connection
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return (status, headers, rest), b""
            rest += chunk
    n = int(headers.get("content-length", "0") or 0)
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            return None, rest
        rest += chunk
    return (status, headers, rest[:n]), rest[n:]


class Prober:
    def __init__(self, h, b, rc, seed):
        self.h, self.b, self.rc, self.seed = h, b, rc, seed
        self.problems = []
        self.crashes = []
        self.count = 0
        self.statuses = collections.Counter()
        self.restarts = 0
        self.kinds = collections.Counter()
        self.libevent = collections.Counter()

    def problem(self, i, req, what, kind=None):
        """Records a failed property; three examples of each kind."""
        kind = kind or what
        self.kinds[kind] += 1
        if self.kinds[kind] <= 3:
            self.problems.append((i, what, req.label, req.wire()[:300]))

    def snapshot(self):
        out = {}
        for line in self.rc.cmd("EVAL", SNAPSHOT_LUA, 0).split(b"\n"):
            if line:
                k, digest, expires = line.rsplit(b"\t", 2)
                out[k] = (digest, int(expires))
        return out, time.time() * 1000

    def send(self, reqs):
        """Sends reqs on one connection; returns one entry per request:
        (status, headers, body), None (closed first) or "stall"."""
        # A request whose body the broker may still await gets a short
        # wait; a whole one must be answered within 10 s.
        timeout = 10.0 if all(awaits_nothing(r) for r in reqs) else 0.5
        try:
            port = self.b.port if reqs[0].listener == "public" else self.b.metrics_port
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except ConnectionRefusedError:
            return [None] * len(reqs)
        out = []
        try:
            s.sendall(b"".join(r.wire() for r in reqs))
            if any(r.framing == "truncated" for r in reqs):
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the broker answered and closed before taking it all: read that
        try:
            rest = b""
            for r in reqs:
                try:
                    # Leftover bytes of an earlier read belong to this reply.
                    got, rest = read_with(s, rest, r.method == "HEAD")
                except socket.timeout:
                    out.append("stall")
                    break
                except OSError:  # reset
                    out.append(None)
                    break
                out.append(got)
                if got is None:
                    break
        finally:
            s.close()
        return out + [None] * (len(reqs) - len(out))

    def check(self, i, req, got, before, after, framed=True):
        """framed: every request before this one on its connection was
        one the broker could frame."""
        route = req.route
        if got in (None, "stall") and before is not None:
            self.check_unchanged(i, req, before, after)  # a request cut short
        if got == "stall":
            if not framed or not awaits_nothing(req):
                return  # a body still awaited: the broker may wait for it
            self.problem(i, req, "no reply within 10 s", "stall")
            return
        if got is None:
            if req.expect is not None:
                self.problem(i, req, "closed without a reply", "fixed %s" % req.label)
            return  # closed without a reply: allowed for what cannot be framed
        status, headers, body = got
        self.statuses[status] += 1
        if req.expect is not None and status not in req.expect:
            self.problem(i, req, "status %d, not %s" % (status, sorted(req.expect)),
                         "fixed %s" % req.label)
        if libevent_page(headers, body):
            self.libevent[status] += 1
            if status not in LIBEVENT_STATUSES or (framed and req.label.endswith(" valid")):
                self.problem(i, req, "libevent answered %d itself" % status,
                             "libevent %d" % status)
            if before is not None:
                self.check_unchanged(i, req, before, after)
            return
        allowed = self.allowed(req)
        if status not in allowed:
            self.problem(i, req, "status %d not documented for %s (%s)"
                         % (status, req.method + " " + (route.name if route else "?"),
                            sorted(allowed)), "status %d" % status)
        if status >= 400:
            self.check_error(i, req, status, headers, body)
            if before is not None:
                self.check_unchanged(i, req, before, after)
        elif status in (200, 201) and req.method != "HEAD" and not (
                headers.get("content-type") != "application/json" and
                req.path.startswith(("/demo", "/metrics"))):
            try:
                doc = json.loads(body)
                self.b.remember(*secret_values(doc))
            except ValueError:
                self.problem(i, req, "a %d reply that is not JSON" % status)

    def allowed(self, req):
        route = req.route
        if route is None or req.raw is not None:
            return set(ERROR_NAMES) - {429} | {200, 201, 301}
        path = req.path.split("?")[0].split("#")[0]
        if path.startswith("http://"):
            path = "/" + path.split("/", 3)[-1]
        if path.startswith("//"):  # "//AUTHORITY/PATH" (RFC 3986), as libevent reads it
            rest = path[2:]
            path = rest[rest.index("/"):] if "/" in rest else ""
        if len(path) >= 512:  # longer than any route: unknown (docs/api.md: 404)
            return {400, 404, 413}
        known = [r for r in ROUTES if r.listener == req.listener and path_matches(r.path, path)]
        if not known:
            return {400, 404, 413}
        if req.method not in [r.method for r in known]:
            return {400, 405, 413}
        r = [r for r in known if r.method == req.method][0]
        return {r.ok} | r.errors | ALL_ROUTES

    def check_error(self, i, req, status, headers, body):
        if req.method == "HEAD":
            return  # no body in a reply to HEAD
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if headers.get("content-type") != "application/json" or not isinstance(doc, dict) \
                or not isinstance(doc.get("detail"), str) \
                or doc.get("error") not in ERROR_NAMES.get(status, ()):
            self.problem(i, req, "error %d without the documented JSON body: %r"
                         % (status, body[:80]), "error %d body %r" % (status, body[:12]))

    def check_unchanged(self, i, req, before, after):
        (b, _), (a, now_ms) = before, after
        for k, (digest, expires) in a.items():
            if k not in b:
                self.problem(i, req, "a refused request wrote key %r" % k[:24], "Redis: key added")
            elif b[k][0] != digest:
                self.problem(i, req, "a refused request changed key %r" % k[:24],
                             "Redis: value changed")
            elif b[k][1] != expires:
                self.problem(i, req, "a refused request changed the expiry of %r" % k[:24],
                             "Redis: expiry changed")
        for k, (digest, expires) in b.items():
            if k not in a and not (0 <= expires <= now_ms + 1000):
                self.problem(i, req, "a refused request deleted key %r" % k[:24],
                             "Redis: key deleted")

    def healthy(self):
        """True when the broker answers /healthz with 200 (a broker that
        is writing a sanitizer report still accepts, and does not answer)."""
        try:
            s = socket.create_connection(("127.0.0.1", self.b.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            got, _ = read_reply(s)
            s.close()
            return got is not None and got[0] == 200
        except OSError:
            return False

    def alive_or_restart(self, i, reqs, got):
        if self.b.proc.alive() and (all(g is not None and g != "stall" for g in got)
                                    or self.healthy()):
            return True
        deadline = time.monotonic() + 60
        while self.b.proc.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.b.proc.alive():
            fail("the broker neither answers nor exits (request %d: %s)" % (i, reqs[0].label))
        log = self.b.proc.log_text()
        marks = [log.find(m) for m in ("ERROR: AddressSanitizer", "runtime error", "abort")]
        mark = min([m for m in marks if m >= 0] or [max(0, len(log) - 1200)])
        self.crashes.append((i, [r.label for r in reqs], [r.wire()[:400] for r in reqs],
                             log[mark:mark + 1200]))
        self.restarts += 1
        self.b.name = "broker-%d" % (self.restarts + 1)
        self.b.start()
        return False


def libevent_page(headers, body):
    """An answer from libevent itself (docs/api.md), not from the broker."""
    return headers.get("content-type") == "text/html" and \
        (body.startswith(b"<HTML><HEAD>") or body == b"")


def awaits_nothing(req):
    """False for a request after which the broker may rightly wait for
    more bytes: a body cut short or unframed, raw bytes, a
    second Content-Length or a Transfer-Encoding header (libevent waits
    for a body it cannot frame until its timeout), CONNECT (a tunnel to
    libevent), a chunked body on HEAD or TRACE (libevent reads it as the
    next request)."""
    return req.raw is None and req.framing in ("length", "chunked") and \
        req.method != "CONNECT" and not (req.method in ("HEAD", "TRACE") and
                                         req.framing == "chunked") and not any(
        k in ("Transfer-Encoding", "Content-Length") for k, v in req.headers)


def read_with(s, rest, head_only):
    """read_reply, starting from bytes already read."""
    class Pre:
        def __init__(self, sock, pre):
            self.sock, self.pre = sock, pre

        def recv(self, n):
            if self.pre:
                out, self.pre = self.pre, b""
                return out
            return self.sock.recv(n)
    return read_reply(Pre(s, rest), head_only)


def path_matches(pattern, path):
    p, q = pattern.split("/"), path.split("/")
    return len(p) == len(q) and all(a == b or (a.startswith("{") and b != "")
                                    for a, b in zip(p, q))


# Every key, a hash of its value (DUMP) and its absolute expiry time (ms;
# -1: none), one line each, in one reply. The expiry time of a key nobody
# touched stays the same, so any TTL extension shows.
SNAPSHOT_LUA = """
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local d = redis.call('DUMP', k)
  out[#out + 1] = k .. '\\t' .. (d and redis.sha1hex(d) or '') .. '\\t' ..
    redis.call('PEXPIRETIME', k)
end
return table.concat(out, '\\n')
"""


# -- slow requests ---------------------------------------------------------------

def slow_request(port, results, name, trickle, limit):
    """A POST whose body stalls (trickle None) or comes one byte every
    trickle seconds; results[name] = seconds until the broker closed it, or
    None when it was still open after limit seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = b'{"context":"' + b"s" * 200 + b'"}'
    s.sendall(b"POST /v1/identities/x/pseudonyms HTTP/1.1\r\nHost: x\r\nContent-Type: "
              b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:3])
    t0, i = time.monotonic(), 3
    results[name] = None
    s.settimeout(trickle or 1.0)
    try:
        while time.monotonic() - t0 < limit:
            try:
                if s.recv(4096) == b"":
                    results[name] = time.monotonic() - t0
                    return
            except socket.timeout:
                pass
            if trickle and i < len(body) - 1:
                s.sendall(body[i:i + 1])
                i += 1
    except (ConnectionResetError, BrokenPipeError):
        results[name] = time.monotonic() - t0
    finally:
        s.close()


# -- the run ---------------------------------------------------------------------

def main():
    seed = int(os.environ.get("UMBRA_PROPS_SEED") or random.SystemRandom().randrange(2 ** 32))
    count = int(os.environ.get("UMBRA_PROPS_REQUESTS", "3000"))
    seconds = float(os.environ.get("UMBRA_PROPS_SECONDS", "45"))
    slow = os.environ.get("UMBRA_PROPS_SLOW", "1") != "0"
    note("seed %d (replay: UMBRA_PROPS_SEED=%d), up to %d requests in %.0f s"
         % (seed, seed, count, seconds))
    rng = random.Random(seed)
    with Harness("broker_props", port_base=36600, port_count=100) as h:
        redis = h.start_redis()
        # Generous limits: no per-client rate or connection limit, a long
        # Redis timeout (no 503 from a busy machine); the shortest HTTP
        # timeout the broker allows (long-poll-timeout + 30 s).
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], policy=POLICY,
                   client_rate=0, client_connections=0, redis_timeout_ms=5000,
                   long_poll_timeout=1, max_body=MAX_BODY, dtls_pool=2,
                   web_root=os.path.join(top_srcdir(), "contrib", "web"))
        b.start()
        rc = Resp(redis.port)
        world = World(b, rng)
        p = Prober(h, b, rc, seed)
        slow_results, threads = {}, []
        if slow:
            for name, trickle in (("stalled body", None), ("trickled body", 2.0)):
                t = threading.Thread(target=slow_request,
                                     args=(b.port, slow_results, name, trickle, 45.0))
                t.start()
                threads.append(t)
        t0 = time.monotonic()
        i = 0
        fixed = fixed_requests(rng, world)
        next_refresh = 40
        while i < count and time.monotonic() - t0 < seconds:
            if i >= next_refresh:
                next_refresh = i + 40
                if rc.cmd("DBSIZE") > 1000:
                    rc.cmd("FLUSHALL")  # the broker keeps nothing else
                    world = World(b, rng)
                else:
                    world.refresh()
            k = rng.random()
            if fixed:
                reqs = fixed.pop(0)
            elif k < 0.75:
                reqs = [gen_request(rng, world)]
            elif k < 0.9:
                reqs = [gen_protocol(rng, world)]
            else:  # pipelined
                reqs = [gen_request(rng, world) for _ in range(rng.randint(2, 6))]
                for r in reqs:
                    r.listener = reqs[0].listener
                    if r.method == "CONNECT":  # its reply ends with the connection
                        r.method = "OPTIONS"
                    if r.framing in ("truncated", "short"):
                        r.framing = "length"
            if os.environ.get("UMBRA_PROPS_TRACE"):
                for r in reqs:
                    note("TRACE %d %s %r" % (i, r.label, r.wire()[:200]))
            before = p.snapshot()
            got = p.send(reqs)
            after = p.snapshot()
            alive = p.alive_or_restart(i, reqs, got)
            # Nothing may change for a refused request, nor for one cut
            # short by a close (no whole request reached the broker).
            refused = all(g not in (None, "stall") and g[0] >= 400 for g in got) or (
                len(reqs) == 1 and reqs[0].framing == "truncated" and got[0] in (None, "stall"))
            for j, (r, g) in enumerate(zip(reqs, got)):
                p.check(i, r, g, before if refused and alive else None, after,
                        all(awaits_nothing(x) for x in reqs[:j]))
            if i // 10000 != (i + len(reqs)) // 10000:
                note("%d requests in %.0f s" % (i + len(reqs), time.monotonic() - t0))
            i += len(reqs)
            p.count += len(reqs)
            if not alive:
                world = World(b, rng)
        elapsed = time.monotonic() - t0
        # Served after all of it, with the slow ones still hanging.
        ok = b.request("GET", "/healthz")
        for t in threads:
            t.join()
        note("%d requests in %.1f s (seed %d); statuses %s; of them libevent's own %s" % (
            p.count, elapsed, seed, dict(sorted(p.statuses.items())),
            dict(sorted(p.libevent.items()))))
        bad = report(p, ok, slow_results)
        if bad:  # before stop: a dead broker's sanitizer report fails there
            fail("seed %d: %d problem(s):\n%s" % (seed, len(bad), "\n".join(bad)))
        rc.close()
        b.stop()
        h.stop(redis)
    note("all checks passed")


def report(p, ok, slow_results):
    bad = []
    if ok.status != 200:
        bad.append("/healthz after the run: %r" % ok)
    for name in sorted(slow_results):
        took = slow_results[name]
        note("%s: %s" % (name, "closed by the broker after %.1f s" % took if took is not None
                         else "still open after 45 s"))
        if took is None:
            bad.append("a %s keeps a connection open (no request deadline)" % name)
    for i, labels, wires, log in p.crashes:
        bad.append("the broker died at request %d (%s):\n  %r\n  log: %s"
                   % (i, "; ".join(labels), wires[0][:400], log[:1200]))
    for i, what, label, wire in p.problems:
        bad.append("request %d (%s): %s\n  %r" % (i, label, what, wire[:300]))
    for kind, n in sorted(p.kinds.items()):
        bad.append("%6d x %s" % (n, kind))
    return bad


if __name__ == "__main__":
    run(main)
