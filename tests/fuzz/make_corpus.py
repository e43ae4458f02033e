#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz (python3 standard library only).

The RFC 5769 vectors are taken from tests/unit/test_stun_msg.c, where they
are transcribed from the RFC. The other messages are built here with
hmac/hashlib/zlib, apart from the C codec, so the unit tests can also check
the codec against them. The two allocate-auth-* requests carry a nonce that
is valid for the fuzz target's fixed nonce key (32 bytes of 0x5a) at its
fixed clock (1700000000), and credentials the fuzz target (and
test_stun_auth) configure: realm "realm", REST secret "secret", static user
"user" / "password".

corpus/broker/ holds the request bodies of tests/integration/broker_api.py,
each behind the byte that picks its endpoint in fuzz_broker_req.c.

usage: python3 tests/fuzz/make_corpus.py   (from the source root)
"""
import base64
import json
import hashlib
import hmac
import os
import re
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
COOKIE = 0x2112A442
TXID = bytes(range(1, 13))
NONCE_KEY = b'\x5a' * 32


def attr(typ, value):
    return struct.pack('!HH', typ, len(value)) + value + b'\0' * (-len(value) % 4)


def message(typ, attrs, key=None, sha256=False, fingerprint=True):
    body = b''.join(attrs)

    def header(extra):
        return struct.pack('!HHI', typ, len(body) + extra, COOKIE) + TXID

    if key is not None:
        if sha256:
            body += attr(0x001C, hmac.new(key, header(36) + body, hashlib.sha256).digest())
        else:
            body += attr(0x0008, hmac.new(key, header(24) + body, hashlib.sha1).digest())
    if fingerprint:
        crc = (zlib.crc32(header(8) + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack('!I', crc))
    return header(0) + body


def xor_address(ip4, port):
    x = bytes(a ^ b for a, b in zip(bytes(ip4), struct.pack('!I', COOKIE)))
    return struct.pack('!BBH', 0, 1, port ^ (COOKIE >> 16)) + x


def channel_data(channel, data, pad=True):
    return struct.pack('!HH', channel, len(data)) + data + (b'\0' * (-len(data) % 4) if pad else b'')


def rfc5769_vectors():
    src = open(os.path.join(HERE, '..', 'unit', 'test_stun_msg.c')).read()
    names = {'rfc5769-request': 'rfc_request_hex', 'rfc5769-ipv4-response': 'rfc_ipv4_hex',
             'rfc5769-ipv6-response': 'rfc_ipv6_hex', 'rfc5769-long-term': 'rfc_long_term_hex'}
    out = {}
    for name, var in names.items():
        body = re.search(r'static const char %s\[\] =(.*?);' % var, src, re.S).group(1)
        out[name] = bytes.fromhex(''.join(re.findall(r'"([0-9a-f]*)"', body)))
    return out


def fuzz_nonce(expiry):
    head = b'u1%016x' % expiry
    return head + hashlib.blake2b(head, key=NONCE_KEY, digest_size=16).hexdigest().encode()


def authenticated_allocate(user, password):
    key = hashlib.md5(user + b':realm:' + password).digest()
    return message(0x0003, [attr(0x0019, b'\x11\0\0\0'), attr(0x0006, user),
                             attr(0x0014, b'realm'), attr(0x0015, fuzz_nonce(1700000600)),
                             attr(0x0018, b'\x80'), attr(0x001A, b'')], key)


def main():
    stun = rfc5769_vectors()
    key = hashlib.md5(b'1700003600:call:p:umbra.test:pw').digest()
    rest_user = b'1700003600:call:p'
    rest_password = base64.b64encode(hmac.new(b'secret', rest_user, hashlib.sha1).digest())
    peer = xor_address([198, 51, 100, 7], 5000)
    stun.update({
        'allocate-noauth': message(0x0003, [attr(0x0019, b'\x11\0\0\0')], fingerprint=False),
        'allocate-auth-rest': authenticated_allocate(rest_user, rest_password),
        'allocate-auth-static': authenticated_allocate(b'user', b'password'),
        'allocate-401': message(0x0113, [attr(0x0009, b'\0\0\x04\x01Unauthorized'),
                                         attr(0x0014, b'umbra.test'),
                                         attr(0x0015, b'u1' + b'0' * 48)]),
        'refresh-sha256': message(0x0004, [attr(0x000D, b'\0\0\0\0'), attr(0x0006, b'op')],
                                  key, sha256=True),
        'channel-bind': message(0x0009, [attr(0x000C, b'\x40\x01\0\0'), attr(0x0012, peer)], key),
        'send-indication': message(0x0016, [attr(0x0012, peer), attr(0x0013, b'hello')],
                                   fingerprint=False),
        'unknown-420': message(0x0003, [attr(0x0002, b'abcd'), attr(0x7FFF, b''),
                                        attr(0x8050, b'x')]),
    })
    channel = {
        'cd-udp': channel_data(0x4000, b'hello', pad=False),
        'cd-max': channel_data(0x7FFF, bytes(range(40))),
        'stream-mixed': stun['channel-bind'] + channel_data(0x4001, b'rtp!xyz') +
        channel_data(0x4001, b'') + stun['send-indication'],
        'stream-truncated': channel_data(0x4002, b'abcdefgh') +
        channel_data(0x4002, b'abcdefghij')[:9],
    }
    stun.update(stun_edge_seeds())
    channel.update({
        # the largest ChannelData: a 65535-byte payload, padded to 4
        'cd-max-len': channel_data(0x4000, b'\x80' * 65535),
        'cd-over-len': struct.pack('!HH', 0x4000, 65535) + b'\x80' * 65534,
    })
    broker = broker_seeds()
    broker.update(broker_edge_seeds())
    dirs = (('stun', stun), ('channel', channel), ('broker', broker), ('calls', calls_seeds()),
            ('sdp', sdp_edge_seeds()))
    write_dicts()
    for directory, files in dirs:
        os.makedirs(os.path.join(HERE, 'corpus', directory), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(HERE, 'corpus', directory, name + '.bin'), 'wb') as f:
                f.write(data)


# fuzz_broker_req.c: the first byte picks the endpoint.
EP = {'identity': 0, 'pseudonym': 1, 'pending': 2, 'create': 3, 'events': 4, 'accept': 5,
      'offer': 6, 'answer': 7, 'candidates': 8, 'end': 9}


def broker_seeds():
    fixtures = os.path.join(HERE, '..', 'fixtures', 'sdp')
    with open(os.path.join(fixtures, 'firefox_offer_av_data.sdp')) as f:
        offer = f.read()
    with open(os.path.join(fixtures, 'chromium_answer.sdp')) as f:
        answer = f.read()
    pn = 'A' * 22
    create = {'callee': pn, 'service': 'contact-list', 'call_model': 'single-cs',
              'destination': 'trusted', 'caller_state': 'pseudonymous', 'caller': 'B' * 43}
    prefs = dict(create, caller_context='shop.example', native=True, caller_org='corp.example',
                 preferences={'id': 'mine', 'match': {'service': 'contact-list'},
                              'set': {'anonymity': 'pseudonymous',
                                      'org_domain_disclosure': False}})
    cands = ['candidate:3454225543 1 udp 41885439 198.51.100.20 50000 typ relay raddr '
             '203.0.113.7 rport 54321 generation 0',
             {'candidate': 'candidate:1 1 udp 2122260223 192.168.1.23 54321 typ host generation 0',
              'sdpMid': '0', 'sdpMLineIndex': 0},
             {'candidate': 'candidate:5 1 udp 41885439 198.51.100.20 50002 typ relay raddr '
              '192.168.1.23 rport 9 generation 0', 'sdpMid': '0', 'sdpMLineIndex': 0},
             {'candidate': '', 'sdpMid': None, 'usernameFragment': 'abcd'}]
    bodies = {
        'identity': ('identity', ''),
        'pseudonym': ('pseudonym', {'context': 'shop.example'}),
        'pseudonym-rotate': ('pseudonym', {'context': 'clinic.example', 'rotate': True}),
        'pending': ('pending', 'peer'),
        'create': ('create', create),
        'create-undetectable': ('create', dict(create, caller_state='undetectable', caller=None,
                                               service='click-to-link')),
        'create-preferences': ('create', prefs),
        'create-duplicate': ('create', '{"callee": "%s", "callee": "x"}' % pn),
        'create-array': ('create', '[1,2]'),
        'events': ('events', 'caller\0' + '0\0' + '25'),
        'events-callee': ('events', 'callee\0' + '3'),
        'accept': ('accept', {}),
        'accept-native': ('accept', {'native': True}),
        'offer': ('offer', {'type': 'offer', 'sdp': offer}),
        'answer': ('answer', {'sdp': answer}),
        'candidates': ('candidates', {'candidates': cands}),
        'end': ('end', ''),
    }
    out = {}
    for name, (ep, body) in bodies.items():
        text = body if isinstance(body, str) else json.dumps(body, separators=(',', ':'))
        out['req-' + name] = bytes([EP[ep]]) + text.encode()
    return out


# Seeds at the limits. Each name says which limit and on which side:
# "-at-" is the largest input the limit lets through (N), "-over-" is N+1.
SDP_MAX_INPUT = 64 * 1024      # broker/sdp_sanitize.h
SDP_MAX_FINGERPRINTS = 8       # broker/sdp_sanitize.h
SDP_CAND_MAX_TOKENS = 64       # broker/sdp_candidate.h
CALLS_MAX_CANDIDATES = 32      # broker/calls.h
STORE_BATCH_MAX = 24           # broker/store.h until the candidates limit set it (issue 12)
IDENTITIES_CONTEXT_MAX = 256   # broker/identities.h
MAX_BODY = 65536               # max-body's default, broker/broker_config.c
STUN_MAX_ATTRS = 40            # stun/stun_msg.h
STUN_MAX_BODY = 65532          # the largest STUN length that is a multiple of 4
UDP4_MAX_PAYLOAD = 65507       # the largest IPv4 UDP datagram


def stun_edge_seeds():
    out = {}
    for n in (STUN_MAX_ATTRS, STUN_MAX_ATTRS + 1):
        attrs = [attr(0x0019, b'\x11\0\0\0')] + [attr(0x8050 + i, b'x') for i in range(n - 2)]
        side = 'at' if n == STUN_MAX_ATTRS else 'over'
        out['attrs-%s-max-%d' % (side, n)] = message(0x0003, attrs)  # + FINGERPRINT = n
        out['attrs-%s-max-%d-unknown' % (side, n)] = message(
            0x0003, [attr(0x7F00 + i % 4, b'') for i in range(n)], fingerprint=False)
    # one DATA attribute filling the largest STUN length, and the largest
    # STUN message that fits an IPv4 UDP datagram (a multiple of 4)
    out['send-max-msg'] = message(0x0016, [attr(0x0013, b'\x80' * (STUN_MAX_BODY - 4))],
                                  fingerprint=False)
    udp_body = (UDP4_MAX_PAYLOAD - 20) & ~3
    out['send-max-udp4'] = message(0x0016, [attr(0x0013, b'\x80' * (udp_body - 4))],
                                   fingerprint=False)
    # USERNAME just under and at 513 bytes, NONCE/REALM at 128 characters
    out['username-512'] = message(0x0003, [attr(0x0006, b'u' * 512), attr(0x0014, b'realm')])
    out['username-513'] = message(0x0003, [attr(0x0006, b'u' * 513), attr(0x0014, b'realm')])
    out['realm-127'] = message(0x0003, [attr(0x0006, b'user'), attr(0x0014, b'r' * 127),
                                        attr(0x0015, b'n' * 127)])
    out['realm-128'] = message(0x0003, [attr(0x0006, b'user'), attr(0x0014, b'r' * 128),
                                        attr(0x0015, b'n' * 128)])
    return out


def fingerprint(hash_name, pairs, seed=0):
    return '%s %s' % (hash_name, ':'.join('%02X' % ((seed * 7 + i) % 256) for i in range(pairs)))


SDP_HEAD = ('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'
            'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n'
            'a=ice-ufrag:Wm2e\r\na=ice-pwd:hR6tPq0zYv3nL8cK1sXb9dJf\r\n')
RELAY = 'candidate:1 1 udp 41885439 203.0.113.5 %d typ relay raddr 192.0.2.7 rport 40112'


def sdp_with(lines):
    return SDP_HEAD + ''.join(l + '\r\n' for l in lines)


def sdp_padded(total):
    """A valid SDP of exactly total bytes (a=x- lines of filler)."""
    body = sdp_with(['a=fingerprint:' + fingerprint('sha-256', 32),
                     'a=' + RELAY % 50000, 'a=rtpmap:111 opus/48000/2'])
    room = total - len(body)
    lines = []
    while room > 0:
        n = min(room, 1000)
        if n < 5:  # "a=x\r\n" is the shortest filler line
            lines[-1] = lines[-1][:-2] + 'y' * n + '\r\n'
            break
        lines.append('a=x' + 'z' * (n - 5) + '\r\n')
        room -= n
    out = body + ''.join(lines)
    assert len(out) == total, (len(out), total)
    return out


def sdp_edge_seeds():
    """SDPs and trickled candidates at the sanitizer's limits (fuzz_sdp)."""
    fp = lambda *a: 'a=fingerprint:' + fingerprint(*a)
    ext = lambda n: ' '.join(['generation 0'] + ['network-id %d' % i for i in range(n - 1)])
    out = {
        # SDP_FINGERPRINT_MAX: the longest hash name (16) with the most pairs (64)
        'fp-hash16-pairs64': sdp_with([fp('abcdefghijklmnop', 64)]),
        'fp-hash16-pairs65': sdp_with([fp('abcdefghijklmnop', 65)]),
        'fp-hash17-pairs2': sdp_with([fp('abcdefghijklmnopq', 2)]),
        'fp-sha-512-pairs64': sdp_with([fp('sha-512', 64)]),
        'fp-distinct-at-max-8': sdp_with([fp('sha-256', 32, i) for i in range(8)]),
        'fp-distinct-over-max-9': sdp_with([fp('sha-256', 32, i) for i in range(9)]),
        'fp-distinct-8-long': sdp_with([fp('abcdefghijklmnop', 64, i) for i in range(8)]),
        'fp-same-twice-9': sdp_with([fp('sha-256', 32, i % 8) for i in range(9)]),
        'sdp-at-max-input': sdp_padded(SDP_MAX_INPUT),
        'sdp-over-max-input': sdp_padded(SDP_MAX_INPUT + 1),
        # SDP_CAND_MAX_TOKENS: extension name/value pairs of one candidate
        # (RELAY is 12 tokens after "candidate:")
        'cand-tokens-at-max': 'a=' + RELAY % 1 + ' ' + ext((SDP_CAND_MAX_TOKENS - 12) // 2),
        'cand-tokens-over-max': 'a=' + RELAY % 1 + ' ' + ext((SDP_CAND_MAX_TOKENS - 10) // 2),
        # SDP_CANDIDATE_MAX: the longest kept candidate (IPv6, 256-char ufrag)
        'cand-longest-kept': ('candidate:' + 'f' * 32 + ' 256 tcp 4294967295 '
                              'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 typ relay '
                              'raddr 192.0.2.7 rport 9 generation 4294967295 ufrag ' +
                              'u' * 256 + ' tcptype simultaneous-open'),
        'cand-ufrag-257': 'candidate:1 1 udp 1 203.0.113.5 9 typ relay ufrag ' + 'u' * 257,
        'sdp-candidates-32': sdp_with(['a=' + RELAY % (50000 + i) for i in range(32)]),
    }
    return {k: v.encode() for k, v in out.items()}


def candidates_body(n, relay, eoc, host=0):
    cands = [RELAY % (50000 + i) for i in range(relay)]
    cands += [{'candidate': '', 'sdpMid': '0'} for _ in range(eoc)]
    cands += [{'candidate': 'candidate:2 1 udp 2122260223 10.0.0.%d 54321 typ host' % i,
               'sdpMid': '0', 'sdpMLineIndex': 0} for i in range(host)]
    assert len(cands) == n
    return {'candidates': cands}


def broker_edge_seeds():
    """Request bodies at the API's limits (fuzz_broker_req)."""
    ctx = lambda n: {'context': 'c' * n}
    bodies = {
        'candidates-at-max-32': ('candidates', candidates_body(32, 8, 24)),
        'candidates-over-max-33': ('candidates', candidates_body(33, 8, 25)),
        'pseudonym-context-at-max': ('pseudonym', ctx(IDENTITIES_CONTEXT_MAX)),
        'pseudonym-context-over-max': ('pseudonym', ctx(IDENTITIES_CONTEXT_MAX + 1)),
        'pending-context-at-max': ('pending', 'c' * IDENTITIES_CONTEXT_MAX),
        'pending-context-over-max': ('pending', 'c' * (IDENTITIES_CONTEXT_MAX + 1)),
        'events-huge-since': ('events', 'caller\0' + '9' * 30 + '\0' + '99999999999999999999'),
        'offer-fp-hash16-pairs64': ('offer', {'type': 'offer', 'sdp': sdp_with(
            ['a=fingerprint:' + fingerprint('abcdefghijklmnop', 64)])}),
    }
    out = {}
    for name, (ep, body) in bodies.items():
        text = body if isinstance(body, str) else json.dumps(body, separators=(',', ':'))
        out['req-' + name] = bytes([EP[ep]]) + text.encode()
    return out


# fuzz_broker_calls.c: the head bytes (endpoint, call flags, mode, fail_at).
EP_CALLS = {'create': 0, 'accept': 1, 'offer': 2, 'answer': 3, 'candidates': 4, 'end': 5,
            'events': 6, 'identity': 7, 'pseudonym': 8, 'pending': 9}
F_ACCEPTED, F_ICE_DELAY, F_FRESH_DTLS, F_STRIP_ID = 0x01, 0x02, 0x04, 0x08
F_RELAY_ONLY, F_UNLINKABLE, F_CALLEE_SEC, F_RETENTION = 0x10, 0x20, 0x40, 0x80
M_CALLER, M_CALLEE, M_TOKEN, M_STRANGER = 0, 1, 2, 3
M_TOMBSTONE, M_FP_SEEN, M_ACCEPT_LOST, M_EREPLY, M_SPLIT = 0x04, 0x08, 0x10, 0x40, 0x80


def body_at_max(prefix, suffix, total):
    """prefix + filler + suffix of exactly total bytes (SDP a=x lines)."""
    room = total - len(prefix) - len(suffix)
    filler = ''
    while room > 0:
        n = min(room, 1000)
        if n < 7:  # 'a=x\\r\\n' is 7 bytes of JSON text
            filler = filler[:-4] + 'y' * n + '\\r\\n'
            break
        filler += 'a=x' + 'z' * (n - 7) + '\\r\\n'
        room -= n
    out = prefix + filler + suffix
    assert len(out) == total, (len(out), total)
    return out


def calls_seeds():
    """Whole requests to the handlers (fuzz_broker_calls): a head, a body."""
    live = F_ICE_DELAY | F_FRESH_DTLS | F_RELAY_ONLY | F_CALLEE_SEC
    accepted = live | F_ACCEPTED
    pn = 'A' * 22
    create = {'callee': pn, 'service': 'contact-list', 'call_model': 'single-cs',
              'destination': 'trusted', 'caller_state': 'undetectable', 'native': True}
    sdp_offer = json.dumps({'type': 'offer', 'sdp': sdp_with(
        ['a=fingerprint:' + fingerprint('sha-256', 32), 'a=' + RELAY % 50000])})
    offer_prefix = '{"type":"offer","sdp":"' + SDP_HEAD.replace('\r\n', '\\r\\n')
    seeds = {
        # CALLS_MAX_CANDIDATES and the Redis batch they make: the kept
        # entries (end-of-candidates "" count) plus EXPIREAT
        'candidates-kept-23': ('candidates', accepted, M_CALLER,
                               candidates_body(23, 3, STORE_BATCH_MAX - 4)),
        'candidates-kept-24': ('candidates', accepted, M_CALLER,
                               candidates_body(24, 4, STORE_BATCH_MAX - 4)),
        'candidates-at-max-32': ('candidates', accepted, M_CALLEE, candidates_body(32, 8, 24)),
        'candidates-at-max-32-held': ('candidates', live, M_CALLER, candidates_body(32, 2, 30)),
        'candidates-at-max-32-dropped': ('candidates', live, M_CALLER,
                                         candidates_body(32, 2, 2, host=28)),
        'candidates-over-max-33': ('candidates', accepted, M_CALLER,
                                   candidates_body(33, 8, 25)),
        'candidates-stranger': ('candidates', live, M_STRANGER, candidates_body(1, 1, 0)),
        # SDP_FINGERPRINT_MAX and SDP_MAX_FINGERPRINTS through calls_sdp
        'offer-fp-hash16-pairs64': ('offer', live, M_CALLER, {'type': 'offer', 'sdp': sdp_with(
            ['a=fingerprint:' + fingerprint('abcdefghijklmnop', 64)])}),
        'answer-fp-hash16-pairs65': ('answer', live, M_CALLEE, {'type': 'answer', 'sdp': sdp_with(
            ['a=fingerprint:' + fingerprint('abcdefghijklmnop', 65)])}),
        'offer-fp-distinct-8': ('offer', live, M_CALLER, {'sdp': sdp_with(
            ['a=fingerprint:' + fingerprint('sha-256', 32, i) for i in range(8)])}),
        'offer-fp-distinct-9': ('offer', live, M_CALLER, {'sdp': sdp_with(
            ['a=fingerprint:' + fingerprint('sha-256', 32, i) for i in range(9)])}),
        'offer-fp-seen': ('offer', live, M_CALLER | M_FP_SEEN, sdp_offer),
        'offer-held': ('offer', live, M_CALLER, sdp_offer),
        'answer-held': ('answer', live, M_CALLEE, {'sdp': sdp_with([])}),
        # max-body: a body of exactly 65536 bytes, and one over (413)
        'offer-body-at-max': ('offer', accepted, M_CALLER,
                              body_at_max(offer_prefix, '"}', MAX_BODY)),
        'offer-body-over-max': ('offer', accepted, M_CALLER,
                                body_at_max(offer_prefix, '"}', MAX_BODY + 1)),
        'accept': ('accept', live & ~F_CALLEE_SEC, M_TOKEN, {}),
        'accept-native-lost': ('accept', live & ~F_CALLEE_SEC, M_TOKEN | M_ACCEPT_LOST,
                               {'native': True}),
        'end-retention': ('end', live | F_RETENTION, M_CALLEE, ''),
        'end-gone': ('end', live, M_CALLER | M_TOMBSTONE, ''),
        'events': ('events', accepted, M_CALLER, 'caller\0' + '2\0' + '0'),
        'events-callee': ('events', live, M_CALLEE, 'callee\0' + '0'),
        'create-undetectable-native': ('create', 0, M_CALLER, create),
        'create-presented': ('create', 0, M_TOKEN,
                             dict(create, caller_state='pseudonymous', caller='B' * 43)),
        'identity': ('identity', 0, M_CALLER, ''),
        'pseudonym-rotate-at-max': ('pseudonym', 0, M_TOKEN,
                                    {'context': 'c' * IDENTITIES_CONTEXT_MAX, 'rotate': True}),
        'pending': ('pending', 0, M_TOKEN, {'context': 'shop.example'}),
    }
    out = {}
    for name, (ep, flags, mode, body) in seeds.items():
        text = body if isinstance(body, str) else json.dumps(body, separators=(',', ':'))
        out[name] = bytes([EP_CALLS[ep], flags, mode, 0]) + text.encode()
    # the same candidates with the store failing at the batch of RPUSHes
    out['candidates-kept-23-down'] = out['candidates-kept-23'][:3] + bytes([3]) + \
        out['candidates-kept-23'][4:]
    return out


# Dictionaries (libFuzzer -dict= format), for make fuzz-check and for the
# standalone driver (fuzz_main.c -d), one per kind of input.

def dict_escape(b):
    out = ''
    for c in b:
        ch = chr(c)
        out += ch if 32 <= c < 127 and ch not in '"\\' else '\\x%02X' % c
    return '"' + out + '"'


def stun_dict_entries():
    """STUN/TURN message types and attribute types, read from stun/stun_msg.h."""
    hdr = open(os.path.join(HERE, '..', '..', 'stun', 'stun_msg.h')).read()
    methods = [int(v, 16) for v in re.findall(r'STUN_METHOD_\w+ = (0x[0-9A-Fa-f]+)', hdr)]
    attrs = re.findall(r'STUN_ATTR_(\w+) = (0x[0-9A-Fa-f]+)', hdr)
    out = []
    for m in methods:
        for cls in range(4):  # request, indication, success, error
            t = (m & 0xF) | ((m & 0x70) << 1) | ((m & 0xF80) << 2) | ((cls & 1) << 4) | \
                ((cls & 2) << 7)
            out.append(('type_%03x_%d' % (m, cls), struct.pack('!H', t)))
    for name, v in attrs:
        out.append(('attr_' + name.lower(), struct.pack('!H', int(v, 16))))
    out += [('cookie', struct.pack('!I', COOKIE)), ('fp_xor', struct.pack('!I', 0x5354554E)),
            ('channel_min', b'\x40\x00'), ('channel_max', b'\x7f\xff'),
            ('len_max', b'\xff\xfc'), ('len_ffff', b'\xff\xff'),
            ('transport_udp', b'\x11\x00\x00\x00'), ('transport_tcp', b'\x06\x00\x00\x00'),
            ('family_v4', b'\x01\x00\x00\x00'), ('family_v6', b'\x02\x00\x00\x00'),
            ('xor_v4', b'\x00\x01'), ('xor_v6', b'\x00\x02'), ('rest_user', b'1700003600:call:p'),
            ('nonce_head', b'u1'), ('realm', b'realm'), ('user', b'user'),
            ('err_401', b'\x00\x00\x04\x01'), ('err_438', b'\x00\x00\x04\x26')]
    return out


SDP_TOKENS = [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 'o=', 's=-', 't=0 0', 'c=IN IP4 ', 'c=IN IP6 ', 'm=audio ',
    'm=video ', 'm=application ', ' UDP/TLS/RTP/SAVPF ', ' UDP/DTLS/SCTP webrtc-datachannel',
    'a=candidate:', 'candidate:', ' typ relay', ' typ host', ' typ srflx', ' typ prflx',
    ' raddr ', ' rport ', ' generation ', ' ufrag ', ' tcptype ', ' network-id ', ' network-cost ',
    ' udp ', ' tcp ', ' passive', ' active', ' so', 'a=end-of-candidates', 'a=fingerprint:',
    'sha-1 ', 'sha-224 ', 'sha-256 ', 'sha-384 ', 'sha-512 ', 'md5 ', 'md2 ',
    'abcdefghijklmnop ', 'sha-256-extended ', 'AB:', ':CD', 'a=ssrc:', ' cname:', ' msid:',
    'a=msid:', 'a=msid-semantic: WMS ', 'a=ssrc-group:FID ', 'a=identity:', 'a=rtcp:9 IN IP4 ',
    'a=rtcp-mux', 'a=mid:', 'a=group:BUNDLE ', 'a=ice-ufrag:', 'a=ice-pwd:', 'a=ice-options:trickle',
    'a=setup:actpass', 'a=rtpmap:', 'a=fmtp:', 'a=extmap:', 'a=sctp-port:', 'a=altc:',
    'a=source-filter:', 'a=tls-id:', 'e=', 'p=', 'u=', 'i=', 'b=AS:', 'k=', 'z=', 'r=',
    '0.0.0.0', '127.0.0.1', '10.0.0.1', '192.168.1.23', '203.0.113.5', '::', '::1',
    '::ffff:10.0.0.1', 'fe80::1', '2001:db8::1', '.local', ' 4294967295', ' 4294967296',
    ' 65535', ' 65536', '\r\n', '\n', 'a=x']


def json_tokens(keys, values):
    out = ['"%s":' % k for k in keys] + ['"%s"' % v for v in values]
    return out + ['{', '}', '[', ']', ',', ':', 'null', 'true', 'false', '""', '0', '-1',
                  '1e999', '9223372036854775808', '\\u0000', '\\ud800', '\\r\\n']


API_KEYS = ['callee', 'caller', 'service', 'call_model', 'destination', 'caller_state',
            'caller_context', 'caller_org', 'callee_org', 'native', 'preferences', 'context',
            'rotate', 'type', 'sdp', 'candidates', 'candidate', 'sdpMid', 'sdpMLineIndex',
            'usernameFragment', 'id', 'match', 'set']
API_VALUES = ['offer', 'answer', 'contact-list', 'click-to-link', 'negotiated', 'interworking',
              'conferencing', 'single-cs', 'dual-cs', 'trusted', 'inner-circle', 'uncertain',
              'untrusted', 'emergency', 'identified', 'pseudonymous', 'undetectable', 'caller',
              'callee']
POLICY_KEYS = ['source', 'rules', 'id', 'comment', 'match', 'set', 'mandatory', 'service',
               'call_model', 'destination', 'caller_state', 'caller_org', 'callee_org',
               'anonymity', 'unlinkability', 'relay_only', 'ice_delay_until_answer',
               'fresh_dtls_per_call', 'cname', 'origin_disclosure', 'org_domain_disclosure',
               'identity_assertion', 'log_retention_seconds', 'split_relays']
POLICY_VALUES = API_VALUES + ['builtin', 'organisation', 'none', 'full', 'granted', 'refused',
                              'per-call-random', 'per-session', 'status-only', 'allow',
                              'require', 'forbid']
# JSON fragments that add one more entry (the limits count entries)
API_FRAGMENTS = [',{"candidate":""}', ',""', ',"' + RELAY % 1 + '"',
                 ',{"candidate":"' + RELAY % 2 + '","sdpMid":"0","sdpMLineIndex":0}',
                 '\\r\\na=fingerprint:abcdefghijklmnop ', '\\r\\na=' + RELAY % 3,
                 '\\r\\na=fingerprint:sha-256 ' + ':'.join(['AB'] * 32)]


def write_dicts():
    sdp = [t.encode() for t in SDP_TOKENS]
    api = [t.encode() for t in json_tokens(API_KEYS, API_VALUES) + API_FRAGMENTS] + sdp
    dicts = {
        'stun': [v for _, v in stun_dict_entries()],
        'sdp': sdp,
        'broker': api,
        'policy': [t.encode() for t in json_tokens(POLICY_KEYS, POLICY_VALUES)],
    }
    os.makedirs(os.path.join(HERE, 'dict'), exist_ok=True)
    for name, entries in dicts.items():
        seen = []
        for e in entries:
            if e not in seen:
                seen.append(e)
        with open(os.path.join(HERE, 'dict', name + '.dict'), 'w') as f:
            f.write('# Written by tests/fuzz/make_corpus.py; do not edit.\n')
            for e in seen:
                f.write(dict_escape(e) + '\n')


if __name__ == '__main__':
    main()
