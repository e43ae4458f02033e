/* fleet_net: the fleet-networks list, CIDR prefixes that relayed ranges
 * announced by other relays of the fleet must lie in (layer L0, uses
 * common/addr only).
 *
 * A fleet record is only as trusted as the networks the operator lists:
 * an address outside them is never a fleet peer. An address that is not
 * public (loopback, private, link-local, multicast, reserved) is admitted
 * only by a prefix that names that space itself, i.e. whose network
 * address has the same scope (127.0.0.0/8 admits 127.0.0.2; 0.0.0.0/0 or
 * ::/0 admit public addresses only). Pure; no allocation. */
#ifndef UMBRA_FLEET_NET_H
#define UMBRA_FLEET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define FLEET_NET_MAX 16 /* prefixes in fleet-networks */

struct fleet_net {
    struct umbra_addr ip; /* the network address, host bits zero, port 0 */
    uint8_t bits;
};

/* Parses "IP/BITS" (IPv4 0-32, IPv6 0-128; host bits must be zero).
 * 0, or -1 with a reason in err. */
int fleet_net_parse(const char *text, struct fleet_net *out, char *err, size_t errlen);
/* True when addr (normalised; port ignored) lies in net. */
bool fleet_net_covers(const struct fleet_net *net, const struct umbra_addr *addr);
/* True when one of nets[0, n) admits addr by the rule above. */
bool fleet_net_admits(const struct fleet_net *nets, size_t n, const struct umbra_addr *addr);

#endif
