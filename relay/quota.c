/* quota: see quota.h. */
#include "quota.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct quota_entry {
    struct htab_node node;
    unsigned count;
    size_t len;
    char name[]; /* not NUL-terminated */
};

struct name_key {
    const char *name;
    size_t len;
};

static int name_eq(const struct htab_node *node, const void *key)
{
    const struct quota_entry *e = htab_entry(node, struct quota_entry, node);
    const struct name_key *k = key;
    return e->len == k->len && memcmp(e->name, k->name, k->len) == 0;
}

static bool unlimited(const struct quota *q)
{
    return q->limits.total == 0 && q->limits.per_user == 0 && q->limits.per_call == 0;
}

int quota_init(struct quota *q, const struct quota_limits *limits)
{
    memset(q, 0, sizeof(*q));
    q->limits = *limits;
    randombytes_buf(q->key, sizeof(q->key));
    if (htab_init(&q->users, 64) != 0)
        return -1;
    if (htab_init(&q->calls, 64) != 0) {
        htab_free(&q->users);
        return -1;
    }
    pthread_mutex_init(&q->lock, NULL);
    return 0;
}

static void drop_entry(struct htab *h, struct quota_entry *e)
{
    htab_remove(h, &e->node);
    sodium_memzero(e->name, e->len);
    free(e);
}

static void table_free(struct htab *h)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, h);
    while ((node = htab_iter_next(&it)) != NULL)
        drop_entry(h, htab_entry(node, struct quota_entry, node));
    htab_free(h);
}

void quota_free(struct quota *q)
{
    table_free(&q->users);
    table_free(&q->calls);
    pthread_mutex_destroy(&q->lock);
}

static struct quota_entry *find(struct quota *q, struct htab *h, const char *name, size_t len)
{
    struct name_key k = {name, len};
    struct htab_node *node = htab_find(h, htab_hash_bytes(q->key, name, len), name_eq, &k);
    return node != NULL ? htab_entry(node, struct quota_entry, node) : NULL;
}

/* The count of name in h, or 0. */
static unsigned count_of(struct quota *q, struct htab *h, const char *name, size_t len)
{
    const struct quota_entry *e = find(q, h, name, len);
    return e != NULL ? e->count : 0;
}

/* Adds one to name's count, making the entry. -1 when out of memory. */
static int add_one(struct quota *q, struct htab *h, const char *name, size_t len)
{
    struct quota_entry *e = find(q, h, name, len);
    if (e != NULL) {
        e->count++;
        return 0;
    }
    e = malloc(sizeof(*e) + len);
    if (e == NULL)
        return -1;
    e->count = 1;
    e->len = len;
    memcpy(e->name, name, len);
    htab_insert(h, &e->node, htab_hash_bytes(q->key, name, len));
    return 0;
}

static void sub_one(struct quota *q, struct htab *h, const char *name, size_t len)
{
    struct quota_entry *e = find(q, h, name, len);
    if (e != NULL && --e->count == 0)
        drop_entry(h, e);
}

enum quota_result quota_take(struct quota *q, const char *user, size_t len, const char *call,
                             size_t call_len)
{
    bool has_call;
    enum quota_result rc = QUOTA_OK;

    if (unlimited(q))
        return QUOTA_OK;
    has_call = q->limits.per_call > 0 && call_len > 0;
    pthread_mutex_lock(&q->lock);
    if (q->limits.total > 0 && q->total >= q->limits.total)
        rc = QUOTA_TOTAL;
    else if (q->limits.per_user > 0 && count_of(q, &q->users, user, len) >= q->limits.per_user)
        rc = QUOTA_USER;
    else if (has_call && count_of(q, &q->calls, call, call_len) >= q->limits.per_call)
        rc = QUOTA_CALL;
    else if (q->limits.per_user > 0 && add_one(q, &q->users, user, len) != 0)
        rc = QUOTA_NOMEM;
    else if (has_call && add_one(q, &q->calls, call, call_len) != 0) {
        if (q->limits.per_user > 0)
            sub_one(q, &q->users, user, len);
        rc = QUOTA_NOMEM;
    }
    if (rc == QUOTA_OK)
        q->total++;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void quota_give_back(struct quota *q, const char *user, size_t len, const char *call,
                     size_t call_len)
{
    if (unlimited(q))
        return;
    pthread_mutex_lock(&q->lock);
    if (q->total > 0)
        q->total--;
    if (q->limits.per_user > 0)
        sub_one(q, &q->users, user, len);
    if (q->limits.per_call > 0 && call_len > 0)
        sub_one(q, &q->calls, call, call_len);
    pthread_mutex_unlock(&q->lock);
}
