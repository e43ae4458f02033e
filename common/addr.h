/* addr: the one socket-address type of umbra, and pure helpers on it.
 *
 * An umbra_addr holds an IPv4 or IPv6 address with a port, in network form.
 * Every function here is pure: no I/O, no allocation, no global state, so
 * parsers and policy checks can use them freely and fuzzers can reach them.
 * Functions return 0 on success and a negative value on failure. */
#ifndef UMBRA_ADDR_H
#define UMBRA_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct umbra_addr {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
        struct sockaddr_storage ss;
    } u;
};

/* Longest text addr_format() writes, with brackets, port and NUL. */
#define ADDR_TEXT_MAX (INET6_ADDRSTRLEN + 8)

/* Parses "1.2.3.4", "1.2.3.4:5", "::1", "[::1]" or "[::1]:5". Without a
 * port in the text, default_port is used. No name resolution. */
int addr_parse(struct umbra_addr *out, const char *text, uint16_t default_port);
/* Copies a kernel sockaddr (AF_INET or AF_INET6 only). */
int addr_from_sockaddr(struct umbra_addr *out, const struct sockaddr *sa, size_t len);
/* Builds from raw bytes: 4 bytes for AF_INET, 16 for AF_INET6. */
int addr_from_bytes(struct umbra_addr *out, int family, const uint8_t *ip, uint16_t port);

int addr_family(const struct umbra_addr *a);
size_t addr_len(const struct umbra_addr *a); /* socklen for bind/sendto */
uint16_t addr_port(const struct umbra_addr *a);
void addr_set_port(struct umbra_addr *a, uint16_t port);
/* Points at the 4 or 16 address bytes; *len receives 4 or 16. */
const uint8_t *addr_ip_bytes(const struct umbra_addr *a, size_t *len);

/* "1.2.3.4:5" or "[::1]:5"; addr_format_ip() leaves out the port.
 * These are for configuration and tests: logs use log_addr_token(). */
int addr_format(const struct umbra_addr *a, char *buf, size_t len);
int addr_format_ip(const struct umbra_addr *a, char *buf, size_t len);

bool addr_equal(const struct umbra_addr *a, const struct umbra_addr *b); /* ip and port */
bool addr_equal_ip(const struct umbra_addr *a, const struct umbra_addr *b);
/* A keyed hash (SipHash) of family, ip and port for hash tables; a key
 * random per table keeps clients from choosing colliding addresses. */
#define ADDR_HASH_KEY_BYTES 16
uint64_t addr_hash(const struct umbra_addr *a, const unsigned char key[ADDR_HASH_KEY_BYTES]);
/* A keyed hash of the host behind a source, for per-client limits: its
 * IPv4 address, or the /64 of an IPv6 one (a host picks its low 64 bits
 * freely); IPv6 forms that embed an IPv4 address count as that address;
 * the port is left out. Never 0, so tables may mark free entries with 0. */
uint64_t addr_hash_host(const struct umbra_addr *a, const unsigned char key[ADDR_HASH_KEY_BYTES]);

/* Normalisation for peer checks. IPv6 forms that embed an IPv4 address
 * (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, 6to4 2002::/16, NAT64
 * 64:ff9b::/96, Teredo 2001::/32) are rewritten to that IPv4 address, port
 * kept; other addresses are copied. Returns ADDR_NORM_OK, or
 * ADDR_NORM_UNSPECIFIED for 0.0.0.0/8 and ::, which must never be a peer. */
enum addr_norm { ADDR_NORM_OK = 0, ADDR_NORM_UNSPECIFIED = -1 };
enum addr_norm addr_normalise(const struct umbra_addr *in, struct umbra_addr *out);

/* Classes of addresses that are not on the public internet. Apply to a
 * normalised address. */
enum addr_scope {
    ADDR_SCOPE_PUBLIC = 0,
    ADDR_SCOPE_UNSPECIFIED, /* 0.0.0.0/8, :: */
    ADDR_SCOPE_LOOPBACK,    /* 127/8, ::1 */
    ADDR_SCOPE_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 */
    ADDR_SCOPE_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
    ADDR_SCOPE_MULTICAST,   /* 224/4, ff00::/8 */
    ADDR_SCOPE_RESERVED,    /* 240/4 incl. broadcast, and other special-use blocks */
};
enum addr_scope addr_scope_of(const struct umbra_addr *a);
const char *addr_scope_name(enum addr_scope scope);

#endif
