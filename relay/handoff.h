/* handoff: datagrams from an allocation of one worker to the relayed
 * address of an allocation of another worker, passed between the two
 * threads in memory instead of through the kernel (a sendto() on one
 * relayed socket and a recvfrom() on the other cost a loopback round trip
 * each; this costs a copy).
 *
 * One handoff_ring per ordered pair of workers: a single-producer,
 * single-consumer byte ring of records (destination, source, datagram).
 * Only the producing worker calls handoff_push(); only the consuming worker
 * calls handoff_peek() and handoff_release(). Indices are C11 atomics
 * (release on publish, acquire on read); nothing here takes a lock or
 * allocates after handoff_ring_init(). A record's datagram has 4 writable
 * bytes before it and 3 after it, as a received datagram in a slot has, so
 * the consumer may put a ChannelData header in front of it in place. A
 * full ring refuses the datagram, as a full socket buffer would drop it. */
#ifndef UMBRA_HANDOFF_H
#define UMBRA_HANDOFF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define HANDOFF_RING_BYTES (512 * 1024)

struct handoff_ring {
    _Atomic size_t head; /* bytes published by the producer */
    char pad1[64 - sizeof(size_t)];
    _Atomic size_t tail; /* bytes released by the consumer */
    char pad2[64 - sizeof(size_t)];
    size_t cap; /* a power of two */
    uint8_t *buf;
};

/* One record as the consumer sees it; data points into the ring and stays
 * valid until handoff_release() of this record or a later one. */
struct handoff_rec {
    struct umbra_addr dst; /* the relayed address it was sent to */
    struct umbra_addr src; /* the relayed address it came from */
    uint8_t *data;
    size_t len;
    size_t end; /* ring position after this record, for handoff_release */
};

/* cap is rounded up to a power of two. Returns 0 or -1. */
int handoff_ring_init(struct handoff_ring *r, size_t cap);
void handoff_ring_free(struct handoff_ring *r);
/* Producer: copies the datagram in. Returns 0, or -1 when the ring is full
 * or the datagram cannot be a record (over 65535 bytes). */
int handoff_push(struct handoff_ring *r, const struct umbra_addr *dst, const struct umbra_addr *src,
                 const uint8_t *data, size_t len);
/* Consumer: the record at position *pos (start with handoff_consumer_pos),
 * advancing *pos past it. Returns false when there is none yet. */
size_t handoff_consumer_pos(const struct handoff_ring *r);
bool handoff_peek(struct handoff_ring *r, size_t *pos, struct handoff_rec *out);
/* Consumer: gives the ring space up to position pos back to the producer. */
void handoff_release(struct handoff_ring *r, size_t pos);

/* Waking the consumer. The producer notes handoff_producer_pos() before
 * the first push of a batch and, after the batch, wakes the consumer only
 * when handoff_needs_wake() says so: when the consumer had released
 * everything before the batch and may be asleep. A consumer that still
 * held older records is awake and sees the batch, because it releases with
 * handoff_release_check() and carries on while that returns true (records
 * arrived meanwhile). Both use sequentially consistent fences, so of a
 * producer that saw an old tail and a consumer that saw an old head, at
 * most one can have happened. */
size_t handoff_producer_pos(const struct handoff_ring *r);
/* Consumer: true when records wait beyond what it released. */
bool handoff_pending(struct handoff_ring *r);
bool handoff_needs_wake(struct handoff_ring *r, size_t batch_start);
bool handoff_release_check(struct handoff_ring *r, size_t pos);

#endif
