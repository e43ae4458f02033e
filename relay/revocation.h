/* revocation: the Redis subscriber that ends revoked calls.
 *
 * Subscribes a subscriber link (redis_link.h, main thread) to
 * REVOCATION_CHANNEL; each message's payload is a call id, handed to
 * on_revoke on that thread. The link reconnects and subscribes again by
 * itself when Redis goes away and comes back. */
#ifndef UMBRA_REVOCATION_H
#define UMBRA_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "redis_link.h"

#define REVOCATION_CHANNEL "umbra:revoke"

typedef void (*revocation_cb)(void *ctx, const char *call_id, size_t len);

/* 0, or -1 when the link has no room for another subscription. */
int revocation_start(struct redis_link *sub, struct log_ctx *log, revocation_cb on_revoke,
                     void *ctx);

#endif
