/* unauth_limit: see unauth_limit.h. */
#include "unauth_limit.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int unauth_limit_init(struct unauth_limit *l, uint64_t rate, uint64_t burst, size_t max_sources)
{
    size_t sets = 1;
    memset(l, 0, sizeof(*l));
    l->rate = rate;
    l->burst = burst;
    if (rate == 0)
        return 0;
    while (sets * UNAUTH_LIMIT_WAYS < max_sources)
        sets *= 2;
    l->e = calloc(sets * UNAUTH_LIMIT_WAYS, sizeof(*l->e));
    if (l->e == NULL)
        return -1;
    l->n_sets = sets;
    randombytes_buf(l->key, sizeof(l->key));
    return 0;
}

void unauth_limit_free(struct unauth_limit *l)
{
    free(l->e);
    sodium_memzero(l, sizeof(*l));
}

size_t unauth_limit_capacity(const struct unauth_limit *l)
{
    return l->n_sets * UNAUTH_LIMIT_WAYS;
}

bool unauth_limit_allow(struct unauth_limit *l, const struct umbra_addr *source, int64_t now_ms)
{
    uint64_t tag;
    struct unauth_entry *set, *victim;

    if (l->rate == 0)
        return true;
    tag = addr_hash_host(source, l->key);
    set = &l->e[(tag & (l->n_sets - 1)) * UNAUTH_LIMIT_WAYS];
    victim = &set[0];
    for (int i = 0; i < UNAUTH_LIMIT_WAYS; i++) {
        struct unauth_entry *e = &set[i];
        if (e->tag == tag) {
            e->seen_ms = now_ms;
            return rate_bucket_take(&e->bucket, l->rate, l->burst, 1, now_ms);
        }
        /* A free entry, else the one seen longest ago. */
        if (victim->tag != 0 && (e->tag == 0 || e->seen_ms < victim->seen_ms))
            victim = e;
    }
    if (victim->tag != 0)
        l->evicted++;
    else
        l->used++;
    victim->tag = tag;
    victim->seen_ms = now_ms;
    rate_bucket_init(&victim->bucket, l->burst, now_ms);
    return rate_bucket_take(&victim->bucket, l->rate, l->burst, 1, now_ms);
}
