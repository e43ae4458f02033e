/* fleet_view: see fleet_view.h. */
#include "fleet_view.h"

#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_keys.h"
#include "worker.h"

/* An immutable copy of the fleet's ranges. */
struct fleet_ranges {
    size_t n_relays; /* other than this one */
    size_t n;
    struct fleet_range r[];
};

/* A replaced copy, freed when the last worker has passed a quiescent
 * point. */
struct fleet_retired {
    struct fleet_ranges *old;
    _Atomic size_t pending;
};

struct fleet_view {
    _Atomic(struct fleet_ranges *) cur;
    const struct relay_config *cfg;
    const struct fleet_mac_keys *keys;
    struct metrics_thread *counts;
    struct log_ctx *log;
    struct event_base *base;
    struct redis_link *cmd;
    struct worker **workers;
    size_t n_workers;
    struct event *tick;
    bool in_flight; /* a rebuild waits for Redis */
    bool again;     /* a message came meanwhile: rebuild once more */
    size_t n_members;
    char **members; /* the ids asked for by the MGET in flight */
    /* Rejections already logged and counted (keyed hashes of relay id and
     * reason), as of the last rebuild. */
    unsigned char reject_key[crypto_shorthash_KEYBYTES];
    size_t n_rejected;
    uint64_t rejected[FLEET_VIEW_MAX_RELAYS];
};

int fleet_view_parse_ranges(const char *json, size_t len, struct fleet_range *out, size_t cap)
{
    json_t *root = json_loadb(json, len, 0, NULL), *ranges, *e;
    size_t i;
    int n = 0;

    ranges = json_object_get(root, "ranges");
    if (!json_is_object(root) || !json_is_array(ranges)) {
        json_decref(root);
        return -1;
    }
    json_array_foreach(ranges, i, e)
    {
        const char *ip = json_string_value(json_object_get(e, "ip"));
        json_t *lo = json_object_get(e, "low"), *hi = json_object_get(e, "high");
        struct fleet_range *r = &out[n];
        if ((size_t)n == cap)
            break;
        if (ip == NULL || !json_is_integer(lo) || !json_is_integer(hi))
            continue;
        if (json_integer_value(lo) < 1 || json_integer_value(hi) > 65535 ||
            json_integer_value(lo) > json_integer_value(hi))
            continue;
        memset(r, 0, sizeof(*r));
        if (addr_parse(&r->ip, ip, 0) != 0 || addr_port(&r->ip) != 0 ||
            addr_scope_of(&r->ip) == ADDR_SCOPE_UNSPECIFIED)
            continue;
        r->low = (uint16_t)json_integer_value(lo);
        r->high = (uint16_t)json_integer_value(hi);
        n++;
    }
    json_decref(root);
    return n;
}

/* "expires" present and not past, allowing for another relay's clock. */
static bool record_live(const char *json, size_t len, int64_t now)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *exp = json_object_get(root, "expires");
    bool live = json_is_integer(exp) && json_integer_value(exp) + FLEET_VIEW_CLOCK_SKEW_S >= now;
    json_decref(root);
    return live;
}

int fleet_view_parse_record(const struct fleet_mac_keys *keys, const struct relay_config *cfg,
                            const char *id, const char *text, size_t len, int64_t now,
                            struct fleet_range *out, size_t cap)
{
    const char *json;
    size_t jlen;
    int n;
    if (fleet_mac_open(keys, id, text, len, &json, &jlen) != 0)
        return FLEET_REJECT_SEAL;
    n = fleet_view_parse_ranges(json, jlen, out, cap);
    if (n < 0 || !record_live(json, jlen, now))
        return FLEET_REJECT_RECORD;
    for (int i = 0; i < n; i++)
        if (!fleet_net_admits(cfg->fleet_nets, cfg->n_fleet_nets, &out[i].ip))
            return FLEET_REJECT_NETWORK;
    return n;
}

const char *fleet_reject_name(enum fleet_reject r)
{
    switch (r) {
    case FLEET_REJECT_SEAL:
        return "not sealed with a fleet key";
    case FLEET_REJECT_RECORD:
        return "unparsable or expired";
    case FLEET_REJECT_NETWORK:
        return "a range outside fleet-networks";
    }
    return "unknown";
}

static struct fleet_ranges *ranges_new(size_t cap)
{
    struct fleet_ranges *r = calloc(1, sizeof(*r) + cap * sizeof(r->r[0]));
    return r;
}

/* This relay's own ranges, first in every copy. */
static void add_own(struct fleet_ranges *r, const struct relay_config *cfg)
{
    for (size_t i = 0; i < cfg->n_relay; i++) {
        struct fleet_range *x = &r->r[r->n++];
        memset(x, 0, sizeof(*x));
        x->ip = cfg->relay[i];
        addr_set_port(&x->ip, 0);
        x->low = cfg->relay_port_low;
        x->high = cfg->relay_port_high;
        x->own = true;
    }
}

int fleet_view_contains(void *ctx, const struct umbra_addr *addr)
{
    struct fleet_view *v = ctx;
    const struct fleet_ranges *r = atomic_load_explicit(&v->cur, memory_order_acquire);
    uint16_t port = addr_port(addr);
    for (size_t i = 0; i < r->n; i++) {
        const struct fleet_range *x = &r->r[i];
        if (!x->own && port >= x->low && port <= x->high && addr_equal_ip(&x->ip, addr))
            return 1;
    }
    return 0;
}

size_t fleet_view_relays(const struct fleet_view *v)
{
    const struct fleet_ranges *r =
        atomic_load_explicit(&((struct fleet_view *)(uintptr_t)v)->cur, memory_order_acquire);
    return r->n_relays;
}

struct fleet_view *fleet_view_new(const struct relay_config *cfg, const struct fleet_mac_keys *keys,
                                  struct metrics_thread *counts, struct log_ctx *log)
{
    struct fleet_view *v = calloc(1, sizeof(*v));
    struct fleet_ranges *r = ranges_new(cfg->n_relay);
    if (v == NULL || r == NULL) {
        free(v);
        free(r);
        return NULL;
    }
    add_own(r, cfg);
    atomic_init(&v->cur, r);
    v->cfg = cfg;
    v->keys = keys;
    v->counts = counts;
    v->log = log;
    crypto_shorthash_keygen(v->reject_key);
    return v;
}

static void retired_quiesced(void *arg)
{
    struct fleet_retired *t = arg;
    if (atomic_fetch_sub_explicit(&t->pending, 1, memory_order_acq_rel) == 1) {
        free(t->old);
        free(t);
    }
}

static bool same_ranges(const struct fleet_ranges *a, const struct fleet_ranges *b)
{
    if (a->n != b->n || a->n_relays != b->n_relays)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!addr_equal_ip(&a->r[i].ip, &b->r[i].ip) || a->r[i].low != b->r[i].low ||
            a->r[i].high != b->r[i].high || a->r[i].own != b->r[i].own)
            return false;
    return true;
}

/* Publishes next (owned from now on) and retires the copy it replaces. */
static void publish(struct fleet_view *v, struct fleet_ranges *next)
{
    struct fleet_ranges *old = atomic_load_explicit(&v->cur, memory_order_relaxed);
    struct fleet_retired *t;
    if (same_ranges(old, next)) {
        free(next);
        return;
    }
    t = malloc(sizeof(*t));
    if (t == NULL) {
        free(next); /* keep the current copy rather than free one in use */
        return;
    }
    atomic_store_explicit(&v->cur, next, memory_order_release);
    t->old = old;
    atomic_init(&t->pending, v->n_workers);
    log_info(v->log, "fleet: view of %zu other relays", next->n_relays);
    for (size_t i = 0; i < v->n_workers; i++)
        if (worker_post_quiesce(v->workers[i], retired_quiesced, t) != 0)
            log_error(v->log, "fleet: out of memory; an old view copy is kept");
}

static void members_free(struct fleet_view *v)
{
    for (size_t i = 0; i < v->n_members; i++)
        free(v->members[i]);
    free(v->members);
    v->members = NULL;
    v->n_members = 0;
}

static void rebuild(struct fleet_view *v);

/* on_members sends one MGET of FLEET_VIEW_MAX_RELAYS keys at most, however
 * many ids the set holds, and builds each key from an id of at most
 * RELAY_CONFIG_LABEL_MAX bytes (longer ones become a key no relay has). */
_Static_assert(1 + FLEET_VIEW_MAX_RELAYS <= REDIS_LINK_MAX_ARGS,
               "one MGET holds every member the view reads");
_Static_assert(sizeof(FLEET_KEY_PREFIX) + RELAY_CONFIG_LABEL_MAX <= FLEET_KEY_MAX,
               "a key of the longest relay id fits FLEET_KEY_MAX");

static void rebuild_done(struct fleet_view *v)
{
    members_free(v);
    v->in_flight = false;
    if (v->again) {
        v->again = false;
        rebuild(v);
    }
}

static void forget(struct fleet_view *v, const char *id)
{
    const char *argv[] = {"SREM", FLEET_SET_KEY, id};
    size_t lens[] = {4, strlen(FLEET_SET_KEY), strlen(id)};
    redis_link_command(v->cmd, NULL, NULL, 3, argv, lens);
}

static uint64_t reject_hash(const struct fleet_view *v, const char *id, int why)
{
    unsigned char in[RELAY_CONFIG_LABEL_MAX + 2], out[crypto_shorthash_BYTES];
    size_t n = strnlen(id, RELAY_CONFIG_LABEL_MAX);
    uint64_t h;
    memcpy(in, id, n);
    in[n] = (unsigned char)-why;
    crypto_shorthash(out, in, n + 1, v->reject_key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* Logs and counts a rejection not seen at the last rebuild; notes it in
 * seen[*n_seen] for the next. */
static void rejected(struct fleet_view *v, const char *id, int why, uint64_t *seen, size_t *n_seen)
{
    uint64_t h = reject_hash(v, id, why);
    char tok[LOG_TOKEN_LEN];
    bool known = false;
    for (size_t i = 0; i < v->n_rejected && !known; i++)
        known = v->rejected[i] == h;
    if (*n_seen < FLEET_VIEW_MAX_RELAYS)
        seen[(*n_seen)++] = h;
    if (known)
        return;
    if (v->counts != NULL)
        metrics_add(v->counts, M_FLEET_REJECTED, 1);
    log_warn(v->log, "fleet: record of relay %s rejected (%s); ignored",
             log_token(v->log, id, strlen(id), tok), fleet_reject_name((enum fleet_reject)why));
}

static void on_entries(void *ctx, const struct redis_val *r)
{
    struct fleet_view *v = ctx;
    struct fleet_ranges *next;
    uint64_t seen[FLEET_VIEW_MAX_RELAYS];
    size_t n_seen = 0;
    int64_t now = (int64_t)time(NULL);
    if (r == NULL || r->type != REDIS_VAL_ARRAY || r->n != v->n_members) {
        rebuild_done(v);
        return;
    }
    next = ranges_new(v->cfg->n_relay + r->n * FLEET_VIEW_MAX_RANGES);
    if (next == NULL) {
        rebuild_done(v);
        return;
    }
    add_own(next, v->cfg);
    for (size_t i = 0; i < r->n; i++) {
        const struct redis_val *e = &r->elem[i];
        int got;
        if (strcmp(v->members[i], v->cfg->relay_id) == 0)
            continue;
        if (e->type == REDIS_VAL_NIL) {
            /* Its key expired: the relay is dead; tidy the set. */
            forget(v, v->members[i]);
            continue;
        }
        if (e->type != REDIS_VAL_STR)
            continue;
        got = fleet_view_parse_record(v->keys, v->cfg, v->members[i], e->str, e->len, now,
                                      &next->r[next->n], FLEET_VIEW_MAX_RANGES);
        if (got < 0) {
            rejected(v, v->members[i], got, seen, &n_seen);
            continue;
        }
        next->n += (size_t)got;
        next->n_relays++;
    }
    memcpy(v->rejected, seen, n_seen * sizeof(seen[0]));
    v->n_rejected = n_seen;
    publish(v, next);
    rebuild_done(v);
}

static void on_members(void *ctx, const struct redis_val *r)
{
    struct fleet_view *v = ctx;
    const char *argv[1 + FLEET_VIEW_MAX_RELAYS];
    size_t lens[1 + FLEET_VIEW_MAX_RELAYS];
    size_t n;

    if (r == NULL || r->type != REDIS_VAL_ARRAY) {
        rebuild_done(v);
        return;
    }
    n = r->n < FLEET_VIEW_MAX_RELAYS ? r->n : FLEET_VIEW_MAX_RELAYS;
    if (n == 0) {
        /* Nobody announced (this relay's own entry not yet written). */
        struct fleet_ranges *next = ranges_new(v->cfg->n_relay);
        if (next != NULL) {
            add_own(next, v->cfg);
            publish(v, next);
        }
        rebuild_done(v);
        return;
    }
    v->members = calloc(n, sizeof(*v->members));
    if (v->members == NULL) {
        rebuild_done(v);
        return;
    }
    argv[0] = "MGET";
    lens[0] = 4;
    for (size_t i = 0; i < n; i++) {
        char key[FLEET_KEY_MAX];
        const struct redis_val *e = &r->elem[i];
        if (e->type != REDIS_VAL_STR || e->len > RELAY_CONFIG_LABEL_MAX)
            snprintf(key, sizeof(key), "%s-", FLEET_KEY_PREFIX); /* never a relay */
        else
            snprintf(key, sizeof(key), "%s%.*s", FLEET_KEY_PREFIX, (int)e->len, e->str);
        v->members[i] = strdup(key + strlen(FLEET_KEY_PREFIX));
        v->n_members++;
        if (v->members[i] == NULL) {
            rebuild_done(v);
            return;
        }
    }
    /* Keys built again from the copies: argv must point at live strings. */
    {
        char(*keys)[FLEET_KEY_MAX] = malloc(n * sizeof(*keys));
        if (keys == NULL) {
            rebuild_done(v);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            snprintf(keys[i], FLEET_KEY_MAX, "%s%s", FLEET_KEY_PREFIX, v->members[i]);
            argv[1 + i] = keys[i];
            lens[1 + i] = strlen(keys[i]);
        }
        if (redis_link_command(v->cmd, on_entries, v, (int)(n + 1), argv, lens) != 0) {
            free(keys);
            rebuild_done(v);
            return;
        }
        free(keys); /* hiredis has formatted the command */
    }
}

static void rebuild(struct fleet_view *v)
{
    const char *argv[] = {"SMEMBERS", FLEET_SET_KEY};
    size_t lens[] = {8, strlen(FLEET_SET_KEY)};
    if (v->in_flight) {
        v->again = true;
        return;
    }
    if (redis_link_command(v->cmd, on_members, v, 2, argv, lens) == 0)
        v->in_flight = true;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct fleet_view *v = arg;
    struct timeval every = {v->cfg->fleet_refresh_s, 0};
    rebuild(v);
    evtimer_add(v->tick, &every);
}

static void on_message(void *ctx, const char *payload, size_t len)
{
    rebuild(ctx);
}

int fleet_view_start(struct fleet_view *v, struct event_base *base, struct redis_link *sub,
                     struct redis_link *cmd, struct worker **workers, size_t n_workers)
{
    struct timeval soon = {0, 300 * 1000};
    v->base = base;
    v->cmd = cmd;
    v->workers = workers;
    v->n_workers = n_workers;
    v->tick = evtimer_new(base, on_tick, v);
    if (v->tick == NULL || evtimer_add(v->tick, &soon) != 0)
        return -1;
    return redis_link_subscribe(sub, FLEET_CHANNEL, on_message, v);
}

void fleet_view_free(struct fleet_view *v)
{
    if (v == NULL)
        return;
    if (v->tick != NULL)
        event_free(v->tick);
    members_free(v);
    free(atomic_load_explicit(&v->cur, memory_order_relaxed));
    free(v);
}
