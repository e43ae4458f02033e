/* calls_signal: offer, answer and candidates through the SDP sanitizer,
 * fingerprint reuse checks, the queues and the ICE hold
 * (ice_delay_until_answer, RFC 8827 §6.4). See calls.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "calls_internal.h"
#include "status.h"

/* Moves the held events of a party to its queue, atomically and in order. */
static const char flush_lua[] = "local v = redis.call('LRANGE', KEYS[1], 0, -1) "
                                "for i = 1, #v do redis.call('RPUSH', KEYS[2], v[i]) end "
                                "redis.call('DEL', KEYS[1]) "
                                "if #v > 0 then redis.call('EXPIREAT', KEYS[2], ARGV[1]) end "
                                "return #v";

/* Appends events (ARGV[3], one per line) to KEYS[1] unless the party's two
 * queues (KEYS[1] and KEYS[2], held and delivered) would then hold more
 * than ARGV[1] events (-1 then), or the party would have been sent more
 * than ARGV[4] bytes of events in this call (count in KEYS[3]; -2 then);
 * nothing is written when refused. JSON text from jansson never holds a
 * raw newline. */
static const char push_lua[] =
    "local n = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) "
    "local sent = tonumber(redis.call('GET', KEYS[3]) or '0') "
    "local add, bytes = {}, 0 "
    "for e in string.gmatch(ARGV[3], '[^\\n]+') do add[#add + 1] = e bytes = bytes + #e end "
    "if n + #add > tonumber(ARGV[1]) then return -1 end "
    "if sent + bytes > tonumber(ARGV[4]) then return -2 end "
    "for i = 1, #add do redis.call('RPUSH', KEYS[1], add[i]) end "
    "redis.call('EXPIREAT', KEYS[1], ARGV[2]) "
    "redis.call('INCRBY', KEYS[3], bytes) "
    "redis.call('EXPIREAT', KEYS[3], ARGV[2]) "
    "return n + #add";

/* Queues n event texts for party to, held or not, within CALLS_MAX_EVENTS. */
static int signal_push(struct calls *c, const struct calls_record *call, enum calls_party to,
                       bool hold, const char *expiry, char *const *texts, size_t n, char *err,
                       size_t errlen)
{
    char qk[CALLS_KEY_MAX], other[CALLS_KEY_MAX], bk[CALLS_KEY_MAX], max[16], max_bytes[16];
    char *joined;
    size_t len = 0, at = 0;
    struct redis_val v;
    int rc;

    for (size_t i = 0; i < n; i++)
        len += strlen(texts[i]) + 1;
    joined = malloc(len + 1);
    if (joined == NULL)
        return calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t tl = strlen(texts[i]);
        memcpy(joined + at, texts[i], tl);
        at += tl;
        joined[at++] = '\n';
    }
    joined[at] = '\0';
    calls_record_queue_key(qk, call->id, to, hold);
    calls_record_queue_key(other, call->id, to, !hold);
    calls_record_bytes_key(bk, call->id, to);
    snprintf(max, sizeof(max), "%d", CALLS_MAX_EVENTS);
    snprintf(max_bytes, sizeof(max_bytes), "%d", CALLS_MAX_EVENT_BYTES);
    rc = calls_store_status(store_cmd(c->store, &v, "EVAL", push_lua, "3", qk, other, bk, max,
                                      expiry, joined, max_bytes, NULL));
    if (rc == 0 && v.type == REDIS_VAL_INT && v.num == -1) {
        snprintf(err, errlen,
                 "the %s already has the most events a call may queue for a party (%d); "
                 "end this call and start a new one",
                 calls_party_name(to), CALLS_MAX_EVENTS);
        rc = BROKER_ECONFLICT;
    } else if (rc == 0 && v.type == REDIS_VAL_INT && v.num < 0) {
        snprintf(err, errlen,
                 "the %s would be sent more than the %d bytes of events a call may send a "
                 "party; end this call and start a new one",
                 calls_party_name(to), CALLS_MAX_EVENT_BYTES);
        rc = BROKER_ECONFLICT;
    }
    redis_val_free(&v);
    free(joined);
    return rc;
}

void calls_signal_release(struct store_batch *b, const struct calls_keys *k, const char *expiry)
{
    for (int p = CALLS_CALLER; p <= CALLS_CALLEE; p++)
        store_batch_add(b, "EVAL", flush_lua, "2", k->held[p], k->ev[p], expiry, NULL);
}

/* An SDP's fingerprints as keys of the reuse record, and their owner. */
struct signal_fps {
    size_t n;
    char keys[SDP_MAX_FINGERPRINTS][CALLS_KEY_MAX];
    char owner[SDP_MAX_FINGERPRINTS][CALLS_FP_OWNER_LEN];
};

/* Each fingerprint must be unseen, or seen only for this call and party
 * (issued to it, or sent before in a renegotiation). Fills fps for
 * signal_fps_record, which runs once the SDP is queued. */
static int signal_fps_check(struct calls *c, const struct calls_record *call,
                            enum calls_party party, const struct sdp_result *r,
                            struct signal_fps *fps, char *err, size_t errlen)
{
    char fp_tok[LOG_TOKEN_LEN];
    struct store_batch b = {0};
    struct redis_val v[SDP_MAX_FINGERPRINTS];
    int rc;

    fps->n = 0;
    for (size_t i = 0; i < r->n_fingerprints && i < SDP_MAX_FINGERPRINTS; i++) {
        calls_record_fp_key(c, r->fingerprints[i], call->id, party, fps->keys[i], fps->owner[i]);
        store_batch_add(&b, "GET", fps->keys[i], NULL);
        fps->n++;
    }
    if (fps->n == 0)
        return 0;
    rc = calls_store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b.n; i++) {
        bool mine = v[i].type == REDIS_VAL_NIL ||
                    (v[i].type == REDIS_VAL_STR && strcmp(v[i].str, fps->owner[i]) == 0);
        if (!mine && call->fresh_dtls)
            rc = calls_fail(err, errlen, BROKER_ECONFLICT,
                            "a=fingerprint was seen in another call or party within the retention "
                            "window; a reused DTLS key would link the calls (make a fresh one)");
    }
    for (size_t i = 0; i < b.n; i++)
        redis_val_free(&v[i]);
    if (rc != 0) {
        c->m.fingerprint_refused++;
        log_info(c->log, "call %s: %s presented a fingerprint seen before; refused",
                 log_token(c->log, call->id, strlen(call->id), fp_tok), calls_party_name(party));
    }
    return rc;
}

static int signal_fps_record(struct calls *c, const struct signal_fps *fps)
{
    char fp_ttl[16];
    struct store_batch b = {0};

    if (fps->n == 0)
        return 0;
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    for (size_t i = 0; i < fps->n; i++)
        store_batch_add(&b, "SET", fps->keys[i], fps->owner[i], "NX", "EX", fp_ttl, NULL);
    return calls_store_status(store_batch_run(c->store, &b, NULL));
}

int calls_sdp(struct calls *c, const char *id, const char *bearer, bool offer, const char *sdp,
              json_t **out, char *err, size_t errlen)
{
    struct calls_record call;
    enum calls_party party, want = offer ? CALLS_CALLER : CALLS_CALLEE;
    struct sdp_options opts;
    struct sdp_result r;
    struct signal_fps fps;
    char expiry[24], *text = NULL;
    bool hold;
    int rc = calls_record_load(c, id, &call, err, errlen);

    memset(&r, 0, sizeof(r));
    if (rc == 0)
        rc = calls_record_authorize(c, &call, bearer, &party, err, errlen);
    if (rc == 0 && party != want)
        rc = calls_fail(err, errlen, BROKER_EFORBIDDEN,
                        offer ? "only the caller sends the offer"
                              : "only the callee sends the answer");
    if (rc != 0)
        goto done;
    opts.cname = call.cname[party];
    opts.label_key = call.label_key;
    opts.strip_identity = call.strip_identity;
    opts.session_id = call.sid[party];
    if (sdp_sanitize(sdp, strlen(sdp), &opts, &r, err, errlen) != 0) {
        c->m.sdp_rejected++;
        rc = BROKER_EUNPROCESSABLE;
        goto done;
    }
    rc = signal_fps_check(c, &call, party, &r, &fps, err, errlen);
    if (rc != 0)
        goto done;
    /* An answer, or an offer carrying candidates, waits for the accept. */
    hold = call.ice_delay && !call.accepted && (!offer || r.candidates_kept > 0);
    text =
        calls_event_text(json_pack("{s:s, s:s}", "type", offer ? "offer" : "answer", "sdp", r.sdp));
    if (text == NULL) {
        rc = calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    calls_record_expiry(c, &call, expiry);
    rc = signal_push(c, &call, offer ? CALLS_CALLEE : CALLS_CALLER, hold, expiry, &text, 1, err,
                     errlen);
    if (rc == 0)
        rc = signal_fps_record(c, &fps);
    if (rc == 0) {
        c->m.candidates_kept += r.candidates_kept;
        c->m.candidates_dropped += r.candidates_dropped;
        c->m.events_held += hold;
        *out = json_pack("{s:b, s:i, s:i, s:s}", "held", hold, "candidates_kept",
                         (json_int_t)r.candidates_kept, "candidates_dropped",
                         (json_int_t)r.candidates_dropped, "sdp", r.sdp);
        calls_notify(c, call.id);
    }
done:
    free(text);
    sdp_result_free(&r);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

/* A request's candidates go in one command; they must fit in a queue. */
_Static_assert(CALLS_MAX_CANDIDATES <= CALLS_MAX_EVENTS, "a request's candidates fit in a queue");
/* signal_fps_check, signal_fps_record: one GET, one SET per fingerprint. */
_Static_assert(SDP_MAX_FINGERPRINTS <= STORE_BATCH_MAX,
               "an SDP's fingerprints fit in one store batch");

int calls_candidates(struct calls *c, const char *id, const char *bearer, const json_t *cands,
                     json_t **out, char *err, size_t errlen)
{
    struct calls_record call;
    enum calls_party party;
    char *texts[CALLS_MAX_CANDIDATES] = {0};
    char expiry[24];
    size_t n = json_array_size(cands), kept = 0, dropped = 0;
    bool hold;
    int rc;

    if (!json_is_array(cands) || n == 0 || n > CALLS_MAX_CANDIDATES) {
        snprintf(err, errlen, "candidates: an array of 1 to %d entries", CALLS_MAX_CANDIDATES);
        return BROKER_EINVALID;
    }
    rc = calls_record_load(c, id, &call, err, errlen);
    if (rc == 0)
        rc = calls_record_authorize(c, &call, bearer, &party, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *ev;
        rc = calls_candidate_event(json_array_get(cands, i), &ev, err, errlen);
        if (rc == 0 && ev == NULL)
            dropped++;
        else if (rc == 0 && (texts[kept] = calls_event_text(ev)) == NULL)
            rc = calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        else if (rc == 0)
            kept++;
    }
    if (rc != 0)
        goto done;
    hold = call.ice_delay && !call.accepted;
    calls_record_expiry(c, &call, expiry);
    if (kept > 0)
        rc = signal_push(c, &call, party == CALLS_CALLER ? CALLS_CALLEE : CALLS_CALLER, hold,
                         expiry, texts, kept, err, errlen);
    if (rc == 0) {
        c->m.candidates_kept += kept;
        c->m.candidates_dropped += dropped;
        c->m.events_held += hold ? kept : 0;
        *out = json_pack("{s:i, s:i, s:b}", "kept", (json_int_t)kept, "dropped",
                         (json_int_t)dropped, "held", hold && kept > 0);
        if (kept > 0)
            calls_notify(c, call.id);
    }
done:
    for (size_t i = 0; i < CALLS_MAX_CANDIDATES; i++)
        free(texts[i]);
    sodium_memzero(&call, sizeof(call));
    return rc;
}
