/* alloc_table: see alloc_table.h. */
#include "alloc_table.h"

#include <string.h>

#include "allocation.h"

struct tuple_key {
    const struct umbra_addr *client;
    const struct client_transport *transport;
};

static uint64_t tuple_hash(const struct alloc_table *t, const struct umbra_addr *client,
                           const struct client_transport *transport)
{
    uintptr_t v = (uintptr_t)transport;
    return addr_hash(client, t->hash_key) ^ ((uint64_t)v * 0x9E3779B97F4A7C15ull);
}

static int tuple_eq(const struct htab_node *node, const void *key)
{
    const struct allocation *a = htab_entry(node, struct allocation, node);
    const struct tuple_key *k = key;
    return a->path.transport == k->transport && addr_equal(&a->path.client, k->client);
}

static int relayed_eq(const struct htab_node *node, const void *key)
{
    return addr_equal(&htab_entry(node, struct allocation, relayed_node)->relayed, key);
}

int alloc_table_init(struct alloc_table *t, const unsigned char *hash_key)
{
    t->hash_key = hash_key;
    if (htab_init(&t->h, 256) != 0)
        return -1;
    if (htab_init(&t->relayed, 256) != 0) {
        htab_free(&t->h);
        return -1;
    }
    return 0;
}

struct allocation *alloc_table_find_relayed(const struct alloc_table *t,
                                            const struct umbra_addr *addr)
{
    struct htab_node *node = htab_find(&t->relayed, addr_hash(addr, t->hash_key), relayed_eq, addr);
    return node != NULL ? htab_entry(node, struct allocation, relayed_node) : NULL;
}

void alloc_table_free(struct alloc_table *t, alloc_table_end_fn end, void *ctx)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, &t->h);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct allocation *a = htab_entry(node, struct allocation, node);
        alloc_table_remove(t, a);
        end(ctx, a);
    }
    htab_free(&t->h);
    htab_free(&t->relayed);
}

struct allocation *alloc_table_find(const struct alloc_table *t, const struct umbra_addr *client,
                                    const struct client_transport *transport)
{
    struct tuple_key k = {client, transport};
    struct htab_node *node = htab_find(&t->h, tuple_hash(t, client, transport), tuple_eq, &k);
    return node != NULL ? htab_entry(node, struct allocation, node) : NULL;
}

void alloc_table_insert(struct alloc_table *t, struct allocation *a)
{
    htab_insert(&t->h, &a->node, tuple_hash(t, &a->path.client, a->path.transport));
    htab_insert(&t->relayed, &a->relayed_node, addr_hash(&a->relayed, t->hash_key));
}

void alloc_table_remove(struct alloc_table *t, struct allocation *a)
{
    htab_remove(&t->h, &a->node);
    htab_remove(&t->relayed, &a->relayed_node);
}

size_t alloc_table_sweep(struct alloc_table *t, int64_t now, alloc_table_end_fn end, void *ctx)
{
    struct htab_iter it;
    struct htab_node *node;
    size_t ended = 0;
    htab_iter_init(&it, &t->h);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct allocation *a = htab_entry(node, struct allocation, node);
        if (a->expires <= now) {
            alloc_table_remove(t, a);
            end(ctx, a);
            ended++;
            continue;
        }
        allocation_expire(a, now);
    }
    return ended;
}

size_t alloc_table_revoke(struct alloc_table *t, const char *id, size_t len, alloc_table_end_fn end,
                          void *ctx)
{
    struct htab_iter it;
    struct htab_node *node;
    size_t ended = 0;
    htab_iter_init(&it, &t->h);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct allocation *a = htab_entry(node, struct allocation, node);
        const char *aid;
        size_t alen;
        if (allocation_call_id(a, &aid, &alen) == 0 && alen == len && memcmp(aid, id, len) == 0) {
            alloc_table_remove(t, a);
            end(ctx, a);
            ended++;
        }
    }
    return ended;
}
