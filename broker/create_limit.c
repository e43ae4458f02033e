/* create_limit: see create_limit.h. */
#include <stdbool.h>
#include <stdlib.h>

#include "client_limit.h"
#include "create_limit.h"
#include "rate_bucket.h"

/* A bucket counts per minute as rate_bucket counts per second: one
 * creation costs 60 units, and per_min units are earned each second. */
#define PER_MIN_UNIT 60

struct create_limit {
    struct create_limit_conf conf;
    struct client_limit *clients[CREATE_LIMIT_KINDS]; /* NULL: no per-client limit */
    struct rate_bucket global[CREATE_LIMIT_KINDS];
    bool global_started[CREATE_LIMIT_KINDS];
    struct create_limit_metrics m;
};

struct create_limit *create_limit_new(const struct create_limit_conf *conf,
                                      const unsigned char *key)
{
    struct create_limit *cl = calloc(1, sizeof(*cl));

    if (cl == NULL)
        return NULL;
    cl->conf = *conf;
    for (int k = 0; k < CREATE_LIMIT_KINDS; k++) {
        unsigned n = conf->client_per_min[k];
        struct client_limit_conf c = {0, n, n, conf->entries, PER_MIN_UNIT};
        if (n == 0)
            continue;
        cl->clients[k] = client_limit_new(&c, key);
        if (cl->clients[k] == NULL) {
            create_limit_free(cl);
            return NULL;
        }
    }
    return cl;
}

void create_limit_free(struct create_limit *cl)
{
    if (cl == NULL)
        return;
    for (int k = 0; k < CREATE_LIMIT_KINDS; k++)
        client_limit_free(cl->clients[k]);
    free(cl);
}

static unsigned seconds_of(uint64_t ms)
{
    unsigned s = (unsigned)((ms + 999) / 1000);
    return s > 0 ? s : 1;
}

/* The global bucket of kind, refilled to now: 0 when one creation fits,
 * else the milliseconds until it does. Full from the first use. */
static uint64_t global_wait(struct create_limit *cl, enum create_limit_kind k, uint64_t now_ms)
{
    uint64_t per_min = cl->conf.global_per_min[k], cap = per_min * PER_MIN_UNIT;

    if (!cl->global_started[k]) {
        rate_bucket_init(&cl->global[k], cap, (int64_t)now_ms);
        cl->global_started[k] = true;
    }
    rate_bucket_refill(&cl->global[k], per_min, cap, (int64_t)now_ms);
    return rate_bucket_wait_ms(&cl->global[k], per_min, PER_MIN_UNIT);
}

int create_limit_take(struct create_limit *cl, enum create_limit_kind kind,
                      const struct umbra_addr *client, uint64_t now_ms, unsigned *retry_after_s)
{
    unsigned per_min = cl->conf.global_per_min[kind];
    uint64_t wait_ms;

    if (per_min > 0 && (wait_ms = global_wait(cl, kind, now_ms)) > 0) {
        cl->m.refused_global[kind]++;
        *retry_after_s = seconds_of(wait_ms);
        return CREATE_LIMIT_EGLOBAL;
    }
    if (cl->clients[kind] != NULL && client != NULL &&
        client_limit_request_addr(cl->clients[kind], client, now_ms, retry_after_s) != 0) {
        cl->m.refused_client[kind]++;
        return CREATE_LIMIT_ECLIENT;
    }
    if (per_min > 0)
        rate_bucket_take(&cl->global[kind], per_min, (uint64_t)per_min * PER_MIN_UNIT, PER_MIN_UNIT,
                         (int64_t)now_ms);
    cl->m.created[kind]++;
    return 0;
}

const struct create_limit_conf *create_limit_conf(const struct create_limit *cl)
{
    return &cl->conf;
}

const struct create_limit_metrics *create_limit_metrics(const struct create_limit *cl)
{
    return &cl->m;
}
