/* quota: see quota.h. */
#include "quota.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct quota_entry {
    struct htab_node node;
    unsigned count;
    size_t len;
    char user[]; /* not NUL-terminated */
};

struct user_key {
    const char *user;
    size_t len;
};

static int user_eq(const struct htab_node *node, const void *key)
{
    const struct quota_entry *e = htab_entry(node, struct quota_entry, node);
    const struct user_key *k = key;
    return e->len == k->len && memcmp(e->user, k->user, k->len) == 0;
}

int quota_init(struct quota *q, unsigned limit)
{
    q->limit = limit;
    randombytes_buf(q->key, sizeof(q->key));
    if (htab_init(&q->h, 64) != 0)
        return -1;
    pthread_mutex_init(&q->lock, NULL);
    return 0;
}

void quota_free(struct quota *q)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, &q->h);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct quota_entry *e = htab_entry(node, struct quota_entry, node);
        htab_remove(&q->h, node);
        sodium_memzero(e->user, e->len);
        free(e);
    }
    htab_free(&q->h);
    pthread_mutex_destroy(&q->lock);
}

int quota_take(struct quota *q, const char *user, size_t len)
{
    struct user_key k = {user, len};
    struct htab_node *node;
    struct quota_entry *e;
    uint64_t hash;
    int rc = 0;

    if (q->limit == 0)
        return 0;
    hash = htab_hash_bytes(q->key, user, len);
    pthread_mutex_lock(&q->lock);
    node = htab_find(&q->h, hash, user_eq, &k);
    if (node != NULL) {
        e = htab_entry(node, struct quota_entry, node);
        if (e->count >= q->limit)
            rc = -1;
        else
            e->count++;
    } else {
        e = malloc(sizeof(*e) + len);
        if (e == NULL) {
            rc = -1;
        } else {
            e->count = 1;
            e->len = len;
            memcpy(e->user, user, len);
            htab_insert(&q->h, &e->node, hash);
        }
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void quota_give_back(struct quota *q, const char *user, size_t len)
{
    struct user_key k = {user, len};
    struct htab_node *node;
    if (q->limit == 0)
        return;
    pthread_mutex_lock(&q->lock);
    node = htab_find(&q->h, htab_hash_bytes(q->key, user, len), user_eq, &k);
    if (node != NULL) {
        struct quota_entry *e = htab_entry(node, struct quota_entry, node);
        if (--e->count == 0) {
            htab_remove(&q->h, node);
            sodium_memzero(e->user, e->len);
            free(e);
        }
    }
    pthread_mutex_unlock(&q->lock);
}
