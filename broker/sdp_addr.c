/* sdp_addr: finding IP literals in text. See sdp_addr.h. */
#include "sdp_addr.h"

#include <arpa/inet.h>
#include <string.h>

bool sdp_addr_is_literal(const char *p, size_t n, bool *ipv6)
{
    /* room for any token a candidate parser lets through */
    char addr[INET6_ADDRSTRLEN + 64];
    unsigned char bin[16];
    if (n >= sizeof(addr))
        return false;
    memcpy(addr, p, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, bin) == 1) {
        *ipv6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, addr, bin) == 1) {
        *ipv6 = true;
        return true;
    }
    return false;
}

/* An IPv6 literal other than "::", allowing for one separator colon
 * glued on either side ("x-lan:fe80::1"). */
static bool sdp_addr_is_ipv6(char *run)
{
    unsigned char bin[16];
    size_t n = strlen(run);
    if (n > 1 && run[n - 1] == ':' && run[n - 2] != ':')
        run[--n] = '\0';
    if (n > 1 && run[0] == ':' && run[1] != ':')
        run++;
    return inet_pton(AF_INET6, run, bin) == 1 && strcmp(run, "::") != 0;
}

/* An IPv4 literal other than 0.0.0.0 in p[0..n), digits and dots. */
static bool sdp_addr_is_ipv4(const char *p, size_t n)
{
    char run[INET_ADDRSTRLEN];
    unsigned char bin[4];
    if (n >= sizeof(run))
        return false;
    memcpy(run, p, n);
    run[n] = '\0';
    return inet_pton(AF_INET, run, bin) == 1 && strcmp(run, "0.0.0.0") != 0;
}

static bool sdp_addr_is_hex_colon_dot(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* A run of hex digits, colons and dots holds an address if it is one, if
 * it holds "::" next to a hex digit (a compressed IPv6 address glued to
 * other text), or if an IPv4 address hides in it ("cafe10.0.0.1"). */
static bool sdp_addr_in_run(const char *p, size_t n)
{
    char run[INET6_ADDRSTRLEN];
    const char *dc = NULL;
    size_t dots = 0, colons = 0;
    for (size_t k = 0; k < n; k++) {
        dots += p[k] == '.';
        colons += p[k] == ':';
    }
    if (dots < 3 && colons < 2) /* most runs: hex in words, numbers */
        return false;
    if (n < sizeof(run)) {
        memcpy(run, p, n);
        run[n] = '\0';
        if (memchr(run, ':', n) != NULL && sdp_addr_is_ipv6(run))
            return true;
    }
    for (size_t k = 0; k + 1 < n; k++) {
        if (p[k] == ':' && p[k + 1] == ':') {
            dc = p + k;
            break;
        }
    }
    if (dc != NULL && ((dc > p && dc[-1] != ':' && dc[-1] != '.') ||
                       (dc + 2 < p + n && dc[2] != ':' && dc[2] != '.')))
        return true;
    for (size_t k = 0; k < n; k++) {
        size_t e = k;
        if (p[k] < '0' || p[k] > '9' || (k > 0 && p[k - 1] >= '0' && p[k - 1] <= '9'))
            continue;
        while (e < n && ((p[e] >= '0' && p[e] <= '9') || p[e] == '.'))
            e++;
        if (sdp_addr_is_ipv4(p + k, e - k))
            return true;
    }
    return false;
}

bool sdp_addr_in_text(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && sdp_addr_is_hex_colon_dot(p[i]))
            i++;
        if (i == start) {
            i++;
            continue;
        }
        if (sdp_addr_in_run(p + start, i - start))
            return true;
    }
    return false;
}
