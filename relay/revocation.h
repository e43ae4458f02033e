/* revocation: the Redis subscriber that ends revoked calls (the only file
 * of relay/ that includes hiredis headers).
 *
 * Subscribes to REVOCATION_CHANNEL on the given event base (main thread);
 * each message's payload is a call id, handed to on_revoke on that thread.
 * When Redis goes away it reconnects by itself every second. */
#ifndef UMBRA_REVOCATION_H
#define UMBRA_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define REVOCATION_CHANNEL "umbra:revoke"

struct event_base;
struct revocation;

typedef void (*revocation_cb)(void *ctx, const char *call_id, size_t len);

struct revocation *revocation_start(struct event_base *base, const char *host, uint16_t port,
                                    struct log_ctx *log, revocation_cb on_revoke, void *ctx);
void revocation_free(struct revocation *r);

#endif
