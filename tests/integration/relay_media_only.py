"""The media-only rule of umbra-relay (RFC 7983 demultiplexing), from outside.

Two allocations of one credential relay to each other, over UDP and over
TCP, in both directions, via ChannelData and via Send indications:
  - payloads whose first byte is STUN (0x00, 0x03), ZRTP (0x10, 0x13), DTLS
    (0x14, 0x16, 0x3f) or SRTP/SRTCP (0x80, 0xbf) arrive unchanged;
  - payloads starting 0x04, 0x0f, 0x40 and 0x4f (ChannelData inside a
    payload), 0x45 (an IPv4 header), 0x50, 0x7f, 0xc0 and 0xff, and the
    empty payload (ChannelData), never arrive, and each one is counted in
    umbra_relay_dropped_total{reason="not_media_to_peer"} on metrics-listen;
    a media marker sent after them is the next thing the peer receives.
With media-only = no on a second relay the same non-media payloads arrive
and nothing is counted.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, relay_metrics, run  # noqa: E402

SECRET = "media-only-rest-secret-5c1e"
DROPPED = 'umbra_relay_dropped_total{reason="not_media_to_peer"}'
CHANNEL = 0x4000
MEDIA = [0x00, 0x03, 0x10, 0x13, 0x14, 0x16, 0x3F, 0x80, 0xBF]
NOT_MEDIA = [0x04, 0x0F, 0x40, 0x45, 0x4F, 0x50, 0x7F, 0xC0, 0xFF]


def payload(first, tag):
    return bytes([first]) + b"-media-only-" + tag.encode()


def expect_success(resp, what):
    if resp.cls != stun.SUCCESS:
        fail("%s: expected success, got %s" % (what, resp.describe()))


def pair(h, relay, transport):
    """Two allocations of one REST credential, each with a permission and a
    channel toward the other."""
    u, p = h.rest_credentials(SECRET, call="media-call", pseudonym="media-party")
    a = stun.TurnClient(relay.host, relay.port, transport, u, p)
    b = stun.TurnClient(relay.host, relay.port, transport, u, p)
    for x, y in ((a, b), (b, a)):
        expect_success(x.allocate(), "%s Allocate" % transport)
    for x, y in ((a, b), (b, a)):
        expect_success(x.create_permission(y.relayed), "%s CreatePermission" % transport)
        expect_success(x.channel_bind(CHANNEL, y.relayed), "%s ChannelBind" % transport)
    return a, b


def send(src, dst, how, data):
    if how == "channel":
        src.send_channel(CHANNEL, data)
    else:
        src.send_indication(dst.relayed, data)


def received(dst, timeout=3.0):
    """The next relayed payload dst's client gets (ChannelData or Data
    indication), or None."""
    while True:
        got = dst.receive(timeout)
        if got is None:
            return None
        if got[0] in ("channel", "data"):
            return got[2]


def dropped(relay):
    return relay_metrics(relay.metrics_port).get(DROPPED)


def check_path(relay, src, dst, label, enforced):
    """Every first byte of MEDIA arrives; those of NOT_MEDIA are dropped and
    counted when enforced, arrive when not."""
    for how in ("channel", "send"):
        what = "%s, %s" % (label, how)
        for first in MEDIA:
            data = payload(first, what)
            send(src, dst, how, data)
            got = received(dst)
            if got != data:
                fail("%s: media payload 0x%02x: peer got %r" % (what, first, got))
        before = dropped(relay)
        bad = [payload(first, what) for first in NOT_MEDIA]
        if how == "channel":
            bad.append(b"")
        for data in bad:
            send(src, dst, how, data)
        marker = payload(0x80, what + " marker")
        send(src, dst, how, marker)
        if enforced:
            got = received(dst)
            if got != marker:
                fail("%s: after %d non-media payloads the peer got %r, not the marker"
                     % (what, len(bad), got))
            after = dropped(relay)
            if after - before != len(bad):
                fail("%s: %s went %s -> %s for %d non-media payloads"
                     % (what, DROPPED, before, after, len(bad)))
            note("ok: %s: %d media payloads relayed, %d others dropped and counted"
                 % (what, len(MEDIA), len(bad)))
        else:
            for data in bad + [marker]:
                got = received(dst)
                if got != data:
                    fail("%s, media-only = no: sent %r, peer got %r" % (what, data, got))
            if dropped(relay) != before:
                fail("%s, media-only = no: %s moved" % (what, DROPPED))
            note("ok: %s: media-only = no relays all %d payloads" % (what, len(bad) + 1))


def main():
    with Harness("relay_media_only", port_base=39200, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        for name, enforced, extra in (("relay", True, {}),
                                      ("relay-open", False, {"media_only": False})):
            mport = h.port()
            # 4 allocations a relay: 10 relayed ports leave the block room
            # for a relay restarted elsewhere (a shared port under valgrind).
            relay = h.start_relay(name=name, tls=False, auth_secret_file=secrets,
                                  relay_port_count=10, metrics_listen="127.0.0.1:%d" % mport,
                                  **extra)
            relay.metrics_port = mport
            if dropped(relay) != 0:
                fail("%s: %s is not 0 at start" % (name, DROPPED))
            for transport in ("udp", "tcp"):
                a, b = pair(h, relay, transport)
                check_path(relay, a, b, "%s %s A->B" % (name, transport), enforced)
                check_path(relay, b, a, "%s %s B->A" % (name, transport), enforced)
                a.close()
                b.close()
            if not relay.alive():
                fail("%s died; log tail:\n%s" % (name, relay.log_tail()))
            h.stop(relay)
    note("PASS")


if __name__ == "__main__":
    run(main)
