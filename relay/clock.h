/* clock: the relay's three clocks, cheap enough to read per packet.
 *
 * Layer 0 (a leaf): uses nothing of the project. */
#ifndef UMBRA_CLOCK_H
#define UMBRA_CLOCK_H

#include <stdint.h>

/* Monotonic seconds, for lifetimes. */
int64_t clock_now(void);
/* Monotonic milliseconds (coarse: a few ms), for rate buckets. */
int64_t clock_now_ms(void);
/* Wall-clock seconds, for REST credential expiry. */
int64_t clock_wall(void);

#endif
