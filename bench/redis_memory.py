#!/usr/bin/env python3
"""Redis memory per identity, per pseudonym context and per call, made
through a real umbra-broker on a real redis-server with the configuration
umbra ships (contrib/redis/umbra-redis.conf).

    top_builddir=build bench/redis_memory.py [--n 10000] [--calls 2000]

For each kind: INFO memory used_memory before and after making N of them
through the broker's HTTP API (creation limits off), divided by N; and
MEMORY USAGE of one key of each kind (SAMPLES 0). A call here is one
POST /v1/calls from a pseudonymous caller (its call hash, the callee's
pending set, the caller's pseudonym record), not yet accepted.
The figures feed docs/operations.md ("Redis memory"). Python standard
library, through tests/lib (umbra_harness, broker_harness); ports
37400-37499, loopback only.
"""
import argparse
import http.client
import json
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness, note, run  # noqa: E402


def used(r):
    info = r.cmd("INFO", "memory").decode()
    return int([x.split(":")[1] for x in info.splitlines() if x.startswith("used_memory:")][0])


class Client:
    """One keep-alive HTTP connection to the broker."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path, body=None, bearer=None):
        data = json.dumps(body) if body is not None else ""
        headers = {"Content-Type": "application/json"}
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        self.c.request("POST", path, body=data, headers=headers)
        r = self.c.getresponse()
        doc = json.loads(r.read() or b"null")
        if r.status not in (200, 201):
            raise RuntimeError("POST %s: %d %s" % (path, r.status, doc))
        return doc


def measure(r, label, n, make, pattern):
    before = used(r)
    for i in range(n):
        make(i)
    after = used(r)
    keys = [k for k in r.all_keys() if k.startswith(pattern)]
    sample = r.cmd("MEMORY", "USAGE", keys[-1], "SAMPLES", "0") if keys else 0
    per = (after - before) / n
    note("%-28s n=%6d  used_memory +%9d bytes  = %6.0f bytes each; MEMORY USAGE of one %s* "
         "key: %d" % (label, n, after - before, per, pattern.decode(), sample))
    return per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    with Harness("redis_memory", port_base=37400, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, ["turn:127.0.0.1:3478?transport=udp"], client_rate=0,
                   log_level="info", dtls_pool=64)
        b.start()
        c = Client(b.port)
        r = Resp(redis.port)
        tokens = []
        measure(r, "identity", args.n,
                lambda i: tokens.append(c.post("/v1/identities")["token"]), b"umbra:id:")
        measure(r, "pseudonym context", args.n,
                lambda i: c.post("/v1/pseudonyms", {"context": "context-%d" % i},
                                 bearer=tokens[i % len(tokens)]), b"umbra:pn:")
        callee = c.post("/v1/pseudonyms", {"context": "callee"}, bearer=tokens[0])
        body = {"callee": callee["pseudonym"], "service": "contact-list",
                "call_model": "single-cs", "destination": "trusted",
                "caller_state": "pseudonymous"}

        def call(i):
            # Each caller a live context already: the call's own keys only.
            body["caller"] = tokens[1 + i % (len(tokens) - 1)]
            body["caller_context"] = "context-%d" % (1 + i % (len(tokens) - 1))
            b.remember(*[v for k, v in c.post("/v1/calls", body).items()
                         if isinstance(v, str)])
        measure(r, "call (created, not accepted)", args.calls, call, b"umbra:call:")
        note("keys: %d" % r.cmd("DBSIZE"))
        r.close()
        b.stop()
        h.stop(redis)


if __name__ == "__main__":
    run(main)
