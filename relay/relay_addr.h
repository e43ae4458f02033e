/* relay_addr: the relayed transport addresses of this relay, i.e. the
 * relay-address IPs times the relay-ports range, shared by all worker
 * threads.
 *
 * relay_addr_open() picks a free port (randomly, so ports do not reveal how
 * busy the relay is), binds a non-blocking UDP socket to it and hands both
 * to the caller, who owns the socket and must call relay_addr_release()
 * when the allocation ends. EVEN-PORT and RESERVATION-TOKEN (RFC 8656 §7.2)
 * are supported: a reservation keeps port+1 for RELAY_ADDR_RESERVE_SECONDS.
 * relay_addr_contains() tells whether an address is the relayed address of
 * a live allocation; it is the relay's own source for peer_policy.
 * All functions are thread-safe (one rwlock; nothing here is on the packet
 * path), except that relay_addr_owner() takes no lock: it reads an atomic
 * byte per port, so the packet path may call it. */
#ifndef UMBRA_RELAY_ADDR_H
#define UMBRA_RELAY_ADDR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define RELAY_ADDR_MAX_IPS 8
#define RELAY_ADDR_TOKEN_LEN 8
#define RELAY_ADDR_MAX_RESERVATIONS 256
#define RELAY_ADDR_RESERVE_SECONDS 30

struct relay_addr_reservation {
    uint8_t token[RELAY_ADDR_TOKEN_LEN];
    size_t ip;
    uint16_t port;
    int64_t expires;
};

struct relay_addr_pool {
    pthread_rwlock_t lock;
    size_t n_ips;
    struct umbra_addr ips[RELAY_ADDR_MAX_IPS]; /* port 0 */
    uint16_t low, high;
    uint8_t *state[RELAY_ADDR_MAX_IPS]; /* one byte per port of the range */
    /* per port: 1 + the id of the worker whose allocation holds it, or 0 */
    _Atomic uint8_t *owner[RELAY_ADDR_MAX_IPS];
    size_t used;
    size_t n_res;
    struct relay_addr_reservation res[RELAY_ADDR_MAX_RESERVATIONS];
};

enum relay_addr_even { RELAY_ADDR_ANY_PORT, RELAY_ADDR_EVEN, RELAY_ADDR_EVEN_RESERVE };

enum relay_addr_status {
    RELAY_ADDR_OK = 0,
    RELAY_ADDR_EXHAUSTED = -1, /* 508 */
    RELAY_ADDR_NO_FAMILY = -2, /* 440 */
    RELAY_ADDR_BAD_TOKEN = -3, /* 508: unknown or expired reservation */
    RELAY_ADDR_ERROR = -4,
};

struct relay_addr_lease {
    struct umbra_addr addr;
    int fd;
    bool has_token;
    uint8_t token[RELAY_ADDR_TOKEN_LEN]; /* when EVEN_RESERVE was asked */
};

/* ips are copied (ports ignored). Returns 0 or -1. */
int relay_addr_pool_init(struct relay_addr_pool *p, const struct umbra_addr *ips, size_t n_ips,
                         uint16_t low, uint16_t high);
void relay_addr_pool_free(struct relay_addr_pool *p);
bool relay_addr_has_family(struct relay_addr_pool *p, int family);

/* token, when not NULL, claims a reservation (family and even are then
 * ignored). now is monotonic seconds. */
enum relay_addr_status relay_addr_open(struct relay_addr_pool *p, int family,
                                       enum relay_addr_even even, const uint8_t *token, int64_t now,
                                       struct relay_addr_lease *out);
/* Frees the port; does not close the socket. */
void relay_addr_release(struct relay_addr_pool *p, const struct umbra_addr *addr);
/* peer_source callback: 1 when addr is a relayed address in use, else 0. */
int relay_addr_contains(void *pool, const struct umbra_addr *addr);
size_t relay_addr_in_use(struct relay_addr_pool *p);
/* Records which worker (0-254) holds the port of addr, a leased relayed
 * address; relay_addr_release() forgets it. */
void relay_addr_set_owner(struct relay_addr_pool *p, const struct umbra_addr *addr,
                          unsigned worker);
/* The worker recorded for addr, or -1 when none (not a relayed address of
 * this relay, or not leased). Lock-free; may lag a lease or a release by a
 * moment, so the owner must check again. */
int relay_addr_owner(const struct relay_addr_pool *p, const struct umbra_addr *addr);

#endif
