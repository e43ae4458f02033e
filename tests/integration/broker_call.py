"""Two scripted parties make a call through umbra-broker and umbra-relay,
all real processes on loopback (redis-server, umbra-relay, umbra-broker):

create -> callee long poll (invited) -> both allocate on the relay with the
credentials the broker gave them -> offer (held: ICE delay) -> accept ->
answer -> trickled candidates. Each side checks the SDP it receives is
sanitized, then relays data to the relayed address it learnt from that SDP
(Send indications and ChannelData, both ways). DELETE revokes: both
allocations are gone within one second and the credentials are refused.

Ports: from 22100-22199.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from broker_harness import Broker, Resp  # noqa: E402
from umbra_harness import Harness, find_addresses, find_sensitive, fail, note, expect  # noqa: E402
import umbra_stun as stun  # noqa: E402
import broker_sdp_fixtures as fx  # noqa: E402


def turn_client(relay, ice):
    c = stun.TurnClient(relay.host, relay.port, "udp", username=ice["username"],
                        password=ice["credential"])
    r = c.allocate()
    expect(r.cls == stun.SUCCESS, "relay: Allocate with the broker's credentials (%s)"
           % stun.describe_response(r))
    return c


def relay_candidate(sdp):
    """(ip, port) of the one relay candidate in an SDP or candidate line."""
    found = []
    for line in sdp.replace("\r\n", "\n").split("\n"):
        line = line[2:] if line.startswith("a=") else line
        if line.startswith("candidate:") and " typ relay" in line:
            f = line.split()
            found.append((f[4], int(f[5])))
    expect(len(found) >= 1, "sdp: a relay candidate arrived")
    return found[0]


def main():
    with Harness("broker_call", port_base=22100, port_count=100) as h:
        redis = h.start_redis()
        b = Broker(h, redis.port, [])
        relay = h.start_relay(auth_secret_file=b.secret_path,
                              redis="127.0.0.1:%d" % redis.port)
        b.config["relay"] = ["turn:127.0.0.1:%d?transport=udp" % relay.port,
                             "turns:localhost:%d?transport=tcp" % relay.tls_port]
        b.start()

        caller_tok, callee_tok = b.identity(), b.identity()
        callee_pn = b.pseudonym(callee_tok, "friends")
        r = b.create_call(callee_pn, caller=caller_tok)
        expect(r.status == 201, "broker: call created (%s)" % r)
        call = r.json
        cid, csec = call["call_id"], call["caller_secret"]
        b.remember(csec, call["ice_servers"][0]["credential"], call["ice_servers"][0]["username"],
                   cid)
        expect(call["ice_transport_policy"] == "relay", "broker: iceTransportPolicy relay")

        # The callee waits for calls (long poll) while the caller gathers.
        box = {}
        th = threading.Thread(target=lambda: box.update(r=b.events(cid, "callee", callee_tok, wait=5)))
        th.start()
        a = turn_client(relay, call["ice_servers"][0])
        th.join()
        expect([e["type"] for e in box["r"].json["events"]] == ["invited"],
               "callee: long poll says invited")
        pend = b.pending(callee_tok, "friends")
        expect(cid in pend.json["calls"], "callee: the call is in its pending list")

        # Offer with the caller's real relayed address among host/srflx ones.
        fp_caller = fx.random_fingerprint()
        offer = fx.chromium_offer(fp_caller, relay_ip=a.relayed[0], relay_port=a.relayed[1])
        r = b.request("POST", "/v1/calls/%s/offer" % cid, {"sdp": offer}, bearer=csec)
        expect(r.status == 200 and r.json["held"], "offer: accepted, held until the callee accepts")
        ev = b.events(cid, "callee", callee_tok, since=1)
        expect(ev.json["events"] == [], "ICE delay: nothing reaches the callee before accept")

        acc = b.request("POST", "/v1/calls/%s/accept" % cid, {}, bearer=callee_tok)
        expect(acc.status == 200, "accept: %s" % acc)
        ksec = acc.json["callee_secret"]
        b.remember(ksec, acc.json["ice_servers"][0]["credential"],
                   acc.json["ice_servers"][0]["username"])
        ev = b.events(cid, "callee", ksec, since=1)
        got_offer = [e for e in ev.json["events"] if e["type"] == "offer"]
        expect(len(got_offer) == 1, "callee: receives the offer after accepting")
        osdp = got_offer[0]["sdp"]
        leaks = [x for x in fx.LEAKS if x in osdp]
        expect(leaks == [], "callee: the offer is sanitized (leaks: %s)" % leaks)
        expect("raddr 0.0.0.0 rport 0" in osdp and "cname:" + call["cname"] in osdp,
               "callee: relay candidate with zeroed raddr, per-call CNAME")
        peer_of_callee = relay_candidate(osdp)
        expect(peer_of_callee == tuple(a.relayed), "callee: learns only the caller's relayed address")

        k = turn_client(relay, acc.json["ice_servers"][0])
        fp_callee = fx.random_fingerprint()
        r = b.request("POST", "/v1/calls/%s/answer" % cid,
                      {"sdp": fx.firefox_answer(fp_callee, relay_ip=k.relayed[0],
                                                relay_port=k.relayed[1])}, bearer=ksec)
        expect(r.status == 200 and not r.json["held"], "answer: accepted, not held after accept")
        # Trickled candidates both ways: host dropped, relay kept.
        cand_a = "candidate:7 1 udp 41885439 %s %d typ relay raddr 203.0.113.7 rport 4000 generation 0" % tuple(a.relayed)
        r = b.request("POST", "/v1/calls/%s/candidates" % cid,
                      {"candidates": [cand_a, "candidate:8 1 udp 2122260223 192.168.1.23 4000 typ host"]},
                      bearer=csec)
        expect(r.json == {"kept": 1, "dropped": 1, "held": False}, "candidates: caller's trickle")
        cand_k = "candidate:9 1 udp 41885439 %s %d typ relay raddr 10.0.0.5 rport 61000" % tuple(k.relayed)
        r = b.request("POST", "/v1/calls/%s/candidates" % cid, {"candidates": [cand_k]}, bearer=ksec)
        expect(r.json["kept"] == 1, "candidates: callee's trickle")

        ev = b.events(cid, "caller", csec)
        types = [e["type"] for e in ev.json["events"]]
        expect(types == ["accepted", "answer", "candidate"], "caller: events %s" % types)
        asdp = ev.json["events"][1]["sdp"]
        leaks = [x for x in fx.LEAKS if x in asdp]
        expect(leaks == [] and "cname:" + acc.json["cname"] in asdp,
               "caller: the answer is sanitized, callee's CNAME")
        peer_of_caller = relay_candidate(asdp)
        expect(peer_of_caller == tuple(k.relayed), "caller: learns only the callee's relayed address")
        tc = ev.json["events"][2]["candidate"]
        expect(relay_candidate(tc) == tuple(k.relayed) and "raddr 0.0.0.0 rport 0" in tc,
               "caller: trickled candidate sanitized")

        # Media path: each side relays to what it learnt from the broker.
        for c, peer in ((a, peer_of_caller), (k, peer_of_callee)):
            r = c.create_permission(peer)
            expect(r.cls == stun.SUCCESS, "relay: permission toward the other relayed address (%s)"
                   % stun.describe_response(r))
        a.send_indication(peer_of_caller, b"\x80hello from the caller")
        got = k.receive(2.0, kind="data")
        expect(got is not None and got[2] == b"\x80hello from the caller"
               and tuple(got[1]) == tuple(a.relayed), "relay: caller -> callee data (Send/Data)")
        k.send_indication(peer_of_callee, b"\x80hello from the callee")
        got = a.receive(2.0, kind="data")
        expect(got is not None and got[2] == b"\x80hello from the callee", "relay: callee -> caller data")
        for c, peer in ((a, peer_of_caller), (k, peer_of_callee)):
            r = c.channel_bind(0x4001, peer)
            expect(r.cls == stun.SUCCESS, "relay: ChannelBind")
        a.send_channel(0x4001, b"\x80" + b"srtp-ish" * 20)
        got = k.receive(2.0, kind="channel")
        expect(got is not None and got[2] == b"\x80" + b"srtp-ish" * 20, "relay: ChannelData caller -> callee")

        # End: revocation reaches the relay; both allocations go within 1 s.
        sub = Resp(redis.port)
        sub.send("SUBSCRIBE", "umbra:revoke")
        sub.read()
        t0 = time.monotonic()
        r = b.request("DELETE", "/v1/calls/%s" % cid, bearer=csec)
        expect(r.status == 200, "end: DELETE by the caller")
        expect(sub.read() == [b"message", b"umbra:revoke", cid.encode()], "end: revocation published")
        sub.close()
        gone = {}
        while time.monotonic() - t0 < 1.0 and len(gone) < 2:
            for name, c in (("caller", a), ("callee", k)):
                if name in gone:
                    continue
                resp = c.refresh(600)
                if resp.cls == stun.ERROR:
                    gone[name] = (time.monotonic() - t0, resp.error_code())
            time.sleep(0.05)
        expect(len(gone) == 2, "relay: both allocations gone within 1 s (%s)" % gone)
        note("     teardown after %.0f ms / %.0f ms, errors %s"
             % (gone["caller"][0] * 1000, gone["callee"][0] * 1000,
                [gone[n][1] for n in gone]))
        a.send_indication(peer_of_caller, b"\x80after the end")
        expect(k.receive(0.5, kind="data") is None, "relay: no data relayed after the end")
        for ice in (call["ice_servers"][0], acc.json["ice_servers"][0]):
            c = stun.TurnClient(relay.host, relay.port, "udp", username=ice["username"],
                                password=ice["credential"])
            resp = c.allocate()
            c.close()
            expect(resp.cls == stun.ERROR, "relay: the call's credentials are refused afterwards (%s)"
                   % stun.describe_response(resp))
        a.close()
        k.close()
        ev = b.events(cid, "callee", ksec)
        expect(ev.json["events"] == [{"type": "ended"}], "callee: told the call ended")

        b.stop()
        h.stop(relay)
        with open(h.sensitive_path) as f:
            values = [l.strip() for l in f if l.strip()]
        for name, text in (("broker", b.log()), ("relay", relay.log_text())):
            expect(find_sensitive(text, values) == [], "%s log: no secret, token or credential" % name)
            expect(find_addresses(text) == [], "%s log: no address" % name)
        h.stop(redis)
    note("all checks passed")


if __name__ == "__main__":
    main()
