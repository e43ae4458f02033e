/* Fuzz target for broker/sdp_sanitize.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address -DFUZZ_SDP_LIBFUZZER ...
 * builds only LLVMFuzzerTestOneInput. Without it (make check, gcc), a small
 * driver below runs every fixture in tests/fixtures/sdp and the seeds at
 * the sanitizer's limits in tests/fuzz/corpus/sdp (or the files and
 * directories named on the command line) and then seeded random mutations
 * of them: FUZZ_SDP_ITERATIONS (default 50000) and FUZZ_SDP_SEED (default
 * fixed, printed) set the run. Any broken invariant aborts. */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sdp_sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[SDP_LABEL_KEY_BYTES] = {0x5a};

static void fuzz_require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sdp: invariant broken: %s\n", what);
        abort();
    }
}

/* Independent oracle for addresses: runs of digits and dots that parse
 * as IPv4. */
static bool fuzz_has_ipv4(const char *p, size_t n, const char *allowed)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        char run[32];
        unsigned char bin[4];
        while (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.'))
            i++;
        if (i == start) {
            i++;
            continue;
        }
        if (i - start >= sizeof(run))
            continue;
        memcpy(run, p + start, i - start);
        run[i - start] = '\0';
        if (inet_pton(AF_INET, run, bin) == 1 && strcmp(run, "0.0.0.0") != 0 &&
            (allowed == NULL || strstr(allowed, run) == NULL))
            return true;
    }
    return false;
}

/* Checks one output line; relays collects the relayed addresses of kept
 * candidates (they come after the c= of their section, so c= and a=rtcp
 * are checked against the whole SDP's list in a second call). */
static void fuzz_check_line(const char *l, size_t n, char *relays, size_t cap, bool second)
{
    char line[SDP_CANDIDATE_MAX * 2 + 16];
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    memcpy(line, l, n);
    line[n] = '\0';
    if (strncmp(line, "a=candidate:", 12) == 0) {
        char addr[64] = "";
        fuzz_require(strstr(line, " typ relay raddr 0.0.0.0 rport 0") != NULL,
                     "kept candidate is not relay with a zero related address");
        fuzz_require(strstr(line, ".local ") == NULL, "mDNS name in a kept candidate");
        if (!second && sscanf(line, "a=candidate:%*s %*s %*s %*s %63s", addr) == 1 &&
            strlen(relays) + strlen(addr) + 2 < cap) {
            strcat(relays, " ");
            strcat(relays, addr);
        }
        return;
    }
    if (!second)
        return;
    if (strncasecmp(line, "a=fingerprint", 13) == 0)
        return;
    if (line[0] == 'o')
        fuzz_require(n > 15 && strcmp(line + n - 15, " IN IP4 0.0.0.0") == 0, "o= not rewritten");
    if (line[0] == 'c' || strncmp(line, "a=rtcp:", 7) == 0) {
        char addr[64] = "";
        char padded[80];
        sscanf(line, line[0] == 'c' ? "c=IN %*s %63s" : "a=rtcp:%*s IN %*s %63s", addr);
        snprintf(padded, sizeof(padded), " %s", addr);
        fuzz_require(strcmp(addr, "0.0.0.0") == 0 || strstr(relays, padded) != NULL,
                     "c= or a=rtcp names an address that is no kept relay candidate");
        return;
    }
    if (fuzz_has_ipv4(line, n, NULL))
        fprintf(stderr, "fuzz_sdp: line: %s\n", line);
    fuzz_require(!fuzz_has_ipv4(line, n, NULL), "an IPv4 address survived in a kept line");
}

static void fuzz_check_output(const struct sdp_result *r, const struct sdp_options *o)
{
    const char *p = r->sdp, *end = r->sdp + r->len;
    fuzz_require(r->sdp != NULL && strlen(r->sdp) == r->len, "length mismatch");
    fuzz_require(r->len >= 2 && memcmp(end - 2, "\r\n", 2) == 0, "output not CRLF-terminated");
    fuzz_require(r->n_fingerprints <= SDP_MAX_FINGERPRINTS, "fingerprint overflow");
    char *relays = calloc(1, r->len + 1);
    fuzz_require(relays != NULL, "out of memory");
    for (int pass = 0; pass < 2; pass++) {
        for (p = r->sdp; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            fuzz_require(nl != NULL && nl > p && nl[-1] == '\r', "bare LF or missing CRLF");
            fuzz_check_line(p, (size_t)(nl - 1 - p), relays, r->len + 1, pass == 1);
            p = nl + 1;
        }
    }
    free(relays);
    /* What came out is acceptable SDP again, and keeps its candidates. */
    if (r->len <= SDP_MAX_INPUT) {
        struct sdp_result again;
        char err[256];
        int rc = sdp_sanitize(r->sdp, r->len, o, &again, err, sizeof(err));
        if (rc != 0)
            fprintf(stderr, "fuzz_sdp: re-sanitizing failed: %s\n", err);
        fuzz_require(rc == 0, "sanitized SDP is rejected on a second pass");
        fuzz_require(again.candidates_kept == r->candidates_kept && again.candidates_dropped == 0,
                     "second pass changes the candidates");
        fuzz_require(again.n_fingerprints == r->n_fingerprints, "second pass changes fingerprints");
        sdp_result_free(&again);
    }
}

static bool fuzz_candidate(const char *in, size_t len)
{
    char out[SDP_CANDIDATE_MAX], again[SDP_CANDIDATE_MAX], err[256];
    int rc = sdp_sanitize_candidate(in, len, out, sizeof(out), err, sizeof(err));
    fuzz_require(rc >= -1 && rc <= 1, "bad return");
    fuzz_require(rc != -1 || strstr(err, "buffer has") == NULL,
                 "a kept candidate does not fit in SDP_CANDIDATE_MAX");
    if (rc != 1) {
        fuzz_require(out[0] == '\0', "output left in a dropped candidate");
        return false;
    }
    fuzz_require(strncmp(out, "candidate:", 10) == 0 || strncmp(out, "a=candidate:", 12) == 0,
                 "candidate prefix lost");
    fuzz_require(strstr(out, " typ relay raddr 0.0.0.0 rport 0") != NULL, "not relay");
    rc = sdp_sanitize_candidate(out, strlen(out), again, sizeof(again), err, sizeof(err));
    fuzz_require(rc == 1 && strcmp(out, again) == 0, "candidate rewrite is not stable");
    return true;
}

/* How many inputs passed each parser, so a run shows it went past the
 * first line checks. */
struct fuzz_stats {
    unsigned long sdp_accepted, candidates_kept;
};

static void fuzz_one(const uint8_t *data, size_t size, struct fuzz_stats *st)
{
    struct sdp_options o = {.cname = "fuzzcname", .label_key = fuzz_key, .session_id = 1};
    struct sdp_result r;
    char err[256];
    if (sodium_init() < 0)
        abort();
    o.strip_identity = size > 0 && (data[0] & 1);
    if (sdp_sanitize((const char *)data, size, &o, &r, err, sizeof(err)) == 0) {
        if (st != NULL)
            st->sdp_accepted++;
        fuzz_check_output(&r, &o);
        sdp_result_free(&r);
    } else {
        fuzz_require(r.sdp == NULL && err[0] != '\0', "failure without a reason, or with output");
    }
    if (fuzz_candidate((const char *)data, size) && st != NULL)
        st->candidates_kept++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size, NULL);
    return 0;
}

#ifndef FUZZ_SDP_LIBFUZZER

struct fuzz_rng {
    uint64_t s;
};

static uint64_t fuzz_next(struct fuzz_rng *g)
{
    /* xorshift64*: reproducible from FUZZ_SDP_SEED */
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 2685821657736338717ULL;
}

static size_t fuzz_below(struct fuzz_rng *g, size_t n)
{
    return n == 0 ? 0 : (size_t)(fuzz_next(g) % n);
}

struct fuzz_corpus {
    char **data;
    size_t *len;
    size_t n, cap;
};

static void fuzz_add(struct fuzz_corpus *c, const char *data, size_t len)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->data = realloc(c->data, c->cap * sizeof(*c->data));
        c->len = realloc(c->len, c->cap * sizeof(*c->len));
        fuzz_require(c->data != NULL && c->len != NULL, "out of memory");
    }
    c->data[c->n] = malloc(len + 1);
    fuzz_require(c->data[c->n] != NULL, "out of memory");
    memcpy(c->data[c->n], data, len);
    c->data[c->n][len] = '\0';
    c->len[c->n++] = len;
}

/* A file is one seed; the lines of a .txt file are seeds too (trickled
 * candidates, with any "kept "/"dropped " verdict removed). */
static void fuzz_load_file(struct fuzz_corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    size_t plen = strlen(path);
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    fuzz_require(buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n, "read failed");
    buf[n] = '\0';
    fclose(f);
    fuzz_add(c, buf, (size_t)n);
    if (plen > 4 && strcmp(path + plen - 4, ".txt") == 0) {
        for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            if (strncmp(l, "kept ", 5) == 0)
                l += 5;
            else if (strncmp(l, "dropped ", 8) == 0)
                l += 8;
            fuzz_add(c, l, strlen(l));
        }
    }
    free(buf);
}

static void fuzz_load(struct fuzz_corpus *c, const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    if (d == NULL) {
        fuzz_load_file(c, path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char full[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
        fuzz_load_file(c, full);
    }
    closedir(d);
}

static const char *const fuzz_tokens[] = {
    "\r\n",
    "\n",
    "\r",
    " ",
    "\t",
    "a=candidate:",
    "candidate:1 1 udp 1 203.0.113.5 9 typ relay",
    " typ relay",
    " typ host",
    " raddr ",
    " rport ",
    ".local",
    "m=audio 0 X 0\r\n",
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
    "c=IN IP6 ::1\r\n",
    "a=rtcp:1\r\n",
    "a=fingerprint:sha-256 AB:CD\r\n",
    "a=fingerprint:abcdefghijklmnop ",
    ":AB",
    ":AB:CD:EF:01:23:45:67:89",
    " generation 0",
    " ufrag ",
    "a=ssrc:1 cname:",
    "a=ssrc:1 msid:",
    "a=msid:",
    "a=msid-semantic: WMS ",
    "a=identity:x\r\n",
    "o=- 1 1 IN IP4 1.2.3.4\r\n",
    "v=0\r\n",
    ":",
    "-",
    "*",
    "\0",
    "65535",
    "4294967296",
    "::ffff:10.0.0.1",
};

/* One random edit of buf (capacity cap) in place; returns the new length. */
static size_t fuzz_mutate(struct fuzz_rng *g, char *buf, size_t len, size_t cap)
{
    size_t pos = fuzz_below(g, len + 1);
    switch (fuzz_below(g, 12)) {
    case 0: /* flip a bit */
        if (len > 0)
            buf[fuzz_below(g, len)] ^= (char)(1u << fuzz_below(g, 8));
        return len;
    case 1: /* any byte */
        if (len > 0)
            buf[fuzz_below(g, len)] = (char)fuzz_below(g, 256);
        return len;
    case 6:
    case 7: /* a printable byte, which keeps the line structure */
        if (len > 0)
            buf[fuzz_below(g, len)] = (char)(' ' + fuzz_below(g, 95));
        return len;
    case 2: { /* delete a range */
        size_t n = fuzz_below(g, 64);
        if (pos + n > len)
            n = len - pos;
        memmove(buf + pos, buf + pos + n, len - pos - n);
        return len - n;
    }
    case 3:
    case 8:
    case 9:
    case 10:
    case 11: { /* insert a token: the likeliest way to reach deep code */
        const char *t = fuzz_tokens[fuzz_below(g, sizeof(fuzz_tokens) / sizeof(fuzz_tokens[0]))];
        size_t n = t[0] == '\0' ? 1 : strlen(t);
        if (len + n > cap)
            return len;
        memmove(buf + pos + n, buf + pos, len - pos);
        memcpy(buf + pos, t, n);
        return len + n;
    }
    case 4: { /* duplicate a range elsewhere */
        size_t from = fuzz_below(g, len + 1), n = fuzz_below(g, 200);
        if (from + n > len)
            n = len - from;
        if (len + n > cap)
            return len;
        memmove(buf + pos + n, buf + pos, len - pos);
        memmove(buf + pos, buf + (from < pos ? from : from + n), n);
        return len + n;
    }
    default: /* truncate */
        return pos;
    }
}

int main(int argc, char **argv)
{
    struct fuzz_corpus c = {0};
    struct fuzz_rng g;
    struct fuzz_stats st = {0};
    const char *env_iter = getenv("FUZZ_SDP_ITERATIONS"), *env_seed = getenv("FUZZ_SDP_SEED");
    const char *top = getenv("top_srcdir");
    unsigned long iterations = env_iter ? strtoul(env_iter, NULL, 10) : 50000;
    uint64_t seed = env_seed ? strtoull(env_seed, NULL, 10) : 20261125;
    size_t cap = SDP_MAX_INPUT + 1024;
    char *buf = malloc(cap);
    char dir[4096];
    fuzz_require(buf != NULL, "out of memory");
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            fuzz_load(&c, argv[i]);
    } else {
        if (top != NULL && top[0] != '\0')
            snprintf(dir, sizeof(dir), "%s/tests/fixtures/sdp", top);
        else
            snprintf(dir, sizeof(dir), "%s", SDP_FIXTURE_DIR);
        fuzz_load(&c, dir);
        snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/../../fuzz/corpus/sdp");
        fuzz_load(&c, dir);
    }
    fuzz_require(c.n > 0, "empty corpus");
    for (size_t i = 0; i < c.n; i++)
        fuzz_one((const uint8_t *)c.data[i], c.len[i], &st);
    g.s = seed ? seed : 1;
    for (unsigned long it = 0; it < iterations; it++) {
        size_t k = fuzz_below(&g, c.n), len = c.len[k], edits = 1 + fuzz_below(&g, 3);
        if (len > cap)
            len = cap;
        memcpy(buf, c.data[k], len);
        for (size_t e = 0; e < edits; e++)
            len = fuzz_mutate(&g, buf, len, cap);
        fuzz_one((const uint8_t *)buf, len, &st);
    }
    printf("fuzz_sdp: %zu seeds, %lu mutations (FUZZ_SDP_SEED=%llu): %lu SDP accepted, %lu"
           " candidates kept, no invariant broken\n",
           c.n, iterations, (unsigned long long)seed, st.sdp_accepted, st.candidates_kept);
    for (size_t i = 0; i < c.n; i++)
        free(c.data[i]);
    free(c.data);
    free(c.len);
    free(buf);
    return 0;
}

#endif
