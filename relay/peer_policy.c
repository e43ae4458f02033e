/* peer_policy: see peer_policy.h. */
#include "peer_policy.h"

void peer_policy_init(struct peer_policy *p, bool relay_only)
{
    p->relay_only = relay_only;
    p->n_sources = 0;
    p->n_own = 0;
    p->nets = NULL;
    p->n_nets = 0;
}

void peer_policy_set_networks(struct peer_policy *p, const struct fleet_net *nets, size_t n)
{
    p->nets = nets;
    p->n_nets = n;
}

int peer_policy_add_own(struct peer_policy *p, const struct umbra_addr *ip)
{
    struct umbra_addr n;
    if (p->n_own >= PEER_POLICY_MAX_OWN)
        return -1;
    if (addr_normalise(ip, &n) != ADDR_NORM_OK)
        return 0; /* a wildcard: every address is "own"; scopes cover loopback */
    p->own[p->n_own++] = n;
    return 0;
}

static bool is_own(const struct peer_policy *p, const struct umbra_addr *a)
{
    for (size_t i = 0; i < p->n_own; i++)
        if (addr_equal_ip(&p->own[i], a))
            return true;
    return false;
}

int peer_policy_add_source(struct peer_policy *p, struct peer_source src)
{
    if (p->n_sources >= PEER_POLICY_MAX_SOURCES || src.contains == NULL)
        return -1;
    p->sources[p->n_sources++] = src;
    return 0;
}

static bool is_relayed(const struct peer_policy *p, const struct umbra_addr *a, bool remote)
{
    for (size_t i = 0; i < p->n_sources; i++)
        if (p->sources[i].remote == remote && p->sources[i].contains(p->sources[i].ctx, a) == 1)
            return true;
    return false;
}

enum peer_verdict peer_policy_check(const struct peer_policy *p, const struct umbra_addr *peer,
                                    struct umbra_addr *normalised)
{
    int family = addr_family(peer);
    if (family != AF_INET && family != AF_INET6) {
        *normalised = *peer;
        return PEER_DENY_UNSPECIFIED;
    }
    if (addr_normalise(peer, normalised) != ADDR_NORM_OK)
        return PEER_DENY_UNSPECIFIED;
    /* addr_normalise() catches 0/8 and ::; the scope check is a second
     * line for anything unspecified it lets through. */
    if (addr_scope_of(normalised) == ADDR_SCOPE_UNSPECIFIED)
        return PEER_DENY_UNSPECIFIED;
    if (is_relayed(p, normalised, false))
        return PEER_ALLOW;
    /* A remote source after the scope check: only where the operator's
     * fleet networks admit the address. */
    if (fleet_net_admits(p->nets, p->n_nets, normalised) && is_relayed(p, normalised, true))
        return PEER_ALLOW;
    if (p->relay_only)
        return PEER_DENY_NOT_RELAYED;
    if (addr_scope_of(normalised) != ADDR_SCOPE_PUBLIC)
        return PEER_DENY_SCOPE;
    if (is_own(p, normalised))
        return PEER_DENY_SELF;
    return PEER_ALLOW;
}

const char *peer_verdict_name(enum peer_verdict v)
{
    switch (v) {
    case PEER_ALLOW:
        return "allow";
    case PEER_DENY_UNSPECIFIED:
        return "unspecified";
    case PEER_DENY_NOT_RELAYED:
        return "not_relayed";
    case PEER_DENY_SCOPE:
        return "scope";
    case PEER_DENY_SELF:
        return "self";
    }
    return "unknown";
}
