/* fleet_keys: the Redis names a relay fleet shares (relays write them,
 * relays and brokers read them):
 *   umbra:fleet:relay:<relay-id>  string, JSON, expires after fleet-ttl
 *                                 unless the relay writes it again (every
 *                                 fleet-refresh seconds):
 *     {"id":"r1","operator":"op-a",
 *      "uris":["turn:192.0.2.1:3478?transport=udp", ...],
 *      "ranges":[{"ip":"192.0.2.1","low":49152,"high":65535}, ...],
 *      "load":{"allocations":12,"pps":3400},"ttl":6}
 *   umbra:fleet:relays            set of relay ids (expires after
 *                                 fleet-ttl unless some relay refreshes
 *                                 it); an id whose key is gone is dead
 *   umbra:fleet                   channel: "join <id>", "leave <id>"
 * Kept in one header so the writer and the reader cannot drift apart. */
#ifndef UMBRA_FLEET_KEYS_H
#define UMBRA_FLEET_KEYS_H

#define FLEET_KEY_PREFIX "umbra:fleet:relay:"
#define FLEET_SET_KEY "umbra:fleet:relays"
#define FLEET_CHANNEL "umbra:fleet"
#define FLEET_KEY_MAX 96

#endif
