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

void calls_signal_release(struct store_batch *b, const struct calls_keys *k, const char *expiry)
{
    for (int p = CALLS_CALLER; p <= CALLS_CALLEE; p++)
        store_batch_add(b, "EVAL", flush_lua, "2", k->held[p], k->ev[p], expiry, NULL);
}

/* Each fingerprint must be unseen, or seen only for this call and party
 * (issued to it, or sent before in a renegotiation). Records them. */
static int signal_check_fingerprints(struct calls *c, const struct calls_record *call,
                                     enum calls_party party, const struct sdp_result *r, char *err,
                                     size_t errlen)
{
    char keys[SDP_MAX_FINGERPRINTS][CALLS_KEY_MAX], owner[SDP_MAX_FINGERPRINTS][CALLS_FP_OWNER_LEN];
    char fp_ttl[16], fp_tok[LOG_TOKEN_LEN];
    struct store_batch b = {0};
    struct store_val v[2 * SDP_MAX_FINGERPRINTS];
    int rc;

    if (r->n_fingerprints == 0)
        return 0;
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    for (size_t i = 0; i < r->n_fingerprints && i < SDP_MAX_FINGERPRINTS; i++) {
        calls_record_fp_key(c, r->fingerprints[i], call->id, party, keys[i], owner[i]);
        store_batch_add(&b, "GET", keys[i], NULL);
    }
    rc = calls_store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b.n; i++) {
        bool mine =
            v[i].type == STORE_NIL || (v[i].type == STORE_STR && strcmp(v[i].str, owner[i]) == 0);
        if (!mine && call->fresh_dtls)
            rc = calls_fail(err, errlen, BROKER_ECONFLICT,
                            "a=fingerprint was seen in another call or party within the retention "
                            "window; a reused DTLS key would link the calls (make a fresh one)");
    }
    for (size_t i = 0; i < b.n; i++)
        store_val_free(&v[i]);
    if (rc != 0) {
        c->m.fingerprint_refused++;
        log_info(c->log, "call %s: %s presented a fingerprint seen before; refused",
                 log_token(c->log, call->id, strlen(call->id), fp_tok), calls_party_name(party));
        return rc;
    }
    b.n = 0;
    for (size_t i = 0; i < r->n_fingerprints && i < SDP_MAX_FINGERPRINTS; i++)
        store_batch_add(&b, "SET", keys[i], owner[i], "NX", "EX", fp_ttl, NULL);
    return calls_store_status(store_batch_run(c->store, &b, NULL));
}

int calls_sdp(struct calls *c, const char *id, const char *bearer, bool offer, const char *sdp,
              json_t **out, char *err, size_t errlen)
{
    struct calls_record call;
    enum calls_party party, want = offer ? CALLS_CALLER : CALLS_CALLEE;
    struct sdp_options opts;
    struct sdp_result r;
    struct store_batch b = {0};
    char qk[CALLS_KEY_MAX], expiry[24], *text = NULL;
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
    rc = signal_check_fingerprints(c, &call, party, &r, err, errlen);
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
    calls_record_queue_key(qk, call.id, offer ? CALLS_CALLEE : CALLS_CALLER, hold);
    store_batch_add(&b, "RPUSH", qk, text, NULL);
    store_batch_add(&b, "EXPIREAT", qk, expiry, NULL);
    rc = calls_store_status(store_batch_run(c->store, &b, NULL));
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

/* One RPUSH per kept candidate and an EXPIREAT go in one batch. */
_Static_assert(CALLS_MAX_CANDIDATES + 1 <= STORE_BATCH_MAX,
               "a request's candidates fit in one store batch");
/* signal_check_fingerprints: one GET, then one SET, per fingerprint. */
_Static_assert(SDP_MAX_FINGERPRINTS <= STORE_BATCH_MAX,
               "an SDP's fingerprints fit in one store batch");

int calls_candidates(struct calls *c, const char *id, const char *bearer, const json_t *cands,
                     json_t **out, char *err, size_t errlen)
{
    struct calls_record call;
    enum calls_party party;
    char *texts[CALLS_MAX_CANDIDATES] = {0};
    const char *argv_keep[CALLS_MAX_CANDIDATES];
    char qk[CALLS_KEY_MAX], expiry[24];
    size_t n = json_array_size(cands), kept = 0, dropped = 0;
    struct store_batch b = {0};
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
    calls_record_queue_key(qk, call.id, party == CALLS_CALLER ? CALLS_CALLEE : CALLS_CALLER, hold);
    for (size_t i = 0; i < kept; i++) {
        argv_keep[i] = texts[i];
        store_batch_add(&b, "RPUSH", qk, argv_keep[i], NULL);
    }
    if (kept > 0) {
        store_batch_add(&b, "EXPIREAT", qk, expiry, NULL);
        rc = calls_store_status(store_batch_run(c->store, &b, NULL));
    }
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
