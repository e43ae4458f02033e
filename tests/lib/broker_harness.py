"""broker_harness: umbra-broker helpers on top of umbra_harness.

umbra_harness.Harness starts the processes (redis-server, umbra-relay,
umbra-broker) on this test's ports and checks their logs; this file adds
what only broker tests need: the broker's files and config, an HTTP(S)/JSON
client with helpers for the usual call steps, and a small RESP client to
read back (and scan) everything the broker stored in Redis.
Python standard library only.
"""
import http.client
import json
import os
import socket
import ssl
import time

# Fields of the broker's JSON replies that hold a secret: bearer tokens,
# per-party secrets, TURN credentials and usernames (which hold the call
# id), the call id itself, DTLS private keys. Every reply the harness sees
# adds their values to the test's ledger of things no log may hold.
SECRET_FIELDS = ("token", "caller_secret", "callee_secret", "secret", "username", "credential",
                 "password", "private_key", "call_id")


def secret_values(doc):
    """The string values of SECRET_FIELDS anywhere in a JSON document."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in SECRET_FIELDS and isinstance(v, str):
                out.append(v)
            else:
                out += secret_values(v)
    elif isinstance(doc, list):
        for v in doc:
            out += secret_values(v)
    return out


class Resp:
    """A minimal RESP2 client for checking what the broker stored."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad RESP reply %r" % line)

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def cmd(self, *args):
        self.send(*args)
        return self.read()

    def all_keys(self):
        keys, cursor = [], b"0"
        while True:
            cursor, batch = self.cmd("SCAN", cursor, "COUNT", 1000)
            keys.extend(batch)
            if cursor == b"0":
                return keys

    def dump_all(self):
        """Every key with its type, TTL and every byte of its value."""
        out = {}
        for k in self.all_keys():
            t = self.cmd("TYPE", k)
            if t == "string":
                v = [self.cmd("GET", k)]
            elif t == "hash":
                v = self.cmd("HGETALL", k)
            elif t == "list":
                v = self.cmd("LRANGE", k, 0, -1)
            elif t == "zset":
                v = self.cmd("ZRANGE", k, 0, -1, "WITHSCORES")
            elif t == "set":
                v = self.cmd("SMEMBERS", k)
            else:
                v = []
            out[k] = (t, self.cmd("TTL", k), v)
        return out


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "Reply(%d, %r)" % (self.status, self.raw[:300])


class Broker:
    """An umbra-broker started through umbra_harness.Harness (which owns the
    process, its log, its ports and the sanitizer check at stop), with the
    files it needs and an HTTP(S)/JSON client for it."""

    def __init__(self, h, redis_port, relays, policy=None, secret="umbra-test-secret",
                 tls=False, name="broker", **config):
        self.h = h
        self.name = name
        self.redis_port = redis_port
        self.relays = relays
        self.secret = secret
        self.tls = tls
        self.port = h.port()
        # The operator's listener (/metrics, /healthz), as the shipped
        # config has it; metrics_listen=None turns it off.
        self.metrics_port = h.port()
        broker_key = os.urandom(32).hex()
        h.record_sensitive(broker_key)
        self.key_path = h.write_file(name + ".key", broker_key + "\n")
        self.secret_path = h.write_secrets([secret], name=name + "-turn-secrets")
        self.policy_path = h.write_file(name + "-policy.json", json.dumps(
            policy or {"version": 1, "source": "service", "rules": []}))
        self.config = {"listen": "127.0.0.1:%d" % self.port,
                       "redis": "127.0.0.1:%d" % redis_port,
                       "auth_secret_file": self.secret_path, "policy": self.policy_path,
                       "broker_key_file": self.key_path, "relay": list(relays),
                       "log_level": "debug", "long_poll_timeout": 5, "dtls_pool": 4,
                       "metrics_listen": "127.0.0.1:%d" % self.metrics_port,
                       # Tests make identities and contexts faster than any
                       # user; tests/integration/broker_flood.py sets these.
                       "identity_rate": 0, "identity_global_rate": 0,
                       "pseudonym_rate": 0, "pseudonym_global_rate": 0,
                       "call_rate": 0, "call_global_rate": 0}
        if tls:
            self.cert, key = h.make_cert(name + "-tls")
            self.config.update(tls_cert=self.cert, tls_key=key)
        self.config.update(config)
        self.proc = None

    def start(self):
        # Under valgrind metrics-listen opens well after listen: wait for both.
        mine = "127.0.0.1:%d" % self.metrics_port
        also = [self.metrics_port] if self.config.get("metrics_listen") == mine else []
        self.proc = self.h.start_broker(name=self.name, http_port=self.port, also_ports=also,
                                        **self.config)
        return self

    def stop(self):
        if self.proc is not None:
            self.h.stop(self.proc)
            self.proc = None

    def log(self):
        with open(self.h.path(self.name + ".log"), errors="replace") as f:
            return f.read()

    def remember(self, *values):
        """Secrets handed out by the broker: no log may hold them."""
        self.h.record_sensitive(*[v for v in values if v])

    def connection(self, timeout=15):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cert)
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, bearer=None, raw=None, timeout=15, port=None):
        """One request to the public listener, or (port) to another of the
        broker's listeners over plain HTTP (metrics-listen)."""
        conn = (http.client.HTTPConnection("127.0.0.1", port, timeout=timeout) if port
                else self.connection(timeout))
        headers = {}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            reply = Reply(r.status, dict(r.getheaders()), r.read().decode())
            self.remember(*secret_values(reply.json))
            if bearer:
                self.remember(bearer)
            return reply
        finally:
            conn.close()

    # Helpers for the common steps of a call.
    def identity(self):
        r = self.request("POST", "/v1/identities")
        assert r.status == 201, r
        self.remember(r.json["token"])
        return r.json["token"]

    def pseudonym(self, token, context, rotate=None):
        body = {"context": context}
        if rotate is not None:
            body["rotate"] = rotate
        r = self.request("POST", "/v1/pseudonyms", body, bearer=token)
        assert r.status == 200, r
        return r.json["pseudonym"]

    def pending(self, token, context):
        """GET /v1/pending?context=: the identity's pending calls (Reply)."""
        return self.request("GET", "/v1/pending?context=%s" % context, bearer=token)

    def metrics(self):
        """GET /metrics on metrics-listen (Reply)."""
        return self.request("GET", "/metrics", port=self.metrics_port)

    def create_call(self, callee, caller=None, **kw):
        body = {"callee": callee, "service": "contact-list", "call_model": "single-cs",
                "destination": "trusted",
                "caller_state": "pseudonymous" if caller else "undetectable"}
        if caller:
            body["caller"] = caller
        body.update(kw)
        return self.request("POST", "/v1/calls", body)

    def events(self, call_id, party, bearer, since=0, wait=0):
        return self.request("GET", "/v1/calls/%s/events?party=%s&since=%d&wait=%d"
                            % (call_id, party, since, wait), bearer=bearer)
