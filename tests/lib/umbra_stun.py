"""umbra_stun: a small STUN/TURN client for tests, written from RFC 8489 and
RFC 8656 with the Python standard library only.

It shares no code with umbra's C codec on purpose: a test that encoded its
requests with the code under test could not notice when both are wrong in the
same way.

Contents:
  Message            a parsed or to-be-built STUN message (method, class,
                     transaction id, ordered list of (type, value) attributes)
  encode()/decode()  bytes <-> Message; encode can add MESSAGE-INTEGRITY and
                     FINGERPRINT; decode is strict and raises StunError
  xor_address()      encode/decode XOR-*-ADDRESS values (IPv4 and IPv6)
  long_term_key()    MD5(username:realm:password), RFC 8489 section 9.2.2
  rest_credentials() TURN REST username/password, the form coturn's
                     use-auth-secret accepts: sealed "<expiry>:<token>"
                     (sealed_username(), libsodium through ctypes) or
                     plain "<expiry>:<name>"
  TurnClient         one client over UDP, TCP or TLS: requests with the
                     401/438 challenge handled, Allocate, Refresh,
                     CreatePermission, ChannelBind, Send indications and
                     ChannelData, and a receive queue for Data indications
                     and ChannelData

Everything raises StunError (or socket.timeout) on what it does not expect;
nothing is silently retried except UDP retransmission of requests.
"""

import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import ipaddress
import os
import socket
import ssl
import struct
import time
import zlib

MAGIC_COOKIE = 0x2112A442
FINGERPRINT_XOR = 0x5354554E

# Classes (RFC 8489 section 5).
REQUEST = 0
INDICATION = 1
SUCCESS = 2
ERROR = 3

# Methods.
BINDING = 0x001
ALLOCATE = 0x003
REFRESH = 0x004
SEND = 0x006
DATA = 0x007
CREATE_PERMISSION = 0x008
CHANNEL_BIND = 0x009

# Attributes.
MAPPED_ADDRESS = 0x0001
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
EVEN_PORT = 0x0018
REQUESTED_TRANSPORT = 0x0019
DONT_FRAGMENT = 0x001A
MESSAGE_INTEGRITY_SHA256 = 0x001C
XOR_MAPPED_ADDRESS = 0x0020
RESERVATION_TOKEN = 0x0022
SOFTWARE = 0x8022
ALTERNATE_SERVER = 0x8023
FINGERPRINT = 0x8028

TRANSPORT_UDP = 17


class StunError(Exception):
    pass


class Message:
    """A STUN message. attrs is an ordered list of (type, bytes)."""

    def __init__(self, method, cls, tid=None, attrs=None):
        self.method = method
        self.cls = cls
        self.tid = tid if tid is not None else os.urandom(12)
        self.attrs = list(attrs or [])
        self.raw = b""  # the bytes a decoded message came from
        self.offsets = []  # where each attribute starts in raw

    def add(self, atype, value):
        self.attrs.append((atype, bytes(value)))
        return self

    def get(self, atype):
        for t, v in self.attrs:
            if t == atype:
                return v
        return None

    def has(self, atype):
        return any(t == atype for t, _ in self.attrs)

    def error_code(self):
        """(code, reason) of ERROR-CODE, or None."""
        v = self.get(ERROR_CODE)
        if v is None:
            return None
        if len(v) < 4:
            raise StunError("ERROR-CODE shorter than 4 bytes")
        code = (v[2] & 0x7) * 100 + v[3]
        return code, v[4:].decode("utf-8", "replace")

    def address(self, atype):
        """(ip string, port) of an XOR-*-ADDRESS attribute, or None."""
        v = self.get(atype)
        if v is None:
            return None
        return xor_address_decode(v, self.tid)

    def describe(self):
        parts = [
            "method=0x%03x class=%s" % (self.method, ["request", "indication", "success", "error"][self.cls])
        ]
        ec = None
        try:
            ec = self.error_code()
        except StunError:
            pass
        if ec:
            parts.append("error=%d %r" % ec)
        parts.append("attrs=[%s]" % ", ".join("0x%04x" % t for t, _ in self.attrs))
        return " ".join(parts)


def message_type(method, cls):
    return (
        (method & 0x000F)
        | ((method & 0x0070) << 1)
        | ((method & 0x0F80) << 2)
        | ((cls & 1) << 4)
        | ((cls & 2) << 7)
    )


def split_type(mtype):
    method = (mtype & 0x000F) | ((mtype & 0x00E0) >> 1) | ((mtype & 0x3E00) >> 2)
    cls = ((mtype >> 4) & 1) | ((mtype >> 7) & 2)
    return method, cls


def _pad(n):
    return (4 - n % 4) % 4


def _attr_bytes(atype, value):
    return struct.pack("!HH", atype, len(value)) + value + b"\0" * _pad(len(value))


def encode(msg, key=None, fingerprint=False, sha256_key=None):
    """Serialises msg. With key adds MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489
    section 14.5); with sha256_key adds MESSAGE-INTEGRITY-SHA256; with
    fingerprint adds FINGERPRINT last."""
    body = b"".join(_attr_bytes(t, v) for t, v in msg.attrs)
    mtype = message_type(msg.method, msg.cls)

    def header(length):
        return struct.pack("!HHI", mtype, length, MAGIC_COOKIE) + msg.tid

    if key is not None:
        mac = hmac.new(key, header(len(body) + 24) + body, hashlib.sha1).digest()
        body += _attr_bytes(MESSAGE_INTEGRITY, mac)
    if sha256_key is not None:
        mac = hmac.new(sha256_key, header(len(body) + 36) + body, hashlib.sha256).digest()
        body += _attr_bytes(MESSAGE_INTEGRITY_SHA256, mac)
    if fingerprint:
        crc = zlib.crc32(header(len(body) + 8) + body) ^ FINGERPRINT_XOR
        body += _attr_bytes(FINGERPRINT, struct.pack("!I", crc & 0xFFFFFFFF))
    return header(len(body)) + body


def decode(data):
    """Parses one STUN message that fills data exactly. Raises StunError."""
    if len(data) < 20:
        raise StunError("message shorter than the 20-byte header (%d bytes)" % len(data))
    mtype, length, cookie = struct.unpack("!HHI", data[:8])
    if mtype & 0xC000:
        raise StunError("first two bits of the message type are not zero")
    if cookie != MAGIC_COOKIE:
        raise StunError("bad magic cookie 0x%08x" % cookie)
    if length % 4 or 20 + length != len(data):
        raise StunError("length field %d does not match %d bytes" % (length, len(data)))
    method, cls = split_type(mtype)
    msg = Message(method, cls, data[8:20])
    msg.raw = bytes(data)
    off = 20
    while off < len(data):
        if off + 4 > len(data):
            raise StunError("truncated attribute header at offset %d" % off)
        atype, alen = struct.unpack("!HH", data[off : off + 4])
        if off + 4 + alen > len(data):
            raise StunError("attribute 0x%04x of length %d overruns the message" % (atype, alen))
        msg.attrs.append((atype, data[off + 4 : off + 4 + alen]))
        msg.offsets.append(off)
        off += 4 + alen + _pad(alen)
    if off != len(data):
        raise StunError("attribute padding overruns the message")
    return msg


def check_integrity(msg, key):
    """True if msg (decoded from bytes) carries a MESSAGE-INTEGRITY valid for key."""
    for (t, v), off in zip(msg.attrs, msg.offsets):
        if t == MESSAGE_INTEGRITY:
            hdr = bytearray(msg.raw[:20])
            struct.pack_into("!H", hdr, 2, off + 24 - 20)
            mac = hmac.new(key, bytes(hdr) + msg.raw[20:off], hashlib.sha1).digest()
            return hmac.compare_digest(mac, v)
    return False


def check_fingerprint(msg):
    """True if msg ends with a correct FINGERPRINT; None if it has none."""
    if not msg.attrs or msg.attrs[-1][0] != FINGERPRINT:
        return None
    off = msg.offsets[-1]
    crc = zlib.crc32(msg.raw[:off]) ^ FINGERPRINT_XOR
    return struct.pack("!I", crc & 0xFFFFFFFF) == msg.attrs[-1][1]


def xor_address(ip, port, tid, family=None):
    """Value of an XOR-*-ADDRESS attribute. family forces the family byte
    (1 = IPv4, 2 = IPv6) for tests that send a mismatched one."""
    addr = ipaddress.ip_address(ip)
    raw = addr.packed
    fam = family if family is not None else (1 if addr.version == 4 else 2)
    mask = struct.pack("!I", MAGIC_COOKIE) + tid
    xored = bytes(b ^ mask[i] for i, b in enumerate(raw))
    return struct.pack("!BBH", 0, fam, port ^ (MAGIC_COOKIE >> 16)) + xored


def xor_address_decode(value, tid):
    if len(value) < 4:
        raise StunError("address attribute shorter than 4 bytes")
    _, fam, xport = struct.unpack("!BBH", value[:4])
    want = {1: 4, 2: 16}.get(fam)
    if want is None or len(value) != 4 + want:
        raise StunError("address attribute: family %d with %d bytes" % (fam, len(value) - 4))
    mask = struct.pack("!I", MAGIC_COOKIE) + tid
    raw = bytes(b ^ mask[i] for i, b in enumerate(value[4:]))
    return str(ipaddress.ip_address(raw)), xport ^ (MAGIC_COOKIE >> 16)


def long_term_key(username, realm, password):
    return hashlib.md5(("%s:%s:%s" % (username, realm, password)).encode()).digest()


def rest_password(secret, username):
    """base64(HMAC-SHA1(secret, username)), the TURN REST password."""
    if isinstance(secret, str):
        secret = secret.encode()
    return base64.b64encode(hmac.new(secret, username.encode(), hashlib.sha1).digest()).decode()


_SODIUM = None


def _sodium():
    """libsodium through ctypes (standard library), loaded once."""
    global _SODIUM
    if _SODIUM is None:
        name = ctypes.util.find_library("sodium") or "libsodium.so.23"
        lib = ctypes.CDLL(name)
        if lib.sodium_init() < 0:
            raise StunError("sodium_init failed")
        _SODIUM = lib
    return _SODIUM


TOKEN_CALL_ID_MAX = 48


def sealed_username(secret, expiry, call, party=0):
    """ "<expiry>:<token>" as umbra-broker makes it (common/turn_rest.h),
    written here from the documented format, not with umbra's code: token =
    base64url, no padding, of a 24-byte random nonce and the
    XChaCha20-Poly1305-IETF sealing of version 1 | party | call id length |
    call id zero-padded to 48, with "<expiry>:" as additional data, under
    BLAKE2b-256(secret, personal "umbra turn user1")."""
    if isinstance(secret, str):
        secret = secret.encode()
    cid = call.encode()
    if not 1 <= len(cid) <= TOKEN_CALL_ID_MAX:
        raise ValueError("call id of 1..48 bytes")
    lib = _sodium()
    key = ctypes.create_string_buffer(32)
    personal = ctypes.create_string_buffer(b"umbra turn user1", 16)
    if lib.crypto_generichash_blake2b_salt_personal(
            key, ctypes.c_size_t(32), secret, ctypes.c_ulonglong(len(secret)), None,
            ctypes.c_size_t(0), None, personal) != 0:
        raise StunError("BLAKE2b failed")
    plain = bytes([1, party, len(cid)]) + cid + b"\0" * (TOKEN_CALL_ID_MAX - len(cid))
    head = ("%d:" % expiry).encode()
    nonce = os.urandom(24)
    out = ctypes.create_string_buffer(len(plain) + 16)
    out_len = ctypes.c_ulonglong(0)
    if lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
            out, ctypes.byref(out_len), plain, ctypes.c_ulonglong(len(plain)), head,
            ctypes.c_ulonglong(len(head)), None, nonce, key) != 0:
        raise StunError("AEAD failed")
    token = base64.urlsafe_b64encode(nonce + out.raw[:out_len.value]).rstrip(b"=")
    return (head + token).decode()


def rest_credentials(secret, ttl=600, call="call-1", pseudonym="p-1", now=None, party=0):
    """(username, password) valid for ttl seconds (negative: already
    expired). With a call: the sealed "<expiry>:<token>" the broker hands
    out, carrying call and party (pseudonym unused); with call=None the
    plain REST form "<expiry>:<pseudonym>" other services make."""
    expiry = int(now if now is not None else time.time()) + ttl
    if call is None:
        username = "%d:%s" % (expiry, pseudonym)
    else:
        username = sealed_username(secret, expiry, call, party)
    return username, rest_password(secret, username)


def channel_data(channel, payload, tcp=False):
    frame = struct.pack("!HH", channel, len(payload)) + payload
    if tcp:
        frame += b"\0" * _pad(len(payload))
    return frame


class TurnClient:
    """One TURN client over 'udp', 'tcp' or 'tls' toward (host, port).

    Requests are answered by their transaction id; everything else that
    arrives meanwhile (Data indications, ChannelData, stray responses) is
    kept in self.inbox as ('data', peer, payload), ('channel', number,
    payload) or ('stun', Message)."""

    def __init__(self, host, port, transport="udp", username=None, password=None,
                 timeout=5.0, server_hostname=None, cafile=None, source=None):
        self.server = (host, port)
        self.transport = transport
        self.username = username
        self.password = password
        self.timeout = timeout
        self.realm = None
        self.nonce = None
        self.key = None
        self.inbox = []
        self.relayed = None
        self.mapped = None
        self.last = None  # the last final response, for error messages
        self._buf = b""
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        if transport == "udp":
            self.sock = socket.socket(fam, socket.SOCK_DGRAM)
            if source is not None:  # e.g. 127.0.0.2: another client IP on loopback
                self.sock.bind((source, 0))
            self.sock.connect(self.server)
        elif transport in ("tcp", "tls"):
            raw = socket.create_connection(self.server, timeout=timeout)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if transport == "tls":
                ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                if not cafile:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                raw = ctx.wrap_socket(raw, server_hostname=server_hostname or host)
            self.sock = raw
        else:
            raise ValueError("transport must be udp, tcp or tls")
        self.local = self.sock.getsockname()[:2]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- raw I/O ---------------------------------------------------------

    def send_raw(self, data):
        if self.transport == "udp":
            self.sock.send(data)
        else:
            self.sock.sendall(data)

    def _read_stream(self, n, deadline):
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the %s connection" % self.transport)
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def recv_frame(self, timeout):
        """One STUN message or ChannelData frame as bytes."""
        deadline = time.monotonic() + timeout
        if self.transport == "udp":
            self.sock.settimeout(max(timeout, 0.001))
            return self.sock.recv(65536)
        head = self._read_stream(4, deadline)
        first, length = struct.unpack("!HH", head)
        if first & 0xC000 == 0:
            return head + self._read_stream(16 + length, deadline)
        return head + self._read_stream(length + _pad(length), deadline)[:length]

    def _dispatch(self, frame):
        """Returns a Message for STUN frames; queues ChannelData."""
        if len(frame) >= 4 and 0x40 <= frame[0] <= 0x7F:
            channel, length = struct.unpack("!HH", frame[:4])
            if length > len(frame) - 4:
                raise StunError("ChannelData claims %d bytes, has %d" % (length, len(frame) - 4))
            self.inbox.append(("channel", channel, frame[4 : 4 + length]))
            return None
        msg = decode(frame)
        if msg.cls == INDICATION and msg.method == DATA:
            peer = msg.address(XOR_PEER_ADDRESS)
            self.inbox.append(("data", peer, msg.get(DATA_ATTR)))
            return None
        return msg

    def exchange(self, msg, key=None, fingerprint=False, timeout=None):
        """Sends msg and returns the response with the same transaction id.
        UDP requests are retransmitted (RTO 250 ms, doubling)."""
        timeout = self.timeout if timeout is None else timeout
        data = encode(msg, key=key, fingerprint=fingerprint)
        deadline = time.monotonic() + timeout
        rto = 0.25
        self.send_raw(data)
        next_send = time.monotonic() + rto
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise socket.timeout("no response to method 0x%03x within %.1fs" % (msg.method, timeout))
            wait = min(deadline, next_send) - now if self.transport == "udp" else deadline - now
            try:
                frame = self.recv_frame(wait)
            except socket.timeout:
                if self.transport == "udp" and time.monotonic() >= next_send:
                    self.send_raw(data)
                    rto *= 2
                    next_send = time.monotonic() + rto
                continue
            got = self._dispatch(frame)
            if got is None:
                continue
            if got.tid == msg.tid and got.cls in (SUCCESS, ERROR):
                self.last = got
                return got
            self.inbox.append(("stun", got))

    # -- authenticated requests -------------------------------------------

    def request(self, method, attrs=(), auth=True, fingerprint=True, timeout=None):
        """A request with long-term credentials. Answers the first 401 (and
        any 438) by taking REALM and NONCE and trying again. An attribute
        value may be a function of the transaction id (XOR-PEER-ADDRESS is),
        since each try is a new transaction. Returns the final response
        Message; check .cls yourself."""
        tries = 0
        while True:
            msg = Message(method, REQUEST)
            for t, v in attrs:
                msg.add(t, v(msg.tid) if callable(v) else v)
            key = None
            if auth and self.nonce is not None:
                msg.add(USERNAME, self.username.encode())
                msg.add(REALM, self.realm)
                msg.add(NONCE, self.nonce)
                key = self.key
            resp = self.exchange(msg, key=key, fingerprint=fingerprint, timeout=timeout)
            ec = resp.error_code() if resp.cls == ERROR else None
            retry = auth and ec is not None and tries < 2 and (
                (ec[0] == 401 and key is None) or ec[0] == 438)
            if not retry:
                return resp
            tries += 1
            realm, nonce = resp.get(REALM), resp.get(NONCE)
            if nonce is None or (realm is None and self.realm is None):
                raise StunError("%d response without REALM/NONCE" % ec[0])
            self.nonce = nonce
            if realm is not None:
                self.realm = realm
            self.key = long_term_key(self.username, self.realm.decode(), self.password)

    def allocate(self, lifetime=None, extra=()):
        attrs = [(REQUESTED_TRANSPORT, bytes([TRANSPORT_UDP, 0, 0, 0]))]
        if lifetime is not None:
            attrs.append((LIFETIME, struct.pack("!I", lifetime)))
        attrs.extend(extra)
        resp = self.request(ALLOCATE, attrs)
        if resp.cls == SUCCESS:
            self.relayed = resp.address(XOR_RELAYED_ADDRESS)
            self.mapped = resp.address(XOR_MAPPED_ADDRESS)
        return resp

    def refresh(self, lifetime):
        return self.request(REFRESH, [(LIFETIME, struct.pack("!I", lifetime))])

    @staticmethod
    def _peer(peer, family=None):
        ip, port = peer
        return (XOR_PEER_ADDRESS, lambda tid: xor_address(ip, port, tid, family))

    def create_permission(self, *peers, family=None):
        return self.request(CREATE_PERMISSION, [self._peer(p, family) for p in peers])

    def channel_bind(self, channel, peer, family=None):
        return self.request(CHANNEL_BIND, [(CHANNEL_NUMBER, struct.pack("!HH", channel, 0)),
                                           self._peer(peer, family)])

    def send_indication(self, peer, payload):
        msg = Message(SEND, INDICATION)
        msg.add(XOR_PEER_ADDRESS, xor_address(peer[0], peer[1], msg.tid))
        msg.add(DATA_ATTR, payload)
        self.send_raw(encode(msg, fingerprint=True))

    def send_channel(self, channel, payload):
        self.send_raw(channel_data(channel, payload, tcp=self.transport != "udp"))

    def receive(self, timeout=2.0, kind=None):
        """Next queued or arriving ('data'|'channel'|'stun', ...) item of
        the given kind, or None after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for i, item in enumerate(self.inbox):
                if kind is None or item[0] == kind:
                    return self.inbox.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                frame = self.recv_frame(left)
            except socket.timeout:
                return None
            got = self._dispatch(frame)
            if got is not None:
                self.inbox.append(("stun", got))


def describe_response(resp):
    """One line naming a response for failure messages."""
    return resp.describe() if resp is not None else "no response"
