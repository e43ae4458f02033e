/* datapath: see datapath.h. */
#include "datapath.h"

#include <string.h>

#include "clock.h"
#include "media_filter.h"
#include "metrics.h"
#include "relay_addr.h"
#include "relay_shared.h"

/* recvmmsg() batches read per wakeup of a relayed socket. */
#define DATAPATH_PEER_ROUNDS 2

static void on_readable(void *ctx, struct allocation *a, int fd)
{
    struct datapath *dp = ctx;
    dp->hooks.readable(dp->hooks.ctx, a, fd);
}

static void on_flush(void *ctx)
{
    struct datapath *dp = ctx;
    egress_flush(&dp->out);
}

int datapath_init(struct datapath *dp, const struct relay_shared *sh, struct event_base *base,
                  struct metrics_thread *metrics, struct recv_batch *rx,
                  const unsigned char *hash_key, const struct datapath_hooks *hooks)
{
    dp->sh = sh;
    dp->metrics = metrics;
    dp->rx = rx;
    dp->hooks = *hooks;
    dp->media_only = sh->cfg->media_only;
    dp->io = (struct alloc_io){.base = base,
                               .metrics = metrics,
                               .pool = sh->pool,
                               .quota = sh->quota,
                               .hash_key = hash_key,
                               .bandwidth = sh->cfg->bandwidth,
                               .bandwidth_burst = sh->cfg->bandwidth_burst,
                               .readable = on_readable,
                               .flush = on_flush,
                               .ctx = dp};
    if (alloc_table_init(&dp->allocs, hash_key) != 0)
        return -1;
    if (egress_init(&dp->out, metrics, false) != 0) {
        egress_free(&dp->out);
        htab_free(&dp->allocs.h);
        htab_free(&dp->allocs.relayed);
        dp->allocs.h.buckets = NULL;
        return -1;
    }
    dp->out.flushed = hooks->flushed;
    dp->out.flushed_ctx = hooks->ctx;
    return 0;
}

static void end_cb(void *ctx, struct allocation *a)
{
    client_path_detach(&a->path, a);
    (void)ctx;
    allocation_free(a);
}

void datapath_free(struct datapath *dp)
{
    if (dp->allocs.h.buckets != NULL)
        alloc_table_free(&dp->allocs, end_cb, dp);
    dp->allocs.h.buckets = NULL;
    egress_free(&dp->out);
}

void datapath_insert(struct datapath *dp, struct allocation *a)
{
    alloc_table_insert(&dp->allocs, a);
    client_path_attach(&a->path, a);
}

void datapath_end(struct datapath *dp, struct allocation *a)
{
    alloc_table_remove(&dp->allocs, a);
    end_cb(dp, a);
}

size_t datapath_sweep(struct datapath *dp, int64_t now)
{
    return alloc_table_sweep(&dp->allocs, now, end_cb, dp);
}

size_t datapath_revoke(struct datapath *dp, const char *id, size_t len)
{
    return alloc_table_revoke(&dp->allocs, id, len, end_cb, dp);
}

void datapath_count_denial(struct metrics_thread *m, enum peer_verdict v)
{
    metrics_add(m,
                v == PEER_DENY_NOT_RELAYED                    ? M_DENY_NOT_RELAYED
                : v == PEER_DENY_SCOPE || v == PEER_DENY_SELF ? M_DENY_SCOPE
                                                              : M_DENY_UNSPECIFIED,
                1);
}

/* A Data indication to the client of a: unique ids without a getrandom()
 * per packet; the base is random per allocation so ids link nothing across
 * allocations. */
static void deliver_indication(struct datapath *dp, struct allocation *a,
                               const struct umbra_addr *peer, const uint8_t *data, size_t len)
{
    struct stun_builder b;
    uint8_t txid[STUN_TXID_LEN];
    ssize_t n;
    uint64_t count = ++a->txid_count;

    memcpy(txid, a->txid_base, sizeof(txid));
    for (int i = 0; i < 8; i++)
        txid[STUN_TXID_LEN - 1 - i] ^= (uint8_t)(count >> (8 * i));
    stun_build_start(&b, dp->tx, sizeof(dp->tx) - 4, STUN_METHOD_DATA, STUN_CLASS_INDICATION, txid);
    stun_put_xor_address(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
    stun_put_bytes(&b, STUN_ATTR_DATA, data, len);
    n = stun_build_finish(&b);
    if (n < 0) {
        metrics_add(dp->metrics, M_DROP_MALFORMED, 1);
        return;
    }
    if (egress_send(&dp->out, &a->path, dp->tx, (size_t)n, false) == 0) {
        metrics_add(dp->metrics, M_PKTS_TO_CLIENT, 1);
        metrics_add(dp->metrics, M_BYTES_TO_CLIENT, len);
    }
}

void datapath_deliver(struct datapath *dp, struct allocation *a, const struct umbra_addr *peer,
                      uint8_t *data, size_t len)
{
    int64_t now = clock_now();
    uint16_t ch;

    if (!perm_allows(&a->perms, peer, now)) {
        metrics_add(dp->metrics, M_DROP_PEER_NO_PERMISSION, 1);
        return;
    }
    if (!allocation_bandwidth_ok(a, &a->bw_to_client, len)) {
        metrics_add(dp->metrics, M_DROP_BANDWIDTH_TO_CLIENT, 1);
        return;
    }
    ch = chan_number(&a->chans, peer, now);
    if (ch != 0) {
        /* The header goes into the headroom in front of the data. */
        uint8_t *frame = data - 4;
        stun_channel_data_header(frame, ch, (uint16_t)len);
        egress_send_channel_data(&dp->out, &a->path, frame, len + 4);
        return;
    }
    deliver_indication(dp, a, peer, data, len);
}

/* With relay-only-peers, a datagram reaching a relayed socket must come
 * from a relayed address too. A permission covers a whole IP (RFC 8656
 * §9), and the relayed addresses share the relay's own IPs, so without this
 * any other process on the relay's host could reach the client. The owner
 * map answers for this relay's addresses without a lock; only a datagram it
 * does not know pays for the full check (other sources, e.g. a fleet). */
static bool peer_source_allowed(const struct datapath *dp, const struct umbra_addr *peer)
{
    struct umbra_addr normalised;
    if (!dp->sh->policy.relay_only || relay_addr_owner(dp->sh->pool, peer) >= 0)
        return true;
    return peer_policy_check(&dp->sh->policy, peer, &normalised) == PEER_ALLOW;
}

struct peer_read {
    struct datapath *dp;
    struct allocation *a;
};

static void peer_datagram(void *ctx, const struct umbra_addr *from, uint8_t *data, size_t len)
{
    struct peer_read *pr = ctx;
    if (len > 65535)
        return;
    if (!peer_source_allowed(pr->dp, from)) {
        metrics_add(pr->dp->metrics, M_DROP_PEER_NOT_RELAYED, 1);
        return;
    }
    /* From outside this relay's workers (a fleet relay, or a public peer
     * without relay-only-peers): what this relay's own clients send was
     * filtered in datapath_to_peer. */
    if (pr->dp->media_only && !media_filter_allows(data, len)) {
        metrics_add(pr->dp->metrics, M_DROP_NOT_MEDIA_TO_CLIENT, 1);
        return;
    }
    datapath_deliver(pr->dp, pr->a, from, data, len);
}

static void peer_bad(void *ctx)
{
    (void)ctx; /* not counted, as a peer's truncated datagram never was */
}

static void peer_done(void *ctx)
{
    struct peer_read *pr = ctx;
    egress_flush(&pr->dp->out);
}

void datapath_peer_read(struct datapath *dp, struct allocation *a, int fd)
{
    static const struct recv_batch_ops ops = {peer_datagram, peer_bad, peer_done};
    struct peer_read pr = {dp, a};
    /* The slots keep RECV_BATCH_HEADROOM bytes before each datagram for the
     * ChannelData header. */
    recv_batch_for_each(dp->rx, fd, DATAPATH_PEER_ROUNDS, &ops, &pr);
}

void datapath_handoff_in(struct datapath *dp, const struct umbra_addr *dst,
                         const struct umbra_addr *src, uint8_t *data, size_t len)
{
    struct allocation *b = alloc_table_find_relayed(&dp->allocs, dst);
    if (b == NULL) {
        /* Ended since the sender looked: as the kernel would. */
        metrics_add(dp->metrics, M_DROP_NO_ALLOCATION, 1);
        return;
    }
    datapath_deliver(dp, b, src, data, len);
}

void datapath_to_peer(struct datapath *dp, struct allocation *a, const struct umbra_addr *peer,
                      uint8_t *data, size_t len)
{
    struct allocation *b = alloc_table_find_relayed(&dp->allocs, peer);
    int owner;

    if (dp->media_only && !media_filter_allows(data, len)) {
        metrics_add(dp->metrics, M_DROP_NOT_MEDIA_TO_PEER, 1);
        return;
    }
    if (!allocation_bandwidth_ok(a, &a->bw_to_peer, len)) {
        metrics_add(dp->metrics, M_DROP_BANDWIDTH_TO_PEER, 1);
        return;
    }
    metrics_add(dp->metrics, M_PKTS_TO_PEER, 1);
    metrics_add(dp->metrics, M_BYTES_TO_PEER, len);
    if (b != NULL) {
        /* Both ends on this worker: skip the kernel round trip. */
        metrics_add(dp->metrics, M_PEER_PATH_LOCAL, 1);
        datapath_deliver(dp, b, &a->relayed, data, len);
        return;
    }
    owner = relay_addr_owner(dp->sh->pool, peer);
    if (owner >= 0 &&
        dp->hooks.handoff(dp->hooks.ctx, (unsigned)owner, peer, &a->relayed, data, len) == 0) {
        metrics_add(dp->metrics, M_PEER_PATH_HANDOFF, 1);
        return;
    }
    metrics_add(dp->metrics, M_PEER_PATH_KERNEL, 1);
    egress_to_peer(&dp->out, a->fd, peer, data, len);
}

void datapath_send_indication(struct datapath *dp, const struct client_path *p,
                              const struct stun_msg *m)
{
    const struct stun_attr *peer_at, *data_at;
    struct umbra_addr wire, peer;
    struct allocation *a = alloc_table_find(&dp->allocs, &p->client, p->transport);
    enum peer_verdict v;

    if (a == NULL) {
        metrics_add(dp->metrics, M_DROP_NO_ALLOCATION, 1);
        return;
    }
    peer_at = stun_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
    data_at = stun_find(m, STUN_ATTR_DATA);
    if (peer_at == NULL || data_at == NULL || stun_attr_xor_address(m, peer_at, &wire) != 0) {
        metrics_add(dp->metrics, M_DROP_MALFORMED, 1);
        return;
    }
    /* Permissions cover an IP, any port; the peer policy is about the
     * transport address, so each Send is checked against it too (Send is
     * not the fast path: ChannelData is, and its peer was checked when the
     * channel was bound). */
    v = peer_policy_check(&dp->sh->policy, &wire, &peer);
    if (v != PEER_ALLOW) {
        datapath_count_denial(dp->metrics, v);
        return;
    }
    if (addr_family(&peer) != addr_family(&a->relayed)) {
        metrics_add(dp->metrics, M_DROP_MALFORMED, 1);
        return;
    }
    if (!perm_allows(&a->perms, &peer, clock_now())) {
        metrics_add(dp->metrics, M_DENY_SEND_NO_PERMISSION, 1);
        return;
    }
    /* The message was received into a writable buffer; the DATA attribute
     * header before the value and what follows it are no longer needed. */
    datapath_to_peer(dp, a, &peer, (uint8_t *)(uintptr_t)data_at->value, data_at->len);
}

void datapath_channel_data(struct datapath *dp, const struct client_path *p, const uint8_t *buf,
                           size_t len)
{
    struct allocation *a = alloc_table_find(&dp->allocs, &p->client, p->transport);
    const struct umbra_addr *peer;
    const uint8_t *data;
    size_t data_len;
    uint16_t ch;
    int64_t now;

    if (a == NULL) {
        metrics_add(dp->metrics, M_DROP_NO_ALLOCATION, 1);
        return;
    }
    if (stun_channel_data_parse(buf, len, &ch, &data, &data_len) != 0) {
        metrics_add(dp->metrics, M_DROP_MALFORMED, 1);
        return;
    }
    now = clock_now();
    peer = chan_peer(&a->chans, ch, now);
    if (peer == NULL || !perm_allows(&a->perms, peer, now)) {
        metrics_add(dp->metrics, M_DENY_SEND_NO_PERMISSION, 1);
        return;
    }
    /* data follows the ChannelData header in the writable receive buffer. */
    datapath_to_peer(dp, a, peer, (uint8_t *)(uintptr_t)data, data_len);
}
