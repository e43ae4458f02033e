/* create_limit: how fast strangers may make the broker store something
 * that lives for identity-ttl: new identities (POST /v1/identities) and
 * new pseudonym contexts (a pseudonym written for a context its identity
 * had none in), and calls (POST /v1/calls, which lives for call-ttl and
 * needs no identity from an undetectable caller). Without it a loop of such requests fills Redis,
 * and then every call fails.
 *
 * Two limits per kind, both counted per minute, both 0 for none:
 *   - per client: a token bucket of client_per_min (at most that many at
 *     once, refilled at that many a minute), clients keyed as
 *     client_limit.h does (keyed hash of the host, IPv6 by /64, a table of
 *     fixed size: `entries`);
 *   - global: one bucket of global_per_min for all clients of this broker
 *     process, so that many addresses together are still bounded.
 * A creation takes one token of both, or of neither: a request refused by
 * one limit costs the other nothing.
 *
 * Pure bookkeeping: no I/O, time passed in (milliseconds, monotonic), no
 * address kept in clear. One thread. */
#ifndef UMBRA_BROKER_CREATE_LIMIT_H
#define UMBRA_BROKER_CREATE_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CREATE_LIMIT_ECLIENT (-1) /* over this client's rate */
#define CREATE_LIMIT_EGLOBAL (-2) /* over the rate of all clients together */

enum create_limit_kind {
    CREATE_LIMIT_IDENTITY = 0,
    CREATE_LIMIT_PSEUDONYM,
    CREATE_LIMIT_CALL,
    CREATE_LIMIT_KINDS
};

struct create_limit_conf {
    unsigned client_per_min[CREATE_LIMIT_KINDS]; /* per client address; 0: no limit */
    unsigned global_per_min[CREATE_LIMIT_KINDS]; /* all clients together; 0: no limit */
    size_t entries;                              /* clients tracked (client_limit table) */
};

struct create_limit_metrics {
    unsigned long long created[CREATE_LIMIT_KINDS]; /* admitted */
    unsigned long long refused_client[CREATE_LIMIT_KINDS], refused_global[CREATE_LIMIT_KINDS];
};

struct create_limit;

/* key: the hash key (ADDR_HASH_KEY_BYTES), copied. NULL on no memory. */
struct create_limit *create_limit_new(const struct create_limit_conf *conf,
                                      const unsigned char *key);
void create_limit_free(struct create_limit *cl);

/* One creation of kind by client (NULL: an unknown client, held to the
 * global limit only): 0 (counted in created), or
 * CREATE_LIMIT_ECLIENT / CREATE_LIMIT_EGLOBAL with *retry_after_s (>= 1)
 * set to when one would pass (counted as refused; nothing taken). */
int create_limit_take(struct create_limit *cl, enum create_limit_kind kind,
                      const struct umbra_addr *client, uint64_t now_ms, unsigned *retry_after_s);
/* The limits in force (a refusal's reason names them). */
const struct create_limit_conf *create_limit_conf(const struct create_limit *cl);
const struct create_limit_metrics *create_limit_metrics(const struct create_limit *cl);

#endif
