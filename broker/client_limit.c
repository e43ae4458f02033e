/* client_limit: see client_limit.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "client_limit.h"
#include "rate_bucket.h"

#define WAYS 4

struct entry {
    uint64_t tag;              /* keyed hash of the client; 0: empty */
    struct rate_bucket bucket; /* its last_ms: when the client was last seen */
    uint32_t conns;
};

struct client_limit {
    struct client_limit_conf conf;
    unsigned char key[ADDR_HASH_KEY_BYTES];
    struct entry *table;
    uint64_t unit;  /* bucket units one request costs: period_s (>= 1) */
    uint64_t cap;   /* bucket size in units: burst x unit */
    size_t sets;    /* a power of two */
    int32_t *by_fd; /* entry index + 1 per open socket; 0: not open */
    size_t n_fd;
    struct client_limit_metrics m;
};

struct client_limit *client_limit_new(const struct client_limit_conf *conf,
                                      const unsigned char *key)
{
    struct client_limit *cl = calloc(1, sizeof(*cl));
    size_t sets = 1;

    if (cl == NULL)
        return NULL;
    cl->conf = *conf;
    if (cl->conf.rate > 0 && cl->conf.burst == 0)
        cl->conf.burst = 1;
    /* rate units a second, a request costing period_s units: rate
     * requests per period_s seconds. */
    cl->unit = conf->period_s > 1 ? conf->period_s : 1;
    cl->cap = (uint64_t)cl->conf.burst * cl->unit;
    while (sets * WAYS < conf->entries && sets < ((size_t)1 << 24))
        sets *= 2;
    cl->sets = sets;
    memcpy(cl->key, key, ADDR_HASH_KEY_BYTES);
    cl->table = calloc(sets * WAYS, sizeof(*cl->table));
    if (cl->table == NULL) {
        free(cl);
        return NULL;
    }
    return cl;
}

void client_limit_free(struct client_limit *cl)
{
    if (cl == NULL)
        return;
    free(cl->table);
    free(cl->by_fd);
    free(cl);
}

static void refill(const struct client_limit *cl, struct entry *e, uint64_t now_ms)
{
    rate_bucket_refill(&e->bucket, cl->conf.rate, cl->cap, (int64_t)now_ms);
}

static void fresh(const struct client_limit *cl, struct entry *e, uint64_t tag, uint64_t now_ms)
{
    e->tag = tag;
    rate_bucket_init(&e->bucket, cl->cap, (int64_t)now_ms);
    e->conns = 0;
}

/* The entry of the client with this tag, taking one if it has none. */
static struct entry *find(struct client_limit *cl, uint64_t tag, uint64_t now_ms)
{
    struct entry *set = &cl->table[(tag >> 1) % cl->sets * WAYS], *lru = NULL, *lru_any = NULL;

    for (int w = 0; w < WAYS; w++) {
        if (set[w].tag == tag) {
            refill(cl, &set[w], now_ms);
            return &set[w];
        }
    }
    for (int w = 0; w < WAYS; w++) {
        struct entry *e = &set[w];
        if (e->tag != 0 && e->conns == 0)
            refill(cl, e, now_ms);
        if (e->tag == 0 || (e->conns == 0 && rate_bucket_full(&e->bucket, cl->cap))) {
            fresh(cl, e, tag, now_ms);
            return e;
        }
        if (e->conns == 0 && (lru == NULL || e->bucket.last_ms < lru->bucket.last_ms))
            lru = e;
        if (lru_any == NULL || e->bucket.last_ms < lru_any->bucket.last_ms)
            lru_any = e;
    }
    if (lru != NULL) {
        cl->m.evictions++;
        fresh(cl, lru, tag, now_ms);
        return lru;
    }
    cl->m.shared++;
    refill(cl, lru_any, now_ms);
    return lru_any;
}

static int grow_fds(struct client_limit *cl, int fd)
{
    size_t n = cl->n_fd ? cl->n_fd : 64;
    int32_t *p;
    while (n <= (size_t)fd)
        n *= 2;
    if (n == cl->n_fd)
        return 0;
    p = realloc(cl->by_fd, n * sizeof(*p));
    if (p == NULL)
        return -1;
    memset(p + cl->n_fd, 0, (n - cl->n_fd) * sizeof(*p));
    cl->by_fd = p;
    cl->n_fd = n;
    return 0;
}

int client_limit_open(struct client_limit *cl, int fd, const struct umbra_addr *peer,
                      uint64_t now_ms)
{
    struct entry *e;

    if (fd < 0 || grow_fds(cl, fd) != 0) {
        cl->m.conns_refused++;
        return CLIENT_LIMIT_ENOMEM;
    }
    if (cl->by_fd[fd] != 0)
        return 0;
    e = find(cl, addr_hash_host(peer, cl->key), now_ms);
    if (cl->conf.max_conns > 0 && e->conns >= cl->conf.max_conns) {
        cl->m.conns_refused++;
        return CLIENT_LIMIT_EBUSY;
    }
    e->conns++;
    cl->by_fd[fd] = (int32_t)(e - cl->table) + 1;
    return 0;
}

void client_limit_close(struct client_limit *cl, int fd)
{
    struct entry *e;
    if (fd < 0 || (size_t)fd >= cl->n_fd || cl->by_fd[fd] == 0)
        return;
    e = &cl->table[cl->by_fd[fd] - 1];
    cl->by_fd[fd] = 0;
    if (e->conns > 0)
        e->conns--;
}

/* One request from the client of entry e. */
static int take(struct client_limit *cl, struct entry *e, uint64_t now_ms, unsigned *retry_after_s)
{
    uint64_t wait_ms;

    if (rate_bucket_take(&e->bucket, cl->conf.rate, cl->cap, cl->unit, (int64_t)now_ms))
        return 0;
    cl->m.requests_refused++;
    wait_ms = rate_bucket_wait_ms(&e->bucket, cl->conf.rate, cl->unit);
    *retry_after_s = (unsigned)((wait_ms + 999) / 1000);
    if (*retry_after_s == 0)
        *retry_after_s = 1;
    return CLIENT_LIMIT_ERATE;
}

int client_limit_request(struct client_limit *cl, int fd, uint64_t now_ms, unsigned *retry_after_s)
{
    if (cl->conf.rate == 0 || fd < 0 || (size_t)fd >= cl->n_fd || cl->by_fd[fd] == 0)
        return 0;
    return take(cl, &cl->table[cl->by_fd[fd] - 1], now_ms, retry_after_s);
}

int client_limit_request_addr(struct client_limit *cl, const struct umbra_addr *client,
                              uint64_t now_ms, unsigned *retry_after_s)
{
    if (cl->conf.rate == 0)
        return 0;
    return take(cl, find(cl, addr_hash_host(client, cl->key), now_ms), now_ms, retry_after_s);
}

const struct client_limit_metrics *client_limit_metrics(const struct client_limit *cl)
{
    return &cl->m;
}
