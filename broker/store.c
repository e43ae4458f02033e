/* store: see store.h. */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define STORE_RETRY_NS (250LL * 1000 * 1000)

struct store {
    redisContext *c;
    char host[256];
    int port;
    unsigned timeout_ms;
    long long last_attempt_ns;
    bool was_up;
    struct log_ctx *log;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct store *store_new(const char *host, int port, unsigned timeout_ms, struct log_ctx *log)
{
    struct store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    snprintf(st->host, sizeof(st->host), "%s", host);
    st->port = port;
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

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    if (st->c != NULL)
        redisFree(st->c);
    free(st);
}

bool store_up(struct store *st)
{
    struct timeval tv;
    long long now;

    if (st->c != NULL)
        return true;
    now = now_ns();
    if (now - st->last_attempt_ns < STORE_RETRY_NS)
        return false;
    st->last_attempt_ns = now;
    tv.tv_sec = st->timeout_ms / 1000;
    tv.tv_usec = (st->timeout_ms % 1000) * 1000;
    st->c = st->port == 0 ? redisConnectUnixWithTimeout(st->host, tv)
                          : redisConnectWithTimeout(st->host, st->port, tv);
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
    log_info(st->log, "redis: connected");
    st->was_up = true;
    return true;
}

static int copy_reply(const redisReply *r, struct store_val *out)
{
    memset(out, 0, sizeof(*out));
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        out->type = STORE_INT;
        out->num = r->integer;
        return 0;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        out->type = STORE_STR;
        out->str = malloc(r->len + 1);
        if (out->str == NULL)
            return STORE_EREPLY;
        memcpy(out->str, r->str, r->len);
        out->str[r->len] = '\0';
        out->len = r->len;
        return 0;
    case REDIS_REPLY_ARRAY:
        out->type = STORE_ARRAY;
        if (r->elements == 0)
            return 0;
        out->elem = calloc(r->elements, sizeof(*out->elem));
        if (out->elem == NULL)
            return STORE_EREPLY;
        out->n = r->elements;
        for (size_t i = 0; i < r->elements; i++)
            if (copy_reply(r->element[i], &out->elem[i]) != 0)
                return STORE_EREPLY;
        return 0;
    case REDIS_REPLY_NIL:
        out->type = STORE_NIL;
        return 0;
    default:
        return STORE_EREPLY;
    }
}

void store_val_free(struct store_val *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++)
        store_val_free(&v->elem[i]);
    free(v->elem);
    free(v->str);
    memset(v, 0, sizeof(*v));
}

static void collect(struct store_batch *b, va_list ap)
{
    const char *arg;
    int argc = 0;
    if (b->n == STORE_BATCH_MAX) {
        b->overflow = true;
        return;
    }
    while ((arg = va_arg(ap, const char *)) != NULL) {
        if (argc == STORE_ARGV_MAX) {
            b->overflow = true;
            return;
        }
        b->argv[b->n][argc++] = arg;
    }
    b->argc[b->n++] = argc;
}

void store_batch_add(struct store_batch *b, ...)
{
    va_list ap;
    va_start(ap, b);
    collect(b, ap);
    va_end(ap);
}

int store_batch_run(struct store *st, const struct store_batch *b, struct store_val *outs)
{
    int rc = 0;
    size_t got = 0;

    if (b->overflow)
        abort(); /* a programming error: a batch is built from constants */
    if (outs != NULL)
        memset(outs, 0, b->n * sizeof(*outs));
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
        if (r->type == REDIS_REPLY_ERROR) {
            log_warn(st->log, "redis: command %zu of %zu refused: %.80s", got + 1, b->n, r->str);
            rc = STORE_EREPLY;
        } else if (outs != NULL && copy_reply(r, &outs[got]) != 0) {
            rc = STORE_EREPLY;
        }
        freeReplyObject(r);
    }
    if (rc != 0 && outs != NULL)
        for (size_t i = 0; i < b->n; i++)
            store_val_free(&outs[i]);
    return rc;
}

int store_cmd(struct store *st, struct store_val *out, ...)
{
    struct store_batch b = {0};
    va_list ap;
    va_start(ap, out);
    collect(&b, ap);
    va_end(ap);
    return store_batch_run(st, &b, out);
}
