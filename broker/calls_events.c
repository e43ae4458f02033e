/* calls_events: what a party reads (the long polls' source), what it
 * acknowledges, and a callee's pending calls. See calls.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calls_internal.h"
#include "status.h"

/* What a delivered event becomes in its queue. */
#define DELIVERED "{\"type\":\"delivered\"}"

int calls_events(struct calls *c, const char *id, enum calls_party party, long since,
                 json_t **events, long *next, bool *ended, char *err, size_t errlen)
{
    char key[CALLS_KEY_MAX], ek[CALLS_KEY_MAX], tomb[CALLS_KEY_MAX], start[24];
    struct store_batch b = {0};
    struct redis_val v[3];
    int rc;

    *ended = false;
    *events = NULL;
    if (!calls_id_valid(id))
        return calls_fail(err, errlen, BROKER_ENOTFOUND, "no such call");
    calls_record_key(key, id, "");
    calls_record_queue_key(ek, id, party, false);
    calls_record_tomb_key(c, id, tomb);
    snprintf(start, sizeof(start), "%ld", since);
    store_batch_add(&b, "EXISTS", key, NULL);
    store_batch_add(&b, "EXISTS", tomb, NULL);
    store_batch_add(&b, "LRANGE", ek, start, "-1", NULL);
    rc = calls_store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    *events = json_array();
    *next = since;
    if (v[0].num == 0) {
        if (v[1].num == 1) {
            *ended = true;
            json_array_append_new(*events, json_pack("{s:s}", "type", "ended"));
        } else {
            rc = calls_fail(err, errlen, BROKER_ENOTFOUND, "no such call (unknown or expired)");
        }
    } else {
        for (size_t i = 0; i < v[2].n; i++) {
            /* A reply from Redis is checked like any input. */
            json_t *ev =
                v[2].elem[i].type == REDIS_VAL_STR && strcmp(v[2].elem[i].str, DELIVERED) != 0
                    ? json_loadb(v[2].elem[i].str, v[2].elem[i].len, 0, NULL)
                    : NULL;
            if (ev != NULL)
                json_array_append_new(*events, ev);
        }
        *next = since + (long)v[2].n;
    }
    for (int i = 0; i < 3; i++)
        redis_val_free(&v[i]);
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
    char ek[CALLS_KEY_MAX], upto[24];
    struct redis_val v;
    int rc;

    if (!calls_id_valid(id))
        return calls_fail(err, errlen, BROKER_ENOTFOUND, "no such call");
    if (since <= 0)
        return 0;
    calls_record_queue_key(ek, id, party, false);
    snprintf(upto, sizeof(upto), "%ld", since);
    rc = calls_store_status(
        store_cmd(c->store, &v, "EVAL", ack_lua, "1", ek, upto, DELIVERED, NULL));
    redis_val_free(&v);
    return rc;
}

int calls_pending(struct calls *c, const char *token, const char *context, json_t **out, char *err,
                  size_t errlen)
{
    char pn[IDENTITIES_PSEUDONYM_LEN], pend[CALLS_KEY_MAX], now[24], first[16];
    struct store_batch b = {0};
    struct redis_val v[3];
    json_t *calls;
    int rc = identities_pseudonym_peek(c->ids, token, context, pn);

    if (rc == BROKER_ENOTFOUND)
        return calls_fail(err, errlen, BROKER_ENOTFOUND, "unknown identity token");
    if (rc != 0)
        return rc;
    snprintf(pend, sizeof(pend), "umbra:pend:%s", pn);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    snprintf(first, sizeof(first), "%d", -CALLS_MAX_PENDING);
    store_batch_add(&b, "ZREMRANGEBYSCORE", pend, "-inf", now, NULL);
    store_batch_add(&b, "ZRANGE", pend, first, "-1", NULL);
    store_batch_add(&b, "ZCARD", pend, NULL);
    rc = calls_store_status(store_batch_run(c->store, &b, v));
    if (rc != 0)
        return rc;
    *out = json_pack("{s:s, s:[], s:b}", "pseudonym", pn, "calls", "more",
                     v[2].type == REDIS_VAL_INT && v[2].num > (long long)v[1].n);
    calls = json_object_get(*out, "calls");
    for (size_t i = 0; *out != NULL && i < v[1].n; i++) {
        const struct redis_val *id = &v[1].elem[i];
        /* A reply from Redis is checked like any input. */
        if (id->type == REDIS_VAL_STR && calls_id_valid(id->str))
            json_array_append_new(calls, json_string(id->str));
    }
    for (size_t i = 0; i < b.n; i++)
        redis_val_free(&v[i]);
    return *out != NULL ? 0 : calls_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
}
