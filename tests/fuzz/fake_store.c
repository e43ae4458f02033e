/* fake_store: see fake_store.h. */
#include "fake_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store {
    struct fake_store_script script;
    struct fake_store_cmd *cmds;
    size_t n, cap, batches, largest;
};

static void fake_die(const char *why, const char *what)
{
    fprintf(stderr, "fake_store: %s%s%s\n", why, what != NULL ? ": " : "", what ? what : "");
    abort();
}

static void *fake_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        fake_die("out of memory", NULL);
    return p;
}

struct store *fake_store_new(void)
{
    return fake_alloc(sizeof(struct store));
}

struct store *store_new(const char *host, int port, unsigned timeout_ms, struct log_ctx *log)
{
    (void)host;
    (void)port;
    (void)timeout_ms;
    (void)log;
    return fake_store_new();
}

struct store *store_new_target(const struct redis_target *t, unsigned timeout_ms,
                               struct log_ctx *log)
{
    (void)t;
    (void)timeout_ms;
    (void)log;
    return fake_store_new();
}

void fake_store_reset(struct store *st)
{
    for (size_t i = 0; i < st->n; i++)
        for (int a = 0; a < st->cmds[i].argc; a++)
            free(st->cmds[i].argv[a]);
    st->n = 0;
    st->batches = 0;
    st->largest = 0;
}

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    fake_store_reset(st);
    free(st->cmds);
    free(st);
}

void fake_store_script(struct store *st, const struct fake_store_script *s)
{
    st->script = *s;
}

size_t fake_store_count(const struct store *st)
{
    return st->n;
}

const struct fake_store_cmd *fake_store_get(const struct store *st, size_t i)
{
    return i < st->n ? &st->cmds[i] : NULL;
}

size_t fake_store_largest_batch(const struct store *st)
{
    return st->largest;
}

int store_watch(struct store *st, struct event_base *base)
{
    (void)st;
    (void)base;
    return 0;
}

int store_subscribe(struct store *st, const char *channel, store_message_cb cb, void *arg)
{
    (void)st;
    (void)channel;
    (void)cb;
    (void)arg;
    return 0;
}

bool store_up(struct store *st)
{
    (void)st;
    return true;
}

bool fake_store_is_write(const struct fake_store_cmd *c)
{
    static const char *const reads[] = {"GET",    "HGET",     "HGETALL", "EXISTS", "LRANGE",
                                        "ZRANGE", "SMEMBERS", "LLEN",    "ZCARD"};
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
        if (strcmp(c->argv[0], reads[i]) == 0)
            return false;
    return true;
}

static void fake_record(struct store *st, int argc, const char *const *argv, bool failed)
{
    struct fake_store_cmd *c;
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 64;
        st->cmds = realloc(st->cmds, st->cap * sizeof(*st->cmds));
        if (st->cmds == NULL)
            fake_die("out of memory", NULL);
    }
    c = &st->cmds[st->n++];
    memset(c, 0, sizeof(*c));
    c->argc = argc;
    c->batch = st->batches;
    c->failed = failed;
    for (int a = 0; a < argc; a++) {
        size_t len = strlen(argv[a]);
        c->argv[a] = fake_alloc(len + 1);
        memcpy(c->argv[a], argv[a], len + 1);
    }
}

static void fake_int(struct redis_val *v, long long n)
{
    v->type = REDIS_VAL_INT;
    v->num = n;
}

static void fake_str(struct redis_val *v, const char *s)
{
    if (s == NULL) {
        v->type = REDIS_VAL_NIL;
        return;
    }
    v->type = REDIS_VAL_STR;
    v->len = strlen(s);
    v->str = fake_alloc(v->len + 1);
    memcpy(v->str, s, v->len + 1);
}

/* An array reply of the strings of list (NULL-ended, at most max). */
static void fake_array(struct redis_val *v, const char *const *list, size_t max)
{
    size_t n = 0;
    while (n < max && list[n] != NULL)
        n++;
    v->type = REDIS_VAL_ARRAY;
    v->n = n;
    v->elem = n > 0 ? fake_alloc(n * sizeof(*v->elem)) : NULL;
    for (size_t i = 0; i < n; i++)
        fake_str(&v->elem[i], list[i]);
}

static bool fake_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* True when key is the live call's hash (suffix "") or one of its keys. */
static bool fake_is_call(const struct store *st, const char *key, const char *suffix)
{
    const char *id = st->script.call_id;
    size_t pl = strlen("umbra:call:");
    return id != NULL && fake_prefix(key, "umbra:call:") &&
           strncmp(key + pl, id, strlen(id)) == 0 && strcmp(key + pl + strlen(id), suffix) == 0;
}

static void fake_reply(const struct store *st, int argc, const char *const *argv,
                       struct redis_val *v)
{
    const struct fake_store_script *s = &st->script;
    const char *cmd = argv[0], *key = argc > 1 ? argv[1] : "";
    static const char *const none[] = {NULL};

    memset(v, 0, sizeof(*v));
    if (strcmp(cmd, "HGETALL") == 0)
        fake_array(v, fake_is_call(st, key, "") ? s->call : none, 2 * FAKE_STORE_FIELDS);
    else if (strcmp(cmd, "EXISTS") == 0)
        fake_int(v, fake_prefix(key, "umbra:end:")    ? s->tombstone
                    : fake_prefix(key, "umbra:call:") ? fake_is_call(st, key, "")
                    : fake_prefix(key, "umbra:pn:")   ? !s->pn_missing
                                                      : 1);
    else if (strcmp(cmd, "GET") == 0)
        fake_str(v, fake_prefix(key, "umbra:fp:")   ? s->fp_owner
                    : fake_prefix(key, "umbra:pn:") ? s->pn_owner
                                                    : NULL);
    else if (strcmp(cmd, "HGET") == 0)
        fake_str(v, argc > 2 && strcmp(argv[2], "sk") == 0 ? s->sk_hex : NULL);
    else if (strcmp(cmd, "HSETNX") == 0)
        fake_int(v, !s->accept_lost);
    else if (strcmp(cmd, "LRANGE") == 0)
        fake_array(v, s->events, sizeof(s->events) / sizeof(s->events[0]));
    else if (strcmp(cmd, "ZRANGE") == 0 || strcmp(cmd, "SMEMBERS") == 0)
        fake_array(v, none, 0);
    else if (strcmp(cmd, "ZCARD") == 0)
        fake_int(v, 0);
    else if (strcmp(cmd, "SET") == 0)
        fake_str(v, "OK");
    else if (strcmp(cmd, "HSET") == 0 || strcmp(cmd, "RPUSH") == 0 || strcmp(cmd, "EXPIRE") == 0 ||
             strcmp(cmd, "EXPIREAT") == 0 || strcmp(cmd, "DEL") == 0 || strcmp(cmd, "ZADD") == 0 ||
             strcmp(cmd, "ZREM") == 0 || strcmp(cmd, "ZREMRANGEBYSCORE") == 0 ||
             strcmp(cmd, "HINCRBY") == 0 || strcmp(cmd, "PUBLISH") == 0 || strcmp(cmd, "EVAL") == 0)
        fake_int(v, 1);
    else
        fake_die("no canned reply for this command (teach the fake)", cmd);
}

/* What the real store would refuse or crash on, and what no handler may
 * send: an empty command, a key outside umbra's names. */
static void fake_check(const struct store_batch *b)
{
    if (b->overflow) {
        fprintf(stderr,
                "fake_store: a batch overflowed: more than STORE_BATCH_MAX (%d) commands, or a "
                "command of more than STORE_ARGV_MAX (%d) arguments (first: %s); "
                "broker/store.c refuses it (STORE_EBATCH) and the request fails\n",
                (int)STORE_BATCH_MAX, (int)STORE_ARGV_MAX, b->n > 0 ? b->argv[0][0] : "none");
        abort();
    }
    if (b->n > STORE_BATCH_MAX)
        fake_die("a batch claims more than STORE_BATCH_MAX commands", NULL);
    for (size_t i = 0; i < b->n; i++) {
        if (b->argc[i] < 1 || b->argc[i] > STORE_ARGV_MAX)
            fake_die("a command with no arguments or too many", NULL);
        for (int a = 0; a < b->argc[i]; a++)
            if (b->argv[i][a] == NULL)
                fake_die("a NULL argument", b->argv[i][0]);
        if (b->argc[i] > 1 && strcmp(b->argv[i][0], "EVAL") != 0 &&
            strcmp(b->argv[i][0], "PUBLISH") != 0 && !fake_prefix(b->argv[i][1], "umbra:"))
            fake_die("a key outside umbra:", b->argv[i][0]);
    }
}

int store_batch_run(struct store *st, const struct store_batch *b, struct redis_val *outs)
{
    const struct fake_store_script *s = &st->script;
    size_t first = st->n + 1;
    bool failed;

    fake_check(b);
    if (outs != NULL)
        memset(outs, 0, b->n * sizeof(*outs));
    st->batches++;
    if (b->n > st->largest)
        st->largest = b->n;
    failed = s->fail_at != 0 && s->fail_at >= first && s->fail_at < first + b->n;
    for (size_t i = 0; i < b->n; i++)
        fake_record(st, b->argc[i], b->argv[i], failed);
    if (failed)
        return s->fail_rc != 0 ? s->fail_rc : STORE_EDOWN;
    for (size_t i = 0; outs != NULL && i < b->n; i++)
        fake_reply(st, b->argc[i], b->argv[i], &outs[i]);
    return 0;
}
