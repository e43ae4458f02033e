/* load_clock: the one clock of umbra-load (CLOCK_MONOTONIC, nanoseconds).
 * Send times in packets use it, so one-way latency is exact on one host. */
#ifndef UMBRA_LOAD_CLOCK_H
#define UMBRA_LOAD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define LOAD_NS 1000000000LL

static inline int64_t load_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * LOAD_NS + ts.tv_nsec;
}

#endif
