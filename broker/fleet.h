/* fleet: the live relays of the fleet as umbra-relay announces them in
 * Redis (layout in common/fleet_keys.h), read through the store and kept
 * for fleet-cache-ms, and the choice of a relay for one party of a call.
 *
 * A relay is live while its entry exists (it expires fleet-ttl seconds
 * after the relay last wrote it). The choice is the least loaded live
 * relay (live allocations, then relayed packets per second; ties at
 * random), optionally of an operator other than a given one. Each choice
 * counts one more allocation on the cached copy, so calls made within one
 * cache period spread instead of all landing on the relay that was
 * lightest at the last read. Only entries sealed with the fleet key of one
 * of the broker's REST secrets (common/fleet_mac.h) and not past their
 * "expires" count; others are left out, counted (rejected) and logged
 * without ids or addresses when the set of rejected entries changes. Used
 * by one thread; never logs an address. */
#ifndef UMBRA_BROKER_FLEET_H
#define UMBRA_BROKER_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_config.h"
#include "fleet_mac.h"
#include "log.h"
#include "store.h"

#define FLEET_MAX_RELAYS 64
#define FLEET_MAX_URIS 8
#define FLEET_LABEL_MAX 65 /* relay-id and operator, with the NUL */

struct fleet_relay {
    char id[FLEET_LABEL_MAX];
    char operator_label[FLEET_LABEL_MAX];
    size_t n_uris;
    char uris[FLEET_MAX_URIS][CONFIG_URI_MAX];
    long long allocations, pps;
};

struct fleet {
    struct store *store;
    const struct fleet_mac_keys *keys; /* not owned; NULL: every entry refused */
    unsigned cache_ms;                 /* 0: never read; static relay URIs only */
    unsigned long long rejected;       /* entries refused, counted once per change */
    uint64_t rejected_sig;             /* which were refused at the last read */
    struct log_ctx *log;
    long long read_ns; /* monotonic time of the last read, 0: never */
    size_t n;
    struct fleet_relay relays[FLEET_MAX_RELAYS];
};

void fleet_init(struct fleet *f, struct store *st, const struct fleet_mac_keys *keys,
                unsigned cache_ms, struct log_ctx *log);

/* Reads the fleet again if the cached copy is older than cache_ms. 0, or
 * STORE_EDOWN. */
int fleet_refresh(struct fleet *f);
/* Number of distinct operators among the cached relays. */
size_t fleet_operators(const struct fleet *f);
/* Copies the least loaded cached relay whose operator is not avoid (NULL:
 * any) into *out. 0, or -1 when there is none. */
int fleet_pick(struct fleet *f, const char *avoid, struct fleet_relay *out);

/* Parses one entry (JSON text) into *out. Pure. 0, or -1 when it is not a
 * usable entry (no id, no operator or no valid turn:/turns: URI). */
int fleet_parse(const char *json, size_t len, struct fleet_relay *out);
/* Opens one stored entry of relay id (sealed text) at wall time now and
 * parses it into *out. Pure. 0, or -1 when the seal fails, the record is
 * past "expires" (FLEET_CLOCK_SKEW_S allowed), its id is not id, or
 * fleet_parse() refuses it. */
#define FLEET_CLOCK_SKEW_S 30
int fleet_open(const struct fleet_mac_keys *keys, const char *id, const char *text, size_t len,
               int64_t now, struct fleet_relay *out);

#endif
