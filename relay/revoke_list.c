/* revoke_list: see revoke_list.h. */
#include "revoke_list.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct revoked {
    struct htab_node node;
    int64_t until;
    size_t len;
    char id[REVOKE_ID_MAX];
};

struct id_key {
    const char *id;
    size_t len;
};

static int id_eq(const struct htab_node *node, const void *key)
{
    const struct revoked *r = htab_entry(node, struct revoked, node);
    const struct id_key *k = key;
    return r->len == k->len && memcmp(r->id, k->id, k->len) == 0;
}

int revoke_list_init(struct revoke_list *l)
{
    randombytes_buf(l->key, sizeof(l->key));
    if (htab_init(&l->h, 64) != 0)
        return -1;
    pthread_mutex_init(&l->lock, NULL);
    return 0;
}

static void drop(struct revoke_list *l, struct revoked *r)
{
    htab_remove(&l->h, &r->node);
    sodium_memzero(r, sizeof(*r));
    free(r);
}

void revoke_list_free(struct revoke_list *l)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, &l->h);
    while ((node = htab_iter_next(&it)) != NULL)
        drop(l, htab_entry(node, struct revoked, node));
    htab_free(&l->h);
    pthread_mutex_destroy(&l->lock);
    sodium_memzero(l->key, sizeof(l->key));
}

static void purge(struct revoke_list *l, int64_t now)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, &l->h);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct revoked *r = htab_entry(node, struct revoked, node);
        if (r->until <= now)
            drop(l, r);
    }
}

int revoke_list_add(struct revoke_list *l, const char *id, size_t len, int64_t now, int64_t until)
{
    struct id_key k = {id, len};
    struct htab_node *node;
    struct revoked *r;
    int rc = 0;

    if (len == 0 || len > REVOKE_ID_MAX)
        return -1;
    pthread_mutex_lock(&l->lock);
    node = htab_find(&l->h, htab_hash_bytes(l->key, id, len), id_eq, &k);
    if (node != NULL) {
        r = htab_entry(node, struct revoked, node);
        if (r->until < until)
            r->until = until;
        goto out;
    }
    if (l->h.count >= REVOKE_LIST_MAX)
        purge(l, now);
    r = l->h.count < REVOKE_LIST_MAX ? calloc(1, sizeof(*r)) : NULL;
    if (r == NULL) {
        rc = -1;
        goto out;
    }
    memcpy(r->id, id, len);
    r->len = len;
    r->until = until;
    htab_insert(&l->h, &r->node, htab_hash_bytes(l->key, id, len));
out:
    pthread_mutex_unlock(&l->lock);
    return rc;
}

bool revoke_list_contains(struct revoke_list *l, const char *id, size_t len, int64_t now)
{
    struct id_key k = {id, len};
    struct htab_node *node;
    bool found = false;
    if (len == 0 || len > REVOKE_ID_MAX)
        return false;
    pthread_mutex_lock(&l->lock);
    node = htab_find(&l->h, htab_hash_bytes(l->key, id, len), id_eq, &k);
    if (node != NULL) {
        struct revoked *r = htab_entry(node, struct revoked, node);
        if (r->until > now)
            found = true;
        else
            drop(l, r);
    }
    pthread_mutex_unlock(&l->lock);
    return found;
}
