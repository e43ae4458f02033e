/* fleet_announce: this relay's entry in the fleet (key layout in common/fleet_keys.h).
 *
 * Every fleet-refresh seconds it writes umbra:fleet:relay:<id> (JSON with
 * the operator label, public URIs, the relayed address ranges and the
 * load: live allocations and relayed packets per second, summed from the
 * workers' metrics) with a TTL of fleet-ttl, adds the id to
 * umbra:fleet:relays, and PUBLISHes "join <id>" on umbra:fleet the first
 * time it succeeds after a start or a reconnect. A relay that stops
 * writing drops out when the key expires; fleet_announce_leave() deletes
 * the key and PUBLISHes "leave <id>" for a clean shutdown.
 * The entry is sealed (common/fleet_mac.h) with the fleet key of the first
 * REST secret and says until when it holds ("expires", wall seconds); a
 * relay without auth-secret-file has no key and does not announce itself.
 * Main thread only; the config, keys and metrics must outlive it. */
#ifndef UMBRA_FLEET_ANNOUNCE_H
#define UMBRA_FLEET_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "fleet_mac.h"
#include "log.h"
#include "metrics.h"
#include "redis_link.h"
#include "relay_config.h"

struct event_base;
struct fleet_announce;

/* cmd is a command link (not owned). NULL when out of memory. */
struct fleet_announce *fleet_announce_start(struct event_base *base, struct redis_link *cmd,
                                            const struct relay_config *cfg,
                                            const struct fleet_mac_keys *keys,
                                            struct metrics_thread *const *threads, size_t n,
                                            struct log_ctx *log);
/* Stops refreshing, deletes the entry and says "leave"; done(ctx) runs
 * once Redis answered, the link is down, or after a second, whichever
 * comes first (maybe before this returns). */
void fleet_announce_leave(struct fleet_announce *a, void (*done)(void *ctx), void *ctx);
void fleet_announce_free(struct fleet_announce *a);

#define FLEET_INSTANCE_HEX 32

/* The entry's JSON text (before the seal) for the given load, with this
 * process's instance (hex) and "expires" = now + fleet-ttl (malloc'd, NULL
 * when out of memory). Pure; exposed for tests. */
char *fleet_announce_record(const struct relay_config *cfg, const char *instance, int64_t now,
                            long long allocations, long long pps);

#endif
