/* permission: see permission.h. */
#include "permission.h"

#include <stdlib.h>

struct perm {
    struct htab_node node;
    struct umbra_addr ip; /* port 0 */
    int64_t expires;
};

static void ip_only(const struct umbra_addr *in, struct umbra_addr *out)
{
    *out = *in;
    addr_set_port(out, 0);
}

static int perm_eq(const struct htab_node *node, const void *key)
{
    return addr_equal_ip(&htab_entry(node, struct perm, node)->ip, key);
}

int perm_table_init(struct perm_table *t, const unsigned char *hash_key)
{
    t->hash_key = hash_key;
    return htab_init(&t->h, 4);
}

void perm_table_free(struct perm_table *t)
{
    struct htab_iter it;
    struct htab_node *node;
    htab_iter_init(&it, &t->h);
    while ((node = htab_iter_next(&it)) != NULL)
        free(htab_entry(node, struct perm, node));
    htab_free(&t->h);
}

static struct perm *lookup(const struct perm_table *t, const struct umbra_addr *peer)
{
    struct umbra_addr ip;
    struct htab_node *node;
    ip_only(peer, &ip);
    node = htab_find(&t->h, addr_hash(&ip, t->hash_key), perm_eq, &ip);
    return node != NULL ? htab_entry(node, struct perm, node) : NULL;
}

int perm_install(struct perm_table *t, const struct umbra_addr *peer, int64_t now)
{
    struct perm *p = lookup(t, peer);
    if (p != NULL) {
        p->expires = now + PERM_LIFETIME;
        return 0;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    ip_only(peer, &p->ip);
    p->expires = now + PERM_LIFETIME;
    htab_insert(&t->h, &p->node, addr_hash(&p->ip, t->hash_key));
    return 1;
}

bool perm_allows(const struct perm_table *t, const struct umbra_addr *peer, int64_t now)
{
    const struct perm *p = lookup(t, peer);
    return p != NULL && p->expires > now;
}

size_t perm_expire(struct perm_table *t, int64_t now)
{
    struct htab_iter it;
    struct htab_node *node;
    size_t n = 0;
    htab_iter_init(&it, &t->h);
    while ((node = htab_iter_next(&it)) != NULL) {
        struct perm *p = htab_entry(node, struct perm, node);
        if (p->expires <= now) {
            htab_remove(&t->h, node);
            free(p);
            n++;
        }
    }
    return n;
}

size_t perm_count(const struct perm_table *t)
{
    return t->h.count;
}

bool perm_known(const struct perm_table *t, const struct umbra_addr *peer)
{
    return lookup(t, peer) != NULL;
}
