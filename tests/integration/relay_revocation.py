"""Call revocation through a real redis-server, and the relay's metrics.

umbra-relay subscribes to "umbra:revoke"; a message is a call id (the field
after the first ':' of a REST username). Checked here:
  * a PUBLISH ends every allocation of that call at once, over UDP and TCP:
    data toward them is no longer relayed, a permission toward their
    relayed addresses gets 403, their Refresh fails; fresh credentials of
    the revoked call get 401; another call's allocation is untouched
  * redis-server stopped and started again on the same port: the relay
    subscribes again by itself and the next revocation works
  * user-quota = 2: a third live allocation of one username gets 486
  * GET /metrics (Prometheus text) counts the revoked allocations, the
    revoked-credential refusals and relayed packets, and holds no address,
    username, call id or password
"""

import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, find_addresses, note, redis_command, run  # noqa: E402

SECRET = "revocation-rest-secret-8d3b"
CHANNEL = "umbra:revoke"


def expect_success(resp, what):
    if resp.cls != stun.SUCCESS:
        fail("%s: expected success, got %s" % (what, resp.describe()))
    note("ok: %s -> success" % what)


def wait_subscribed(redis, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            n = redis_command(redis.host, redis.port, "PUBSUB", "NUMSUB", CHANNEL)[1]
        except OSError:
            n = 0
        if n >= 1:
            note("ok: relay subscribed to %s %s" % (CHANNEL, what))
            return
        time.sleep(0.1)
    fail("the relay did not subscribe to %s within %.0f s %s" % (CHANNEL, timeout, what))


def relays(sender, receiver, payload, wait=1.5):
    sender.send_indication(receiver.relayed, payload)
    got = receiver.receive(wait, kind="data")
    return got is not None and got[2] == payload


def ended(client, other, label):
    """Checks that client's allocation is gone, seen from other."""
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        r = client.refresh(600)
        if r.cls == stun.ERROR:
            break
        time.sleep(0.1)
    else:
        fail("%s: Refresh still succeeds 3 s after the revocation" % label)
    note("ok: %s: Refresh after revocation -> %d" % (label, r.error_code()[0]))
    if relays(other, client, b"\x80after-revocation-" + label.encode()):
        fail("%s: data still relayed to a revoked allocation" % label)
    r = other.create_permission(client.relayed)
    ec = r.error_code() if r.cls == stun.ERROR else None
    if not ec or ec[0] != 403:
        fail("%s: permission toward a revoked allocation's relayed address: %s" % (label, r.describe()))
    note("ok: %s: nothing relayed, permission toward it -> 403" % label)


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as resp:
        return resp.read().decode()


def metric(text, name):
    m = re.search(r"^%s (\d+)" % re.escape(name), text, re.M)
    if not m:
        fail("metric %s missing from /metrics:\n%s" % (name, text[:2000]))
    return int(m.group(1))


def main():
    with Harness("relay_revocation", port_base=21600, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        redis = h.start_redis()
        mport = h.port()
        relay = h.start_relay(auth_secret_file=secrets, tls=False, user_quota=2,
                              redis="127.0.0.1:%d" % redis.port,
                              metrics_listen="127.0.0.1:%d" % mport)
        wait_subscribed(redis, "at start")

        def new_client(call, name, transport="udp"):
            u, p = h.rest_credentials(SECRET, call=call, pseudonym=name)
            c = stun.TurnClient(relay.host, relay.port, transport, u, p)
            expect_success(c.allocate(), "Allocate %s (call %s, %s)" % (name, call, transport.upper()))
            return c

        x = new_client("rev-call-1", "x")
        z = new_client("rev-call-1", "z", "tcp")
        y = new_client("rev-call-2", "y")
        for a, b in ((x, y), (y, x), (z, y), (y, z)):
            expect_success(a.create_permission(b.relayed), "CreatePermission")
        for a, b, what in ((y, x, "y -> x"), (y, z, "y -> z (TCP)"), (x, y, "x -> y")):
            if not relays(a, b, b"\x80before-" + what.encode()):
                fail("%s: data not relayed before any revocation" % what)
        note("ok: data relayed between the calls' allocations")

        n = redis_command(redis.host, redis.port, "PUBLISH", CHANNEL, "rev-call-1")
        note("PUBLISH %s rev-call-1 -> %s receiver(s)" % (CHANNEL, n))
        ended(x, y, "x (UDP)")
        ended(z, y, "z (TCP)")
        expect_success(y.refresh(600), "Refresh of call rev-call-2, not revoked")
        u, p = h.rest_credentials(SECRET, call="rev-call-1", pseudonym="late")
        with stun.TurnClient(relay.host, relay.port, "udp", u, p) as late:
            r = late.allocate()
            ec = r.error_code() if r.cls == stun.ERROR else None
            if not ec or ec[0] != 401:
                fail("Allocate with fresh credentials of a revoked call: expected 401, got %s" % r.describe())
            note("ok: fresh credentials of the revoked call -> 401")

        # Quota: a username may hold user-quota = 2 live allocations.
        qu, qp = h.rest_credentials(SECRET, call="quota-call", pseudonym="q")
        quota_clients = [stun.TurnClient(relay.host, relay.port, "udp", qu, qp) for _ in range(3)]
        for i, c in enumerate(quota_clients[:2]):
            expect_success(c.allocate(), "Allocate %d of 2 for one username" % (i + 1))
        r = quota_clients[2].allocate()
        ec = r.error_code() if r.cls == stun.ERROR else None
        if not ec or ec[0] != 486:
            fail("third allocation with user-quota = 2: expected 486, got %s" % r.describe())
        note("ok: third allocation for one username -> 486")
        for c in quota_clients:
            c.close()

        # Redis goes away and comes back on the same port.
        h.stop(redis)
        time.sleep(1.0)
        if not relay.alive():
            fail("umbra-relay died when Redis went away; log tail:\n%s" % relay.log_tail())
        redis = h.start_redis(port=redis.port, name="redis-again")
        wait_subscribed(redis, "after Redis restarted")
        w = new_client("rev-call-3", "w")
        expect_success(w.create_permission(y.relayed), "CreatePermission w -> y")
        redis_command(redis.host, redis.port, "PUBLISH", CHANNEL, "rev-call-2")
        ended(y, w, "y after Redis restart")

        text = metrics(mport)
        revoked = metric(text, "umbra_relay_revoked_allocations_total")
        refused = metric(text, 'umbra_relay_auth_failures_total{kind="revoked"}')
        relayed = metric(text, 'umbra_relay_packets_relayed_total{direction="to_peer"}')
        note("metrics: revoked allocations %d, revoked credentials refused %d, packets to peers %d"
             % (revoked, refused, relayed))
        if revoked < 3:
            fail("umbra_relay_revoked_allocations_total = %d, expected >= 3 (x, z, y)" % revoked)
        if refused < 1:
            fail('auth_failures_total{kind="revoked"} = %d after a revoked call tried again' % refused)
        if relayed < 3:
            fail("packets_relayed_total to_peer = %d, expected >= 3" % relayed)
        leaks = [a for _, a in find_addresses(text)]
        sensitive = [v for v in open(h.sensitive_path).read().split() if v in text]
        sensitive += [c for c in ("rev-call-1", "rev-call-2", "rev-call-3", "quota-call") if c in text]
        if leaks or sensitive:
            fail("/metrics identifies users: addresses %s, credentials/call ids %s"
                 % (leaks[:5], [v[:8] for v in sensitive[:5]]))
        note("ok: /metrics holds counts only")

        for c in (x, y, z, w):
            c.close()
        h.stop(relay)
        h.stop(redis)
    note("PASS")


if __name__ == "__main__":
    run(main)
