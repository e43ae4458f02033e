/* load_stats: see load_stats.h. */
#include "load_stats.h"

#include <string.h>

static unsigned hist_index(uint64_t v)
{
    const unsigned sub = 1u << LOAD_HIST_SUB_BITS;
    unsigned e;
    unsigned idx;

    if (v < sub)
        return (unsigned)v;
    e = 63u - (unsigned)__builtin_clzll(v); /* v >= 16, so e >= 4 */
    idx = sub + (e - LOAD_HIST_SUB_BITS) * sub +
          (unsigned)((v >> (e - LOAD_HIST_SUB_BITS)) & (sub - 1));
    return idx < LOAD_HIST_BUCKETS ? idx : LOAD_HIST_BUCKETS - 1;
}

/* The largest value that falls into bucket idx. */
static uint64_t hist_upper(unsigned idx)
{
    const unsigned sub = 1u << LOAD_HIST_SUB_BITS;
    unsigned e, m;

    if (idx < sub)
        return idx;
    e = (idx - sub) / sub + LOAD_HIST_SUB_BITS;
    m = (idx - sub) % sub;
    return (((uint64_t)(sub + m + 1)) << (e - LOAD_HIST_SUB_BITS)) - 1;
}

void load_hist_add(struct load_hist *h, uint64_t value)
{
    h->bucket[hist_index(value)]++;
    h->count++;
    if (value > h->max)
        h->max = value;
}

void load_hist_merge(struct load_hist *into, const struct load_hist *from)
{
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t load_hist_quantile(const struct load_hist *h, double q)
{
    uint64_t rank, seen = 0;

    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen > rank) {
            uint64_t up = hist_upper(i);
            return up < h->max ? up : h->max;
        }
    }
    return h->max;
}

void load_bucket_merge(struct load_bucket *into, const struct load_bucket *from)
{
    into->sent += from->sent;
    into->sent_bytes += from->sent_bytes;
    into->delivered += from->delivered;
    into->delivered_bytes += from->delivered_bytes;
    into->corrupt += from->corrupt;
    into->replayed += from->replayed;
    into->reordered += from->reordered;
    into->send_drops += from->send_drops;
    into->late += from->late;
    into->jitter_sum_ns += from->jitter_sum_ns;
    load_hist_merge(&into->latency_us, &from->latency_us);
}

uint64_t load_bucket_lost(const struct load_bucket *b)
{
    uint64_t arrived = b->delivered + b->corrupt + b->replayed;
    return b->sent > arrived ? b->sent - arrived : 0;
}

void load_setup_merge(struct load_setup *into, const struct load_setup *from)
{
    into->allocations_ok += from->allocations_ok;
    into->allocations_failed += from->allocations_failed;
    into->calls_ok += from->calls_ok;
    into->calls_failed += from->calls_failed;
    into->retransmits += from->retransmits;
    if (from->first_start_ns != 0 &&
        (into->first_start_ns == 0 || from->first_start_ns < into->first_start_ns))
        into->first_start_ns = from->first_start_ns;
    if (from->last_done_ns > into->last_done_ns)
        into->last_done_ns = from->last_done_ns;
    load_hist_merge(&into->alloc_us, &from->alloc_us);
    load_hist_merge(&into->call_us, &from->call_us);
}

void load_jitter_update(struct load_jitter *j, int64_t send_ns, int64_t recv_ns)
{
    int64_t transit = recv_ns - send_ns;
    int64_t d;

    if (j->have) {
        d = transit - j->last_transit_ns;
        if (d < 0)
            d = -d;
        j->jitter_ns += (d - j->jitter_ns) / 16;
    }
    j->last_transit_ns = transit;
    j->have = 1;
}
