"""Counters for the operator only: umbra-broker's metrics-listen.

/metrics follows call volume minute by minute, which helps anyone who
watches it correlate traffic, so it is served only on metrics-listen
(plain HTTP, loopback or an operator network), never on the public
listener:
  * public listener: /metrics is 404 like any unknown path, /healthz 200;
  * metrics-listen: /metrics is 200 Prometheus text whose counters follow
    what the public listener did (identities created, calls, HTTP answers),
    and its own scrapes are not counted there; /healthz is 200; the API is
    not served there (404, nothing written) and other methods are 405;
  * metrics-listen unset (the default): /metrics is 404 on the public port
    and the start-up line says metrics are off;
  * a bad metrics-listen stops start-up with a message naming the key:
    not HOST:PORT or port 0 (exit 2), the listen address (exit 2), an
    address already in use (exit 1).

Ports: 38200-38299.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness, expect, fail, run  # noqa: E402

RELAYS = ["turn:127.0.0.1:3478?transport=udp"]


def counters(text):
    """{"name{labels}": value} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def scrape(b):
    r = b.metrics()
    if r.status != 200:
        fail("metrics-listen: /metrics answered %d: %r" % (r.status, r.raw[:200]))
    return counters(r.raw)


def test_public_listener(b):
    r = b.request("GET", "/metrics")
    expect(r.status == 404 and r.json == {"error": "not_found", "detail": "no such resource"},
           "public listener: GET /metrics is 404 not_found, like any unknown path")
    expect("umbra_broker" not in r.raw, "public listener: no counter in the answer")
    for method in ("POST", "DELETE"):
        r = b.request(method, "/metrics")
        expect(r.status == 404, "public listener: %s /metrics is 404 too" % method)
    r = b.request("GET", "/healthz")
    expect(r.status == 200 and r.json == {"status": "ok"},
           "public listener: GET /healthz stays (load balancers)")


def test_metrics_listener(b, rc):
    m0 = scrape(b)
    expect(m0.get("umbra_broker_identities_created_total") == 0
           and "umbra_broker_calls_created_total" in m0,
           "metrics-listen: GET /metrics is 200 with the counters (%d series)" % len(m0))
    r = b.metrics()
    expect(r.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4")
           and "umbra:" not in r.raw, "metrics-listen: Prometheus text, counts only")
    t1, t2 = b.identity(), b.identity()
    pn = b.pseudonym(t2, "friends")
    expect(b.create_call(pn, caller=t1).status == 201, "public listener: a call is created")
    expect(b.request("GET", "/metrics").status == 404, "public listener: /metrics still 404")
    m1 = scrape(b)
    expect(m1["umbra_broker_identities_created_total"] == 2
           and m1["umbra_broker_pseudonyms_issued_total"] == 1
           and m1["umbra_broker_calls_created_total"] == m0["umbra_broker_calls_created_total"] + 1,
           "metrics-listen: counts what the public listener did (2 identities, 1 pseudonym, "
           "1 call)")
    # Requests on the public listener since m0: 2 identities, 1 pseudonym,
    # 1 call, 1 refused /metrics; the scrapes themselves are not counted.
    public = m1["umbra_broker_http_requests_total"] - m0["umbra_broker_http_requests_total"]
    expect(public == 5, "metrics-listen: http_requests_total counts the public listener "
           "only (%d since the first scrape, 5 expected)" % public)
    expect(m1['umbra_broker_http_responses_total{class="4xx"}']
           - m0['umbra_broker_http_responses_total{class="4xx"}'] == 1,
           "metrics-listen: the refused public /metrics is one 4xx")

    r = b.request("GET", "/healthz", port=b.metrics_port)
    expect(r.status == 200 and r.json == {"status": "ok"}, "metrics-listen: GET /healthz is 200")
    r = b.request("POST", "/metrics", port=b.metrics_port)
    expect(r.status == 405 and r.json["error"] == "method_not_allowed",
           "metrics-listen: POST /metrics is 405")
    keys = set(rc.all_keys())
    for method, path in (("POST", "/v1/identities"), ("GET", "/demo/"),
                         ("POST", "/v1/calls")):
        r = b.request(method, path, {} if method == "POST" else None, port=b.metrics_port)
        expect(r.status == 404 and r.json["error"] == "not_found",
               "metrics-listen: %s %s is 404 (the API is not served there)" % (method, path))
    expect(set(rc.all_keys()) == keys, "metrics-listen: nothing written to Redis")
    expect(scrape(b)["umbra_broker_identities_created_total"] == 2,
           "metrics-listen: still 2 identities")


def test_off_by_default(h, redis):
    b = Broker(h, redis.port, RELAYS, name="broker-nometrics", metrics_listen=None).start()
    r = b.request("GET", "/metrics")
    expect(r.status == 404, "metrics-listen unset: /metrics on the public listener is 404")
    expect(b.request("GET", "/healthz").status == 200, "metrics-listen unset: /healthz is 200")
    b.stop()
    expect("metrics off" in b.log(), "metrics-listen unset: the start-up line says metrics off")


def start_fails(h, b, name, value, code, words):
    """umbra-broker with metrics-listen = value must stop with exit code and
    an error naming the key."""
    cfg = dict(b.config, metrics_listen=value)
    conf = h.write_file(name + ".conf", h.config_text(cfg))
    r = h.run_tool(name, [h.broker_binary(), "-c", conf], timeout=20)
    out = r.stdout + r.stderr
    expect(r.returncode == code and "metrics-listen" in out and all(w in out for w in words),
           "bad metrics-listen %s: start-up stops (exit %d), the message names the key: %r"
           % (name.split("-", 1)[1], r.returncode, out.strip()[-160:]))


def test_bad_values(h, redis):
    b = Broker(h, redis.port, RELAYS, name="broker-bad")
    start_fails(h, b, "bad-nohostport", "nowhere", 2, ["HOST:PORT"])
    start_fails(h, b, "bad-port0", "127.0.0.1:0", 2, [])
    start_fails(h, b, "bad-port65536", "127.0.0.1:65536", 2, [])
    start_fails(h, b, "bad-samelisten", b.config["listen"], 2, ["listen"])
    busy = h.port()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", busy))
    s.listen(1)
    try:
        start_fails(h, b, "bad-inuse", "127.0.0.1:%d" % busy, 1, ["cannot listen"])
    finally:
        s.close()


def main():
    with Harness("broker_metrics", port_base=38200, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, RELAYS).start()
        rc = Resp(redis.port)
        test_public_listener(b)
        test_metrics_listener(b, rc)
        rc.close()
        b.stop()
        test_off_by_default(h, redis)
        test_bad_values(h, redis)
        h.stop(redis)
    print("all checks passed")


if __name__ == "__main__":
    run(main)
