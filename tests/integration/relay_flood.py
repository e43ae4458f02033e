"""A flood against umbra-relay while real calls run, all on loopback.

umbra-load holds 16 audio calls (SRTP, 50 packets/s each way per call) from
127.0.0.1 while umbra_flood sends 1,000,000 malformed datagrams (truncated
headers, bad lengths, bad cookies, garbage, ChannelData on unbound
channels, bad attributes) and 10,000 Allocates with bad credentials from
127.0.0.2-127.0.0.9, paced at 50,000 packets/s, to the same UDP port. Two
clients that authenticated before the flood, one on 127.0.0.1 and one on
a flooding address, keep sending authenticated requests throughout.

Asserted: the relay does not crash and its log holds no sanitizer report;
umbra-load's loss is under 0.1% and every call came up; the authenticated
clients were answered throughout; the unauthenticated limit engaged
(umbra_relay_unauth_rate_limited_total > 0) and the bad-credential
requests got no more answers than the buckets of their sources allow.
Ports 31200-31399."""

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

import umbra_stun as stun  # noqa: E402
from umbra_harness import (Harness, check_sanitizers, fail, note, relay_metrics, run,  # noqa: E402
                           top_builddir)

SECRET = "flood-secret"
CALLS = 16
MALFORMED = 1000000
BAD_CREDS = 10000
RATE = 50000  # packets/s: 1,010,000 in about 20 s
SOURCES = "127.0.0.2-127.0.0.9"
N_SOURCES = 8
THREADS = 2
UNAUTH_RATE, UNAUTH_BURST = 20, 40
LOAD_SECONDS = 30


def kv(text):
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k.strip()] = v.strip()
    return out


class Prober(threading.Thread):
    """Sends an authenticated Refresh every 0.5 s and records how long each
    took to be answered (None: not answered within 3 s)."""

    def __init__(self, c):
        super().__init__(daemon=True)
        self.c = c
        self.stop_flag = threading.Event()
        self.results = []

    def run(self):
        while not self.stop_flag.is_set():
            t0 = time.monotonic()
            try:
                r = self.c.request(stun.REFRESH, [(stun.LIFETIME, (600).to_bytes(4, "big"))],
                                   timeout=3.0)
                ok = r.cls == stun.SUCCESS
                self.results.append(time.monotonic() - t0 if ok else None)
            except (OSError, stun.StunError):
                self.results.append(None)
            self.stop_flag.wait(0.5)


def udp_rcvbuf_errors():
    """The kernel's count of UDP datagrams dropped for a full receive
    buffer, machine-wide (other processes' too: for the report only)."""
    try:
        with open("/proc/net/snmp") as fh:
            rows = [line.split() for line in fh if line.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, ValueError, IndexError):
        return -1


def main():
    flood_bin = os.path.join(top_builddir(), "tests", "integration", "umbra_flood")
    load_bin = os.path.join(top_builddir(), "contrib", "load", "umbra-load")
    for b in (flood_bin, load_bin):
        if not os.access(b, os.X_OK):
            fail("%s not built" % b)
    with Harness("relay_flood", port_base=31200, port_count=200) as h:
        secrets = h.write_secrets([SECRET])
        mport = h.port()
        relay = h.start_relay(name="relay", tls=False, relay_port_count=100,
                              auth_secret_file=secrets, threads=THREADS, log_level="debug",
                              unauth_rate=UNAUTH_RATE, unauth_burst=UNAUTH_BURST,
                              udp_rcvbuf=16 << 20, metrics_listen="127.0.0.1:%d" % mport)
        before = relay_metrics(mport)
        rcvbuf_before = udp_rcvbuf_errors()
        probers = []
        for i, src in enumerate(("127.0.0.1", "127.0.0.2")):
            user, password = h.rest_credentials(SECRET, call="probe", pseudonym="p%d" % i)
            c = stun.TurnClient(relay.host, relay.port, "udp", user, password, source=src)
            r = c.allocate()
            if r.cls != stun.SUCCESS:
                fail("probe allocation from %s: %s" % (src, r.describe()))
            probers.append(Prober(c))
        summary = h.path("load.summary")
        # Through the harness: its output goes to load.log, which the
        # sanitizer check and the log audit read.
        load = h.spawn(
            "load",
            [load_bin, "--server=%s:%d" % (relay.host, relay.port), "--secret-file=" + secrets,
             "--calls=%d" % CALLS, "--profile=audio", "--duration=%d" % LOAD_SECONDS,
             "--threads=1", "--quiet", "--summary=" + summary, "--relay-pid=%d" % relay.pid])
        for p in probers:
            p.start()
        time.sleep(3)  # the calls are up and media flows before the flood
        if not load.alive():
            fail("umbra-load ended early: %s" % load.log_text())
        flood = subprocess.run(
            [flood_bin, "--target=%s:%d" % (relay.host, relay.port), "--sources=" + SOURCES,
             "--malformed=%d" % MALFORMED, "--bad-creds=%d" % BAD_CREDS, "--rate=%d" % RATE,
             "--ports=4", "--drain-ms=1000"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        ftext = flood.stdout.decode(errors="replace")
        if flood.returncode != 0:
            fail("umbra_flood failed (%d): %s" % (flood.returncode, ftext))
        f = kv(ftext)
        after_flood = relay_metrics(mport)
        rcvbuf_drops = udp_rcvbuf_errors() - rcvbuf_before
        if not relay.alive():
            fail("the relay died during the flood; log:\n%s" % relay.log_tail())
        try:
            load.proc.wait(timeout=LOAD_SECONDS + 60)
        except subprocess.TimeoutExpired:
            load.proc.kill()
            fail("umbra-load did not finish")
        check_sanitizers(load)
        for p in probers:
            p.stop_flag.set()
        for p in probers:
            p.join(10)
        if load.proc.returncode != 0:
            fail("umbra-load exited %d: %s" % (load.proc.returncode, load.log_text()))
        with open(summary) as fh:
            s = kv(fh.read())

        sent_m, sent_c = int(f["sent_malformed"]), int(f["sent_bad_creds"])
        ans_m, ans_c = int(f["answers_malformed"]), int(f["answers_bad_creds"])
        seconds = float(f["seconds"])
        limited = after_flood.get("umbra_relay_unauth_rate_limited_total", 0) - \
            before.get("umbra_relay_unauth_rate_limited_total", 0)
        wrong = after_flood.get('umbra_relay_auth_failures_total{kind="wrong"}', 0)
        malformed = after_flood.get('umbra_relay_dropped_total{reason="malformed"}', 0)
        no_alloc = after_flood.get('umbra_relay_dropped_total{reason="no_allocation"}', 0)
        lost, sent = int(s["lost"]), int(s["sent"])
        answered = [r for p in probers for r in p.results if r is not None]
        missed = sum(1 for p in probers for r in p.results if r is None)
        note("flood: %d malformed + %d bad credentials in %.1f s (%s packets/s); answers: "
             "%d malformed, %d bad credentials"
             % (sent_m, sent_c, seconds, f["rate"], ans_m, ans_c))
        note("relay: %d unauthenticated requests not answered (rate limited), %d wrong credentials "
             "checked, %d malformed and %d ChannelData without allocation dropped"
             % (limited, wrong, malformed, no_alloc))
        note("umbra-load: %s of %d calls, %d packets sent, %d lost (%.4f%%), p99 latency %s ms, "
             "relay CPU %s%%" % (s["calls_ready"], CALLS, sent, lost, 100.0 * lost / max(sent, 1),
                                 s.get("latency_p99_ms"), s.get("relay_cpu_pct")))
        note("probes: %d answered (slowest %.3f s), %d unanswered; kernel UDP receive-buffer "
             "drops during the flood (machine-wide): %d"
             % (len(answered), max(answered) if answered else 0, missed, rcvbuf_drops))

        if sent_m != MALFORMED or sent_c != BAD_CREDS:
            fail("the flood was not sent whole")
        if int(s["calls_ready"]) != CALLS:
            fail("%s of %d calls came up" % (s["calls_ready"], CALLS))
        if sent == 0 or lost * 1000 >= sent:
            fail("legitimate loss %d of %d packets is 0.1%% or more" % (lost, sent))
        if int(s.get("corrupt", 0)) != 0:
            fail("corrupt packets: %s" % s["corrupt"])
        if missed > 0 or len(answered) < 20:
            fail("authenticated probes: %d answered, %d not" % (len(answered), missed))
        if limited <= 0:
            fail("the unauthenticated limit never engaged")
        # Each source has a bucket per worker thread: burst, then the rate,
        # over the flood and the drain (the nonce fetch took one token).
        # Requests beyond that go unanswered.
        allowed = N_SOURCES * THREADS * (UNAUTH_BURST + UNAUTH_RATE * (seconds + 2)) + 1
        if ans_c + ans_m > allowed:
            fail("%d answers to unauthenticated requests, more than the %d the buckets allow"
                 % (ans_c + ans_m, allowed))
        if ans_c * 2 > sent_c:
            fail("%d of %d bad-credential requests answered" % (ans_c, sent_c))
        if wrong < ans_c:
            fail("fewer credential checks (%d) than answers to them (%d)" % (wrong, ans_c))
        h.stop(relay)  # clean exit, no sanitizer report
        for p in probers:
            p.c.close()
    note("PASS")


run(main)
