/* redis_target: see redis_target.h. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "redis_target.h"

/* No sentinel gets less than this, whatever the budget's share. */
#define REDIS_TARGET_MIN_TRY_MS 20

/* One "HOST:PORT" or "[V6]:PORT" of len bytes. */
static int parse_node(const char *v, size_t len, struct redis_node *out, char *err, size_t errlen)
{
    char port[8];
    const char *host = v, *colon;
    size_t hlen, plen;
    uint64_t p;

    if (len > 0 && v[0] == '[') {
        const char *close = memchr(v, ']', len);
        if (close == NULL || (size_t)(close - v) + 1 >= len || close[1] != ':')
            goto bad;
        host = v + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = len; i > 0; i--)
            if (v[i - 1] == ':') {
                colon = v + i - 1;
                break;
            }
        if (colon == NULL)
            goto bad;
        hlen = (size_t)(colon - v);
    }
    plen = len - (size_t)(colon + 1 - v);
    if (hlen == 0 || hlen >= sizeof(out->host) || plen == 0 || plen >= sizeof(port))
        goto bad;
    memcpy(port, colon + 1, plen);
    port[plen] = '\0';
    if (conf_parse_uint(port, 1, 65535, &p, err, errlen) != 0)
        return -1;
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    out->port = (uint16_t)p;
    return 0;
bad:
    snprintf(err, errlen, "expected HOST:PORT, got \"%.*s\"", (int)(len < 64 ? len : 64), v);
    return -1;
}

int redis_target_add_sentinels(struct redis_sentinels *s, const char *value, char *err,
                               size_t errlen)
{
    struct redis_node add[REDIS_TARGET_MAX_SENTINELS];
    size_t n = 0;
    const char *p = value;

    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (s->n + n == REDIS_TARGET_MAX_SENTINELS) {
            snprintf(err, errlen, "more than %d sentinels", REDIS_TARGET_MAX_SENTINELS);
            return -1;
        }
        if (parse_node(p, len, &add[n], err, errlen) != 0)
            return -1;
        n++;
        if (end == NULL)
            break;
        p = end + 1;
    }
    memcpy(&s->node[s->n], add, n * sizeof(add[0]));
    s->n += n;
    return 0;
}

int redis_target_set_name(struct redis_sentinels *s, const char *value, char *err, size_t errlen)
{
    size_t n = strlen(value);
    if (n == 0 || n >= sizeof(s->master_name) ||
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
        snprintf(err, errlen, "expected 1 to %zu letters, digits, '.', '_' or '-'",
                 sizeof(s->master_name) - 1);
        return -1;
    }
    memcpy(s->master_name, value, n + 1);
    return 0;
}

int redis_target_check(const struct redis_sentinels *s, char *err, size_t errlen)
{
    if (s->n > 0 && s->master_name[0] == '\0') {
        snprintf(err, errlen, "redis-sentinel needs redis-master-name");
        return -1;
    }
    if (s->n == 0 && s->master_name[0] != '\0') {
        snprintf(err, errlen, "redis-master-name needs at least one redis-sentinel");
        return -1;
    }
    return 0;
}

void redis_target_init(struct redis_target *t, const char *host, uint16_t port,
                       const struct redis_sentinels *s, bool verify_role, struct log_ctx *log)
{
    memset(t, 0, sizeof(*t));
    if (host != NULL)
        snprintf(t->fixed.host, sizeof(t->fixed.host), "%s", host);
    t->fixed.port = port;
    if (s != NULL)
        t->sentinels = *s;
    t->verify_role = verify_role;
    t->log = log;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static redisContext *open_node(const struct redis_node *n, long long ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    redisContext *c = n->port == 0 ? redisConnectUnixWithTimeout(n->host, tv)
                                   : redisConnectWithTimeout(n->host, n->port, tv);
    if (c != NULL && (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK)) {
        redisFree(c);
        c = NULL;
    }
    return c;
}

/* SENTINEL get-master-addr-by-name on one sentinel: 0 with out filled. */
static int ask_sentinel(const struct redis_target *t, const struct redis_node *sn, long long ms,
                        struct redis_node *out)
{
    const char *argv[] = {"SENTINEL", "get-master-addr-by-name", t->sentinels.master_name};
    redisContext *c = open_node(sn, ms);
    redisReply *r;
    char port[8];
    uint64_t p;
    char err[64];
    int rc = -1;

    if (c == NULL)
        return -1;
    r = redisCommandArgv(c, 3, argv, NULL);
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING &&
        r->element[0]->len > 0 && r->element[0]->len < sizeof(out->host) &&
        r->element[1]->len < sizeof(port)) {
        memcpy(port, r->element[1]->str, r->element[1]->len);
        port[r->element[1]->len] = '\0';
        if (conf_parse_uint(port, 1, 65535, &p, err, sizeof(err)) == 0) {
            memcpy(out->host, r->element[0]->str, r->element[0]->len);
            out->host[r->element[0]->len] = '\0';
            out->port = (uint16_t)p;
            rc = 0;
        }
    }
    if (r != NULL)
        freeReplyObject(r);
    redisFree(c);
    return rc;
}

/* True when the node answers ROLE with "master". */
static bool is_master(const struct redis_node *n, long long ms)
{
    redisContext *c = open_node(n, ms);
    redisReply *r;
    bool yes = false;

    if (c == NULL)
        return false;
    r = redisCommand(c, "ROLE");
    yes = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
          r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
    if (r != NULL)
        freeReplyObject(r);
    redisFree(c);
    return yes;
}

int redis_target_resolve(struct redis_target *t, unsigned budget_ms, struct redis_node *out)
{
    const struct redis_sentinels *s = &t->sentinels;
    long long deadline = now_ms() + budget_ms;
    /* One share per sentinel, and one for ROLE. */
    long long share = (long long)budget_ms / (long long)(s->n + (t->verify_role ? 1 : 0));

    if (s->n == 0) {
        *out = t->fixed;
        return 0;
    }
    if (share < REDIS_TARGET_MIN_TRY_MS)
        share = REDIS_TARGET_MIN_TRY_MS;
    for (size_t i = 0; i < s->n; i++) {
        size_t k = (t->first + i) % s->n;
        long long left = deadline - now_ms();
        struct redis_node m;

        if (left <= 0)
            break;
        if (ask_sentinel(t, &s->node[k], left < share ? left : share, &m) != 0)
            continue;
        left = deadline - now_ms();
        if (t->verify_role && (left <= 0 || !is_master(&m, left < share ? left : share))) {
            log_debug(t->log, "redis: sentinel %zu names a master that is not one (yet)", k + 1);
            continue;
        }
        t->first = k;
        if (strcmp(m.host, t->last.host) != 0 || m.port != t->last.port)
            log_info(t->log, "redis: sentinel %zu of %zu names the master of \"%s\"%s", k + 1, s->n,
                     s->master_name, t->last.port != 0 ? " (changed)" : "");
        t->last = m;
        *out = m;
        return 0;
    }
    return REDIS_TARGET_ENONE;
}
