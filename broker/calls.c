/* calls: see calls.h. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls.h"
#include "cname.h"
#include "creds.h"
#include "sdp_sanitize.h"
#include "status.h"
#include "wipe.h"

#define KEY_MAX 128
#define SECRET_LEN 44 /* base64url of 32 bytes + NUL */
#define TOMBSTONE_TTL "120"
/* What a delivered event becomes in its queue. */
#define DELIVERED "{\"type\":\"delivered\"}"

/* A call as loaded from its Redis hash. */
struct call {
    char id[CALLS_ID_LEN];
    char caller_pn[IDENTITIES_PSEUDONYM_LEN];
    char callee_pn[IDENTITIES_PSEUDONYM_LEN];
    char sec[2][KEYS_HASH_HEX]; /* H(party secret); empty until issued */
    char cname[2][CNAME_LEN];
    uint64_t sid[2];
    uint8_t label_key[SDP_LABEL_KEY_BYTES];
    bool accepted, relay_only, ice_delay, fresh_dtls, strip_identity, unlinkable;
    long long retention, created;
};

static int store_status(int rc)
{
    return rc == STORE_EDOWN ? BROKER_EDOWN : rc != 0 ? BROKER_EINTERNAL : 0;
}

static int fail(char *err, size_t errlen, int status, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return status;
}

bool calls_id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++)
        if (n >= CALLS_ID_LEN - 1 ||
            !((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return false;
    return n == CALLS_ID_LEN - 1;
}

const char *calls_party_name(enum calls_party p)
{
    return p == CALLS_CALLER ? "caller" : "callee";
}

static void call_key(char out[KEY_MAX], const char *id, const char *suffix)
{
    snprintf(out, KEY_MAX, "umbra:call:%s%s", id, suffix);
}

/* The tombstone is named by a keyed hash: an ended call leaves no key
 * that names it. */
static void tomb_key(const struct calls *c, const char *id, char out[KEY_MAX])
{
    char h[KEYS_HASH_HEX];
    keys_hash(c->keys->call, id, strlen(id), h);
    snprintf(out, KEY_MAX, "umbra:end:%s", h);
}

/* When the call's hash expires (created + call-ttl): its queues, which
 * hold SDP with fingerprints, must not outlive it. */
static void call_expiry(const struct calls *c, const struct call *call, char out[24])
{
    long long created = call->created > 0 ? call->created : (long long)time(NULL);
    snprintf(out, 24, "%lld", created + (long long)c->cfg->call_ttl);
}

static void random_id(char out[CALLS_ID_LEN])
{
    uint8_t r[16];
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(out, CALLS_ID_LEN, r, sizeof(r));
}

static void new_secret(const struct keys *k, char secret[SECRET_LEN], char hash[KEYS_HASH_HEX])
{
    uint8_t r[32];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(secret, SECRET_LEN, r, sizeof(r), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(r, sizeof(r));
    keys_hash(k->secret, secret, strlen(secret), hash);
}

static void copy_field(char *dst, size_t cap, const struct store_val *v)
{
    if (v->type == STORE_STR && v->len < cap)
        memcpy(dst, v->str, v->len + 1);
}

static int parse_call(const struct store_val *h, const char *id, struct call *call)
{
    memset(call, 0, sizeof(*call));
    snprintf(call->id, sizeof(call->id), "%s", id);
    for (size_t i = 0; i + 1 < h->n; i += 2) {
        const char *f = h->elem[i].str;
        const struct store_val *v = &h->elem[i + 1];
        if (f == NULL || v->str == NULL)
            continue;
        if (strcmp(f, "caller_pn") == 0)
            copy_field(call->caller_pn, sizeof(call->caller_pn), v);
        else if (strcmp(f, "callee_pn") == 0)
            copy_field(call->callee_pn, sizeof(call->callee_pn), v);
        else if (strcmp(f, "caller_sec") == 0)
            copy_field(call->sec[0], sizeof(call->sec[0]), v);
        else if (strcmp(f, "callee_sec") == 0)
            copy_field(call->sec[1], sizeof(call->sec[1]), v);
        else if (strcmp(f, "caller_cname") == 0)
            copy_field(call->cname[0], sizeof(call->cname[0]), v);
        else if (strcmp(f, "callee_cname") == 0)
            copy_field(call->cname[1], sizeof(call->cname[1]), v);
        else if (strcmp(f, "caller_sid") == 0)
            call->sid[0] = strtoull(v->str, NULL, 10);
        else if (strcmp(f, "callee_sid") == 0)
            call->sid[1] = strtoull(v->str, NULL, 10);
        else if (strcmp(f, "label_key") == 0)
            sodium_hex2bin(call->label_key, sizeof(call->label_key), v->str, v->len, NULL, NULL,
                           NULL);
        else if (strcmp(f, "state") == 0)
            call->accepted = strcmp(v->str, "accepted") == 0;
        else if (strcmp(f, "flags") == 0) {
            call->relay_only = strchr(v->str, 'r') != NULL;
            call->ice_delay = strchr(v->str, 'd') != NULL;
            call->fresh_dtls = strchr(v->str, 'f') != NULL;
            call->strip_identity = strchr(v->str, 'i') != NULL;
            call->unlinkable = strchr(v->str, 'u') != NULL;
        } else if (strcmp(f, "retention") == 0)
            call->retention = strtoll(v->str, NULL, 10);
        else if (strcmp(f, "created") == 0)
            call->created = strtoll(v->str, NULL, 10);
    }
    return call->caller_pn[0] != '\0' && call->callee_pn[0] != '\0' && call->sec[0][0] != '\0'
               ? 0
               : BROKER_EINTERNAL;
}

/* Loads a call; EGONE when only its tombstone remains. */
static int load(struct calls *c, const char *id, struct call *call, char *err, size_t errlen)
{
    char key[KEY_MAX], tomb[KEY_MAX];
    struct store_val v[2];
    struct store_batch b = {0};
    int rc;

    if (!calls_id_valid(id))
        return fail(err, errlen, BROKER_ENOTFOUND, "no such call");
    call_key(key, id, "");
    tomb_key(c, id, tomb);
    store_batch_add(&b, "HGETALL", key, NULL);
    store_batch_add(&b, "EXISTS", tomb, NULL);
    rc = store_batch_run(c->store, &b, v);
    if (rc != 0)
        return store_status(rc);
    if (v[0].type == STORE_ARRAY && v[0].n > 0)
        rc = parse_call(&v[0], id, call);
    else if (v[1].type == STORE_INT && v[1].num == 1)
        rc = fail(err, errlen, BROKER_EGONE, "the call has ended");
    else
        rc = fail(err, errlen, BROKER_ENOTFOUND, "no such call (unknown or expired)");
    store_val_free(&v[0]);
    store_val_free(&v[1]);
    return rc;
}

static int authorize(struct calls *c, const struct call *call, const char *bearer,
                     enum calls_party *party, char *err, size_t errlen)
{
    char h[KEYS_HASH_HEX];
    int rc;

    if (bearer == NULL || bearer[0] == '\0' || strlen(bearer) > 128)
        return fail(err, errlen, BROKER_EAUTH, "missing bearer secret (Authorization: Bearer)");
    keys_hash(c->keys->secret, bearer, strlen(bearer), h);
    for (int p = 0; p < 2; p++) {
        if (call->sec[p][0] != '\0' && sodium_memcmp(h, call->sec[p], KEYS_HASH_HEX) == 0) {
            *party = (enum calls_party)p;
            return 0;
        }
    }
    if (!call->accepted && identities_token_valid(bearer)) {
        rc = identities_owns(c->ids, bearer, call->callee_pn);
        if (rc == 0) {
            *party = CALLS_CALLEE;
            return 0;
        }
        if (rc != BROKER_EAUTH)
            return rc;
    }
    return fail(err, errlen, BROKER_EAUTH, "this secret speaks for no party of this call");
}

int calls_authorize(struct calls *c, const char *id, const char *bearer, enum calls_party *party,
                    char *err, size_t errlen)
{
    struct call call;
    int rc = load(c, id, &call, err, errlen);
    if (rc == 0)
        rc = authorize(c, &call, bearer, party, err, errlen);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

/* The material one party gets: its secret, TURN credentials, CNAME and,
 * for native clients, a DTLS identity whose fingerprint hash is recorded
 * so no other call or party may present it. */
struct party_material {
    char secret[SECRET_LEN];
    char sec_hash[KEYS_HASH_HEX];
    char fp_key[KEY_MAX]; /* empty unless native */
    char fp_owner[KEYS_HASH_HEX + 8];
    struct creds creds;
    struct dtls_id dtls;
    bool native;
};

static void material_clear(struct party_material *pm)
{
    dtls_id_free(&pm->dtls);
    creds_clear(&pm->creds);
    sodium_memzero(pm, sizeof(*pm));
}

static void fp_record(const struct calls *c, const char *fp, const char *id, enum calls_party p,
                      char key[KEY_MAX], char owner[KEYS_HASH_HEX + 8])
{
    char h[KEYS_HASH_HEX], idh[KEYS_HASH_HEX];
    keys_hash(c->keys->fingerprint, fp, strlen(fp), h);
    keys_hash(c->keys->fingerprint, id, strlen(id), idh);
    snprintf(key, KEY_MAX, "umbra:fp:%s", h);
    snprintf(owner, KEYS_HASH_HEX + 8, "%s:%s", idh, calls_party_name(p));
}

/* With unlinkability the relays get a one-call pseudonym in the TURN
 * username, so they cannot link two calls of one party. */
static int material_make(struct calls *c, const char *id, enum calls_party p, const char *pseudonym,
                         bool unlinkable, bool native, struct party_material *pm, char *err,
                         size_t errlen)
{
    char one_call[IDENTITIES_PSEUDONYM_LEN];
    memset(pm, 0, sizeof(*pm));
    new_secret(c->keys, pm->secret, pm->sec_hash);
    if (unlinkable) {
        identities_one_call_pseudonym(one_call);
        pseudonym = one_call;
    }
    if (creds_make(c->secrets, c->cfg->credential_ttl, (int64_t)time(NULL), id, pseudonym,
                   &pm->creds) != 0)
        return fail(err, errlen, BROKER_EINTERNAL, "cannot make TURN credentials");
    if (native) {
        if (dtls_pool_take(c->pool, &pm->dtls, err, errlen) != 0)
            return BROKER_EINTERNAL;
        pm->native = true;
        fp_record(c, pm->dtls.fingerprint, id, p, pm->fp_key, pm->fp_owner);
    }
    return 0;
}

static json_t *material_json(const struct calls *c, const struct party_material *pm,
                             const char *cname, bool relay_only, enum calls_party p)
{
    json_t *urls = json_array(), *o;
    for (size_t i = 0; i < c->cfg->n_relays; i++)
        json_array_append_new(urls, json_string(c->cfg->relays[i]));
    o = json_pack("{s:s, s:[{s:o, s:s, s:s}], s:s, s:i, s:s}",
                  p == CALLS_CALLER ? "caller_secret" : "callee_secret", pm->secret, "ice_servers",
                  "urls", urls, "username", pm->creds.username, "credential", pm->creds.password,
                  "ice_transport_policy", relay_only ? "relay" : "all", "credential_ttl",
                  (json_int_t)pm->creds.ttl, "cname", cname);
    if (o != NULL && pm->native)
        json_object_set_new(o, "dtls",
                            json_pack("{s:s, s:s, s:s}", "private_key", pm->dtls.key_pem,
                                      "certificate", pm->dtls.cert_pem, "fingerprint",
                                      pm->dtls.fingerprint));
    return o;
}

static int decide(struct calls *c, const struct calls_create_req *req, struct policy_decision *d,
                  char *err, size_t errlen)
{
    int rc = req->preferences != NULL
                 ? policy_decide_with(c->policy, &req->ctx, req->preferences, NULL, d, err, errlen)
                 : policy_decide(c->policy, &req->ctx, d, err, errlen);
    return rc == 0 ? 0 : BROKER_EINVALID;
}

/* The pseudonym the relays and the callee see for the caller, and whether
 * the callee exists: one round trip. *record tells whether r holds a
 * mapping to write with the call. */
static int caller_pseudonym(struct calls *c, const struct calls_create_req *req,
                            const struct policy_decision *d, const char *callee_key,
                            char pn[IDENTITIES_PSEUDONYM_LEN], bool *presented,
                            struct identities_resolved *r, bool *record, char *err, size_t errlen)
{
    bool callee_exists = false;
    struct store_val v;
    int rc;

    *record = false;
    *presented = d->anonymity != POLICY_ANON_UNDETECTABLE && req->caller_token != NULL;
    if (!*presented) {
        identities_one_call_pseudonym(pn);
        rc = store_cmd(c->store, &v, "EXISTS", callee_key, NULL);
        if (rc != 0)
            return rc == STORE_EDOWN ? BROKER_EDOWN : BROKER_EINTERNAL;
        callee_exists = v.type == STORE_INT && v.num == 1;
    } else {
        rc = identities_resolve(c->ids, req->caller_token,
                                req->caller_context != NULL ? req->caller_context : req->callee,
                                callee_key, &callee_exists, r);
        if (rc == BROKER_ENOTFOUND)
            return fail(err, errlen, BROKER_EAUTH, "unknown caller token");
        if (rc != 0)
            return rc;
        snprintf(pn, IDENTITIES_PSEUDONYM_LEN, "%s", r->pseudonym);
        *record = true;
    }
    if (!callee_exists)
        return fail(err, errlen, BROKER_ENOTFOUND, "callee: unknown pseudonym");
    return 0;
}

static char *event_text(json_t *ev)
{
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

/* Users see a rule's file by its base name: the full path is the
 * operator's (umbra-policy explain shows it). */
static void origin_for_users(json_t *origin)
{
    const char *file = json_string_value(json_object_get(origin, "file"));
    const char *slash = file != NULL ? strrchr(file, '/') : NULL;
    if (slash != NULL && slash[1] != '\0')
        json_object_set_new(origin, "file", json_string(slash + 1));
}

static void decision_for_users(json_t *decision)
{
    const char *field;
    json_t *v;
    size_t i;

    json_object_foreach(json_object_get(decision, "explanation"), field, v)
        origin_for_users(json_object_get(v, "set_by"));
    json_array_foreach(json_object_get(decision, "refused"), i, v)
    {
        origin_for_users(json_object_get(v, "by"));
        origin_for_users(json_object_get(v, "winner"));
    }
}

/* Appends ,"decision":DECISION to the JSON object text obj (which ends in
 * '}'), wiping and freeing obj: it holds secrets. The decision is dumped
 * once per call and reused, as dumping it is a large part of a set-up. */
static char *with_decision(char *obj, const char *decision)
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
static char *invited_text(const char *id, const char *caller, const char *decision)
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
    struct call call;
    struct party_material pm;
    struct store_batch b = {0};
    char pnkey[KEY_MAX], key[KEY_MAX], evkey[KEY_MAX], pend[KEY_MAX];
    char label_hex[2 * SDP_LABEL_KEY_BYTES + 1], flags[8], ttl[16], retention[24], created[24];
    char sid[2][24], expiry[24], fp_ttl[16];
    bool presented;
    json_t *decision, *res;
    char *decision_text, *invited = NULL, tok[LOG_TOKEN_LEN];
    struct identities_resolved resolved;
    bool record;
    int rc;

    *out = NULL;
    if (!identities_pseudonym_valid(req->callee))
        return fail(err, errlen, BROKER_EINVALID, "callee: not a pseudonym");
    if (req->caller_token != NULL && !identities_token_valid(req->caller_token))
        return fail(err, errlen, BROKER_EAUTH, "caller: not a token");
    if (req->caller_token == NULL && req->ctx.caller_state != POLICY_CALLER_UNDETECTABLE)
        return fail(err, errlen, BROKER_EINVALID,
                    "caller: required unless caller_state is undetectable");
    rc = decide(c, req, &d, err, errlen);
    if (rc != 0)
        return rc;
    decision = policy_decision_to_json(&d);
    decision_for_users(decision);
    decision_text = decision != NULL ? json_dumps(decision, JSON_COMPACT) : NULL;
    json_decref(decision);
    if (decision_text == NULL)
        return fail(err, errlen, BROKER_EINTERNAL, "out of memory");
    if (!d.admit) {
        c->m.refused++;
        *out = decision_text;
        return fail(err, errlen, BROKER_EFORBIDDEN, "the policy refuses this call");
    }
    snprintf(pnkey, sizeof(pnkey), "umbra:pn:%s", req->callee);
    memset(&call, 0, sizeof(call));
    memset(&pm, 0, sizeof(pm));
    rc = caller_pseudonym(c, req, &d, pnkey, call.caller_pn, &presented, &resolved, &record, err,
                          errlen);
    if (rc != 0)
        goto done;
    random_id(call.id);
    snprintf(call.callee_pn, sizeof(call.callee_pn), "%s", req->callee);
    cname_generate(call.cname[0]);
    cname_generate(call.cname[1]);
    randombytes_buf(call.label_key, sizeof(call.label_key));
    randombytes_buf(call.sid, sizeof(call.sid));
    call.sid[0] = (call.sid[0] >> 2) | 1; /* positive 62-bit o= session ids */
    call.sid[1] = (call.sid[1] >> 2) | 1;
    rc = material_make(c, call.id, CALLS_CALLER, call.caller_pn,
                       d.unlinkability == POLICY_UNLINK_GRANTED, req->native, &pm, err, errlen);
    if (rc != 0)
        goto done;
    snprintf(flags, sizeof(flags), "%s%s%s%s%s-", d.relay_only ? "r" : "",
             d.ice_delay_until_answer ? "d" : "", d.fresh_dtls_per_call ? "f" : "",
             d.identity_assertion == POLICY_ASSERT_FORBID ? "i" : "",
             d.unlinkability == POLICY_UNLINK_GRANTED ? "u" : "");
    sodium_bin2hex(label_hex, sizeof(label_hex), call.label_key, sizeof(call.label_key));
    snprintf(ttl, sizeof(ttl), "%u", c->cfg->call_ttl);
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    snprintf(retention, sizeof(retention), "%" PRId64, d.log_retention_seconds);
    snprintf(created, sizeof(created), "%lld", (long long)time(NULL));
    snprintf(expiry, sizeof(expiry), "%lld", (long long)time(NULL) + c->cfg->call_ttl);
    snprintf(sid[0], sizeof(sid[0]), "%" PRIu64, call.sid[0]);
    snprintf(sid[1], sizeof(sid[1]), "%" PRIu64, call.sid[1]);
    invited = invited_text(call.id, presented ? call.caller_pn : NULL, decision_text);
    if (invited == NULL) {
        rc = fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    call_key(key, call.id, "");
    call_key(evkey, call.id, ":ev:callee");
    snprintf(pend, sizeof(pend), "umbra:pend:%s", call.callee_pn);
    store_batch_add(&b, "HSET", key, "caller_pn", call.caller_pn, "callee_pn", call.callee_pn,
                    "caller_sec", pm.sec_hash, "caller_cname", call.cname[0], "callee_cname",
                    call.cname[1], "label_key", label_hex, NULL);
    store_batch_add(&b, "HSET", key, "state", "invited", "flags", flags, "retention", retention,
                    "created", created, "caller_sid", sid[0], "callee_sid", sid[1], NULL);
    store_batch_add(&b, "EXPIRE", key, ttl, NULL);
    store_batch_add(&b, "RPUSH", evkey, invited, NULL);
    store_batch_add(&b, "EXPIRE", evkey, ttl, NULL);
    store_batch_add(&b, "ZADD", pend, expiry, call.id, NULL);
    store_batch_add(&b, "EXPIRE", pend, ttl, NULL);
    if (pm.native)
        store_batch_add(&b, "SET", pm.fp_key, pm.fp_owner, "EX", fp_ttl, NULL);
    if (record) /* so the callee can call this pseudonym back */
        identities_record(&resolved, &b);
    rc = store_status(store_batch_run(c->store, &b, NULL));
    sodium_memzero(label_hex, sizeof(label_hex));
    if (rc != 0)
        goto done;
    res = material_json(c, &pm, call.cname[0], d.relay_only, CALLS_CALLER);
    if (res != NULL) {
        json_object_set_new(res, "call_id", json_string(call.id));
        json_object_set_new(res, "caller_pseudonym", json_string(call.caller_pn));
        *out = json_dumps(res, JSON_COMPACT);
        json_decref(res);
    }
    if (*out != NULL)
        *out = with_decision(*out, decision_text);
    if (*out == NULL) {
        rc = fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    c->m.created++;
    log_info(c->log, "call %s: created (relay_only %d, ice delay %d, fresh dtls %d, %s)",
             log_token(c->log, call.id, strlen(call.id), tok), d.relay_only,
             d.ice_delay_until_answer, d.fresh_dtls_per_call, req->native ? "native" : "browser");
    if (c->notify != NULL)
        c->notify(c->notify_arg, call.id);
done:
    free(invited);
    free(decision_text);
    material_clear(&pm);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

/* Moves the held events of a party to its queue, atomically and in order. */
static const char flush_lua[] = "local v = redis.call('LRANGE', KEYS[1], 0, -1) "
                                "for i = 1, #v do redis.call('RPUSH', KEYS[2], v[i]) end "
                                "redis.call('DEL', KEYS[1]) "
                                "if #v > 0 then redis.call('EXPIREAT', KEYS[2], ARGV[1]) end "
                                "return #v";

int calls_accept(struct calls *c, const char *id, const char *bearer, bool native, json_t **out,
                 char *err, size_t errlen)
{
    struct call call;
    struct party_material pm;
    enum calls_party party;
    struct store_batch b = {0};
    struct store_val won;
    char key[KEY_MAX], pend[KEY_MAX], expiry[24], fp_ttl[16], hk[2][KEY_MAX], ek[2][KEY_MAX];
    char *accepted = NULL, tok[LOG_TOKEN_LEN];
    int rc = load(c, id, &call, err, errlen);

    memset(&pm, 0, sizeof(pm));
    if (rc == 0)
        rc = authorize(c, &call, bearer, &party, err, errlen);
    if (rc == 0 && party != CALLS_CALLEE)
        rc = fail(err, errlen, BROKER_EFORBIDDEN, "only the callee accepts a call");
    if (rc == 0 && call.accepted)
        rc = fail(err, errlen, BROKER_ECONFLICT, "the call is already accepted");
    if (rc == 0)
        rc = material_make(c, call.id, CALLS_CALLEE, call.callee_pn, call.unlinkable, native, &pm,
                           err, errlen);
    if (rc != 0)
        goto done;
    call_expiry(c, &call, expiry);
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    call_key(key, call.id, "");
    call_key(hk[0], call.id, ":held:caller");
    call_key(hk[1], call.id, ":held:callee");
    call_key(ek[0], call.id, ":ev:caller");
    call_key(ek[1], call.id, ":ev:callee");
    snprintf(pend, sizeof(pend), "umbra:pend:%s", call.callee_pn);
    /* Only one accept may win. */
    rc = store_status(store_cmd(c->store, &won, "HSETNX", key, "callee_sec", pm.sec_hash, NULL));
    if (rc != 0)
        goto done;
    if (won.type != STORE_INT || won.num != 1) {
        rc = fail(err, errlen, BROKER_ECONFLICT, "the call is already accepted");
        goto done;
    }
    accepted = event_text(json_pack("{s:s}", "type", "accepted"));
    if (accepted == NULL) {
        rc = fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    store_batch_add(&b, "HSET", key, "state", "accepted", NULL);
    store_batch_add(&b, "ZREM", pend, call.id, NULL);
    store_batch_add(&b, "RPUSH", ek[0], accepted, NULL);
    store_batch_add(&b, "EXPIREAT", ek[0], expiry, NULL);
    store_batch_add(&b, "EVAL", flush_lua, "2", hk[0], ek[0], expiry, NULL);
    store_batch_add(&b, "EVAL", flush_lua, "2", hk[1], ek[1], expiry, NULL);
    if (pm.native)
        store_batch_add(&b, "SET", pm.fp_key, pm.fp_owner, "EX", fp_ttl, NULL);
    rc = store_status(store_batch_run(c->store, &b, NULL));
    free(accepted);
    if (rc == 0) {
        *out = material_json(c, &pm, call.cname[1], call.relay_only, CALLS_CALLEE);
        if (*out == NULL)
            rc = fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        c->m.accepted++;
        log_info(c->log, "call %s: accepted", log_token(c->log, call.id, strlen(call.id), tok));
        if (c->notify != NULL)
            c->notify(c->notify_arg, call.id);
    }
done:
    material_clear(&pm);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

/* The queue an event for party `to` goes to now. */
static void queue_key(const struct call *call, enum calls_party to, bool hold, char out[KEY_MAX])
{
    if (to == CALLS_CALLER)
        call_key(out, call->id, hold ? ":held:caller" : ":ev:caller");
    else
        call_key(out, call->id, hold ? ":held:callee" : ":ev:callee");
}

/* Each fingerprint must be unseen, or seen only for this call and party
 * (issued to it, or sent before in a renegotiation). Records them. */
static int check_fingerprints(struct calls *c, const struct call *call, enum calls_party party,
                              const struct sdp_result *r, char *err, size_t errlen)
{
    char keys[SDP_MAX_FINGERPRINTS][KEY_MAX], owner[SDP_MAX_FINGERPRINTS][KEYS_HASH_HEX + 8];
    char fp_ttl[16], fp_tok[LOG_TOKEN_LEN];
    struct store_batch b = {0};
    struct store_val v[2 * SDP_MAX_FINGERPRINTS];
    int rc;

    if (r->n_fingerprints == 0)
        return 0;
    snprintf(fp_ttl, sizeof(fp_ttl), "%u", c->cfg->fingerprint_retention);
    for (size_t i = 0; i < r->n_fingerprints && i < SDP_MAX_FINGERPRINTS; i++) {
        fp_record(c, r->fingerprints[i], call->id, party, keys[i], owner[i]);
        store_batch_add(&b, "GET", keys[i], NULL);
    }
    rc = store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < b.n; i++) {
        bool mine =
            v[i].type == STORE_NIL || (v[i].type == STORE_STR && strcmp(v[i].str, owner[i]) == 0);
        if (!mine && call->fresh_dtls)
            rc = fail(err, errlen, BROKER_ECONFLICT,
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
    return store_status(store_batch_run(c->store, &b, NULL));
}

static void notify(struct calls *c, const char *id)
{
    if (c->notify != NULL)
        c->notify(c->notify_arg, id);
}

int calls_sdp(struct calls *c, const char *id, const char *bearer, bool offer, const char *sdp,
              json_t **out, char *err, size_t errlen)
{
    struct call call;
    enum calls_party party, want = offer ? CALLS_CALLER : CALLS_CALLEE;
    struct sdp_options opts;
    struct sdp_result r;
    struct store_batch b = {0};
    char qk[KEY_MAX], expiry[24], *text = NULL;
    bool hold;
    int rc = load(c, id, &call, err, errlen);

    memset(&r, 0, sizeof(r));
    if (rc == 0)
        rc = authorize(c, &call, bearer, &party, err, errlen);
    if (rc == 0 && party != want)
        rc = fail(err, errlen, BROKER_EFORBIDDEN,
                  offer ? "only the caller sends the offer" : "only the callee sends the answer");
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
    rc = check_fingerprints(c, &call, party, &r, err, errlen);
    if (rc != 0)
        goto done;
    /* An answer, or an offer carrying candidates, waits for the accept. */
    hold = call.ice_delay && !call.accepted && (!offer || r.candidates_kept > 0);
    text = event_text(json_pack("{s:s, s:s}", "type", offer ? "offer" : "answer", "sdp", r.sdp));
    if (text == NULL) {
        rc = fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        goto done;
    }
    call_expiry(c, &call, expiry);
    queue_key(&call, offer ? CALLS_CALLEE : CALLS_CALLER, hold, qk);
    store_batch_add(&b, "RPUSH", qk, text, NULL);
    store_batch_add(&b, "EXPIREAT", qk, expiry, NULL);
    rc = store_status(store_batch_run(c->store, &b, NULL));
    if (rc == 0) {
        c->m.candidates_kept += r.candidates_kept;
        c->m.candidates_dropped += r.candidates_dropped;
        c->m.events_held += hold;
        *out = json_pack("{s:b, s:i, s:i, s:s}", "held", hold, "candidates_kept",
                         (json_int_t)r.candidates_kept, "candidates_dropped",
                         (json_int_t)r.candidates_dropped, "sdp", r.sdp);
        notify(c, call.id);
    }
done:
    free(text);
    sdp_result_free(&r);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

/* Validates one candidate entry and gives the event to queue (NULL when
 * the sanitizer drops it). */
static int candidate_event(const json_t *entry, json_t **ev, char *err, size_t errlen)
{
    const json_t *cand = entry, *mid = NULL, *idx = NULL;
    char out[SDP_CANDIDATE_MAX];
    const char *key;
    json_t *value;
    int kept;

    *ev = NULL;
    if (json_is_object(entry)) {
        json_object_foreach((json_t *)entry, key, value)
        {
            if (strcmp(key, "candidate") != 0 && strcmp(key, "sdpMid") != 0 &&
                strcmp(key, "sdpMLineIndex") != 0 && strcmp(key, "usernameFragment") != 0)
                return fail(err, errlen, BROKER_EINVALID, "candidates: unknown field");
        }
        cand = json_object_get(entry, "candidate");
        mid = json_object_get(entry, "sdpMid");
        idx = json_object_get(entry, "sdpMLineIndex");
        if ((mid != NULL && !json_is_string(mid) && !json_is_null(mid)) ||
            (idx != NULL && !json_is_integer(idx) && !json_is_null(idx)))
            return fail(err, errlen, BROKER_EINVALID,
                        "candidates: sdpMid must be a string, sdpMLineIndex an integer");
    }
    if (!json_is_string(cand))
        return fail(err, errlen, BROKER_EINVALID,
                    "candidates: each entry is a string or {\"candidate\": string, ...}");
    if (json_string_length(cand) == 0) {
        /* end-of-candidates carries no address */
        *ev = json_pack("{s:s, s:s}", "type", "candidate", "candidate", "");
    } else {
        kept = sdp_sanitize_candidate(json_string_value(cand), json_string_length(cand), out,
                                      sizeof(out), err, errlen);
        if (kept < 0)
            return BROKER_EUNPROCESSABLE;
        if (kept == 0)
            return 0;
        *ev = json_pack("{s:s, s:s}", "type", "candidate", "candidate", out);
    }
    if (*ev == NULL)
        return fail(err, errlen, BROKER_EINTERNAL, "out of memory");
    if (mid != NULL && json_is_string(mid))
        json_object_set(*ev, "sdpMid", (json_t *)mid);
    if (idx != NULL && json_is_integer(idx))
        json_object_set(*ev, "sdpMLineIndex", (json_t *)idx);
    return 0;
}

int calls_candidates(struct calls *c, const char *id, const char *bearer, const json_t *cands,
                     json_t **out, char *err, size_t errlen)
{
    struct call call;
    enum calls_party party;
    char *texts[CALLS_MAX_CANDIDATES] = {0};
    const char *argv_keep[CALLS_MAX_CANDIDATES];
    char qk[KEY_MAX], expiry[24];
    size_t n = json_array_size(cands), kept = 0, dropped = 0;
    struct store_batch b = {0};
    bool hold;
    int rc;

    if (!json_is_array(cands) || n == 0 || n > CALLS_MAX_CANDIDATES)
        return fail(err, errlen, BROKER_EINVALID, "candidates: an array of 1 to 32 entries");
    rc = load(c, id, &call, err, errlen);
    if (rc == 0)
        rc = authorize(c, &call, bearer, &party, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *ev;
        rc = candidate_event(json_array_get(cands, i), &ev, err, errlen);
        if (rc == 0 && ev == NULL)
            dropped++;
        else if (rc == 0 && (texts[kept] = event_text(ev)) == NULL)
            rc = fail(err, errlen, BROKER_EINTERNAL, "out of memory");
        else if (rc == 0)
            kept++;
    }
    if (rc != 0)
        goto done;
    hold = call.ice_delay && !call.accepted;
    call_expiry(c, &call, expiry);
    queue_key(&call, party == CALLS_CALLER ? CALLS_CALLEE : CALLS_CALLER, hold, qk);
    for (size_t i = 0; i < kept; i++) {
        argv_keep[i] = texts[i];
        store_batch_add(&b, "RPUSH", qk, argv_keep[i], NULL);
    }
    if (kept > 0) {
        store_batch_add(&b, "EXPIREAT", qk, expiry, NULL);
        rc = store_status(store_batch_run(c->store, &b, NULL));
    }
    if (rc == 0) {
        c->m.candidates_kept += kept;
        c->m.candidates_dropped += dropped;
        c->m.events_held += hold ? kept : 0;
        *out = json_pack("{s:i, s:i, s:b}", "kept", (json_int_t)kept, "dropped",
                         (json_int_t)dropped, "held", hold && kept > 0);
        if (kept > 0)
            notify(c, call.id);
    }
done:
    for (size_t i = 0; i < CALLS_MAX_CANDIDATES; i++)
        free(texts[i]);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

int calls_events(struct calls *c, const char *id, enum calls_party party, long since,
                 json_t **events, long *next, bool *ended, char *err, size_t errlen)
{
    char key[KEY_MAX], ek[KEY_MAX], tomb[KEY_MAX], start[24];
    struct store_batch b = {0};
    struct store_val v[3];
    int rc;

    *ended = false;
    *events = NULL;
    if (!calls_id_valid(id))
        return fail(err, errlen, BROKER_ENOTFOUND, "no such call");
    call_key(key, id, "");
    call_key(ek, id, party == CALLS_CALLER ? ":ev:caller" : ":ev:callee");
    tomb_key(c, id, tomb);
    snprintf(start, sizeof(start), "%ld", since);
    store_batch_add(&b, "EXISTS", key, NULL);
    store_batch_add(&b, "EXISTS", tomb, NULL);
    store_batch_add(&b, "LRANGE", ek, start, "-1", NULL);
    rc = store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    *events = json_array();
    *next = since;
    if (v[0].num == 0) {
        if (v[1].num == 1) {
            *ended = true;
            json_array_append_new(*events, json_pack("{s:s}", "type", "ended"));
        } else {
            rc = fail(err, errlen, BROKER_ENOTFOUND, "no such call (unknown or expired)");
        }
    } else {
        for (size_t i = 0; i < v[2].n; i++) {
            json_t *ev = strcmp(v[2].elem[i].str, DELIVERED) != 0
                             ? json_loadb(v[2].elem[i].str, v[2].elem[i].len, 0, NULL)
                             : NULL;
            if (ev != NULL)
                json_array_append_new(*events, ev);
        }
        *next = since + (long)v[2].n;
    }
    for (int i = 0; i < 3; i++)
        store_val_free(&v[i]);
    if (rc != 0) {
        json_decref(*events);
        *events = NULL;
    }
    return rc;
}

/* Overwrites the events below ARGV[1] (the party has them) with ARGV[2];
 * indexes stay, so "since" keeps its meaning. */
static const char ack_lua[] = "local n = math.min(tonumber(ARGV[1]), redis.call('LLEN', KEYS[1])) "
                              "for i = 0, n - 1 do "
                              "if redis.call('LINDEX', KEYS[1], i) ~= ARGV[2] then "
                              "redis.call('LSET', KEYS[1], i, ARGV[2]) end end "
                              "return n";

int calls_ack(struct calls *c, const char *id, enum calls_party party, long since, char *err,
              size_t errlen)
{
    char ek[KEY_MAX], upto[24];
    struct store_val v;
    int rc;

    if (!calls_id_valid(id))
        return fail(err, errlen, BROKER_ENOTFOUND, "no such call");
    if (since <= 0)
        return 0;
    call_key(ek, id, party == CALLS_CALLER ? ":ev:caller" : ":ev:callee");
    snprintf(upto, sizeof(upto), "%ld", since);
    rc = store_status(store_cmd(c->store, &v, "EVAL", ack_lua, "1", ek, upto, DELIVERED, NULL));
    store_val_free(&v);
    return rc;
}

int calls_end(struct calls *c, const char *id, const char *bearer, char *err, size_t errlen)
{
    struct call call;
    enum calls_party party;
    struct store_batch b = {0};
    char key[KEY_MAX], lists[4][KEY_MAX], pend[KEY_MAX], tomb[KEY_MAX], logkey[KEY_MAX];
    char created[24], ended[24], retention[24], logid[CALLS_ID_LEN], tok[LOG_TOKEN_LEN];
    int rc = load(c, id, &call, err, errlen);

    if (rc == 0)
        rc = authorize(c, &call, bearer, &party, err, errlen);
    if (rc != 0)
        goto done;
    call_key(key, call.id, "");
    call_key(lists[0], call.id, ":ev:caller");
    call_key(lists[1], call.id, ":ev:callee");
    call_key(lists[2], call.id, ":held:caller");
    call_key(lists[3], call.id, ":held:callee");
    snprintf(pend, sizeof(pend), "umbra:pend:%s", call.callee_pn);
    tomb_key(c, call.id, tomb);
    /* Revoke first: the relays drop the allocations even if what follows
     * fails. */
    store_batch_add(&b, "PUBLISH", CALLS_REVOKE_CHANNEL, call.id, NULL);
    store_batch_add(&b, "DEL", key, lists[0], lists[1], lists[2], lists[3], NULL);
    store_batch_add(&b, "ZREM", pend, call.id, NULL);
    store_batch_add(&b, "SET", tomb, "1", "EX", TOMBSTONE_TTL, NULL);
    if (call.retention > 0) {
        /* What remains: pseudonyms and times under a new random name, so
         * it cannot be joined with the call id the relays saw. */
        random_id(logid);
        snprintf(logkey, sizeof(logkey), "umbra:log:%s", logid);
        snprintf(created, sizeof(created), "%lld", call.created);
        snprintf(ended, sizeof(ended), "%lld", (long long)time(NULL));
        snprintf(retention, sizeof(retention), "%lld", call.retention);
        store_batch_add(&b, "HSET", logkey, "caller", call.caller_pn, "callee", call.callee_pn,
                        "started", created, "ended", ended, "accepted", call.accepted ? "1" : "0",
                        NULL);
        store_batch_add(&b, "EXPIRE", logkey, retention, NULL);
    }
    rc = store_status(store_batch_run(c->store, &b, NULL));
    if (rc == 0) {
        c->m.ended++;
        log_info(c->log, "call %s: ended by the %s, revocation published",
                 log_token(c->log, call.id, strlen(call.id), tok), calls_party_name(party));
        notify(c, call.id);
    }
done:
    sodium_memzero(&call, sizeof(call));
    return rc;
}

int calls_pending(struct calls *c, const char *token, const char *context, json_t **out, char *err,
                  size_t errlen)
{
    char pn[IDENTITIES_PSEUDONYM_LEN], pend[KEY_MAX], now[24];
    struct store_batch b = {0};
    struct store_val v[2];
    int rc = identities_pseudonym_for(c->ids, token, context, false, pn);

    if (rc == BROKER_ENOTFOUND)
        return fail(err, errlen, BROKER_ENOTFOUND, "unknown identity token");
    if (rc != 0)
        return rc;
    snprintf(pend, sizeof(pend), "umbra:pend:%s", pn);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    store_batch_add(&b, "ZREMRANGEBYSCORE", pend, "-inf", now, NULL);
    store_batch_add(&b, "ZRANGE", pend, "0", "-1", NULL);
    rc = store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    *out = json_pack("{s:s, s:[]}", "pseudonym", pn, "calls");
    for (size_t i = 0; *out != NULL && i < v[1].n; i++)
        json_array_append_new(json_object_get(*out, "calls"), json_string(v[1].elem[i].str));
    store_val_free(&v[0]);
    store_val_free(&v[1]);
    return *out != NULL ? 0 : fail(err, errlen, BROKER_EINTERNAL, "out of memory");
}
