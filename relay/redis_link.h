/* redis_link: one asynchronous Redis connection on the main thread's event
 * base, kept up by itself (reconnects every second while Redis is away).
 * It is the only file of relay/ that includes hiredis headers; the
 * revocation subscriber and the fleet modules talk to Redis through it.
 *
 * Where Redis is comes from a where() callback asked before every connect,
 * so whoever resolves the address (a fixed HOST:PORT today, a Sentinel's
 * answer later) is one function of main.
 *
 * A link is either a subscriber (redis_link_subscribe: its channels are
 * subscribed again after every reconnect) or a command link
 * (redis_link_command); never both, as Redis forbids commands on a
 * subscribed connection. Replies are handed over as struct redis_val trees
 * (common/redis_val.h, the broker's type too) that live only during the
 * callback; a reply over redis_val's bounds (depth, values, bytes) is
 * handed over as NULL, as a lost one is. Everything runs on the base's
 * thread. */
#ifndef UMBRA_REDIS_LINK_H
#define UMBRA_REDIS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "redis_val.h"

#define REDIS_LINK_MAX_SUBS 4
#define REDIS_LINK_MAX_ARGS 260

struct event_base;
struct redis_link;

/* Fills host (NUL-terminated) and port; 0, or -1 when no address is known
 * now (the link tries again a second later). */
typedef int (*redis_link_where_fn)(void *ctx, char *host, size_t hostcap, uint16_t *port);
/* A reply, or NULL when the link went down before one came or the reply
 * was refused. */
typedef void (*redis_link_reply_fn)(void *ctx, const struct redis_val *r);
typedef void (*redis_link_message_fn)(void *ctx, const char *payload, size_t len);

/* name is used in log lines ("revocation", "fleet"). NULL when out of
 * memory; never fails for an unreachable Redis. */
struct redis_link *redis_link_start(struct event_base *base, redis_link_where_fn where,
                                    void *where_ctx, struct log_ctx *log, const char *name);
/* Ends the connection; pending reply callbacks get NULL first. */
void redis_link_free(struct redis_link *l);
bool redis_link_up(const struct redis_link *l);

/* Subscribes to channel (copied) now and after every reconnect; on_message
 * gets each message's payload. 0, or -1 when all slots are taken. */
int redis_link_subscribe(struct redis_link *l, const char *channel, redis_link_message_fn fn,
                         void *ctx);
/* Queues one command (argv strings are copied by hiredis). fn may be NULL
 * (reply dropped). 0, or -1 when the link is down (fn is not called). */
int redis_link_command(struct redis_link *l, redis_link_reply_fn fn, void *ctx, int argc,
                       const char *const *argv, const size_t *lens);

#endif
