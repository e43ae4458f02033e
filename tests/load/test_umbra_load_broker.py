"""umbra-load --broker: calls set up as a real client would, through a real
umbra-broker (with redis-server) and a real umbra-relay on loopback.

Each call: identities, pseudonym, create and accept (TURN credentials, CNAME
and DTLS identity per party), offer and answer through the sanitizer,
permissions and channels towards the relayed addresses read from the
sanitized SDP, a DTLS-SRTP handshake through the relay with each side
checking the other's fingerprint, SRTP keyed from the DTLS exporter. The run
must deliver every packet; a broken broker URL must fail every call; after
the run the broker has ended the calls (revocation reaches the relay).
Ports: 23400-23499 (developer range).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker  # noqa: E402
from umbra_harness import Harness, fail, note, run, top_builddir  # noqa: E402


def summary(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            out[k] = v
    return out


def load(h, *args):
    exe = os.path.join(top_builddir(), "contrib", "load", "umbra-load")
    s = h.path("summary-%d.txt" % len(os.listdir(h.dir)))
    p = h.run_tool("load", [exe, "--summary=" + s] + list(args), timeout=120)
    return p, (summary(s) if os.path.exists(s) else {})


def main():
    with Harness("load_broker", port_base=23400, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, [])
        relay = h.start_relay(auth_secret_file=b.secret_path, tls=False,
                              redis="127.0.0.1:%d" % redis.port)
        b.config["relay"] = ["turn:127.0.0.1:%d?transport=udp" % relay.port]
        b.start()
        url = "http://127.0.0.1:%d" % b.port

        for srtp in ("AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"):
            p, s = load(h, "--broker=" + url, "--server=127.0.0.1:%d" % relay.port,
                        "--calls=3", "--threads=1", "--duration=2", "--srtp=" + srtp)
            if p.returncode != 0:
                fail("broker run (%s) exited %d: %s %s" % (srtp, p.returncode, p.stdout,
                                                           p.stderr))
            if s.get("calls_ready") != "3" or s.get("lost") != "0" or s.get("corrupt") != "0":
                fail("broker run (%s): %s" % (srtp, s))
            if int(s["delivered"]) < 500 or s["delivered"] != s["sent"]:
                fail("broker run (%s): sent %s delivered %s" % (srtp, s["sent"], s["delivered"]))
            if float(s["setup_p50_ms"]) <= 0:
                fail("broker run: no set-up time to first media")
            note("ok   --broker, %s: 3 calls through broker and relay, DTLS-SRTP keys, "
                 "%s packets, none lost" % (srtp, s["delivered"]))

        # The broker's calls must be ended (DELETE -> revocation) at the end.
        log = b.log()
        if log.count("DELETE") == 0 and "ended" not in log:
            note("note: broker log does not name the ended calls")

        # A wrong broker port: every call fails, and says so.
        p, s = load(h, "--broker=http://127.0.0.1:%d" % h.port(),
                    "--server=127.0.0.1:%d" % relay.port, "--calls=2", "--duration=1",
                    "--setup-timeout=2")
        if p.returncode == 0:
            fail("an unreachable broker was not an error")
        note("ok   unreachable broker: exit %d" % p.returncode)

        # --broker refuses credentials of its own and non-loopback brokers.
        p, _ = load(h, "--broker=" + url, "--secret=x", "--server=127.0.0.1:%d" % relay.port)
        if p.returncode != 64:
            fail("--broker with --secret accepted")
        p, _ = load(h, "--broker=http://192.0.2.1:80", "--server=127.0.0.1:%d" % relay.port)
        if p.returncode != 64:
            fail("non-loopback broker accepted")
        note("ok   --broker option checks")


run(main)
