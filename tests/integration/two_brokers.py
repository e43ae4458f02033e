"""Two umbra-brokers on one Redis share every call: no broker-local state.

Brokers A and B run with the same broker key, TURN secret and policy (as a
fleet behind a load balancer would). One call goes through every endpoint
of docs/api.md with its requests spread over both: the call is created on
A, everything after alternates B, A, B ... Checked:
  * identities and pseudonyms: a token made on A works on B; the same
    context gives the same pseudonym on both; a rotation on B retires the
    old pseudonym on A too; the pending list on B shows a call made on A;
  * long polls: a poll waiting on A is woken by an action on B (accept,
    answer, DELETE), well before its wait runs out; both brokers listen on
    Redis channel umbra:notify, and the three wake-ups together take under
    a second (each broker also re-reads its polls once a second, which
    alone would give about 1.5 s); the delays are printed;
  * acknowledgement: events acknowledged on one broker (since=N) are not
    shown again by the other;
  * a DTLS fingerprint used in a call through A is refused (409) in
    another call through B;
  * DELETE on B: the relay ends the allocations made with credentials from
    A, and a waiting poll on A answers "ended";
  * /healthz and /metrics answer on both; no log holds an address or a
    secret.

Ports: 35200-35299.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker  # noqa: E402
from umbra_harness import (Harness, expect, fail, find_addresses, find_sensitive,  # noqa: E402
                           note, redis_command, run)
import umbra_stun as stun  # noqa: E402
import broker_sdp_fixtures as fx  # noqa: E402

WAIT = 10  # seconds a long poll may wait; a wake-up must come well before


class Poll(threading.Thread):
    """A long poll on one broker, in the background."""

    def __init__(self, broker, cid, party, bearer, since):
        super().__init__(daemon=True)
        self.args = (cid, party, bearer, since)
        self.broker = broker
        self.reply = None
        self.t_end = None

    def run(self):
        cid, party, bearer, since = self.args
        self.reply = self.broker.events(cid, party, bearer, since=since, wait=WAIT)
        self.t_end = time.monotonic()


def woken_by(poll, action, what):
    """Starts poll, waits until its broker holds it, runs action on the
    other broker, and returns the poll's events and the wake-up delay."""
    before = open_polls(poll.broker)
    poll.start()
    deadline = time.monotonic() + 5
    while open_polls(poll.broker) <= before and time.monotonic() < deadline:
        time.sleep(0.02)
    expect(open_polls(poll.broker) > before, "%s: the poll is waiting on its broker" % what)
    t0 = time.monotonic()
    action()
    poll.join(WAIT + 5)
    expect(poll.reply is not None and poll.reply.status == 200, "%s: poll answered (%s)"
           % (what, poll.reply))
    delay = poll.t_end - t0
    expect(delay < WAIT / 2, "%s: woken %.0f ms after the action on the other broker "
           "(not by its %d s timeout)" % (what, delay * 1000, WAIT))
    return poll.reply.json["events"], delay


def open_polls(b):
    text = b.metrics().raw
    for line in text.splitlines():
        if line.startswith("umbra_broker_long_polls "):
            return int(float(line.split()[-1]))
    fail("no open long poll gauge in /metrics:\n%s" % text[:1500])


def main():
    with Harness("two_brokers", port_base=35200, port_count=100) as h:
        redis = h.start_redis()
        A = Broker(h, redis.port, [], name="broker-a", long_poll_timeout=WAIT)
        B = Broker(h, redis.port, [], name="broker-b", long_poll_timeout=WAIT,
                   broker_key_file=A.key_path, auth_secret_file=A.secret_path)
        B.config["policy"] = A.policy_path
        relay = h.start_relay(auth_secret_file=A.secret_path, tls=False,
                              redis="127.0.0.1:%d" % redis.port)
        for b in (A, B):
            b.config["relay"] = ["turn:127.0.0.1:%d?transport=udp" % relay.port]
            b.start()
            r = b.request("GET", "/healthz")
            expect(r.status == 200, "%s: /healthz" % b.name)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and redis_command(
                redis.host, redis.port, "PUBSUB", "NUMSUB", "umbra:notify")[1] < 2:
            time.sleep(0.05)
        expect(redis_command(redis.host, redis.port, "PUBSUB", "NUMSUB", "umbra:notify")[1] == 2,
               "both brokers subscribe to umbra:notify")

        # Identities and pseudonyms across brokers.
        caller_tok, callee_tok = A.identity(), B.identity()
        pn_a = A.pseudonym(callee_tok, "friends")
        expect(B.pseudonym(callee_tok, "friends") == pn_a,
               "a token made on B gives the same pseudonym on A and B")
        old = B.pseudonym(callee_tok, "work")
        new = B.pseudonym(callee_tok, "work", rotate=True)
        expect(new != old and A.pseudonym(callee_tok, "work") == new,
               "a rotation on B is what A answers afterwards")
        r = A.create_call(old)
        expect(r.status == 404, "the pseudonym retired on B cannot be called on A (%s)" % r.status)

        # Create on A; everything else alternates B, A, B ...
        r = A.create_call(pn_a, caller=caller_tok)
        expect(r.status == 201, "create on A (%s)" % r)
        call = r.json
        cid, csec = call["call_id"], call["caller_secret"]
        A.remember(csec, call["ice_servers"][0]["credential"], call["ice_servers"][0]["username"])
        pend = B.pending(callee_tok, "friends")
        expect(pend.status == 200 and cid in pend.json["calls"], "B lists the call made on A")
        ev = A.events(cid, "callee", callee_tok)
        expect([e["type"] for e in ev.json["events"]] == ["invited"], "A: callee invited")

        fp_caller = fx.random_fingerprint()
        a = stun.TurnClient(relay.host, relay.port, "udp", username=call["ice_servers"][0]["username"],
                            password=call["ice_servers"][0]["credential"])
        expect(a.allocate().cls == stun.SUCCESS, "relay: Allocate with credentials from A")
        r = B.request("POST", "/v1/calls/%s/offer" % cid,
                      {"sdp": fx.chromium_offer(fp_caller, relay_ip=a.relayed[0],
                                                relay_port=a.relayed[1])}, bearer=csec)
        expect(r.status == 200 and r.json["held"], "offer on B: held (ICE delay)")

        # The caller waits on A; the callee accepts on B.
        box = {}

        def accept():
            box["acc"] = B.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=callee_tok)
        events, d_accept = woken_by(Poll(A, cid, "caller", csec, 0), accept,
                                    "caller's poll on A, accept on B")
        expect(box["acc"].status == 200, "accept on B")
        expect([e["type"] for e in events] == ["accepted"], "A tells the caller: accepted")
        ksec = box["acc"].json["callee_secret"]
        B.remember(ksec, box["acc"].json["ice_servers"][0]["credential"])

        ev = A.events(cid, "callee", ksec, since=1)
        expect([e["type"] for e in ev.json["events"]] == ["offer"],
               "A releases to the callee the offer held on B")
        k = stun.TurnClient(relay.host, relay.port, "udp",
                            username=box["acc"].json["ice_servers"][0]["username"],
                            password=box["acc"].json["ice_servers"][0]["credential"])
        expect(k.allocate().cls == stun.SUCCESS, "relay: Allocate with credentials from B")

        # Answer on B wakes the caller's poll on A (since=1 acknowledges
        # "accepted").
        def answer():
            box["ans"] = B.request("POST", "/v1/calls/%s/answer" % cid,
                                   {"sdp": fx.firefox_answer(fx.random_fingerprint(),
                                                             relay_ip=k.relayed[0],
                                                             relay_port=k.relayed[1])},
                                   bearer=ksec)
        events, d_answer = woken_by(Poll(A, cid, "caller", csec, 1), answer,
                                    "caller's poll on A, answer on B")
        expect(box["ans"].status == 200, "answer on B")
        expect([e["type"] for e in events] == ["answer"], "A delivers the answer")

        # Candidates alternate; acknowledgement on one broker holds on the other.
        cand = "candidate:7 1 udp 41885439 %s %d typ relay raddr 10.0.0.5 rport 4000" % tuple(k.relayed)
        r = A.request("POST", "/v1/calls/%s/candidates" % cid, {"candidates": [cand]}, bearer=ksec)
        expect(r.status == 200 and r.json["kept"] == 1, "candidate from the callee on A")
        ev = B.events(cid, "caller", csec, since=2)
        expect([e["type"] for e in ev.json["events"]] == ["candidate"],
               "B delivers the candidate posted on A")
        ev = A.events(cid, "caller", csec, since=3)
        expect(ev.json["events"] == [] and ev.json["next"] == 3, "A: nothing new past 3")
        ev = B.events(cid, "caller", csec, since=0)
        shown = [e["type"] for e in ev.json["events"]]
        expect("answer" not in shown and "candidate" not in shown,
               "events acknowledged through A and B are not shown again (%s)" % shown)

        # The fingerprint of this call is refused in another call on B.
        r2 = A.create_call(pn_a, caller=caller_tok)
        expect(r2.status == 201, "second call created on A")
        A.remember(r2.json["caller_secret"])
        r = B.request("POST", "/v1/calls/%s/offer" % r2.json["call_id"],
                      {"sdp": fx.chromium_offer(fp_caller)}, bearer=r2.json["caller_secret"])
        expect(r.status == 409, "B refuses the fingerprint first used through B in the call "
               "made on A (%s)" % r.status)
        r = A.request("DELETE", "/v1/calls/" + r2.json["call_id"], bearer=r2.json["caller_secret"])
        expect(r.status == 200, "second call ended on A")

        # DELETE on B: the callee's poll on A learns it; the relay ends both
        # allocations (credentials from A and from B).
        def delete():
            box["del"] = B.request("DELETE", "/v1/calls/" + cid, bearer=csec)
        events, d_delete = woken_by(Poll(A, cid, "callee", ksec, 2), delete,
                                    "callee's poll on A, DELETE on B")
        expect(box["del"].status == 200, "DELETE on B")
        expect(events == [{"type": "ended"}], "A tells the callee: ended")
        t0 = time.monotonic()
        gone = set()
        while time.monotonic() - t0 < 3 and len(gone) < 2:
            for name, c in (("caller", a), ("callee", k)):
                if name not in gone and c.refresh(600).cls == stun.ERROR:
                    gone.add(name)
            time.sleep(0.05)
        expect(gone == {"caller", "callee"}, "relay: both allocations ended by the DELETE on B")
        a.close()
        k.close()
        r = A.request("POST", "/v1/calls/%s/candidates" % cid, {"candidates": [cand]}, bearer=ksec)
        expect(r.status in (404, 410), "A refuses a candidate for the call ended on B (%s)"
               % r.status)
        note("     long-poll wake-up across brokers: accept %.0f ms, answer %.0f ms, "
             "DELETE %.0f ms" % (d_accept * 1000, d_answer * 1000, d_delete * 1000))
        expect(d_accept + d_answer + d_delete < 1.0,
               "the wake-ups came through umbra:notify, not the once-a-second re-check")

        for b in (A, B):
            expect(b.metrics().status == 200, "%s: /metrics on metrics-listen" % b.name)
            b.stop()
        h.stop(relay)
        with open(h.sensitive_path) as f:
            values = [line.strip() for line in f if line.strip()]
        for name, text in (("broker-a", A.log()), ("broker-b", B.log()),
                           ("relay", relay.log_text())):
            expect(find_sensitive(text, values) == [] and find_addresses(text) == [],
                   "%s log: no secret and no address" % name)
        h.stop(redis)
    note("PASS")


if __name__ == "__main__":
    run(main)
