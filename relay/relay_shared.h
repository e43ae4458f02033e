/* relay_shared: the state every worker of the relay reads: configuration,
 * log, relayed-address pool, peer policy, nonce key, revoked calls,
 * quotas, TLS context, and the list of workers.
 *
 * relay_shared_init() builds it from a finished configuration and
 * relay_shared_free() tears it down; main sets workers/n_workers before
 * the workers start. After start it is read-only apart from the members
 * that are themselves thread-safe (pool, revoked, quota, log). cfg and log
 * are not owned; everything else is.
 *
 * Layer 1: uses relay_config, log, relay_addr, peer_policy, revoke_list,
 * quota, stun_auth, tls_server. */
#ifndef UMBRA_RELAY_SHARED_H
#define UMBRA_RELAY_SHARED_H

#include <stddef.h>

#include "log.h"
#include "peer_policy.h"
#include "quota.h"
#include "relay_addr.h"
#include "relay_config.h"
#include "revoke_list.h"
#include "stun_auth.h"

struct tls_server;
struct worker;

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
     * the workers start, read-only afterwards (opaque here). */
    struct worker **workers;
    size_t n_workers;
};

/* Builds the shared state for cfg. first, when not NULL, is the peer
 * source consulted before this relay's own pool (the fleet's view, so a
 * datagram from another relay is answered without the pool's lock).
 * Returns 0, or -1 with the reason in err; on failure everything built is
 * freed. */
int relay_shared_init(struct relay_shared *sh, const struct relay_config *cfg, struct log_ctx *log,
                      const struct peer_source *first, char *err, size_t errlen);
/* Frees what init built (the workers must have stopped); wipes the nonce
 * key. */
void relay_shared_free(struct relay_shared *sh);

#endif
