/* egress: what a worker sends while it handles one receive batch: UDP
 * datagrams to clients and peers in a send_batch (one sendmmsg() per socket
 * at the flush), copies of small messages built in a scratch buffer, and
 * stream writes.
 *
 * The owner flushes at the end of each receive batch and before anything
 * the batch points into changes (egress_flush); the flush counts what left
 * in the worker's metrics and then calls the owner's flushed hook. One
 * egress belongs to one thread; nothing here allocates after init.
 *
 * Layer 1: uses client_path, send_batch, metrics. */
#ifndef UMBRA_EGRESS_H
#define UMBRA_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "client_path.h"
#include "send_batch.h"

/* Copies of small messages waiting in the send batch (egress_send). */
#define EGRESS_COPY_SLOTS 64
#define EGRESS_COPY_SIZE 1536
/* Peer data is dropped when a stream client is this far behind. */
#define EGRESS_STREAM_BACKLOG (1024 * 1024)

/* Send batch tags (send_batch.h): how the flush counts a datagram. */
enum egress_tag {
    EGRESS_TAG_OTHER,            /* only a drop is counted (congested) */
    EGRESS_TAG_CHANNEL_TO_CLIENT /* ChannelData to a UDP client: 4-byte header */
};

struct metrics_thread;

struct egress {
    struct send_batch batch;
    uint8_t *copy; /* EGRESS_COPY_SLOTS copies; n_copy in use until the flush */
    size_t n_copy;
    struct metrics_thread *metrics; /* not owned */
    void (*flushed)(void *ctx);     /* after each flush, or NULL */
    void *flushed_ctx;
};

/* gso: see send_batch_init. 0 or -1 (out of memory). */
int egress_init(struct egress *e, struct metrics_thread *metrics, bool gso);
void egress_free(struct egress *e);
/* Whether the batch builds GSO messages (send_batch_gso_probe); only
 * while it is empty. */
void egress_set_gso(struct egress *e, bool gso);
/* Sends a STUN message or ChannelData to the client: to a UDP client a
 * copy joins the batch when it is small (EGRESS_COPY_SIZE) and there is
 * room, otherwise it is sent at once after what the batch holds, so a flow
 * keeps its order; buf may be reused on return. Stream paths pad
 * ChannelData to 4 bytes: buf must have 3 spare bytes after len. Returns 0
 * (sent or queued) or -1 (dropped). */
int egress_send(struct egress *e, const struct client_path *p, uint8_t *buf, size_t len,
                bool channel_data);
/* Sends a ChannelData frame (channel header included in len) to the client:
 * UDP clients through the batch, so frame must stay valid until the flush;
 * stream clients at once as egress_send(). Counts the packet to the client
 * when it leaves. */
void egress_send_channel_data(struct egress *e, const struct client_path *p, uint8_t *frame,
                              size_t len);
/* Queues a datagram to a peer on a relayed socket; data must stay valid
 * until the flush. */
void egress_to_peer(struct egress *e, int fd, const struct umbra_addr *peer, const uint8_t *data,
                    size_t len);
/* Sends what the batch holds, counts it, then calls the flushed hook. */
void egress_flush(struct egress *e);

#endif
