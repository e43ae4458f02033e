/* client_limit: the broker's per-client limits, in front of every request.
 *
 * A client is its address (IPv6: its /64, since one subscriber holds a
 * whole prefix), known only by a keyed hash (SipHash, random key per
 * process), in a table of fixed size: memory does not grow with the
 * number of clients, and no address is kept in clear.
 *   - connections: at most max_conns open at once per client; one over it
 *     is refused at accept (http_limit closes it unread, no reply);
 *   - requests: a token bucket per client, rate per second, burst at most;
 *     a request over it is refused (the caller answers 429 with the
 *     Retry-After this module computes).
 * 0 for max_conns or rate means no such limit. The same table serves
 * slower limits (identities created per minute: broker/create_limit.h)
 * through period_s.
 *
 * The table is 4-way set associative. A newcomer takes an empty entry, or
 * one whose client is idle (no connection open, bucket full: nothing of it
 * is lost), else the least recently used entry without an open connection
 * (counted as an eviction: that client's bucket starts full again). When
 * all four hold open connections, the newcomer shares the least recently
 * used one (counted): a keyed hash keeps a client from choosing whom it
 * shares with. An entry with open connections is never moved, so a
 * connection keeps its entry from open to close (found by its socket).
 *
 * Pure bookkeeping: no I/O, time passed in (milliseconds, monotonic). One
 * thread. */
#ifndef UMBRA_BROKER_CLIENT_LIMIT_H
#define UMBRA_BROKER_CLIENT_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CLIENT_LIMIT_EBUSY (-1) /* too many connections from this client */
#define CLIENT_LIMIT_ERATE (-2) /* over the request rate */
#define CLIENT_LIMIT_ENOMEM (-3)

struct client_limit_conf {
    unsigned max_conns; /* open connections per client; 0: no limit */
    unsigned rate;      /* requests per second per client; 0: no limit */
    unsigned burst;     /* bucket size (requests); at least 1 when rate > 0 */
    size_t entries;     /* table size; rounded up to a power of two, >= 4 */
    unsigned period_s;  /* rate and burst count requests per period_s seconds
                           (0 or 1: per second), e.g. 60: rate per minute */
};

struct client_limit_metrics {
    unsigned long long conns_refused, requests_refused, evictions, shared;
};

struct client_limit;

/* key: the hash key (ADDR_HASH_KEY_BYTES), copied. NULL on no memory. */
struct client_limit *client_limit_new(const struct client_limit_conf *conf,
                                      const unsigned char *key);
void client_limit_free(struct client_limit *cl);

/* A connection on socket fd from peer opens: 0 (counted until
 * client_limit_close), CLIENT_LIMIT_EBUSY or CLIENT_LIMIT_ENOMEM (refuse
 * it; not counted). An fd already open is not counted twice. */
int client_limit_open(struct client_limit *cl, int fd, const struct umbra_addr *peer,
                      uint64_t now_ms);
/* The connection on fd is gone; an fd never opened is ignored. */
void client_limit_close(struct client_limit *cl, int fd);
/* A request on fd: 0, or CLIENT_LIMIT_ERATE with *retry_after_s (>= 1)
 * set to when the next request will pass. An fd never opened passes. */
int client_limit_request(struct client_limit *cl, int fd, uint64_t now_ms, unsigned *retry_after_s);
/* A request a trusted proxy relays for the client at addr: the bucket of
 * that client (its own connections share it); as client_limit_request. */
int client_limit_request_addr(struct client_limit *cl, const struct umbra_addr *client,
                              uint64_t now_ms, unsigned *retry_after_s);
const struct client_limit_metrics *client_limit_metrics(const struct client_limit *cl);

#endif
