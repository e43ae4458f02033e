/* addr: see addr.h. */
#include "addr.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int addr_from_bytes(struct umbra_addr *out, int family, const uint8_t *ip, uint16_t port)
{
    memset(out, 0, sizeof(*out));
    if (family == AF_INET) {
        out->u.in4.sin_family = AF_INET;
        memcpy(&out->u.in4.sin_addr, ip, 4);
        out->u.in4.sin_port = htons(port);
        return 0;
    }
    if (family == AF_INET6) {
        out->u.in6.sin6_family = AF_INET6;
        memcpy(&out->u.in6.sin6_addr, ip, 16);
        out->u.in6.sin6_port = htons(port);
        return 0;
    }
    return -1;
}

int addr_from_sockaddr(struct umbra_addr *out, const struct sockaddr *sa, size_t len)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        memcpy(&out->u.in4, sa, sizeof(struct sockaddr_in));
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        memcpy(&out->u.in6, sa, sizeof(struct sockaddr_in6));
        out->u.in6.sin6_flowinfo = 0;
        return 0;
    }
    return -1;
}

static int parse_port(const char *text, uint16_t *port)
{
    char *end;
    unsigned long v;
    if (*text == '\0')
        return -1;
    v = strtoul(text, &end, 10);
    if (*end != '\0' || v > 65535 || text[0] == '-' || text[0] == '+')
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int addr_parse(struct umbra_addr *out, const char *text, uint16_t default_port)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_text = NULL;
    uint16_t port = default_port;
    uint8_t ip[16];
    size_t hlen;

    if (text == NULL)
        return -1;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL)
            return -1;
        hlen = (size_t)(close - text - 1);
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return -1;
        text++;
    } else {
        const char *colon = strchr(text, ':');
        /* One colon means IPv4:port; more mean a bare IPv6 address. */
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            hlen = (size_t)(colon - text);
            port_text = colon + 1;
        } else {
            hlen = strlen(text);
        }
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return -1;
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    if (port_text != NULL && parse_port(port_text, &port) != 0)
        return -1;
    if (inet_pton(AF_INET, host, ip) == 1)
        return addr_from_bytes(out, AF_INET, ip, port);
    if (inet_pton(AF_INET6, host, ip) == 1)
        return addr_from_bytes(out, AF_INET6, ip, port);
    return -1;
}

int addr_family(const struct umbra_addr *a)
{
    return a->u.sa.sa_family;
}

size_t addr_len(const struct umbra_addr *a)
{
    return a->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

uint16_t addr_port(const struct umbra_addr *a)
{
    return ntohs(a->u.sa.sa_family == AF_INET6 ? a->u.in6.sin6_port : a->u.in4.sin_port);
}

void addr_set_port(struct umbra_addr *a, uint16_t port)
{
    if (a->u.sa.sa_family == AF_INET6)
        a->u.in6.sin6_port = htons(port);
    else
        a->u.in4.sin_port = htons(port);
}

const uint8_t *addr_ip_bytes(const struct umbra_addr *a, size_t *len)
{
    if (a->u.sa.sa_family == AF_INET6) {
        *len = 16;
        return (const uint8_t *)&a->u.in6.sin6_addr;
    }
    *len = 4;
    return (const uint8_t *)&a->u.in4.sin_addr;
}

int addr_format_ip(const struct umbra_addr *a, char *buf, size_t len)
{
    size_t n;
    const uint8_t *ip = addr_ip_bytes(a, &n);
    int family = n == 16 ? AF_INET6 : AF_INET;
    if (len == 0 || (family == AF_INET && a->u.sa.sa_family != AF_INET))
        return -1;
    return inet_ntop(family, ip, buf, (socklen_t)len) != NULL ? 0 : -1;
}

int addr_format(const struct umbra_addr *a, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    int n;
    if (addr_format_ip(a, ip, sizeof(ip)) != 0)
        return -1;
    if (a->u.sa.sa_family == AF_INET6)
        n = snprintf(buf, len, "[%s]:%u", ip, addr_port(a));
    else
        n = snprintf(buf, len, "%s:%u", ip, addr_port(a));
    return n > 0 && (size_t)n < len ? 0 : -1;
}

bool addr_equal_ip(const struct umbra_addr *a, const struct umbra_addr *b)
{
    size_t la, lb;
    const uint8_t *ia, *ib;
    if (a->u.sa.sa_family != b->u.sa.sa_family)
        return false;
    ia = addr_ip_bytes(a, &la);
    ib = addr_ip_bytes(b, &lb);
    return la == lb && memcmp(ia, ib, la) == 0;
}

bool addr_equal(const struct umbra_addr *a, const struct umbra_addr *b)
{
    return addr_equal_ip(a, b) && addr_port(a) == addr_port(b);
}

uint64_t addr_hash(const struct umbra_addr *a, const unsigned char key[ADDR_HASH_KEY_BYTES])
{
    uint8_t in[20];
    size_t n;
    const uint8_t *ip = addr_ip_bytes(a, &n);
    uint16_t port = addr_port(a);
    uint64_t out;
    unsigned char h[crypto_shorthash_BYTES];

    memcpy(in, ip, n);
    in[n] = (uint8_t)(port >> 8);
    in[n + 1] = (uint8_t)port;
    crypto_shorthash(h, in, n + 2, key);
    memcpy(&out, h, sizeof(out));
    return out;
}

uint64_t addr_hash_host(const struct umbra_addr *a, const unsigned char key[ADDR_HASH_KEY_BYTES])
{
    struct umbra_addr host;
    uint8_t in[16];
    size_t n;
    const uint8_t *ip;
    uint64_t out;
    unsigned char h[crypto_shorthash_BYTES];

    if (addr_normalise(a, &host) != ADDR_NORM_OK)
        host = *a;
    ip = addr_ip_bytes(&host, &n);
    memcpy(in, ip, n);
    if (n == 16)
        memset(in + 8, 0, 8);
    crypto_shorthash(h, in, n, key);
    memcpy(&out, h, sizeof(out));
    return out != 0 ? out : 1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Finds the IPv4 address an IPv6 address carries, if it is of a form that
 * routes to IPv4 somewhere; returns 1 and fills v4, or 0. */
static int embedded_ipv4(const uint8_t *ip, uint8_t v4[4])
{
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (all_zero(ip, 10) && ip[10] == 0xff && ip[11] == 0xff) { /* ::ffff:a.b.c.d */
        memcpy(v4, ip + 12, 4);
        return 1;
    }
    if (all_zero(ip, 12) && !all_zero(ip + 12, 3)) { /* ::a.b.c.d, not :: or ::1 */
        memcpy(v4, ip + 12, 4);
        return 1;
    }
    if (memcmp(ip, nat64, sizeof(nat64)) == 0) { /* 64:ff9b::a.b.c.d */
        memcpy(v4, ip + 12, 4);
        return 1;
    }
    if (ip[0] == 0x20 && ip[1] == 0x02) { /* 2002:AABB:CCDD::/48 */
        memcpy(v4, ip + 2, 4);
        return 1;
    }
    if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0 && ip[3] == 0) { /* Teredo client */
        for (int i = 0; i < 4; i++)
            v4[i] = (uint8_t)~ip[12 + i];
        return 1;
    }
    return 0;
}

enum addr_norm addr_normalise(const struct umbra_addr *in, struct umbra_addr *out)
{
    *out = *in;
    if (in->u.sa.sa_family == AF_INET6) {
        const uint8_t *ip = (const uint8_t *)&in->u.in6.sin6_addr;
        uint8_t v4[4];
        if (all_zero(ip, 16))
            return ADDR_NORM_UNSPECIFIED;
        if (embedded_ipv4(ip, v4))
            addr_from_bytes(out, AF_INET, v4, addr_port(in));
    }
    if (out->u.sa.sa_family == AF_INET) {
        const uint8_t *ip = (const uint8_t *)&out->u.in4.sin_addr;
        if (ip[0] == 0)
            return ADDR_NORM_UNSPECIFIED;
    }
    return ADDR_NORM_OK;
}

static enum addr_scope scope_v4(const uint8_t *ip)
{
    if (ip[0] == 0)
        return ADDR_SCOPE_UNSPECIFIED;
    if (ip[0] == 127)
        return ADDR_SCOPE_LOOPBACK;
    if (ip[0] == 10 || (ip[0] == 172 && (ip[1] & 0xf0) == 16) || (ip[0] == 192 && ip[1] == 168) ||
        (ip[0] == 100 && (ip[1] & 0xc0) == 64))
        return ADDR_SCOPE_PRIVATE;
    if (ip[0] == 169 && ip[1] == 254)
        return ADDR_SCOPE_LINK_LOCAL;
    if ((ip[0] & 0xf0) == 224)
        return ADDR_SCOPE_MULTICAST;
    if ((ip[0] & 0xf0) == 240)
        return ADDR_SCOPE_RESERVED;
    /* IETF protocol assignments, TEST-NETs, benchmarking, 6to4 relay anycast */
    if ((ip[0] == 192 && ip[1] == 0 && (ip[2] == 0 || ip[2] == 2)) ||
        (ip[0] == 198 && ip[1] == 51 && ip[2] == 100) ||
        (ip[0] == 203 && ip[1] == 0 && ip[2] == 113) || (ip[0] == 198 && (ip[1] & 0xfe) == 18) ||
        (ip[0] == 192 && ip[1] == 88 && ip[2] == 99))
        return ADDR_SCOPE_RESERVED;
    return ADDR_SCOPE_PUBLIC;
}

enum addr_scope addr_scope_of(const struct umbra_addr *a)
{
    size_t n;
    const uint8_t *ip = addr_ip_bytes(a, &n);
    if (n == 4)
        return scope_v4(ip);
    if (all_zero(ip, 16))
        return ADDR_SCOPE_UNSPECIFIED;
    if (all_zero(ip, 15) && ip[15] == 1)
        return ADDR_SCOPE_LOOPBACK;
    if ((ip[0] & 0xfe) == 0xfc)
        return ADDR_SCOPE_PRIVATE;
    if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80)
        return ADDR_SCOPE_LINK_LOCAL;
    if (ip[0] == 0xff)
        return ADDR_SCOPE_MULTICAST;
    if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0xc0) /* deprecated site-local */
        return ADDR_SCOPE_PRIVATE;
    if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8) /* documentation */
        return ADDR_SCOPE_RESERVED;
    if (all_zero(ip, 10) && ip[10] == 0xff && ip[11] == 0xff) /* mapped, not normalised */
        return scope_v4(ip + 12);
    return ADDR_SCOPE_PUBLIC;
}

const char *addr_scope_name(enum addr_scope scope)
{
    switch (scope) {
    case ADDR_SCOPE_PUBLIC:
        return "public";
    case ADDR_SCOPE_UNSPECIFIED:
        return "unspecified";
    case ADDR_SCOPE_LOOPBACK:
        return "loopback";
    case ADDR_SCOPE_PRIVATE:
        return "private";
    case ADDR_SCOPE_LINK_LOCAL:
        return "link-local";
    case ADDR_SCOPE_MULTICAST:
        return "multicast";
    case ADDR_SCOPE_RESERVED:
        return "reserved";
    }
    return "unknown";
}
