"""umbra-relay's command line and configuration errors, and a SIGHUP with a
broken secrets file.

  --help and --version exit 0 and say what they should
  each bad configuration exits non-zero, names its place (FILE:LINE, or the
  flag) and opens no port: unknown key, bad listen address, reversed
  relay-ports, relay-address 0.0.0.0, missing config file, missing secrets
  file, missing TLS certificate
  a running relay whose secrets file is removed keeps its secrets on SIGHUP
  (and keeps serving), then picks up a repaired file on the next SIGHUP
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, port_free, run  # noqa: E402

SECRET = "cli-rest-secret-5e21"
NEW_SECRET = "cli-rest-secret-repaired-0c9"


def run_relay(h, argv, timeout=10):
    usage = argv == ["--help"]
    r = h.run_tool("cli-relay-usage" if usage else "cli-relay", [h.relay_binary()] + argv,
                   timeout=timeout, audit=not usage)
    return r.returncode, r.stdout, r.stderr


def expect_refused(h, what, argv, must_name, port):
    rc, out, err = run_relay(h, argv)
    if rc == 0:
        fail("%s: umbra-relay exited 0; stderr: %s" % (what, err))
    text = out + err
    for word in must_name:
        if word not in text:
            fail("%s: the error does not name %r:\n%s" % (what, word, text))
    if not port_free(port):
        fail("%s: port %d is in use after the refused start" % (what, port))
    note("ok: %s -> exit %d: %s" % (what, rc, text.strip().splitlines()[-1][:120]))


def allocate(h, relay, secret):
    u, p = h.rest_credentials(secret, call="cli-call", pseudonym="c")
    with stun.TurnClient(relay.host, relay.port, "udp", u, p) as c:
        r = c.allocate()
        if r.cls == stun.SUCCESS:
            c.refresh(0)
        return r


def main():
    with Harness("relay_cli", port_base=21900, port_count=100) as h:
        rc, out, err = run_relay(h, ["--help"])
        if rc != 0 or "usage" not in (out + err).lower():
            fail("--help: exit %d, output %r" % (rc, (out + err)[:300]))
        note("ok: --help")
        rc, out, err = run_relay(h, ["--version"])
        if rc != 0 or "umbra-relay" not in out + err:
            fail("--version: exit %d, output %r" % (rc, (out + err)[:300]))
        note("ok: --version: %s" % (out + err).strip())

        secrets = h.write_secrets([SECRET])
        port = h.port()
        listen = "listen = 127.0.0.1:%d\nauth-secret-file = %s\n" % (port, secrets)
        bad = h.write_file("unknown-key.conf", "realm = x\n" + listen + "no-such-key = 1\n")
        expect_refused(h, "unknown key on line 4", ["-c", bad], [bad + ":4", "no-such-key"], port)
        bad = h.write_file("bad-ports.conf", listen + "relay-ports = 60000-50000\n")
        expect_refused(h, "relay-ports 60000-50000", ["-c", bad], [bad + ":3", "relay-ports"], port)
        bad = h.write_file("bad-relay-address.conf", listen + "relay-address = 0.0.0.0\n")
        expect_refused(h, "relay-address 0.0.0.0", ["-c", bad], [bad + ":3", "relay-address"], port)
        expect_refused(h, "--listen=not-an-address", ["--listen=not-an-address"], ["listen"], port)
        missing = h.path("missing.conf")
        expect_refused(h, "missing config file", ["-c", missing], [missing], port)
        expect_refused(h, "missing auth-secret-file",
                       ["--listen=127.0.0.1:%d" % port, "--auth-secret-file=" + h.path("none")],
                       ["auth-secret-file", h.path("none")], port)
        expect_refused(h, "missing tls-cert",
                       ["--listen=127.0.0.1:%d" % port, "--auth-secret-file=" + secrets,
                        "--tls-listen=127.0.0.1:%d" % (port + 1), "--tls-cert=" + h.path("none.crt"),
                        "--tls-key=" + h.path("none.key")],
                       [h.path("none")], port)

        relay = h.start_relay(auth_secret_file=secrets, tls=False)
        if allocate(h, relay, SECRET).cls != stun.SUCCESS:
            fail("Allocate with the configured secret failed")
        os.unlink(secrets)
        relay.proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        if not relay.alive():
            fail("SIGHUP with the secrets file gone killed the relay; log:\n%s" % relay.log_tail())
        r = allocate(h, relay, SECRET)
        if r.cls != stun.SUCCESS:
            fail("after SIGHUP with the secrets file gone, the old secret stopped working: %s"
                 % r.describe())
        note("ok: SIGHUP with the secrets file gone: relay up, old secret kept")
        h.write_secrets([NEW_SECRET])
        relay.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while allocate(h, relay, NEW_SECRET).cls != stun.SUCCESS:
            if time.monotonic() > deadline:
                fail("the repaired secrets file was not picked up 5 s after SIGHUP")
            time.sleep(0.2)
        note("ok: SIGHUP with a repaired file: the new secret works")
        h.stop(relay)
    note("PASS")


if __name__ == "__main__":
    run(main)
