/* store: the broker's only door to Redis (hiredis, synchronous, with short
 * timeouts so a Redis that stops answering costs at most redis-timeout-ms,
 * once: the command that finds it gone).
 *
 * Commands are given as NULL-terminated lists of C strings. Replies are
 * copied into struct store_val, which the caller frees with store_val_free().
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
 * met) returns STORE_EDOWN too: nothing was written.
 * A store is used by one thread. It never logs keys or values. */
#ifndef UMBRA_BROKER_STORE_H
#define UMBRA_BROKER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define STORE_EDOWN (-1)  /* no connection: answer 503 */
#define STORE_EREPLY (-2) /* Redis answered with an error */
#define STORE_EBATCH (-3) /* the batch overflowed: nothing was sent */

enum store_type { STORE_NIL = 0, STORE_INT, STORE_STR, STORE_ARRAY };

struct store_val {
    enum store_type type;
    long long num;
    char *str; /* NUL-terminated; len excludes the NUL */
    size_t len;
    size_t n;
    struct store_val *elem;
};

#define STORE_PROBE_MS 250

/* The largest batch a caller builds sets STORE_BATCH_MAX: a request's
 * trickled candidates (one RPUSH each, up to CALLS_MAX_CANDIDATES, and an
 * EXPIREAT). Each caller whose batch grows with its input checks at compile
 * time that its largest batch fits (see calls_signal.c, fleet.c). */
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

int store_cmd(struct store *st, struct store_val *out, ...);
void store_batch_add(struct store_batch *b, ...);
/* outs may be NULL (replies dropped) or hold b->n values. Returns 0,
 * STORE_EDOWN, or STORE_EREPLY when any reply is an error. */
int store_batch_run(struct store *st, const struct store_batch *b, struct store_val *outs);
void store_val_free(struct store_val *v);

#endif
