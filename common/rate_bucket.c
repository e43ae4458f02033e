/* rate_bucket: see rate_bucket.h. */
#include "rate_bucket.h"

/* Rates and bursts are bounded by the configuration (relay_config.c); the
 * elapsed time is capped so rate * elapsed cannot overflow. */
#define RATE_BUCKET_MAX_ELAPSED_MS (1000LL * 3600)

void rate_bucket_init(struct rate_bucket *b, uint64_t burst, int64_t now_ms)
{
    b->milli_tokens = burst * 1000;
    b->last_ms = now_ms;
}

void rate_bucket_refill(struct rate_bucket *b, uint64_t rate, uint64_t burst, int64_t now_ms)
{
    uint64_t cap = burst * 1000;
    int64_t elapsed = now_ms - b->last_ms;

    if (elapsed <= 0)
        return;
    if (elapsed > RATE_BUCKET_MAX_ELAPSED_MS)
        elapsed = RATE_BUCKET_MAX_ELAPSED_MS;
    /* rate units per second are rate thousandths per millisecond. */
    b->milli_tokens += rate * (uint64_t)elapsed;
    if (b->milli_tokens > cap)
        b->milli_tokens = cap;
    b->last_ms = now_ms;
}

bool rate_bucket_full(const struct rate_bucket *b, uint64_t burst)
{
    return b->milli_tokens >= burst * 1000;
}

uint64_t rate_bucket_wait_ms(const struct rate_bucket *b, uint64_t rate, uint64_t n)
{
    uint64_t cost = n * 1000;
    if (b->milli_tokens >= cost)
        return 0;
    return (cost - b->milli_tokens + rate - 1) / rate;
}

bool rate_bucket_take(struct rate_bucket *b, uint64_t rate, uint64_t burst, uint64_t n,
                      int64_t now_ms)
{
    uint64_t cost = n * 1000;

    rate_bucket_refill(b, rate, burst, now_ms);
    if (b->milli_tokens < cost)
        return false;
    b->milli_tokens -= cost;
    return true;
}
