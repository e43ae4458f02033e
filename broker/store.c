/* store: see store.h. */
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis_target.h"
#include "store.h"

#define STORE_RETRY_NS ((long long)STORE_PROBE_MS * 1000 * 1000)
/* After no sentinel answered, the next round waits this long: a round may
 * have cost redis-timeout-ms of the loop. */
#define STORE_RESOLVE_BACKOFF_NS (1000LL * 1000 * 1000)
/* A Redis at maxmemory refuses every write: one warning a minute at most. */
#define STORE_OOM_LOG_NS (60LL * 1000 * 1000 * 1000)

struct store {
    redisContext *c;
    struct redis_target target;
    struct redis_node node; /* where the master was last found */
    long long resolve_after_ns;
    unsigned timeout_ms;
    long long last_attempt_ns;
    bool was_up;
    bool told_noreplicas;  /* one warning per connection */
    long long oom_told_ns; /* last warning of -OOM replies; 0: none yet */
    struct log_ctx *log;
    /* Watched stores only: the probe timer and the probe in flight. */
    struct event_base *base;
    struct event *tick, *probe_timeout;
    redisAsyncContext *probe;
    /* store_subscribe: the channel, its callback and its connection. */
    char sub_channel[64];
    store_message_cb sub_cb;
    void *sub_arg;
    redisAsyncContext *sub;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct store *store_new(const char *host, int port, unsigned timeout_ms, struct log_ctx *log)
{
    struct redis_target t;
    redis_target_init(&t, host, (uint16_t)port, NULL, false, log);
    return store_new_target(&t, timeout_ms, log);
}

struct store *store_new_target(const struct redis_target *t, unsigned timeout_ms,
                               struct log_ctx *log)
{
    struct store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->target = *t;
    st->target.verify_role = false; /* the store checks ROLE on its own connection */
    st->target.log = log;
    st->node = t->fixed;
    st->timeout_ms = timeout_ms;
    st->log = log;
    st->last_attempt_ns = now_ns() - 2 * STORE_RETRY_NS;
    return st;
}

static void drop(struct store *st)
{
    if (st->c != NULL) {
        redisFree(st->c);
        st->c = NULL;
    }
    if (st->was_up)
        log_warn(st->log, "redis: connection lost; answering 503 until it returns");
    st->was_up = false;
}

/* Where to connect: the fixed address, or what the sentinels say now
 * (blocking, at most redis-timeout-ms). False when no sentinel answered. */
static bool locate(struct store *st)
{
    long long now = now_ns();
    if (!redis_target_uses_sentinels(&st->target))
        return true;
    if (now < st->resolve_after_ns)
        return false;
    if (redis_target_resolve(&st->target, st->timeout_ms, &st->node) != 0) {
        st->resolve_after_ns = now_ns() + STORE_RESOLVE_BACKOFF_NS;
        log_debug(st->log, "redis: no sentinel named the master");
        return false;
    }
    return true;
}

static bool role_is_master(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
           r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
}

/* An error that says this server cannot serve us as the master (a demoted
 * master, a replica, one still loading): the store counts as down and the
 * master is looked for again. */
static bool not_master_error(const redisReply *r)
{
    return strncmp(r->str, "READONLY", 8) == 0 || strncmp(r->str, "LOADING", 7) == 0 ||
           strncmp(r->str, "MASTERDOWN", 10) == 0;
}

/* The master refuses writes for want of replicas (min-replicas-to-write):
 * nothing was written, and the connection is fine. */
static bool no_replicas_error(const redisReply *r)
{
    return strncmp(r->str, "NOREPLICAS", 10) == 0;
}

/* Redis is at maxmemory (noeviction) and refuses commands that could
 * grow it; the connection is fine, and reads and deletes still work. */
static bool oom_error(const redisReply *r)
{
    return strncmp(r->str, "OOM", 3) == 0;
}

/* The synchronous connection; false when Redis cannot be reached. With
 * check_role, a server that is not a master is refused. */
static bool connect_now(struct store *st, bool check_role)
{
    struct timeval tv;

    st->last_attempt_ns = now_ns();
    tv.tv_sec = st->timeout_ms / 1000;
    tv.tv_usec = (st->timeout_ms % 1000) * 1000;
    st->c = st->node.port == 0 ? redisConnectUnixWithTimeout(st->node.host, tv)
                               : redisConnectWithTimeout(st->node.host, st->node.port, tv);
    if (st->c == NULL || st->c->err != 0) {
        if (st->c != NULL)
            redisFree(st->c);
        st->c = NULL;
        return false;
    }
    if (redisSetTimeout(st->c, tv) != REDIS_OK) {
        redisFree(st->c);
        st->c = NULL;
        return false;
    }
    if (check_role) {
        redisReply *r = redisCommand(st->c, "ROLE");
        bool master = role_is_master(r);
        if (r != NULL)
            freeReplyObject(r);
        if (!master) {
            redisFree(st->c);
            st->c = NULL;
            return false;
        }
    }
    log_info(st->log, "redis: connected");
    st->told_noreplicas = false;
    st->was_up = true;
    return true;
}

bool store_up(struct store *st)
{
    if (st->c != NULL)
        return true;
    if (st->base != NULL || now_ns() - st->last_attempt_ns < STORE_RETRY_NS)
        return false;
    st->last_attempt_ns = now_ns();
    return locate(st) && connect_now(st, redis_target_uses_sentinels(&st->target));
}

/* The probe: hiredis async on the loop, so a Redis that accepts but does
 * not answer (stopped, overloaded) costs the loop nothing. */
static void probe_end(struct store *st, bool free_it)
{
    redisAsyncContext *ac = st->probe;
    st->probe = NULL;
    evtimer_del(st->probe_timeout);
    if (ac != NULL && free_it)
        redisAsyncFree(ac);
}

static void on_probe_connect(const redisAsyncContext *ac, int status)
{
    struct store *st = ac->data;
    if (status != REDIS_OK && st->probe == ac)
        probe_end(st, false); /* hiredis frees it after this callback */
}

static void on_probe_disconnect(const redisAsyncContext *ac, int status)
{
    struct store *st = ac->data;
    if (st->probe == ac)
        probe_end(st, false);
}

static void on_probe_role(redisAsyncContext *ac, void *reply, void *arg)
{
    struct store *st = arg;
    const redisReply *r = reply;
    bool master = role_is_master(r);

    if (r == NULL || st->probe != ac)
        return; /* the probe is being torn down */
    probe_end(st, false);
    redisAsyncDisconnect(ac); /* deferred by hiredis until this returns */
    /* Redis has just answered: the synchronous connect is quick now. */
    if (!master)
        log_debug(st->log, "redis: answered a probe but is not a master");
    else if (st->c == NULL && !connect_now(st, false))
        log_debug(st->log, "redis: answered a probe but refused the connection");
}

static void on_probe_timeout(evutil_socket_t fd, short what, void *arg)
{
    probe_end(arg, true);
}

/* An asynchronous connection to the master last found (st->node) on the
 * store's event base, or NULL. */
static redisAsyncContext *async_connect(struct store *st)
{
    redisAsyncContext *ac = st->node.port == 0 ? redisAsyncConnectUnix(st->node.host)
                                               : redisAsyncConnect(st->node.host, st->node.port);
    if (ac == NULL)
        return NULL;
    if (ac->err != 0 || redisLibeventAttach(ac, st->base) != REDIS_OK) {
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = st;
    return ac;
}

static void probe_start(struct store *st)
{
    struct timeval tv = {st->timeout_ms / 1000, (st->timeout_ms % 1000) * 1000};
    redisAsyncContext *ac;

    st->last_attempt_ns = now_ns();
    ac = async_connect(st);
    if (ac == NULL)
        return;
    st->probe = ac;
    redisAsyncSetConnectCallback(ac, on_probe_connect);
    redisAsyncSetDisconnectCallback(ac, on_probe_disconnect);
    if (redisAsyncCommand(ac, on_probe_role, st, "ROLE") != REDIS_OK) {
        probe_end(st, true);
        return;
    }
    evtimer_add(st->probe_timeout, &tv);
}

static void on_sub_connect(const redisAsyncContext *ac, int status)
{
    struct store *st = ac->data;
    if (status != REDIS_OK && st->sub == ac)
        st->sub = NULL; /* hiredis frees it after this callback */
}

static void on_sub_disconnect(const redisAsyncContext *ac, int status)
{
    struct store *st = ac->data;
    if (st->sub == ac)
        st->sub = NULL;
}

static void on_sub_message(redisAsyncContext *ac, void *reply, void *arg)
{
    struct store *st = arg;
    const redisReply *r = reply;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
        r->element[2]->type != REDIS_REPLY_STRING)
        return;
    st->sub_cb(st->sub_arg, r->element[2]->str, r->element[2]->len);
}

/* On the master just connected to (st->node): asynchronous, never blocks. */
static void sub_start(struct store *st)
{
    redisAsyncContext *ac = async_connect(st);
    if (ac == NULL)
        return;
    st->sub = ac;
    redisAsyncSetConnectCallback(ac, on_sub_connect);
    redisAsyncSetDisconnectCallback(ac, on_sub_disconnect);
    if (redisAsyncCommand(ac, on_sub_message, st, "SUBSCRIBE %s", st->sub_channel) != REDIS_OK) {
        st->sub = NULL;
        redisAsyncFree(ac);
    }
}

int store_subscribe(struct store *st, const char *channel, store_message_cb cb, void *arg)
{
    if (st->base == NULL || st->sub_cb != NULL || strlen(channel) >= sizeof(st->sub_channel))
        return -1;
    snprintf(st->sub_channel, sizeof(st->sub_channel), "%s", channel);
    st->sub_cb = cb;
    st->sub_arg = arg;
    if (st->c != NULL)
        sub_start(st);
    return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct store *st = arg;
    if (st->c != NULL && st->sub == NULL && st->sub_cb != NULL)
        sub_start(st);
    if (st->c == NULL && st->probe == NULL && locate(st))
        probe_start(st);
}

int store_watch(struct store *st, struct event_base *base)
{
    struct timeval every = {0, STORE_PROBE_MS * 1000};
    st->tick = event_new(base, -1, EV_PERSIST, on_tick, st);
    st->probe_timeout = evtimer_new(base, on_probe_timeout, st);
    if (st->tick == NULL || st->probe_timeout == NULL || event_add(st->tick, &every) != 0) {
        if (st->tick != NULL)
            event_free(st->tick);
        if (st->probe_timeout != NULL)
            event_free(st->probe_timeout);
        st->tick = st->probe_timeout = NULL;
        return -1;
    }
    st->base = base;
    return 0;
}

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    if (st->base != NULL) {
        probe_end(st, true);
        if (st->sub != NULL) {
            redisAsyncContext *ac = st->sub;
            st->sub = NULL;
            redisAsyncFree(ac);
        }
        event_free(st->tick);
        event_free(st->probe_timeout);
    }
    if (st->c != NULL)
        redisFree(st->c);
    free(st);
}

int store_batch_run(struct store *st, const struct store_batch *b, struct redis_val *outs)
{
    int rc = 0;
    size_t got = 0;
    bool demoted = false, oom = false;

    if (outs != NULL)
        memset(outs, 0, b->n * sizeof(*outs));
    if (b->overflow) {
        /* A caller's compile-time bound is wrong: refuse this request, keep
         * serving the others. */
        log_error(st->log, "redis: a batch of more than %d commands (or %d arguments) refused",
                  STORE_BATCH_MAX, STORE_ARGV_MAX);
        return STORE_EBATCH;
    }
    if (!store_up(st))
        return STORE_EDOWN;
    for (size_t i = 0; i < b->n; i++) {
        size_t lens[STORE_ARGV_MAX];
        for (int a = 0; a < b->argc[i]; a++)
            lens[a] = strlen(b->argv[i][a]);
        /* hiredis 0.14 takes char ** but only reads the arguments. */
        if (redisAppendCommandArgv(st->c, b->argc[i], (const char **)(uintptr_t)b->argv[i], lens) !=
            REDIS_OK) {
            drop(st);
            return STORE_EDOWN;
        }
    }
    for (got = 0; got < b->n; got++) {
        redisReply *r = NULL;
        if (redisGetReply(st->c, (void **)&r) != REDIS_OK || r == NULL) {
            drop(st);
            rc = STORE_EDOWN;
            break;
        }
        if (r->type == REDIS_REPLY_ERROR && not_master_error(r)) {
            demoted = true;
        } else if (r->type == REDIS_REPLY_ERROR && no_replicas_error(r)) {
            if (!st->told_noreplicas)
                log_warn(st->log, "redis: the master refuses writes: too few replicas");
            st->told_noreplicas = true;
            rc = STORE_EDOWN;
        } else if (r->type == REDIS_REPLY_ERROR && oom_error(r)) {
            oom = true;
            if (rc == 0 || rc == STORE_EREPLY)
                rc = STORE_EFULL;
        } else if (r->type == REDIS_REPLY_ERROR) {
            log_warn(st->log, "redis: command %zu of %zu refused: %.80s", got + 1, b->n, r->str);
            if (rc == 0)
                rc = STORE_EREPLY;
        } else if (outs != NULL && redis_val_from_reply(r, &outs[got]) != 0) {
            log_warn(st->log, "redis: reply %zu of %zu over the size bounds or out of memory",
                     got + 1, b->n);
            rc = STORE_EREPLY;
        }
        freeReplyObject(r);
    }
    if (oom && (st->oom_told_ns == 0 || now_ns() - st->oom_told_ns >= STORE_OOM_LOG_NS)) {
        log_warn(st->log, "redis: at maxmemory, refusing writes; answering 503 while it is full");
        st->oom_told_ns = now_ns();
    }
    if (demoted && st->c != NULL) {
        log_warn(st->log, "redis: the server no longer takes writes as master; looking again");
        drop(st);
        rc = STORE_EDOWN;
    }
    if (rc != 0 && outs != NULL)
        for (size_t i = 0; i < b->n; i++)
            redis_val_free(&outs[i]);
    return rc;
}
