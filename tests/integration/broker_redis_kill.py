"""Crashes under live calls: kill -9 of redis-server, then of umbra-relay.
Real redis-server (started with contrib/redis/umbra-redis.conf, AOF on),
umbra-relay and umbra-broker on loopback.

Redis killed (SIGKILL) while a call is live and while identities are being
created as fast as the broker answers:
  (a) the relay keeps relaying the live call: ChannelData both ways at
      50 packets/s per direction before, during and after the outage, and
      the loss in each phase is at most 1% (expected: none); a new Allocate
      with the call's credentials works during the outage (credentials are
      checked without Redis);
  (b) the broker answers 503 with Retry-After and {"error":
      "store_unavailable", "detail"} for every endpoint class (create call,
      get a call's events, end a call, create identity, pseudonym, pending
      calls) and /healthz, each within a bound;
  (c) restarted on the same AOF directory, Redis has every state the broker
      acknowledged before the kill (the identities acknowledged up to the
      kill, read back through the API; the pseudonym of a context is the
      same; the pending call and the events of the live call are the same),
      and the broker serves again without a restart;
  (d) the relay's subscriber is back: DELETE ends the live call's
      allocations within 1 s.
Then umbra-relay killed (SIGKILL) under allocations: the UDP client's next
request fails with ICMP port unreachable (ConnectionRefusedError on its
connected socket), the TCP client's connection is closed or reset; the
broker is unaffected; a relay started again on the same ports takes the
same credentials, and revocation reaches it.

Ports: from 32000-32099.
"""
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker  # noqa: E402
from umbra_harness import Harness, fail, note, redis_command, run, expect  # noqa: E402
import umbra_stun as stun  # noqa: E402

CHANNEL = 0x4001
PPS = 50  # per direction
MAX_LOSS = 0.01
REVOKE = "umbra:revoke"


def ok_response(r):
    return r.cls == stun.SUCCESS


class Media:
    """ChannelData both ways between two allocations of one call, paced,
    each packet tagged with a sequence number and the phase it was sent
    in; one thread owns both clients while it runs."""

    def __init__(self, a, k):
        self.a, self.k = a, k
        self.phase = "before"
        self.sent = {}  # (direction, seq) -> phase
        self.got = set()
        self.stop_flag = False
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def _drain(self, client, direction):
        while True:
            item = client.receive(0.0005, kind="channel")
            if item is None:
                return
            payload = item[2]
            if len(payload) >= 6 and payload[0] == 0x80:
                self.got.add((direction, struct.unpack("!I", payload[2:6])[0]))

    def _run(self):
        seq, period = 0, 1.0 / PPS
        next_t = time.monotonic()
        try:
            while not self.stop_flag:
                for src, direction in ((self.a, "a->k"), (self.k, "k->a")):
                    self.sent[(direction, seq)] = self.phase
                    src.send_channel(CHANNEL, b"\x80\x00" + struct.pack("!I", seq) + b"m" * 154)
                seq += 1
                next_t += period
                while time.monotonic() < next_t:
                    self._drain(self.k, "a->k")
                    self._drain(self.a, "k->a")
            end = time.monotonic() + 0.5
            while time.monotonic() < end:
                self._drain(self.k, "a->k")
                self._drain(self.a, "k->a")
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.stop_flag = True
        self.thread.join(10)
        if self.error is not None:
            fail("media thread: %r" % self.error)

    def loss(self, phase):
        sent = [key for key, p in self.sent.items() if p == phase]
        lost = [key for key in sent if key not in self.got]
        return len(sent), len(lost)


class Writer:
    """Creates identities back to back; keeps every token acknowledged."""

    def __init__(self, b):
        self.b = b
        self.acked = []
        self.refused = 0
        self.stop_flag = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop_flag:
            try:
                r = self.b.request("POST", "/v1/identities", timeout=5)
            except OSError:
                continue
            if r.status == 201:
                self.acked.append(r.json["token"])
                self.b.remember(r.json["token"])
            else:
                self.refused += 1
                time.sleep(0.01)


def allocate(relay, ice, transport="udp"):
    c = stun.TurnClient(relay.host, relay.port, transport, username=ice["username"],
                        password=ice["credential"])
    r = c.allocate()
    expect(ok_response(r), "relay: Allocate (%s) with the broker's credentials (%s)"
           % (transport, stun.describe_response(r)))
    return c


def numsub(redis):
    try:
        return redis_command(redis.host, redis.port, "PUBSUB", "NUMSUB", REVOKE)[1]
    except OSError:
        return 0


def wait_subscribed(redis, n, timeout=10.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if numsub(redis) >= n:
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def ended_within(clients, limit):
    """Seconds until every client's Refresh is refused, or None."""
    t0 = time.monotonic()
    gone = set()
    while time.monotonic() - t0 < limit:
        for i, c in enumerate(clients):
            if i not in gone and c.refresh(600).cls == stun.ERROR:
                gone.add(i)
        if len(gone) == len(clients):
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def is_503(r):
    return (r.status == 503 and r.headers.get("Retry-After") == "1" and r.json is not None
            and r.json.get("error") == "store_unavailable" and r.json.get("detail"))


def outage_requests(b, t1, t2, pn2, cid, csec):
    """Every endpoint class while Redis is gone: (name, reply, seconds)."""
    reqs = [
        ("create identity", "POST", "/v1/identities", None, None),
        ("pseudonym", "POST", "/v1/pseudonyms", {"context": "friends"}, t2),
        ("pending calls", "GET", "/v1/pending?context=friends", None, t2),
        ("create call", "POST", "/v1/calls",
         {"callee": pn2, "caller": t1, "service": "contact-list", "call_model": "single-cs",
          "destination": "trusted", "caller_state": "pseudonymous"}, None),
        ("get call events", "GET", "/v1/calls/%s/events?party=caller&since=0&wait=0" % cid, None,
         csec),
        ("end call", "DELETE", "/v1/calls/%s" % cid, None, csec),
        ("healthz", "GET", "/healthz", None, None),
    ]
    out = []
    for name, method, path, body, bearer in reqs:
        t0 = time.monotonic()
        r = b.request(method, path, body, bearer=bearer)
        out.append((name, r, time.monotonic() - t0))
    return out


def redis_kill(h, b, redis, relay):
    t1, t2 = b.identity(), b.identity()
    pn2 = b.pseudonym(t2, "friends")
    # The live call: created, accepted, both parties on the relay.
    r = b.create_call(pn2, caller=t1)
    expect(r.status == 201, "broker: call 1 created")
    call = r.json
    cid, csec = call["call_id"], call["caller_secret"]
    acc = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=t2)
    expect(acc.status == 200, "broker: call 1 accepted")
    b.remember(csec, acc.json["callee_secret"], call["ice_servers"][0]["credential"],
               acc.json["ice_servers"][0]["credential"])
    a = allocate(relay, call["ice_servers"][0])
    k = allocate(relay, acc.json["ice_servers"][0])
    for c, peer in ((a, k.relayed), (k, a.relayed)):
        expect(ok_response(c.channel_bind(CHANNEL, peer)), "relay: ChannelBind toward the other party")
    # A second call, left pending (the callee has not answered).
    r = b.create_call(pn2, caller=t1)
    expect(r.status == 201, "broker: call 2 created (pending)")
    call2 = r.json
    b.remember(call2["caller_secret"], call2["ice_servers"][0]["credential"])
    events_before = b.events(cid, "caller", csec).json
    pending_before = b.pending(t2, "friends").json
    expect(call2["call_id"] in pending_before["calls"], "broker: call 2 is in the callee's pending list")
    expect(wait_subscribed(redis, 1) is not None, "relay: subscribed to %s" % REVOKE)

    media = Media(a, k)
    media.start()
    time.sleep(1.0)
    writer = Writer(b)
    writer.thread.start()
    while len(writer.acked) < 30:
        time.sleep(0.005)
    media.phase = "outage"
    h.kill9(redis)
    t_kill = time.monotonic()
    acked_at_kill = len(writer.acked)
    time.sleep(0.3)
    writer.stop_flag = True
    writer.thread.join(10)
    note("     identities acknowledged: %d when Redis was killed, %d in all; %d refused after"
         % (acked_at_kill, len(writer.acked), writer.refused))
    expect(writer.refused > 0, "writer: creations after the kill were refused")

    # (b) every endpoint class answers 503 + Retry-After + JSON reason.
    replies = outage_requests(b, t1, t2, pn2, cid, csec)
    for name, r, secs in replies:
        expect(is_503(r), "outage: %s -> 503, Retry-After: 1, store_unavailable (%.0f ms): %r"
               % (name, secs * 1000, r.raw[:80]))
    worst = max(secs for _, _, secs in replies)
    expect(worst < 1.0, "outage: slowest 503 in %.0f ms (bound 1000 ms)" % (worst * 1000))
    # Credentials are checked without Redis: a new allocation works.
    extra = allocate(relay, call["ice_servers"][0])
    extra.close()
    time.sleep(max(0.0, 2.5 - (time.monotonic() - t_kill)))  # >= 2.5 s of outage

    # (c) Redis back on the same AOF directory; the broker finds it alone.
    redis = h.start_redis(port=redis.port, name="redis-again", data_dir=redis.data_dir)
    t_up = time.monotonic()
    media.phase = "after"
    back = None
    while time.monotonic() - t_up < 5:
        if b.request("GET", "/healthz").status == 200:
            back = time.monotonic() - t_up
            break
        time.sleep(0.02)
    expect(back is not None, "recovery: the broker serves again without a restart (%.0f ms after "
           "Redis answered PING; outage %.1f s)" % ((back or 0) * 1000, t_up - t_kill))
    lost = []
    for tok in writer.acked:
        r = b.request("POST", "/v1/pseudonyms", {"context": "check"}, bearer=tok)
        if r.status != 200:
            lost.append((r.status, r.raw[:100]))
    expect(lost == [], "recovery: all %d identities acknowledged before the kill are there "
           "(lost: %d %s)" % (len(writer.acked), len(lost), lost[:2]))
    expect(b.pseudonym(t2, "friends") == pn2, "recovery: same pseudonym for the same context")
    pending = b.pending(t2, "friends")
    expect(pending.status == 200 and pending.json == pending_before,
           "recovery: the callee's pending calls are the same (%d)" % len(pending.json["calls"]))
    ev = b.events(cid, "caller", csec)
    expect(ev.status == 200 and ev.json == events_before,
           "recovery: call 1's events are the same (%s)" % [e["type"] for e in ev.json["events"]])
    r = b.create_call(pn2, caller=t1)
    expect(r.status == 201, "recovery: a new call can be created")
    b.remember(r.json["caller_secret"], r.json["ice_servers"][0]["credential"])
    time.sleep(1.0)
    media.stop()
    for phase, what in (("before", "before the kill"), ("outage", "while Redis was gone"),
                        ("after", "after Redis came back")):
        sent, lost_pkts = media.loss(phase)
        expect(sent > 0 and lost_pkts <= MAX_LOSS * sent,
               "media: %s: %d of %d packets lost (both directions, bound %.0f%%)"
               % (what, lost_pkts, sent, MAX_LOSS * 100))

    # (d) the relay subscribed again; revocation ends the live call.
    waited = wait_subscribed(redis, 1)
    expect(waited is not None, "relay: subscribed again after Redis came back")
    r = b.request("DELETE", "/v1/calls/%s" % cid, bearer=csec)
    expect(r.status == 200, "end: DELETE call 1 after the restart")
    took = ended_within([a, k], 1.0)
    expect(took is not None, "revocation: both allocations of call 1 end (%s ms)"
           % (None if took is None else "%.0f" % (took * 1000)))
    a.close()
    k.close()
    return redis, call2, t2


def relay_kill(h, b, redis, relay, call2, t2):
    acc = b.request("POST", "/v1/calls/%s/accept" % call2["call_id"], {}, bearer=t2)
    expect(acc.status == 200, "relay kill: call 2 accepted")
    b.remember(acc.json["callee_secret"], acc.json["ice_servers"][0]["credential"])
    ice_a, ice_k = call2["ice_servers"][0], acc.json["ice_servers"][0]
    u = allocate(relay, ice_a, "udp")
    t = allocate(relay, ice_k, "tcp")
    h.kill9(relay)
    try:
        u.refresh(600)
        seen = "an answer"
    except ConnectionRefusedError:
        seen = "ConnectionRefusedError"
    except socket.timeout:
        seen = "a timeout"
    expect(seen == "ConnectionRefusedError",
           "relay kill: the UDP client's Refresh fails with ICMP port unreachable (got %s)" % seen)
    try:
        t.refresh(600)
        seen = "an answer"
    except (ConnectionResetError, BrokenPipeError) as e:
        seen = type(e).__name__
    except ConnectionError as e:
        seen = "closed (%s)" % e
    except socket.timeout:
        seen = "a timeout"
    expect(seen in ("ConnectionResetError", "BrokenPipeError") or seen.startswith("closed"),
           "relay kill: the TCP client's connection is gone (%s)" % seen)
    u.close()
    t.close()
    expect(b.request("GET", "/healthz").status == 200, "relay kill: the broker is unaffected (/healthz)")
    ev = b.events(call2["call_id"], "caller", call2["caller_secret"])
    expect(ev.status == 200, "relay kill: the broker still serves the call's events")

    t0 = time.monotonic()
    again = h.start_relay(name="relay-again", port=relay.port, tls_port=relay.tls_port,
                          auth_secret_file=relay.config["auth_secret_file"],
                          redis="127.0.0.1:%d" % redis.port)
    note("     relay restarted in %.2f s" % (time.monotonic() - t0))
    u = allocate(again, ice_a, "udp")
    t = allocate(again, ice_k, "tcp")
    expect(wait_subscribed(redis, 1) is not None, "relay again: subscribed to %s" % REVOKE)
    r = b.request("DELETE", "/v1/calls/%s" % call2["call_id"], bearer=call2["caller_secret"])
    expect(r.status == 200, "relay again: DELETE call 2")
    took = ended_within([u, t], 1.0)
    expect(took is not None, "relay again: revocation ends both allocations (%s ms)"
           % (None if took is None else "%.0f" % (took * 1000)))
    u.close()
    t.close()
    return again


def main():
    with Harness("broker_redis_kill", port_base=32000, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, [])
        relay = h.start_relay(auth_secret_file=b.secret_path, redis="127.0.0.1:%d" % redis.port)
        b.config["relay"] = ["turn:127.0.0.1:%d?transport=udp" % relay.port]
        b.start()
        redis, call2, t2 = redis_kill(h, b, redis, relay)
        relay = relay_kill(h, b, redis, relay, call2, t2)
        b.stop()
        h.stop(relay)
        h.stop(redis)
    note("all checks passed")


if __name__ == "__main__":
    run(main)
