/* store: the broker's only door to Redis (hiredis, synchronous, with short
 * timeouts so a Redis that stops answering costs at most redis-timeout-ms,
 * once: the command that finds it gone).
 *
 * Commands are given as NULL-terminated lists of C strings. Replies are
 * copied into struct redis_val (common/redis_val.h, the reply tree the
 * relay uses too), which the caller frees with redis_val_free(). A reply
 * over redis_val's bounds (depth, values, bytes) counts as STORE_EREPLY.
 * While Redis is known down a command returns STORE_EDOWN at once.
 * Coming back: a store watched on an event loop (store_watch) never
 * reconnects inside a command; a probe on the loop (non-blocking connect
 * and PING, one at most every STORE_PROBE_MS, given up after
 * redis-timeout-ms) finds Redis again, and only then is the synchronous
 * connection made. An unwatched store (tools, unit tests) reconnects inside
 * a later command instead, at most every STORE_PROBE_MS.
 * With Redis Sentinel (store_new_target), finding Redis again starts by
 * asking the sentinels where the master is (common/redis_target.h; at most
 * redis-timeout-ms of blocking, at most once a second while none answers),
 * and only a server that answers ROLE with "master" is connected. A reply
 * READONLY, LOADING or MASTERDOWN (a demoted master, a replica) counts as
 * the connection lost: the command returns STORE_EDOWN and the master is
 * looked for again. NOREPLICAS (the master's min-replicas-to-write is not
 * met) returns STORE_EDOWN too: nothing was written. OOM (Redis at its
 * maxmemory, with maxmemory-policy noeviction) returns STORE_EFULL: that
 * write was refused, the connection stays, reads still work; a warning at
 * most once a minute while it lasts.
 * A store is used by one thread. It never logs keys or values. */
#ifndef UMBRA_BROKER_STORE_H
#define UMBRA_BROKER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "redis_val.h"

#define STORE_EDOWN (-1)  /* no connection: answer 503 */
#define STORE_EREPLY (-2) /* Redis answered with an error */
#define STORE_EFULL (-3)  /* Redis refused a write: at maxmemory (-OOM); answer 503 */
#define STORE_EBATCH (-4) /* the batch overflowed: nothing was sent */

#define STORE_PROBE_MS 250

/* Batches are built from constants (at most 11 commands, calls_create.c)
 * or grow with their input up to a limit: an SDP's fingerprints (one GET
 * or SET each, calls_signal.c), a chunk of fleet entries (fleet.c). Each
 * of the latter checks at compile time that its largest batch fits. */
#define STORE_BATCH_MAX 40
#define STORE_ARGV_MAX 16

/* A pipeline of commands sent in one round trip. The strings must live
 * until store_batch_run() returns; store_batch_add copies only pointers.
 * A command past STORE_BATCH_MAX, or with more than STORE_ARGV_MAX
 * arguments, marks the batch overflowed: store_batch_run then sends
 * nothing, logs an error and returns STORE_EBATCH. */
struct store_batch {
    size_t n;
    int argc[STORE_BATCH_MAX];
    const char *argv[STORE_BATCH_MAX][STORE_ARGV_MAX];
    bool overflow;
};

struct store;
struct event_base;
struct redis_target;

/* host is a unix socket path when port is 0. Never fails for an
 * unreachable Redis (the store starts down and reconnects). */
struct store *store_new(const char *host, int port, unsigned timeout_ms, struct log_ctx *log);
/* The same with the master's address from t (copied): fixed or through
 * sentinels. */
struct store *store_new_target(const struct redis_target *t, unsigned timeout_ms,
                               struct log_ctx *log);
/* Before the base is freed. */
void store_free(struct store *st);
/* From now on reconnect only through probes on base; 0 or -1 (no memory). */
int store_watch(struct store *st, struct event_base *base);
/* A watched store's subscription to channel on the master, for messages
 * between brokers: made once the store is up, made again after each
 * reconnect (through the sentinels too). Messages published while it was
 * down are lost, so the caller keeps a slower way. cb runs on the loop.
 * One subscription per store; 0, or -1 (unwatched store, one already). */
typedef void (*store_message_cb)(void *arg, const char *msg, size_t len);
int store_subscribe(struct store *st, const char *channel, store_message_cb cb, void *arg);
/* True when a connection is up. An unwatched store that is down tries to
 * connect now (at most every STORE_PROBE_MS); a watched one never blocks. */
bool store_up(struct store *st);

int store_cmd(struct store *st, struct redis_val *out, ...);
void store_batch_add(struct store_batch *b, ...);
/* outs may be NULL (replies dropped) or hold b->n values. Returns 0,
 * STORE_EDOWN, STORE_EFULL when a command was refused for want of memory,
 * or STORE_EREPLY when any other reply is an error. */
int store_batch_run(struct store *st, const struct store_batch *b, struct redis_val *outs);

#endif
