"""Interop with coturn's client, turnutils_uclient (Debian package coturn),
against a real umbra-relay on loopback with TURN REST credentials.

1. Client-to-client mode (-y: each client's peer is another client's relayed
   address), 20 clients, over UDP (with channels, and with Send/Data
   indications: -s), TCP and TLS. UDP and TCP must lose
   nothing; TLS must deliver at least 80% (this Debian client loses ~11%
   over TLS even against coturn's own server).
2. Without -y, toward a UDP peer on 127.0.0.1 that counts what arrives: the
   relay refuses the permission/channel with 403 and not one packet reaches
   the peer (with ChannelBind, with CreatePermission + Send (-s), over TCP).

The command lines (PORT is the relay's UDP+TCP port, TLSPORT its TLS port,
PEER the counting peer's port, SECRET the auth-secret-file's secret):
  turnutils_uclient -W SECRET -y -m 20 -n 50 -p PORT 127.0.0.1
  turnutils_uclient -s -W SECRET -y -m 20 -n 50 -p PORT 127.0.0.1
  turnutils_uclient -t -W SECRET -y -m 20 -n 50 -p PORT 127.0.0.1
  turnutils_uclient -t -S -W SECRET -y -m 20 -n 50 -p TLSPORT 127.0.0.1
  turnutils_uclient -W SECRET -e 127.0.0.1 -r PEER -m 2 -n 20 -p PORT 127.0.0.1
  turnutils_uclient -s -W SECRET -e 127.0.0.1 -r PEER -m 2 -n 20 -p PORT 127.0.0.1
  turnutils_uclient -t -W SECRET -e 127.0.0.1 -r PEER -m 2 -n 20 -p PORT 127.0.0.1
Each run's exact line is printed to the test's log as it starts.

The relay runs with media-only = no: turnutils_uclient's payload starts with
its message counter (a little-endian int), so messages 4 to 15 of each
client start with a byte no WebRTC protocol uses (RFC 7983) and the
media-only rule would drop them; no uclient option makes them media-like.
tests/integration/relay_media_only.py covers the rule itself.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from umbra_harness import Harness, fail, note, run  # noqa: E402

SECRET = "uclient-rest-secret-4b9d"
CLIENTS = 20
MESSAGES = 50

# "start_mclient: tot_send_msgs=1000, tot_recv_msgs=1000" (the final line
# has no "msz=") and "Total lost packets 0 (0.000000%), total send dropped 0".
TOTALS = re.compile(r"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", re.M)
LOST = re.compile(r"Total lost packets (\d+) \(([\d.]+)%\), total send dropped (\d+)")


def uclient(argv, timeout=90):
    cmd = ["turnutils_uclient"] + argv
    note("$ " + " ".join(cmd))
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        fail("turnutils_uclient did not finish in %ds: %s\n%s" % (timeout, " ".join(cmd), out[-2000:]))
    out = r.stdout.decode(errors="replace")
    note("  exit %d after %.1fs" % (r.returncode, time.monotonic() - t0))
    return r.returncode, out


def summary(out, what):
    totals = TOTALS.findall(out)
    lost = LOST.search(out)
    if not totals or not lost:
        fail("%s: no summary lines in turnutils_uclient output:\n%s" % (what, out[-3000:]))
    sent, recv = (int(x) for x in totals[-1])
    return sent, recv, int(lost.group(1)), int(lost.group(3))


def client_to_client(relay, label, flags, port, min_ratio):
    argv = flags + ["-W", SECRET, "-y", "-m", str(CLIENTS), "-n", str(MESSAGES),
                    "-p", str(port), relay.host]
    rc, out = uclient(argv)
    sent, recv, lost, dropped = summary(out, label)
    note("  %s: sent %d, received %d, lost %d, send dropped %d" % (label, sent, recv, lost, dropped))
    if rc != 0:
        fail("%s: turnutils_uclient exited %d:\n%s" % (label, rc, out[-3000:]))
    # Over TLS this client logs "tlsv1 alert internal error" lines even
    # against coturn's server (its handshake retries), so only UDP and TCP
    # must be free of error lines.
    if min_ratio >= 1.0 and "error" in out.lower():
        errs = [ln for ln in out.splitlines() if "error" in ln.lower()]
        fail("%s: turnutils_uclient reported errors:\n%s" % (label, "\n".join(errs[:20])))
    if sent != CLIENTS * MESSAGES:
        fail("%s: %d messages sent, expected %d (%d clients x %d)"
             % (label, sent, CLIENTS * MESSAGES, CLIENTS, MESSAGES))
    if min_ratio >= 1.0:
        if recv != sent or lost != 0 or dropped != 0:
            fail("%s: lost packets: sent %d, received %d, lost %d, send dropped %d"
                 % (label, sent, recv, lost, dropped))
    elif recv < min_ratio * sent:
        fail("%s: only %d of %d delivered (< %d%%)" % (label, recv, sent, min_ratio * 100))


class CountingPeer:
    """A UDP socket on 127.0.0.1 that counts every datagram it receives
    (and echoes it, as turnutils_peer would)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.1)
        self.count = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            try:
                self.sock.sendto(data, addr)
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def loopback_peer_refused(relay, peer_port, label, flags):
    peer = CountingPeer(peer_port)
    try:
        argv = flags + ["-W", SECRET, "-e", "127.0.0.1", "-r", str(peer_port), "-m", "2",
                        "-n", "20", "-p", str(relay.port), relay.host]
        rc, out = uclient(argv, timeout=60)
        time.sleep(0.5)  # anything the relay forwarded has arrived by now
    finally:
        peer.close()
    note("  %s: peer received %d datagrams; uclient exit %d" % (label, peer.count, rc))
    if peer.count != 0:
        fail("%s: %d datagrams reached the loopback peer 127.0.0.1:%d through the relay"
             % (label, peer.count, peer_port))
    if not re.search(r"error 403\b", out):
        fail("%s: expected the relay to refuse the loopback peer with 403; uclient said:\n%s"
             % (label, out[-2000:]))


def main():
    with Harness("relay_uclient", port_base=21000, port_count=200) as h:
        h.record_sensitive(SECRET)
        secrets = h.write_secrets([SECRET])
        relay = h.start_relay(auth_secret_file=secrets, relay_port_count=120, media_only=False)
        note("umbra-relay: UDP/TCP %d, TLS %d, relayed ports %d-%d"
             % (relay.port, relay.tls_port, *relay.relay_ports))
        client_to_client(relay, "UDP", [], relay.port, 1.0)
        client_to_client(relay, "UDP with Send indications", ["-s"], relay.port, 1.0)
        client_to_client(relay, "TCP", ["-t"], relay.port, 1.0)
        client_to_client(relay, "TLS", ["-t", "-S"], relay.tls_port, 0.8)
        peer_port = h.port()
        loopback_peer_refused(relay, peer_port, "no -y, ChannelBind over UDP", [])
        loopback_peer_refused(relay, peer_port, "no -y, CreatePermission+Send over UDP", ["-s"])
        loopback_peer_refused(relay, peer_port, "no -y, ChannelBind over TCP", ["-t"])
        if not relay.alive():
            fail("umbra-relay died during the run; log tail:\n%s" % relay.log_tail())
        h.stop(relay)
    note("PASS")


if __name__ == "__main__":
    run(main)
