/* unauth_limit: per-source token buckets for requests the relay answers
 * without valid MESSAGE-INTEGRITY (the first Allocate of a client, bad
 * credentials, malformed requests that still get an error), so that a
 * flood of them costs little and is not answered beyond a rate: no
 * amplification, no reflection at a spoofed source.
 *
 * A source is an IPv4 address or an IPv6 /64, known only by a keyed hash
 * (random key per table): the table never holds an address. The table has
 * a fixed number of entries, allocated once: 8-way sets picked by the
 * hash, a new source replacing the entry of its set seen longest ago, so a
 * flood of random sources cannot grow memory (it can only push out older
 * sources, which then start again with a full bucket).
 *
 * One table belongs to one worker thread; nothing here locks, and after
 * unauth_limit_init() nothing allocates. */
#ifndef UMBRA_UNAUTH_LIMIT_H
#define UMBRA_UNAUTH_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "rate_bucket.h"

#define UNAUTH_LIMIT_WAYS 8

struct unauth_entry {
    uint64_t tag; /* keyed hash of the source; 0: free */
    int64_t seen_ms;
    struct rate_bucket bucket;
};

struct unauth_limit {
    uint64_t rate, burst; /* requests per second and saved up; rate 0: off */
    size_t n_sets;        /* a power of two */
    struct unauth_entry *e;
    size_t used;      /* entries holding a source */
    uint64_t evicted; /* sources pushed out by newer ones */
    unsigned char key[ADDR_HASH_KEY_BYTES];
};

/* A table of about max_sources entries (rounded up to a power of two
 * times UNAUTH_LIMIT_WAYS). rate 0 turns the limit off and allocates
 * nothing. Returns 0 or -1 (out of memory). */
int unauth_limit_init(struct unauth_limit *l, uint64_t rate, uint64_t burst, size_t max_sources);
void unauth_limit_free(struct unauth_limit *l);
/* Takes one token from source's bucket: true when a request from it may be
 * answered now, false when it is over the limit. */
bool unauth_limit_allow(struct unauth_limit *l, const struct umbra_addr *source, int64_t now_ms);
/* Entries the table can hold. */
size_t unauth_limit_capacity(const struct unauth_limit *l);

#endif
