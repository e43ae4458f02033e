/* allocation: see allocation.h. */
#include "allocation.h"

#include <event2/event.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "metrics.h"
#include "quota.h"
#include "turn_rest.h"

bool allocation_bandwidth_ok(struct allocation *a, struct rate_bucket *b, size_t len)
{
    const struct alloc_io *io = a->io;
    if (io->bandwidth == 0)
        return true;
    return rate_bucket_take(b, io->bandwidth, io->bandwidth_burst, len, clock_now_ms());
}

static void on_peer_readable(evutil_socket_t fd, short what, void *arg)
{
    struct allocation *a = arg;
    a->io->readable(a->io->ctx, a, fd);
}

struct allocation *allocation_new(const struct alloc_io *io, const struct client_path *path,
                                  struct relay_addr_lease *lease, const char *user, size_t user_len,
                                  const struct turn_rest_claims *claims, const uint8_t *key,
                                  size_t key_len)
{
    struct allocation *a;
    int sz = 1 << 20;

    if (user_len >= ALLOC_USER_MAX || key_len > sizeof(a->key))
        return NULL;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->io = io;
    randombytes_buf(a->txid_base, sizeof(a->txid_base));
    a->path = *path;
    a->relayed = lease->addr;
    a->fd = lease->fd;
    a->has_token = lease->has_token;
    memcpy(a->token, lease->token, sizeof(a->token));
    memcpy(a->user, user, user_len);
    a->user_len = user_len;
    a->claims = *claims;
    memcpy(a->key, key, key_len);
    a->key_len = key_len;
    rate_bucket_init(&a->bw_to_peer, io->bandwidth_burst, clock_now_ms());
    rate_bucket_init(&a->bw_to_client, io->bandwidth_burst, clock_now_ms());
    if (perm_table_init(&a->perms, io->hash_key) != 0)
        goto fail_perm;
    if (chan_table_init(&a->chans, io->hash_key) != 0)
        goto fail_chan;
    a->ev = event_new(io->base, a->fd, EV_READ | EV_PERSIST, on_peer_readable, a);
    if (a->ev == NULL || event_add(a->ev, NULL) != 0)
        goto fail_ev;
    setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(a->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    lease->fd = -1; /* owned now */
    metrics_gauge(io->metrics, G_ALLOCATIONS, 1);
    metrics_add(io->metrics, M_ALLOCATIONS_TOTAL, 1);
    return a;

fail_ev:
    if (a->ev != NULL)
        event_free(a->ev);
    chan_table_free(&a->chans);
fail_chan:
    perm_table_free(&a->perms);
fail_perm:
    sodium_memzero(a, sizeof(*a));
    free(a);
    return NULL;
}

void allocation_free(struct allocation *a)
{
    const struct alloc_io *io = a->io;
    int64_t now = clock_now();

    /* The send batch may hold datagrams for this socket; after close() its
     * descriptor could name another allocation's socket. */
    io->flush(io->ctx);
    event_free(a->ev);
    close(a->fd);
    relay_addr_release(io->pool, &a->relayed);
    quota_give_back(io->quota, a->user, a->user_len, a->claims.call_id, a->claims.call_id_len);
    metrics_gauge(io->metrics, G_PERMISSIONS, -(int64_t)perm_count(&a->perms));
    metrics_gauge(io->metrics, G_CHANNELS, -(int64_t)chan_live_count(&a->chans, now));
    metrics_gauge(io->metrics, G_ALLOCATIONS, -1);
    perm_table_free(&a->perms);
    chan_table_free(&a->chans);
    sodium_memzero(a, sizeof(*a));
    free(a);
}

int allocation_call_id(const struct allocation *a, const char **id, size_t *len)
{
    if (a->claims.call_id_len == 0)
        return -1;
    *id = a->claims.call_id;
    *len = a->claims.call_id_len;
    return 0;
}

void allocation_expire(struct allocation *a, int64_t now)
{
    metrics_gauge(a->io->metrics, G_PERMISSIONS, -(int64_t)perm_expire(&a->perms, now));
    metrics_gauge(a->io->metrics, G_CHANNELS, -(int64_t)chan_expire(&a->chans, now));
}
