/* load_stats: what umbra-load measures, kept per worker thread and merged
 * by main.
 *
 * A load_bucket holds the counters and a latency histogram for one slice of
 * the run: one reporting interval (time series), or one epoch (the whole
 * run, or one step of --find-max). A worker owns its buckets and is their
 * only writer; main reads them after the worker has closed the epoch (see
 * load_worker.h) or has exited. Histograms are log-linear: 16 sub-buckets
 * per power of two, so any percentile is within 1/16 of the true value. */
#ifndef UMBRA_LOAD_STATS_H
#define UMBRA_LOAD_STATS_H

#include <stddef.h>
#include <stdint.h>

#define LOAD_HIST_SUB_BITS 4
#define LOAD_HIST_BUCKETS 512 /* covers 0 .. 2^31 units */

struct load_hist {
    uint64_t count;
    uint64_t max;
    uint64_t bucket[LOAD_HIST_BUCKETS];
};

void load_hist_add(struct load_hist *h, uint64_t value);
void load_hist_merge(struct load_hist *into, const struct load_hist *from);
/* The value below which a fraction q (0..1) of the samples fall; 0 when
 * empty. Reports the upper edge of the bucket, capped at the maximum seen. */
uint64_t load_hist_quantile(const struct load_hist *h, double q);

struct load_bucket {
    uint64_t sent;       /* SRTP packets handed to the kernel */
    uint64_t sent_bytes; /* their SRTP size (what the relay carries) */
    uint64_t delivered;  /* received and unprotected */
    uint64_t delivered_bytes;
    uint64_t corrupt;            /* received but failed SRTP authentication */
    uint64_t replayed;           /* duplicates or older than the replay window */
    uint64_t reordered;          /* arrived after a later packet of its stream */
    uint64_t send_drops;         /* the socket refused them (EAGAIN, full buffer) */
    uint64_t late;               /* arrived after their epoch was closed */
    uint64_t jitter_sum_ns;      /* RFC 3550 jitter of the stream, summed per packet */
    struct load_hist latency_us; /* one-way, from the send time in the payload */
};

void load_bucket_merge(struct load_bucket *into, const struct load_bucket *from);
/* Packets neither delivered nor counted corrupt or replayed. */
uint64_t load_bucket_lost(const struct load_bucket *b);

/* Set-up figures: one sample per allocation and per call. */
struct load_setup {
    uint64_t allocations_ok;
    uint64_t allocations_failed;
    uint64_t calls_ok;
    uint64_t calls_failed;
    uint64_t retransmits;
    int64_t first_start_ns;    /* first Allocate sent (0 if none) */
    int64_t last_done_ns;      /* last allocation finished */
    struct load_hist alloc_us; /* first Allocate to success response */
    struct load_hist call_us;  /* first Allocate to both channels bound */
};

void load_setup_merge(struct load_setup *into, const struct load_setup *from);

/* RFC 3550 §6.4.1 interarrival jitter of one received stream. */
struct load_jitter {
    int64_t last_transit_ns;
    int64_t jitter_ns;
    int have;
};
void load_jitter_update(struct load_jitter *j, int64_t send_ns, int64_t recv_ns);

#endif
