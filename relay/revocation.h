/* revocation: the Redis subscriber that ends revoked calls (the only file
 * of relay/ that includes hiredis headers).
 *
 * Subscribes to REVOCATION_CHANNEL on the given event base (main thread);
 * each message's payload is a call id, handed to on_revoke on that thread.
 * When Redis goes away it reconnects by itself every second; each attempt
 * asks the target where the master is first (with Sentinel: the sentinels,
 * blocking this thread for at most REVOCATION_RESOLVE_MS, so a failover is
 * followed). */
#ifndef UMBRA_REVOCATION_H
#define UMBRA_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define REVOCATION_CHANNEL "umbra:revoke"
#define REVOCATION_RESOLVE_MS 500

struct event_base;
struct revocation;
struct redis_target;

typedef void (*revocation_cb)(void *ctx, const char *call_id, size_t len);

/* target is copied. */
struct revocation *revocation_start(struct event_base *base, const struct redis_target *target,
                                    struct log_ctx *log, revocation_cb on_revoke, void *ctx);
void revocation_free(struct revocation *r);

#endif
