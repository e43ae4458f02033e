"""Identity tokens never in a URL: umbra-broker with a real redis-server.

The identity token is a long-lived bearer secret; proxies and access logs
keep URLs, so it travels only in "Authorization: Bearer":
  * POST /v1/pseudonyms and GET /v1/pending?context=C work with the token in
    the header;
  * a missing bearer, another scheme, or one not of a token's form
    (42 and 44 characters, a 12 000-character one) is 401 with a JSON
    reason; a well-formed unknown token (43 characters) is 404; no answer
    quotes what was sent;
  * the old forms /v1/identities/{token}/pseudonyms and
    /v1/identities/{token}/calls are 404 like any unknown path, write
    nothing to Redis and quote nothing;
  * the broker's debug log, which names every request's route, holds no
    token and no URL with one.

Ports: 38100-38199.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness, expect, find_sensitive, run  # noqa: E402

TOKEN_LEN = 43  # base64url of 256 bits, no padding


def snapshot(rc):
    """Keys and values, without TTLs (they tick)."""
    return {k: (t, v) for k, (t, ttl, v) in rc.dump_all().items()}


def is_error(r, status, error, sent):
    """A JSON error of that status and name whose body does not quote sent."""
    return (r.status == status and r.json is not None and r.json.get("error") == error
            and r.json.get("detail") and (not sent or sent not in r.raw))


def test_new_routes(b, t1, t2):
    r = b.request("POST", "/v1/pseudonyms", {"context": "friends"}, bearer=t2)
    expect(r.status == 200 and r.json["context"] == "friends" and len(r.json["pseudonym"]) == 22,
           "POST /v1/pseudonyms with Authorization: Bearer: 200 with a pseudonym")
    pn2 = r.json["pseudonym"]
    expect(b.pseudonym(t2, "friends") == pn2, "pseudonyms: stable for the same token and context")
    expect(b.pseudonym(t1, "friends") != pn2, "pseudonyms: another token, another pseudonym")
    r = b.pending(t2, "friends")
    expect(r.status == 200 and r.json == {"pseudonym": pn2, "calls": [], "more": False},
           "GET /v1/pending?context=: 200, the identity's pseudonym, no calls yet")
    c = b.create_call(pn2, caller=t1)
    expect(c.status == 201, "a call to the pseudonym is created")
    cid = c.json["call_id"]
    r = b.pending(t2, "friends")
    expect(r.status == 200 and r.json["calls"] == [cid], "pending: the callee's bearer lists the call")
    r = b.pending(t1, "friends")
    expect(r.status == 200 and cid not in r.json["calls"], "pending: another identity's does not")
    r = b.request("GET", "/v1/pseudonyms", bearer=t2)
    expect(is_error(r, 405, "method_not_allowed", t2), "GET /v1/pseudonyms: 405")
    r = b.request("POST", "/v1/pending?context=friends", bearer=t2)
    expect(is_error(r, 405, "method_not_allowed", t2), "POST /v1/pending: 405")
    return pn2


def test_bad_bearers(b, rc, t2):
    before = snapshot(rc)
    cases = [
        ("no Authorization", None, 401, "unauthorized"),
        ("an empty bearer", "", 401, "unauthorized"),
        ("%d characters" % (TOKEN_LEN - 1), t2[:-1], 401, "unauthorized"),
        ("%d characters" % (TOKEN_LEN + 1), t2 + "A", 401, "unauthorized"),
        ("12000 characters", "A" * 12000, 401, "unauthorized"),
        ("not base64url", t2[:-1] + "+", 401, "unauthorized"),
        ("%d characters, unknown" % TOKEN_LEN, "B" * TOKEN_LEN, 404, "not_found"),
    ]
    for what, bearer, status, error in cases:
        for method, path, body in (("POST", "/v1/pseudonyms", {"context": "other"}),
                                   ("GET", "/v1/pending?context=other", None)):
            r = b.request(method, path, body, bearer=bearer)
            expect(is_error(r, status, error, bearer),
                   "%s %s, %s: %d %s, no echo (%r)" % (method, path.split("?")[0], what, status,
                                                       error, r.raw[:100]))
    # Another scheme: the token is there, but not as a bearer.
    for scheme in ("Basic ", "Token ", ""):
        conn = b.connection()
        conn.request("POST", "/v1/pseudonyms", body='{"context":"other"}',
                     headers={"Authorization": scheme + t2,
                              "Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read().decode()
        conn.close()
        expect(resp.status == 401 and '"unauthorized"' in raw and t2 not in raw,
               "Authorization: %s<token>: 401" % (scheme or "(no scheme) "))
    expect(snapshot(rc) == before, "refused bearers changed nothing in Redis")


def test_old_routes(b, rc, t2):
    before = snapshot(rc)
    old = [("POST", "/v1/identities/%s/pseudonyms" % t2, {"context": "old-form"}),
           ("GET", "/v1/identities/%s/calls?context=friends" % t2, None),
           ("GET", "/v1/identities/%s/calls" % t2, None)]
    for method, path, body in old:
        for bearer in (None, t2):
            r = b.request(method, path, body, bearer=bearer)
            expect(is_error(r, 404, "not_found", t2),
                   "old form %s /v1/identities/{token}/%s%s: 404 not_found, no echo"
                   % (method, path.split("/")[-1].split("?")[0],
                      " (with the bearer too)" if bearer else ""))
    expect(snapshot(rc) == before, "the old forms wrote nothing to Redis")


def test_log(b, tokens):
    log = b.log()
    routes = [line for line in log.splitlines()
              if "http: POST /v1/pseudonyms" in line or "http: GET /v1/pending" in line]
    expect(len(routes) >= 10, "log: at debug level every request names its route (%d lines)"
           % len(routes))
    expect(find_sensitive(log, tokens) == [] and "/v1/identities/" not in log,
           "log: no identity token and no old-form URL in %d lines" % len(log.splitlines()))


def main():
    with Harness("broker_bearer", port_base=38100, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"]).start()
        rc = Resp(redis.port)
        t1, t2 = b.identity(), b.identity()
        expect(len(t1) == TOKEN_LEN and len(t2) == TOKEN_LEN, "identities: two tokens")
        test_new_routes(b, t1, t2)
        test_bad_bearers(b, rc, t2)
        test_old_routes(b, rc, t2)
        rc.close()
        b.stop()
        test_log(b, [t1, t2])
        h.stop(redis)
    print("all checks passed")


if __name__ == "__main__":
    run(main)
