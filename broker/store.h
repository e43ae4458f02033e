/* store: the broker's only door to Redis (hiredis, synchronous, with short
 * timeouts so a dead Redis costs at most redis-timeout-ms per request).
 *
 * Commands are given as NULL-terminated lists of C strings. Replies are
 * copied into struct store_val, which the caller frees with store_val_free().
 * When Redis is unreachable a command returns STORE_EDOWN at once; the store
 * then reconnects by itself on a later command (at most every 250 ms), so
 * the broker recovers without help when Redis returns.
 * A store is used by one thread. It never logs keys or values. */
#ifndef UMBRA_BROKER_STORE_H
#define UMBRA_BROKER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define STORE_EDOWN (-1)  /* no connection: answer 503 */
#define STORE_EREPLY (-2) /* Redis answered with an error */

enum store_type { STORE_NIL = 0, STORE_INT, STORE_STR, STORE_ARRAY };

struct store_val {
    enum store_type type;
    long long num;
    char *str; /* NUL-terminated; len excludes the NUL */
    size_t len;
    size_t n;
    struct store_val *elem;
};

#define STORE_BATCH_MAX 24
#define STORE_ARGV_MAX 16

/* A pipeline of commands sent in one round trip. The strings must live
 * until store_batch_run() returns; store_batch_add copies only pointers. */
struct store_batch {
    size_t n;
    int argc[STORE_BATCH_MAX];
    const char *argv[STORE_BATCH_MAX][STORE_ARGV_MAX];
    bool overflow;
};

struct store;

/* host is a unix socket path when port is 0. Never fails for an
 * unreachable Redis (the store starts down and reconnects). */
struct store *store_new(const char *host, int port, unsigned timeout_ms, struct log_ctx *log);
void store_free(struct store *st);
/* Connects now if down; true when a connection is up. */
bool store_up(struct store *st);

int store_cmd(struct store *st, struct store_val *out, ...);
void store_batch_add(struct store_batch *b, ...);
/* outs may be NULL (replies dropped) or hold b->n values. Returns 0,
 * STORE_EDOWN, or STORE_EREPLY when any reply is an error. */
int store_batch_run(struct store *st, const struct store_batch *b, struct store_val *outs);
void store_val_free(struct store_val *v);

#endif
