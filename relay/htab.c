/* htab: see htab.h. */
#include "htab.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int htab_init(struct htab *h, size_t n_buckets_hint)
{
    size_t n = 16;
    while (n < n_buckets_hint)
        n <<= 1;
    h->buckets = calloc(n, sizeof(*h->buckets));
    h->n_buckets = h->buckets != NULL ? n : 0;
    h->count = 0;
    return h->buckets != NULL ? 0 : -1;
}

void htab_free(struct htab *h)
{
    free(h->buckets);
    h->buckets = NULL;
    h->n_buckets = 0;
    h->count = 0;
}

static int grow(struct htab *h)
{
    size_t n = h->n_buckets * 2;
    struct htab_node **nb = calloc(n, sizeof(*nb));
    if (nb == NULL)
        return -1;
    for (size_t i = 0; i < h->n_buckets; i++) {
        struct htab_node *node = h->buckets[i];
        while (node != NULL) {
            struct htab_node *next = node->next;
            size_t b = node->hash & (n - 1);
            node->next = nb[b];
            nb[b] = node;
            node = next;
        }
    }
    free(h->buckets);
    h->buckets = nb;
    h->n_buckets = n;
    return 0;
}

int htab_insert(struct htab *h, struct htab_node *node, uint64_t hash)
{
    size_t b;
    int rc = 0;
    if (h->count >= h->n_buckets)
        rc = grow(h);
    b = hash & (h->n_buckets - 1);
    node->hash = hash;
    node->next = h->buckets[b];
    h->buckets[b] = node;
    h->count++;
    return rc;
}

struct htab_node *htab_find(const struct htab *h, uint64_t hash, htab_eq_fn eq, const void *key)
{
    struct htab_node *node;
    if (h->n_buckets == 0)
        return NULL;
    for (node = h->buckets[hash & (h->n_buckets - 1)]; node != NULL; node = node->next)
        if (node->hash == hash && eq(node, key))
            return node;
    return NULL;
}

void htab_remove(struct htab *h, struct htab_node *node)
{
    struct htab_node **pp = &h->buckets[node->hash & (h->n_buckets - 1)];
    while (*pp != NULL) {
        if (*pp == node) {
            *pp = node->next;
            node->next = NULL;
            h->count--;
            return;
        }
        pp = &(*pp)->next;
    }
}

void htab_iter_init(struct htab_iter *it, const struct htab *h)
{
    it->h = h;
    it->bucket = 0;
    it->next = h->n_buckets > 0 ? h->buckets[0] : NULL;
}

struct htab_node *htab_iter_next(struct htab_iter *it)
{
    struct htab_node *node;
    while (it->next == NULL) {
        if (++it->bucket >= it->h->n_buckets)
            return NULL;
        it->next = it->h->buckets[it->bucket];
    }
    node = it->next;
    it->next = node->next;
    return node;
}

uint64_t htab_hash_bytes(const unsigned char key[HTAB_HASH_KEY_BYTES], const void *data, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t out;
    crypto_shorthash(h, data, len, key);
    memcpy(&out, h, sizeof(out));
    return out;
}
