/* fleet_net: see fleet_net.h. */
#include "fleet_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bits of a matches b for the first bits bits (bytes of length len). */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, size_t len, unsigned bits)
{
    size_t whole = bits / 8;
    unsigned rest = bits % 8;
    if (whole > len || (whole == len && rest != 0))
        return false;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((a[whole] ^ b[whole]) & (uint8_t)(0xffu << (8 - rest))) == 0;
}

int fleet_net_parse(const char *text, struct fleet_net *out, char *err, size_t errlen)
{
    char ip[ADDR_TEXT_MAX], *end;
    const char *slash = strchr(text, '/');
    const uint8_t *bytes;
    size_t len;
    unsigned long bits;

    if (slash == NULL || (size_t)(slash - text) >= sizeof(ip) || slash[1] == '\0') {
        snprintf(err, errlen, "expected IP/BITS");
        return -1;
    }
    memcpy(ip, text, (size_t)(slash - text));
    ip[slash - text] = '\0';
    bits = strtoul(slash + 1, &end, 10);
    memset(out, 0, sizeof(*out));
    if (*end != '\0' || slash[1] < '0' || slash[1] > '9' || addr_parse(&out->ip, ip, 0) != 0 ||
        addr_port(&out->ip) != 0 || strchr(ip, '[') != NULL) {
        snprintf(err, errlen, "expected IP/BITS");
        return -1;
    }
    bytes = addr_ip_bytes(&out->ip, &len);
    if (bits > len * 8) {
        snprintf(err, errlen, "prefix length over %zu", len * 8);
        return -1;
    }
    /* Host bits set: a typo, or a host meant as a network. */
    for (size_t i = 0; i < len; i++) {
        unsigned keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? (unsigned)(bits - i * 8) : 0;
        if ((bytes[i] & (uint8_t) ~(0xff00u >> keep)) != 0) {
            snprintf(err, errlen, "host bits set after the prefix length");
            return -1;
        }
    }
    out->bits = (uint8_t)bits;
    return 0;
}

bool fleet_net_covers(const struct fleet_net *net, const struct umbra_addr *addr)
{
    size_t nlen, alen;
    const uint8_t *n, *a;
    if (addr_family(&net->ip) != addr_family(addr))
        return false;
    n = addr_ip_bytes(&net->ip, &nlen);
    a = addr_ip_bytes(addr, &alen);
    return nlen == alen && prefix_equal(n, a, nlen, net->bits);
}

bool fleet_net_admits(const struct fleet_net *nets, size_t n, const struct umbra_addr *addr)
{
    enum addr_scope scope = addr_scope_of(addr);
    if (scope == ADDR_SCOPE_UNSPECIFIED)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fleet_net_covers(&nets[i], addr) &&
            (scope == ADDR_SCOPE_PUBLIC || addr_scope_of(&nets[i].ip) == scope))
            return true;
    return false;
}
