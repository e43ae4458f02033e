/* allocation: one TURN allocation (RFC 8656 §2.2): the client's 5-tuple,
 * its relayed UDP socket, its credentials, lifetime, permissions and
 * channels, and its bandwidth-limit.
 *
 * An allocation belongs to one worker and reaches it only through a small
 * I/O interface (struct alloc_io, owned by the worker): the event base that
 * watches its relayed socket, the pool and quota it gives back, the
 * metrics it counts in, and two callbacks up: its relayed socket is
 * readable, and "flush what points at my socket" before it closes. It owns
 * its relayed socket and its port in the pool (given back by
 * allocation_free).
 *
 * Layer 2: uses client_path, permission, channel, htab, rate_bucket,
 * relay_addr, quota, metrics, clock, stun_msg (constants), turn_rest. */
#ifndef UMBRA_ALLOCATION_H
#define UMBRA_ALLOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "channel.h"
#include "htab.h"
#include "client_path.h"
#include "permission.h"
#include "rate_bucket.h"
#include "relay_addr.h"
#include "stun_msg.h"
#include "turn_rest.h"

#define ALLOC_DEFAULT_LIFETIME 600
#define ALLOC_MAX_LIFETIME 3600
#define ALLOC_USER_MAX 513

struct event;
struct event_base;
struct metrics_thread;
struct quota;
struct allocation;

/* What an allocation uses of its worker. Filled by the worker and
 * outliving its allocations. */
struct alloc_io {
    struct event_base *base;
    struct metrics_thread *metrics;
    struct relay_addr_pool *pool;
    struct quota *quota;
    const unsigned char *hash_key; /* for its permission and channel tables */
    uint64_t bandwidth;            /* bandwidth-limit: bytes/s, 0 for none */
    uint64_t bandwidth_burst;
    /* The relayed socket fd of a has datagrams to read. */
    void (*readable)(void *ctx, struct allocation *a, int fd);
    /* Send whatever points at the allocation's socket: it closes next. */
    void (*flush)(void *ctx);
    void *ctx;
};

struct allocation {
    struct htab_node node;         /* in the worker's alloc_table, by 5-tuple */
    struct htab_node relayed_node; /* and by relayed address */
    const struct alloc_io *io;
    struct client_path path; /* path.client + path.transport: the 5-tuple */
    struct umbra_addr relayed;
    int fd;
    struct event *ev;
    int64_t expires;                  /* monotonic seconds */
    int64_t cred_expiry;              /* wall seconds of a REST credential, or 0 */
    uint8_t txid[STUN_TXID_LEN];      /* of the Allocate, to answer a retransmit */
    uint8_t txid_base[STUN_TXID_LEN]; /* Data indication ids count from it */
    uint64_t txid_count;
    bool has_token;
    uint8_t token[RELAY_ADDR_TOKEN_LEN];
    size_t user_len;
    char user[ALLOC_USER_MAX];
    struct turn_rest_claims claims; /* call and party of a sealed username */
    uint8_t key[32];
    size_t key_len;
    struct perm_table perms;
    struct chan_table chans;
    /* bandwidth-limit, one bucket per direction, in application bytes;
     * touched only by the worker's thread. */
    struct rate_bucket bw_to_peer;
    struct rate_bucket bw_to_client;
};

/* Takes ownership of lease (socket and port). user, claims and key are
 * copied. */
struct allocation *allocation_new(const struct alloc_io *io, const struct client_path *path,
                                  struct relay_addr_lease *lease, const char *user, size_t user_len,
                                  const struct turn_rest_claims *claims, const uint8_t *key,
                                  size_t key_len);
/* Flushes through io, closes the socket, gives the port and quota back,
 * wipes the key. Does not touch the alloc_table or the client's path. */
void allocation_free(struct allocation *a);
/* The call id of a sealed username (from its claims); -1 for a plain REST
 * name or a static user, which have none. */
int allocation_call_id(const struct allocation *a, const char **id, size_t *len);
/* bandwidth-limit for one direction (a->bw_to_peer or a->bw_to_client):
 * true when len bytes may pass now. Without a limit, no clock is read. */
bool allocation_bandwidth_ok(struct allocation *a, struct rate_bucket *b, size_t len);
/* Drops expired permissions and channels, keeping the gauges. */
void allocation_expire(struct allocation *a, int64_t now);

#endif
