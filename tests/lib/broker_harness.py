"""Test harness for umbra-broker: starts a real redis-server and a real
umbra-broker on loopback ports, talks HTTP(S)/JSON to the broker and RESP
to Redis. Python standard library only.

Used by tests/integration/broker_*.py and bench/bench_broker.sh.
"""
import http.client
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time


def wait_port(port, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


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


class Redis:
    def __init__(self, port, workdir):
        self.port = port
        self.workdir = workdir
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            raise RuntimeError("redis-server did not start on port %d" % self.port)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
            self.proc = None

    def client(self):
        return Resp(self.port)


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
    """Runs build/broker/umbra-broker with files made in a temporary dir."""

    def __init__(self, port, redis_port, relays, workdir=None, policy=None, extra=None,
                 secret="umbra-test-secret", tls=False):
        self.port = port
        self.redis_port = redis_port
        self.dir = workdir or tempfile.mkdtemp(prefix="umbra-broker-")
        self.relays = relays
        self.secret = secret
        self.extra = extra or []
        self.tls = tls
        self.proc = None
        self.log_path = os.path.join(self.dir, "broker.log")
        self.key_path = os.path.join(self.dir, "broker.key")
        self.secret_path = os.path.join(self.dir, "turn-secrets")
        self.policy_path = os.path.join(self.dir, "policy.json")
        with open(self.key_path, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        with open(self.secret_path, "w") as f:
            f.write(secret + "\n")
        with open(self.policy_path, "w") as f:
            json.dump(policy or {"version": 1, "source": "service", "rules": []}, f)
        self.binary = os.path.join(os.environ.get("top_builddir", "build"),
                                   "broker", "umbra-broker")

    def argv(self):
        args = [self.binary, "--listen=127.0.0.1:%d" % self.port,
                "--redis=127.0.0.1:%d" % self.redis_port,
                "--auth-secret-file=" + self.secret_path,
                "--policy=" + self.policy_path,
                "--broker-key-file=" + self.key_path, "--log-level=debug",
                "--long-poll-timeout=5", "--dtls-pool=4"]
        args += ["--relay=" + r for r in self.relays]
        if self.tls:
            cert = os.path.join(self.dir, "tls.crt")
            key = os.path.join(self.dir, "tls.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            args += ["--tls-cert=" + cert, "--tls-key=" + key]
            self.cert = cert
        return args + self.extra

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.logf, stderr=self.logf)
        if not wait_port(self.port):
            self.stop()
            raise RuntimeError("umbra-broker did not start; log:\n" + self.log())

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.logf.close()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def connection(self, timeout=15):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cert)
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, bearer=None, raw=None, timeout=15):
        conn = self.connection(timeout)
        headers = {}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            return Reply(r.status, dict(r.getheaders()), r.read().decode())
        finally:
            conn.close()

    # Helpers for the common steps of a call.
    def identity(self):
        r = self.request("POST", "/v1/identities")
        assert r.status == 201, r
        return r.json["token"]

    def pseudonym(self, token, context, rotate=None):
        body = {"context": context}
        if rotate is not None:
            body["rotate"] = rotate
        r = self.request("POST", "/v1/identities/%s/pseudonyms" % token, body)
        assert r.status == 200, r
        return r.json["pseudonym"]

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
