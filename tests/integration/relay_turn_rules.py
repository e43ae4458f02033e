"""RFC 8656 allocation rules and error codes of umbra-relay, from outside.

  437  a second Allocate on a 5-tuple that has one; Refresh,
       CreatePermission and ChannelBind without an allocation; Refresh after
       Refresh 0 deleted it
       (a retransmitted Allocate, same transaction, gets the same success)
  441  a Refresh on an allocation with another user's valid credentials
  442  REQUESTED-TRANSPORT TCP
  440  REQUESTED-ADDRESS-FAMILY of an unknown family
  400  EVEN-PORT together with RESERVATION-TOKEN; channel numbers 0x3FFF
       and 0x8000; a channel rebound to another peer; a peer bound to a
       second channel
  508  relay-ports exhausted; an unknown RESERVATION-TOKEN
  EVEN-PORT (R=1) gives an even port and a RESERVATION-TOKEN that a second
  Allocate redeems for the next port; LIFETIME is capped at 3600 s on
  Allocate and Refresh; a channel refreshes by binding it again; an
  allocation with DONT-FRAGMENT succeeds
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, run  # noqa: E402

SECRET = "turn-rules-rest-secret-77a0"
RT_UDP = (stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")


def code(resp):
    ec = resp.error_code() if resp.cls == stun.ERROR else None
    return ec[0] if ec else None


def expect_code(resp, want, what):
    if code(resp) != want:
        fail("%s: expected %d, got %s" % (what, want, resp.describe()))
    note("ok: %s -> %d" % (what, want))


def expect_success(resp, what):
    if resp.cls != stun.SUCCESS:
        fail("%s: expected success, got %s" % (what, resp.describe()))
    note("ok: %s -> success" % what)
    return resp


def lifetime_of(resp):
    v = resp.get(stun.LIFETIME)
    if v is None or len(v) != 4:
        fail("success without a 4-byte LIFETIME: %s" % resp.describe())
    return struct.unpack("!I", v)[0]


def main():
    with Harness("relay_turn_rules", port_base=21800, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        relay = h.start_relay(auth_secret_file=secrets, tls=False)

        names = iter(range(1000))

        def client(transport="udp", relay_=relay):
            u, p = h.rest_credentials(SECRET, call="rules-call", pseudonym="u%d" % next(names))
            return stun.TurnClient(relay_.host, relay_.port, transport, u, p)

        # 437 and retransmission.
        c1 = client()
        expect_success(c1.allocate(), "Allocate")
        relayed = c1.relayed
        first = c1.last
        again = stun.Message(stun.ALLOCATE, stun.REQUEST, tid=first.tid)
        for t, v in (RT_UDP, (stun.USERNAME, c1.username.encode()), (stun.REALM, c1.realm),
                     (stun.NONCE, c1.nonce)):
            again.add(t, v)
        r = c1.exchange(again, key=c1.key, fingerprint=True)
        expect_success(r, "the same Allocate transaction again (retransmission)")
        if r.address(stun.XOR_RELAYED_ADDRESS) != relayed:
            fail("retransmitted Allocate answered with relayed %s, first answer %s"
                 % (r.address(stun.XOR_RELAYED_ADDRESS), relayed))
        expect_code(c1.allocate(), 437, "a second Allocate (new transaction) on the same 5-tuple")

        c2 = client()
        expect_code(c2.refresh(600), 437, "Refresh without an allocation")
        expect_code(c2.create_permission(relayed), 437, "CreatePermission without an allocation")
        expect_code(c2.channel_bind(0x4000, relayed), 437, "ChannelBind without an allocation")

        # 441: c1's allocation, another user's (valid) credentials.
        saved = (c1.username, c1.password, c1.key)
        c1.username, c1.password = c2.username, c2.password
        c1.key = stun.long_term_key(c1.username, c1.realm.decode(), c1.password)
        expect_code(c1.refresh(600), 441, "Refresh of an allocation with another user's credentials")
        c1.username, c1.password, c1.key = saved

        # Lifetimes.
        r = expect_success(c1.refresh(100000), "Refresh asking for 100000 s")
        if lifetime_of(r) != 3600:
            fail("Refresh granted %d s; the maximum is 3600" % lifetime_of(r))
        c3 = client()
        r = expect_success(c3.allocate(lifetime=100000), "Allocate asking for 100000 s")
        if lifetime_of(r) != 3600:
            fail("Allocate granted %d s; the maximum is 3600" % lifetime_of(r))
        note("ok: LIFETIME capped at 3600 s")

        # Request attributes.
        c4 = client()
        expect_code(c4.request(stun.ALLOCATE, [(stun.REQUESTED_TRANSPORT, b"\x06\0\0\0")]), 442,
                    "Allocate for TCP relaying")
        expect_code(c4.request(stun.ALLOCATE, [RT_UDP, (stun.REQUESTED_ADDRESS_FAMILY, b"\x03\0\0\0")]),
                    440, "Allocate for address family 3")
        expect_code(c4.request(stun.ALLOCATE, [RT_UDP, (stun.EVEN_PORT, b"\x80"),
                                               (stun.RESERVATION_TOKEN, b"12345678")]),
                    400, "Allocate with EVEN-PORT and RESERVATION-TOKEN")
        expect_code(c4.request(stun.ALLOCATE, [RT_UDP, (stun.RESERVATION_TOKEN, b"\x99" * 8)]),
                    508, "Allocate with an unknown RESERVATION-TOKEN")
        expect_success(c4.request(stun.ALLOCATE, [RT_UDP, (stun.DONT_FRAGMENT, b"")]),
                       "Allocate with DONT-FRAGMENT")

        # EVEN-PORT and reservations.
        c5 = client()
        r = expect_success(c5.allocate(extra=[(stun.EVEN_PORT, b"\x80")]), "Allocate with EVEN-PORT R=1")
        port = c5.relayed[1]
        token = r.get(stun.RESERVATION_TOKEN)
        if port % 2 or token is None or len(token) != 8:
            fail("EVEN-PORT R=1: port %d, RESERVATION-TOKEN %r" % (port, token))
        c6 = client()
        expect_success(c6.allocate(extra=[(stun.RESERVATION_TOKEN, token)]), "Allocate redeeming the token")
        if c6.relayed[1] != port + 1:
            fail("the reserved allocation got port %d, expected %d" % (c6.relayed[1], port + 1))
        c7 = client()
        expect_code(c7.request(stun.ALLOCATE, [RT_UDP, (stun.RESERVATION_TOKEN, token)]), 508,
                    "the same token a second time")
        expect_success(c7.allocate(extra=[(stun.EVEN_PORT, b"\0")]), "Allocate with EVEN-PORT R=0")
        if c7.relayed[1] % 2:
            fail("EVEN-PORT R=0 gave odd port %d" % c7.relayed[1])
        note("ok: even ports %d and %d, reserved port %d" % (port, c7.relayed[1], port + 1))

        # Channels.
        for a, b in ((c1, c3), (c1, c5), (c3, c1)):
            expect_success(a.create_permission(b.relayed), "CreatePermission")
        expect_code(c1.channel_bind(0x3FFF, c3.relayed), 400, "ChannelBind 0x3FFF")
        expect_code(c1.channel_bind(0x8000, c3.relayed), 400, "ChannelBind 0x8000")
        expect_success(c1.channel_bind(0x4000, c3.relayed), "ChannelBind 0x4000 -> peer P")
        expect_code(c1.channel_bind(0x4000, c5.relayed), 400, "ChannelBind 0x4000 -> another peer")
        expect_code(c1.channel_bind(0x4001, c3.relayed), 400, "ChannelBind 0x4001 -> P, bound to 0x4000")
        expect_success(c1.channel_bind(0x4000, c3.relayed), "ChannelBind 0x4000 -> P again (refresh)")
        c1.send_channel(0x4000, b"\x80rules-channel")
        got = c3.receive(3.0, kind="data")
        if not got or got[2] != b"\x80rules-channel":
            fail("ChannelData on the refreshed channel: peer got %r" % (got,))
        note("ok: data on the refreshed channel")

        # Deletion.
        expect_success(c1.refresh(0), "Refresh 0")
        expect_code(c1.refresh(600), 437, "Refresh after the allocation was deleted")
        for c in (c1, c2, c3, c4, c5, c6, c7):
            c.close()

        # 508 when relay-ports runs out.
        small = h.start_relay(name="relay-two-ports", tls=False, auth_secret_file=secrets,
                              relay_port_count=2)
        held = [client(relay_=small) for _ in range(3)]
        expect_success(held[0].allocate(), "Allocate 1 of 2 relay ports")
        expect_success(held[1].allocate(), "Allocate 2 of 2 relay ports")
        expect_code(held[2].allocate(), 508, "Allocate with relay-ports exhausted")
        expect_success(held[0].refresh(0), "free one port")
        held[2].close()
        held[2] = client(relay_=small)
        expect_success(held[2].allocate(), "Allocate on the freed port")
        for c in held:
            c.close()

        for r_ in (relay, small):
            if not r_.alive():
                fail("%s died; log tail:\n%s" % (r_.name, r_.log_tail()))
            h.stop(r_)
    note("PASS")


if __name__ == "__main__":
    run(main)
