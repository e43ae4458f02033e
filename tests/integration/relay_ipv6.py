"""IPv6 on umbra-relay: a client over [::1], IPv6 relayed addresses
(REQUESTED-ADDRESS-FAMILY), and the peer policy on IPv6 allocations.

The relay listens on 127.0.0.1 and [::1] (same port) with relay-address
127.0.0.1 and ::1. Checked:
  * a UDP client over [::1] gets XOR-MAPPED-ADDRESS [::1]:its port, and an
    IPv4 relayed address by default
  * REQUESTED-ADDRESS-FAMILY IPv6 gives a relayed address on ::1, for a
    client over [::1]/UDP and one over 127.0.0.1/TCP
  * between two IPv6 allocations: permissions succeed, a Send indication
    arrives as a Data indication from the other's relayed address, and
    ChannelData flows back
  * toward ::1 on a port that is no relayed address, fe80::1, fd00::1 and
    ::ffff:127.0.0.1: 403 (443 accepted where the family differs from the
    allocation's after normalisation)
Exits 77 (SKIP) only when this host cannot bind ::1 at all.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, run, skip  # noqa: E402

SECRET = "ipv6-rest-secret-1b7e"
FAMILY_IPV6 = (stun.REQUESTED_ADDRESS_FAMILY, b"\x02\0\0\0")


def expect_success(resp, what):
    if resp.cls != stun.SUCCESS:
        fail("%s: expected success, got %s" % (what, resp.describe()))
    note("ok: %s -> success" % what)


def expect_refused(resp, what, codes=(403,)):
    ec = resp.error_code() if resp.cls == stun.ERROR else None
    if not ec or ec[0] not in codes:
        fail("%s: expected %s, got %s" % (what, "/".join(map(str, codes)), resp.describe()))
    note("ok: %s -> %d" % (what, ec[0]))


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def main():
    if not have_ipv6():
        skip("this host has no IPv6 loopback (::1 cannot be bound)")
    with Harness("relay_ipv6", port_base=21700, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        port = h.port()
        relay = h.start_relay(auth_secret_file=secrets, tls=False, port=port,
                              listen=["127.0.0.1:%d" % port, "[::1]:%d" % port],
                              relay_address=["127.0.0.1", "::1"])
        low, high = relay.relay_ports

        def new_client(name, host, transport, extra=()):
            u, p = h.rest_credentials(SECRET, call="ipv6-call", pseudonym=name)
            c = stun.TurnClient(host, port, transport, u, p)
            r = c.allocate(extra=extra)
            expect_success(r, "Allocate %s (client over %s/%s)" % (name, host, transport.upper()))
            return c, r

        v4, r = new_client("v4-default", "::1", "udp")
        if v4.mapped is None or v4.mapped != (v4.local[0], v4.local[1]):
            fail("XOR-MAPPED-ADDRESS %s for a client at %s" % (v4.mapped, v4.local))
        if v4.relayed[0] != "127.0.0.1":
            fail("Allocate without REQUESTED-ADDRESS-FAMILY: relayed %s, expected IPv4" % (v4.relayed,))
        note("ok: client over [::1] mapped to %s:%d, relayed on IPv4 by default" % v4.mapped)

        d, _ = new_client("d", "::1", "udp", [FAMILY_IPV6])
        e, _ = new_client("e", "127.0.0.1", "tcp", [FAMILY_IPV6])
        for c in (d, e):
            if c.relayed[0] != "::1" or not low <= c.relayed[1] <= high:
                fail("IPv6 allocation relayed at %s, expected ::1 with a port in %d-%d"
                     % (c.relayed, low, high))
        note("ok: IPv6 relayed addresses [::1]:%d and [::1]:%d" % (d.relayed[1], e.relayed[1]))

        outsider = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        outsider.bind(("::1", h.port()))
        outsider.setblocking(False)
        for ip, p, what, codes in (
                ("::1", outsider.getsockname()[1], "::1 on a port that is no relayed address", (403,)),
                ("fe80::1", 5000, "fe80::1 (link-local)", (403,)),
                ("fd00::1", 5000, "fd00::1 (unique local)", (403,)),
                ("::ffff:127.0.0.1", 5000, "::ffff:127.0.0.1", (403, 443)),
                ("::", d.relayed[1], ":: on D's relayed port", (403,))):
            expect_refused(e.create_permission((ip, p)), "IPv6 allocation: CreatePermission to " + what, codes)

        expect_success(d.create_permission(e.relayed), "CreatePermission D -> E's relayed [::1]")
        expect_success(e.create_permission(d.relayed), "CreatePermission E -> D's relayed [::1]")
        d.send_indication(e.relayed, b"\x80v6-send")
        got = e.receive(3.0, kind="data")
        if not got or got[2] != b"\x80v6-send" or tuple(got[1]) != tuple(d.relayed):
            fail("Send D -> E over IPv6 relayed addresses: E got %r" % (got,))
        note("ok: D -> E by Send indication, from [::1]:%d" % d.relayed[1])
        expect_success(e.channel_bind(0x4000, d.relayed), "ChannelBind E -> D")
        e.send_channel(0x4000, b"\x80v6-channel")
        got = d.receive(3.0, kind="data")
        if not got or got[2] != b"\x80v6-channel":
            fail("ChannelData E -> D over IPv6: D got %r" % (got,))
        note("ok: E -> D by ChannelData")

        # Nothing toward the outsider, even with a permission for ::1.
        e.send_indication(("::1", outsider.getsockname()[1]), b"\x80v6-leak")
        d.receive(0.5)
        try:
            leaked = outsider.recv(65536)
            fail("a Send toward a non-relayed [::1] port reached it: %r" % leaked)
        except BlockingIOError:
            note("ok: Send toward a non-relayed [::1] port delivered nothing")

        for c in (v4, d, e):
            c.close()
        outsider.close()
        h.stop(relay)
    note("PASS")


if __name__ == "__main__":
    run(main)
