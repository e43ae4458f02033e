/* redis_link: see redis_link.h. */
#include "redis_link.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REDIS_LINK_RETRY_SECONDS 1
#define REDIS_LINK_HOST_MAX 256

struct redis_link_sub {
    char *channel;
    redis_link_message_fn fn;
    void *ctx;
};

struct redis_link {
    struct event_base *base;
    redis_link_where_fn where;
    void *where_ctx;
    struct log_ctx *log;
    const char *name;
    redisAsyncContext *ac;
    bool connected;
    struct event *retry;
    bool stopping;
    bool warned; /* one warning per outage, not one per retry */
    size_t n_subs;
    struct redis_link_sub subs[REDIS_LINK_MAX_SUBS];
};

/* One command in flight: who gets its reply. */
struct redis_link_pending {
    redis_link_reply_fn fn;
    void *ctx;
};

static void schedule_retry(struct redis_link *l)
{
    struct timeval tv = {REDIS_LINK_RETRY_SECONDS, 0};
    if (!l->stopping)
        event_add(l->retry, &tv);
}

static void on_reply(redisAsyncContext *ac, void *reply_, void *priv)
{
    struct redis_link_pending *p = priv;
    const struct redis_link *l = ac->data;
    struct redis_val r;
    if (reply_ == NULL) {
        if (p->fn != NULL)
            p->fn(p->ctx, NULL);
    } else if (redis_val_from_reply(reply_, &r) != 0) {
        log_warn(l->log, "%s: a redis reply over the size bounds or out of memory", l->name);
        if (p->fn != NULL)
            p->fn(p->ctx, NULL);
    } else {
        if (p->fn != NULL)
            p->fn(p->ctx, &r);
        redis_val_free(&r);
    }
    free(p);
}

static void on_message(redisAsyncContext *ac, void *reply_, void *priv)
{
    struct redis_link_sub *s = priv;
    redisReply *reply = reply_;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    if (reply->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(reply->element[0]->str, "message") != 0)
        return;
    if (reply->element[2]->type != REDIS_REPLY_STRING || reply->element[2]->len == 0)
        return;
    s->fn(s->ctx, reply->element[2]->str, reply->element[2]->len);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_link *l = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        l->ac = NULL;
        if (!l->warned)
            log_warn(l->log, "%s: cannot reach redis, retrying", l->name);
        l->warned = true;
        schedule_retry(l);
        return;
    }
    l->connected = true;
    l->warned = false;
    log_info(l->log, "%s: connected to redis", l->name);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_link *l = ac->data;
    l->ac = NULL;
    l->connected = false;
    if (l->stopping)
        return;
    log_warn(l->log, "%s: lost redis, reconnecting", l->name);
    l->warned = true;
    schedule_retry(l);
}

static void subscribe_all(struct redis_link *l)
{
    /* Queued until the connection is up. */
    for (size_t i = 0; i < l->n_subs; i++)
        redisAsyncCommand(l->ac, on_message, &l->subs[i], "SUBSCRIBE %s", l->subs[i].channel);
}

static void connect_now(struct redis_link *l)
{
    char host[REDIS_LINK_HOST_MAX];
    uint16_t port = 0;
    redisAsyncContext *ac;

    if (l->where(l->where_ctx, host, sizeof(host), &port) != 0) {
        schedule_retry(l);
        return;
    }
    ac = redisAsyncConnect(host, port);
    if (ac == NULL) {
        schedule_retry(l);
        return;
    }
    if (ac->err != 0) {
        redisAsyncFree(ac);
        schedule_retry(l);
        return;
    }
    ac->data = l;
    l->ac = ac;
    redisLibeventAttach(ac, l->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    subscribe_all(l);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_now(arg);
}

struct redis_link *redis_link_start(struct event_base *base, redis_link_where_fn where,
                                    void *where_ctx, struct log_ctx *log, const char *name)
{
    struct redis_link *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->base = base;
    l->where = where;
    l->where_ctx = where_ctx;
    l->log = log;
    l->name = name;
    l->retry = evtimer_new(base, on_retry, l);
    if (l->retry == NULL) {
        free(l);
        return NULL;
    }
    connect_now(l);
    return l;
}

void redis_link_free(struct redis_link *l)
{
    if (l == NULL)
        return;
    l->stopping = true;
    if (l->ac != NULL)
        redisAsyncFree(l->ac);
    l->ac = NULL;
    event_free(l->retry);
    for (size_t i = 0; i < l->n_subs; i++)
        free(l->subs[i].channel);
    free(l);
}

bool redis_link_up(const struct redis_link *l)
{
    return l->ac != NULL && l->connected;
}

int redis_link_subscribe(struct redis_link *l, const char *channel, redis_link_message_fn fn,
                         void *ctx)
{
    struct redis_link_sub *s;
    if (l->n_subs == REDIS_LINK_MAX_SUBS)
        return -1;
    s = &l->subs[l->n_subs];
    s->channel = strdup(channel);
    if (s->channel == NULL)
        return -1;
    s->fn = fn;
    s->ctx = ctx;
    l->n_subs++;
    if (l->ac != NULL)
        redisAsyncCommand(l->ac, on_message, s, "SUBSCRIBE %s", s->channel);
    return 0;
}

int redis_link_command(struct redis_link *l, redis_link_reply_fn fn, void *ctx, int argc,
                       const char *const *argv, const size_t *lens)
{
    struct redis_link_pending *p;
    if (l->stopping || !redis_link_up(l) || argc <= 0 || argc > REDIS_LINK_MAX_ARGS)
        return -1;
    p = malloc(sizeof(*p));
    if (p == NULL)
        return -1;
    p->fn = fn;
    p->ctx = ctx;
    /* hiredis 0.14 takes char ** but only reads the arguments. */
    if (redisAsyncCommandArgv(l->ac, on_reply, p, argc, (const char **)(uintptr_t)argv, lens) !=
        REDIS_OK) {
        free(p);
        return -1;
    }
    return 0;
}
