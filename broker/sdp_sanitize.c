/* sdp_sanitize: the SDP privacy filter. See sdp_sanitize.h for the rules.
 *
 * Two passes over the lines: the first validates and finds, per m-section,
 * the relay candidate that c=, m= and a=rtcp will name (c= comes before the
 * candidates in a section); the second writes the output. */
#include "sdp_sanitize.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SDP_MAX_TOKENS 64
#define SDP_LABEL_HASH_BYTES 16
#define SDP_DUMMY_PORT 9
#define SDP_NO_ADDR "0.0.0.0"

struct sdp_span {
    const char *p;
    size_t n;
};

struct sdp_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

/* A parsed candidate attribute value (after "candidate:"). Spans point into
 * the input. */
struct sdp_cand {
    struct sdp_span foundation, component, transport, priority, addr, port, type;
    struct sdp_span ext[SDP_MAX_TOKENS]; /* kept extension name/value pairs */
    size_t n_ext;
    unsigned long component_id, port_num;
    bool ipv6;
};

/* The relayed transport address that c=, m= and a=rtcp of a section name. */
struct sdp_default {
    bool set;
    bool ipv6;
    char addr[INET6_ADDRSTRLEN];
    unsigned long port;
};

struct sdp_section {
    struct sdp_default rtp, rtcp;
};

static int sdp_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sdp_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- small helpers ---- */

static bool sdp_span_is(struct sdp_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool sdp_starts(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

/* Parses 1..maxdigits decimal digits that fit below or at max. */
static int sdp_parse_ulong(struct sdp_span s, size_t maxdigits, unsigned long max,
                           unsigned long *out)
{
    unsigned long v = 0;
    if (s.n == 0 || s.n > maxdigits)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s.p[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static bool sdp_is_digits(struct sdp_span s, size_t maxdigits)
{
    if (s.n == 0 || s.n > maxdigits)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* Splits on runs of spaces into at most max tokens. Returns the token
 * count, or -1 if there are more than max (then tok holds the first max). */
static int sdp_tokens(const char *p, size_t n, struct sdp_span *tok, size_t max)
{
    size_t count = 0, i = 0;
    while (i < n) {
        size_t start;
        while (i < n && p[i] == ' ')
            i++;
        if (i >= n)
            break;
        start = i;
        while (i < n && p[i] != ' ')
            i++;
        if (count == max)
            return -1;
        tok[count].p = p + start;
        tok[count].n = i - start;
        count++;
    }
    return (int)count;
}

static void sdp_put(struct sdp_buf *b, const char *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sdp_puts(struct sdp_buf *b, const char *s)
{
    sdp_put(b, s, strlen(s));
}

static void sdp_put_span(struct sdp_buf *b, struct sdp_span s)
{
    sdp_put(b, s.p, s.n);
}

static void sdp_put_ulong(struct sdp_buf *b, unsigned long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lu", v);
    sdp_put(b, num, (size_t)n);
}

/* ---- candidates ---- */

static bool sdp_is_ice_chars(struct sdp_span s, size_t max)
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

static bool sdp_is_token(struct sdp_span s)
{
    if (s.n == 0)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

/* Only these extensions survive: they describe the ICE session, not the
 * host (network-id and network-cost describe the local interface). */
static bool sdp_ext_kept(struct sdp_span name)
{
    return sdp_span_is(name, "generation") || sdp_span_is(name, "ufrag") ||
           sdp_span_is(name, "tcptype");
}

static bool sdp_ext_seen(const struct sdp_cand *c, struct sdp_span name)
{
    for (size_t i = 0; i < c->n_ext; i += 2)
        if (c->ext[i].n == name.n && memcmp(c->ext[i].p, name.p, name.n) == 0)
            return true;
    return false;
}

/* Parses the value of a candidate attribute (what follows "candidate:").
 * Returns 0, or -1 with a reason. */
static int sdp_parse_candidate(const char *p, size_t n, struct sdp_cand *c, char *err,
                               size_t errlen)
{
    struct sdp_span tok[SDP_MAX_TOKENS];
    unsigned long prio;
    int count = sdp_tokens(p, n, tok, SDP_MAX_TOKENS);
    memset(c, 0, sizeof(*c));
    if (count < 8)
        return sdp_fail(err, errlen, "candidate has %d fields, needs at least 8",
                        count < 0 ? SDP_MAX_TOKENS : count);
    if ((count - 8) % 2 != 0)
        return sdp_fail(err, errlen, "candidate extension without a value");
    c->foundation = tok[0];
    c->component = tok[1];
    c->transport = tok[2];
    c->priority = tok[3];
    c->addr = tok[4];
    c->port = tok[5];
    c->type = tok[7];
    if (!sdp_is_ice_chars(c->foundation, 32))
        return sdp_fail(err, errlen, "candidate foundation is not 1-32 ice-chars");
    if (sdp_parse_ulong(c->component, 3, 256, &c->component_id) != 0 || c->component_id == 0)
        return sdp_fail(err, errlen, "candidate component is not 1-256");
    if (!sdp_is_ice_chars(c->transport, 16))
        return sdp_fail(err, errlen, "candidate transport is not a token");
    if (sdp_parse_ulong(c->priority, 10, 4294967295UL, &prio) != 0)
        return sdp_fail(err, errlen, "candidate priority is not a 32-bit number");
    if (!sdp_is_token(c->addr) || c->addr.n >= INET6_ADDRSTRLEN + 64)
        return sdp_fail(err, errlen, "candidate address is malformed");
    if (sdp_parse_ulong(c->port, 5, 65535, &c->port_num) != 0)
        return sdp_fail(err, errlen, "candidate port is not 0-65535");
    if (!sdp_span_is(tok[6], "typ") || !sdp_is_token(c->type))
        return sdp_fail(err, errlen, "candidate has no \"typ\" in sixth place");
    for (int i = 8; i < count; i += 2) {
        unsigned long v;
        if (!sdp_is_token(tok[i]) || !sdp_is_token(tok[i + 1]))
            return sdp_fail(err, errlen, "candidate extension is malformed");
        if (sdp_span_is(tok[i], "rport") && sdp_parse_ulong(tok[i + 1], 5, 65535, &v) != 0)
            return sdp_fail(err, errlen, "candidate rport is not 0-65535");
        if (!sdp_ext_kept(tok[i]) || !sdp_is_ice_chars(tok[i + 1], 256) || sdp_ext_seen(c, tok[i]))
            continue;
        c->ext[c->n_ext++] = tok[i];
        c->ext[c->n_ext++] = tok[i + 1];
    }
    return 0;
}

/* A candidate is kept only if it is a relay candidate on an IP literal:
 * a name (mDNS or other) could say anything. */
static bool sdp_candidate_kept(struct sdp_cand *c)
{
    char addr[INET6_ADDRSTRLEN + 64];
    unsigned char bin[16];
    if (!sdp_span_is(c->type, "relay"))
        return false;
    memcpy(addr, c->addr.p, c->addr.n);
    addr[c->addr.n] = '\0';
    if (inet_pton(AF_INET, addr, bin) == 1)
        return true;
    if (inet_pton(AF_INET6, addr, bin) == 1) {
        c->ipv6 = true;
        return true;
    }
    return false;
}

/* libwebrtc's foundation is a CRC32 over the type and the host's base
 * address, which a peer can invert by trying private addresses. Ours is a
 * hash of what the candidate already shows (transport and relayed address),
 * so candidates that share a relay share a foundation, as ICE expects. */
static void sdp_put_foundation(struct sdp_buf *b, const struct sdp_cand *c)
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
    sdp_put_ulong(b, v);
}

/* Writes the value of a kept candidate (what follows "candidate:"). */
static void sdp_put_candidate(struct sdp_buf *b, const struct sdp_cand *c)
{
    sdp_put_foundation(b, c);
    sdp_puts(b, " ");
    sdp_put_span(b, c->component);
    sdp_puts(b, " ");
    sdp_put_span(b, c->transport);
    sdp_puts(b, " ");
    sdp_put_span(b, c->priority);
    sdp_puts(b, " ");
    sdp_put_span(b, c->addr);
    sdp_puts(b, " ");
    sdp_put_span(b, c->port);
    sdp_puts(b, " typ relay raddr 0.0.0.0 rport 0");
    for (size_t i = 0; i < c->n_ext; i++) {
        sdp_puts(b, " ");
        sdp_put_span(b, c->ext[i]);
    }
}

static bool sdp_bytes_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

int sdp_sanitize_candidate(const char *in, size_t len, char *out, size_t outcap, char *err,
                           size_t errlen)
{
    struct sdp_cand c;
    struct sdp_buf b = {0};
    size_t skip;
    int rc;
    if (out != NULL && outcap > 0)
        out[0] = '\0';
    if (in == NULL || out == NULL)
        return sdp_fail(err, errlen, "no candidate");
    while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
        len--;
    if (len == 0)
        return sdp_fail(err, errlen, "empty candidate");
    if (len > SDP_CANDIDATE_MAX * 2)
        return sdp_fail(err, errlen, "candidate longer than %d bytes", SDP_CANDIDATE_MAX * 2);
    if (!sdp_bytes_ok(in, len))
        return sdp_fail(err, errlen, "candidate holds a control byte");
    if (sdp_starts(in, len, "a=candidate:"))
        skip = strlen("a=candidate:");
    else if (sdp_starts(in, len, "candidate:"))
        skip = strlen("candidate:");
    else
        return sdp_fail(err, errlen, "not a candidate (no \"candidate:\" prefix)");
    if (sdp_parse_candidate(in + skip, len - skip, &c, err, errlen) != 0)
        return -1;
    if (!sdp_candidate_kept(&c))
        return 0;
    sdp_put(&b, in, skip);
    sdp_put_candidate(&b, &c);
    if (b.oom) {
        free(b.p);
        return sdp_fail(err, errlen, "out of memory");
    }
    if (b.len + 1 > outcap) {
        rc = sdp_fail(err, errlen, "candidate needs %zu bytes, buffer has %zu", b.len + 1, outcap);
    } else {
        memcpy(out, b.p, b.len + 1);
        rc = 1;
    }
    free(b.p);
    return rc;
}

/* ---- fingerprints ---- */

static int sdp_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Normalises "<alg> <hex pairs with colons>" into out. */
static int sdp_normalise_fingerprint(const char *p, size_t n, char out[SDP_FINGERPRINT_MAX],
                                     char *err, size_t errlen)
{
    struct sdp_span tok[3];
    size_t o = 0;
    int count = sdp_tokens(p, n, tok, 3);
    if (count != 2)
        return sdp_fail(err, errlen, "fingerprint is not \"<hash> <hex>\"");
    if (tok[0].n == 0 || tok[0].n > 16)
        return sdp_fail(err, errlen, "fingerprint hash name is malformed");
    for (size_t i = 0; i < tok[0].n; i++) {
        char c = tok[0].p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return sdp_fail(err, errlen, "fingerprint hash name is malformed");
        out[o++] = c;
    }
    out[o++] = ' ';
    /* pairs: "XX" then ":XX"*, 2 to 64 bytes */
    if (tok[1].n < 5 || tok[1].n % 3 != 2 || tok[1].n / 3 + 1 > 64)
        return sdp_fail(err, errlen, "fingerprint value is not colon-separated hex pairs");
    for (size_t i = 0; i < tok[1].n; i++) {
        char c = tok[1].p[i];
        if (i % 3 == 2) {
            if (c != ':')
                return sdp_fail(err, errlen, "fingerprint value is not colon-separated hex pairs");
            out[o++] = ':';
            continue;
        }
        if (sdp_hexval(c) < 0)
            return sdp_fail(err, errlen, "fingerprint value is not colon-separated hex pairs");
        out[o++] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
    }
    out[o] = '\0';
    return 0;
}

static int sdp_add_fingerprint(struct sdp_result *r, const char *p, size_t n, char *err,
                               size_t errlen)
{
    char fp[SDP_FINGERPRINT_MAX];
    if (sdp_normalise_fingerprint(p, n, fp, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < r->n_fingerprints; i++)
        if (strcmp(r->fingerprints[i], fp) == 0)
            return 0;
    if (r->n_fingerprints == SDP_MAX_FINGERPRINTS)
        return sdp_fail(err, errlen, "more than %d distinct fingerprints", SDP_MAX_FINGERPRINTS);
    memcpy(r->fingerprints[r->n_fingerprints++], fp, strlen(fp) + 1);
    return 0;
}

/* ---- labels ---- */

static void sdp_put_label(struct sdp_buf *b, struct sdp_span label, const uint8_t *key)
{
    crypto_generichash_state st;
    unsigned char h[SDP_LABEL_HASH_BYTES];
    char hex[2 * SDP_LABEL_HASH_BYTES + 1];
    if (sdp_span_is(label, "-") || sdp_span_is(label, "*")) {
        sdp_put_span(b, label);
        return;
    }
    crypto_generichash_init(&st, key, SDP_LABEL_KEY_BYTES, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)"umbra-label", 12);
    crypto_generichash_update(&st, (const unsigned char *)label.p, label.n);
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    sdp_puts(b, hex);
}

/* Writes text with every space-separated token replaced by its label hash,
 * spacing kept. */
static void sdp_put_labels(struct sdp_buf *b, const char *p, size_t n, const uint8_t *key)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        if (p[i] == ' ') {
            while (i < n && p[i] == ' ')
                i++;
            sdp_put(b, p + start, i - start);
            continue;
        }
        while (i < n && p[i] != ' ')
            i++;
        sdp_put_label(b, (struct sdp_span){p + start, i - start}, key);
    }
}

/* ---- lines ---- */

/* What a line is, by its type letter and, for a=, its attribute name
 * compared without case: some parsers (Firefox's) lowercase attribute names,
 * so "a=CANDIDATE:" must not slip past as an unknown attribute. */
enum sdp_kind {
    SDP_OTHER = 0,
    SDP_VERSION,
    SDP_ORIGIN,
    SDP_CONNECTION,
    SDP_MEDIA,
    SDP_SESSION_NAME,
    SDP_EMAIL,
    SDP_PHONE,
    SDP_CANDIDATE,
    SDP_REMOTE_CANDIDATES,
    SDP_RTCP,
    SDP_SSRC,
    SDP_MSID,
    SDP_MSID_SEMANTIC,
    SDP_IDENTITY,
    SDP_FINGERPRINT,
};

struct sdp_attr_name {
    const char *name;
    enum sdp_kind kind;
};

static const struct sdp_attr_name sdp_attrs[] = {
    {"candidate", SDP_CANDIDATE}, {"remote-candidates", SDP_REMOTE_CANDIDATES},
    {"rtcp", SDP_RTCP},           {"ssrc", SDP_SSRC},
    {"msid", SDP_MSID},           {"msid-semantic", SDP_MSID_SEMANTIC},
    {"identity", SDP_IDENTITY},   {"fingerprint", SDP_FINGERPRINT},
};

static bool sdp_span_is_ci(struct sdp_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

/* Classifies a line; *value is set to the offset of an attribute's value
 * (after the colon, or the line's end). */
static enum sdp_kind sdp_classify(struct sdp_span l, size_t *value)
{
    struct sdp_span name;
    const char *colon;
    *value = 2;
    switch (l.p[0]) {
    case 'v':
        return SDP_VERSION;
    case 'o':
        return SDP_ORIGIN;
    case 'c':
        return SDP_CONNECTION;
    case 'm':
        return SDP_MEDIA;
    case 's':
        return SDP_SESSION_NAME;
    case 'e':
        return SDP_EMAIL;
    case 'p':
        return SDP_PHONE;
    case 'a':
        break;
    default:
        return SDP_OTHER;
    }
    colon = memchr(l.p + 2, ':', l.n - 2);
    name.p = l.p + 2;
    name.n = colon != NULL ? (size_t)(colon - name.p) : l.n - 2;
    while (name.n > 0 && (name.p[name.n - 1] == ' ' || name.p[name.n - 1] == '\t'))
        name.n--;
    *value = colon != NULL ? (size_t)(colon + 1 - l.p) : l.n;
    for (size_t i = 0; i < sizeof(sdp_attrs) / sizeof(sdp_attrs[0]); i++)
        if (sdp_span_is_ci(name, sdp_attrs[i].name))
            return sdp_attrs[i].kind;
    return SDP_OTHER;
}

/* An IPv6 literal other than "::", allowing for one separator colon
 * glued on either side ("x-lan:fe80::1"). */
static bool sdp_is_ipv6(char *run)
{
    unsigned char bin[16];
    size_t n = strlen(run);
    if (n > 1 && run[n - 1] == ':' && run[n - 2] != ':')
        run[--n] = '\0';
    if (n > 1 && run[0] == ':' && run[1] != ':')
        run++;
    return inet_pton(AF_INET6, run, bin) == 1 && strcmp(run, "::") != 0;
}

/* An IPv4 literal other than 0.0.0.0 in p[0..n), digits and dots. */
static bool sdp_is_ipv4(const char *p, size_t n)
{
    char run[INET_ADDRSTRLEN];
    unsigned char bin[4];
    if (n >= sizeof(run))
        return false;
    memcpy(run, p, n);
    run[n] = '\0';
    return inet_pton(AF_INET, run, bin) == 1 && strcmp(run, "0.0.0.0") != 0;
}

static bool sdp_is_hex_colon_dot(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* A run of hex digits, colons and dots holds an address if it is one, if
 * it holds "::" next to a hex digit (a compressed IPv6 address glued to
 * other text), or if an IPv4 address hides in it ("cafe10.0.0.1"). */
static bool sdp_run_has_address(const char *p, size_t n)
{
    char run[INET6_ADDRSTRLEN];
    const char *dc = NULL;
    size_t dots = 0, colons = 0;
    for (size_t k = 0; k < n; k++) {
        dots += p[k] == '.';
        colons += p[k] == ':';
    }
    if (dots < 3 && colons < 2) /* most runs: hex in words, numbers */
        return false;
    if (n < sizeof(run)) {
        memcpy(run, p, n);
        run[n] = '\0';
        if (memchr(run, ':', n) != NULL && sdp_is_ipv6(run))
            return true;
    }
    for (size_t k = 0; k + 1 < n; k++) {
        if (p[k] == ':' && p[k + 1] == ':') {
            dc = p + k;
            break;
        }
    }
    if (dc != NULL && ((dc > p && dc[-1] != ':' && dc[-1] != '.') ||
                       (dc + 2 < p + n && dc[2] != ':' && dc[2] != '.')))
        return true;
    for (size_t k = 0; k < n; k++) {
        size_t e = k;
        if (p[k] < '0' || p[k] > '9' || (k > 0 && p[k - 1] >= '0' && p[k - 1] <= '9'))
            continue;
        while (e < n && ((p[e] >= '0' && p[e] <= '9') || p[e] == '.'))
            e++;
        if (sdp_is_ipv4(p + k, e - k))
            return true;
    }
    return false;
}

/* True if text holds an IPv4 or IPv6 literal other than 0.0.0.0 and ::.
 * This is a net for software that writes addresses in plain text where
 * nobody expects them; a sender set on disclosing its own address can
 * always encode it, and no filter can stop that. */
static bool sdp_has_address(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && sdp_is_hex_colon_dot(p[i]))
            i++;
        if (i == start) {
            i++;
            continue;
        }
        if (sdp_run_has_address(p + start, i - start))
            return true;
    }
    return false;
}

struct sdp_ctx {
    const struct sdp_options *opts;
    struct sdp_span *lines;
    size_t n_lines;
    size_t *section_of; /* line -> section index, 0 = session level */
    struct sdp_section *sections;
    size_t n_sections;
    uint64_t session_id;
    struct sdp_buf out;
    struct sdp_result *res;
};

/* Splits into lines (LF or CRLF) and checks the bytes and the "x=" form. */
static int sdp_split(const char *in, size_t len, struct sdp_ctx *x, char *err, size_t errlen)
{
    size_t count = 1, i = 0, line = 0;
    for (size_t k = 0; k < len; k++)
        count += in[k] == '\n';
    x->lines = calloc(count, sizeof(*x->lines));
    if (x->lines == NULL)
        return sdp_fail(err, errlen, "out of memory");
    while (i < len) {
        size_t start = i, end;
        while (i < len && in[i] != '\n')
            i++;
        end = i;
        if (i < len)
            i++; /* the LF */
        if (end > start && in[end - 1] == '\r')
            end--;
        if (!sdp_bytes_ok(in + start, end - start))
            return sdp_fail(err, errlen, "line %zu holds a NUL or control byte", line + 1);
        if (end - start < 2 || in[start] < 'a' || in[start] > 'z' || in[start + 1] != '=')
            return sdp_fail(err, errlen, "line %zu is not of the form \"x=...\"", line + 1);
        x->lines[line].p = in + start;
        x->lines[line].n = end - start;
        line++;
    }
    x->n_lines = line;
    return 0;
}

static int sdp_parse_m_port(struct sdp_span l, struct sdp_span *port, unsigned long *num)
{
    struct sdp_span tok[4];
    struct sdp_span digits;
    size_t slash;
    int count = sdp_tokens(l.p + 2, l.n - 2, tok, 4);
    if (count >= 0 && count < 4)
        return -1;
    *port = tok[1];
    for (slash = 0; slash < tok[1].n && tok[1].p[slash] != '/'; slash++)
        ;
    digits.p = tok[1].p;
    digits.n = slash;
    return sdp_parse_ulong(digits, 5, 65535, num);
}

static void sdp_note_candidate(struct sdp_section *s, const struct sdp_cand *c)
{
    struct sdp_default *d = NULL;
    if (c->component_id == 1 && !s->rtp.set)
        d = &s->rtp;
    else if (c->component_id == 2 && !s->rtcp.set)
        d = &s->rtcp;
    if (d == NULL)
        return;
    d->set = true;
    d->ipv6 = c->ipv6;
    memcpy(d->addr, c->addr.p, c->addr.n);
    d->addr[c->addr.n] = '\0';
    d->port = c->port_num;
}

/* First pass: validates the structure, counts candidates, finds each
 * section's default relay address and collects fingerprints. */
static int sdp_scan(struct sdp_ctx *x, char *err, size_t errlen)
{
    size_t sec = 0, n_o = 0;
    x->section_of = calloc(x->n_lines, sizeof(*x->section_of));
    if (x->section_of == NULL)
        return sdp_fail(err, errlen, "out of memory");
    x->n_sections = 1;
    for (size_t i = 0; i < x->n_lines; i++)
        x->n_sections += x->lines[i].p[0] == 'm';
    x->sections = calloc(x->n_sections, sizeof(*x->sections));
    if (x->sections == NULL)
        return sdp_fail(err, errlen, "out of memory");
    if (x->n_lines == 0 || !sdp_span_is(x->lines[0], "v=0"))
        return sdp_fail(err, errlen, "first line is not \"v=0\"");
    for (size_t i = 0; i < x->n_lines; i++) {
        struct sdp_span l = x->lines[i];
        size_t v;
        enum sdp_kind kind = sdp_classify(l, &v);
        if (kind == SDP_VERSION && i != 0)
            return sdp_fail(err, errlen, "line %zu: a second v= line", i + 1);
        if (kind == SDP_MEDIA) {
            struct sdp_span port;
            unsigned long num;
            sec++;
            if (sdp_parse_m_port(l, &port, &num) != 0)
                return sdp_fail(err, errlen, "line %zu: malformed m= line", i + 1);
            /* an m= line cannot be dropped without merging two sections */
            if (sdp_has_address(l.p, l.n))
                return sdp_fail(err, errlen, "line %zu: m= line holds an address", i + 1);
        } else if (kind == SDP_ORIGIN) {
            struct sdp_span tok[7];
            if (sec != 0)
                return sdp_fail(err, errlen, "line %zu: o= inside a media section", i + 1);
            if (sdp_tokens(l.p + 2, l.n - 2, tok, 7) != 6)
                return sdp_fail(err, errlen, "line %zu: o= line needs 6 fields", i + 1);
            if (!sdp_is_digits(tok[2], 20))
                return sdp_fail(err, errlen, "line %zu: o= session version is not a number", i + 1);
            n_o++;
        } else if (kind == SDP_CANDIDATE) {
            struct sdp_cand c;
            char why[128];
            if (sdp_parse_candidate(l.p + v, l.n - v, &c, why, sizeof(why)) != 0)
                return sdp_fail(err, errlen, "line %zu: %s", i + 1, why);
            if (sdp_candidate_kept(&c)) {
                x->res->candidates_kept++;
                sdp_note_candidate(&x->sections[sec], &c);
            } else {
                x->res->candidates_dropped++;
            }
        } else if (kind == SDP_FINGERPRINT) {
            char why[128];
            if (sdp_add_fingerprint(x->res, l.p + v, l.n - v, why, sizeof(why)) != 0)
                return sdp_fail(err, errlen, "line %zu: %s", i + 1, why);
        }
        x->section_of[i] = sec;
    }
    if (n_o != 1)
        return sdp_fail(err, errlen, "%s o= line", n_o == 0 ? "no" : "more than one");
    return 0;
}

static void sdp_put_nettype(struct sdp_buf *b, const struct sdp_default *d)
{
    if (d->set) {
        sdp_puts(b, d->ipv6 ? "IN IP6 " : "IN IP4 ");
        sdp_puts(b, d->addr);
    } else {
        sdp_puts(b, "IN IP4 " SDP_NO_ADDR);
    }
}

static void sdp_emit_o(struct sdp_ctx *x, struct sdp_span l)
{
    struct sdp_span tok[6];
    char id[24];
    sdp_tokens(l.p + 2, l.n - 2, tok, 6);
    snprintf(id, sizeof(id), "%" PRIu64, x->session_id);
    sdp_puts(&x->out, "o=- ");
    sdp_puts(&x->out, id);
    sdp_puts(&x->out, " ");
    sdp_put_span(&x->out, tok[2]);
    sdp_puts(&x->out, " IN IP4 " SDP_NO_ADDR);
}

static void sdp_emit_m(struct sdp_ctx *x, struct sdp_span l, const struct sdp_section *s)
{
    struct sdp_span port;
    unsigned long num = 0;
    size_t after;
    sdp_parse_m_port(l, &port, &num);
    if (num == 0) {
        sdp_put_span(&x->out, l);
        return;
    }
    after = (size_t)(port.p + port.n - l.p);
    sdp_put(&x->out, l.p, (size_t)(port.p - l.p));
    sdp_put_ulong(&x->out, s->rtp.set ? s->rtp.port : SDP_DUMMY_PORT);
    sdp_put(&x->out, l.p + after, l.n - after);
}

static void sdp_emit_rtcp(struct sdp_ctx *x, const struct sdp_section *s)
{
    const struct sdp_default *d = s->rtcp.set ? &s->rtcp : &s->rtp;
    sdp_puts(&x->out, "a=rtcp:");
    sdp_put_ulong(&x->out, d->set ? d->port : SDP_DUMMY_PORT);
    sdp_puts(&x->out, " ");
    sdp_put_nettype(&x->out, d);
}

/* a=ssrc:<id> <attr>[:<value>] */
static void sdp_emit_ssrc(struct sdp_ctx *x, struct sdp_span l)
{
    const char *sp = memchr(l.p, ' ', l.n);
    const char *end = l.p + l.n;
    const char *colon;
    size_t head;
    if (sp == NULL) {
        sdp_put_span(&x->out, l);
        return;
    }
    colon = memchr(sp + 1, ':', (size_t)(end - sp - 1));
    if (colon == NULL) {
        sdp_put_span(&x->out, l);
        return;
    }
    head = (size_t)(colon + 1 - l.p);
    struct sdp_span attr = {sp + 1, (size_t)(colon - sp - 1)};
    if (sdp_span_is_ci(attr, "cname")) {
        sdp_put(&x->out, l.p, head);
        sdp_puts(&x->out, x->opts->cname);
    } else if (sdp_span_is_ci(attr, "msid") || sdp_span_is_ci(attr, "mslabel") ||
               sdp_span_is_ci(attr, "label")) {
        sdp_put(&x->out, l.p, head);
        sdp_put_labels(&x->out, colon + 1, (size_t)(end - colon - 1), x->opts->label_key);
    } else {
        sdp_put_span(&x->out, l);
    }
}

/* a=msid-semantic:[ ]<semantic> <id>* : ids hashed, "*" kept. */
static void sdp_emit_msid_semantic(struct sdp_ctx *x, struct sdp_span l, size_t value)
{
    size_t i = value;
    while (i < l.n && l.p[i] == ' ')
        i++;
    while (i < l.n && l.p[i] != ' ')
        i++;
    sdp_put(&x->out, l.p, i);
    sdp_put_labels(&x->out, l.p + i, l.n - i, x->opts->label_key);
}

static void sdp_emit_candidate(struct sdp_ctx *x, struct sdp_span l, size_t value)
{
    struct sdp_cand c;
    sdp_parse_candidate(l.p + value, l.n - value, &c, NULL, 0);
    if (!sdp_candidate_kept(&c))
        return;
    sdp_puts(&x->out, "a=candidate:");
    sdp_put_candidate(&x->out, &c);
    sdp_puts(&x->out, "\r\n");
}

/* Writes a line whose content is not rebuilt here (kept, or with labels
 * replaced), unless it carries an address: then it is dropped (s=, which
 * SDP requires, becomes "s=-"). This is the net under the rules above, for
 * attributes nobody listed (a=altc, a=source-filter, u=, ...). */
static void sdp_emit_checked(struct sdp_ctx *x, struct sdp_span l, enum sdp_kind kind, size_t value)
{
    size_t start = x->out.len;
    if (kind == SDP_SSRC)
        sdp_emit_ssrc(x, l);
    else if (kind == SDP_MSID) {
        sdp_put(&x->out, l.p, value);
        sdp_put_labels(&x->out, l.p + value, l.n - value, x->opts->label_key);
    } else if (kind == SDP_MSID_SEMANTIC)
        sdp_emit_msid_semantic(x, l, value);
    else
        sdp_put_span(&x->out, l);
    if (!x->out.oom && kind != SDP_FINGERPRINT &&
        sdp_has_address(x->out.p + start, x->out.len - start)) {
        x->out.len = start;
        x->out.p[start] = '\0';
        x->res->lines_dropped++;
        if (kind != SDP_SESSION_NAME)
            return;
        sdp_puts(&x->out, "s=-");
    }
    sdp_puts(&x->out, "\r\n");
}

/* Second pass: one line in, zero or one line out. */
static void sdp_emit_line(struct sdp_ctx *x, size_t i)
{
    static const struct sdp_default none;
    struct sdp_span l = x->lines[i];
    const struct sdp_section *s = &x->sections[x->section_of[i]];
    bool media = x->section_of[i] != 0;
    bool strip = x->opts->strip_identity;
    size_t value;
    enum sdp_kind kind = sdp_classify(l, &value);
    switch (kind) {
    case SDP_CANDIDATE:
        sdp_emit_candidate(x, l, value);
        return;
    case SDP_REMOTE_CANDIDATES:
        return;
    case SDP_EMAIL:
    case SDP_PHONE:
    case SDP_IDENTITY:
        if (strip)
            return;
        sdp_emit_checked(x, l, kind, value);
        return;
    case SDP_ORIGIN:
        sdp_emit_o(x, l);
        break;
    case SDP_CONNECTION:
        sdp_puts(&x->out, "c=");
        sdp_put_nettype(&x->out, media ? &s->rtp : &none);
        break;
    case SDP_MEDIA:
        sdp_emit_m(x, l, s);
        break;
    case SDP_RTCP:
        sdp_emit_rtcp(x, s);
        break;
    default:
        sdp_emit_checked(x, l, kind, value);
        return;
    }
    sdp_puts(&x->out, "\r\n");
}

static int sdp_check_options(const struct sdp_options *o, char *err, size_t errlen)
{
    if (o == NULL || o->cname == NULL || o->label_key == NULL)
        return sdp_fail(err, errlen, "options need a cname and a label key");
    if (o->cname[0] == '\0' || strlen(o->cname) > 255 ||
        !sdp_is_token((struct sdp_span){o->cname, strlen(o->cname)}))
        return sdp_fail(err, errlen, "cname must be 1-255 visible characters");
    if (o->session_id > INT64_MAX)
        return sdp_fail(err, errlen, "session id must be below 2^63");
    return 0;
}

static uint64_t sdp_random_session_id(void)
{
    uint64_t v;
    do {
        randombytes_buf(&v, sizeof(v));
        v &= INT64_MAX; /* at most 19 digits, as libwebrtc writes them */
    } while (v == 0);
    return v;
}

void sdp_result_free(struct sdp_result *r)
{
    if (r == NULL)
        return;
    free(r->sdp);
    memset(r, 0, sizeof(*r));
}

int sdp_sanitize(const char *in, size_t len, const struct sdp_options *opts, struct sdp_result *out,
                 char *err, size_t errlen)
{
    struct sdp_ctx x = {0};
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (sdp_check_options(opts, err, errlen) != 0)
        return -1;
    if (in == NULL || len == 0)
        return sdp_fail(err, errlen, "empty SDP");
    if (len > SDP_MAX_INPUT)
        return sdp_fail(err, errlen, "SDP of %zu bytes is over the %d byte limit", len,
                        SDP_MAX_INPUT);
    if (memchr(in, '\0', len) != NULL)
        return sdp_fail(err, errlen, "SDP holds a NUL byte");
    x.opts = opts;
    x.res = out;
    x.session_id = opts->session_id != 0 ? opts->session_id : sdp_random_session_id();
    if (sdp_split(in, len, &x, err, errlen) != 0 || sdp_scan(&x, err, errlen) != 0)
        goto done;
    for (size_t i = 0; i < x.n_lines; i++)
        sdp_emit_line(&x, i);
    if (x.out.oom) {
        sdp_fail(err, errlen, "out of memory");
        goto done;
    }
    out->sdp = x.out.p;
    out->len = x.out.len;
    x.out.p = NULL;
    rc = 0;
done:
    free(x.out.p);
    free(x.lines);
    free(x.section_of);
    free(x.sections);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}
