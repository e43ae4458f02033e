/* relay_addr: see relay_addr.h. */
#include "relay_addr.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { PORT_FREE = 0, PORT_USED = 1, PORT_RESERVED = 2 };

int relay_addr_pool_init(struct relay_addr_pool *p, const struct umbra_addr *ips, size_t n_ips,
                         uint16_t low, uint16_t high)
{
    size_t range = (size_t)high - low + 1;
    memset(p, 0, sizeof(*p));
    if (n_ips == 0 || n_ips > RELAY_ADDR_MAX_IPS || low == 0 || low > high)
        return -1;
    for (size_t i = 0; i < n_ips; i++) {
        p->ips[i] = ips[i];
        addr_set_port(&p->ips[i], 0);
        p->state[i] = calloc(range, 1);
        p->owner[i] = calloc(range, sizeof(*p->owner[i]));
        if (p->state[i] == NULL || p->owner[i] == NULL) {
            for (size_t j = 0; j <= i; j++) {
                free(p->state[j]);
                free((void *)p->owner[j]);
            }
            return -1;
        }
    }
    p->n_ips = n_ips;
    p->low = low;
    p->high = high;
    if (pthread_rwlock_init(&p->lock, NULL) != 0) {
        for (size_t i = 0; i < n_ips; i++) {
            free(p->state[i]);
            free((void *)p->owner[i]);
        }
        return -1;
    }
    return 0;
}

void relay_addr_pool_free(struct relay_addr_pool *p)
{
    for (size_t i = 0; i < p->n_ips; i++) {
        free(p->state[i]);
        free((void *)p->owner[i]);
    }
    pthread_rwlock_destroy(&p->lock);
    sodium_memzero(p->res, sizeof(p->res));
    p->n_ips = 0;
}

static int ip_index(const struct relay_addr_pool *p, const struct umbra_addr *a)
{
    for (size_t i = 0; i < p->n_ips; i++)
        if (addr_equal_ip(&p->ips[i], a))
            return (int)i;
    return -1;
}

bool relay_addr_has_family(struct relay_addr_pool *p, int family)
{
    for (size_t i = 0; i < p->n_ips; i++)
        if (addr_family(&p->ips[i]) == family)
            return true;
    return false;
}

static int bind_socket(const struct umbra_addr *a)
{
    int one = 1;
    int fd = socket(addr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (addr_family(a) == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, &a->u.sa, (socklen_t)addr_len(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Expired reservations give their port back. Lock held for writing. */
static void expire_reservations(struct relay_addr_pool *p, int64_t now)
{
    size_t i = 0;
    while (i < p->n_res) {
        struct relay_addr_reservation *r = &p->res[i];
        if (r->expires > now) {
            i++;
            continue;
        }
        p->state[r->ip][r->port - p->low] = PORT_FREE;
        *r = p->res[--p->n_res];
        sodium_memzero(&p->res[p->n_res], sizeof(p->res[0]));
    }
}

static enum relay_addr_status claim_token(struct relay_addr_pool *p, const uint8_t *token,
                                          struct relay_addr_lease *out)
{
    for (size_t i = 0; i < p->n_res; i++) {
        struct relay_addr_reservation *r = &p->res[i];
        if (sodium_memcmp(r->token, token, RELAY_ADDR_TOKEN_LEN) != 0)
            continue;
        out->addr = p->ips[r->ip];
        addr_set_port(&out->addr, r->port);
        out->fd = bind_socket(&out->addr);
        if (out->fd < 0) {
            p->state[r->ip][r->port - p->low] = PORT_FREE;
        } else {
            p->state[r->ip][r->port - p->low] = PORT_USED;
            p->used++;
        }
        *r = p->res[--p->n_res];
        sodium_memzero(&p->res[p->n_res], sizeof(p->res[0]));
        return out->fd >= 0 ? RELAY_ADDR_OK : RELAY_ADDR_EXHAUSTED;
    }
    return RELAY_ADDR_BAD_TOKEN;
}

static enum relay_addr_status pick(struct relay_addr_pool *p, size_t ip, enum relay_addr_even even,
                                   struct relay_addr_lease *out)
{
    size_t range = (size_t)p->high - p->low + 1;
    size_t start = randombytes_uniform((uint32_t)range);
    uint8_t *st = p->state[ip];

    for (size_t k = 0; k < range; k++) {
        size_t i = (start + k) % range;
        uint16_t port = (uint16_t)(p->low + i);
        if (st[i] != PORT_FREE)
            continue;
        if (even != RELAY_ADDR_ANY_PORT && (port & 1) != 0)
            continue;
        if (even == RELAY_ADDR_EVEN_RESERVE &&
            (i + 1 >= range || st[i + 1] != PORT_FREE || p->n_res >= RELAY_ADDR_MAX_RESERVATIONS))
            continue;
        out->addr = p->ips[ip];
        addr_set_port(&out->addr, port);
        out->fd = bind_socket(&out->addr);
        if (out->fd < 0)
            continue; /* taken by another process; try the next */
        st[i] = PORT_USED;
        p->used++;
        return RELAY_ADDR_OK;
    }
    return RELAY_ADDR_EXHAUSTED;
}

enum relay_addr_status relay_addr_open(struct relay_addr_pool *p, int family,
                                       enum relay_addr_even even, const uint8_t *token, int64_t now,
                                       struct relay_addr_lease *out)
{
    enum relay_addr_status rc = RELAY_ADDR_NO_FAMILY;
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    pthread_rwlock_wrlock(&p->lock);
    expire_reservations(p, now);
    if (token != NULL) {
        rc = claim_token(p, token, out);
        pthread_rwlock_unlock(&p->lock);
        return rc;
    }
    for (size_t ip = 0; ip < p->n_ips; ip++) {
        if (addr_family(&p->ips[ip]) != family)
            continue;
        rc = pick(p, ip, even, out);
        if (rc != RELAY_ADDR_OK)
            continue;
        if (even == RELAY_ADDR_EVEN_RESERVE) {
            struct relay_addr_reservation *r = &p->res[p->n_res++];
            uint16_t port = addr_port(&out->addr);
            r->ip = ip;
            r->port = (uint16_t)(port + 1);
            r->expires = now + RELAY_ADDR_RESERVE_SECONDS;
            randombytes_buf(r->token, sizeof(r->token));
            p->state[ip][r->port - p->low] = PORT_RESERVED;
            memcpy(out->token, r->token, sizeof(out->token));
            out->has_token = true;
        }
        break;
    }
    pthread_rwlock_unlock(&p->lock);
    return rc;
}

void relay_addr_release(struct relay_addr_pool *p, const struct umbra_addr *addr)
{
    int ip;
    uint16_t port = addr_port(addr);
    pthread_rwlock_wrlock(&p->lock);
    ip = ip_index(p, addr);
    if (ip >= 0 && port >= p->low && port <= p->high && p->state[ip][port - p->low] == PORT_USED) {
        atomic_store_explicit(&p->owner[ip][port - p->low], 0, memory_order_relaxed);
        p->state[ip][port - p->low] = PORT_FREE;
        p->used--;
    }
    pthread_rwlock_unlock(&p->lock);
}

int relay_addr_contains(void *pool, const struct umbra_addr *addr)
{
    struct relay_addr_pool *p = pool;
    uint16_t port = addr_port(addr);
    int ip, found = 0;
    pthread_rwlock_rdlock(&p->lock);
    ip = ip_index(p, addr);
    if (ip >= 0 && port >= p->low && port <= p->high)
        found = p->state[ip][port - p->low] == PORT_USED;
    pthread_rwlock_unlock(&p->lock);
    return found;
}

size_t relay_addr_in_use(struct relay_addr_pool *p)
{
    size_t n;
    pthread_rwlock_rdlock(&p->lock);
    n = p->used;
    pthread_rwlock_unlock(&p->lock);
    return n;
}

void relay_addr_set_owner(struct relay_addr_pool *p, const struct umbra_addr *addr, unsigned worker)
{
    int ip = ip_index(p, addr);
    uint16_t port = addr_port(addr);
    if (ip < 0 || port < p->low || port > p->high || worker > 254)
        return;
    atomic_store_explicit(&p->owner[ip][port - p->low], (uint8_t)(worker + 1),
                          memory_order_relaxed);
}

int relay_addr_owner(const struct relay_addr_pool *p, const struct umbra_addr *addr)
{
    int ip = ip_index(p, addr);
    uint16_t port = addr_port(addr);
    uint8_t v;
    if (ip < 0 || port < p->low || port > p->high)
        return -1;
    v = atomic_load_explicit(&p->owner[ip][port - p->low], memory_order_relaxed);
    return v > 0 ? v - 1 : -1;
}
