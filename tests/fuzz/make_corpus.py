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
    broker = broker_seeds()
    for directory, files in (('stun', stun), ('channel', channel), ('broker', broker)):
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


if __name__ == '__main__':
    main()
