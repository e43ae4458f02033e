/* channel: see channel.h. */
#include "channel.h"

#include <stdlib.h>

struct chan {
    struct htab_node by_num;
    struct htab_node by_peer;
    uint16_t number;
    struct umbra_addr peer;
    int64_t expires;
    bool counted_live; /* for chan_expire's accounting */
};

static uint64_t num_hash(uint16_t number)
{
    /* Numbers are chosen by the client but bounded to 16384 values; a
     * multiplicative spread is enough. */
    return (uint64_t)number * 0x9E3779B97F4A7C15ull;
}

static int num_eq(const struct htab_node *node, const void *key)
{
    return htab_entry(node, struct chan, by_num)->number == *(const uint16_t *)key;
}

static int peer_eq(const struct htab_node *node, const void *key)
{
    return addr_equal(&htab_entry(node, struct chan, by_peer)->peer, key);
}

int chan_table_init(struct chan_table *t, const unsigned char *hash_key)
{
    t->hash_key = hash_key;
    if (htab_init(&t->by_num, 4) != 0)
        return -1;
    if (htab_init(&t->by_peer, 4) != 0) {
        htab_free(&t->by_num);
        return -1;
    }
    return 0;
}

void chan_table_free(struct chan_table *t)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, &t->by_num);
    while ((node = htab_iter_next(&it)) != NULL)
        free(htab_entry(node, struct chan, by_num));
    htab_free(&t->by_num);
    htab_free(&t->by_peer);
}

static struct chan *by_num(const struct chan_table *t, uint16_t number)
{
    struct htab_node *n = htab_find(&t->by_num, num_hash(number), num_eq, &number);
    return n != NULL ? htab_entry(n, struct chan, by_num) : NULL;
}

static struct chan *by_peer(const struct chan_table *t, const struct umbra_addr *peer)
{
    struct htab_node *n = htab_find(&t->by_peer, addr_hash(peer, t->hash_key), peer_eq, peer);
    return n != NULL ? htab_entry(n, struct chan, by_peer) : NULL;
}

enum chan_bind_result chan_bind(struct chan_table *t, uint16_t number,
                                const struct umbra_addr *peer, int64_t now)
{
    struct chan *c = by_num(t, number);
    struct chan *p = by_peer(t, peer);
    if (c != NULL || p != NULL) {
        if (c != p)
            return CHAN_CONFLICT;
        c->expires = now + CHAN_LIFETIME;
        if (!c->counted_live) {
            c->counted_live = true;
            return CHAN_BOUND_NEW; /* alive again after cooldown */
        }
        return CHAN_REFRESHED;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return CHAN_NOMEM;
    c->number = number;
    c->peer = *peer;
    c->expires = now + CHAN_LIFETIME;
    c->counted_live = true;
    htab_insert(&t->by_num, &c->by_num, num_hash(number));
    htab_insert(&t->by_peer, &c->by_peer, addr_hash(peer, t->hash_key));
    return CHAN_BOUND_NEW;
}

const struct umbra_addr *chan_peer(const struct chan_table *t, uint16_t number, int64_t now)
{
    const struct chan *c = by_num(t, number);
    return c != NULL && c->expires > now ? &c->peer : NULL;
}

uint16_t chan_number(const struct chan_table *t, const struct umbra_addr *peer, int64_t now)
{
    const struct chan *c = by_peer(t, peer);
    return c != NULL && c->expires > now ? c->number : 0;
}

size_t chan_expire(struct chan_table *t, int64_t now)
{
    struct htab_iter it;
    struct htab_node *node;
    size_t n = 0;
    htab_iter_init(&it, &t->by_num);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct chan *c = htab_entry(node, struct chan, by_num);
        if (c->counted_live && c->expires <= now) {
            c->counted_live = false;
            n++;
        }
        if (c->expires + CHAN_COOLDOWN <= now) {
            htab_remove(&t->by_num, &c->by_num);
            htab_remove(&t->by_peer, &c->by_peer);
            free(c);
        }
    }
    return n;
}

size_t chan_live_count(const struct chan_table *t, int64_t now)
{
    struct htab_iter it;
    struct htab_node *node;
    size_t n = 0;
    htab_iter_init(&it, &t->by_num);
    while ((node = htab_iter_next(&it)) != NULL)
        if (htab_entry(node, struct chan, by_num)->expires > now)
            n++;
    return n;
}

size_t chan_count(const struct chan_table *t)
{
    return t->by_num.count;
}

bool chan_known(const struct chan_table *t, uint16_t number, const struct umbra_addr *peer)
{
    return by_num(t, number) != NULL || by_peer(t, peer) != NULL;
}
