/* channel: the channel bindings of one allocation (RFC 8656 §12), found by
 * number (client to peer) and by peer transport address (peer to client).
 *
 * A binding lasts CHAN_LIFETIME seconds after its last ChannelBind. Once it
 * expires, its number and peer stay locked to each other for a further
 * CHAN_COOLDOWN seconds (RFC 8656 §12), during which a bind of either to
 * anything else is refused; the binding carries no data then. Pure
 * bookkeeping with times passed in; lookups never allocate. */
#ifndef UMBRA_CHANNEL_H
#define UMBRA_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "htab.h"

#define CHAN_LIFETIME 600
#define CHAN_COOLDOWN 300

struct chan_table {
    struct htab by_num;
    struct htab by_peer;
    const unsigned char *hash_key; /* not owned */
};

enum chan_bind_result {
    CHAN_BOUND_NEW = 1,
    CHAN_REFRESHED = 0,
    CHAN_CONFLICT = -1, /* number or peer bound to something else: 400 */
    CHAN_NOMEM = -2,
};

int chan_table_init(struct chan_table *t, const unsigned char *hash_key);
void chan_table_free(struct chan_table *t);
enum chan_bind_result chan_bind(struct chan_table *t, uint16_t number,
                                const struct umbra_addr *peer, int64_t now);
/* The live binding's peer for a number, or NULL. */
const struct umbra_addr *chan_peer(const struct chan_table *t, uint16_t number, int64_t now);
/* The live binding's number for a peer, or 0. */
uint16_t chan_number(const struct chan_table *t, const struct umbra_addr *peer, int64_t now);
/* Drops bindings whose cooldown has ended; returns how many bindings stopped
 * being live (expired into cooldown or dropped while live) since the last
 * call, for the channel gauge. */
size_t chan_expire(struct chan_table *t, int64_t now);
/* Live bindings. */
size_t chan_live_count(const struct chan_table *t, int64_t now);
/* Bindings held, those in their cooldown included. */
size_t chan_count(const struct chan_table *t);
/* True when a bind of number to peer would make no new binding: the
 * number or the peer is held already (the bind refreshes or conflicts). */
bool chan_known(const struct chan_table *t, uint16_t number, const struct umbra_addr *peer);

#endif
