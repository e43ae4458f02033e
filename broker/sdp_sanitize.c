/* sdp_sanitize: the SDP privacy filter over a whole SDP. See sdp_sanitize.h
 * for the rules. One candidate is sdp_candidate's job, finding addresses in
 * text sdp_addr's, fingerprints sdp_fingerprint's and labels sdp_label's;
 * this file decides which rule each line gets.
 *
 * Two passes over the lines: the first validates and finds, per m-section,
 * the relay candidate that c=, m= and a=rtcp will name (c= comes before the
 * candidates in a section); the second writes the output. */
#include "sdp_sanitize.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sdp_addr.h"
#include "sdp_candidate.h"
#include "sdp_fingerprint.h"
#include "sdp_label.h"
#include "sdp_text.h"

#define SDP_DUMMY_PORT 9
#define SDP_NO_ADDR "0.0.0.0"

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

/* ---- line kinds ---- */

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

/* Classifies a line; *value is set to the offset of an attribute's value
 * (after the colon, or the line's end). */
static enum sdp_kind sdp_classify(struct sdp_text_span l, size_t *value)
{
    struct sdp_text_span name;
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
        if (sdp_text_span_is_ci(name, sdp_attrs[i].name))
            return sdp_attrs[i].kind;
    return SDP_OTHER;
}

/* ---- the two passes ---- */

struct sdp_ctx {
    const struct sdp_options *opts;
    struct sdp_text_span *lines;
    size_t n_lines;
    size_t *section_of; /* line -> section index, 0 = session level */
    struct sdp_section *sections;
    size_t n_sections;
    uint64_t session_id;
    struct sdp_text_buf out;
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
        return sdp_text_fail(err, errlen, "out of memory");
    while (i < len) {
        size_t start = i, end;
        while (i < len && in[i] != '\n')
            i++;
        end = i;
        if (i < len)
            i++; /* the LF */
        if (end > start && in[end - 1] == '\r')
            end--;
        if (!sdp_text_bytes_ok(in + start, end - start))
            return sdp_text_fail(err, errlen, "line %zu holds a NUL or control byte", line + 1);
        if (end - start < 2 || in[start] < 'a' || in[start] > 'z' || in[start + 1] != '=')
            return sdp_text_fail(err, errlen, "line %zu is not of the form \"x=...\"", line + 1);
        x->lines[line].p = in + start;
        x->lines[line].n = end - start;
        line++;
    }
    x->n_lines = line;
    return 0;
}

static int sdp_parse_m_port(struct sdp_text_span l, struct sdp_text_span *port, unsigned long *num)
{
    struct sdp_text_span tok[4];
    struct sdp_text_span digits;
    size_t slash;
    int count = sdp_text_tokens(l.p + 2, l.n - 2, tok, 4);
    if (count >= 0 && count < 4)
        return -1;
    *port = tok[1];
    for (slash = 0; slash < tok[1].n && tok[1].p[slash] != '/'; slash++)
        ;
    digits.p = tok[1].p;
    digits.n = slash;
    return sdp_text_parse_ulong(digits, 5, 65535, num);
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
        return sdp_text_fail(err, errlen, "out of memory");
    x->n_sections = 1;
    for (size_t i = 0; i < x->n_lines; i++)
        x->n_sections += x->lines[i].p[0] == 'm';
    x->sections = calloc(x->n_sections, sizeof(*x->sections));
    if (x->sections == NULL)
        return sdp_text_fail(err, errlen, "out of memory");
    if (x->n_lines == 0 || !sdp_text_span_is(x->lines[0], "v=0"))
        return sdp_text_fail(err, errlen, "first line is not \"v=0\"");
    for (size_t i = 0; i < x->n_lines; i++) {
        struct sdp_text_span l = x->lines[i];
        size_t v;
        enum sdp_kind kind = sdp_classify(l, &v);
        if (kind == SDP_VERSION && i != 0)
            return sdp_text_fail(err, errlen, "line %zu: a second v= line", i + 1);
        if (kind == SDP_MEDIA) {
            struct sdp_text_span port;
            unsigned long num;
            sec++;
            if (sdp_parse_m_port(l, &port, &num) != 0)
                return sdp_text_fail(err, errlen, "line %zu: malformed m= line", i + 1);
            /* an m= line cannot be dropped without merging two sections */
            if (sdp_addr_in_text(l.p, l.n))
                return sdp_text_fail(err, errlen, "line %zu: m= line holds an address", i + 1);
        } else if (kind == SDP_ORIGIN) {
            struct sdp_text_span tok[7];
            if (sec != 0)
                return sdp_text_fail(err, errlen, "line %zu: o= inside a media section", i + 1);
            if (sdp_text_tokens(l.p + 2, l.n - 2, tok, 7) != 6)
                return sdp_text_fail(err, errlen, "line %zu: o= line needs 6 fields", i + 1);
            if (!sdp_text_is_digits(tok[2], 20))
                return sdp_text_fail(err, errlen, "line %zu: o= session version is not a number",
                                     i + 1);
            n_o++;
        } else if (kind == SDP_CANDIDATE) {
            struct sdp_cand c;
            char why[128];
            if (sdp_cand_parse(l.p + v, l.n - v, &c, why, sizeof(why)) != 0)
                return sdp_text_fail(err, errlen, "line %zu: %s", i + 1, why);
            if (sdp_cand_kept(&c)) {
                x->res->candidates_kept++;
                sdp_note_candidate(&x->sections[sec], &c);
            } else {
                x->res->candidates_dropped++;
            }
        } else if (kind == SDP_FINGERPRINT) {
            char why[128];
            if (sdp_fingerprint_add(x->res, l.p + v, l.n - v, why, sizeof(why)) != 0)
                return sdp_text_fail(err, errlen, "line %zu: %s", i + 1, why);
        }
        x->section_of[i] = sec;
    }
    if (n_o != 1)
        return sdp_text_fail(err, errlen, "%s o= line", n_o == 0 ? "no" : "more than one");
    return 0;
}

static void sdp_put_nettype(struct sdp_text_buf *b, const struct sdp_default *d)
{
    if (d->set) {
        sdp_text_puts(b, d->ipv6 ? "IN IP6 " : "IN IP4 ");
        sdp_text_puts(b, d->addr);
    } else {
        sdp_text_puts(b, "IN IP4 " SDP_NO_ADDR);
    }
}

static void sdp_emit_o(struct sdp_ctx *x, struct sdp_text_span l)
{
    struct sdp_text_span tok[6];
    char id[24];
    sdp_text_tokens(l.p + 2, l.n - 2, tok, 6);
    snprintf(id, sizeof(id), "%" PRIu64, x->session_id);
    sdp_text_puts(&x->out, "o=- ");
    sdp_text_puts(&x->out, id);
    sdp_text_puts(&x->out, " ");
    sdp_text_put_span(&x->out, tok[2]);
    sdp_text_puts(&x->out, " IN IP4 " SDP_NO_ADDR);
}

static void sdp_emit_m(struct sdp_ctx *x, struct sdp_text_span l, const struct sdp_section *s)
{
    struct sdp_text_span port;
    unsigned long num = 0;
    size_t after;
    sdp_parse_m_port(l, &port, &num);
    if (num == 0) {
        sdp_text_put_span(&x->out, l);
        return;
    }
    after = (size_t)(port.p + port.n - l.p);
    sdp_text_put(&x->out, l.p, (size_t)(port.p - l.p));
    sdp_text_put_ulong(&x->out, s->rtp.set ? s->rtp.port : SDP_DUMMY_PORT);
    sdp_text_put(&x->out, l.p + after, l.n - after);
}

static void sdp_emit_rtcp(struct sdp_ctx *x, const struct sdp_section *s)
{
    const struct sdp_default *d = s->rtcp.set ? &s->rtcp : &s->rtp;
    sdp_text_puts(&x->out, "a=rtcp:");
    sdp_text_put_ulong(&x->out, d->set ? d->port : SDP_DUMMY_PORT);
    sdp_text_puts(&x->out, " ");
    sdp_put_nettype(&x->out, d);
}

/* a=ssrc:<id> <attr>[:<value>] */
static void sdp_emit_ssrc(struct sdp_ctx *x, struct sdp_text_span l)
{
    const char *sp = memchr(l.p, ' ', l.n);
    const char *end = l.p + l.n;
    const char *colon;
    size_t head;
    if (sp == NULL) {
        sdp_text_put_span(&x->out, l);
        return;
    }
    colon = memchr(sp + 1, ':', (size_t)(end - sp - 1));
    if (colon == NULL) {
        sdp_text_put_span(&x->out, l);
        return;
    }
    head = (size_t)(colon + 1 - l.p);
    struct sdp_text_span attr = {sp + 1, (size_t)(colon - sp - 1)};
    if (sdp_text_span_is_ci(attr, "cname")) {
        sdp_text_put(&x->out, l.p, head);
        sdp_text_puts(&x->out, x->opts->cname);
    } else if (sdp_text_span_is_ci(attr, "msid") || sdp_text_span_is_ci(attr, "mslabel") ||
               sdp_text_span_is_ci(attr, "label")) {
        sdp_text_put(&x->out, l.p, head);
        sdp_label_put(&x->out, colon + 1, (size_t)(end - colon - 1), x->opts->label_key);
    } else {
        sdp_text_put_span(&x->out, l);
    }
}

/* a=msid-semantic:[ ]<semantic> <id>* : ids hashed, "*" kept. */
static void sdp_emit_msid_semantic(struct sdp_ctx *x, struct sdp_text_span l, size_t value)
{
    size_t i = value;
    while (i < l.n && l.p[i] == ' ')
        i++;
    while (i < l.n && l.p[i] != ' ')
        i++;
    sdp_text_put(&x->out, l.p, i);
    sdp_label_put(&x->out, l.p + i, l.n - i, x->opts->label_key);
}

static void sdp_emit_candidate(struct sdp_ctx *x, struct sdp_text_span l, size_t value)
{
    struct sdp_cand c;
    sdp_cand_parse(l.p + value, l.n - value, &c, NULL, 0);
    if (!sdp_cand_kept(&c))
        return;
    sdp_text_puts(&x->out, "a=candidate:");
    sdp_cand_put(&x->out, &c);
    sdp_text_puts(&x->out, "\r\n");
}

/* Writes a line whose content is not rebuilt here (kept, or with labels
 * replaced), unless it carries an address: then it is dropped (s=, which
 * SDP requires, becomes "s=-"). This is the net under the rules above, for
 * attributes nobody listed (a=altc, a=source-filter, u=, ...). */
static void sdp_emit_checked(struct sdp_ctx *x, struct sdp_text_span l, enum sdp_kind kind,
                             size_t value)
{
    size_t start = x->out.len;
    if (kind == SDP_SSRC)
        sdp_emit_ssrc(x, l);
    else if (kind == SDP_MSID) {
        sdp_text_put(&x->out, l.p, value);
        sdp_label_put(&x->out, l.p + value, l.n - value, x->opts->label_key);
    } else if (kind == SDP_MSID_SEMANTIC)
        sdp_emit_msid_semantic(x, l, value);
    else
        sdp_text_put_span(&x->out, l);
    if (!x->out.oom && kind != SDP_FINGERPRINT &&
        sdp_addr_in_text(x->out.p + start, x->out.len - start)) {
        x->out.len = start;
        x->out.p[start] = '\0';
        x->res->lines_dropped++;
        if (kind != SDP_SESSION_NAME)
            return;
        sdp_text_puts(&x->out, "s=-");
    }
    sdp_text_puts(&x->out, "\r\n");
}

/* Second pass: one line in, zero or one line out. */
static void sdp_emit_line(struct sdp_ctx *x, size_t i)
{
    static const struct sdp_default none;
    struct sdp_text_span l = x->lines[i];
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
        sdp_text_puts(&x->out, "c=");
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
    sdp_text_puts(&x->out, "\r\n");
}

static int sdp_check_options(const struct sdp_options *o, char *err, size_t errlen)
{
    if (o == NULL || o->cname == NULL || o->label_key == NULL)
        return sdp_text_fail(err, errlen, "options need a cname and a label key");
    if (o->cname[0] == '\0' || strlen(o->cname) > 255 ||
        !sdp_text_is_token((struct sdp_text_span){o->cname, strlen(o->cname)}))
        return sdp_text_fail(err, errlen, "cname must be 1-255 visible characters");
    if (o->session_id > INT64_MAX)
        return sdp_text_fail(err, errlen, "session id must be below 2^63");
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
        return sdp_text_fail(err, errlen, "empty SDP");
    if (len > SDP_MAX_INPUT)
        return sdp_text_fail(err, errlen, "SDP of %zu bytes is over the %d byte limit", len,
                             SDP_MAX_INPUT);
    if (memchr(in, '\0', len) != NULL)
        return sdp_text_fail(err, errlen, "SDP holds a NUL byte");
    x.opts = opts;
    x.res = out;
    x.session_id = opts->session_id != 0 ? opts->session_id : sdp_random_session_id();
    if (sdp_split(in, len, &x, err, errlen) != 0 || sdp_scan(&x, err, errlen) != 0)
        goto done;
    for (size_t i = 0; i < x.n_lines; i++)
        sdp_emit_line(&x, i);
    if (x.out.oom) {
        sdp_text_fail(err, errlen, "out of memory");
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
