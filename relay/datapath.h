/* datapath: a worker's allocations and the packets between their clients
 * and peers: ChannelData and Send indications from clients, datagrams read
 * from relayed sockets, datagrams other workers handed over, and their
 * delivery (to the client of an allocation of the same worker at once, to
 * another worker's handoff ring, or through the kernel), within
 * permissions, media-only (media_filter.h: on what clients send, and on
 * datagrams read from relayed sockets) and bandwidth-limit. It also ends
 * allocations (expiry, revocation, Refresh to 0, a closed connection).
 *
 * It reaches its worker only through hooks (a relayed socket is readable,
 * a datagram for another worker, a flush happened); answers and data leave
 * through its egress. Everything here runs on the worker's thread and
 * allocates nothing per packet.
 *
 * Layer 3: uses alloc_table, allocation, egress, recv_batch, relay_shared,
 * peer_policy, relay_addr, media_filter, metrics, clock, stun_msg. */
#ifndef UMBRA_DATAPATH_H
#define UMBRA_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "alloc_table.h"
#include "allocation.h"
#include "client_path.h"
#include "egress.h"
#include "peer_policy.h"
#include "recv_batch.h"
#include "stun_msg.h"

struct relay_shared;
struct metrics_thread;
struct event_base;

/* Room for an answer or a Data indication being built (and 3 spare bytes
 * for stream padding). */
#define DATAPATH_TX_SIZE (RECV_BATCH_HEADROOM + STUN_MAX_MSG + 8)

struct datapath_hooks {
    /* The relayed socket fd of a is readable; the worker brackets
     * datapath_peer_read() with its own bookkeeping. */
    void (*readable)(void *ctx, struct allocation *a, int fd);
    /* Hands a datagram from relayed address src, sent to dst (a relayed
     * address held by worker owner), to that worker. Returns 0 when handed
     * over or dropped (counted), -1 when the kernel must carry it. */
    int (*handoff)(void *ctx, unsigned owner, const struct umbra_addr *dst,
                   const struct umbra_addr *src, const uint8_t *data, size_t len);
    /* After each flush of the egress. */
    void (*flushed)(void *ctx);
    void *ctx;
};

struct datapath {
    const struct relay_shared *sh;
    struct metrics_thread *metrics; /* the worker's */
    struct recv_batch *rx;          /* the worker's, shared with its listener */
    struct datapath_hooks hooks;
    bool media_only; /* the configuration's, kept beside the packet path */
    struct alloc_table allocs;
    struct egress out;
    struct alloc_io io; /* what its allocations use */
    uint8_t tx[DATAPATH_TX_SIZE];
};

/* Sets up the table and the egress (without GSO: egress_set_gso once a
 * socket can be probed). 0 or -1. */
int datapath_init(struct datapath *dp, const struct relay_shared *sh, struct event_base *base,
                  struct metrics_thread *metrics, struct recv_batch *rx,
                  const unsigned char *hash_key, const struct datapath_hooks *hooks);
/* Ends every allocation, then frees the table and egress. */
void datapath_free(struct datapath *dp);

/* Inserts a new allocation; a stream connection now carries it. */
void datapath_insert(struct datapath *dp, struct allocation *a);
/* Removes a from the table, detaches it from its connection, frees it. */
void datapath_end(struct datapath *dp, struct allocation *a);
/* Ends expired allocations and drops expired permissions and channels.
 * Returns the number of allocations ended. */
size_t datapath_sweep(struct datapath *dp, int64_t now);
/* Ends every allocation whose REST username carries this call id. */
size_t datapath_revoke(struct datapath *dp, const char *id, size_t len);

/* A ChannelData message from a client (buf writable, 3 spare bytes). */
void datapath_channel_data(struct datapath *dp, const struct client_path *p, const uint8_t *buf,
                           size_t len);
/* A Send indication from a client, parsed from a writable buffer. */
void datapath_send_indication(struct datapath *dp, const struct client_path *p,
                              const struct stun_msg *m);
/* Reads the relayed socket fd of a and delivers what came. */
void datapath_peer_read(struct datapath *dp, struct allocation *a, int fd);
/* A datagram another worker handed over (handoff.h record); data has the
 * scratch space datapath_deliver needs. */
void datapath_handoff_in(struct datapath *dp, const struct umbra_addr *dst,
                         const struct umbra_addr *src, uint8_t *data, size_t len);
/* Delivers data that came from peer to the relayed address of a, as if read
 * from the relayed socket: permission check, bandwidth-limit, then
 * ChannelData or a Data indication to the client. The 4 bytes before data
 * and the 3 after it are scratch space, and data must stay valid until the
 * egress flush. */
void datapath_deliver(struct datapath *dp, struct allocation *a, const struct umbra_addr *peer,
                      uint8_t *data, size_t len);
/* Relays data from the client of a to peer, within media-only and
 * bandwidth-limit: to an
 * allocation of the same worker straight to its client, to one of another
 * worker through the handoff hook, otherwise through the egress; the 4
 * bytes before data and the 3 after it are scratch space, and data must
 * stay valid until the flush. */
void datapath_to_peer(struct datapath *dp, struct allocation *a, const struct umbra_addr *peer,
                      uint8_t *data, size_t len);
/* Counts a refused peer under its reason. */
void datapath_count_denial(struct metrics_thread *m, enum peer_verdict v);

#endif
