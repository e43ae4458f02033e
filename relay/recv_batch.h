/* recv_batch: recvmmsg() slots and the loop that reads one socket into
 * them, shared by the client listener's UDP sockets and the allocations'
 * relayed sockets (one batch per worker: both run on its thread and never
 * at once).
 *
 * Datagram i sits RECV_BATCH_HEADROOM bytes into its slot, so a header
 * (ChannelData) can be put in front of it in place, and has 3 spare bytes
 * after it. recv_batch_for_each() is inline so that the callbacks of each
 * caller inline into its loop: no call through a pointer per datagram.
 *
 * Layer 1: uses addr. */
#ifndef UMBRA_RECV_BATCH_H
#define UMBRA_RECV_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "addr.h"

/* Datagrams per recvmmsg() call. */
#define RECV_BATCH_SIZE 32
/* Room before a datagram for a header, and the size of a slot: headroom,
 * the largest datagram (a STUN message of 65535 + 20 bytes) and spare. */
#define RECV_BATCH_HEADROOM 64
#define RECV_BATCH_SLOT (RECV_BATCH_HEADROOM + 65535 + 20 + 8)

struct recv_batch {
    struct mmsghdr *mm;
    struct iovec *iov;
    struct sockaddr_storage *from;
    uint8_t *slots;
};

/* 0 or -1 (out of memory). */
int recv_batch_init(struct recv_batch *rb);
void recv_batch_free(struct recv_batch *rb);
/* Reads up to RECV_BATCH_SIZE datagrams from fd into the slots. Returns
 * the count (0 when none or on error). The slots stay valid until the next
 * call. */
int recv_batch_read(struct recv_batch *rb, int fd);

/* What a for_each reports: a datagram (data points into its slot, 3 spare
 * bytes after it), one that was truncated or whose source is unusable, and
 * the end of a batch (the slots are reused next: send what points into
 * them). */
struct recv_batch_ops {
    void (*datagram)(void *ctx, const struct umbra_addr *from, uint8_t *data, size_t len);
    void (*bad)(void *ctx);
    void (*done)(void *ctx);
};

/* Reads fd in up to rounds batches (fewer when a batch is not full, so one
 * busy socket cannot starve the others), reporting each datagram. */
static inline void recv_batch_for_each(struct recv_batch *rb, int fd, int rounds,
                                       const struct recv_batch_ops *ops, void *ctx)
{
    for (int round = 0; round < rounds; round++) {
        int n = recv_batch_read(rb, fd);
        for (int i = 0; i < n; i++) {
            struct umbra_addr from;
            if ((rb->mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
                addr_from_sockaddr(&from, (struct sockaddr *)&rb->from[i],
                                   rb->mm[i].msg_hdr.msg_namelen) != 0) {
                ops->bad(ctx);
                continue;
            }
            ops->datagram(ctx, &from, rb->iov[i].iov_base, rb->mm[i].msg_len);
        }
        ops->done(ctx);
        if (n < RECV_BATCH_SIZE)
            return;
    }
}

#endif
