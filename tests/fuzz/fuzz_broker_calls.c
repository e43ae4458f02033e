/* Fuzz target for whole broker handlers: a request runs as api_calls.c and
 * api_identities.c run it (http_parse_body, the endpoint's api_req parser,
 * then calls_* or identities_* with the SDP sanitizer and the policy), down
 * to the Redis commands it would send, which go to the recording fake
 * store (fake_store.c, in place of broker/store.c). The fake aborts where
 * the real store would (a batch over STORE_BATCH_MAX or STORE_ARGV_MAX)
 * and answers as Redis would for one live call, so a request gets past
 * authorization into calls_candidates, calls_sdp and the rest.
 *
 * Input: four head bytes, then the request body (or, for the events long
 * poll, its query values party, since, wait separated by NUL bytes):
 *   [0] the endpoint (enum fuzz_ep; EP_CALLS in make_corpus.py)
 *   [1] the call's state and flags: accepted, ice_delay, fresh_dtls,
 *       strip_identity, relay_only, unlinkable, the callee's secret issued,
 *       log retention
 *   [2] the bearer (caller secret, callee secret, the callee's identity
 *       token, a stranger's), only a tombstone left, the fingerprints seen
 *       in another call, the accept race lost, the split_relays flag, the
 *       failure the store answers (bit 6: EREPLY, else EDOWN)
 *   [3] the command (from 1) whose batch fails; 0: none
 * A body over the default max-body is what http refuses with 413 first.
 *
 * Besides what the fake checks, it aborts when: a refused request (4xx)
 * sent a write; a reason is empty or not UTF-8; a success has no result;
 * a queued event is not a JSON object, a queued candidate is not relay
 * with its related address zeroed, or an event skips the ICE hold
 * (RFC 8827 §6.4); a secret or token is sent to Redis in clear.
 * With FUZZ_CALLS_TRACE set in the environment each input's status and
 * commands go to stderr (to see what a seed reaches). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api_req.h"
#include "broker_config.h"
#include "calls_internal.h"
#include "fake_store.h"
#include "http.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HEAD 4
#define FUZZ_CALL_ID "0123456789abcdef0123456789abcdef"
#define FUZZ_SK_HEX "00112233445566778899aabbccddeeff"

enum fuzz_ep {
    EP_CREATE,
    EP_ACCEPT,
    EP_OFFER,
    EP_ANSWER,
    EP_CANDIDATES,
    EP_END,
    EP_EVENTS,
    EP_IDENTITY,
    EP_PSEUDONYM,
    EP_PENDING,
    EP_COUNT
};

enum fuzz_bearer { BEARER_CALLER, BEARER_CALLEE, BEARER_TOKEN, BEARER_STRANGER };

/* What every input shares: made once, never changed by an input (the
 * metrics counters of struct calls aside). */
struct fuzz_world {
    struct broker_config cfg;
    struct keys keys;
    struct turn_rest_secrets secrets;
    struct policy_set *policy;
    struct log_ctx log;
    struct identities ids;
    struct calls calls;
    char secret[3][IDENTITIES_TOKEN_LEN]; /* caller, callee, the callee's identity token */
    char stranger[IDENTITIES_TOKEN_LEN];
    char sec_hash[2][KEYS_HASH_HEX], tok_hash[KEYS_HASH_HEX];
    char caller_pn[IDENTITIES_PSEUDONYM_LEN], callee_pn[IDENTITIES_PSEUDONYM_LEN];
    char label_hex[2 * SDP_LABEL_KEY_BYTES + 1];
};

/* One input's call, as the fake's script and the handler see it. */
struct fuzz_case {
    enum fuzz_ep ep;
    uint8_t flags, mode, fail_at;
    const char *bearer;
    char flag_text[12];
    struct fake_store_script script;
};

static void fuzz_require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_broker_calls: invariant broken: %s\n", what);
        abort();
    }
}

static void fuzz_b64(const char *seed, char out[IDENTITIES_TOKEN_LEN])
{
    uint8_t raw[32];
    crypto_generichash(raw, sizeof(raw), (const uint8_t *)seed, strlen(seed), NULL, 0);
    sodium_bin2base64(out, IDENTITIES_TOKEN_LEN, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void fuzz_pn(const char *seed, char out[IDENTITIES_PSEUDONYM_LEN])
{
    uint8_t raw[16];
    crypto_generichash(raw, sizeof(raw), (const uint8_t *)seed, strlen(seed), NULL, 0);
    sodium_bin2base64(out, IDENTITIES_PSEUDONYM_LEN, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static struct fuzz_world *fuzz_world(void)
{
    static struct fuzz_world *w;
    uint8_t master[KEYS_BYTES], label[SDP_LABEL_KEY_BYTES];
    char err[256];

    if (w != NULL)
        return w;
    if (sodium_init() < 0 || (w = calloc(1, sizeof(*w))) == NULL)
        abort();
    broker_config_defaults(&w->cfg);
    w->cfg.n_relays = 1;
    snprintf(w->cfg.relays[0], sizeof(w->cfg.relays[0]), "turn:relay.test:3478");
    memset(master, 0x5a, sizeof(master));
    keys_derive(master, &w->keys);
    w->secrets.count = 1;
    w->secrets.len[0] = 6;
    memcpy(w->secrets.bytes[0], "secret", 6);
    if (policy_set_load_texts(&w->policy, NULL, NULL, 0, err, sizeof(err)) != 0)
        abort();
    log_init(&w->log, "fuzz_broker_calls", LOG_LEVEL_ERROR, stderr);
    w->ids.store = fake_store_new();
    w->ids.keys = &w->keys;
    w->ids.ttl = w->cfg.identity_ttl;
    w->calls.store = w->ids.store;
    w->calls.ids = &w->ids;
    w->calls.keys = &w->keys;
    w->calls.policy = w->policy;
    w->calls.secrets = &w->secrets;
    w->calls.cfg = &w->cfg;
    w->calls.pool = dtls_pool_new(0);
    w->calls.log = &w->log;
    if (w->calls.pool == NULL)
        abort();
    fuzz_b64("caller secret", w->secret[BEARER_CALLER]);
    fuzz_b64("callee secret", w->secret[BEARER_CALLEE]);
    fuzz_b64("callee token", w->secret[BEARER_TOKEN]);
    fuzz_b64("stranger", w->stranger);
    for (int p = 0; p < 2; p++)
        keys_hash(w->keys.secret, w->secret[p], strlen(w->secret[p]), w->sec_hash[p]);
    keys_hash(w->keys.token, w->secret[BEARER_TOKEN], strlen(w->secret[BEARER_TOKEN]), w->tok_hash);
    fuzz_pn("caller", w->caller_pn);
    fuzz_pn("callee", w->callee_pn);
    memset(label, 0x33, sizeof(label));
    sodium_bin2hex(w->label_hex, sizeof(w->label_hex), label, sizeof(label));
    return w;
}

/* The live call's hash as calls_create writes it, with the head's flags. */
static void fuzz_script(const struct fuzz_world *w, struct fuzz_case *fc)
{
    struct fake_store_script *s = &fc->script;
    const char **f = s->call;
    uint8_t fl = fc->flags, m = fc->mode;

    memset(s, 0, sizeof(*s));
    snprintf(fc->flag_text, sizeof(fc->flag_text), "%s%s%s%s%s%s-", fl & 0x10 ? "r" : "",
             fl & 0x02 ? "d" : "", fl & 0x04 ? "f" : "", fl & 0x08 ? "i" : "", fl & 0x20 ? "u" : "",
             m & 0x80 ? "s" : "");
    s->call_id = m & 0x04 ? NULL : FUZZ_CALL_ID;
    s->tombstone = (m & 0x04) != 0;
    *f++ = "caller_pn", *f++ = w->caller_pn, *f++ = "callee_pn", *f++ = w->callee_pn;
    *f++ = "caller_sec", *f++ = w->sec_hash[0];
    if (fl & 0x40)
        *f++ = "callee_sec", *f++ = w->sec_hash[1];
    *f++ = "caller_cname", *f++ = "cnamecallerAAAAA", *f++ = "callee_cname";
    *f++ = "cnamecalleeBBBBB", *f++ = "label_key", *f++ = w->label_hex;
    *f++ = "state", *f++ = fl & 0x01 ? "accepted" : "invited", *f++ = "flags";
    *f++ = fc->flag_text, *f++ = "retention", *f++ = fl & 0x80 ? "3600" : "0";
    *f++ = "created", *f++ = "1700000000", *f++ = "caller_sid", *f++ = "12345";
    *f++ = "callee_sid", *f++ = "67890";
    *f = NULL;
    s->fp_owner = m & 0x08 ? "0123456789abcdef0123456789abcdef:caller" : NULL;
    s->pn_owner = w->tok_hash;
    s->sk_hex = FUZZ_SK_HEX;
    s->accept_lost = (m & 0x10) != 0;
    /* fail_at past any batch: its high bit says the context is new, 0xff
     * that the creation limits refuse it */
    s->pn_missing = (fc->fail_at & 0x80) != 0;
    s->events[0] = "{\"type\":\"accepted\"}";
    s->events[1] = "{\"type\":\"delivered\"}";
    s->events[2] = "not json";
    s->fail_at = fc->fail_at;
    s->fail_rc = m & 0x40 ? STORE_EREPLY : STORE_EDOWN;
    fc->bearer = (m & 3) == BEARER_STRANGER ? w->stranger : w->secret[m & 3];
}

/* What a handler refuses with must fit the JSON error reply. */
static void fuzz_reason(const char *err)
{
    json_t *j = json_pack("{s:s}", "detail", err);
    fuzz_require(err[0] != '\0', "a refusal without a reason");
    fuzz_require(j != NULL, "a reason that is not UTF-8");
    json_decref(j);
}

static bool fuzz_refusal(int rc)
{
    return rc == BROKER_EINVALID || rc == BROKER_EAUTH || rc == BROKER_EFORBIDDEN ||
           rc == BROKER_ENOTFOUND || rc == BROKER_ECONFLICT || rc == BROKER_EGONE ||
           rc == BROKER_EUNPROCESSABLE || rc == BROKER_ENORELAY;
}

/* An event queued for a party: a JSON object with a type; a candidate is
 * relay with its related address zeroed, or the end of candidates. */
static void fuzz_event(const char *text)
{
    json_t *ev = json_loads(text, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *cand = json_string_value(json_object_get(ev, "candidate"));

    fuzz_require(json_is_object(ev) && type != NULL, "a queued event is not a typed JSON object");
    if (strcmp(type, "candidate") == 0)
        fuzz_require(cand != NULL && (cand[0] == '\0' ||
                                      strstr(cand, " typ relay raddr 0.0.0.0 rport 0") != NULL),
                     "a queued candidate is not relay with a zero related address");
    json_decref(ev);
}

/* Walks what the handler sent. */
/* True when the request itself holds text (then the client sent it, in an
 * SDP or a candidate, and it may be queued as it is). */
static bool fuzz_echoed(const uint8_t *data, size_t size, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, text, n) == 0)
            return true;
    return false;
}

static void fuzz_check_sent(const struct fuzz_world *w, const struct fuzz_case *fc, int rc,
                            const char *issued, const uint8_t *data, size_t size)
{
    const char *secrets[4] = {w->secret[BEARER_CALLER], w->secret[BEARER_CALLEE],
                              w->secret[BEARER_TOKEN], issued};
    struct store *st = w->calls.store;
    bool hold = fc->ep == EP_CANDIDATES && (fc->flags & 0x02) && !(fc->flags & 0x01);

    for (int k = 0; k < 4; k++)
        if (secrets[k] != NULL && fuzz_echoed(data, size, secrets[k]))
            secrets[k] = NULL;

    for (size_t i = 0; i < fake_store_count(st); i++) {
        const struct fake_store_cmd *c = fake_store_get(st, i);
        bool lost_race = strcmp(c->argv[0], "HSETNX") == 0 && fc->script.accept_lost;
        if (fuzz_refusal(rc) && fake_store_is_write(c) && !lost_race) {
            fprintf(stderr, "fuzz_broker_calls: %s after a refusal (%d)\n", c->argv[0], rc);
            fuzz_require(false, "a refused request wrote to Redis");
        }
        for (int a = 1; a < c->argc; a++)
            for (int k = 0; k < 4; k++)
                fuzz_require(secrets[k] == NULL || strstr(c->argv[a], secrets[k]) == NULL,
                             "a secret or token sent to Redis in clear");
        if (strcmp(c->argv[0], "RPUSH") != 0 || c->argc != 3)
            continue;
        fuzz_event(c->argv[2]);
        if (fc->ep == EP_CANDIDATES)
            fuzz_require((strstr(c->argv[1], ":held:") != NULL) == hold,
                         "a candidate skipped the ICE hold, or was held after the accept");
    }
}

static void fuzz_trace(const struct fuzz_world *w, const struct fuzz_case *fc, int rc,
                       const char *err)
{
    fprintf(stderr, "endpoint %d: status %d %s; %zu commands, largest batch %zu:", (int)fc->ep, rc,
            rc != 0 ? err : "", fake_store_count(w->calls.store),
            fake_store_largest_batch(w->calls.store));
    for (size_t i = 0; i < fake_store_count(w->calls.store); i++)
        fprintf(stderr, " %s", fake_store_get(w->calls.store, i)->argv[0]);
    fprintf(stderr, "\n");
}

/* The creation limits as the handlers ask them: refused (429 in the api
 * layer) when the head says so. */
static int fuzz_admit(void *arg)
{
    const struct fuzz_case *fc = arg;
    return fc->fail_at == 0xff ? BROKER_ELIMITED : 0;
}

static int fuzz_create(struct fuzz_world *w, const struct fuzz_case *fc, const json_t *body,
                       char *err, size_t errlen, char issued[IDENTITIES_TOKEN_LEN])
{
    struct identities_admit admit = {fuzz_admit, (void *)fc};
    struct calls_create_req cr;
    char *out = NULL;
    json_t *res;
    int rc;

    if (api_req_create(body, &cr, err, errlen) != 0)
        return BROKER_EINVALID;
    cr.admit_context = &admit;
    rc = calls_create(&w->calls, &cr, &out, err, errlen);
    if (rc == 0) {
        res = json_loads(out, 0, NULL);
        fuzz_require(res != NULL, "calls_create's reply is not JSON");
        snprintf(issued, IDENTITIES_TOKEN_LEN, "%s",
                 json_string_value(json_object_get(res, "caller_secret")));
        fuzz_require(issued[0] != '\0', "calls_create issued no caller secret");
        json_decref(res);
    }
    if (out != NULL)
        sodium_memzero(out, strlen(out));
    free(out);
    return rc;
}

/* The long poll's first pass (api_calls_events without the wait). */
static int fuzz_events(struct fuzz_world *w, const struct fuzz_case *fc, const uint8_t *data,
                       size_t size, char *err, size_t errlen)
{
    char *copy = malloc(size + 1);
    const char *v[3] = {NULL, NULL, NULL};
    struct api_req_events q;
    enum calls_party party;
    json_t *events = NULL;
    size_t k = 0, start = 0;
    long next;
    bool ended;
    int rc;

    if (copy == NULL)
        return BROKER_EINTERNAL;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (size_t i = 0; i <= size && k < 3; i++) {
        if (copy[i] != '\0')
            continue;
        v[k++] = i > start ? copy + start : NULL;
        start = i + 1;
    }
    rc = api_req_events(v[0], v[1], v[2], (long)w->cfg.long_poll_timeout, &q, err, errlen) != 0
             ? BROKER_EINVALID
             : calls_authorize(&w->calls, FUZZ_CALL_ID, fc->bearer, &party, err, errlen);
    if (rc == 0 && party != q.party)
        rc = calls_fail(err, errlen, BROKER_EFORBIDDEN, "this secret belongs to the other party");
    if (rc == 0)
        rc = calls_ack(&w->calls, FUZZ_CALL_ID, party, q.since, err, errlen);
    if (rc == 0)
        rc = calls_events(&w->calls, FUZZ_CALL_ID, party, q.since, &events, &next, &ended, err,
                          errlen);
    if (rc == 0)
        fuzz_require(json_is_array(events) && next >= q.since, "events without an array");
    json_decref(events);
    free(copy);
    return rc == BROKER_EGONE ? 0 : rc;
}

static int fuzz_identities(struct fuzz_world *w, const struct fuzz_case *fc, const json_t *body,
                           char *err, size_t errlen, char token[IDENTITIES_TOKEN_LEN])
{
    char pn[IDENTITIES_PSEUDONYM_LEN];
    struct identities_admit admit = {fuzz_admit, (void *)fc};
    struct api_req_pseudonym ps;
    json_t *out = NULL;
    int rc;

    switch (fc->ep) {
    case EP_IDENTITY:
        if (api_req_empty(body, err, errlen) != 0)
            return BROKER_EINVALID;
        return identities_create(&w->ids, token);
    case EP_PSEUDONYM:
        if (api_req_pseudonym(body, &ps, err, errlen) != 0)
            return BROKER_EINVALID;
        return identities_pseudonym_for(&w->ids, fc->bearer, ps.context, ps.rotate, &admit, pn);
    default:
        if (api_req_pseudonym(body, &ps, err, errlen) != 0)
            return BROKER_EINVALID;
        rc = calls_pending(&w->calls, fc->bearer, ps.context, &out, err, errlen);
        json_decref(out);
        return rc;
    }
}

static int fuzz_call(struct fuzz_world *w, const struct fuzz_case *fc, const json_t *body,
                     char *err, size_t errlen)
{
    const json_t *cands;
    const char *sdp;
    json_t *out = NULL;
    bool native;
    int rc;

    switch (fc->ep) {
    case EP_ACCEPT:
        if (api_req_accept(body, &native, err, errlen) != 0)
            return BROKER_EINVALID;
        rc = calls_accept(&w->calls, FUZZ_CALL_ID, fc->bearer, native, &out, err, errlen);
        break;
    case EP_OFFER:
    case EP_ANSWER:
        if (api_req_sdp(body, fc->ep == EP_OFFER, &sdp, err, errlen) != 0)
            return BROKER_EINVALID;
        rc = calls_sdp(&w->calls, FUZZ_CALL_ID, fc->bearer, fc->ep == EP_OFFER, sdp, &out, err,
                       errlen);
        break;
    case EP_CANDIDATES:
        if (api_req_candidates(body, &cands, err, errlen) != 0)
            return BROKER_EINVALID;
        rc = calls_candidates(&w->calls, FUZZ_CALL_ID, fc->bearer, cands, &out, err, errlen);
        break;
    default:
        if (api_req_empty(body, err, errlen) != 0)
            return BROKER_EINVALID;
        return calls_end(&w->calls, FUZZ_CALL_ID, fc->bearer, err, errlen);
    }
    fuzz_require(rc != 0 || json_is_object(out), "a success without a result");
    fuzz_require(rc == 0 || out == NULL, "a failure with a result");
    json_decref(out);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_world *w = fuzz_world();
    struct fuzz_case fc;
    json_t *body = NULL;
    char err[512] = "", issued[IDENTITIES_TOKEN_LEN] = "";
    int rc;

    if (size < FUZZ_HEAD || size - FUZZ_HEAD > w->cfg.max_body)
        return 0; /* http answers 413 before any handler */
    memset(&fc, 0, sizeof(fc));
    fc.ep = (enum fuzz_ep)(data[0] % EP_COUNT);
    fc.flags = data[1];
    fc.mode = data[2];
    fc.fail_at = data[3];
    fuzz_script(w, &fc);
    fake_store_reset(w->calls.store);
    fake_store_script(w->calls.store, &fc.script);
    data += FUZZ_HEAD;
    size -= FUZZ_HEAD;
    if (fc.ep == EP_EVENTS) {
        rc = fuzz_events(w, &fc, data, size, err, sizeof(err));
    } else if (http_parse_body((const char *)data, size, &body, err, sizeof(err)) != 0) {
        fuzz_require(body == NULL, "a refused body was handed on");
        rc = BROKER_EINVALID;
    } else if (fc.ep == EP_CREATE) {
        rc = fuzz_create(w, &fc, body, err, sizeof(err), issued);
    } else if (fc.ep >= EP_IDENTITY) {
        rc = fuzz_identities(w, &fc, body, err, sizeof(err), issued);
    } else {
        rc = fuzz_call(w, &fc, body, err, sizeof(err));
    }
    json_decref(body);
    /* the api layer words these refusals itself */
    if (rc != 0 && rc != BROKER_EDOWN && rc != BROKER_EINTERNAL && rc != BROKER_ELIMITED &&
        rc != BROKER_EFULL)
        fuzz_reason(err);
    fuzz_check_sent(w, &fc, rc, issued[0] != '\0' ? issued : NULL, data, size);
    if (getenv("FUZZ_CALLS_TRACE") != NULL)
        fuzz_trace(w, &fc, rc, err);
    fake_store_reset(w->calls.store);
    sodium_memzero(issued, sizeof(issued));
    return 0;
}
