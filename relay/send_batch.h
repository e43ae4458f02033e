/* send_batch: outgoing UDP datagrams collected while a receive batch is
 * handled, then sent with one sendmmsg() per socket.
 *
 * The caller adds datagrams (socket, destination, bytes) and flushes once
 * at the end of its receive batch; a full batch flushes itself. The bytes
 * are not copied: they must stay valid and unchanged until the flush. The
 * batch keeps the order of the datagrams of each flow (socket and
 * destination); datagrams of different flows may leave in another order.
 *
 * With UDP GSO (UDP_SEGMENT, probed by send_batch_gso_probe), a run of
 * datagrams of one flow of equal size, the last of which may be shorter,
 * leaves as one message that the kernel cuts into those datagrams. A GSO
 * message the kernel refuses is sent again datagram by datagram.
 *
 * Each datagram carries a tag (below SEND_BATCH_TAGS) under which the flush
 * counts what was sent and what was dropped, so the owner can keep its
 * metrics. One batch belongs to one thread; nothing here allocates. */
#ifndef UMBRA_SEND_BATCH_H
#define UMBRA_SEND_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

#define SEND_BATCH_MAX 64
/* Datagrams in one GSO message at most (the kernel's UDP_MAX_SEGMENTS is
 * 64 or more), and the largest datagram GSO is used for: a larger one is
 * sent on its own, so GSO is never asked to exceed a link's MTU. */
#define SEND_BATCH_GSO_SEGMENTS 64
#define SEND_BATCH_GSO_SEGMENT_MAX 1400
#define SEND_BATCH_GSO_BYTES_MAX 65000
#define SEND_BATCH_TAGS 4

struct send_batch_entry {
    int fd;
    uint8_t tag;
    struct umbra_addr dest;
    const uint8_t *data;
    size_t len;
};

/* One message of a flush: entries first .. first+count-1 of the plan's
 * order; gso_size is 0 for a single datagram. */
struct send_batch_msg {
    size_t first;
    size_t count;
    uint16_t gso_size;
};

struct send_batch_stats {
    uint64_t pkts[SEND_BATCH_TAGS];
    uint64_t bytes[SEND_BATCH_TAGS];
    uint64_t dropped[SEND_BATCH_TAGS];
    uint64_t syscalls;
    uint64_t gso_msgs;
};

struct send_batch {
    bool gso;
    size_t n;
    struct send_batch_entry e[SEND_BATCH_MAX];
    struct send_batch_stats stats; /* the owner reads and resets these */
    /* flush scratch */
    size_t order[SEND_BATCH_MAX];
    struct send_batch_msg msgs[SEND_BATCH_MAX];
    struct mmsghdr mm[SEND_BATCH_MAX];
    struct iovec iov[SEND_BATCH_MAX];
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl[SEND_BATCH_MAX];
};

/* gso: whether to build GSO messages (see send_batch_gso_probe). */
void send_batch_init(struct send_batch *b, bool gso);
/* True when the kernel takes UDP_SEGMENT on this UDP socket. */
bool send_batch_gso_probe(int fd);
/* Queues one datagram; flushes first when the batch is full. */
void send_batch_add(struct send_batch *b, int fd, const struct umbra_addr *dest,
                    const uint8_t *data, size_t len, uint8_t tag);
/* Sends everything queued; the batch is empty afterwards. */
void send_batch_flush(struct send_batch *b);
/* Splits the n queued entries into messages without sending: fills
 * order[] (entry indices, grouped by socket, each flow in its order) and
 * msgs[] (runs of order[]), and returns the number of messages. Pure; the
 * flush uses it, tests check it. */
size_t send_batch_plan(const struct send_batch_entry *e, size_t n, bool gso,
                       size_t order[SEND_BATCH_MAX], struct send_batch_msg msgs[SEND_BATCH_MAX]);

#endif
