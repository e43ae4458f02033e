/* sdp_candidate: parse, keep or drop, and rewrite one a=candidate. See
 * sdp_candidate.h; sdp_sanitize_candidate() is declared in sdp_sanitize.h. */
#include "sdp_candidate.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sdp_addr.h"
#include "sdp_sanitize.h"

static bool sdp_cand_is_ice_chars(struct sdp_text_span s, size_t max)
{
    if (s.n == 0 || s.n > max)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return true;
}

/* Only these extensions survive: they describe the ICE session, not the
 * host (network-id and network-cost describe the local interface). */
static bool sdp_cand_ext_kept(struct sdp_text_span name)
{
    return sdp_text_span_is(name, "generation") || sdp_text_span_is(name, "ufrag") ||
           sdp_text_span_is(name, "tcptype");
}

static bool sdp_cand_ext_seen(const struct sdp_cand *c, struct sdp_text_span name)
{
    for (size_t i = 0; i < c->n_ext; i += 2)
        if (c->ext[i].n == name.n && memcmp(c->ext[i].p, name.p, name.n) == 0)
            return true;
    return false;
}

int sdp_cand_parse(const char *p, size_t n, struct sdp_cand *c, char *err, size_t errlen)
{
    struct sdp_text_span tok[SDP_CAND_MAX_TOKENS];
    unsigned long prio;
    int count = sdp_text_tokens(p, n, tok, SDP_CAND_MAX_TOKENS);
    memset(c, 0, sizeof(*c));
    if (count < 8)
        return sdp_text_fail(err, errlen, "candidate has %d fields, needs at least 8",
                             count < 0 ? SDP_CAND_MAX_TOKENS : count);
    if ((count - 8) % 2 != 0)
        return sdp_text_fail(err, errlen, "candidate extension without a value");
    c->foundation = tok[0];
    c->component = tok[1];
    c->transport = tok[2];
    c->priority = tok[3];
    c->addr = tok[4];
    c->port = tok[5];
    c->type = tok[7];
    if (!sdp_cand_is_ice_chars(c->foundation, 32))
        return sdp_text_fail(err, errlen, "candidate foundation is not 1-32 ice-chars");
    if (sdp_text_parse_ulong(c->component, 3, 256, &c->component_id) != 0 || c->component_id == 0)
        return sdp_text_fail(err, errlen, "candidate component is not 1-256");
    if (!sdp_cand_is_ice_chars(c->transport, 16))
        return sdp_text_fail(err, errlen, "candidate transport is not a token");
    if (sdp_text_parse_ulong(c->priority, 10, 4294967295UL, &prio) != 0)
        return sdp_text_fail(err, errlen, "candidate priority is not a 32-bit number");
    if (!sdp_text_is_token(c->addr) || c->addr.n >= INET6_ADDRSTRLEN + 64)
        return sdp_text_fail(err, errlen, "candidate address is malformed");
    if (sdp_text_parse_ulong(c->port, 5, 65535, &c->port_num) != 0)
        return sdp_text_fail(err, errlen, "candidate port is not 0-65535");
    if (!sdp_text_span_is(tok[6], "typ") || !sdp_text_is_token(c->type))
        return sdp_text_fail(err, errlen, "candidate has no \"typ\" in sixth place");
    for (int i = 8; i < count; i += 2) {
        unsigned long v;
        if (!sdp_text_is_token(tok[i]) || !sdp_text_is_token(tok[i + 1]))
            return sdp_text_fail(err, errlen, "candidate extension is malformed");
        if (sdp_text_span_is(tok[i], "rport") &&
            sdp_text_parse_ulong(tok[i + 1], 5, 65535, &v) != 0)
            return sdp_text_fail(err, errlen, "candidate rport is not 0-65535");
        if (!sdp_cand_ext_kept(tok[i]) || !sdp_cand_is_ice_chars(tok[i + 1], 256) ||
            sdp_cand_ext_seen(c, tok[i]))
            continue;
        c->ext[c->n_ext++] = tok[i];
        c->ext[c->n_ext++] = tok[i + 1];
    }
    return 0;
}

bool sdp_cand_kept(struct sdp_cand *c)
{
    if (!sdp_text_span_is(c->type, "relay"))
        return false;
    return sdp_addr_is_literal(c->addr.p, c->addr.n, &c->ipv6);
}

/* libwebrtc's foundation is a CRC32 over the type and the host's base
 * address, which a peer can invert by trying private addresses. Ours is a
 * hash of what the candidate already shows (transport and relayed address),
 * so candidates that share a relay share a foundation, as ICE expects. */
static void sdp_cand_put_foundation(struct sdp_text_buf *b, const struct sdp_cand *c)
{
    crypto_generichash_state st;
    unsigned char h[8];
    uint32_t v = 0;
    char lower[17];
    size_t n = c->transport.n < 16 ? c->transport.n : 16;
    for (size_t i = 0; i < n; i++) {
        char ch = c->transport.p[i];
        lower[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)"umbra-foundation", 17);
    crypto_generichash_update(&st, (const unsigned char *)lower, n);
    crypto_generichash_update(&st, (const unsigned char *)"|", 1);
    crypto_generichash_update(&st, (const unsigned char *)c->addr.p, c->addr.n);
    crypto_generichash_final(&st, h, sizeof(h));
    for (int i = 0; i < 4; i++)
        v = (v << 8) | h[i];
    sdp_text_put_ulong(b, v);
}

void sdp_cand_put(struct sdp_text_buf *b, const struct sdp_cand *c)
{
    sdp_cand_put_foundation(b, c);
    sdp_text_puts(b, " ");
    sdp_text_put_span(b, c->component);
    sdp_text_puts(b, " ");
    sdp_text_put_span(b, c->transport);
    sdp_text_puts(b, " ");
    sdp_text_put_span(b, c->priority);
    sdp_text_puts(b, " ");
    sdp_text_put_span(b, c->addr);
    sdp_text_puts(b, " ");
    sdp_text_put_span(b, c->port);
    sdp_text_puts(b, " typ relay raddr 0.0.0.0 rport 0");
    for (size_t i = 0; i < c->n_ext; i++) {
        sdp_text_puts(b, " ");
        sdp_text_put_span(b, c->ext[i]);
    }
}

int sdp_sanitize_candidate(const char *in, size_t len, char *out, size_t outcap, char *err,
                           size_t errlen)
{
    struct sdp_cand c;
    struct sdp_text_buf b = {0};
    size_t skip;
    int rc;
    if (out != NULL && outcap > 0)
        out[0] = '\0';
    if (in == NULL || out == NULL)
        return sdp_text_fail(err, errlen, "no candidate");
    while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
        len--;
    if (len == 0)
        return sdp_text_fail(err, errlen, "empty candidate");
    if (len > SDP_CANDIDATE_MAX * 2)
        return sdp_text_fail(err, errlen, "candidate longer than %d bytes", SDP_CANDIDATE_MAX * 2);
    if (!sdp_text_bytes_ok(in, len))
        return sdp_text_fail(err, errlen, "candidate holds a control byte");
    if (sdp_text_starts(in, len, "a=candidate:"))
        skip = strlen("a=candidate:");
    else if (sdp_text_starts(in, len, "candidate:"))
        skip = strlen("candidate:");
    else
        return sdp_text_fail(err, errlen, "not a candidate (no \"candidate:\" prefix)");
    if (sdp_cand_parse(in + skip, len - skip, &c, err, errlen) != 0)
        return -1;
    if (!sdp_cand_kept(&c))
        return 0;
    sdp_text_put(&b, in, skip);
    sdp_cand_put(&b, &c);
    if (b.oom) {
        free(b.p);
        return sdp_text_fail(err, errlen, "out of memory");
    }
    if (b.len + 1 > outcap) {
        rc = sdp_text_fail(err, errlen, "candidate needs %zu bytes, buffer has %zu", b.len + 1,
                           outcap);
    } else {
        memcpy(out, b.p, b.len + 1);
        rc = 1;
    }
    free(b.p);
    return rc;
}
