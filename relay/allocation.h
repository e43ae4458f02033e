/* allocation: one TURN allocation (RFC 8656 §2.2): the client's 5-tuple,
 * its relayed UDP socket, its credentials, lifetime, permissions and
 * channels, and the packet path between client and peers.
 *
 * An allocation belongs to one worker; it owns its relayed socket and its
 * port in the pool (given back by allocation_free). The socket's read
 * event lives on the worker's base. */
#ifndef UMBRA_ALLOCATION_H
#define UMBRA_ALLOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "channel.h"
#include "htab.h"
#include "listener.h"
#include "permission.h"
#include "rate_bucket.h"
#include "relay_addr.h"
#include "stun_msg.h"

#define ALLOC_DEFAULT_LIFETIME 600
#define ALLOC_MAX_LIFETIME 3600
#define ALLOC_USER_MAX 513

struct worker;
struct event;

struct allocation {
    struct htab_node node;         /* in the worker's alloc_table, by 5-tuple */
    struct htab_node relayed_node; /* and by relayed address */
    struct worker *w;
    struct client_path path; /* path.client + via is the 5-tuple */
    const void *via;
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
    uint8_t key[32];
    size_t key_len;
    struct perm_table perms;
    struct chan_table chans;
    /* bandwidth-limit, one bucket per direction, in application bytes;
     * touched only by the worker's thread. */
    struct rate_bucket bw_to_peer;
    struct rate_bucket bw_to_client;
};

/* Takes ownership of lease (socket and port). user/key are copied. */
struct allocation *allocation_new(struct worker *w, const struct client_path *path,
                                  struct relay_addr_lease *lease, const char *user, size_t user_len,
                                  const uint8_t *key, size_t key_len);
/* Closes the socket, gives the port and quota back, wipes the key. Does not
 * touch the alloc_table (see alloc_table_delete). */
void allocation_free(struct allocation *a);
/* The call id of a REST username, if any. */
int allocation_call_id(const struct allocation *a, const char **id, size_t *len);
/* Delivers data that came from peer to the relayed address, as if read from
 * the relayed socket: permission check, bandwidth-limit, then ChannelData or a Data
 * indication to the client. The 4 bytes before data and the 3 after it are
 * scratch space, and data must stay valid until worker_flush(). */
void allocation_deliver(struct allocation *a, const struct umbra_addr *peer, uint8_t *data,
                        size_t len);
/* Relays data from the client to peer, within bandwidth-limit. When peer is the relayed address of
 * an allocation of the same worker, the data goes straight to that
 * allocation's client (as if it had come through the kernel), and when it
 * is one of another worker, to that worker's handoff ring, so the 4
 * bytes before data and the 3 after it must be scratch space. The datagram
 * goes into the worker's send batch: data must stay valid until
 * worker_flush(). */
void allocation_send_to_peer(struct allocation *a, const struct umbra_addr *peer, uint8_t *data,
                             size_t len);

#endif
