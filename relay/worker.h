/* worker: one relay thread with its own event base, sockets and tables.
 *
 * A client's allocation lives on the worker whose socket received its
 * Allocate (SO_REUSEPORT hashes a UDP 5-tuple to one socket; a TCP or TLS
 * connection belongs to the worker that accepted it), and the relayed
 * socket is watched by the same base, so the packet path never takes a
 * lock. Other threads talk to a worker only through its inbox
 * (worker_post_*), which wakes its base; the worker applies the message on
 * its own thread. relay_shared is read-only after start apart from the
 * members that are themselves thread-safe (pool, revoked, quota, log).
 *
 * Layer 5 (with main): wires its listener, data path and handlers through
 * their callbacks; uses handoff, listener, turn_handlers, datapath,
 * recv_batch, relay_shared, metrics, unauth_limit, stun_auth, turn_rest. */
#ifndef UMBRA_WORKER_H
#define UMBRA_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "datapath.h"
#include "handoff.h"
#include "listener.h"
#include "metrics.h"
#include "recv_batch.h"
#include "relay_shared.h"
#include "stun_auth.h"
#include "turn_handlers.h"
#include "turn_rest.h"
#include "unauth_limit.h"

/* Workers that hand datagrams to each other in memory (handoff.h); more
 * workers than this use the kernel between the others. */
#define WORKER_HANDOFF_MAX 64

struct worker_msg; /* the inbox's messages (worker.c) */

struct worker {
    unsigned id;
    struct relay_shared *sh;
    struct event_base *base;
    pthread_t thread;
    bool started;
    unsigned char hash_key[ADDR_HASH_KEY_BYTES];
    /* This thread's copy (turn_rest_secrets_new: out of core dumps),
     * swapped on SIGHUP. */
    struct turn_rest_secrets *secrets;
    struct auth_config auth;
    struct metrics_thread metrics;
    struct recv_batch rx; /* shared by the listener and the relayed sockets */
    struct datapath dp;   /* allocations and their packets */
    struct turn_ctx turn; /* what the handlers use */
    struct listener listener;
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

#endif
