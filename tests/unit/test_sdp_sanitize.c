/* Unit tests for broker/sdp_sanitize over SDP written in the forms Chromium
 * and Firefox produce (tests/fixtures/sdp). Every expectation is derived
 * from the input by this file's own small parsing, or written out from the
 * fixture text, never taken from the sanitizer. */
#include <arpa/inet.h>
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "sdp_sanitize.h"

#define MAX_LINES 512
#define CNAME "Kd8s0QmZtYw3LpXe"

static const uint8_t key_a[SDP_LABEL_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t key_b[SDP_LABEL_KEY_BYTES] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

/* ---- helpers ---- */

static char *fixture_path(const char *name)
{
    static char path[1024];
    const char *top = getenv("top_srcdir");
    if (top != NULL && top[0] != '\0')
        snprintf(path, sizeof(path), "%s/tests/fixtures/sdp/%s", top, name);
    else
        snprintf(path, sizeof(path), "%s/%s", SDP_FIXTURE_DIR, name);
    return path;
}

static char *read_fixture(const char *name, size_t *len)
{
    FILE *f = fopen(fixture_path(name), "rb");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

struct lines {
    char *v[MAX_LINES];
    size_t n;
};

/* Splits a copy of text on LF, dropping a CR before it. */
static void split_lines(const char *text, struct lines *l)
{
    const char *p = text;
    l->n = 0;
    while (*p != '\0') {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t k = n;
        if (k > 0 && p[k - 1] == '\r')
            k--;
        assert_true(l->n < MAX_LINES);
        l->v[l->n] = strndup(p, k);
        l->n++;
        p += n + (e ? 1 : 0);
    }
}

static void free_lines(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_ip(const char *s)
{
    unsigned char bin[16];
    return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

/* The nth (0-based) space-separated field of a candidate line after
 * "candidate:", copied into out. */
static void cand_field(const char *line, int nth, char *out, size_t cap)
{
    const char *p = strstr(line, "candidate:");
    assert_non_null(p);
    p += strlen("candidate:");
    for (int i = 0; i < nth; i++) {
        p = strchr(p, ' ');
        assert_non_null(p);
        p++;
    }
    size_t n = strcspn(p, " ");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static bool cand_is_relay_ip(const char *line)
{
    char typ[32], addr[128];
    cand_field(line, 7, typ, sizeof(typ));
    cand_field(line, 4, addr, sizeof(addr));
    return strcmp(typ, "relay") == 0 && is_ip(addr);
}

/* True if ip occurs in text with no address character on either side. */
static bool contains_ip(const char *text, const char *ip)
{
    size_t n = strlen(ip);
    const char *p = text;
    while ((p = strstr(p, ip)) != NULL) {
        char before = p == text ? ' ' : p[-1];
        char after = p[n];
        if (!isxdigit((unsigned char)before) && before != '.' && before != ':' &&
            !isxdigit((unsigned char)after) && after != '.' && after != ':')
            return true;
        p++;
    }
    return false;
}

/* Lines the sanitizer may rewrite or drop; all others must pass unchanged. */
static bool rewritable(const char *l)
{
    return l[0] == 'o' || l[0] == 'c' || l[0] == 'm' || l[0] == 'e' || l[0] == 'p' ||
           starts(l, "a=candidate:") || starts(l, "a=rtcp:") || starts(l, "a=msid:") ||
           starts(l, "a=msid-semantic:") || starts(l, "a=identity:") ||
           starts(l, "a=remote-candidates:") ||
           (starts(l, "a=ssrc:") && (strstr(l, " cname:") || strstr(l, " msid:") ||
                                     strstr(l, " mslabel:") || strstr(l, " label:")));
}

static void sanitize_ok(const char *in, size_t len, const struct sdp_options *o,
                        struct sdp_result *r)
{
    char err[256] = "";
    int rc = sdp_sanitize(in, len, o, r, err, sizeof(err));
    if (rc != 0)
        fail_msg("sdp_sanitize: %s", err);
    assert_non_null(r->sdp);
    assert_int_equal(strlen(r->sdp), r->len);
}

/* Label tokens of a line that carries stream or track labels, in order. */
static size_t label_tokens(const char *l, char tok[][128], size_t max)
{
    const char *p = NULL;
    size_t n = 0;
    if (starts(l, "a=msid:"))
        p = l + strlen("a=msid:");
    else if (starts(l, "a=msid-semantic:")) {
        p = l + strlen("a=msid-semantic:");
        p += strspn(p, " ");
        p += strcspn(p, " "); /* the semantic, "WMS" */
    } else if (starts(l, "a=ssrc:")) {
        const char *a = strchr(l, ' ');
        if (a == NULL)
            return 0;
        a++;
        if (starts(a, "msid:") || starts(a, "mslabel:") || starts(a, "label:"))
            p = strchr(a, ':') + 1;
    }
    if (p == NULL)
        return 0;
    while (*p != '\0' && n < max) {
        size_t k;
        p += strspn(p, " ");
        k = strcspn(p, " ");
        if (k == 0)
            break;
        assert_true(k < 128);
        memcpy(tok[n], p, k);
        tok[n][k] = '\0';
        n++;
        p += k;
    }
    return n;
}

/* ---- the per-fixture privacy checks ---- */

struct fixture {
    const char *name;
    const char *fingerprints[3]; /* expected, normalised, NULL-terminated */
};

static const struct fixture fixtures[] = {
    {"chromium_offer_av_data.sdp",
     {"sha-256 3A:91:5C:0E:B7:42:D8:6F:11:A9:C3:7E:25:F0:8B:64:D2:19:AE:57:03:CC:4F:96:E8:1B:72:"
      "3D:A5:60:9F:BE"}},
    {"chromium_offer_mdns.sdp",
     {"sha-256 C4:0B:7A:E9:52:16:3D:F8:A0:6C:91:2E:B5:47:D3:88:1F:6A:0C:E2:79:5B:34:AD:C1:98:07:"
      "F6:4E:23:BB:5D"}},
    {"chromium_answer.sdp",
     {"sha-256 E5:48:1D:B0:73:AC:2F:96:58:0B:C4:E1:37:6A:D9:02:8F:B5:1C:64:A3:7D:E0:29:5E:B8:46:"
      "F1:0A:93:C7:6D"}},
    {"firefox_offer_av_data.sdp",
     {"sha-256 7E:2D:A1:94:0C:5F:B3:68:E7:21:4A:D0:9B:36:C8:5E:F1:07:AC:62:3B:D9:84:1E:50:CA:7F:"
      "29:E6:B0:13:4D"}},
    {"firefox_answer.sdp",
     {"sha-256 1B:C6:08:5D:E2:97:4A:33:F0:6E:A9:12:7C:D5:84:B1:2F:68:C3:0A:95:E7:51:DC:3E:86:0B:"
      "F4:29:A7:6D:18"}},
    {"legacy_nonmux_offer.sdp",
     {"sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:"
      "B5:C6:D7:E8:F9",
      "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"}},
};

static void check_line_endings(const struct sdp_result *r)
{
    assert_true(r->len >= 2);
    assert_memory_equal(r->sdp + r->len - 2, "\r\n", 2);
    for (size_t i = 0; i < r->len; i++)
        if (r->sdp[i] == '\n')
            assert_true(i > 0 && r->sdp[i - 1] == '\r');
}

static void check_candidates(const struct lines *in, const struct lines *out,
                             const struct sdp_result *r)
{
    unsigned relay = 0, total = 0, out_cands = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (!starts(in->v[i], "a=candidate:"))
            continue;
        total++;
        relay += cand_is_relay_ip(in->v[i]);
    }
    for (size_t i = 0; i < out->n; i++) {
        char typ[32];
        const char *ra;
        if (!starts(out->v[i], "a=candidate:"))
            continue;
        out_cands++;
        cand_field(out->v[i], 7, typ, sizeof(typ));
        assert_string_equal(typ, "relay");
        ra = strstr(out->v[i], " raddr ");
        assert_non_null(ra);
        assert_true(starts(ra, " raddr 0.0.0.0 rport 0"));
        assert_null(strstr(out->v[i], "network-id"));
        assert_null(strstr(out->v[i], "network-cost"));
    }
    assert_true(total > 0);
    assert_int_equal(r->candidates_kept, relay);
    assert_int_equal(r->candidates_dropped, total - relay);
    assert_int_equal(out_cands, relay);
    assert_null(strstr(r->sdp, ".local"));
    assert_null(strstr(r->sdp, "typ host"));
    assert_null(strstr(r->sdp, "typ srflx"));
    assert_null(strstr(r->sdp, "typ prflx"));
}

/* No address of the input survives but relayed addresses and 0.0.0.0. */
static void check_no_leaked_address(const char *in, const struct lines *inl, const char *out)
{
    char *copy = strdup(in);
    char *save = NULL;
    unsigned checked = 0;
    for (char *t = strtok_r(copy, " \t\r\n@=/", &save); t;
         t = strtok_r(NULL, " \t\r\n@=/", &save)) {
        bool allowed = strcmp(t, "0.0.0.0") == 0;
        if (!is_ip(t))
            continue;
        for (size_t i = 0; i < inl->n && !allowed; i++) {
            char addr[128];
            if (starts(inl->v[i], "a=candidate:") && cand_is_relay_ip(inl->v[i])) {
                cand_field(inl->v[i], 4, addr, sizeof(addr));
                allowed = strcmp(addr, t) == 0;
            }
        }
        if (allowed)
            continue;
        checked++;
        if (contains_ip(out, t))
            fail_msg("address %s leaked into the output", t);
    }
    assert_true(checked > 0);
    free(copy);
}

static void check_untouched(const struct lines *in, const struct lines *out)
{
    size_t j = 0, in_kept = 0, out_kept = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (rewritable(in->v[i]))
            continue;
        in_kept++;
        while (j < out->n && strcmp(out->v[j], in->v[i]) != 0)
            j++;
        if (j == out->n)
            fail_msg("line lost or reordered: %s", in->v[i]);
        j++;
    }
    for (size_t i = 0; i < out->n; i++)
        out_kept += !rewritable(out->v[i]);
    assert_int_equal(in_kept, out_kept);
}

static void check_origin(const struct lines *in, const struct lines *out)
{
    const char *o_in = NULL, *o_out = NULL;
    char version[32], tail[64];
    unsigned long long id;
    int used = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i][0] == 'o')
            o_in = in->v[i];
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i][0] == 'o')
            o_out = out->v[i];
    assert_non_null(o_in);
    assert_non_null(o_out);
    /* o=<user> <id> <version> ...: the version is the third field */
    assert_int_equal(sscanf(o_in, "o=%*s %*s %31s", version), 1);
    assert_int_equal(sscanf(o_out, "o=- %llu %n", &id, &used), 1);
    assert_true(strspn(o_out + 4, "0123456789") <= 19);
    assert_true(id > 0);
    snprintf(tail, sizeof(tail), "%s IN IP4 0.0.0.0", version);
    assert_string_equal(o_out + used, tail);
}

/* The labels map one-to-one onto fresh 32-hex-digit values, "-" and "*"
 * excepted, and no original label survives anywhere. */
static void check_labels(const struct lines *in, const struct lines *out, const char *sdp)
{
    char ti[16][128], to[16][128];
    static char from[256][128], to_all[256][128];
    size_t pairs = 0, j = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t ni = label_tokens(in->v[i], ti, 16);
        size_t no;
        if (ni == 0 || rewritable(in->v[i]) == false)
            continue;
        while (j < out->n && (out->v[j][0] != in->v[i][0] || label_tokens(out->v[j], to, 16) == 0 ||
                              strncmp(out->v[j], in->v[i], strcspn(in->v[i], " :") + 1) != 0))
            j++;
        assert_true(j < out->n);
        no = label_tokens(out->v[j], to, 16);
        assert_int_equal(ni, no);
        for (size_t k = 0; k < ni; k++) {
            assert_true(pairs < 256);
            strcpy(from[pairs], ti[k]);
            strcpy(to_all[pairs], to[k]);
            pairs++;
        }
        j++;
    }
    for (size_t a = 0; a < pairs; a++) {
        bool keep = strcmp(from[a], "-") == 0 || strcmp(from[a], "*") == 0;
        if (keep) {
            assert_string_equal(to_all[a], from[a]);
            continue;
        }
        assert_int_equal(strlen(to_all[a]), 32);
        assert_int_equal(strspn(to_all[a], "0123456789abcdef"), 32);
        assert_null(strstr(sdp, from[a]));
        for (size_t b = 0; b < pairs; b++) {
            bool same_in = strcmp(from[a], from[b]) == 0;
            bool same_out = strcmp(to_all[a], to_all[b]) == 0;
            assert_true(same_in == same_out);
        }
    }
}

static void check_cnames(const struct lines *in, const struct lines *out)
{
    size_t n_in = 0, n_out = 0;
    for (size_t i = 0; i < in->n; i++)
        n_in += starts(in->v[i], "a=ssrc:") && strstr(in->v[i], " cname:") != NULL;
    for (size_t i = 0; i < out->n; i++) {
        const char *c;
        if (!starts(out->v[i], "a=ssrc:") || (c = strstr(out->v[i], " cname:")) == NULL)
            continue;
        n_out++;
        assert_string_equal(c + strlen(" cname:"), CNAME);
    }
    assert_int_equal(n_in, n_out);
}

/* c=, m= port and a=rtcp of each media section name its first relay
 * candidate (a=rtcp: component 2 first), or 0.0.0.0 and port 9; port 0
 * stays 0. */
static void check_default_address(const struct lines *in, const struct lines *out)
{
    char rtp_addr[128] = "", rtp_port[16] = "", rtcp_addr[128] = "", rtcp_port[16] = "";
    size_t sec_out = 0;
    size_t starts_in[64], n_sec = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i][0] == 'm')
            starts_in[n_sec++] = i;
    for (size_t j = 0; j < out->n; j++) {
        const char *l = out->v[j];
        char exp[256];
        if (l[0] == 'm') {
            size_t end = sec_out + 1 < n_sec ? starts_in[sec_out + 1] : in->n;
            char in_port[16];
            rtp_addr[0] = rtcp_addr[0] = '\0';
            for (size_t i = starts_in[sec_out]; i < end; i++) {
                char comp[8];
                if (!starts(in->v[i], "a=candidate:") || !cand_is_relay_ip(in->v[i]))
                    continue;
                cand_field(in->v[i], 1, comp, sizeof(comp));
                if (strcmp(comp, "1") == 0 && rtp_addr[0] == '\0') {
                    cand_field(in->v[i], 4, rtp_addr, sizeof(rtp_addr));
                    cand_field(in->v[i], 5, rtp_port, sizeof(rtp_port));
                }
                if (strcmp(comp, "2") == 0 && rtcp_addr[0] == '\0') {
                    cand_field(in->v[i], 4, rtcp_addr, sizeof(rtcp_addr));
                    cand_field(in->v[i], 5, rtcp_port, sizeof(rtcp_port));
                }
            }
            if (rtcp_addr[0] == '\0') {
                strcpy(rtcp_addr, rtp_addr);
                strcpy(rtcp_port, rtp_port);
            }
            sscanf(in->v[starts_in[sec_out]], "m=%*s %15s", in_port);
            snprintf(exp, sizeof(exp), "%s",
                     strcmp(in_port, "0") == 0 ? "0" : (rtp_addr[0] ? rtp_port : "9"));
            char got[16];
            sscanf(l, "m=%*s %15s", got);
            assert_string_equal(got, exp);
            sec_out++;
            continue;
        }
        if (l[0] == 'c' && sec_out == 0) {
            assert_string_equal(l, "c=IN IP4 0.0.0.0");
        } else if (l[0] == 'c') {
            if (rtp_addr[0] == '\0')
                snprintf(exp, sizeof(exp), "c=IN IP4 0.0.0.0");
            else
                snprintf(exp, sizeof(exp), "c=IN %s %s", strchr(rtp_addr, ':') ? "IP6" : "IP4",
                         rtp_addr);
            assert_string_equal(l, exp);
        } else if (starts(l, "a=rtcp:")) {
            if (rtcp_addr[0] == '\0')
                snprintf(exp, sizeof(exp), "a=rtcp:9 IN IP4 0.0.0.0");
            else
                snprintf(exp, sizeof(exp), "a=rtcp:%s IN %s %s", rtcp_port,
                         strchr(rtcp_addr, ':') ? "IP6" : "IP4", rtcp_addr);
            assert_string_equal(l, exp);
        }
    }
    assert_int_equal(sec_out, n_sec);
}

static void check_fixture(const struct fixture *f, bool strip)
{
    size_t len;
    char *in = read_fixture(f->name, &len);
    struct lines inl, outl;
    struct sdp_options o = {.cname = CNAME, .label_key = key_a, .strip_identity = strip};
    struct sdp_result r;
    size_t n_fp = 0, ident_in = 0, ident_out = 0;
    sanitize_ok(in, len, &o, &r);
    split_lines(in, &inl);
    split_lines(r.sdp, &outl);
    check_line_endings(&r);
    check_candidates(&inl, &outl, &r);
    check_no_leaked_address(in, &inl, r.sdp);
    check_untouched(&inl, &outl);
    check_origin(&inl, &outl);
    check_labels(&inl, &outl, r.sdp);
    check_cnames(&inl, &outl);
    check_default_address(&inl, &outl);
    assert_int_equal(r.lines_dropped, 0);
    while (n_fp < 3 && f->fingerprints[n_fp] != NULL)
        n_fp++;
    assert_int_equal(r.n_fingerprints, n_fp);
    for (size_t i = 0; i < n_fp; i++)
        assert_string_equal(r.fingerprints[i], f->fingerprints[i]);
    for (size_t i = 0; i < inl.n; i++)
        ident_in += starts(inl.v[i], "a=identity:") || inl.v[i][0] == 'e' || inl.v[i][0] == 'p';
    for (size_t i = 0; i < outl.n; i++)
        ident_out += starts(outl.v[i], "a=identity:") || outl.v[i][0] == 'e' || outl.v[i][0] == 'p';
    assert_int_equal(ident_out, strip ? 0 : ident_in);
    free_lines(&inl);
    free_lines(&outl);
    sdp_result_free(&r);
    assert_null(r.sdp);
    free(in);
}

static void test_fixtures_keep_identity(void **state)
{
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
        check_fixture(&fixtures[i], false);
}

static void test_fixtures_strip_identity(void **state)
{
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
        check_fixture(&fixtures[i], true);
}

/* The identity fixtures really hold identity lines, so the strip test can
 * fail. */
static void test_identity_fixtures_hold_identity(void **state)
{
    size_t len;
    char *ff = read_fixture("firefox_offer_av_data.sdp", &len);
    char *legacy = read_fixture("legacy_nonmux_offer.sdp", &len);
    assert_non_null(strstr(ff, "\na=identity:"));
    assert_non_null(strstr(legacy, "\ne=alice@example.org"));
    assert_non_null(strstr(legacy, "\np=+1"));
    free(ff);
    free(legacy);
}

/* Hand-checked expectations for the non-muxed legacy offer. */
static void test_legacy_rtcp_and_defaults(void **state)
{
    size_t len;
    char *in = read_fixture("legacy_nonmux_offer.sdp", &len);
    struct sdp_options o = {.cname = CNAME, .label_key = key_a, .session_id = 42};
    struct sdp_result r;
    sanitize_ok(in, len, &o, &r);
    assert_non_null(strstr(r.sdp, "\r\no=- 42 2890844527 IN IP4 0.0.0.0\r\n"));
    assert_non_null(strstr(r.sdp, "\r\nm=audio 3478 RTP/SAVPF 0 8\r\nc=IN IP4 203.0.113.141\r\n"
                                  "a=rtcp:3479 IN IP4 203.0.113.141\r\n"));
    assert_non_null(strstr(r.sdp, "\r\nm=audio 0 RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n"));
    assert_non_null(strstr(r.sdp, " 203.0.113.141 3479 typ relay raddr 0.0.0.0 rport 0\r\n"));
    assert_null(strstr(r.sdp, "relay.example.net"));
    assert_null(strstr(r.sdp, "typ weird"));
    assert_null(strstr(r.sdp, "remote-candidates"));
    assert_non_null(strstr(r.sdp, "\r\na=ssrc:11 cname:" CNAME "\r\n"));
    assert_int_equal(r.candidates_kept, 2);
    assert_int_equal(r.candidates_dropped, 7);
    sdp_result_free(&r);
    free(in);
}

/* Attribute names in another case are still what they name. */
static void test_attribute_case(void **state)
{
    const char *in = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                     "m=audio 5000 RTP/SAVPF 0\r\nc=IN IP4 192.168.1.2\r\n"
                     "a=CANDIDATE:1 1 udp 2122260223 192.168.1.2 5000 typ host\r\n"
                     "a=Candidate:2 1 udp 41885695 203.0.113.5 50712 typ relay raddr "
                     "198.51.100.1 rport 1\r\n"
                     "a=SSRC:7 CNAME:stable-cname\r\n"
                     "a=MSID:streamX trackX\r\n"
                     "a=Identity:abc\r\n"
                     "a=RTCP:5001 IN IP4 192.168.1.2\r\n";
    struct sdp_options o = {.cname = CNAME, .label_key = key_a, .strip_identity = true};
    struct sdp_result r;
    sanitize_ok(in, strlen(in), &o, &r);
    assert_int_equal(r.candidates_kept, 1);
    assert_int_equal(r.candidates_dropped, 1);
    assert_null(strstr(r.sdp, "192.168.1.2"));
    assert_null(strstr(r.sdp, "198.51.100.1"));
    assert_null(strstr(r.sdp, "stable-cname"));
    assert_null(strstr(r.sdp, "streamX"));
    assert_null(strstr(r.sdp, "trackX"));
    assert_null(strstr(r.sdp, "Identity"));
    assert_non_null(strstr(r.sdp, "\r\na=SSRC:7 CNAME:" CNAME "\r\n"));
    assert_non_null(strstr(r.sdp, "\r\na=rtcp:50712 IN IP4 203.0.113.5\r\n"));
    sdp_result_free(&r);
}

/* in comes out as want, with dropped lines dropped by the address net. */
static void net_drops(const char *in, const char *want, size_t dropped)
{
    struct sdp_options o = {.cname = CNAME, .label_key = key_a, .session_id = 1};
    struct sdp_result r;
    sanitize_ok(in, strlen(in), &o, &r);
    assert_string_equal(r.sdp, want);
    assert_int_equal(r.lines_dropped, dropped);
    sdp_result_free(&r);
}

/* Lines nobody listed that carry an address are dropped; s= becomes "-". */
static void test_address_net(void **state)
{
    const char *in = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=call from 10.1.2.3\r\n"
                     "u=http://[2001:db8::77]/me\r\n"
                     "i=no address here: version 1.2.3\r\n"
                     "t=0 0\r\n"
                     "a=fingerprint:sha-256 20:01:0D:B8:00:00:00:01\r\n"
                     "m=audio 9 RTP/SAVPF 0\r\n"
                     "a=altc:1 IP4 192.0.2.1 5000\r\n"
                     "a=source-filter: incl IN IP4 * 192.0.2.5\r\n"
                     "a=x-host:cafe10.0.0.1\r\n"
                     "a=x-zero:0.0.0.0 and ::\r\n"
                     "a=ssrc:1 x-lan:fe80::1%25eth0\r\n"
                     "a=rtpmap:0 PCMU/8000\r\n";
    const char *want = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"
                       "i=no address here: version 1.2.3\r\n"
                       "t=0 0\r\n"
                       "a=fingerprint:sha-256 20:01:0D:B8:00:00:00:01\r\n"
                       "m=audio 9 RTP/SAVPF 0\r\n"
                       "a=x-zero:0.0.0.0 and ::\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n";
    net_drops(in, want, 6);
}

/* Dotted quads inet_pton refuses but other parsers read as addresses are
 * dropped too; a version number with a four-digit group is kept. */
static void test_address_net_dotted_quads(void **state)
{
    const char *in = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=call from 010.0.0.1\r\n"
                     "t=0 0\r\n"
                     "a=tool:libwebrtc 120.0.6099.109\r\n"
                     "m=audio 9 RTP/SAVPF 0\r\n"
                     "a=x-octal:0300.0250.0.1\r\n"
                     "a=x-padded:127.000.000.001\r\n"
                     "a=x-zero:000.0.0.0\r\n"
                     "a=rtpmap:0 PCMU/8000\r\n";
    const char *want = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"
                       "t=0 0\r\n"
                       "a=tool:libwebrtc 120.0.6099.109\r\n"
                       "m=audio 9 RTP/SAVPF 0\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n";
    net_drops(in, want, 4);
}

/* ---- labels across keys, session ids ---- */

static void test_label_keys(void **state)
{
    size_t len;
    char *in = read_fixture("chromium_offer_av_data.sdp", &len);
    struct sdp_options o = {.cname = CNAME, .label_key = key_a, .session_id = 7};
    struct sdp_result r1, r2, r3;
    struct lines l1, l3;
    size_t differing = 0;
    sanitize_ok(in, len, &o, &r1);
    sanitize_ok(in, len, &o, &r2);
    assert_string_equal(r1.sdp, r2.sdp); /* same key, same call: same labels */
    o.label_key = key_b;
    sanitize_ok(in, len, &o, &r3);
    split_lines(r1.sdp, &l1);
    split_lines(r3.sdp, &l3);
    assert_int_equal(l1.n, l3.n);
    for (size_t i = 0; i < l1.n; i++) {
        char t1[16][128], t3[16][128];
        size_t n = label_tokens(l1.v[i], t1, 16);
        if (strcmp(l1.v[i], l3.v[i]) == 0)
            continue;
        /* only label-bearing lines differ, and every label differs */
        assert_true(n > 0);
        assert_int_equal(label_tokens(l3.v[i], t3, 16), n);
        for (size_t k = 0; k < n; k++)
            assert_string_not_equal(t1[k], t3[k]);
        differing++;
    }
    /* a=msid-semantic, 2 a=msid, 3 a=ssrc msid: */
    assert_int_equal(differing, 6);
    free_lines(&l1);
    free_lines(&l3);
    sdp_result_free(&r1);
    sdp_result_free(&r2);
    sdp_result_free(&r3);
    free(in);
}

static void test_session_id(void **state)
{
    const char *sdp = "v=0\r\no=- 1 5 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    struct sdp_options o = {.cname = CNAME, .label_key = key_a};
    struct sdp_result r1, r2;
    char err[128];
    unsigned long long a, b;
    sanitize_ok(sdp, strlen(sdp), &o, &r1);
    sanitize_ok(sdp, strlen(sdp), &o, &r2);
    assert_int_equal(sscanf(r1.sdp, "v=0\r\no=- %llu 5 IN IP4 0.0.0.0\r\n", &a), 1);
    assert_int_equal(sscanf(r2.sdp, "v=0\r\no=- %llu 5 IN IP4 0.0.0.0\r\n", &b), 1);
    assert_true(a != b && a != 1 && b != 1);
    assert_true(a <= INT64_MAX && b <= INT64_MAX);
    sdp_result_free(&r1);
    sdp_result_free(&r2);
    o.session_id = 9223372036854775807ULL;
    sanitize_ok(sdp, strlen(sdp), &o, &r1);
    assert_string_equal(r1.sdp,
                        "v=0\r\no=- 9223372036854775807 5 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
    sdp_result_free(&r1);
    o.session_id = 9223372036854775808ULL;
    assert_int_equal(sdp_sanitize(sdp, strlen(sdp), &o, &r1, err, sizeof(err)), -1);
    assert_null(r1.sdp);
}

/* ---- rejected input ---- */

static void expect_reject(const char *in, size_t len, const struct sdp_options *o,
                          const char *reason)
{
    struct sdp_result r;
    char err[256] = "";
    memset(&r, 0xa5, sizeof(r));
    if (sdp_sanitize(in, len, o, &r, err, sizeof(err)) != -1)
        fail_msg("accepted: %.60s", in ? in : "(null)");
    assert_null(r.sdp);
    assert_int_equal(r.len, 0);
    assert_int_equal(r.n_fingerprints, 0);
    if (strstr(err, reason) == NULL)
        fail_msg("reason \"%s\" does not mention \"%s\"", err, reason);
}

static void test_malformed(void **state)
{
    struct sdp_options o = {.cname = CNAME, .label_key = key_a};
    static const struct {
        const char *sdp, *reason;
    } bad[] = {
        {"", "empty"},
        {"v=1\r\no=- 1 1 IN IP4 0.0.0.0\r\n", "v=0"},
        {"o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", "v=0"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nv=0 10.0.0.1\r\n", "second v="},
        {"v=0\r\ns=-\r\nt=0 0\r\n", "no o="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\no=- 2 1 IN IP4 0.0.0.0\r\n", "more than one"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nhello world\r\n", "line 3"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n\r\ns=-\r\n", "line 3"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nA=x\r\n", "line 3"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=\x01\r\n", "control"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=a\rb\r\n", "control"},
        {"v=0\r\no=- 1 IN IP4 0.0.0.0\r\n", "6 fields"},
        {"v=0\r\no=- 1 x IN IP4 0.0.0.0\r\n", "version"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio\r\n", "m="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 70000 RTP/AVP 0\r\n", "m="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio x RTP/AVP 0\r\n", "m="},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 RTP/AVP 0 10.0.0.1\r\n", "address"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 RTP/AVP 0\r\no=- 1 1 IN IP4 0.0.0.0\r\n",
         "media section"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=candidate:1 1 udp 1 203.0.113.5 5 relay\r\n",
         "line 3"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=candidate:1 1 udp 1 203.0.113.5 5 typ relay x\r\n",
         "extension"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=fingerprint:sha-256\r\n", "fingerprint"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=fingerprint:sha-256 AB:CD:EG\r\n", "fingerprint"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=fingerprint:sha-256 ABC:D\r\n", "fingerprint"},
        {"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=fingerprint:sha_256 AB:CD\r\n", "fingerprint"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_reject(bad[i].sdp, strlen(bad[i].sdp), &o, bad[i].reason);
    expect_reject(NULL, 0, &o, "empty");
}

static void test_nul_and_size(void **state)
{
    struct sdp_options o = {.cname = CNAME, .label_key = key_a};
    const char nul[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=a\0b\r\n";
    size_t big = SDP_MAX_INPUT + 1;
    char *sdp = malloc(big + 1);
    size_t n;
    struct sdp_result r;
    expect_reject(nul, sizeof(nul) - 1, &o, "NUL");
    /* A valid SDP padded with a= lines to exactly the limit passes; one
     * byte more fails. */
    n = (size_t)snprintf(sdp, big + 1, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
    while (SDP_MAX_INPUT - n > 1002) {
        memcpy(sdp + n, "a=", 2);
        memset(sdp + n + 2, 'y', 994);
        memcpy(sdp + n + 996, "\r\n", 2);
        n += 998;
    }
    memcpy(sdp + n, "a=", 2);
    memset(sdp + n + 2, 'y', SDP_MAX_INPUT - n - 4);
    memcpy(sdp + SDP_MAX_INPUT - 2, "\r\n", 2);
    n = SDP_MAX_INPUT;
    sanitize_ok(sdp, n, &o, &r);
    sdp_result_free(&r);
    memset(sdp, 'a', big);
    memcpy(sdp, "v=0\r\n", 5);
    expect_reject(sdp, big, &o, "limit");
    free(sdp);
}

static void test_fingerprint_limit(void **state)
{
    struct sdp_options o = {.cname = CNAME, .label_key = key_a};
    char sdp[4096];
    size_t n = (size_t)snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
    struct sdp_result r;
    char err[128];
    /* The same fingerprint repeated in every section counts once. */
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(sdp + n, sizeof(sdp) - n,
                              "m=audio 9 RTP/AVP 0\r\n"
                              "a=fingerprint:sha-256 AA:BB\r\n");
    sanitize_ok(sdp, n, &o, &r);
    assert_int_equal(r.n_fingerprints, 1);
    sdp_result_free(&r);
    for (int i = 0; i < SDP_MAX_FINGERPRINTS - 1; i++)
        n += (size_t)snprintf(sdp + n, sizeof(sdp) - n, "a=fingerprint:sha-256 AA:%02X\r\n", i);
    assert_int_equal(sdp_sanitize(sdp, n, &o, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_fingerprints, SDP_MAX_FINGERPRINTS);
    assert_string_equal(r.fingerprints[SDP_MAX_FINGERPRINTS - 1], "sha-256 AA:06");
    sdp_result_free(&r);
    n += (size_t)snprintf(sdp + n, sizeof(sdp) - n, "a=fingerprint:sha-256 aa:ff\r\n");
    expect_reject(sdp, n, &o, "fingerprints");
}

static void test_bad_options(void **state)
{
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n";
    struct sdp_options o = {.cname = NULL, .label_key = key_a};
    expect_reject(sdp, strlen(sdp), &o, "cname");
    o.cname = "has space";
    expect_reject(sdp, strlen(sdp), &o, "cname");
    o.cname = "";
    expect_reject(sdp, strlen(sdp), &o, "cname");
    o.cname = CNAME;
    o.label_key = NULL;
    expect_reject(sdp, strlen(sdp), &o, "label key");
    expect_reject(sdp, strlen(sdp), NULL, "cname");
}

/* ---- trickled candidates ---- */

/* The foundation and the rest of the line as sdp_sanitize() writes the
 * same candidate inside an SDP. */
static void sanitize_inside_sdp(const char *cand, char *out, size_t cap)
{
    char sdp[1024];
    struct sdp_options o = {.cname = CNAME, .label_key = key_a};
    struct sdp_result r;
    const char *c = starts(cand, "a=") ? cand + 2 : cand;
    const char *line;
    int n =
        snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 X 0\r\na=%s\r\n", c);
    sanitize_ok(sdp, (size_t)n, &o, &r);
    line = strstr(r.sdp, "a=candidate:");
    assert_non_null(line);
    snprintf(out, cap, "%.*s", (int)strcspn(line + 2, "\r"), line + 2);
    sdp_result_free(&r);
}

static void test_trickle_fixture(void **state)
{
    size_t len;
    char *text = read_fixture("trickle_candidates.txt", &len);
    struct lines l;
    unsigned kept = 0, dropped = 0;
    split_lines(text, &l);
    for (size_t i = 0; i < l.n; i++) {
        const char *v = l.v[i];
        bool want_kept = starts(v, "kept ");
        const char *cand = strchr(v, ' ') + 1;
        char out[SDP_CANDIDATE_MAX], err[128] = "", inside[SDP_CANDIDATE_MAX];
        char addr[128], port[16], oaddr[128], oport[16], ufrag[64];
        const char *u;
        int rc;
        if (v[0] == '#')
            continue;
        assert_true(want_kept || starts(v, "dropped "));
        rc = sdp_sanitize_candidate(cand, strlen(cand), out, sizeof(out), err, sizeof(err));
        if (rc != (want_kept ? 1 : 0))
            fail_msg("%s: got %d (%s)", cand, rc, err);
        if (!want_kept) {
            assert_string_equal(out, "");
            dropped++;
            continue;
        }
        kept++;
        /* same form as the input, same relayed address, no related address */
        assert_true(starts(out, starts(cand, "a=") ? "a=candidate:" : "candidate:"));
        cand_field(cand, 4, addr, sizeof(addr));
        cand_field(cand, 5, port, sizeof(port));
        cand_field(out, 4, oaddr, sizeof(oaddr));
        cand_field(out, 5, oport, sizeof(oport));
        assert_string_equal(addr, oaddr);
        assert_string_equal(port, oport);
        assert_non_null(strstr(out, " typ relay raddr 0.0.0.0 rport 0"));
        assert_null(strstr(out, "network-"));
        u = strstr(cand, " ufrag ");
        if (u != NULL) {
            snprintf(ufrag, sizeof(ufrag), "%.*s", (int)strcspn(u + 7, " ") + 7, u);
            assert_non_null(strstr(out, ufrag));
        }
        /* the same rewrite as in a full SDP, so foundations agree */
        sanitize_inside_sdp(cand, inside, sizeof(inside));
        assert_string_equal(starts(out, "a=") ? out + 2 : out, inside);
        /* a trailing CRLF changes nothing */
        {
            char withnl[SDP_CANDIDATE_MAX + 2], out2[SDP_CANDIDATE_MAX];
            snprintf(withnl, sizeof(withnl), "%s\r\n", cand);
            assert_int_equal(sdp_sanitize_candidate(withnl, strlen(withnl), out2, sizeof(out2), err,
                                                    sizeof(err)),
                             1);
            assert_string_equal(out, out2);
        }
    }
    assert_int_equal(kept, 5);
    assert_int_equal(dropped, 10);
    free_lines(&l);
    free(text);
}

static void test_trickle_malformed(void **state)
{
    size_t len;
    char *text = read_fixture("trickle_malformed.txt", &len);
    struct lines l;
    unsigned n = 0;
    char out[SDP_CANDIDATE_MAX], err[128];
    static const char with_nul[] = "candidate:1 1 udp 1 203.0.113.5 5 typ relay\0 x y";
    split_lines(text, &l);
    for (size_t i = 0; i < l.n; i++) {
        if (l.v[i][0] == '#')
            continue;
        err[0] = '\0';
        if (sdp_sanitize_candidate(l.v[i], strlen(l.v[i]), out, sizeof(out), err, sizeof(err)) !=
            -1)
            fail_msg("accepted malformed candidate: %s", l.v[i]);
        assert_true(strlen(err) > 0);
        n++;
    }
    assert_int_equal(n, 12);
    assert_int_equal(sdp_sanitize_candidate("", 0, out, sizeof(out), err, sizeof(err)), -1);
    assert_int_equal(
        sdp_sanitize_candidate(with_nul, sizeof(with_nul) - 1, out, sizeof(out), err, sizeof(err)),
        -1);
    free_lines(&l);
    free(text);
}

static void test_trickle_small_buffer(void **state)
{
    const char *c = "candidate:1 1 udp 41885695 203.0.113.5 50712 typ relay";
    char out[64], err[128];
    /* the rewrite is longer than 40 bytes: refused, never truncated */
    assert_int_equal(sdp_sanitize_candidate(c, strlen(c), out, 40, err, sizeof(err)), -1);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "bytes"));
}

/* The longest candidate that can be kept still fits in SDP_CANDIDATE_MAX;
 * repeated extensions are written once. */
static void test_trickle_longest(void **state)
{
    char in[2048], out[SDP_CANDIDATE_MAX], err[128], v[257];
    size_t n;
    memset(v, 'u', 256);
    v[256] = '\0';
    n = (size_t)snprintf(in, sizeof(in),
                         "a=candidate:12345678901234567890123456789012 256 abcdefghijklmnop "
                         "4294967295 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 typ relay"
                         " generation %s ufrag %s tcptype %s ufrag again",
                         v, v, v);
    assert_true(n < sizeof(in));
    assert_int_equal(sdp_sanitize_candidate(in, n, out, sizeof(out), err, sizeof(err)), 1);
    assert_non_null(strstr(out, " ufrag uuu"));
    assert_null(strstr(out, "again"));
}

/* Relay candidates from one relay address share a foundation whatever
 * host-derived foundation the browser gave them; other relays differ. */
static void test_foundation_hides_host(void **state)
{
    const char *a = "candidate:1467250027 1 udp 41885695 203.0.113.5 50712 typ relay";
    const char *b = "candidate:99 2 udp 41885694 203.0.113.5 50713 typ relay";
    const char *c = "candidate:1467250027 1 udp 41885695 203.0.113.6 50712 typ relay";
    const char *d = "candidate:1467250027 1 tcp 41885695 203.0.113.5 50712 typ relay";
    char oa[256], ob[256], oc[256], od[256], fa[40], fb[40], fc[40], fd[40], err[64];
    assert_int_equal(sdp_sanitize_candidate(a, strlen(a), oa, sizeof(oa), err, sizeof(err)), 1);
    assert_int_equal(sdp_sanitize_candidate(b, strlen(b), ob, sizeof(ob), err, sizeof(err)), 1);
    assert_int_equal(sdp_sanitize_candidate(c, strlen(c), oc, sizeof(oc), err, sizeof(err)), 1);
    assert_int_equal(sdp_sanitize_candidate(d, strlen(d), od, sizeof(od), err, sizeof(err)), 1);
    cand_field(oa, 0, fa, sizeof(fa));
    cand_field(ob, 0, fb, sizeof(fb));
    cand_field(oc, 0, fc, sizeof(fc));
    cand_field(od, 0, fd, sizeof(fd));
    assert_string_not_equal(fa, "1467250027");
    assert_string_equal(fa, fb);
    assert_string_not_equal(fa, fc);
    assert_string_not_equal(fa, fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_fixtures_hold_identity),
        cmocka_unit_test(test_fixtures_keep_identity),
        cmocka_unit_test(test_fixtures_strip_identity),
        cmocka_unit_test(test_legacy_rtcp_and_defaults),
        cmocka_unit_test(test_attribute_case),
        cmocka_unit_test(test_address_net),
        cmocka_unit_test(test_address_net_dotted_quads),
        cmocka_unit_test(test_label_keys),
        cmocka_unit_test(test_session_id),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul_and_size),
        cmocka_unit_test(test_fingerprint_limit),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_trickle_fixture),
        cmocka_unit_test(test_trickle_malformed),
        cmocka_unit_test(test_trickle_small_buffer),
        cmocka_unit_test(test_trickle_longest),
        cmocka_unit_test(test_foundation_hides_host),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
