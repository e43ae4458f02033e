/* worker: one relay thread with its own event base, sockets and tables.
 *
 * A client's allocation lives on the worker whose socket received its
 * Allocate (SO_REUSEPORT hashes a UDP 5-tuple to one socket; a TCP or TLS
 * connection belongs to the worker that accepted it), and the relayed
 * socket is watched by the same base, so the packet path never takes a
 * lock. Other threads talk to a worker only through its inbox
 * (worker_post_*), which wakes its base; the worker applies the message on
 * its own thread. relay_shared is read-only after start apart from the
 * members that are themselves thread-safe (pool, revoked, quota, log). */
#ifndef UMBRA_WORKER_H
#define UMBRA_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "alloc_table.h"
#include "handoff.h"
#include "relay_config.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "peer_policy.h"
#include "quota.h"
#include "relay_addr.h"
#include "revoke_list.h"
#include "send_batch.h"
#include "stun_auth.h"
#include "stun_msg.h"
#include "turn_rest.h"
#include "unauth_limit.h"

struct tls_server;

struct relay_shared {
    const struct relay_config *cfg;
    struct log_ctx *log;
    struct relay_addr_pool *pool;
    struct peer_policy policy;
    struct auth_nonce_key *nonce_key; /* sodium_malloc: out of core dumps */
    struct revoke_list *revoked;
    struct quota *quota;
    struct tls_server *tls; /* NULL without TLS */
    /* All workers, for handing datagrams between them; set by main before
     * the workers start, read-only afterwards. */
    struct worker **workers;
    size_t n_workers;
};

/* Workers that hand datagrams to each other in memory (handoff.h); more
 * workers than this use the kernel between the others. */
#define WORKER_HANDOFF_MAX 64

/* Room before a received peer datagram for a ChannelData header, and the
 * largest datagram or frame. */
#define WORKER_HEADROOM 64
#define WORKER_BUF (WORKER_HEADROOM + STUN_MAX_MSG + 8)

/* Send batch tags (send_batch.h): how worker_flush counts a datagram. */
enum worker_tag {
    WORKER_TAG_OTHER,            /* only a drop is counted (congested) */
    WORKER_TAG_CHANNEL_TO_CLIENT /* ChannelData to a UDP client: 4-byte header */
};

enum worker_msg_kind { WORKER_MSG_REVOKE, WORKER_MSG_SECRETS, WORKER_MSG_STOP, WORKER_MSG_QUIESCE };

struct worker_msg {
    struct worker_msg *next;
    enum worker_msg_kind kind;
    size_t len;
    char id[REVOKE_ID_MAX];
    struct turn_rest_secrets *secrets; /* owned by the message */
    void (*quiesce)(void *arg);        /* WORKER_MSG_QUIESCE */
    void *quiesce_arg;
};

struct worker {
    unsigned id;
    struct relay_shared *sh;
    struct event_base *base;
    pthread_t thread;
    bool started;
    unsigned char hash_key[ADDR_HASH_KEY_BYTES];
    struct alloc_table allocs;
    /* This thread's copy (turn_rest_secrets_new: out of core dumps),
     * swapped on SIGHUP. */
    struct turn_rest_secrets *secrets;
    struct auth_config auth;
    struct metrics_thread metrics;
    struct listener listener;
    struct send_batch out;      /* UDP datagrams of the batch being handled */
    struct unauth_limit unauth; /* unauth-rate buckets of this thread's sources */
    /* handoff: in[i] is the ring worker i writes to this worker; wake_fd
     * (an eventfd) tells this worker that a ring has records. */
    struct handoff_ring *in;
    size_t n_in;
    int wake_fd;
    struct event *wake_ev;
    uint64_t wake_pending;                 /* workers this one wrote to since its last flush */
    size_t wake_start[WORKER_HANDOFF_MAX]; /* their ring's head before that */
    _Atomic bool busy;                     /* in a packet callback: drains the rings on leaving */
    struct event *tick;
    struct event *inbox_ev;
    pthread_mutex_t inbox_lock;
    struct worker_msg *inbox_head, *inbox_tail;
    uint8_t rx[WORKER_BUF];
    uint8_t tx[WORKER_BUF];
};

/* Sets up the base, tables and sockets. secrets may be NULL (static users
 * only). Returns 0, or -1 with the reason logged. */
int worker_init(struct worker *w, unsigned id, struct relay_shared *sh,
                const struct turn_rest_secrets *secrets);
int worker_start(struct worker *w);
/* Stops the loop and joins the thread (from another thread). */
void worker_stop(struct worker *w);
/* Frees everything; the thread must have stopped. */
void worker_free(struct worker *w);
/* Thread-safe: ask the worker to end every allocation of this call id. */
int worker_post_revoke(struct worker *w, const char *id, size_t len);
/* Thread-safe: hand the worker a copy of new REST secrets. */
int worker_post_secrets(struct worker *w, const struct turn_rest_secrets *s);
/* Thread-safe: fn(arg) runs on the worker's thread between two callbacks
 * (or in worker_free when the worker has stopped), so by then the worker
 * holds no pointer it read before this call: a grace period for data
 * published to workers by pointer swap (fleet_view.h). 0 or -1 (out of
 * memory: fn is never called). */
int worker_post_quiesce(struct worker *w, void (*fn)(void *arg), void *arg);

/* Sends what the send batch holds and counts it. Called at the end of
 * each receive batch and before anything the batch points into changes. */
void worker_flush(struct worker *w);

/* Bracket a packet callback: between them the worker counts as awake, and
 * worker_leave() handles what other workers handed over meanwhile, so they
 * need not wake it. */
void worker_enter(struct worker *w);
void worker_leave(struct worker *w);
/* Hands a datagram from allocation relayed address src, sent to dst (a
 * relayed address held by worker owner), to that worker. Returns 0 when
 * handed over or dropped (ring full, counted), -1 when the kernel must
 * carry it (no handoff to that worker). */
int worker_handoff(struct worker *w, unsigned owner, const struct umbra_addr *dst,
                   const struct umbra_addr *src, const uint8_t *data, size_t len);

/* Monotonic seconds, for lifetimes. */
int64_t worker_now(void);
/* Monotonic milliseconds (coarse: a few ms), for rate buckets. */
int64_t worker_now_ms(void);
/* Wall-clock seconds, for REST credential expiry. */
int64_t worker_wall(void);

#endif
