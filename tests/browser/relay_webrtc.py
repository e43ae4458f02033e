"""A real browser through umbra-relay: headless Debian chromium (driven by
playwright-core, no downloaded browser) opens two RTCPeerConnections with
iceTransportPolicy "relay" and TURN REST credentials, once with a turn: URL
(UDP) and once with turns: (TLS to 127.0.0.1, which the self-signed
certificate covers). Each run must deliver a data-channel message, and
getStats on both ends must show a selected pair whose local and remote
candidates are both relay candidates on umbra's relayed addresses, reached
over UDP for turn: and over TLS for turns:.

usage: relay_webrtc.py PLAYWRIGHT_CORE_DIR
"""

import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from umbra_harness import Harness, Process, fail, note, run  # noqa: E402

SECRET = "webrtc-rest-secret-2f8a"
CHROMIUM = "/usr/bin/chromium"


def check_run(r, relay, want_protocol):
    label = r.get("label")
    if r.get("error"):
        fail("%s: %s; candidates %s; ICE errors %s" % (label, r["error"], r.get("candidates"), r.get("errors")))
    if r.get("message") != r.get("sent"):
        fail("%s: data channel delivered %r, expected %r" % (label, r.get("message"), r.get("sent")))
    low, high = relay.relay_ports
    for side in ("a", "b"):
        p = r.get(side)
        if not p or not p.get("local") or not p.get("remote"):
            fail("%s: peer %s has no selected candidate pair in getStats: %r" % (label, side, p))
        for end in ("local", "remote"):
            c = p[end]
            if c.get("type") != "relay":
                fail("%s: peer %s selected pair %s candidate is %r, not relay: %r"
                     % (label, side, end, c.get("type"), p))
            if c.get("address") != relay.host or not low <= int(c.get("port") or 0) <= high:
                fail("%s: peer %s %s candidate %s:%s is not one of umbra's relayed addresses"
                     " (%s, ports %d-%d)" % (label, side, end, c.get("address"), c.get("port"),
                                             relay.host, low, high))
        if p["local"].get("relayProtocol") != want_protocol:
            fail("%s: peer %s reached the relay over %r, expected %r"
                 % (label, side, p["local"].get("relayProtocol"), want_protocol))
    # Each end's remote candidate is the other end's local one.
    if (r["a"]["remote"]["port"] != r["b"]["local"]["port"]
            or r["b"]["remote"]["port"] != r["a"]["local"]["port"]):
        fail("%s: the selected pairs do not match each other: a=%r b=%r" % (label, r["a"], r["b"]))
    for side in ("a", "b"):
        for cand in r["candidates"][side]:
            if " typ relay" not in cand:
                fail("%s: peer %s gathered a non-relay candidate: %s" % (label, side, cand))
    note("ok: %s: message delivered; selected pair relay/relay on both ends over %s (%s:%s <-> %s:%s)"
         % (label, want_protocol, r["a"]["local"]["address"], r["a"]["local"]["port"],
            r["b"]["local"]["address"], r["b"]["local"]["port"]))


def main():
    playwright = sys.argv[1]
    with Harness("relay_webrtc", port_base=21500, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        relay = h.start_relay(auth_secret_file=secrets)
        runs = []
        for label, url, proto in (
                ("turn-udp", "turn:%s:%d?transport=udp" % (relay.host, relay.port), "udp"),
                ("turns-tls", "turns:%s:%d?transport=tcp" % (relay.host, relay.tls_port), "tls")):
            a = h.rest_credentials(SECRET, call="browser-" + label, pseudonym="caller")
            b = h.rest_credentials(SECRET, call="browser-" + label, pseudonym="callee")
            runs.append({"label": label, "url": url, "proto": proto,
                         "a": {"username": a[0], "credential": a[1]},
                         "b": {"username": b[0], "credential": b[1]}})
        profile = h.path("chromium-profile")
        os.makedirs(profile)
        cfg = h.write_file("browser.json", json.dumps({
            "playwright": playwright, "chromium": CHROMIUM, "userDataDir": profile,
            "timeoutMs": 20000, "runs": runs}))
        cmd = ["node", os.path.join(HERE, "relay_webrtc.mjs"), cfg]
        note("$ " + " ".join(cmd))
        # node and chromium in their own process group, so a hung run takes
        # the whole browser down with it.
        node = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        h.procs.append(Process("browser", cmd, node, h.path("browser.log")))  # killed on cleanup
        try:
            out, err = node.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.communicate()
            fail("the browser run did not finish in 120 s")
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        with open(h.path("browser.log"), "w") as f:
            f.write(err)
        if node.returncode != 0:
            fail("node exited %d:\n%s" % (node.returncode, err[-3000:]))
        try:
            result = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            fail("no JSON from the browser run:\n%s\n%s" % (out[-2000:], err[-2000:]))
        with open(h.path("browser-result.json"), "w") as f:
            json.dump(result, f, indent=1)
        for spec, got in zip(runs, result["runs"]):
            check_run(got, relay, spec["proto"])
        if not relay.alive():
            fail("umbra-relay died; log tail:\n%s" % relay.log_tail())
        h.stop(relay)
    note("PASS")


if __name__ == "__main__":
    run(main)
