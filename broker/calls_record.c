/* calls_record: a call's ids, key names and Redis hash; who a bearer
 * speaks for; the end of a call. See calls.h and calls_internal.h. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls_internal.h"
#include "status.h"

#define TOMBSTONE_TTL "120"

int calls_store_status(int rc)
{
    return broker_status_of_store(rc);
}

int calls_fail(char *err, size_t errlen, int status, const char *why)
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

void calls_record_key(char out[CALLS_KEY_MAX], const char *id, const char *suffix)
{
    snprintf(out, CALLS_KEY_MAX, "umbra:call:%s%s", id, suffix);
}

void calls_record_queue_key(char out[CALLS_KEY_MAX], const char *id, enum calls_party to, bool hold)
{
    if (to == CALLS_CALLER)
        calls_record_key(out, id, hold ? ":held:caller" : ":ev:caller");
    else
        calls_record_key(out, id, hold ? ":held:callee" : ":ev:callee");
}

void calls_record_bytes_key(char out[CALLS_KEY_MAX], const char *id, enum calls_party to)
{
    calls_record_key(out, id, to == CALLS_CALLER ? ":bytes:caller" : ":bytes:callee");
}

void calls_record_keys(struct calls_keys *k, const char *id)
{
    calls_record_key(k->hash, id, "");
    for (int p = CALLS_CALLER; p <= CALLS_CALLEE; p++) {
        calls_record_queue_key(k->ev[p], id, (enum calls_party)p, false);
        calls_record_queue_key(k->held[p], id, (enum calls_party)p, true);
        calls_record_bytes_key(k->bytes[p], id, (enum calls_party)p);
    }
}

/* The tombstone is named by a keyed hash: an ended call leaves no key
 * that names it. */
void calls_record_tomb_key(const struct calls *c, const char *id, char out[CALLS_KEY_MAX])
{
    char h[KEYS_HASH_HEX];
    keys_hash(c->keys->call, id, strlen(id), h);
    snprintf(out, CALLS_KEY_MAX, "umbra:end:%s", h);
}

/* The queues, which hold SDP with fingerprints, must not outlive the
 * call's hash. */
void calls_record_expiry(const struct calls *c, const struct calls_record *call,
                         char out[CALLS_TIME_LEN])
{
    long long created = call->created > 0 ? call->created : (long long)time(NULL);
    snprintf(out, CALLS_TIME_LEN, "%lld", created + (long long)c->cfg->call_ttl);
}

void calls_record_random_id(char out[CALLS_ID_LEN])
{
    uint8_t r[16];
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(out, CALLS_ID_LEN, r, sizeof(r));
}

void calls_record_fp_key(const struct calls *c, const char *fp, const char *id, enum calls_party p,
                         char key[CALLS_KEY_MAX], char owner[CALLS_FP_OWNER_LEN])
{
    char h[KEYS_HASH_HEX], idh[KEYS_HASH_HEX];
    keys_hash(c->keys->fingerprint, fp, strlen(fp), h);
    keys_hash(c->keys->fingerprint, id, strlen(id), idh);
    snprintf(key, CALLS_KEY_MAX, "umbra:fp:%s", h);
    snprintf(owner, CALLS_FP_OWNER_LEN, "%s:%s", idh, calls_party_name(p));
}

void calls_notify(struct calls *c, const char *id)
{
    char msg[CALLS_TAG_LEN + CALLS_ID_LEN + 1];
    unsigned char raw[(CALLS_TAG_LEN - 1) / 2];

    if (c->notify != NULL)
        c->notify(c->notify_arg, id);
    if (c->tag[0] == '\0') {
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(c->tag, sizeof(c->tag), raw, sizeof(raw));
    }
    /* The other brokers' long polls; lost when Redis just went away (their
     * once-a-second re-check still finds the events). */
    snprintf(msg, sizeof(msg), "%s %s", c->tag, id);
    store_cmd(c->store, NULL, "PUBLISH", CALLS_NOTIFY_CHANNEL, msg, NULL);
}

void calls_on_message(void *arg, const char *msg, size_t len)
{
    struct calls *c = arg;
    char id[CALLS_ID_LEN];
    size_t tl = CALLS_TAG_LEN - 1;

    if (len != tl + 1 + CALLS_ID_LEN - 1 || msg[tl] != ' ')
        return;
    if (c->tag[0] != '\0' && memcmp(msg, c->tag, tl) == 0)
        return; /* our own: already told */
    memcpy(id, msg + tl + 1, CALLS_ID_LEN - 1);
    id[CALLS_ID_LEN - 1] = '\0';
    if (calls_id_valid(id) && c->notify != NULL)
        c->notify(c->notify_arg, id);
}

char *calls_event_text(json_t *ev)
{
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

static void record_copy_field(char *dst, size_t cap, const struct redis_val *v)
{
    if (v->type == REDIS_VAL_STR && v->len < cap)
        memcpy(dst, v->str, v->len + 1);
}

static int record_parse(const struct redis_val *h, const char *id, struct calls_record *call)
{
    memset(call, 0, sizeof(*call));
    snprintf(call->id, sizeof(call->id), "%s", id);
    for (size_t i = 0; i + 1 < h->n; i += 2) {
        const char *f = h->elem[i].str;
        const struct redis_val *v = &h->elem[i + 1];
        if (f == NULL || v->str == NULL)
            continue;
        if (strcmp(f, "caller_pn") == 0)
            record_copy_field(call->caller_pn, sizeof(call->caller_pn), v);
        else if (strcmp(f, "callee_pn") == 0)
            record_copy_field(call->callee_pn, sizeof(call->callee_pn), v);
        else if (strcmp(f, "caller_sec") == 0)
            record_copy_field(call->sec[0], sizeof(call->sec[0]), v);
        else if (strcmp(f, "callee_sec") == 0)
            record_copy_field(call->sec[1], sizeof(call->sec[1]), v);
        else if (strcmp(f, "caller_cname") == 0)
            record_copy_field(call->cname[0], sizeof(call->cname[0]), v);
        else if (strcmp(f, "callee_cname") == 0)
            record_copy_field(call->cname[1], sizeof(call->cname[1]), v);
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
            call->split = strchr(v->str, 's') != NULL;
        } else if (strcmp(f, "retention") == 0)
            call->retention = strtoll(v->str, NULL, 10);
        else if (strcmp(f, "created") == 0)
            call->created = strtoll(v->str, NULL, 10);
        else if (strcmp(f, "caller_op") == 0)
            record_copy_field(call->caller_op, sizeof(call->caller_op), v);
    }
    return call->caller_pn[0] != '\0' && call->callee_pn[0] != '\0' && call->sec[0][0] != '\0'
               ? 0
               : BROKER_EINTERNAL;
}

int calls_record_load(struct calls *c, const char *id, struct calls_record *call, char *err,
                      size_t errlen)
{
    char key[CALLS_KEY_MAX], tomb[CALLS_KEY_MAX];
    struct redis_val v[2];
    struct store_batch b = {0};
    int rc;

    if (!calls_id_valid(id))
        return calls_fail(err, errlen, BROKER_ENOTFOUND, "no such call");
    calls_record_key(key, id, "");
    calls_record_tomb_key(c, id, tomb);
    store_batch_add(&b, "HGETALL", key, NULL);
    store_batch_add(&b, "EXISTS", tomb, NULL);
    rc = store_batch_run(c->store, &b, v);
    if (rc != 0)
        return calls_store_status(rc);
    if (v[0].type == REDIS_VAL_ARRAY && v[0].n > 0)
        rc = record_parse(&v[0], id, call);
    else if (v[1].type == REDIS_VAL_INT && v[1].num == 1)
        rc = calls_fail(err, errlen, BROKER_EGONE, "the call has ended");
    else
        rc = calls_fail(err, errlen, BROKER_ENOTFOUND, "no such call (unknown or expired)");
    redis_val_free(&v[0]);
    redis_val_free(&v[1]);
    return rc;
}

int calls_record_authorize(struct calls *c, const struct calls_record *call, const char *bearer,
                           enum calls_party *party, char *err, size_t errlen)
{
    char h[KEYS_HASH_HEX];
    int rc;

    if (bearer == NULL || bearer[0] == '\0' || strlen(bearer) > 128)
        return calls_fail(err, errlen, BROKER_EAUTH,
                          "missing bearer secret (Authorization: Bearer)");
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
    return calls_fail(err, errlen, BROKER_EAUTH, "this secret speaks for no party of this call");
}

int calls_authorize(struct calls *c, const char *id, const char *bearer, enum calls_party *party,
                    char *err, size_t errlen)
{
    struct calls_record call;
    int rc = calls_record_load(c, id, &call, err, errlen);
    if (rc == 0)
        rc = calls_record_authorize(c, &call, bearer, party, err, errlen);
    sodium_memzero(&call, sizeof(call));
    return rc;
}

int calls_end(struct calls *c, const char *id, const char *bearer, char *err, size_t errlen)
{
    struct calls_record call;
    enum calls_party party;
    struct store_batch b = {0};
    struct calls_keys k;
    char pend[CALLS_KEY_MAX], tomb[CALLS_KEY_MAX], logkey[CALLS_KEY_MAX];
    char created[24], ended[24], retention[24], logid[CALLS_ID_LEN], tok[LOG_TOKEN_LEN];
    int rc = calls_record_load(c, id, &call, err, errlen);

    if (rc == 0)
        rc = calls_record_authorize(c, &call, bearer, &party, err, errlen);
    if (rc != 0)
        goto done;
    calls_record_keys(&k, call.id);
    snprintf(pend, sizeof(pend), "umbra:pend:%s", call.callee_pn);
    calls_record_tomb_key(c, call.id, tomb);
    /* Revoke first: the relays drop the allocations even if what follows
     * fails. */
    store_batch_add(&b, "PUBLISH", CALLS_REVOKE_CHANNEL, call.id, NULL);
    store_batch_add(&b, "DEL", k.hash, k.ev[CALLS_CALLER], k.ev[CALLS_CALLEE], k.held[CALLS_CALLER],
                    k.held[CALLS_CALLEE], k.bytes[CALLS_CALLER], k.bytes[CALLS_CALLEE], NULL);
    store_batch_add(&b, "ZREM", pend, call.id, NULL);
    store_batch_add(&b, "SET", tomb, "1", "EX", TOMBSTONE_TTL, NULL);
    if (call.retention > 0) {
        /* What remains: pseudonyms and times under a new random name, so
         * it cannot be joined with the call id the relays saw. */
        calls_record_random_id(logid);
        snprintf(logkey, sizeof(logkey), "umbra:log:%s", logid);
        snprintf(created, sizeof(created), "%lld", call.created);
        snprintf(ended, sizeof(ended), "%lld", (long long)time(NULL));
        snprintf(retention, sizeof(retention), "%lld", call.retention);
        store_batch_add(&b, "HSET", logkey, "caller", call.caller_pn, "callee", call.callee_pn,
                        "started", created, "ended", ended, "accepted", call.accepted ? "1" : "0",
                        NULL);
        store_batch_add(&b, "EXPIRE", logkey, retention, NULL);
    }
    rc = calls_store_status(store_batch_run(c->store, &b, NULL));
    if (rc == 0) {
        c->m.ended++;
        log_info(c->log, "call %s: ended by the %s, revocation published",
                 log_token(c->log, call.id, strlen(call.id), tok), calls_party_name(party));
        calls_notify(c, call.id);
    }
done:
    sodium_memzero(&call, sizeof(call));
    return rc;
}
