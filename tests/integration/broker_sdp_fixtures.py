"""SDP in the form Chromium and Firefox produce, for the broker tests.

The addresses are documentation ranges; each offer carries host, srflx,
relay, mDNS and IPv6 candidates, stable labels and a stable CNAME, all of
which the broker must not pass on.
"""
import os


def random_fingerprint():
    return "sha-256 " + ":".join("%02X" % b for b in os.urandom(32))


def chromium_offer(fingerprint, relay_ip="198.51.100.20", relay_port=50000, candidates=True):
    cands = ""
    if candidates:
        cands = (
            "a=candidate:1467250027 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 network-id 1 network-cost 10\r\n"
            "a=candidate:842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.23 rport 54321 generation 0 network-id 1 network-cost 10\r\n"
            "a=candidate:3454225543 1 udp 41885439 %s %d typ relay raddr 203.0.113.7 rport 54321 generation 0 network-id 1 network-cost 10\r\n"
            "a=candidate:2999745851 1 udp 2122194687 4c3e1f2a-7b3d-4c0e-9e3f-0123456789ab.local 54322 typ host generation 0 network-id 2\r\n"
            "a=candidate:1904215359 1 udp 2122131711 2001:db8::23 54323 typ host generation 0 network-id 3\r\n"
            % (relay_ip, relay_port))
    return (
        "v=0\r\n"
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "a=extmap-allow-mixed\r\n"
        "a=msid-semantic: WMS stream-alice-1\r\n"
        "m=audio 54321 UDP/TLS/RTP/SAVPF 111 63\r\n"
        "c=IN IP4 203.0.113.7\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        + cands +
        "a=ice-ufrag:Xq3b\r\n"
        "a=ice-pwd:1R9m6vxGxJ0q8WcA3bN2zP0o\r\n"
        "a=ice-options:trickle\r\n"
        "a=fingerprint:" + fingerprint + "\r\n"
        "a=setup:actpass\r\n"
        "a=mid:0\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        "a=sendrecv\r\n"
        "a=msid:stream-alice-1 track-audio-alice-1\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
        "a=rtpmap:63 red/48000/2\r\n"
        "a=ssrc:1001 cname:alice-stable-cname-7\r\n"
        "a=ssrc:1001 msid:stream-alice-1 track-audio-alice-1\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:Xq3b\r\n"
        "a=ice-pwd:1R9m6vxGxJ0q8WcA3bN2zP0o\r\n"
        "a=ice-options:trickle\r\n"
        "a=fingerprint:" + fingerprint + "\r\n"
        "a=setup:actpass\r\n"
        "a=mid:1\r\n"
        "a=sendrecv\r\n"
        "a=msid:stream-alice-1 track-video-alice-1\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:96 VP8/90000\r\n"
        "a=ssrc-group:FID 2001 2002\r\n"
        "a=ssrc:2001 cname:alice-stable-cname-7\r\n"
        "a=ssrc:2001 msid:stream-alice-1 track-video-alice-1\r\n"
        "a=ssrc:2002 cname:alice-stable-cname-7\r\n"
        "a=ssrc:2002 msid:stream-alice-1 track-video-alice-1\r\n")


def firefox_answer(fingerprint, relay_ip="198.51.100.30", relay_port=50002):
    return (
        "v=0\r\n"
        "o=mozilla...THIS_IS_SDPARTA-99.0 7398345219832165114 0 IN IP4 0.0.0.0\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=fingerprint:" + fingerprint + "\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "a=ice-options:trickle\r\n"
        "a=msid-semantic:WMS *\r\n"
        "a=identity:ZXlKaFpHa2lPbnNpYm1GdFpTSTZJbUp2WWlKOQ==\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=candidate:0 1 UDP 2122252543 10.0.0.5 61000 typ host\r\n"
        "a=candidate:2 1 UDP 2122187007 bob-host-9a3f.local 61001 typ host\r\n"
        "a=candidate:3 1 UDP 1685987327 203.0.113.99 61000 typ srflx raddr 10.0.0.5 rport 61000\r\n"
        "a=candidate:4 1 UDP 92217087 %s %d typ relay raddr 203.0.113.99 rport 61000\r\n"
        "a=sendrecv\r\n"
        "a=end-of-candidates\r\n"
        "a=ice-pwd:2b7f0c8e9a1d4f6b3c5e7a9d0f1b2c3d\r\n"
        "a=ice-ufrag:8f2c1a7e\r\n"
        "a=mid:0\r\n"
        "a=msid:{5c1f7a3e-bob-stream} {9e2d4b6c-bob-audio}\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=setup:active\r\n"
        "a=ssrc:3001 cname:{bob-stable-cname-4f2e}\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=sendrecv\r\n"
        "a=ice-pwd:2b7f0c8e9a1d4f6b3c5e7a9d0f1b2c3d\r\n"
        "a=ice-ufrag:8f2c1a7e\r\n"
        "a=mid:1\r\n"
        "a=msid:{5c1f7a3e-bob-stream} {1a2b3c4d-bob-video}\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:96 VP8/90000\r\n"
        "a=setup:active\r\n"
        "a=ssrc:3002 cname:{bob-stable-cname-4f2e}\r\n"
        % (relay_ip, relay_port))


# What must never reach the other party.
LEAKS = ["192.168.1.23", "203.0.113.7", "2001:db8", ".local", "typ host", "typ srflx",
         "alice-stable-cname", "stream-alice-1", "track-audio-alice-1", "4611731400430051336",
         "10.0.0.5", "203.0.113.99", "bob-stable-cname", "bob-stream", "SDPARTA",
         "network-id", "network-cost"]
