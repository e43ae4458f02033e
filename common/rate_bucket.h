/* rate_bucket: a token bucket (rate units per second, at most burst units
 * saved up), for the relay's bandwidth caps and its limit on
 * unauthenticated requests, and the broker's per-client request rate.
 *
 * Pure and tiny: the caller passes monotonic milliseconds and owns the
 * bucket; nothing here locks or allocates, so one thread may call it per
 * packet. Tokens are kept in thousandths, so slow rates checked often
 * (20 per second, every millisecond) still fill. */
#ifndef UMBRA_RATE_BUCKET_H
#define UMBRA_RATE_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct rate_bucket {
    uint64_t milli_tokens;
    int64_t last_ms;
};

/* A full bucket of burst units at now_ms. */
void rate_bucket_init(struct rate_bucket *b, uint64_t burst, int64_t now_ms);
/* Adds what rate units per second earned since the last refill, up to
 * burst; last_ms becomes now_ms (never goes back). */
void rate_bucket_refill(struct rate_bucket *b, uint64_t rate, uint64_t burst, int64_t now_ms);
/* True when burst units are saved up: nothing lost by starting afresh. */
bool rate_bucket_full(const struct rate_bucket *b, uint64_t burst);
/* Milliseconds until n units are saved up at rate (> 0); 0 when they are. */
uint64_t rate_bucket_wait_ms(const struct rate_bucket *b, uint64_t rate, uint64_t n);
/* Refills for the time since the last call (rate units per second, capped
 * at burst), then takes n units if there are that many: true when taken,
 * false when the caller is over the rate (nothing is taken then). */
bool rate_bucket_take(struct rate_bucket *b, uint64_t rate, uint64_t burst, uint64_t n,
                      int64_t now_ms);

#endif
