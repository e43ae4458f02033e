"""Authentication and address suppression of umbra-relay, spoken to by an
independent STUN client (tests/lib/umbra_stun.py).

  wrong REST password -> 401          expired REST username -> 401
  stale nonce -> 438 with a fresh NONCE, which then works
  wrong static user password -> 401   right static user -> success
  right REST credentials over UDP, TCP and TLS -> Allocate success with
    XOR-RELAYED-ADDRESS in the relay-ports range, XOR-MAPPED-ADDRESS equal to
    the client's address, a MESSAGE-INTEGRITY valid for the client's key
  no response ever carries SOFTWARE
  Binding refused with stun-binding off (the default), answered when on
  mapped-address = omit: Allocate success without XOR-MAPPED-ADDRESS
  strict-expiry = yes: LIFETIME capped by the credential's expiry and
    nothing relayed after it; off (default): relaying goes on
  auth-secret-file with two secrets accepts both; after SIGHUP a secret
    removed from the file gets 401 and a new one works
"""

import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, run  # noqa: E402

SECRET = "auth-rest-secret-93f1"
OLD_SECRET = "auth-rest-secret-rotated-out-7c2"
NEW_SECRET = "auth-rest-secret-rotated-in-e5b"
NONCE_LIFETIME = 2
STATIC_USER, STATIC_PASSWORD = "static-user", "static-pass-5d1e"

seen = []  # every response received, for the SOFTWARE check


def track(client):
    orig = client.exchange

    def exchange(msg, **kw):
        resp = orig(msg, **kw)
        seen.append(resp)
        return resp

    client.exchange = exchange
    return client


def expect_error(resp, code, what):
    ec = resp.error_code() if resp.cls == stun.ERROR else None
    if ec is None or ec[0] != code:
        fail("%s: expected error %d, got %s" % (what, code, resp.describe()))
    note("ok: %s -> %d %s" % (what, ec[0], ec[1]))


def expect_success(resp, what):
    if resp.cls != stun.SUCCESS:
        fail("%s: expected success, got %s" % (what, resp.describe()))
    note("ok: %s -> success" % what)


def check_allocation(client, resp, relay, what, mapped=True):
    expect_success(resp, what)
    relayed = resp.address(stun.XOR_RELAYED_ADDRESS)
    low, high = relay.relay_ports
    if relayed is None:
        fail("%s: success without XOR-RELAYED-ADDRESS: %s" % (what, resp.describe()))
    if relayed[0] != "127.0.0.1" or not low <= relayed[1] <= high:
        fail("%s: relayed address %s:%d outside relay-address 127.0.0.1 ports %d-%d"
             % (what, relayed[0], relayed[1], low, high))
    got = resp.address(stun.XOR_MAPPED_ADDRESS)
    if mapped:
        if got is None:
            fail("%s: no XOR-MAPPED-ADDRESS with mapped-address=real: %s" % (what, resp.describe()))
        if tuple(got) != tuple(client.local):
            fail("%s: XOR-MAPPED-ADDRESS %s:%d is not the client's %s:%d"
                 % (what, got[0], got[1], client.local[0], client.local[1]))
    elif got is not None or resp.has(stun.MAPPED_ADDRESS):
        fail("%s: mapped-address=omit but the success carries a mapped address: %s"
             % (what, resp.describe()))
    if not stun.check_integrity(resp, client.key):
        fail("%s: success response lacks a MESSAGE-INTEGRITY valid for the client's key" % what)
    if resp.get(stun.LIFETIME) is None:
        fail("%s: success without LIFETIME" % what)


def client(relay, user, password, transport="udp"):
    port = relay.tls_port if transport == "tls" else relay.port
    return track(stun.TurnClient(relay.host, port, transport, user, password, timeout=5.0))


def test_credentials(h, relay):
    # The first unauthenticated Allocate is a 401 challenge with REALM and NONCE.
    user, password = h.rest_credentials(SECRET, ttl=600, call="auth-call", pseudonym="alice")
    with client(relay, user, password) as c:
        msg = stun.Message(stun.ALLOCATE, stun.REQUEST)
        msg.add(stun.REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
        resp = c.exchange(msg, fingerprint=True)
        expect_error(resp, 401, "Allocate without credentials")
        if resp.get(stun.REALM) != b"umbra.test" or not resp.get(stun.NONCE):
            fail("401 challenge lacks REALM umbra.test or NONCE: %s" % resp.describe())

    with client(relay, user, password + "x") as c:
        expect_error(c.allocate(), 401, "Allocate with a wrong REST password")

    _, good_password_for_other = h.rest_credentials(SECRET, ttl=600, call="auth-call", pseudonym="bob")
    with client(relay, user, good_password_for_other) as c:
        expect_error(c.allocate(), 401, "Allocate with another username's REST password")

    old_user, old_password = h.rest_credentials(OLD_SECRET, ttl=600, call="auth-call", pseudonym="carol")
    with client(relay, old_user, old_password) as c:
        expect_error(c.allocate(), 401, "Allocate with a password from a secret not in the file")

    exp_user, exp_password = h.rest_credentials(SECRET, ttl=-30, call="auth-call", pseudonym="dave")
    with client(relay, exp_user, exp_password) as c:
        expect_error(c.allocate(), 401, "Allocate with a REST username expired 30 s ago")

    for transport in ("udp", "tcp", "tls"):
        u, p = h.rest_credentials(SECRET, ttl=600, call="auth-call-" + transport, pseudonym="erin")
        with client(relay, u, p, transport) as c:
            check_allocation(c, c.allocate(), relay, "Allocate with REST credentials over " + transport.upper())
            expect_success(c.refresh(0), "Refresh lifetime 0 over " + transport.upper())


def test_static_user(relay):
    with client(relay, STATIC_USER, STATIC_PASSWORD + "x") as c:
        expect_error(c.allocate(), 401, "Allocate with a wrong static-user password")
    with client(relay, STATIC_USER, STATIC_PASSWORD) as c:
        check_allocation(c, c.allocate(), relay, "Allocate as static user")


def test_stale_nonce(h, relay):
    user, password = h.rest_credentials(SECRET, ttl=600, call="nonce-call", pseudonym="frank")
    with client(relay, user, password) as c:
        check_allocation(c, c.allocate(), relay, "Allocate before the nonce goes stale")
        old_nonce = c.nonce
        time.sleep(NONCE_LIFETIME + 1.5)
        msg = stun.Message(stun.REFRESH, stun.REQUEST)
        msg.add(stun.LIFETIME, struct.pack("!I", 600))
        msg.add(stun.USERNAME, user.encode())
        msg.add(stun.REALM, c.realm)
        msg.add(stun.NONCE, old_nonce)
        resp = c.exchange(msg, key=c.key, fingerprint=True)
        expect_error(resp, 438, "Refresh with a nonce older than nonce-lifetime (%d s)" % NONCE_LIFETIME)
        fresh = resp.get(stun.NONCE)
        if not fresh or fresh == old_nonce:
            fail("438 response must carry a new NONCE; got %r (old %r)" % (fresh, old_nonce))
        c.nonce = fresh
        expect_success(c.refresh(600), "Refresh with the fresh nonce from the 438")


def binding(relay, timeout):
    """A plain Binding request over UDP. Returns (response or None, local addr)."""
    with track(stun.TurnClient(relay.host, relay.port, "udp", timeout=timeout)) as c:
        try:
            return c.exchange(stun.Message(stun.BINDING, stun.REQUEST), fingerprint=True), c.local
        except socket.timeout:
            return None, c.local


def test_binding_off(relay):
    resp, _ = binding(relay, 1.5)
    if resp is None:
        note("ok: Binding with stun-binding off -> dropped")
        return
    if resp.cls == stun.SUCCESS or resp.has(stun.XOR_MAPPED_ADDRESS) or resp.has(stun.MAPPED_ADDRESS):
        fail("Binding with stun-binding off (default) was answered: %s" % resp.describe())
    note("ok: Binding with stun-binding off -> refused (%s)" % resp.describe())


def test_binding_on_and_omit(h, relay2):
    resp, local = binding(relay2, 5.0)
    if resp is None:
        fail("Binding with stun-binding=yes: no response")
    expect_success(resp, "Binding with stun-binding=yes")
    got = resp.address(stun.XOR_MAPPED_ADDRESS)
    if got is None or tuple(got) != tuple(local):
        fail("Binding success: XOR-MAPPED-ADDRESS %s, expected %s" % (got, local))
    user, password = h.rest_credentials(SECRET, ttl=600, call="omit-call", pseudonym="grace")
    with client(relay2, user, password) as c:
        check_allocation(c, c.allocate(), relay2, "Allocate with mapped-address=omit", mapped=False)


def allocate_with(h, relay, secret, name):
    """Allocate (and free) with REST credentials from secret; the response."""
    user, password = h.rest_credentials(secret, ttl=600, call="rotation-call", pseudonym=name)
    with client(relay, user, password) as c:
        resp = c.allocate()
        if resp.cls == stun.SUCCESS:
            c.refresh(0)
        return resp


def wait_for(h, relay, secret, want_success, what):
    deadline = time.monotonic() + 5.0
    while True:
        resp = allocate_with(h, relay, secret, "rot")
        if (resp.cls == stun.SUCCESS) == want_success:
            note("ok: %s -> %s" % (what, "success" if want_success else "%d" % resp.error_code()[0]))
            return
        if time.monotonic() > deadline:
            fail("%s: still %s 5 s after SIGHUP" % (what, resp.describe()))
        time.sleep(0.2)


def test_rotation(h, relay, secrets_path):
    """Several secrets at once, and SIGHUP re-reads the file."""
    expect_error(allocate_with(h, relay, NEW_SECRET, "new"), 401,
                 "Allocate with a secret not yet in the file")
    with open(secrets_path, "w") as f:
        f.write("%s\n%s\n" % (SECRET, NEW_SECRET))
    relay.proc.send_signal(signal.SIGHUP)
    wait_for(h, relay, NEW_SECRET, True, "after SIGHUP with both secrets, Allocate with the new one")
    expect_success(allocate_with(h, relay, SECRET, "old"), "and with the old one (rotation overlap)")
    with open(secrets_path, "w") as f:
        f.write("%s\n" % NEW_SECRET)
    relay.proc.send_signal(signal.SIGHUP)
    wait_for(h, relay, SECRET, False, "after SIGHUP without the old secret, Allocate with it")
    expect_success(allocate_with(h, relay, NEW_SECRET, "new2"), "Allocate with the new secret")


def test_strict_expiry(h, relay, relay_strict):
    """strict-expiry ends an allocation when its REST credential expires;
    without it (the default) the allocation lives its LIFETIME."""
    pairs = []
    for r in (relay, relay_strict):
        ux, px = h.rest_credentials(SECRET, ttl=3, call="expiry-call", pseudonym="short")
        uy, py = h.rest_credentials(SECRET, ttl=600, call="expiry-call", pseudonym="long")
        x, y = client(r, ux, px), client(r, uy, py)
        rx = x.allocate()
        expect_success(rx, "%s: Allocate with a credential valid for 3 s" % r.name)
        expect_success(y.allocate(), "%s: Allocate with a credential valid for 600 s" % r.name)
        lifetime = struct.unpack("!I", rx.get(stun.LIFETIME))[0]
        if r is relay_strict and lifetime > 3:
            fail("strict-expiry: LIFETIME %d exceeds the credential's 3 s" % lifetime)
        if r is relay and lifetime < 600:
            fail("strict-expiry off: LIFETIME %d, expected the 600 s default" % lifetime)
        expect_success(x.create_permission(y.relayed), "%s: permission short -> long" % r.name)
        expect_success(y.create_permission(x.relayed), "%s: permission long -> short" % r.name)
        y.send_indication(x.relayed, b"\x80before-expiry")
        got = x.receive(2.0, kind="data")
        if not got or got[2] != b"\x80before-expiry":
            fail("%s: data to the short-lived allocation before expiry: got %r" % (r.name, got))
        pairs.append((r, x, y))
    time.sleep(4.5)
    for r, x, y in pairs:
        y.send_indication(x.relayed, b"\x80after-expiry")
        got = x.receive(1.0, kind="data")
        if r is relay_strict:
            if got is not None:
                fail("strict-expiry: data still relayed to an allocation whose credential expired: %r" % (got,))
            expect_error(y.create_permission(x.relayed), 403,
                         "strict-expiry: permission toward the expired allocation's relayed address")
            note("ok: strict-expiry: nothing relayed after the credential expired")
        else:
            if not got or got[2] != b"\x80after-expiry":
                fail("strict-expiry off: allocation stopped relaying when its credential expired: %r"
                     % (got,))
            note("ok: strict-expiry off: allocation relays past its credential's expiry")
        x.close()
        y.close()


def test_no_software():
    bad = [r for r in seen if r.has(stun.SOFTWARE)]
    if bad:
        fail("%d of %d responses carry SOFTWARE, e.g. %s = %r"
             % (len(bad), len(seen), bad[0].describe(), bad[0].get(stun.SOFTWARE)))
    if len(seen) < 10:
        fail("only %d responses seen; the SOFTWARE check saw too little" % len(seen))
    note("ok: none of %d responses carries SOFTWARE" % len(seen))


def main():
    with Harness("relay_auth", port_base=21200, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        h.record_sensitive(OLD_SECRET, NEW_SECRET, STATIC_PASSWORD)
        relay = h.start_relay(auth_secret_file=secrets,
                              user="%s:%s" % (STATIC_USER, STATIC_PASSWORD),
                              nonce_lifetime=NONCE_LIFETIME)
        relay2 = h.start_relay(name="relay-binding-omit", tls=False, auth_secret_file=secrets,
                               stun_binding=True, mapped_address="omit", strict_expiry=True)
        test_credentials(h, relay)
        test_static_user(relay)
        test_binding_off(relay)
        test_binding_on_and_omit(h, relay2)
        test_stale_nonce(h, relay)
        test_strict_expiry(h, relay, relay2)
        test_rotation(h, relay, secrets)
        test_no_software()
        for r in (relay, relay2):
            if not r.alive():
                fail("%s died; log tail:\n%s" % (r.name, r.log_tail()))
            h.stop(r)
    note("PASS")


if __name__ == "__main__":
    run(main)
