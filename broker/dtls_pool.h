/* dtls_pool: per-call DTLS identities generated ahead of need by one
 * background thread, so a call set-up does not wait for key generation.
 *
 * Every identity is handed out exactly once (taken out of the pool and
 * owned by the caller, who wipes it with dtls_id_free); nothing is written
 * to disk or Redis. When the pool is empty, or capacity is 0 (no thread),
 * dtls_pool_take generates inline. Keys wait in memory only until taken;
 * dtls_pool_free wipes those never taken. Thread-safe. */
#ifndef UMBRA_BROKER_DTLS_POOL_H
#define UMBRA_BROKER_DTLS_POOL_H

#include <stddef.h>

#include "dtls_id.h"

struct dtls_pool;

/* NULL when out of memory or the thread cannot start. */
struct dtls_pool *dtls_pool_new(size_t capacity);
void dtls_pool_free(struct dtls_pool *p);
/* 0 and *out filled, or -1 with a reason in err. */
int dtls_pool_take(struct dtls_pool *p, struct dtls_id *out, char *err, size_t errlen);
/* Identities ready now; and how many takes had to generate inline. */
size_t dtls_pool_ready(struct dtls_pool *p);
unsigned long long dtls_pool_misses(struct dtls_pool *p);

#endif
