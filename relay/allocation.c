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

/* recvmmsg() batches read per wakeup of a relayed socket. */
#define ALLOC_PEER_ROUNDS 2

/* The allocation's bandwidth-limit for one direction: true when len bytes
 * may pass now. Without a limit, no clock is read. */
static bool bandwidth_ok(struct allocation *a, struct rate_bucket *b, size_t len)
{
    const struct relay_config *cfg = a->w->sh->cfg;
    if (cfg->bandwidth == 0)
        return true;
    return rate_bucket_take(b, cfg->bandwidth, cfg->bandwidth_burst, len, worker_now_ms());
}

void allocation_deliver(struct allocation *a, const struct umbra_addr *peer, uint8_t *data,
                        size_t len)
{
    struct worker *w = a->w;
    int64_t now = worker_now();
    uint16_t ch;

    if (!perm_allows(&a->perms, peer, now)) {
        metrics_add(&w->metrics, M_DROP_PEER_NO_PERMISSION, 1);
        return;
    }
    if (!bandwidth_ok(a, &a->bw_to_client, len)) {
        metrics_add(&w->metrics, M_DROP_BANDWIDTH_TO_CLIENT, 1);
        return;
    }
    ch = chan_number(&a->chans, peer, now);
    if (ch != 0) {
        /* The header goes into the headroom in front of the data. */
        uint8_t *frame = data - 4;
        stun_channel_data_header(frame, ch, (uint16_t)len);
        listener_send_channel_data(w, &a->path, frame, len + 4);
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

/* With relay-only-peers, a datagram reaching a relayed socket must come
 * from a relayed address too. A permission covers a whole IP (RFC 8656
 * §9), and the relayed addresses share the relay's own IPs, so without this
 * any other process on the relay's host could reach the client. The owner
 * map answers for this relay's addresses without a lock; only a datagram it
 * does not know pays for the full check (other sources, e.g. a fleet). */
static bool peer_source_allowed(const struct worker *w, const struct umbra_addr *peer)
{
    struct umbra_addr normalised;
    if (!w->sh->policy.relay_only || relay_addr_owner(w->sh->pool, peer) >= 0)
        return true;
    return peer_policy_check(&w->sh->policy, peer, &normalised) == PEER_ALLOW;
}

static void peer_read(struct allocation *a, int fd)
{
    struct worker *w = a->w;
    struct listener *l = &w->listener;

    /* The slots keep WORKER_HEADROOM bytes before each datagram for the
     * ChannelData header. */
    for (int round = 0; round < ALLOC_PEER_ROUNDS; round++) {
        int n = listener_recv(l, fd);
        for (int i = 0; i < n; i++) {
            struct umbra_addr peer;
            if (l->mm[i].msg_len > 65535 || (l->mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
                addr_from_sockaddr(&peer, (struct sockaddr *)&l->from[i],
                                   l->mm[i].msg_hdr.msg_namelen) != 0)
                continue;
            if (!peer_source_allowed(w, &peer)) {
                metrics_add(&w->metrics, M_DROP_PEER_NOT_RELAYED, 1);
                continue;
            }
            allocation_deliver(a, &peer, l->iov[i].iov_base, l->mm[i].msg_len);
        }
        worker_flush(w);
        if (n < LISTENER_UDP_BATCH)
            return;
    }
}

static void on_peer_readable(evutil_socket_t fd, short what, void *arg)
{
    struct allocation *a = arg;
    struct worker *w = a->w;
    worker_enter(w);
    peer_read(a, fd);
    worker_leave(w);
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
    rate_bucket_init(&a->bw_to_peer, w->sh->cfg->bandwidth_burst, worker_now_ms());
    rate_bucket_init(&a->bw_to_client, w->sh->cfg->bandwidth_burst, worker_now_ms());
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

    /* The send batch may hold datagrams for this socket; after close() its
     * descriptor could name another allocation's socket. */
    worker_flush(w);
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
    int owner;

    if (!bandwidth_ok(a, &a->bw_to_peer, len)) {
        metrics_add(&w->metrics, M_DROP_BANDWIDTH_TO_PEER, 1);
        return;
    }
    metrics_add(&w->metrics, M_PKTS_TO_PEER, 1);
    metrics_add(&w->metrics, M_BYTES_TO_PEER, len);
    if (b != NULL) {
        /* Both ends on this worker: skip the kernel round trip. */
        metrics_add(&w->metrics, M_PEER_PATH_LOCAL, 1);
        allocation_deliver(b, &a->relayed, data, len);
        return;
    }
    owner = relay_addr_owner(w->sh->pool, peer);
    if (owner >= 0 && worker_handoff(w, (unsigned)owner, peer, &a->relayed, data, len) == 0) {
        metrics_add(&w->metrics, M_PEER_PATH_HANDOFF, 1);
        return;
    }
    metrics_add(&w->metrics, M_PEER_PATH_KERNEL, 1);
    send_batch_add(&w->out, a->fd, peer, data, len, WORKER_TAG_OTHER);
}
