/* metrics: counters of the relay and their Prometheus text exposition.
 *
 * Each worker thread owns one metrics_thread and is its only writer, so
 * the packet path counts with relaxed atomic loads and stores, no locked
 * instruction. The metrics server (main thread, evhttp) sums all threads
 * when scraped. Only counts: no label names a user, a call or an address. */
#ifndef UMBRA_METRICS_H
#define UMBRA_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum metric_counter {
    M_ALLOCATIONS_TOTAL,
    M_PKTS_TO_PEER,
    M_BYTES_TO_PEER,
    M_PKTS_TO_CLIENT,
    M_BYTES_TO_CLIENT,
    M_AUTH_NO_CREDENTIALS,
    M_AUTH_BAD_REQUEST,
    M_AUTH_STALE_NONCE,
    M_AUTH_EXPIRED,
    M_AUTH_WRONG,
    M_AUTH_REVOKED,
    M_AUTH_MISMATCH, /* 441: another user's allocation */
    M_DENY_NOT_RELAYED,
    M_DENY_SCOPE,
    M_DENY_UNSPECIFIED,
    M_DENY_SEND_NO_PERMISSION,
    M_DROP_PEER_NO_PERMISSION,
    M_DROP_PEER_NOT_RELAYED, /* relay-only: a datagram from a non-relayed address */
    M_DROP_NO_ALLOCATION,
    M_DROP_MALFORMED,
    M_DROP_CONGESTED,
    M_DROP_BANDWIDTH_TO_PEER, /* over the allocation's bandwidth-limit */
    M_DROP_BANDWIDTH_TO_CLIENT,
    M_BINDING_REFUSED,
    M_ALLOCATE_QUOTA,
    M_ALLOCATE_CAPACITY,
    M_ALLOCATE_CALL_QUOTA, /* call-quota: 486 */
    M_ALLOCATE_MAX,        /* max-allocations: 508 */
    M_REVOKED_ALLOCATIONS,
    M_PEER_PATH_LOCAL,   /* peer is an allocation of the same worker */
    M_PEER_PATH_HANDOFF, /* of another worker: handed over in memory */
    M_PEER_PATH_KERNEL,  /* anything else: sent on the relayed socket */
    M_SEND_CALLS,        /* sendmmsg()/sendto() calls of the send batches */
    M_SEND_GSO,          /* GSO messages among them */
    M_LIMIT_PERMISSIONS, /* CreatePermission/ChannelBind over max-permissions: 508 */
    M_LIMIT_CHANNELS,    /* ChannelBind over max-channels: 508 */
    M_UNAUTH_LIMITED,    /* unauthenticated requests over unauth-rate: not answered */
    M_UNAUTH_EVICTED,    /* sources pushed out of a full unauth table */
    M_FLEET_REJECTED,    /* fleet records refused (seal, form, network); main thread */
    M_COUNTERS
};

enum metric_gauge {
    G_ALLOCATIONS,
    G_PERMISSIONS,
    G_CHANNELS,
    G_CONNECTIONS,
    G_UNAUTH_SOURCES, /* sources in the unauth-rate tables */
    M_GAUGES
};

struct metrics_thread {
    _Atomic uint64_t c[M_COUNTERS];
    _Atomic int64_t g[M_GAUGES];
    char pad[64]; /* keeps threads' counters off each other's cache lines */
};

static inline void metrics_add(struct metrics_thread *m, enum metric_counter id, uint64_t n)
{
    /* Single writer: a plain relaxed read-modify-write is enough. */
    uint64_t v = atomic_load_explicit(&m->c[id], memory_order_relaxed);
    atomic_store_explicit(&m->c[id], v + n, memory_order_relaxed);
}

static inline void metrics_gauge(struct metrics_thread *m, enum metric_gauge id, int64_t delta)
{
    int64_t v = atomic_load_explicit(&m->g[id], memory_order_relaxed);
    atomic_store_explicit(&m->g[id], v + delta, memory_order_relaxed);
}

struct event_base;
struct metrics_server;

/* Writes the exposition of the sum of threads into buf (NUL-terminated).
 * Returns the length or -1 if buf is too small. */
int metrics_render(struct metrics_thread *const *threads, size_t n, char *buf, size_t cap);
/* Serves GET /metrics on addr. threads must outlive the server. */
struct metrics_server *metrics_server_start(struct event_base *base, const struct umbra_addr *addr,
                                            struct metrics_thread *const *threads, size_t n);
void metrics_server_free(struct metrics_server *s);

#endif
