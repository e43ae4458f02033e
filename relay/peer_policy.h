/* peer_policy: who may be a peer of an allocation (CreatePermission,
 * ChannelBind). umbra's relay-only rule lets a client talk only to relayed
 * transport addresses of live allocations, so a client that was handed a
 * host or server-reflexive candidate fails closed instead of leaking.
 *
 * Every peer is first normalised with addr_normalise(): IPv4 embedded in
 * IPv6 (mapped, compatible, 6to4, NAT64, Teredo) becomes IPv4 and the
 * unspecified addresses are refused, so none of them can bypass the checks
 * (coturn CVE-2020-26262, CVE-2026-27624). Callers must then use the
 * normalised address, never the one from the wire.
 *
 * Allowed relayed addresses come from sources: this relay's own allocations
 * first, later a fleet's addresses shared through Redis. A source's
 * contains() may be called from any worker thread and must be thread-safe.
 * A remote source (the fleet) is trusted only inside the fleet networks:
 * its match counts after the scope check, for an address the networks
 * admit (fleet_net.h: loopback and private space only when a prefix of
 * that space is listed), so a record in Redis cannot open the relay toward
 * anything the operator did not name. The policy itself is read-only after
 * setup. */
#ifndef UMBRA_PEER_POLICY_H
#define UMBRA_PEER_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "fleet_net.h"

#define PEER_POLICY_MAX_SOURCES 4
#define PEER_POLICY_MAX_OWN 16

struct peer_source {
    /* 1 when addr (normalised, with port) is a live relayed address. */
    int (*contains)(void *ctx, const struct umbra_addr *addr);
    void *ctx;
    bool remote; /* announced by others: only inside the fleet networks */
};

struct peer_policy {
    bool relay_only;
    size_t n_sources;
    struct peer_source sources[PEER_POLICY_MAX_SOURCES];
    /* The relay's own IPs (listen and relay addresses): with relay-only
     * off, a public peer on one of them that is not a relayed address is
     * refused, so nobody relays into the relay's own services. */
    size_t n_own;
    struct umbra_addr own[PEER_POLICY_MAX_OWN];
    /* fleet-networks (not owned): where a remote source may answer. */
    const struct fleet_net *nets;
    size_t n_nets;
};

enum peer_verdict {
    PEER_ALLOW = 0,
    PEER_DENY_UNSPECIFIED = -1, /* 0.0.0.0/8, :: in any disguise */
    PEER_DENY_NOT_RELAYED = -2, /* relay-only-peers and not a relayed address */
    PEER_DENY_SCOPE = -3,       /* loopback, private, link-local, multicast, reserved */
    PEER_DENY_SELF = -4,        /* one of the relay's own IPs, not a relayed address */
};

void peer_policy_init(struct peer_policy *p, bool relay_only);
/* Returns 0, or -1 when all source slots are taken. */
int peer_policy_add_source(struct peer_policy *p, struct peer_source src);
/* The fleet networks remote sources are confined to (nets must outlive p;
 * none: remote sources never answer). */
void peer_policy_set_networks(struct peer_policy *p, const struct fleet_net *nets, size_t n);
/* Adds one of the relay's own IPs (port ignored; normalised). Returns 0,
 * or -1 when the list is full. */
int peer_policy_add_own(struct peer_policy *p, const struct umbra_addr *ip);
/* Decides about peer; *normalised receives the address to use (also on
 * denial, for counting). */
enum peer_verdict peer_policy_check(const struct peer_policy *p, const struct umbra_addr *peer,
                                    struct umbra_addr *normalised);
const char *peer_verdict_name(enum peer_verdict v);

#endif
