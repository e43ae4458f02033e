"""A relay fleet with Redis as the one shared store, all real processes on
loopback: one redis-server, three umbra-relays (operators op-a, op-b,
op-a) on 127.0.0.2, 127.0.0.3 and 127.0.0.4, two umbra-brokers sharing
their keys.

(a) each relay's entry appears in Redis with a TTL, with its operator and
    relayed range; (b) a call whose parties land on relays of different
    operators relays 500 ChannelData datagrams each way relay to relay with
    no loss, while a peer that is no fleet relayed address still gets 403;
    (c) split_relays gives the parties different operators, and by default
    a loaded relay is avoided; (d) one call's requests spread over two
    brokers; (f) DELETE on broker 2 revokes the allocations on every relay
    that holds them; (e) a relay killed with SIGKILL drops out of the fleet
    within its TTL and new calls avoid it; with one operator left a
    split_relays call fails closed (503); a relay stopped cleanly deletes
    its entry at once; (g) records written straight into Redis are refused
    unless sealed with the fleet key of the REST secret and inside
    fleet-networks (127.0.0.0/8 here, listed explicitly): an unsealed one,
    a wrong MAC, and a valid MAC with a range outside the networks never
    open a permission (403), are logged and counted once (not every
    refresh), while a correctly sealed record in the networks does.

Ports: from 34000-34299.
"""
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))

from broker_harness import Broker  # noqa: E402
from umbra_harness import (Harness, expect, fail, find_addresses, find_sensitive,  # noqa: E402
                           note, redis_command, relay_metrics, run)
import umbra_stun as stun  # noqa: E402

TTL = 3      # fleet-ttl of the relays, seconds
REFRESH = 1  # fleet-refresh
SPLIT = {"set": {"split_relays": True}}


SEAL = "umbra-fleet-1:"
SEAL_HEAD = len(SEAL) + 64 + 1


def seal(secret, rid, record):
    """A fleet record sealed as a relay holding secret seals it
    (common/fleet_mac.h): HMAC-SHA512-256 under BLAKE2b-256 of the context
    string (with its NUL) and the secret, over the relay id, a NUL and the
    JSON."""
    secret = secret if isinstance(secret, bytes) else secret.encode()
    key = hashlib.blake2b(b"umbra fleet record key v1\0" + secret, digest_size=32).digest()
    text = json.dumps(record, separators=(",", ":"))
    mac = hmac.new(key, rid.encode() + b"\0" + text.encode(), hashlib.sha512).digest()[:32]
    return SEAL + mac.hex() + ":" + text


def entry(redis, rid):
    text = redis_command("127.0.0.1", redis.port, "GET", "umbra:fleet:relay:" + rid)
    if not text:
        return None
    expect(text.startswith(SEAL), "%s: the entry is sealed" % rid)
    return json.loads(text[SEAL_HEAD:])


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    fail("timed out: " + what)


def relay_of(relays, ice):
    """The relay whose listen address is in the party's TURN URIs."""
    urls = ice["ice_servers"][0]["urls"]
    for r in relays.values():
        if "turn:%s:%d?transport=udp" % (r.host, r.port) in urls:
            return r
    fail("the URIs %s name no relay of the fleet" % urls)


def allocate(relay, ice):
    c = stun.TurnClient(relay.host, relay.port, "udp",
                        username=ice["ice_servers"][0]["username"],
                        password=ice["ice_servers"][0]["credential"])
    r = c.allocate()
    expect(r.cls == stun.SUCCESS, "%s: Allocate with the broker's credentials (%s)"
           % (relay.name, stun.describe_response(r)))
    return c


def pump(src, dst, channel, n, tag):
    """n ChannelData datagrams src -> dst in bursts; returns how many
    arrived, each checked by its payload."""
    got = set()
    for start in range(0, n, 50):
        for i in range(start, min(n, start + 50)):
            src.send_channel(channel, b"%s-%05d" % (tag, i))
        while True:
            item = dst.receive(timeout=0.5, kind="channel")
            if item is None:
                break
            payload = item[2]
            if payload.startswith(tag + b"-"):
                got.add(int(payload.split(b"-")[1]))
            if len(got) == min(n, start + 50):
                break
    return len(got)


def make_call(b1, b2, callee_tok, callee_pn, prefs=None, accept_on=None):
    body = {"preferences": prefs} if prefs else {}
    r = b1.create_call(callee_pn, **body)
    if r.status != 201:
        return r, None
    call = r.json
    b1.remember(call["caller_secret"], call["ice_servers"][0]["credential"])
    acc = None
    if accept_on is not None:
        acc = accept_on.request("POST", "/v1/calls/%s/accept" % call["call_id"], {},
                                bearer=callee_tok)
        expect(acc.status == 200, "accept on %s: %d" % (accept_on.name, acc.status))
        acc = acc.json
        b1.remember(acc["callee_secret"], acc["ice_servers"][0]["credential"])
    return call, acc


def forged_records(h, redis, b1, r1, mport):
    """(g) Forged fleet records in Redis: refused, logged, counted; the
    relay never opens toward them. A correctly sealed record in the
    networks, written the same way, is taken (the forging is right)."""
    now = int(time.time())

    def record(rid, ranges):
        return {"id": rid, "operator": "op-x", "uris": ["turn:127.0.0.9:3478?transport=udp"],
                "ranges": ranges, "load": {"allocations": 0, "pps": 0}, "ttl": 60,
                "expires": now + 60}

    everything = [{"ip": "127.0.0.1", "low": 1, "high": 65535}]
    forged = {
        "unsealed": json.dumps(record("unsealed", everything)),
        "badmac": SEAL + "00" * 32 + ":" + json.dumps(record("badmac", everything)),
        "othersecret": seal("not-the-secret", "othersecret", record("othersecret", everything)),
        "outside": seal(b1.secret, "outside", record("outside", [
            {"ip": "127.0.0.7", "low": 1, "high": 65535},
            {"ip": "10.0.0.1", "low": 1, "high": 65535}])),
    }
    good = seal(b1.secret, "sealed", record("sealed", [
        {"ip": "127.0.0.8", "low": 1, "high": 65535}]))
    user, pw = stun.rest_credentials(b1.secret, call="forged-check")
    c = stun.TurnClient(r1.host, r1.port, "udp", username=user, password=pw)
    expect(c.allocate().cls == stun.SUCCESS, "(g) an allocation on r1")
    targets = [("127.0.0.1", 3478), ("127.0.0.1", 6379), ("127.0.0.7", 5000),
               ("127.0.0.8", 5000)]
    for peer in targets:
        r = c.create_permission(peer)
        expect(r.cls == stun.ERROR and r.error_code()[0] == 403,
               "(g) before: permission toward %s:%d is 403" % peer)
    before = relay_metrics(mport).get("umbra_relay_fleet_records_rejected_total", 0)
    for rid, text in forged.items():
        redis_command("127.0.0.1", redis.port, "SET", "umbra:fleet:relay:" + rid, text, "EX", 60)
        redis_command("127.0.0.1", redis.port, "SADD", "umbra:fleet:relays", rid)
    redis_command("127.0.0.1", redis.port, "PUBLISH", "umbra:fleet", "join forged")
    wait_for("r1 logs four rejected records",
             lambda: r1.log_text().count("fleet: record of relay") >= 4, 4 * REFRESH + 3)
    time.sleep(3 * REFRESH)  # three more rebuilds: still logged once each
    log = r1.log_text()
    counted = relay_metrics(mport).get("umbra_relay_fleet_records_rejected_total", 0) - before
    expect(log.count("fleet: record of relay") == 4 and counted == 4,
           "(g) 4 forged records logged once and counted once each over several refreshes "
           "(%d log lines, %d counted)" % (log.count("fleet: record of relay"), counted))
    for why in ("not sealed with a fleet key", "a range outside fleet-networks"):
        expect("(%s)" % why in log, "(g) the log says why: %s" % why)
    for peer in targets:
        r = c.create_permission(peer)
        expect(r.cls == stun.ERROR and r.error_code()[0] == 403,
               "(g) forged records open nothing: permission toward %s:%d is 403 (%s)"
               % (peer + (stun.describe_response(r),)))
    # The control: sealed with the secret, inside 127.0.0.0/8, taken.
    redis_command("127.0.0.1", redis.port, "SET", "umbra:fleet:relay:sealed", good, "EX", 60)
    redis_command("127.0.0.1", redis.port, "SADD", "umbra:fleet:relays", "sealed")
    redis_command("127.0.0.1", redis.port, "PUBLISH", "umbra:fleet", "join sealed")
    wait_for("r1 takes the sealed record",
             lambda: c.create_permission(("127.0.0.8", 5000)).cls == stun.SUCCESS,
             4 * REFRESH + 3)
    r = c.create_permission(("127.0.0.7", 5000))
    expect(r.cls == stun.ERROR and r.error_code()[0] == 403,
           "(g) a sealed record in the networks is taken; the forged ones still are not")
    note("ok   (g) the same record sealed with the secret and inside fleet-networks opens "
         "a permission")
    for rid in list(forged) + ["sealed"]:
        redis_command("127.0.0.1", redis.port, "DEL", "umbra:fleet:relay:" + rid)
        redis_command("127.0.0.1", redis.port, "SREM", "umbra:fleet:relays", rid)
    c.close()


def main():
    with Harness("fleet", port_base=34000, port_count=300) as h:
        redis = h.start_redis()
        b1 = Broker(h, redis.port, ["turn:127.0.0.1:9?transport=udp"], name="broker1")
        b2 = Broker(h, redis.port, ["turn:127.0.0.1:9?transport=udp"], name="broker2",
                    broker_key_file=b1.key_path, auth_secret_file=b1.secret_path)
        common = dict(tls=False, auth_secret_file=b1.secret_path, threads=2,
                      redis="127.0.0.1:%d" % redis.port, fleet_refresh=REFRESH,
                      fleet_ttl=TTL, fleet_networks="127.0.0.0/8")
        mport = h.port()
        relays = {
            "r1": h.start_relay("r1", host="127.0.0.2", relay_id="r1", operator="op-a",
                                metrics_listen="127.0.0.1:%d" % mport, **common),
            "r2": h.start_relay("r2", host="127.0.0.3", relay_id="r2", operator="op-b", **common),
            "r3": h.start_relay("r3", host="127.0.0.4", relay_id="r3", operator="op-a", **common),
        }
        b1.start()
        b2.start()

        # (a) the entries, with a TTL, and the set of ids.
        for rid, r in relays.items():
            e = wait_for("entry of " + rid, lambda rid=rid: entry(redis, rid), 10)
            ttl = int(redis_command("127.0.0.1", redis.port, "PTTL", "umbra:fleet:relay:" + rid))
            expect(0 < ttl <= TTL * 1000, "(a) %s: entry with a TTL (%d ms of %d s)"
                   % (rid, ttl, TTL))
            low, high = r.relay_ports
            expect(e["operator"] == r.config["operator"] and
                   e["ranges"] == [{"ip": r.host, "low": low, "high": high}] and
                   "turn:%s:%d?transport=udp" % (r.host, r.port) in e["uris"],
                   "(a) %s: operator, relayed range and URIs announced" % rid)
        members = redis_command("127.0.0.1", redis.port, "SMEMBERS", "umbra:fleet:relays")
        expect(sorted(members) == ["r1", "r2", "r3"], "(a) umbra:fleet:relays = %s" % members)
        # Every relay has the other two in its view.
        for r in relays.values():
            wait_for(r.name + " sees two relays",
                     lambda r=r: "fleet: view of 2 other relays" in r.log_text(), 10)

        callee_tok = b1.identity()
        callee_pn = b1.pseudonym(callee_tok, "friends")

        # (b) and (d): created on broker 1, accepted on broker 2, split.
        call, acc = make_call(b1, b2, callee_tok, callee_pn, SPLIT, accept_on=b2)
        ra, rb = relay_of(relays, call), relay_of(relays, acc)
        expect(ra is not rb and ra.config["operator"] != rb.config["operator"],
               "(c) split_relays: caller on %s (%s), callee on %s (%s)"
               % (ra.name, ra.config["operator"], rb.name, rb.config["operator"]))
        expect(call["decision"]["decision"]["split_relays"] is True,
               "(c) the decision shows split_relays")
        a, b = allocate(ra, call), allocate(rb, acc)
        for c, peer in ((a, b.relayed), (b, a.relayed)):
            r = c.create_permission(peer)
            expect(r.cls == stun.SUCCESS, "(b) permission toward the other relay's relayed "
                   "address accepted (%s)" % stun.describe_response(r))
            r = c.channel_bind(0x4000, peer)
            expect(r.cls == stun.SUCCESS, "(b) channel toward it (%s)"
                   % stun.describe_response(r))
        n = 500
        ab, ba = pump(a, b, 0x4000, n, b"ab"), pump(b, a, 0x4000, n, b"ba")
        expect(ab == n and ba == n, "(b) relay to relay via ChannelData: %d/%d caller->callee, "
               "%d/%d callee->caller (zero loss)" % (ab, n, ba, n))
        # Inbound: a datagram from the other relay's IP but outside its
        # relayed range is dropped, though the permission covers the IP.
        stray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for port in range(rb.relay_ports[1] + 1, rb.relay_ports[1] + 200):
            try:
                stray.bind((rb.host, port))
                break
            except OSError:
                continue
        stray.sendto(b"stray", a.relayed)
        b.send_channel(0x4000, b"after-stray")
        got = a.receive(timeout=2.0, kind="channel")
        # Delivered, the stray would come as a Data indication (no channel
        # is bound to its port).
        leaked = a.receive(timeout=0.5, kind="data")
        stray.close()
        expect(got is not None and got[2] == b"after-stray" and leaked is None,
               "(b) inbound: a datagram from the other relay's IP outside its range is dropped, "
               "the relay's own still arrive")
        other_ip = rb.host
        outside = rb.relay_ports[1] + 1
        for peer, what in (((other_ip, outside), "the other relay's IP outside its range"),
                           (("127.0.0.5", rb.relay_ports[0]), "an address of no relay"),
                           ((other_ip, rb.port), "the other relay's TURN port")):
            r = a.create_permission(peer)
            expect(r.cls == stun.ERROR and r.error_code()[0] == 403,
                   "(b) permission toward %s: 403 (%s)" % (what, stun.describe_response(r)))

        # (d) the rest of the call on broker 2: events, then (f) DELETE.
        cid, csec = call["call_id"], call["caller_secret"]
        ev = b2.events(cid, "caller", csec)
        expect(ev.status == 200 and [e["type"] for e in ev.json["events"]] == ["accepted"],
               "(d) broker 2 serves the caller's events of a call made on broker 1")
        r = b2.request("DELETE", "/v1/calls/%s" % cid, bearer=csec)
        expect(r.status in (200, 204), "(d) DELETE on broker 2: %s" % r)
        for c, relay in ((a, ra), (b, rb)):
            wait_for("revocation on " + relay.name,
                     lambda relay=relay: "1 allocations revoked" in relay.log_text(), 5)
            r = c.refresh(600)
            expect(r.cls == stun.ERROR, "(f) %s: the allocation is gone after DELETE on broker 2 "
                   "(refresh: %s)" % (relay.name, stun.describe_response(r)))
        ev = b1.events(cid, "caller", csec)
        expect(ev.status == 200 and [e["type"] for e in ev.json["events"]] == ["ended"],
               "(d) broker 1 knows the call ended: %s" % ev)
        a.close()
        b.close()

        # (c) default choice: load on r1 (6 allocations) is avoided.
        load = []
        for i in range(6):
            user, pw = stun.rest_credentials(b1.secret, call="load-%d" % i)
            c = stun.TurnClient(relays["r1"].host, relays["r1"].port, "udp", username=user,
                                password=pw)
            expect(c.allocate().cls == stun.SUCCESS, "load allocation %d on r1" % i)
            load.append(c)
        wait_for("r1 announces its load",
                 lambda: (entry(redis, "r1") or {}).get("load", {}).get("allocations") == 6,
                 REFRESH * 4)
        time.sleep(1.2)  # the brokers' cached fleet is older than fleet-cache-ms
        picked = []
        for i in range(4):
            c, _ = make_call(b1, b2, callee_tok, callee_pn)
            expect(isinstance(c, dict), "call %d created (%s)" % (i, getattr(c, "status", 201)))
            picked.append(relay_of(relays, c).name)
        expect("r1" not in picked and len(set(picked)) == 2,
               "(c) least loaded: calls went to %s, not to the loaded r1" % picked)
        for c in load:
            c.close()

        # (e) SIGKILL r2: its entry expires within the TTL.
        r2 = relays["r2"]
        os.killpg(r2.pid, signal.SIGKILL)
        r2.proc.wait()
        t0 = time.monotonic()
        wait_for("r2's entry expires",
                 lambda: entry(redis, "r2") is None, TTL + 2)
        gone = time.monotonic() - t0
        expect(gone <= TTL + 0.2, "(e) killed r2 dropped out of Redis after %.2f s (TTL %d s)"
               % (gone, TTL))
        for r in (relays["r1"], relays["r3"]):
            wait_for(r.name + " drops r2 from its view",
                     lambda r=r: "fleet: view of 1 other relays" in r.log_text(), REFRESH * 3)
        note("     r1, r3 dropped r2 from their views %.2f s after the kill"
             % (time.monotonic() - t0))
        time.sleep(1.2)
        picked = []
        for i in range(4):
            c, _ = make_call(b1, b2, callee_tok, callee_pn)
            expect(isinstance(c, dict), "call %d created (%s)" % (i, getattr(c, "status", 201)))
            picked.append(relay_of(relays, c).name)
        expect("r2" not in picked, "(e) new calls avoid the dead r2: %s" % picked)
        r, _ = make_call(b2, b1, callee_tok, callee_pn, SPLIT)
        expect(r.status == 503 and r.json["error"] == "relays_unavailable" and
               "one operator" in r.json["detail"],
               "(e) split_relays with one operator left fails closed: %s" % r)

        forged_records(h, redis, b1, relays["r1"], mport)

        # A clean stop deletes the entry at once.
        r3 = relays["r3"]
        h.stop(r3)
        expect(entry(redis, "r3") is None and "r3" not in redis_command(
            "127.0.0.1", redis.port, "SMEMBERS", "umbra:fleet:relays"),
            "a relay stopped with SIGTERM deleted its entry")
        # A second relay under r1's relay-id: the two overwrite one entry,
        # and both say so (the entry carries a random instance per process).
        twin = h.start_relay("twin", host="127.0.0.5", relay_id="r1", operator="op-b",
                            relay_port_count=10, **common)
        clash = "another relay announces itself under this relay's relay-id"
        wait_for("both relays under relay-id r1 log the clash",
                 lambda: clash in twin.log_text() and clash in relays["r1"].log_text(),
                 4 * REFRESH + 5)
        expect(clash not in relays["r2"].log_text(), "a relay with its own relay-id logs no clash")
        note("ok   a second relay under relay-id r1: both log the clash")
        h.stop(twin)
        h.stop(relays["r1"])
        b1.stop()
        b2.stop()
        with open(h.sensitive_path) as f:
            values = [line.strip() for line in f if line.strip()]
        for name, text in [(b.name, b.log()) for b in (b1, b2)] + \
                [(r.name, r.log_text()) for r in relays.values()]:
            expect(find_sensitive(text, values) == [] and find_addresses(text) == [],
                   "%s log: no secret, credential or address" % name)
        h.stop(redis)


run(main)
