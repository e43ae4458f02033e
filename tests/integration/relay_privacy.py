"""Peer privacy of umbra-relay (relay-only-peers, on by default).

Three clients allocate (A and B over UDP, C over TCP). Then:
  403 for CreatePermission toward: 127.0.0.1 on a port that is no relayed
      address; 0.0.0.0 and ::ffff:0.0.0.0 on B's relayed port (0.0.0.0
      reaches loopback on Linux: coturn's CVE-2020-26262); ::ffff:127.0.0.1
      (coturn's CVE-2026-27624); 6to4 and NAT64 forms of 127.0.0.1;
      private, link-local, multicast IPv4 peers; 403 or 443 (family
      mismatch on an IPv4 allocation) for ::1, fc00::1, fe80::1
  403 for ChannelBind toward 127.0.0.1 on a non-relayed port
  a Send indication toward a non-relayed 127.0.0.1 port never arrives there,
      even while A holds a permission for 127.0.0.1 (B's relayed address)
  success for CreatePermission toward the relayed address of a live
      allocation; data relayed A->B by Send/Data indication only after B
      permits A; ChannelData both ways (channels 0x4001 and 0x7FFF, the
      RFC 5766 range deployed clients still use); over TCP with padding
  once A's allocation is deleted, a permission toward its old relayed
      address is 403
  a public address that is no relayed address: 403; with relay-only-peers
      = no it is allowed (permission only, nothing is sent there) while
      loopback, unspecified, mapped, private, link-local and multicast peers
      stay 403
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, run  # noqa: E402

SECRET = "privacy-rest-secret-0ae4"
# A public address for permission checks only: no packet is ever sent to it.
PUBLIC_PEER = "8.8.8.8"


def code_of(resp):
    ec = resp.error_code() if resp.cls == stun.ERROR else None
    return ec[0] if ec else None


problems = []


def problem(message):
    """A privacy failure that later steps do not depend on: record it and go
    on, so one run lists them all."""
    sys.stderr.write("FAIL: %s\n" % message)
    problems.append(message)


def expect_refused(resp, what, codes=(403,)):
    c = code_of(resp)
    if c not in codes:
        problem("%s: expected %s, got %s" % (what, "/".join(map(str, codes)), resp.describe()))
    else:
        note("ok: %s -> %d" % (what, c))


def expect_success(resp, what):
    if resp.cls != stun.SUCCESS:
        fail("%s: expected success, got %s" % (what, resp.describe()))
    note("ok: %s -> success" % what)


def expect_data(client, peer, payload, what, kind=None, channel=None):
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        item = client.receive(timeout=deadline - time.monotonic())
        if item is None:
            break
        if item[0] == "stun":
            continue
        if item[0] == "data" and kind in (None, "data") and tuple(item[1]) == tuple(peer) and item[2] == payload:
            note("ok: %s (Data indication from %s:%d)" % (what, *peer))
            return
        if item[0] == "channel" and kind in (None, "channel") and item[1] == channel and item[2] == payload:
            note("ok: %s (ChannelData on 0x%04x)" % (what, channel))
            return
        fail("%s: unexpected %r" % (what, item[:2] + (item[2][:32],)))
    fail("%s: nothing arrived within 3 s" % what)


def expect_nothing(client, what, wait=0.7):
    item = client.receive(timeout=wait)
    while item is not None and item[0] == "stun":
        item = client.receive(timeout=wait)
    if item is not None:
        fail("%s: something arrived: %r" % (what, item[:2]))
    note("ok: %s" % what)


class SilentPeer:
    """A UDP socket on 127.0.0.1 that counts what reaches it."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.got = []

    def count(self):
        while True:
            try:
                self.got.append(self.sock.recv(65536))
            except BlockingIOError:
                return len(self.got)


def relay_only_off(h, secrets, outsider):
    """relay-only-peers = no lets public peers through, but loopback,
    private, link-local, multicast and unspecified ones stay denied."""
    relay = h.start_relay(name="relay-only-off", auth_secret_file=secrets, tls=False,
                          relay_only_peers=False)
    clients = []
    for name in ("P", "Q"):
        u, p = h.rest_credentials(SECRET, call="privacy-off-call", pseudonym=name)
        c = stun.TurnClient(relay.host, relay.port, "udp", u, p)
        expect_success(c.allocate(), "relay-only-peers=no: Allocate " + name)
        clients.append(c)
    p, q = clients
    expect_success(p.create_permission((PUBLIC_PEER, 3478)),
                   "relay-only-peers=no: CreatePermission to public %s (nothing sent)" % PUBLIC_PEER)
    expect_success(p.create_permission(q.relayed), "relay-only-peers=no: CreatePermission to Q's relayed address")
    # Without the rule, RFC 8656 permissions cover the whole IP: the same
    # outsider datagram that relay-only drops is delivered here.
    outsider.sock.sendto(b"inbound-from-outsider", p.relayed)
    expect_data(p, ("127.0.0.1", outsider.port), b"inbound-from-outsider",
                "relay-only-peers=no: a permitted IP's other port reaches P")
    for ip, port, what in (("127.0.0.1", outsider.port, "127.0.0.1 (not a relayed address)"),
                           ("0.0.0.0", q.relayed[1], "0.0.0.0 on Q's relayed port"),
                           ("::ffff:127.0.0.1", outsider.port, "::ffff:127.0.0.1"),
                           ("10.0.0.1", 5000, "10.0.0.1"), ("169.254.1.1", 5000, "169.254.1.1"),
                           ("224.0.0.1", 5000, "224.0.0.1")):
        expect_refused(p.create_permission((ip, port)), "relay-only-peers=no: CreatePermission to " + what)
    for c in clients:
        c.close()
    if not relay.alive():
        fail("umbra-relay (relay-only-peers=no) died; log tail:\n%s" % relay.log_tail())
    h.stop(relay)


def main():
    with Harness("relay_privacy", port_base=21300, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        relay = h.start_relay(auth_secret_file=secrets, tls=False)
        outsider = SilentPeer(h.port())

        def new_client(name, transport):
            u, p = h.rest_credentials(SECRET, call="privacy-call", pseudonym=name)
            c = stun.TurnClient(relay.host, relay.port, transport, u, p)
            expect_success(c.allocate(), "Allocate %s over %s" % (name, transport.upper()))
            return c

        a = new_client("A", "udp")
        b = new_client("B", "udp")
        c = new_client("C", "tcp")
        ra, rb, rc = a.relayed, b.relayed, c.relayed
        note("relayed: A %s:%d, B %s:%d, C %s:%d" % (ra + rb + rc))

        # Peers that are not relayed addresses of live allocations.
        denied = [
            ("127.0.0.1", outsider.port, None, "127.0.0.1 (not a relayed address)"),
            ("0.0.0.0", rb[1], None, "0.0.0.0 on B's relayed port"),
            ("::ffff:0.0.0.0", rb[1], None, "::ffff:0.0.0.0 on B's relayed port"),
            ("::ffff:127.0.0.1", outsider.port, None, "::ffff:127.0.0.1 (IPv4-mapped loopback)"),
            ("2002:7f00:1::", outsider.port, None, "2002:7f00:1:: (6to4 of 127.0.0.1)"),
            ("64:ff9b::7f00:1", outsider.port, None, "64:ff9b::7f00:1 (NAT64 of 127.0.0.1)"),
            ("10.0.0.1", 5000, None, "10.0.0.1 (private)"),
            ("172.16.3.4", 5000, None, "172.16.3.4 (private)"),
            ("192.168.1.1", 5000, None, "192.168.1.1 (private)"),
            ("169.254.1.1", 5000, None, "169.254.1.1 (link-local)"),
            ("224.0.0.1", 5000, None, "224.0.0.1 (multicast)"),
            ("255.255.255.255", 5000, None, "255.255.255.255 (broadcast)"),
            (PUBLIC_PEER, 3478, None, PUBLIC_PEER + " (public, but no relayed address)"),
        ]
        for ip, port, fam, what in denied:
            expect_refused(a.create_permission((ip, port), family=fam), "CreatePermission to " + what)
        for ip, what in (("::1", "::1"), ("fc00::1", "fc00::1 (unique local)"), ("fe80::1", "fe80::1 (link-local)")):
            expect_refused(a.create_permission((ip, 5000)), "CreatePermission to " + what, (403, 443))
        expect_refused(a.channel_bind(0x4000, ("127.0.0.1", outsider.port)),
                       "ChannelBind to 127.0.0.1 (not a relayed address)")
        expect_refused(a.channel_bind(0x4000, ("0.0.0.0", rb[1])), "ChannelBind to 0.0.0.0 on B's relayed port")
        expect_refused(a.channel_bind(0x4000, ("::ffff:127.0.0.1", outsider.port)),
                       "ChannelBind to ::ffff:127.0.0.1")

        # Allowed: relayed addresses of live allocations.
        expect_success(a.create_permission(rb), "CreatePermission A -> B's relayed address")
        a.send_indication(rb, b"\x80before-B-permits")
        expect_nothing(b, "B receives nothing from A before B permits A")
        expect_success(b.create_permission(ra), "CreatePermission B -> A's relayed address")
        a.send_indication(rb, b"\x80hello-B-via-send")
        expect_data(b, ra, b"\x80hello-B-via-send", "A -> B by Send indication")

        # B's relayed IP (127.0.0.1) is permitted on B now, but a datagram
        # from a port of that IP that is no relayed address must not reach B.
        outsider.sock.sendto(b"inbound-from-outsider", rb)
        expect_nothing(b, "B receives nothing from 127.0.0.1:%d, not a relayed address" % outsider.port)

        # A holds a permission for 127.0.0.1 (B's relayed IP) now; a Send to
        # another port on that IP must still not leave the relay.
        for i in range(5):
            a.send_indication(("127.0.0.1", outsider.port), b"\x80leak-%d" % i)
            a.send_indication(("0.0.0.0", outsider.port), b"\x80leak0-%d" % i)
        time.sleep(0.5)
        n = outsider.count()
        if n:
            problem("Send indications toward 127.0.0.1:%d and 0.0.0.0:%d (not relayed addresses; A holds a "
                 "permission for 127.0.0.1 through B) delivered %d datagrams: %r"
                 % (outsider.port, outsider.port, n, outsider.got[:10]))
        else:
            note("ok: Send indications toward a non-relayed loopback port delivered nothing")
        seen_by_outsider = n

        expect_success(b.channel_bind(0x4001, ra), "ChannelBind B 0x4001 -> A")
        b.send_channel(0x4001, b"\x80hello-A-via-channel")
        expect_data(a, rb, b"\x80hello-A-via-channel", "B -> A by ChannelData", kind="data")
        expect_success(a.channel_bind(0x7FFF, rb), "ChannelBind A 0x7FFF -> B")
        a.send_channel(0x7FFF, b"\x80channel-both-ways")
        expect_data(b, ra, b"\x80channel-both-ways", "A -> B on channel 0x7FFF", kind="channel", channel=0x4001)

        # TCP client C with ChannelData needing padding.
        expect_success(c.create_permission(rb), "CreatePermission C (TCP) -> B")
        expect_success(b.create_permission(rc), "CreatePermission B -> C")
        expect_success(c.channel_bind(0x4002, rb), "ChannelBind C (TCP) 0x4002 -> B")
        expect_success(b.channel_bind(0x4003, rc), "ChannelBind B 0x4003 -> C")
        c.send_channel(0x4002, b"\x80odd5")
        expect_data(b, rc, b"\x80odd5", "C (TCP, padded ChannelData) -> B", kind="channel", channel=0x4003)
        b.send_channel(0x4003, b"\x80seven7")
        expect_data(c, rb, b"\x80seven7", "B -> C (TCP) on channel 0x4003", kind="channel", channel=0x4002)

        # A relayed address stops being a valid peer when its allocation ends.
        expect_success(a.refresh(0), "Refresh A lifetime 0 (delete)")
        a.close()
        time.sleep(0.2)
        expect_refused(c.create_permission(ra), "CreatePermission C -> A's relayed address after A ended")

        for cl in (b, c):
            cl.close()

        relay_only_off(h, secrets, outsider)
        if outsider.count() > seen_by_outsider:
            problem("datagrams reached the outsider peer: %r" % outsider.got[seen_by_outsider:][:10])
        if not relay.alive():
            fail("umbra-relay died; log tail:\n%s" % relay.log_tail())
        h.stop(relay)
    if problems:
        fail("%d problem(s):\n  %s" % (len(problems), "\n  ".join(problems)))
    note("PASS")


if __name__ == "__main__":
    run(main)
