/* load_sdp: see load_sdp.h. */
#include "load_sdp.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

int load_sdp_build(char *out, size_t cap, bool offer, const char *fingerprint, const char *cname,
                   const struct umbra_addr *relayed)
{
    char ip[ADDR_TEXT_MAX];
    char ufrag[9], pwd[25];
    unsigned char rnd[24];
    int n;

    if (addr_format_ip(relayed, ip, sizeof(ip)) != 0)
        return -1;
    randombytes_buf(rnd, sizeof(rnd));
    for (int i = 0; i < 8; i++)
        ufrag[i] = "abcdefghijklmnopqrstuvwxyz012345"[rnd[i] & 31];
    ufrag[8] = '\0';
    for (int i = 0; i < 24; i++)
        pwd[i] = "abcdefghijklmnopqrstuvwxyz012345"[rnd[i] & 31];
    pwd[24] = '\0';
    n = snprintf(out, cap,
                 "v=0\r\n"
                 "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                 "s=-\r\n"
                 "t=0 0\r\n"
                 "a=group:BUNDLE 0\r\n"
                 "a=msid-semantic: WMS\r\n"
                 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                 "c=IN IP4 0.0.0.0\r\n"
                 "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                 "a=candidate:1 1 udp 41885439 %s %u typ relay raddr 0.0.0.0 rport 0\r\n"
                 "a=ice-ufrag:%s\r\n"
                 "a=ice-pwd:%s\r\n"
                 "a=fingerprint:sha-256 %s\r\n"
                 "a=setup:%s\r\n"
                 "a=mid:0\r\n"
                 "a=sendrecv\r\n"
                 "a=rtcp-mux\r\n"
                 "a=rtpmap:111 opus/48000/2\r\n"
                 "a=ssrc:1001 cname:%s\r\n",
                 ip, addr_port(relayed), ufrag, pwd, fingerprint, offer ? "actpass" : "active",
                 cname);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int load_sdp_read(const char *sdp, struct umbra_addr *relay, char *fingerprint, size_t fpcap)
{
    const char *line = sdp;
    bool have_relay = false, have_fp = false;

    while (line != NULL && *line != '\0') {
        const char *eol = strpbrk(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];

        if (len < sizeof(buf)) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            if (!have_fp && strncmp(buf, "a=fingerprint:sha-256 ", 22) == 0 &&
                strlen(buf + 22) < fpcap) {
                strcpy(fingerprint, buf + 22);
                have_fp = true;
            }
            if (!have_relay && strncmp(buf, "a=candidate:", 12) == 0 &&
                strstr(buf, " typ relay") != NULL) {
                char ip[64];
                unsigned port;
                if (sscanf(buf, "a=candidate:%*s %*s %*s %*s %63s %u", ip, &port) == 2 &&
                    port > 0 && port < 65536 && addr_parse(relay, ip, (uint16_t)port) == 0) {
                    addr_set_port(relay, (uint16_t)port);
                    have_relay = true;
                }
            }
        }
        line = eol ? eol + strspn(eol, "\r\n") : NULL;
    }
    return have_relay && have_fp ? 0 : -1;
}
