"""umbra_harness: real processes on loopback for umbra's integration tests.

Python standard library only (plus the openssl CLI for certificates). Used by
tests/integration and tests/browser, and meant for any test that needs
redis-server, umbra-relay or umbra-broker running on given ports.

    from umbra_harness import Harness, fail, run

    def main():
        with Harness("relay_auth", port_base=21100) as h:
            secret_file = h.write_secrets(["s3cret"])
            relay = h.start_relay(auth_secret_file=secret_file, stun_binding="no")
            ... talk to relay.host, relay.port (UDP+TCP), relay.tls_port ...
            h.stop(relay)       # SIGTERM; fails the test on a bad exit

    run(main)                   # HarnessError -> "FAIL: ..." and exit 1

What it does for you:
  * a work directory $top_builddir/tests/out/NAME, emptied at start and kept
    afterwards so logs can be read (and scanned by later tests);
  * ports handed out from [port_base, port_base + port_count): each test
    owns a disjoint block, so tests may run in parallel (make -j2); a lock
    file in /tmp per block makes a second run of the same test (from
    another worktree) wait for the first (UMBRA_TEST_PORT_WAIT seconds,
    default 600);
  * certificates made with `openssl req` (self-signed, chosen SANs);
  * config files in umbra's "key = value" form (underscores in keyword
    arguments become dashes; a list value repeats the key; None omits it);
  * processes started with stdout+stderr in NAME.log, waited for until
    they answer (TCP connect, plus a STUN request for the relay, PING for
    redis), and killed on exit, on an exception, or on SIGTERM/SIGINT;
  * sanitizer reports (ASan/UBSan) found in any log fail the test at exit;
  * every secret, username and password the test makes is recorded in
    NAME/sensitive.txt, so a log scan can prove none of them leaked.

Environment:
  top_srcdir, top_builddir   set by `make check` (else derived from this file)
  UMBRA_RELAY                umbra-relay binary (default builddir/relay/umbra-relay)
  UMBRA_BROKER               umbra-broker binary (default builddir/broker/umbra-broker)
  UMBRA_TEST_VERBOSE=1       print each started command line
  UMBRA_TEST_PORT_WAIT       seconds to wait for a port block in use
  UMBRA_LOG_AUDIT_DIR        when set (make check sets it), each test copies
                             what umbra-relay, umbra-broker, umbra-load and
                             umbra-policy wrote, and a ledger of every secret
                             it made or was handed, to DIR/NAME/ for
                             tests/integration/log_audit.sh (see log_audit.py)
  UMBRA_WRAP                 a command prefix for those four programs, e.g.
                             "valgrind --error-exitcode=99" (tests/valgrind/run.sh)
  UMBRA_TIMEOUT_SCALE        multiplies the harness's waits (default 1), for
                             slow runs such as valgrind's
"""

import atexit
import fcntl
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import log_audit  # noqa: E402  (after the path tweak on purpose)
import umbra_stun  # noqa: E402


class HarnessError(Exception):
    pass


def fail(message):
    """Ends the test with a clear message and exit status 1."""
    sys.stderr.write("FAIL: %s\n" % message)
    sys.stderr.flush()
    raise SystemExit(1)


def run(main):
    """Runs a test's main(): harness errors (a daemon that would not start,
    a missing binary) end the test with FAIL and their message, not a
    traceback."""
    try:
        main()
    except HarnessError as e:
        fail(str(e))


def skip(message):
    """Exit 77 (automake SKIP): only for a facility that is truly absent."""
    sys.stderr.write("SKIP: %s\n" % message)
    raise SystemExit(77)


def note(message):
    sys.stdout.write("%s\n" % message)
    sys.stdout.flush()


def expect(cond, what):
    """Fails the test with what unless cond; notes it as checked."""
    if not cond:
        fail(what)
    note("ok   " + what)


def top_srcdir():
    return os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(HERE))


def top_builddir():
    b = os.environ.get("top_builddir")
    if b:
        return b
    src = top_srcdir()
    for cand in ("build", "."):
        if os.path.exists(os.path.join(src, cand, "Makefile")):
            return os.path.join(src, cand)
    return src


def out_root():
    return os.path.join(top_builddir(), "tests", "out")


SANITIZER_PATTERNS = log_audit.SANITIZER

# The programs whose output the log audit reads and UMBRA_WRAP wraps.
UMBRA_PROGRAMS = {"umbra-relay": "relay", "umbra-broker": "broker", "umbra-load": "load",
                  "umbra-policy": "policy"}


def timeout_scale():
    try:
        return max(1.0, float(os.environ.get("UMBRA_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


def program_kind(argv):
    """relay, broker, load or policy for one of umbra's programs, else None."""
    return UMBRA_PROGRAMS.get(os.path.basename(argv[0])) if argv else None


def wrap(argv):
    """argv behind UMBRA_WRAP when it starts one of umbra's programs."""
    prefix = os.environ.get("UMBRA_WRAP", "").strip()
    if prefix and program_kind(argv):
        return shlex.split(prefix) + list(argv)
    return list(argv)


class Process:
    """A started daemon. .proc is the subprocess.Popen; .log the log path."""

    def __init__(self, name, argv, proc, log_path, **info):
        self.name = name
        self.argv = argv
        self.proc = proc
        self.log = log_path
        self.exit_status = None
        self.kind = program_kind(argv)
        self.ready = False
        self.__dict__.update(info)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=30):
        return "\n".join(self.log_text().splitlines()[-lines:])


class Harness:
    def __init__(self, name, port_base, port_count=100, keep_dir=False):
        self.name = name
        self.port_base = port_base
        self.port_end = port_base + port_count
        self._next_port = port_base
        self.dir = os.path.join(out_root(), name)
        if not keep_dir and os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []
        self._redis_tmp = None
        self._cleaned = False
        self._lock = None
        self._lock_ports()
        self.sensitive_path = os.path.join(self.dir, "sensitive.txt")
        self.audit_dir = None
        if os.environ.get("UMBRA_LOG_AUDIT_DIR"):
            self.audit_dir = os.path.join(os.environ["UMBRA_LOG_AUDIT_DIR"], name)
            shutil.rmtree(self.audit_dir, ignore_errors=True)
            os.makedirs(self.audit_dir)
        self._tools = []  # (name, kind, log) of run_tool() runs
        atexit.register(self._cleanup_at_exit)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _lock_ports(self):
        """Holds an exclusive lock on this port block for the life of the
        process: the same test run from two worktrees at once (merged
        branches run everyone's tests) waits instead of colliding."""
        path = os.path.join(tempfile.gettempdir(), "umbra-test-ports-%d-%d.lock"
                            % (self.port_base, self.port_end - 1))
        self._lock = open(path, "a")
        wait = float(os.environ.get("UMBRA_TEST_PORT_WAIT", "600"))
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise HarnessError("ports %d-%d still held by another test run after %.0f s (%s)"
                                       % (self.port_base, self.port_end - 1, wait, path))
                if not told:
                    note("waiting for ports %d-%d, held by another run of %s"
                         % (self.port_base, self.port_end - 1, self.name))
                    told = True
                time.sleep(0.5)

    def __enter__(self):
        return self

    def __exit__(self, etype, evalue, tb):
        problems = self.cleanup()
        if problems and etype is None:
            fail("\n".join(problems))
        for p in problems:
            sys.stderr.write("FAIL: %s\n" % p)
        return False

    def _cleanup_at_exit(self):
        if self._cleaned:
            return
        problems = self.cleanup()
        if problems:
            for p in problems:
                sys.stderr.write("FAIL: %s\n" % p)
            sys.stderr.flush()
            os._exit(1)

    def _on_signal(self, signum, frame):
        self.cleanup()
        sys.stderr.write("FAIL: interrupted by signal %d\n" % signum)
        os._exit(1)

    # -- files -----------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write_file(self, name, text, mode=0o600):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def record_sensitive(self, *values):
        """Remembers strings that must never appear in any log (also in the
        audit ledger, where log_audit.py looks for other encodings too)."""
        paths = [self.sensitive_path]
        if self.audit_dir:
            paths.append(os.path.join(self.audit_dir, "ledger.txt"))
        for path in paths:
            with open(path, "a") as f:
                for v in values:
                    if v:
                        f.write("%s\n" % v)

    def write_secrets(self, secrets, name="auth-secrets"):
        self.record_sensitive(*secrets)
        return self.write_file(name, "".join("%s\n" % s for s in secrets))

    def rest_credentials(self, secret, ttl=600, call="call-1", pseudonym="p-1", party=0):
        """(username, password) in TURN REST form (sealed with a call, plain
        "<expiry>:<pseudonym>" with call=None); recorded as sensitive."""
        user, password = umbra_stun.rest_credentials(secret, ttl=ttl, call=call,
                                                     pseudonym=pseudonym, party=party)
        self.record_sensitive(user, password)
        return user, password

    def make_cert(self, name="server", cn="localhost",
                  sans=("DNS:localhost", "IP:127.0.0.1", "IP:::1")):
        """Self-signed P-256 certificate and key via the openssl CLI.
        Returns (cert_path, key_path)."""
        cert, key = self.path(name + ".crt"), self.path(name + ".key")
        cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
               "-keyout", key, "-out", cert, "-subj", "/CN=" + cn,
               "-addext", "subjectAltName=" + ",".join(sans)]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise HarnessError("openssl req failed: %s" % r.stdout.decode(errors="replace"))
        os.chmod(key, 0o600)
        with open(key) as f:
            self.record_sensitive(f.read().strip())
        return cert, key

    @staticmethod
    def config_text(config):
        """umbra "key = value" lines from a dict (see module doc)."""
        lines = []
        for k, v in config.items():
            if v is None:
                continue
            key = k.replace("_", "-")
            for item in v if isinstance(v, (list, tuple)) else [v]:
                if item is True:
                    item = "yes"
                elif item is False:
                    item = "no"
                lines.append("%s = %s" % (key, item))
        return "\n".join(lines) + "\n"

    # -- ports -----------------------------------------------------------

    def port(self):
        """A free port (both TCP and UDP on 127.0.0.1) from this test's block."""
        return self.port_range(1)[0]

    def port_range(self, count):
        """(low, high) of count consecutive free ports from the block. If
        something else holds ports there (a run of an older copy of these
        tests, which took no lock), waits for them like _lock_ports does."""
        wait = float(os.environ.get("UMBRA_TEST_PORT_WAIT", "600"))
        deadline = time.monotonic() + wait
        told = False
        if self._next_port + count > self.port_end:
            # Ports are handed out once: waiting cannot make room.
            raise HarnessError("no room for %d more ports in %d-%d (this test's block)"
                               % (count, self._next_port, self.port_end - 1))
        while True:
            low = self._next_port
            while low + count - 1 < self.port_end:
                high = low + count - 1
                busy = [p for p in range(low, high + 1) if not port_free(p)]
                if not busy:
                    self._next_port = high + 1
                    return low, high
                low = busy[-1] + 1
            if time.monotonic() > deadline:
                raise HarnessError("no %d free consecutive ports in %d-%d after %.0f s"
                                   % (count, self._next_port, self.port_end - 1, wait))
            if not told:
                note("waiting for %d free ports in %d-%d" % (count, self._next_port, self.port_end - 1))
                told = True
            time.sleep(0.5)

    # -- processes ---------------------------------------------------------

    def _child_env(self, env):
        full_env = dict(os.environ)
        # Sanitizer reports go to the log; leaks are real failures.
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        full_env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        if env:
            full_env.update(env)
        return full_env

    def spawn(self, name, argv, env=None, **info):
        """Starts argv (behind UMBRA_WRAP if it is one of umbra's programs)
        with stdout+stderr in NAME.log. No readiness wait."""
        log_path = self.path(name + ".log")
        logf = open(log_path, "ab")
        full_env = self._child_env(env)
        if os.environ.get("UMBRA_TEST_VERBOSE"):
            note("start %s: %s" % (name, " ".join(argv)))
        proc = subprocess.Popen(wrap(argv), stdout=logf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=full_env,
                                start_new_session=True)
        logf.close()
        p = Process(name, argv, proc, log_path, **info)
        self.procs.append(p)
        return p

    def run_tool(self, name, argv, timeout=60.0, env=None, input=None, audit=True):
        """Runs a program to its end (behind UMBRA_WRAP if it is one of
        umbra's) and returns the subprocess.CompletedProcess, stdout and
        stderr as text. Both also go to NAME.log (appended, one file for
        every run of that name); a sanitizer report in them fails the test;
        the log audit reads them unless audit is False (usage text such as
        --help, whose defaults and examples hold addresses, is no log)."""
        log_path = self.path(name + ".log")
        try:
            r = subprocess.run(wrap(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL if input is None else None,
                               input=input.encode() if input is not None else None,
                               env=self._child_env(env), timeout=timeout * timeout_scale())
        except subprocess.TimeoutExpired:
            fail("%s did not finish within %.0f s" % (" ".join(argv), timeout * timeout_scale()))
        r.stdout = r.stdout.decode(errors="replace")
        r.stderr = r.stderr.decode(errors="replace")
        with open(log_path, "a") as f:
            f.write(r.stdout + r.stderr)
        kind = program_kind(argv)
        if audit and kind and (name, kind, log_path) not in self._tools:
            self._tools.append((name, kind, log_path))
        m = SANITIZER_PATTERNS.search(r.stdout + r.stderr)
        if m:
            fail("sanitizer report from %s (%s):\n%s" % (name, " ".join(argv),
                                                        (r.stdout + r.stderr)[max(0, m.start() - 200):][:3000]))
        return r

    def wait_ready(self, p, check, timeout=15.0, what="ready"):
        """Polls check() until it returns true; fails if p dies first."""
        timeout *= timeout_scale()
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not p.alive():
                raise HarnessError("%s exited with status %s before it was %s; log:\n%s"
                                   % (p.name, p.proc.returncode, what, p.log_tail()))
            try:
                if check():
                    p.ready = True
                    return p
            except (OSError, umbra_stun.StunError) as e:
                last = e
            time.sleep(0.05)
        raise HarnessError("%s not %s after %.0fs (%s); log:\n%s"
                           % (p.name, what, timeout, last, p.log_tail()))

    def start_process(self, name, argv, tcp_ports=(), host="127.0.0.1", env=None,
                      timeout=15.0, **info):
        """Generic daemon: ready once every TCP port accepts a connection."""
        p = self.spawn(name, argv, env=env, **info)
        for port in tcp_ports:
            self.wait_ready(p, lambda port=port: tcp_connects(host, port), timeout,
                            "accepting on TCP port %d" % port)
        return p

    def start_redis(self, port=None, name="redis", data_dir=None):
        """redis-server on 127.0.0.1:port with the configuration umbra ships
        (contrib/redis/umbra-redis.conf: AOF, appendfsync always), its data
        in data_dir (default: one directory per test and port on tmpfs,
        removed at clean-up). .port, .url, .data_dir.
        Talk to it with redis_command(p.host, p.port, "PUBLISH", ch, msg).
        Stopping (or kill -9) and starting it again on the same port
        (port=old.port) tests reconnection, and finds the state again.
        tmpfs: the same settings, but an fsync costs nothing there, so a
        disk that other jobs keep busy cannot stall Redis past the
        broker's redis-timeout-ms and turn a test's request into a 503."""
        port = port or self.port()
        if data_dir is None:
            data_dir = os.path.join(self._redis_root(), "redis-%d" % port)
        os.makedirs(data_dir, exist_ok=True)
        argv = ["redis-server", redis_conf(), "--port", str(port), "--bind", "127.0.0.1",
                "--dir", data_dir, "--daemonize", "no"]
        p = self.spawn(name, argv, port=port, host="127.0.0.1", data_dir=data_dir,
                       url="redis://127.0.0.1:%d" % port)
        p.kind = "redis"
        self.wait_ready(p, lambda: redis_ping("127.0.0.1", port), 10.0, "answering PING")
        return p

    def _redis_root(self):
        if self._redis_tmp is None:
            shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
            self._redis_tmp = tempfile.mkdtemp(prefix="umbra-%s-redis." % self.name, dir=shm)
        return self._redis_tmp

    def kill9(self, p):
        """SIGKILL, no clean-up by the process: a crash. Returns at once
        after the process is gone."""
        os.killpg(p.pid, signal.SIGKILL)
        p.proc.wait()
        p.exit_status = p.proc.returncode

    def relay_binary(self):
        b = os.environ.get("UMBRA_RELAY") or os.path.join(top_builddir(), "relay", "umbra-relay")
        if not os.access(b, os.X_OK):
            raise HarnessError("umbra-relay not built: %s (run make first)" % b)
        return b

    def start_relay(self, name="relay", tls=True, relay_port_count=40, args=(),
                    timeout=15.0, host="127.0.0.1", **config):
        """umbra-relay with a config file NAME.conf. Defaults: UDP+TCP listen
        on a fresh port, TLS on another (tls=False to leave it out), relayed
        addresses on 127.0.0.1 from a block of relay_port_count ports, realm
        "umbra.test", log-level debug. port= and tls_port= pick the listen
        ports; host= another loopback IP to listen and relay on (127.0.0.2
        ...: a fleet of relays on one host); other keyword arguments
        override or add config keys
        (auth_secret_file=..., user=[...], stun_binding=True); args= adds
        command-line flags.
        Ready once TCP (and TLS) accept and a UDP Allocate gets any STUN
        answer. The Process carries host, port, tls_port, relay_ports,
        config (dict) and conf (path).
        SO_REUSEPORT lets another process of the same user bind the same
        port (an older copy of these tests, run from another worktree at
        the same moment); requests would then land in the wrong relay. So
        a relay whose listen port turns out to be shared is stopped and
        started again on fresh ports (twice at most)."""
        fixed = "port" in config or "tls_port" in config
        for attempt in range(3):
            p = self._start_relay_once(name, tls, relay_port_count, args, timeout, dict(config),
                                       host)
            shared = shared_ports(p.pid, [p.port] + ([p.tls_port] if p.tls_port else []))
            if not shared:
                return p
            p.proc.kill()
            p.proc.wait()
            p.ready = False  # killed at once: its log need not say anything
            if fixed or attempt == 2:
                raise HarnessError("%s: port(s) %s shared with another process" % (name, shared))
            note("%s: port(s) %s shared with another process; starting again elsewhere"
                 % (name, shared))
        raise AssertionError("unreachable")

    def _start_relay_once(self, name, tls, relay_port_count, args, timeout, config, host):
        port = config.pop("port", None) or self.port()
        cfg = {"listen": "%s:%d" % (host, port)}
        tls_port = None
        if tls:
            tls_port = config.pop("tls_port", None) or self.port()
            if "tls_cert" not in config:
                cert, key = self.make_cert(name)
                cfg["tls_cert"], cfg["tls_key"] = cert, key
            cfg["tls_listen"] = "%s:%d" % (host, tls_port)
        low, high = self.port_range(relay_port_count)
        cfg.update({"relay_address": host, "relay_ports": "%d-%d" % (low, high),
                    "realm": "umbra.test", "log_level": "debug"})
        cfg.update(config)
        users = cfg.get("user") or []
        for u in users if isinstance(users, (list, tuple)) else [users]:
            self.record_sensitive(str(u).partition(":")[2])
        conf = self.write_file(name + ".conf", self.config_text(cfg))
        argv = [self.relay_binary(), "-c", conf] + list(args)
        p = self.spawn(name, argv, host=host, port=port, tls_port=tls_port,
                       relay_ports=(low, high), config=cfg, conf=conf,
                       cert=cfg.get("tls_cert"))
        self.wait_ready(p, lambda: tcp_connects(host, port), timeout, "accepting on TCP")
        if tls_port:
            self.wait_ready(p, lambda: tcp_connects(host, tls_port), timeout, "accepting TLS")
        self.wait_ready(p, lambda: stun_answers(host, port), timeout, "answering STUN on UDP")
        return p

    def broker_binary(self):
        b = os.environ.get("UMBRA_BROKER") or os.path.join(top_builddir(), "broker", "umbra-broker")
        if not os.access(b, os.X_OK):
            raise HarnessError("umbra-broker not built: %s (run make first)" % b)
        return b

    def start_broker(self, name="broker", http_port=None, args=(), timeout=15.0,
                     also_ports=(), **config):
        """umbra-broker -c NAME.conf with the given keys; ready once
        http_port (and each of also_ports, e.g. its metrics-listen) accepts
        TCP. The caller names the keys (the broker's config is the broker's
        to define)."""
        http_port = http_port or self.port()
        conf = self.write_file(name + ".conf", self.config_text(config))
        argv = [self.broker_binary(), "-c", conf] + list(args)
        return self.start_process(name, argv, tcp_ports=[http_port] + list(also_ports),
                                  timeout=timeout,
                                  port=http_port, config=config, conf=conf)

    def stop(self, p, timeout=10.0, expect_clean=True):
        """SIGTERM, then SIGKILL after timeout. With expect_clean, a
        non-zero exit or a sanitizer report fails the test. Returns the
        exit status."""
        timeout *= timeout_scale()
        if p.kind == "redis" and p.alive():
            self._ledger_from_redis(p)
        if p.alive():
            p.proc.send_signal(signal.SIGTERM)
            try:
                p.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.proc.wait()
                if expect_clean:
                    fail("%s ignored SIGTERM for %.0fs; killed" % (p.name, timeout))
        p.exit_status = p.proc.returncode
        if expect_clean:
            if p.exit_status != 0:
                fail("%s exited with status %s on SIGTERM; log tail:\n%s"
                     % (p.name, p.exit_status, p.log_tail()))
            check_sanitizers(p)
        return p.exit_status

    def _ledger_from_redis(self, p):
        """Surrogate keys the broker keeps in this Redis go to the ledger."""
        if not self.audit_dir:
            return
        try:
            cursor, keys = "0", []
            while True:
                cursor, batch = redis_command(p.host, p.port, "SCAN", cursor, "MATCH",
                                              "umbra:id:*", "COUNT", "1000", timeout=2.0)
                keys += batch
                if cursor == "0":
                    break
            for k in keys:
                if redis_command(p.host, p.port, "TYPE", k, timeout=2.0) == "hash":
                    self.record_sensitive(redis_command(p.host, p.port, "HGET", k, "sk",
                                                        timeout=2.0))
        except (OSError, HarnessError):
            pass  # a Redis the test stopped or broke holds nothing new

    def _audit_collect(self):
        """Copies the logs of umbra's programs to the audit directory and
        lists them in its manifest (see log_audit.py)."""
        if not self.audit_dir:
            return
        rows = {}  # name -> [kind, log, debug]: a name started twice shares its log
        for p in self.procs:
            if p.kind not in log_audit.TOOL_KINDS:
                continue
            level = (getattr(p, "config", None) or {}).get("log_level")
            debug = p.kind in log_audit.DAEMON_KINDS and p.ready and level == "debug"
            row = rows.setdefault(p.name, [p.kind, p.log, False])
            row[2] = row[2] or debug
        for name, kind, log in self._tools:
            rows.setdefault(name, [kind, log, False])
        with open(os.path.join(self.audit_dir, "manifest.tsv"), "a") as man:
            for name, (kind, log, debug) in rows.items():
                if os.path.exists(log):
                    shutil.copy(log, os.path.join(self.audit_dir, name + ".log"))
                    man.write("%s.log\t%s\t%s\n" % (name, kind, "debug" if debug else ""))

    def cleanup(self):
        """Stops what is still running, hands the logs to the audit, and
        returns the sanitizer reports found in any log of umbra's programs
        (a daemon killed here or one that exited on its own was never
        checked by stop())."""
        if self._cleaned:
            return []
        self._cleaned = True
        for p in self.procs:
            if p.kind == "redis" and p.alive():
                self._ledger_from_redis(p)
        for p in reversed(self.procs):
            if p.alive():
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.proc.wait(5)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    p.proc.wait()
                except PermissionError:
                    pass
        if self._redis_tmp is not None:
            shutil.rmtree(self._redis_tmp, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()  # releases the port block
            self._lock = None
        self._audit_collect()
        problems = []
        for p in self.procs:
            if p.kind in log_audit.TOOL_KINDS:
                text = p.log_text()
                m = SANITIZER_PATTERNS.search(text)
                if m:
                    problems.append("sanitizer report in %s's log %s:\n%s"
                                    % (p.name, p.log, text[max(0, m.start() - 200):][:3000]))
        return problems


def redis_conf():
    """The Redis configuration umbra ships, which every test's Redis uses."""
    p = os.path.join(top_srcdir(), "contrib", "redis", "umbra-redis.conf")
    if not os.path.exists(p):
        raise HarnessError("missing %s" % p)
    return p


def check_sanitizers(p):
    text = p.log_text()
    m = SANITIZER_PATTERNS.search(text)
    if m:
        start = max(0, m.start() - 200)
        fail("sanitizer report in %s's log %s:\n%s" % (p.name, p.log, text[start:start + 3000]))


def port_free(port, host="127.0.0.1"):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def _proc_net_inodes(port):
    """Inodes of the sockets bound to local port (any address), from
    /proc/net: UDP sockets and listening TCP sockets. Connections are left
    out: one the relay accepts while we look would seem another process's."""
    inodes = set()
    for table in ("udp", "udp6", "tcp", "tcp6"):
        try:
            with open("/proc/net/" + table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            listening = table.startswith("udp") or (len(fields) > 3 and fields[3] == "0A")
            if (len(fields) > 9 and listening and int(fields[1].rsplit(":", 1)[1], 16) == port
                    and fields[9] != "0"):
                inodes.add(fields[9])
    return inodes


def shared_ports(pid, ports):
    """Those of ports where a socket of another process is bound too."""
    own = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                own.add(target[8:-1])
    except OSError:
        return []  # no /proc: nothing to check
    return [p for p in ports if _proc_net_inodes(p) - own]


def tcp_connects(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def stun_answers(host, port, timeout=0.3):
    """True if an unauthenticated UDP Allocate gets any STUN response."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        msg = umbra_stun.Message(umbra_stun.ALLOCATE, umbra_stun.REQUEST)
        msg.add(umbra_stun.REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
        s.sendto(umbra_stun.encode(msg, fingerprint=True), (host, port))
        data, _ = s.recvfrom(65536)
        resp = umbra_stun.decode(data)
        return resp.tid == msg.tid
    except (socket.timeout, ConnectionRefusedError):
        return False
    finally:
        s.close()


def relay_metrics(port, host="127.0.0.1", timeout=5.0):
    """The relay's /metrics on metrics-listen host:port as a dict of
    series (name with labels, as printed) to number."""
    import urllib.request
    with urllib.request.urlopen("http://%s:%d/metrics" % (host, port), timeout=timeout) as resp:
        text = resp.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def redis_ping(host, port):
    try:
        return redis_command(host, port, "PING", timeout=0.5) == "PONG"
    except (OSError, HarnessError):
        return False


def redis_command(host, port, *args, timeout=5.0):
    """One Redis command over a fresh connection (RESP, no client library).
    Returns str, int, None or a list; a Redis error raises HarnessError."""
    req = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        req += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(req)
        f = s.makefile("rb")
        return _resp_read(f)


def _resp_read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise HarnessError("redis: connection closed mid-reply")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise HarnessError("redis error: %s" % body.decode(errors="replace"))
    if kind == b":":
        return int(body)
    if kind == b"$":
        n = int(body)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(body)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise HarnessError("redis: unexpected reply %r" % line[:40])


# -- log privacy scan --------------------------------------------------------

def find_addresses(text):
    """Every IPv4 or IPv6 address in text, as (line number, match); see
    log_audit.find_addresses for what counts."""
    return log_audit.find_addresses(text)


def find_sensitive(text, values):
    """Every recorded secret/username/password found in text."""
    return [v for v in values if v and v in text]
