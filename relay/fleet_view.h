/* fleet_view: which relayed addresses belong to the live relays of this
 * relay's fleet (key layout in common/fleet_keys.h), for the relay-only peer rule:
 * a permission, channel or datagram toward or from a relayed address of
 * another live relay is as good as one of this relay's own.
 *
 * The main thread keeps a local copy of the fleet's ranges (relayed IP and
 * port range per relay) and rebuilds it on every message of the fleet
 * channel and every fleet-refresh seconds (so expired relays drop out),
 * from SMEMBERS umbra:fleet:relays and one MGET of their entries. Workers
 * read it without a lock: the copy is immutable and published by an atomic
 * pointer swap; the copy it replaces is freed once every worker has passed
 * between two callbacks (worker_post_quiesce), so no reader still holds
 * it. While Redis is away the last copy stays in force.
 *
 * This relay's own ranges are always in the copy but never answered from
 * it: the relay's own source (relay_addr_contains) answers for them, more
 * strictly (live allocations only).
 *
 * Only sealed records count (common/fleet_mac.h: a MAC under a key derived
 * from the REST secret, bound to the relay id, not past its "expires"), and
 * only when every range lies in fleet-networks (fleet_net.h). A rejected
 * record is left out, counted (M_FLEET_REJECTED) and logged by a token of
 * its relay id, never its addresses, once until it changes or comes back
 * valid. */
#ifndef UMBRA_FLEET_VIEW_H
#define UMBRA_FLEET_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "fleet_mac.h"
#include "log.h"
#include "metrics.h"
#include "redis_link.h"
#include "relay_config.h"

#define FLEET_VIEW_MAX_RELAYS 256
#define FLEET_VIEW_MAX_RANGES 8 /* per relay */

struct fleet_range {
    struct umbra_addr ip; /* port 0 */
    uint16_t low, high;
    bool own;
};

struct event_base;
struct worker;
struct fleet_view;

/* How far another relay's clock may be behind ours: a record is taken until
 * this long after its "expires". */
#define FLEET_VIEW_CLOCK_SKEW_S 30

/* The view with this relay's own ranges only; NULL when out of memory.
 * cfg, keys (main's fleet keys, replaced in place on SIGHUP, NULL: none)
 * and counts (a metrics_thread written by the main thread only; NULL:
 * not counted) must outlive it. */
struct fleet_view *fleet_view_new(const struct relay_config *cfg, const struct fleet_mac_keys *keys,
                                  struct metrics_thread *counts, struct log_ctx *log);
/* Starts the updates: sub is a subscriber link, cmd a command link (not
 * owned); workers are told about replaced copies. 0 or -1. */
int fleet_view_start(struct fleet_view *v, struct event_base *base, struct redis_link *sub,
                     struct redis_link *cmd, struct worker **workers, size_t n_workers);
/* After the workers have stopped and the links are freed. */
void fleet_view_free(struct fleet_view *v);
/* peer_source callback, any thread, lock-free: 1 when addr (normalised,
 * with port) lies in a relayed range of another live relay of the fleet. */
int fleet_view_contains(void *ctx, const struct umbra_addr *addr);
/* Relays other than this one in the current copy. */
size_t fleet_view_relays(const struct fleet_view *v);

/* Parses the "ranges" of one fleet entry (JSON text). Pure. Returns the
 * number of valid ranges put in out (at most cap; invalid ones are left
 * out), or -1 when the text is not a JSON object with a ranges array. */
int fleet_view_parse_ranges(const char *json, size_t len, struct fleet_range *out, size_t cap);

enum fleet_reject {
    FLEET_REJECT_SEAL = -1,    /* not sealed, or the MAC fails under every key */
    FLEET_REJECT_RECORD = -2,  /* no ranges array, or "expires" missing or past */
    FLEET_REJECT_NETWORK = -3, /* a range outside fleet-networks */
};
/* Checks one stored entry of relay id (sealed text) at wall time now and
 * puts its ranges in out (at most cap). Pure. The number of ranges, or an
 * enum fleet_reject. */
int fleet_view_parse_record(const struct fleet_mac_keys *keys, const struct relay_config *cfg,
                            const char *id, const char *text, size_t len, int64_t now,
                            struct fleet_range *out, size_t cap);
const char *fleet_reject_name(enum fleet_reject r);

#endif
