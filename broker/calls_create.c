/* calls_create: a call comes to be (policy decision, caller pseudonym,
 * the invite) and is accepted. See calls.h. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls_internal.h"
#include "status.h"
#include "wipe.h"

static int create_decide(struct calls *c, const struct calls_create_req *req,
                         struct policy_decision *d, char *err, size_t errlen)
{
    int rc = req->preferences != NULL
                 ? policy_decide_with(c->policy, &req->ctx, req->preferences, NULL, d, err, errlen)
                 : policy_decide(c->policy, &req->ctx, d, err, errlen);
    return rc == 0 ? 0 : BROKER_EINVALID;
}

/* A context the caller had no live pseudonym in becomes one with the
 * call: counted as a new context, as POST /v1/pseudonyms counts it. */
static int create_admit_context(struct calls *c, const struct identities_admit *admit,
                                const struct identities_resolved *r)
{
    struct redis_val v;
    bool live;
    int rc = store_cmd(c->store, &v, "EXISTS", r->pn_key, NULL);
    if (rc != 0)
        return broker_status_of_store(rc);
    live = v.type == REDIS_VAL_INT && v.num == 1;
    redis_val_free(&v);
    return live ? 0 : admit->fn(admit->arg);
}

/* The pseudonym the relays and the callee see for the caller, and whether
 * the callee exists: one round trip. *record tells whether r holds a
 * mapping to write with the call. */
static int create_caller_pseudonym(struct calls *c, const struct calls_create_req *req,
                                   const struct policy_decision *d, const char *callee_key,
                                   char pn[IDENTITIES_PSEUDONYM_LEN], bool *presented,
                                   struct identities_resolved *r, bool *record, char *err,
                                   size_t errlen)
{
    bool callee_exists = false;
    struct redis_val v;
    int rc;

    *record = false;
    *presented = d->anonymity != POLICY_ANON_UNDETECTABLE && req->caller_token != NULL;
    if (!*presented) {
        identities_one_call_pseudonym(pn);
        rc = store_cmd(c->store, &v, "EXISTS", callee_key, NULL);
        if (rc != 0)
            return broker_status_of_store(rc);
        callee_exists = v.type == REDIS_VAL_INT && v.num == 1;
    } else {
        rc = identities_resolve(c->ids, req->caller_token,
                                req->caller_context != NULL ? req->caller_context : req->callee,
                                callee_key, &callee_exists, r);
        if (rc == BROKER_ENOTFOUND)
            return calls_fail(err, errlen, BROKER_EAUTH, "unknown caller token");
        if (rc == 0 && callee_exists && req->admit_context != NULL)
            rc = create_admit_context(c, req->admit_context, r);
        if (rc != 0)
            return rc;
        snprintf(pn, IDENTITIES_PSEUDONYM_LEN, "%s", r->pseudonym);
        *record = true;
    }
    if (!callee_exists)
        return calls_fail(err, errlen, BROKER_ENOTFOUND, "callee: unknown pseudonym");
    return 0;
}

/* Users see a rule's file by its base name: the full path is the
 * operator's (umbra-policy explain shows it). */
static void create_origin_for_users(json_t *origin)
{
    const char *file = json_string_value(json_object_get(origin, "file"));
    const char *slash = file != NULL ? strrchr(file, '/') : NULL;
    if (slash != NULL && slash[1] != '\0')
        json_object_set_new(origin, "file", json_string(slash + 1));
}

static void create_decision_for_users(json_t *decision)
{
    const char *field;
    json_t *v;
    size_t i;

    json_object_foreach(json_object_get(decision, "explanation"), field, v)
        create_origin_for_users(json_object_get(v, "set_by"));
    json_array_foreach(json_object_get(decision, "refused"), i, v)
    {
        create_origin_for_users(json_object_get(v, "by"));
        create_origin_for_users(json_object_get(v, "winner"));
    }
}

/* Appends ,"decision":DECISION to the JSON object text obj (which ends in
 * '}'), wiping and freeing obj: it holds secrets. The decision is dumped
 * once per call and reused, as dumping it is a large part of a set-up. */
static char *create_with_decision(char *obj, const char *decision)
{
    size_t olen = strlen(obj), dlen = strlen(decision);
    char *out = olen > 1 && obj[olen - 1] == '}' ? malloc(olen + dlen + 16) : NULL;
    if (out != NULL)
        snprintf(out, olen + dlen + 16, "%.*s%s\"decision\":%s}", (int)(olen - 1), obj,
                 olen > 2 ? "," : "", decision);
    wipe_free(obj, olen);
    return out;
}

/* The invited event, from strings of known safe characters (hex call id,
 * base64url pseudonym) and the decision's JSON text. */
static char *create_invited_text(const char *id, const char *caller, const char *decision)
{
    size_t cap = strlen(decision) + 160;
    char *t = malloc(cap);
    if (t != NULL)
        snprintf(t, cap,
                 "{\"type\":\"invited\",\"call_id\":\"%s\",\"caller\":%s%s%s,\"decision\":%s}", id,
                 caller != NULL ? "\"" : "", caller != NULL ? caller : "null",
                 caller != NULL ? "\"" : "", decision);
    return t;
}

int calls_create(struct calls *c, const struct calls_create_req *req, char **out, char *err,
                 size_t errlen)
{
    struct policy_decision d;
    struct calls_record call;
    struct calls_material pm;
    struct store_batch b = {0};
    char pnkey[CALLS_KEY_MAX], key[CALLS_KEY_MAX], evkey[CALLS_KEY_MAX], pend[CALLS_KEY_MAX];
    char label_hex[2 * SDP_LABEL_KEY_BYTES + 1], flags[10], ttl[16], retention[24], created[24];
    char sid[2][24], expiry[24], fp_ttl[16];
    bool presented;
    json_t *decision, *res;
    char *decision_text, *invited = NULL, tok[LOG_TOKEN_LEN];
    struct identities_resolved resolved;
    bool record;
    int rc;

    *out = NULL;
    if (!identities_pseudonym_valid(req->callee))
        return calls_fail(err, errlen, BROKER_EINVALID, "callee: not a pseudonym");
    if (req->caller_token != NULL && !identities_token_valid(req->caller_token))
        return calls_fail(err, errlen, BROKER_EAUTH, "caller: not a token");
    if (req->caller_token == NULL && req->ctx.caller_state != POLICY_CALLER_UNDETECTABLE)
        return calls_fail(err, errlen, BROKER_EINVALID,
                          "caller: required unless caller_state is undetectable");
    rc = create_decide(c, req, &d, err, errlen);
    if (rc != 0)
        return rc;
    decision = policy_decision_to_json(&d);
    create_decision_for_users(decision);
    decision_text = decision != NULL ? json_dumps(decision, JSON_COMPACT) : NULL;
    json_decref(decision);
    if (decision_text == NULL)
        return calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
    if (!d.admit) {
        c->m.refused++;
        *out = decision_text;
        return calls_fail(err, errlen, BROKER_EFORBIDDEN, "the policy refuses this call");
    }
    snprintf(pnkey, sizeof(pnkey), "umbra:pn:%s", req->callee);
    memset(&call, 0, sizeof(call));
    memset(&pm, 0, sizeof(pm));
    rc = create_caller_pseudonym(c, req, &d, pnkey, call.caller_pn, &presented, &resolved, &record,
                                 err, errlen);
    if (rc != 0)
        goto done;
    calls_record_random_id(call.id);
    snprintf(call.callee_pn, sizeof(call.callee_pn), "%s", req->callee);
    cname_generate(call.cname[0]);
    cname_generate(call.cname[1]);
    randombytes_buf(call.label_key, sizeof(call.label_key));
    randombytes_buf(call.sid, sizeof(call.sid));
    call.sid[0] = (call.sid[0] >> 2) | 1; /* positive 62-bit o= session ids */
    call.sid[1] = (call.sid[1] >> 2) | 1;
    rc = calls_material_make(c, call.id, CALLS_CALLER, req->native, d.split_relays, NULL, &pm, err,
                             errlen);
    if (rc != 0)
        goto done;
    snprintf(flags, sizeof(flags), "%s%s%s%s%s%s-", d.relay_only ? "r" : "",
             d.ice_delay_until_answer ? "d" : "", d.fresh_dtls_per_call ? "f" : "",
             d.identity_assertion == POLICY_ASSERT_FORBID ? "i" : "",
             d.unlinkability == POLICY_UNLINK_GRANTED ? "u" : "", d.split_relays ? "s" : "");
    sodium_bin2hex(label_hex, sizeof(label_hex), call.label_key, sizeof(call.label_key));
    snprintf(ttl, sizeof(ttl), "%u", c->cfg->call_ttl);
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    snprintf(retention, sizeof(retention), "%" PRId64, d.log_retention_seconds);
    snprintf(created, sizeof(created), "%lld", (long long)time(NULL));
    snprintf(expiry, sizeof(expiry), "%lld", (long long)time(NULL) + c->cfg->call_ttl);
    snprintf(sid[0], sizeof(sid[0]), "%" PRIu64, call.sid[0]);
    snprintf(sid[1], sizeof(sid[1]), "%" PRIu64, call.sid[1]);
    invited = create_invited_text(call.id, presented ? call.caller_pn : NULL, decision_text);
    if (invited == NULL) {
        rc = calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    calls_record_key(key, call.id, "");
    calls_record_key(evkey, call.id, ":ev:callee");
    snprintf(pend, sizeof(pend), "umbra:pend:%s", call.callee_pn);
    store_batch_add(&b, "HSET", key, "caller_pn", call.caller_pn, "callee_pn", call.callee_pn,
                    "caller_sec", pm.sec_hash, "caller_cname", call.cname[0], "callee_cname",
                    call.cname[1], "label_key", label_hex, NULL);
    store_batch_add(&b, "HSET", key, "state", "invited", "flags", flags, "retention", retention,
                    "created", created, "caller_sid", sid[0], "callee_sid", sid[1], NULL);
    if (pm.from_fleet)
        store_batch_add(&b, "HSET", key, "caller_relay", pm.relay.id, "caller_op",
                        pm.relay.operator_label, NULL);
    store_batch_add(&b, "EXPIRE", key, ttl, NULL);
    store_batch_add(&b, "RPUSH", evkey, invited, NULL);
    store_batch_add(&b, "EXPIRE", evkey, ttl, NULL);
    store_batch_add(&b, "ZADD", pend, expiry, call.id, NULL);
    store_batch_add(&b, "EXPIRE", pend, ttl, NULL);
    if (pm.native)
        store_batch_add(&b, "SET", pm.fp_key, pm.fp_owner, "EX", fp_ttl, NULL);
    if (record) /* so the callee can call this pseudonym back */
        identities_record(&resolved, &b);
    rc = calls_store_status(store_batch_run(c->store, &b, NULL));
    sodium_memzero(label_hex, sizeof(label_hex));
    if (rc != 0)
        goto done;
    res = calls_material_json(c, &pm, call.cname[0], d.relay_only, CALLS_CALLER);
    if (res != NULL) {
        json_object_set_new(res, "call_id", json_string(call.id));
        json_object_set_new(res, "caller_pseudonym", json_string(call.caller_pn));
        *out = json_dumps(res, JSON_COMPACT);
        json_decref(res);
    }
    if (*out != NULL)
        *out = create_with_decision(*out, decision_text);
    if (*out == NULL) {
        rc = calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    c->m.created++;
    log_info(c->log, "call %s: created (relay_only %d, ice delay %d, fresh dtls %d, %s)",
             log_token(c->log, call.id, strlen(call.id), tok), d.relay_only,
             d.ice_delay_until_answer, d.fresh_dtls_per_call, req->native ? "native" : "browser");
    calls_notify(c, call.id);
done:
    free(invited);
    free(decision_text);
    calls_material_clear(&pm);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

int calls_accept(struct calls *c, const char *id, const char *bearer, bool native, json_t **out,
                 char *err, size_t errlen)
{
    struct calls_record call;
    struct calls_material pm;
    enum calls_party party;
    struct store_batch b = {0};
    struct redis_val won;
    struct calls_keys k;
    char pend[CALLS_KEY_MAX], expiry[24], fp_ttl[16];
    char *accepted = NULL, tok[LOG_TOKEN_LEN];
    int rc = calls_record_load(c, id, &call, err, errlen);

    memset(&pm, 0, sizeof(pm));
    if (rc == 0)
        rc = calls_record_authorize(c, &call, bearer, &party, err, errlen);
    if (rc == 0 && party != CALLS_CALLEE)
        rc = calls_fail(err, errlen, BROKER_EFORBIDDEN, "only the callee accepts a call");
    if (rc == 0 && call.accepted)
        rc = calls_fail(err, errlen, BROKER_ECONFLICT, "the call is already accepted");
    if (rc == 0)
        rc = calls_material_make(c, call.id, CALLS_CALLEE, native, call.split,
                                 call.caller_op[0] != '\0' ? call.caller_op : NULL, &pm, err,
                                 errlen);
    if (rc != 0)
        goto done;
    calls_record_expiry(c, &call, expiry);
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    calls_record_keys(&k, call.id);
    snprintf(pend, sizeof(pend), "umbra:pend:%s", call.callee_pn);
    /* Only one accept may win. */
    rc = calls_store_status(
        store_cmd(c->store, &won, "HSETNX", k.hash, "callee_sec", pm.sec_hash, NULL));
    if (rc != 0)
        goto done;
    if (won.type != REDIS_VAL_INT || won.num != 1) {
        rc = calls_fail(err, errlen, BROKER_ECONFLICT, "the call is already accepted");
        goto done;
    }
    accepted = calls_event_text(json_pack("{s:s}", "type", "accepted"));
    if (accepted == NULL) {
        rc = calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    store_batch_add(&b, "HSET", k.hash, "state", "accepted", NULL);
    if (pm.from_fleet)
        store_batch_add(&b, "HSET", k.hash, "callee_relay", pm.relay.id, "callee_op",
                        pm.relay.operator_label, NULL);
    store_batch_add(&b, "ZREM", pend, call.id, NULL);
    store_batch_add(&b, "RPUSH", k.ev[CALLS_CALLER], accepted, NULL);
    store_batch_add(&b, "EXPIREAT", k.ev[CALLS_CALLER], expiry, NULL);
    calls_signal_release(&b, &k, expiry);
    if (pm.native)
        store_batch_add(&b, "SET", pm.fp_key, pm.fp_owner, "EX", fp_ttl, NULL);
    rc = calls_store_status(store_batch_run(c->store, &b, NULL));
    free(accepted);
    if (rc == 0) {
        *out = calls_material_json(c, &pm, call.cname[1], call.relay_only, CALLS_CALLEE);
        if (*out == NULL)
            rc = calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        c->m.accepted++;
        log_info(c->log, "call %s: accepted", log_token(c->log, call.id, strlen(call.id), tok));
        calls_notify(c, call.id);
    }
done:
    calls_material_clear(&pm);
    sodium_memzero(&call, sizeof(call));
    return rc;
}
