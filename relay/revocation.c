/* revocation: see revocation.h. */
#include "revocation.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "redis_target.h"

#define REVOCATION_RETRY_MS 1000
/* With sentinels a failover is followed sooner: an attempt that finds no
 * master costs little (refused connections) and revocations published
 * meanwhile are lost to this relay. */
#define REVOCATION_SENTINEL_RETRY_MS 250

struct revocation {
    struct event_base *base;
    struct redis_target target;
    struct log_ctx *log;
    revocation_cb on_revoke;
    void *ctx;
    redisAsyncContext *ac;
    struct event *retry;
    bool stopping;
    bool warned; /* one warning per outage, not one per retry */
};

static void schedule_retry(struct revocation *r)
{
    unsigned ms = redis_target_uses_sentinels(&r->target) ? REVOCATION_SENTINEL_RETRY_MS
                                                          : REVOCATION_RETRY_MS;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (!r->stopping)
        event_add(r->retry, &tv);
}

static void on_message(redisAsyncContext *ac, void *reply_, void *priv)
{
    struct revocation *r = priv;
    redisReply *reply = reply_;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    if (reply->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(reply->element[0]->str, "message") != 0)
        return;
    if (reply->element[2]->type != REDIS_REPLY_STRING || reply->element[2]->len == 0)
        return;
    r->on_revoke(r->ctx, reply->element[2]->str, reply->element[2]->len);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct revocation *r = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        r->ac = NULL;
        if (!r->warned)
            log_warn(r->log, "revocation: cannot reach redis, retrying");
        r->warned = true;
        schedule_retry(r);
        return;
    }
    r->warned = false;
    log_info(r->log, "revocation: subscribed to %s", REVOCATION_CHANNEL);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct revocation *r = ac->data;
    r->ac = NULL;
    if (r->stopping)
        return;
    log_warn(r->log, "revocation: lost redis, reconnecting");
    r->warned = true;
    schedule_retry(r);
}

static void connect_now(struct revocation *r)
{
    struct redis_node node;
    redisAsyncContext *ac;

    if (redis_target_resolve(&r->target, REVOCATION_RESOLVE_MS, &node) != 0) {
        if (!r->warned)
            log_warn(r->log, "revocation: no sentinel names a master, retrying");
        r->warned = true;
        schedule_retry(r);
        return;
    }
    ac =
        node.port == 0 ? redisAsyncConnectUnix(node.host) : redisAsyncConnect(node.host, node.port);
    if (ac == NULL) {
        schedule_retry(r);
        return;
    }
    if (ac->err != 0) {
        redisAsyncFree(ac);
        schedule_retry(r);
        return;
    }
    ac->data = r;
    r->ac = ac;
    redisLibeventAttach(ac, r->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* Queued until the connection is up. */
    redisAsyncCommand(ac, on_message, r, "SUBSCRIBE %s", REVOCATION_CHANNEL);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    connect_now(arg);
}

struct revocation *revocation_start(struct event_base *base, const struct redis_target *target,
                                    struct log_ctx *log, revocation_cb on_revoke, void *ctx)
{
    struct revocation *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->base = base;
    r->target = *target;
    r->target.log = log;
    r->log = log;
    r->on_revoke = on_revoke;
    r->ctx = ctx;
    r->retry = evtimer_new(base, on_retry, r);
    if (r->retry == NULL) {
        revocation_free(r);
        return NULL;
    }
    connect_now(r);
    return r;
}

void revocation_free(struct revocation *r)
{
    if (r == NULL)
        return;
    r->stopping = true;
    if (r->ac != NULL)
        redisAsyncFree(r->ac);
    r->ac = NULL;
    if (r->retry != NULL)
        event_free(r->retry);
    free(r);
}
