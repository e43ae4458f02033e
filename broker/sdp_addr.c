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

/* One group of a dotted quad at p[0..n): a run of digits with at most
 * three after its leading zeros, so that octal "0300" and zero-padded
 * "001" count, as some parsers read them. Its length, or 0. */
static size_t sdp_addr_quad_group(const char *p, size_t n)
{
    size_t len = 0, significant = 0;
    for (; len < n && p[len] >= '0' && p[len] <= '9'; len++)
        if (significant > 0 || p[len] != '0')
            significant++;
    return len > 0 && significant <= 3 ? len : 0;
}

/* The length of the dotted quad at the start of p[0..n), or 0. What
 * follows it does not matter: "10.0.0.1." and "10.0.0.1.5" hold one. */
static size_t sdp_addr_dotted_quad(const char *p, size_t n)
{
    size_t k = 0;
    for (int g = 0; g < 4; g++) {
        size_t len;
        if (g > 0 && (k >= n || p[k++] != '.'))
            return 0;
        len = sdp_addr_quad_group(p + k, n - k);
        if (len == 0)
            return 0;
        k += len;
    }
    return k;
}

static bool sdp_addr_is_hex_colon_dot(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* A run of hex digits, colons and dots holds an address if it is one, if
 * it holds "::" next to a hex digit (a compressed IPv6 address glued to
 * other text), or if a dotted quad hides in it ("cafe10.0.0.1"). */
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
    /* Fail closed on IPv4: any four dot-separated groups, even starting
     * inside a longer number ("1110.0.0.1" holds 110.0.0.1) and even when
     * inet_pton would refuse them ("010.0.0.1", "256.1.1.1"); only the
     * exact text "0.0.0.0" is let through. */
    for (size_t k = 0; k < n; k++) {
        size_t len = sdp_addr_dotted_quad(p + k, n - k);
        if (len > 0 && !(len == 7 && memcmp(p + k, "0.0.0.0", 7) == 0))
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
