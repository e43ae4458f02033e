"""Malformed input to umbra-relay while a well-behaved client keeps working.

First, precise answers (authenticated requests, UDP and TCP):
  Allocate with an unknown comprehension-required attribute -> 420 with
      UNKNOWN-ATTRIBUTES naming it; an unknown comprehension-optional one is
      ignored (success)
  Allocate with LIFETIME of 2 bytes, or without REQUESTED-TRANSPORT -> 400
  Allocate with a corrupted MESSAGE-INTEGRITY -> 401
  Binding with a wrong FINGERPRINT -> dropped or 400, never success

Then a flood for FLOOD_SECONDS from 8 UDP sockets and a stream of TCP
connections (random bytes, truncated STUN, lengths that lie, attributes
overrunning the message, bad magic cookies, unknown comprehension-required
attributes, bad FINGERPRINTs, responses sent to the server, oversized
datagrams and frames, ChannelData on unbound channels). Every answer the
flood gets must be a STUN error response (400, 401, 403, 420, 437) without
SOFTWARE; nothing else. Meanwhile a good client keeps running full cycles
(Allocate x2, CreatePermission, Send/Data, ChannelBind, ChannelData,
Refresh 0) over UDP and TCP; each cycle must succeed. Afterwards the relay
is alive, answers, exits cleanly on SIGTERM and its log has no sanitizer
report.
"""

import os
import random
import socket
import struct
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import umbra_stun as stun  # noqa: E402
from umbra_harness import Harness, fail, note, run  # noqa: E402

SECRET = "malformed-rest-secret-61c0"
FLOOD_SECONDS = 8.0
ALLOWED_CODES = {400, 401, 403, 420, 437}
UNKNOWN_REQUIRED = 0x0777
UNKNOWN_OPTIONAL = 0x8777

class _ThreadRng(threading.local):
    """One seeded generator per thread, so each flood is the same every run."""

    def __init__(self):
        self.r = random.Random(0x5EED ^ zlib.crc32(threading.current_thread().name.encode()))


_rng = _ThreadRng()


class _Rng:
    def __getattr__(self, name):
        return getattr(_rng.r, name)


rng = _Rng()


def hdr(mtype, length, cookie=stun.MAGIC_COOKIE, tid=None):
    return struct.pack("!HHI", mtype, length, cookie) + (tid or rng.randbytes(12))


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)


ALLOC_T = stun.message_type(stun.ALLOCATE, stun.REQUEST)
BIND_T = stun.message_type(stun.BINDING, stun.REQUEST)
REFRESH_T = stun.message_type(stun.REFRESH, stun.REQUEST)
PERM_T = stun.message_type(stun.CREATE_PERMISSION, stun.REQUEST)
SEND_T = stun.message_type(stun.SEND, stun.INDICATION)


def g_random():
    return rng.randbytes(rng.randint(1, 1400))


def g_truncated():
    body = attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0") + attr(stun.LIFETIME, b"\0\0\x02\x58")
    full = hdr(ALLOC_T, len(body)) + body
    return full[: rng.randint(1, len(full) - 1)]


def g_bad_length():
    body = attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")
    lie = rng.choice([len(body) + 4, len(body) - 4, len(body) + 1, 3, 0xFFFC, 0xFFFF])
    return hdr(rng.choice([ALLOC_T, BIND_T, REFRESH_T]), lie) + body


def g_bad_attr_length():
    body = struct.pack("!HH", rng.choice([stun.USERNAME, stun.REQUESTED_TRANSPORT, stun.XOR_PEER_ADDRESS,
                                          stun.MESSAGE_INTEGRITY, stun.FINGERPRINT, 0x0777]),
                       rng.choice([200, 0xFFFF, 9, 5])) + rng.randbytes(8)
    return hdr(rng.choice([ALLOC_T, PERM_T, BIND_T]), len(body)) + body


def g_bad_cookie():
    body = attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")
    return hdr(ALLOC_T, len(body), cookie=rng.getrandbits(32)) + body


def g_unknown_attr():
    body = attr(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0") + attr(rng.choice([0x0777, 0x0030, 0x7FFE]), b"abcd")
    return hdr(rng.choice([ALLOC_T, BIND_T]), len(body)) + body


def g_bad_fingerprint():
    m = stun.Message(rng.choice([stun.ALLOCATE, stun.BINDING]), stun.REQUEST)
    m.add(stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")
    raw = bytearray(stun.encode(m, fingerprint=True))
    raw[-1] ^= 0x5A
    return bytes(raw)


def g_wrong_sizes():
    body = rng.choice([
        attr(stun.LIFETIME, b"\0\x01"),
        attr(stun.REQUESTED_TRANSPORT, b"\x11"),
        attr(stun.XOR_PEER_ADDRESS, b"\0\x03\0\0\1\2\3\4"),
        attr(stun.XOR_PEER_ADDRESS, b"\0\x01\0\0\1\2"),
        attr(stun.USERNAME, b"u" * 700),
        attr(stun.CHANNEL_NUMBER, b"\x40"),
        attr(stun.MESSAGE_INTEGRITY, b"\0" * 7),
        attr(stun.ERROR_CODE, b"\0"),
    ])
    return hdr(rng.choice([ALLOC_T, PERM_T, REFRESH_T, BIND_T]), len(body)) + body


def g_response_class():
    cls = rng.choice([stun.SUCCESS, stun.ERROR, stun.INDICATION])
    body = attr(stun.XOR_PEER_ADDRESS, stun.xor_address("127.0.0.1", 9, b"\0" * 12)) + attr(stun.DATA_ATTR, b"x")
    return hdr(stun.message_type(rng.choice([stun.ALLOCATE, stun.SEND, stun.DATA]), cls), len(body)) + body


def g_oversized():
    n = rng.choice([1600, 4000, 9000, 65000])
    body = attr(0x8777, rng.randbytes(min(n, 65000)))[: 65507 - 20]
    return hdr(ALLOC_T, len(body) & 0xFFFF) + body


def g_channel_data():
    ch = rng.randint(0x4000, 0x7FFF)
    payload = rng.randbytes(rng.randint(0, 200))
    lie = rng.choice([len(payload), len(payload) + 50, 0xFFFF])
    return struct.pack("!HH", ch, lie) + payload


def g_send_no_alloc():
    tid = rng.randbytes(12)
    body = attr(stun.XOR_PEER_ADDRESS, stun.xor_address("127.0.0.1", 9, tid)) + attr(stun.DATA_ATTR, b"hi")
    return hdr(SEND_T, len(body), tid=tid) + body


GENERATORS = [g_random, g_truncated, g_bad_length, g_bad_attr_length, g_bad_cookie, g_unknown_attr,
              g_bad_fingerprint, g_wrong_sizes, g_response_class, g_oversized, g_channel_data,
              g_send_no_alloc]


class Verdict:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {"udp": 0, "tcp": 0}
        self.answers = {}
        self.bad = []

    def answer(self, frame, where):
        with self.lock:
            try:
                msg = stun.decode(frame)
            except stun.StunError as e:
                self.bad.append("%s: undecodable reply (%s): %s" % (where, e, frame[:40].hex()))
                return
            ec = msg.error_code() if msg.cls == stun.ERROR else None
            if ec is None or ec[0] not in ALLOWED_CODES:
                self.bad.append("%s: reply %s" % (where, msg.describe()))
            elif msg.has(stun.SOFTWARE):
                self.bad.append("%s: reply with SOFTWARE %s" % (where, msg.describe()))
            else:
                self.answers[ec[0]] = self.answers.get(ec[0], 0) + 1


def drain_udp(sock, verdict):
    while True:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, ConnectionRefusedError):
            return
        verdict.answer(data, "UDP flood")


# The flood comes from another address than the good client's: the relay
# answers unauthenticated requests only within a rate per source address
# (unauth-rate), so a good client sharing the flood's address could wait
# for its first, unauthenticated Allocate to be answered.
FLOOD_SOURCE = "127.0.0.2"


def udp_flood(relay, verdict, stop_at):
    socks = []
    for _ in range(8):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        s.bind((FLOOD_SOURCE, 0))
        s.connect((relay.host, relay.port))
        s.setblocking(False)
        socks.append(s)
    i = 0
    while time.monotonic() < stop_at:
        for _ in range(60):
            pkt = GENERATORS[i % len(GENERATORS)]()
            s = socks[i % len(socks)]
            i += 1
            try:
                s.send(pkt[:65507])
                verdict.sent["udp"] += 1
            except (BlockingIOError, ConnectionRefusedError, OSError):
                pass
        for s in socks:
            drain_udp(s, verdict)
        time.sleep(0.01)
    time.sleep(0.5)
    for s in socks:
        drain_udp(s, verdict)
        s.close()


def read_tcp_answers(sock, verdict, wait):
    """Frames the relay sent back on a flood connection (it may also close)."""
    buf = b""
    sock.settimeout(wait)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (socket.timeout, ConnectionResetError, OSError):
        pass
    while len(buf) >= 4:
        first, length = struct.unpack("!HH", buf[:4])
        if first & 0xC000:
            verdict.bad.append("TCP flood: non-STUN frame from the relay: %s" % buf[:40].hex())
            return
        if len(buf) < 20 + length:
            verdict.bad.append("TCP flood: truncated reply from the relay: %s" % buf[:40].hex())
            return
        verdict.answer(buf[: 20 + length], "TCP flood")
        buf = buf[20 + length:]


def tcp_flood(relay, verdict, stop_at):
    n = 0
    while time.monotonic() < stop_at:
        try:
            s = socket.create_connection((relay.host, relay.port), timeout=2,
                                         source_address=(FLOOD_SOURCE, 0))
        except OSError as e:
            verdict.bad.append("TCP flood: connect failed: %s" % e)
            return
        try:
            for _ in range(rng.randint(5, 40)):
                g = GENERATORS[n % len(GENERATORS)]
                n += 1
                s.sendall(g())
                verdict.sent["tcp"] += 1
        except OSError:
            pass  # the relay may close a connection that sent garbage
        read_tcp_answers(s, verdict, 0.05)
        s.close()


def authed_client(h, relay, transport, name):
    u, p = h.rest_credentials(SECRET, call="malformed-call", pseudonym=name)
    c = stun.TurnClient(relay.host, relay.port, transport, u, p, timeout=5.0)
    r = c.request(stun.REFRESH, [(stun.LIFETIME, b"\0\0\0\0")])
    # Refresh without an allocation: after the 401 challenge the client has
    # a nonce; the answer itself (437) does not matter here.
    if c.nonce is None:
        fail("no NONCE from the relay's 401 challenge: %s" % r.describe())
    return c


def raw_authed(c, method, attrs, corrupt_mi=False):
    msg = stun.Message(method, stun.REQUEST)
    for t, v in attrs:
        msg.add(t, v)
    msg.add(stun.USERNAME, c.username.encode())
    msg.add(stun.REALM, c.realm)
    msg.add(stun.NONCE, c.nonce)
    raw = bytearray(stun.encode(msg, key=c.key, fingerprint=True))
    if corrupt_mi:
        # MESSAGE-INTEGRITY value sits 8 (FINGERPRINT) + 20 bytes from the end.
        raw[-8 - 20] ^= 0xFF
        crc = (zlib.crc32(bytes(raw[:-8])) ^ stun.FINGERPRINT_XOR) & 0xFFFFFFFF
        raw[-4:] = struct.pack("!I", crc)
    c.send_raw(bytes(raw))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            frame = c.recv_frame(deadline - time.monotonic())
        except socket.timeout:
            break
        got = c._dispatch(frame)
        if got is not None and got.tid == msg.tid:
            return got
    return None


problems = []


def problem(message):
    """Records a failure and goes on, so one run lists every wrong answer."""
    sys.stderr.write("FAIL: %s\n" % message)
    problems.append(message)


def precise_answers(h, relay):
    rt = (stun.REQUESTED_TRANSPORT, b"\x11\0\0\0")
    for transport in ("udp", "tcp"):
        c = authed_client(h, relay, transport, "precise-" + transport)
        T = transport.upper()
        r = raw_authed(c, stun.ALLOCATE, [rt, (UNKNOWN_REQUIRED, b"abcd")])
        ec = r.error_code() if r is not None and r.cls == stun.ERROR else None
        ua = (r.get(stun.UNKNOWN_ATTRIBUTES) if r is not None else None) or b""
        listed = [struct.unpack("!H", ua[i:i + 2])[0] for i in range(0, len(ua) - 1, 2)]
        if ec is None or ec[0] != 420:
            problem("%s: authenticated Allocate with unknown attribute 0x%04x: expected 420, got %s"
                 % (T, UNKNOWN_REQUIRED, stun.describe_response(r)))
        elif UNKNOWN_REQUIRED not in listed:
            problem("%s: 420 response does not list 0x%04x in UNKNOWN-ATTRIBUTES (got %s)"
                 % (T, UNKNOWN_REQUIRED, ["0x%04x" % x for x in listed]))
        else:
            note("ok: %s authenticated Allocate with 0x%04x -> 420, UNKNOWN-ATTRIBUTES lists it"
                 % (T, UNKNOWN_REQUIRED))
        if r is not None and r.cls == stun.SUCCESS:
            c.refresh(0)

        for what, attrs, corrupt, code in [
            ("LIFETIME of 2 bytes", [rt, (stun.LIFETIME, b"\0\x01")], False, 400),
            ("no REQUESTED-TRANSPORT", [], False, 400),
            ("corrupted MESSAGE-INTEGRITY", [rt], True, 401),
        ]:
            r = raw_authed(c, stun.ALLOCATE, attrs, corrupt)
            ec = r.error_code() if r is not None and r.cls == stun.ERROR else None
            if ec is None or ec[0] != code:
                problem("%s: authenticated Allocate with %s: expected %d, got %s"
                     % (T, what, code, stun.describe_response(r)))
                if r is not None and r.cls == stun.SUCCESS:
                    c.refresh(0)  # free it, so the next request is not a 437
            else:
                note("ok: %s Allocate with %s -> %d" % (T, what, code))

        r = raw_authed(c, stun.ALLOCATE, [rt, (UNKNOWN_OPTIONAL, b"ignored!")])
        if r is None or r.cls != stun.SUCCESS:
            problem("%s: Allocate with unknown comprehension-optional 0x%04x: expected success, got %s"
                 % (T, UNKNOWN_OPTIONAL, stun.describe_response(r)))
        else:
            note("ok: %s Allocate with comprehension-optional 0x%04x -> success" % (T, UNKNOWN_OPTIONAL))
        c.refresh(0)
        c.close()

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((relay.host, relay.port))
    s.settimeout(1.0)
    s.send(g_bad_fingerprint())
    try:
        r = stun.decode(s.recv(65536))
        ec = r.error_code() if r.cls == stun.ERROR else None
        if ec is None or ec[0] not in (400, 401, 403):
            problem("request with a wrong FINGERPRINT answered with %s (expected drop or 400)" % r.describe())
        else:
            note("ok: request with a wrong FINGERPRINT refused (%d)" % ec[0])
    except socket.timeout:
        note("ok: request with a wrong FINGERPRINT dropped")
    s.close()


def good_cycle(h, relay, n, transport):
    """One full TURN exchange between two fresh allocations. Returns None or
    a description of what failed."""
    ua, pa = h.rest_credentials(SECRET, call="good-%d" % n, pseudonym="a")
    ub, pb = h.rest_credentials(SECRET, call="good-%d" % n, pseudonym="b")
    try:
        with stun.TurnClient(relay.host, relay.port, transport, ua, pa, timeout=6) as a, \
                stun.TurnClient(relay.host, relay.port, "udp", ub, pb, timeout=6) as b:
            for who, c in (("A", a), ("B", b)):
                r = c.allocate()
                if r.cls != stun.SUCCESS:
                    return "Allocate %s: %s" % (who, r.describe())
            for who, c, peer in (("A", a, b.relayed), ("B", b, a.relayed)):
                r = c.create_permission(peer)
                if r.cls != stun.SUCCESS:
                    return "CreatePermission %s: %s" % (who, r.describe())
            payload = b"\x80good-%d-send" % n
            got = None
            for _ in range(3):  # UDP may lose a datagram in the flood; STUN retries too
                a.send_indication(b.relayed, payload)
                got = b.receive(1.0, kind="data")
                if got:
                    break
            if not got or got[2] != payload or tuple(got[1]) != tuple(a.relayed):
                return "Send A->B: B got %r" % (got,)
            r = b.channel_bind(0x4000 + n % 0x1000, a.relayed)
            if r.cls != stun.SUCCESS:
                return "ChannelBind B: %s" % r.describe()
            payload = b"\x80good-%d-channel" % n
            for _ in range(3):
                b.send_channel(0x4000 + n % 0x1000, payload)
                got = a.receive(1.0, kind="data")
                if got:
                    break
            if not got or got[2] != payload:
                return "ChannelData B->A: A got %r" % (got,)
            for who, c in (("A", a), ("B", b)):
                r = c.refresh(0)
                if r.cls != stun.SUCCESS:
                    return "Refresh 0 %s: %s" % (who, r.describe())
    except (OSError, stun.StunError) as e:
        return "%s: %s" % (type(e).__name__, e)
    return None


def main():
    with Harness("relay_malformed", port_base=21400, port_count=100) as h:
        secrets = h.write_secrets([SECRET])
        relay = h.start_relay(auth_secret_file=secrets, tls=False, relay_port_count=60)
        precise_answers(h, relay)

        verdict = Verdict()
        stop_at = time.monotonic() + FLOOD_SECONDS
        threads = [threading.Thread(target=udp_flood, args=(relay, verdict, stop_at), name="udp-flood",
                                    daemon=True),
                   threading.Thread(target=tcp_flood, args=(relay, verdict, stop_at), name="tcp-flood",
                                    daemon=True)]
        for t in threads:
            t.start()
        cycles, failures = 0, []
        while time.monotonic() < stop_at:
            transport = "tcp" if cycles % 2 else "udp"
            err = good_cycle(h, relay, cycles, transport)
            cycles += 1
            if err:
                failures.append("cycle %d (%s): %s" % (cycles, transport, err))
            time.sleep(0.25)  # a steady client, not a second flood
            if not relay.alive():
                fail("umbra-relay died during the flood (status %s); log tail:\n%s"
                     % (relay.proc.returncode, relay.log_tail()))
        for t in threads:
            t.join(30)
        note("flood: %d UDP datagrams, %d TCP frames; answers by code %s; good cycles %d"
             % (verdict.sent["udp"], verdict.sent["tcp"], dict(sorted(verdict.answers.items())), cycles))
        if not relay.alive():
            fail("umbra-relay died during the flood; log tail:\n%s" % relay.log_tail())
        if verdict.bad:
            problem("%d bad replies to the flood, first ones:\n%s" % (len(verdict.bad), "\n".join(verdict.bad[:10])))
        if failures:
            problem("the good client failed %d of %d cycles during the flood:\n%s"
                 % (len(failures), cycles, "\n".join(failures[:10])))
        if cycles < 3 or verdict.sent["udp"] < 3000 or verdict.sent["tcp"] < 300:
            problem("flood too small to mean anything: %d cycles, %d UDP, %d TCP"
                 % (cycles, verdict.sent["udp"], verdict.sent["tcp"]))
        err = good_cycle(h, relay, cycles, "udp")
        if err:
            problem("good client after the flood: %s" % err)
        else:
            note("ok: good client works after the flood")
        h.stop(relay)
    if problems:
        fail("%d problem(s):\n  %s" % (len(problems), "\n  ".join(problems)))
    note("PASS")


if __name__ == "__main__":
    run(main)
