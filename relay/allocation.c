/* allocation: see allocation.h. */
#include "allocation.h"

#include <errno.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc_table.h"
#include "turn_rest.h"
#include "worker.h"

/* Packets read per wakeup of a relayed socket. */
#define ALLOC_PEER_BATCH 32

static void deliver_to_client(struct allocation *a, const struct umbra_addr *peer, uint8_t *data,
                              size_t len)
{
    struct worker *w = a->w;
    int64_t now = worker_now();
    uint16_t ch;

    if (!perm_allows(&a->perms, peer, now)) {
        metrics_add(&w->metrics, M_DROP_PEER_NO_PERMISSION, 1);
        return;
    }
    ch = chan_number(&a->chans, peer, now);
    if (ch != 0) {
        /* The header goes into the headroom in front of the data. */
        uint8_t *frame = data - 4;
        stun_channel_data_header(frame, ch, (uint16_t)len);
        if (listener_send(w, &a->path, frame, len + 4, true) == 0) {
            metrics_add(&w->metrics, M_PKTS_TO_CLIENT, 1);
            metrics_add(&w->metrics, M_BYTES_TO_CLIENT, len);
        }
        return;
    } else {
        struct stun_builder b;
        uint8_t txid[STUN_TXID_LEN];
        ssize_t n;
        /* Unique ids without a getrandom() per packet; the base is random
         * per allocation so ids link nothing across allocations. */
        uint64_t count = ++a->txid_count;
        memcpy(txid, a->txid_base, sizeof(txid));
        for (int i = 0; i < 8; i++)
            txid[STUN_TXID_LEN - 1 - i] ^= (uint8_t)(count >> (8 * i));
        stun_build_start(&b, w->tx, sizeof(w->tx) - 4, STUN_METHOD_DATA, STUN_CLASS_INDICATION,
                         txid);
        stun_put_xor_address(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
        stun_put_bytes(&b, STUN_ATTR_DATA, data, len);
        n = stun_build_finish(&b);
        if (n < 0) {
            metrics_add(&w->metrics, M_DROP_MALFORMED, 1);
            return;
        }
        if (listener_send(w, &a->path, w->tx, (size_t)n, false) == 0) {
            metrics_add(&w->metrics, M_PKTS_TO_CLIENT, 1);
            metrics_add(&w->metrics, M_BYTES_TO_CLIENT, len);
        }
    }
}

static void on_peer_readable(evutil_socket_t fd, short what, void *arg)
{
    struct allocation *a = arg;
    struct worker *w = a->w;
    uint8_t *data = w->rx + WORKER_HEADROOM;
    size_t cap = sizeof(w->rx) - WORKER_HEADROOM - 4;

    for (int i = 0; i < ALLOC_PEER_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct umbra_addr peer;
        ssize_t n = recvfrom(fd, data, cap, 0, (struct sockaddr *)&ss, &sl);
        if (n < 0)
            return;
        if (n > 65535 || addr_from_sockaddr(&peer, (struct sockaddr *)&ss, sl) != 0)
            continue;
        deliver_to_client(a, &peer, data, (size_t)n);
    }
}

struct allocation *allocation_new(struct worker *w, const struct client_path *path,
                                  struct relay_addr_lease *lease, const char *user, size_t user_len,
                                  const uint8_t *key, size_t key_len)
{
    struct allocation *a;
    int sz = 1 << 20;

    if (user_len >= ALLOC_USER_MAX || key_len > sizeof(a->key))
        return NULL;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->w = w;
    randombytes_buf(a->txid_base, sizeof(a->txid_base));
    a->path = *path;
    a->via = listener_path_via(path);
    a->relayed = lease->addr;
    a->fd = lease->fd;
    a->has_token = lease->has_token;
    memcpy(a->token, lease->token, sizeof(a->token));
    memcpy(a->user, user, user_len);
    a->user_len = user_len;
    memcpy(a->key, key, key_len);
    a->key_len = key_len;
    if (perm_table_init(&a->perms, w->hash_key) != 0)
        goto fail_perm;
    if (chan_table_init(&a->chans, w->hash_key) != 0)
        goto fail_chan;
    a->ev = event_new(w->base, a->fd, EV_READ | EV_PERSIST, on_peer_readable, a);
    if (a->ev == NULL || event_add(a->ev, NULL) != 0)
        goto fail_ev;
    setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(a->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    lease->fd = -1; /* owned now */
    metrics_gauge(&w->metrics, G_ALLOCATIONS, 1);
    metrics_add(&w->metrics, M_ALLOCATIONS_TOTAL, 1);
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
    struct worker *w = a->w;
    int64_t now = worker_now();

    event_free(a->ev);
    close(a->fd);
    relay_addr_release(w->sh->pool, &a->relayed);
    quota_give_back(w->sh->quota, a->user, a->user_len);
    metrics_gauge(&w->metrics, G_PERMISSIONS, -(int64_t)perm_count(&a->perms));
    metrics_gauge(&w->metrics, G_CHANNELS, -(int64_t)chan_live_count(&a->chans, now));
    metrics_gauge(&w->metrics, G_ALLOCATIONS, -1);
    perm_table_free(&a->perms);
    chan_table_free(&a->chans);
    sodium_memzero(a, sizeof(*a));
    free(a);
}

int allocation_call_id(const struct allocation *a, const char **id, size_t *len)
{
    return turn_rest_call_id(a->user, a->user_len, id, len);
}

void allocation_send_to_peer(struct allocation *a, const struct umbra_addr *peer, uint8_t *data,
                             size_t len)
{
    struct worker *w = a->w;
    struct allocation *b = alloc_table_find_relayed(&w->allocs, peer);
    ssize_t n;

    metrics_add(&w->metrics, M_PKTS_TO_PEER, 1);
    metrics_add(&w->metrics, M_BYTES_TO_PEER, len);
    if (b != NULL) {
        /* Both ends on this worker: skip the kernel round trip. */
        deliver_to_client(b, &a->relayed, data, len);
        return;
    }
    n = sendto(a->fd, data, len, 0, &peer->u.sa, (socklen_t)addr_len(peer));
    if (n < 0)
        metrics_add(&w->metrics, M_DROP_CONGESTED, 1);
}
