"""umbra-relay's limits, each against a real relay on loopback:

  * call-quota: a third allocation of one call (any pseudonym) gets 486;
  * max-allocations: one more than the relay holds gets 508, and one is
    granted again once another ends;
  * max-permissions, max-channels: a CreatePermission or ChannelBind that
    would go past them gets 508 and installs nothing; refreshing what is
    there still works;
  * bandwidth-limit: relayed data over the token bucket is dropped, in
    each direction, and counted; the bucket refills;
  * unauth-rate: unauthenticated requests from one source beyond the
    bucket get no answer, and are counted; a client of that source that
    authenticates is still answered, and other sources are not affected;
    with unauth-sources = 64, 203 sources leave 64 in the table (the rest
    evicted, counted) and every new source is answered;
  * the wire limits, over UDP and TCP, at N, N+1 and the largest message
    the transport carries: USERNAME 512 bytes (401) / 513 (400), REALM and
    NONCE 763 (401, 438) / 764 (400), 40 attributes per message (437) / 41
    (400), 16 XOR-PEER-ADDRESS per CreatePermission (success) / 17 (400),
    the largest UDP datagram and TCP frame answered (401), a TCP
    ChannelData of 65535 bytes dropped, and the relay serving afterwards.
Each limit's metric is read from /metrics. Ports 31000-31199."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, relay_metrics, run  # noqa: E402

SECRET = "limits-secret"


def expect_code(resp, code, what):
    ec = resp.error_code() if resp.cls == stun.ERROR else None
    if code is None:
        if resp.cls != stun.SUCCESS:
            fail("%s: expected success, got %s" % (what, resp.describe()))
    elif ec is None or ec[0] != code:
        fail("%s: expected %d, got %s" % (what, code, resp.describe()))


def client(h, relay, call, pseudonym, source=None):
    user, password = h.rest_credentials(SECRET, call=call, pseudonym=pseudonym)
    return stun.TurnClient(relay.host, relay.port, "udp", user, password, source=source)


def metric(mport, name):
    return relay_metrics(mport).get(name, 0)


def test_allocation_limits(h, secrets):
    mport = h.port()
    relay = h.start_relay(name="alloc", tls=False, relay_port_count=10,
                          auth_secret_file=secrets, threads=2, max_allocations=4,
                          call_quota=2, metrics_listen="127.0.0.1:%d" % mport)
    a1, a2, a3 = (client(h, relay, "call-A", p) for p in ("p1", "p2", "p3"))
    b1, b2 = client(h, relay, "call-B", "p1"), client(h, relay, "call-B", "p2")
    c1 = client(h, relay, "call-C", "p1")
    expect_code(a1.allocate(), None, "call-A first allocation")
    expect_code(a2.allocate(), None, "call-A second allocation")
    expect_code(a3.allocate(), 486, "call-A third allocation (call-quota = 2)")
    expect_code(b1.allocate(), None, "call-B first allocation")
    expect_code(b2.allocate(), None, "call-B second allocation (4 live)")
    expect_code(c1.allocate(), 508, "a fifth allocation (max-allocations = 4)")
    m = relay_metrics(mport)
    if m.get('umbra_relay_allocate_refused_total{reason="call_quota"}') != 1:
        fail("call_quota refusals not counted once: %s" % m)
    if m.get('umbra_relay_allocate_refused_total{reason="max_allocations"}') != 1:
        fail("max_allocations refusals not counted once")
    # An allocation that ends gives its place back, to the total and the call.
    expect_code(a1.refresh(0), None, "call-A ends an allocation")
    expect_code(c1.allocate(), None, "call-C after one ended")
    expect_code(a3.allocate(), 508, "call-A again: the relay is full")
    expect_code(b2.refresh(0), None, "call-B ends an allocation")
    expect_code(a3.allocate(), None, "call-A third client once there is room")
    note("ok: call-quota 486 and max-allocations 508, places given back")
    for c in (a1, a2, a3, b1, b2, c1):
        c.close()
    h.stop(relay)


def test_permission_channel_limits(h, secrets):
    mport = h.port()
    relay = h.start_relay(name="perm", tls=False, relay_port_count=10,
                          auth_secret_file=secrets, threads=1,
                          relay_only_peers=False, max_permissions=2, max_channels=2,
                          metrics_listen="127.0.0.1:%d" % mport)
    c = client(h, relay, "call-P", "p1")
    expect_code(c.allocate(), None, "allocation")
    expect_code(c.create_permission(("1.1.1.1", 1)), None, "first permission")
    expect_code(c.create_permission(("1.0.0.1", 1)), None, "second permission")
    expect_code(c.create_permission(("9.9.9.9", 1)), 508, "third permission (max 2)")
    expect_code(c.create_permission(("1.1.1.1", 5), ("1.0.0.1", 7)), None,
                "refreshing both permissions")
    expect_code(c.create_permission(("1.1.1.1", 5), ("9.9.9.9", 1)), 508,
                "a refresh with one new IP over the limit")
    expect_code(c.channel_bind(0x4000, ("1.1.1.1", 1000)), None, "first channel")
    expect_code(c.channel_bind(0x4001, ("1.1.1.1", 1001)), None, "second channel")
    expect_code(c.channel_bind(0x4002, ("1.1.1.1", 1002)), 508, "third channel (max 2)")
    expect_code(c.channel_bind(0x4000, ("1.1.1.1", 1000)), None, "refreshing a channel")
    # A channel with room to spare still needs room for its permission.
    relay_perm = h.start_relay(name="perm2", tls=False, relay_port_count=10,
                               auth_secret_file=secrets, threads=1,
                               relay_only_peers=False, max_permissions=1, max_channels=4)
    d = client(h, relay_perm, "call-Q", "p1")
    expect_code(d.allocate(), None, "allocation (max-permissions = 1)")
    expect_code(d.channel_bind(0x4000, ("1.1.1.1", 1000)), None, "channel with its permission")
    expect_code(d.channel_bind(0x4001, ("9.9.9.9", 1000)), 508, "channel to a second IP")
    # The refused bind installed nothing: the number is still free.
    expect_code(d.channel_bind(0x4001, ("1.1.1.1", 1001)), None, "the number, to the first IP")
    m = relay_metrics(mport)
    perms = m.get('umbra_relay_limit_refused_total{limit="permissions"}', 0)
    chans = m.get('umbra_relay_limit_refused_total{limit="channels"}', 0)
    if perms != 2 or chans != 1:
        fail("limit refusals counted %s permissions, %s channels (expected 2, 1)" % (perms, chans))
    if m.get("umbra_relay_permissions") != 2 or m.get("umbra_relay_channels") != 2:
        fail("gauges show more than the limits: %s permissions, %s channels"
             % (m.get("umbra_relay_permissions"), m.get("umbra_relay_channels")))
    note("ok: max-permissions and max-channels 508, all or nothing, refreshes allowed")
    c.close()
    d.close()
    h.stop(relay_perm)
    h.stop(relay)


def drain_data(c, quiet=0.5):
    n = 0
    while c.receive(timeout=quiet, kind="data") is not None:
        n += 1
    return n


def test_bandwidth(h, secrets):
    mport = h.port()
    rate = 20000
    relay = h.start_relay(name="bw", tls=False, relay_port_count=10,
                          auth_secret_file=secrets, threads=1,
                          relay_only_peers=False, bandwidth_limit=rate, bandwidth_burst=rate,
                          metrics_listen="127.0.0.1:%d" % mport)
    a, b = client(h, relay, "call-W", "a"), client(h, relay, "call-W", "b")
    expect_code(a.allocate(), None, "A allocation")
    expect_code(b.allocate(), None, "B allocation")
    expect_code(a.channel_bind(0x4000, b.relayed), None, "A binds a channel to B")
    expect_code(b.create_permission(a.relayed), None, "B permits A")
    payload = b"\x80" + b"x" * 999
    # Client to peer: 100 kB at once through a 20 kB/s bucket of 20 kB.
    t0 = time.monotonic()
    for _ in range(100):
        a.send_channel(0x4000, payload)
    elapsed = time.monotonic() - t0
    got = drain_data(b)
    m = relay_metrics(mport)
    to_peer = m.get('umbra_relay_dropped_total{reason="bandwidth_to_peer"}', 0)
    to_client = m.get('umbra_relay_dropped_total{reason="bandwidth_to_client"}', 0)
    most = 20 + rate * elapsed / 1000 + 2
    note("client to peer: 100 sent in %.3f s, %d delivered, %d dropped to_peer, %d to_client"
         % (elapsed, got, to_peer, to_client))
    if not 15 <= got <= most:
        fail("%d of 100 kB passed a %d B/s bucket of %d B in %.2f s" % (got, rate, rate, elapsed))
    if got + to_peer + to_client != 100 or to_peer < 50:
        fail("drops not counted: %d delivered, %d + %d dropped" % (got, to_peer, to_client))
    # Peer to client: a plain socket on the permitted IP sends to A's
    # relayed address (relay-only-peers = no lets it in).
    time.sleep(1.2)  # the buckets refill
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    for _ in range(100):
        peer.sendto(payload, a.relayed)
    elapsed = time.monotonic() - t0
    got = drain_data(a)
    m = relay_metrics(mport)
    to_client2 = m.get('umbra_relay_dropped_total{reason="bandwidth_to_client"}', 0) - to_client
    note("peer to client: 100 sent in %.3f s, %d delivered, %d dropped to_client"
         % (elapsed, got, to_client2))
    most = 20 + rate * elapsed / 1000 + 2
    if not 15 <= got <= most or got + to_client2 != 100:
        fail("peer to client: %d delivered, %d dropped of 100" % (got, to_client2))
    # The bucket refills: a second later, a short burst passes whole.
    time.sleep(1.2)
    for _ in range(10):
        a.send_channel(0x4000, payload)
    got = drain_data(b)
    if got != 10:
        fail("after a pause, %d of 10 packets passed" % got)
    note("ok: bandwidth-limit drops and counts both directions, and refills")
    peer.close()
    a.close()
    b.close()
    h.stop(relay)


def unauth_allocate(sock, server):
    msg = stun.Message(stun.ALLOCATE, stun.REQUEST)
    msg.add(stun.REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
    sock.sendto(stun.encode(msg, fingerprint=True), server)
    return msg.tid


def test_unauth_rate(h, secrets):
    mport = h.port()
    rate, burst = 5, 10
    relay = h.start_relay(name="unauth", tls=False, relay_port_count=10,
                          auth_secret_file=secrets, threads=1,
                          unauth_rate=rate, unauth_burst=burst, unauth_sources=64,
                          metrics_listen="127.0.0.1:%d" % mport)
    server = (relay.host, relay.port)
    # A client of 127.0.0.3 authenticates before the flood from its IP.
    good = client(h, relay, "call-U", "good", source="127.0.0.3")
    expect_code(good.allocate(), None, "allocation from 127.0.0.3")
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.bind(("127.0.0.3", 0))
    flood.settimeout(0.3)
    t0 = time.monotonic()
    tids = set(unauth_allocate(flood, server) for _ in range(60))
    answered = 0
    try:
        while True:
            data, _ = flood.recvfrom(65536)
            if stun.decode(data).tid in tids:
                answered += 1
    except socket.timeout:
        pass
    elapsed = time.monotonic() - t0
    # The good client took one token; the rest, plus what refilled.
    most = burst - 1 + rate * elapsed + 1
    limited = metric(mport, "umbra_relay_unauth_rate_limited_total")
    note("60 unauthenticated Allocates from one source: %d answered in %.2f s, %d limited"
         % (answered, elapsed, limited))
    if not burst - 1 <= answered <= most:
        fail("%d answers to 60 unauthenticated requests (burst %d, rate %d/s, %.2f s)"
             % (answered, burst, rate, elapsed))
    if limited != 60 - answered:
        fail("unauth_rate_limited_total %d, expected %d" % (limited, 60 - answered))
    # Authenticated requests from the same source are never limited.
    for i in range(20):
        expect_code(good.create_permission(good.relayed), None,
                    "authenticated request %d from the limited source" % i)
    # Another source has its own bucket.
    other = client(h, relay, "call-U", "other", source="127.0.0.4")
    expect_code(other.allocate(), None, "allocation from 127.0.0.4")
    if metric(mport, "umbra_relay_unauth_rate_limited_total") != limited:
        fail("authenticated or other-source requests were limited")
    if metric(mport, "umbra_relay_unauth_sources") < 2:
        fail("umbra_relay_unauth_sources gauge below 2")
    note("ok: unauth-rate silences one source's unauthenticated requests only")
    # 200 more sources, one request each, into a table of 64: it stays at
    # 64 entries, the oldest make room, and each new source is answered.
    answered = 0
    for i in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.%d.%d" % (1 + i // 250, 1 + i % 250), 0))
        s.settimeout(2.0)
        tid = unauth_allocate(s, server)
        try:
            while stun.decode(s.recvfrom(65536)[0]).tid != tid:
                pass
            answered += 1
        except socket.timeout:
            pass
        s.close()
    m = relay_metrics(mport)
    held = m.get("umbra_relay_unauth_sources")
    evicted = m.get("umbra_relay_unauth_sources_evicted_total")
    # 203 sources in all: 127.0.0.1 (the harness's readiness probe), .3, .4
    # and the 200. The table has 8 sets of 8; each set is all but surely
    # full after 203 sources.
    note("203 sources through a table of 64: %d held, %d evicted, %d of 200 new ones answered"
         % (held, evicted, answered))
    if not 56 <= held <= 64 or held + evicted != 203 or answered != 200:
        fail("unauth-sources = 64: %s held, %s evicted, %d of 200 answered"
             % (held, evicted, answered))
    good.close()
    other.close()
    flood.close()
    h.stop(relay)


OPTIONAL = 0x8050  # comprehension-optional, unknown: parsed and ignored


def signed(c, method, attrs, username=None, realm=None, nonce=None):
    """A request signed with c's key, whatever USERNAME/REALM/NONCE say;
    returns the answer."""
    msg = stun.Message(method, stun.REQUEST)
    for t, v in attrs:
        msg.add(t, v)
    msg.add(stun.USERNAME, username if username is not None else c.username.encode())
    msg.add(stun.REALM, realm if realm is not None else c.realm)
    msg.add(stun.NONCE, nonce if nonce is not None else c.nonce)
    return c.exchange(msg, key=c.key, fingerprint=True)


def test_wire_limits(h, secrets):
    relay = h.start_relay(name="wire", tls=False, relay_port_count=10, auth_secret_file=secrets)
    for transport in ("udp", "tcp"):
        T = transport.upper()
        user_a, pw_a = h.rest_credentials(SECRET, call="call-W-" + transport, pseudonym="a")
        user_b, pw_b = h.rest_credentials(SECRET, call="call-W-" + transport, pseudonym="b")
        a = stun.TurnClient(relay.host, relay.port, transport, user_a, pw_a)
        b = stun.TurnClient(relay.host, relay.port, transport, user_b, pw_b)
        expect_code(a.allocate(), None, "%s: Allocate a" % T)
        expect_code(b.allocate(), None, "%s: Allocate b" % T)

        # Text attributes: N parses (and fails later as it should), N+1 is 400.
        for what, kw, n, ok_code in (("USERNAME", "username", 512, 401),
                                     ("REALM", "realm", 763, 401),
                                     ("NONCE", "nonce", 763, 438)):
            expect_code(signed(a, stun.REFRESH, [], **{kw: b"x" * n}), ok_code,
                        "%s: %s of %d bytes" % (T, what, n))
            expect_code(signed(a, stun.REFRESH, [], **{kw: b"x" * (n + 1)}), 400,
                        "%s: %s of %d bytes" % (T, what, n + 1))

        # Attributes per message (STUN_MAX_ATTRS = 40): with USERNAME, REALM,
        # NONCE, MESSAGE-INTEGRITY, FINGERPRINT and LIFETIME, 34 more.
        life = (stun.LIFETIME, b"\0\0\x02\x58")
        pad = [(OPTIONAL, b"")] * 34
        expect_code(signed(a, stun.REFRESH, [life] + pad), None, "%s: 40 attributes" % T)
        expect_code(signed(a, stun.REFRESH, [life] + pad + [(OPTIONAL, b"")]), 400,
                    "%s: 41 attributes" % T)

        # XOR-PEER-ADDRESS per CreatePermission: 16, then 17.
        peer = b.relayed

        def perm_request(n):
            msg = stun.Message(stun.CREATE_PERMISSION, stun.REQUEST)
            for _ in range(n):
                msg.add(stun.XOR_PEER_ADDRESS, stun.xor_address(peer[0], peer[1], msg.tid))
            msg.add(stun.USERNAME, a.username.encode())
            msg.add(stun.REALM, a.realm)
            msg.add(stun.NONCE, a.nonce)
            return a.exchange(msg, key=a.key, fingerprint=True)
        expect_code(perm_request(16), None, "%s: 16 peers in one CreatePermission" % T)
        expect_code(perm_request(17), 400, "%s: 17 peers in one CreatePermission" % T)

        # The largest message each transport carries: a UDP datagram of
        # 65504 bytes (the IPv4 maximum 65507, to 4 bytes), a TCP frame of
        # 20 + 65532. Unauthenticated, it gets the 401 challenge.
        body = 65504 - 20 if transport == "udp" else 65532
        fresh = stun.TurnClient(relay.host, relay.port, transport, user_a, pw_a)
        msg = stun.Message(stun.ALLOCATE, stun.REQUEST)
        msg.add(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")
        msg.add(OPTIONAL, b"\xab" * (body - 8 - 4))
        raw = stun.encode(msg)
        if len(raw) != 20 + body:
            fail("%s: built %d bytes, meant %d" % (T, len(raw), 20 + body))
        expect_code(fresh.exchange(msg), 401, "%s: largest message (%d bytes)" % (T, len(raw)))
        if transport == "tcp":
            # The largest ChannelData frame, on a channel nobody bound: dropped,
            # and the stream still in step for the next request.
            fresh.send_raw(stun.channel_data(0x4001, b"\0" * 65535, tcp=True))
        expect_code(fresh.allocate(), None, "%s: Allocate after the largest frames" % T)
        fresh.refresh(0)
        fresh.close()
        note("ok: %s wire limits at N, N+1 and the largest message" % T)
        for c in (a, b):
            c.refresh(0)
            c.close()
    h.stop(relay)


def main():
    with Harness("relay_limits", port_base=31000, port_count=200) as h:
        secrets = h.write_secrets([SECRET])
        test_allocation_limits(h, secrets)
        test_permission_channel_limits(h, secrets)
        test_bandwidth(h, secrets)
        test_unauth_rate(h, secrets)
        test_wire_limits(h, secrets)
    note("PASS")


run(main)
