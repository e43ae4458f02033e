/* fleet_announce: see fleet_announce.h. */
#include "fleet_announce.h"

#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_keys.h"

#define FLEET_LEAVE_WAIT_SECONDS 1

struct fleet_announce {
    struct event_base *base;
    struct redis_link *cmd;
    const struct relay_config *cfg;
    const struct fleet_mac_keys *keys;
    struct metrics_thread *const *threads;
    size_t n_threads;
    struct log_ctx *log;
    struct event *tick, *leave_timeout;
    char key[FLEET_KEY_MAX];
    bool joined;    /* "join" said since the link came up */
    bool in_flight; /* a refresh waits for its answer */
    bool leaving;
    bool clash_logged;
    bool unwritten_logged; /* "not written" said since the last write */
    bool unsealed_logged;  /* "no fleet key" said */
    /* Random per process: tells this relay's entry from one another relay
     * wrote under the same relay-id. */
    char instance[FLEET_INSTANCE_HEX + 1];
    uint64_t last_pkts; /* for packets per second */
    struct timespec last_at;
    void (*done)(void *ctx);
    void *done_ctx;
};

char *fleet_announce_record(const struct relay_config *cfg, const char *instance, int64_t now,
                            long long allocations, long long pps)
{
    json_t *uris = json_array(), *ranges = json_array(), *o;
    char *text;
    for (size_t i = 0; i < cfg->n_public_uris; i++)
        json_array_append_new(uris, json_string(cfg->public_uris[i]));
    for (size_t i = 0; i < cfg->n_relay; i++) {
        char ip[ADDR_TEXT_MAX];
        addr_format_ip(&cfg->relay[i], ip, sizeof(ip));
        json_array_append_new(ranges, json_pack("{s:s, s:i, s:i}", "ip", ip, "low",
                                                (json_int_t)cfg->relay_port_low, "high",
                                                (json_int_t)cfg->relay_port_high));
    }
    o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:I, s:I}, s:i, s:I}", "id", cfg->relay_id,
                  "instance", instance, "operator", cfg->operator_label, "uris", uris, "ranges",
                  ranges, "load", "allocations", (json_int_t)allocations, "pps", (json_int_t)pps,
                  "ttl", (json_int_t)cfg->fleet_ttl_s, "expires",
                  (json_int_t)(now + (int64_t)cfg->fleet_ttl_s));
    if (o == NULL)
        return NULL;
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Live allocations and relayed packets per second since the last call. */
static void load_now(struct fleet_announce *a, long long *allocations, long long *pps)
{
    int64_t alloc = 0;
    uint64_t pkts = 0;
    struct timespec now;
    double dt;
    for (size_t i = 0; i < a->n_threads; i++) {
        const struct metrics_thread *m = a->threads[i];
        alloc += atomic_load_explicit(&m->g[G_ALLOCATIONS], memory_order_relaxed);
        pkts += atomic_load_explicit(&m->c[M_PKTS_TO_PEER], memory_order_relaxed) +
                atomic_load_explicit(&m->c[M_PKTS_TO_CLIENT], memory_order_relaxed);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    dt = (double)(now.tv_sec - a->last_at.tv_sec) + (now.tv_nsec - a->last_at.tv_nsec) / 1e9;
    *allocations = alloc > 0 ? (long long)alloc : 0;
    *pps = dt > 0.1 && pkts >= a->last_pkts ? (long long)((double)(pkts - a->last_pkts) / dt) : 0;
    a->last_pkts = pkts;
    a->last_at = now;
}

static int command(struct fleet_announce *a, redis_link_reply_fn fn, int argc,
                   const char *const *argv)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return redis_link_command(a->cmd, fn, a, argc, argv, lens);
}

static void say(struct fleet_announce *a, const char *what)
{
    char msg[RELAY_CONFIG_LABEL_MAX + 16];
    const char *argv[] = {"PUBLISH", FLEET_CHANNEL, msg};
    snprintf(msg, sizeof(msg), "%s %s", what, a->cfg->relay_id);
    command(a, NULL, 3, argv);
}

/* prev is the entry our SET replaced. Once we have written ours, an entry
 * from another instance means a second relay uses our relay-id: the two
 * overwrite each other, and the fleet sees only one of them at a time. */
static void check_clash(struct fleet_announce *a, const struct redis_val *prev)
{
    json_t *root;
    const char *other, *json;
    size_t jlen;
    /* Only a sealed entry: anyone may write Redis, only a relay seals. */
    if (!a->joined || a->clash_logged || prev->type != REDIS_VAL_STR ||
        fleet_mac_open(a->keys, a->cfg->relay_id, prev->str, prev->len, &json, &jlen) != 0)
        return;
    root = json_loadb(json, jlen, 0, NULL);
    other = json_string_value(json_object_get(root, "instance"));
    if (other != NULL && strcmp(other, a->instance) != 0) {
        log_error(a->log, "fleet: another relay announces itself under this relay's relay-id; "
                          "give every relay its own relay-id");
        a->clash_logged = true;
    }
    json_decref(root);
}

static void on_set(void *ctx, const struct redis_val *r)
{
    struct fleet_announce *a = ctx;
    a->in_flight = false;
    if (a->leaving)
        return;
    /* SET ... GET answers with the entry replaced, or nil. */
    if (r == NULL || (r->type != REDIS_VAL_STR && r->type != REDIS_VAL_NIL)) {
        /* Redis refuses it (at maxmemory: -OOM, or lost): relaying goes
         * on, the entry expires, and the next refresh tries again. Said
         * once until a write succeeds, not every refresh. */
        a->joined = false;
        if (!a->unwritten_logged)
            log_warn(a->log, "fleet: announcement not written (%s); retrying every refresh",
                     r != NULL && r->type == REDIS_VAL_ERROR && r->len >= 3 &&
                             strncmp(r->str, "OOM", 3) == 0
                         ? "redis is at maxmemory"
                         : "redis refused or did not answer");
        a->unwritten_logged = true;
        return;
    }
    a->unwritten_logged = false;
    check_clash(a, r);
    if (!a->joined) {
        say(a, "join");
        a->joined = true;
        /* Not the id: a derived one holds the relay's IP, and logs hold
         * no addresses. */
        log_info(a->log, "fleet: announced (operator %s)", a->cfg->operator_label);
    }
}

static void refresh(struct fleet_announce *a)
{
    char ttl[16], *json, *sealed;
    long long allocations, pps;
    load_now(a, &allocations, &pps);
    if (a->in_flight || a->leaving)
        return;
    if (!redis_link_up(a->cmd)) {
        a->joined = false;
        return;
    }
    if (a->keys == NULL || a->keys->count == 0) {
        if (!a->unsealed_logged)
            log_warn(a->log, "fleet: no auth-secret-file, so no fleet key: this relay is not "
                             "announced (other relays and brokers would refuse it)");
        a->unsealed_logged = true;
        return;
    }
    json = fleet_announce_record(a->cfg, a->instance, (int64_t)time(NULL), allocations, pps);
    sealed = json != NULL ? fleet_mac_seal(a->keys, a->cfg->relay_id, json) : NULL;
    free(json);
    if (sealed == NULL)
        return;
    json = sealed;
    snprintf(ttl, sizeof(ttl), "%u", a->cfg->fleet_ttl_s);
    {
        const char *set[] = {"SET", a->key, json, "EX", ttl, "GET"};
        const char *sadd[] = {"SADD", FLEET_SET_KEY, a->cfg->relay_id};
        const char *expire[] = {"EXPIRE", FLEET_SET_KEY, ttl};
        if (command(a, on_set, 6, set) == 0) {
            a->in_flight = true;
            command(a, NULL, 3, sadd);
            command(a, NULL, 3, expire);
        }
    }
    free(json);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct fleet_announce *a = arg;
    struct timeval every = {a->cfg->fleet_refresh_s, 0};
    refresh(a);
    if (!a->leaving)
        evtimer_add(a->tick, &every);
}

static void on_leave_timeout(evutil_socket_t fd, short what, void *arg);

struct fleet_announce *fleet_announce_start(struct event_base *base, struct redis_link *cmd,
                                            const struct relay_config *cfg,
                                            const struct fleet_mac_keys *keys,
                                            struct metrics_thread *const *threads, size_t n,
                                            struct log_ctx *log)
{
    struct fleet_announce *a = calloc(1, sizeof(*a));
    unsigned char instance[FLEET_INSTANCE_HEX / 2];
    /* The link connects asynchronously: the first write a moment after the
     * start rather than one whole period. */
    struct timeval soon = {0, 200 * 1000};
    if (a == NULL)
        return NULL;
    a->base = base;
    a->cmd = cmd;
    a->cfg = cfg;
    a->keys = keys;
    a->threads = threads;
    a->n_threads = n;
    a->log = log;
    snprintf(a->key, sizeof(a->key), "%s%s", FLEET_KEY_PREFIX, cfg->relay_id);
    randombytes_buf(instance, sizeof(instance));
    sodium_bin2hex(a->instance, sizeof(a->instance), instance, sizeof(instance));
    clock_gettime(CLOCK_MONOTONIC, &a->last_at);
    if (cfg->n_public_uris == 0)
        log_warn(log, "fleet: no public-uri and no listen address that is not a wildcard: "
                      "brokers will not hand this relay to clients");
    a->tick = evtimer_new(base, on_tick, a);
    a->leave_timeout = evtimer_new(base, on_leave_timeout, a);
    if (a->tick == NULL || a->leave_timeout == NULL || evtimer_add(a->tick, &soon) != 0) {
        fleet_announce_free(a);
        return NULL;
    }
    return a;
}

static void leave_finished(struct fleet_announce *a)
{
    void (*done)(void *) = a->done;
    a->done = NULL;
    evtimer_del(a->leave_timeout);
    if (done != NULL)
        done(a->done_ctx);
}

static void on_leave_reply(void *ctx, const struct redis_val *r)
{
    struct fleet_announce *a = ctx;
    if (r != NULL)
        log_info(a->log, "fleet: left");
    leave_finished(a);
}

static void on_leave_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct fleet_announce *a = arg;
    log_warn(a->log, "fleet: redis did not confirm the leave; the entry expires by itself");
    leave_finished(a);
}

void fleet_announce_leave(struct fleet_announce *a, void (*done)(void *ctx), void *ctx)
{
    struct timeval wait = {FLEET_LEAVE_WAIT_SECONDS, 0};
    const char *del[] = {"DEL", a->key};
    const char *srem[] = {"SREM", FLEET_SET_KEY, a->cfg->relay_id};
    if (a->leaving) { /* asked twice: stop waiting */
        done(ctx);
        return;
    }
    a->leaving = true;
    a->done = done;
    a->done_ctx = ctx;
    evtimer_del(a->tick);
    if (command(a, NULL, 2, del) != 0) {
        leave_finished(a);
        return;
    }
    command(a, NULL, 3, srem);
    say(a, "leave");
    {
        /* Answers come in order: the PING's means all of the above are done. */
        const char *ping[] = {"PING"};
        if (command(a, on_leave_reply, 1, ping) != 0) {
            leave_finished(a);
            return;
        }
    }
    evtimer_add(a->leave_timeout, &wait);
}

void fleet_announce_free(struct fleet_announce *a)
{
    if (a == NULL)
        return;
    if (a->tick != NULL)
        event_free(a->tick);
    if (a->leave_timeout != NULL)
        event_free(a->leave_timeout);
    free(a);
}
