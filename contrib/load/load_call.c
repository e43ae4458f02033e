/* load_call: see load_call.h. */
#include "load_call.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "load_clock.h"
#include "load_raw.h"
#include "load_srtp.h"

#define LOAD_RTO_NS (500LL * 1000000)
#define LOAD_MAX_TRIES 7
#define LOAD_MAX_AUTH_TRIES 3
#define LOAD_CHANNEL 0x4000
#define LOAD_RTP_HDR 12
#define LOAD_PAYLOAD_MIN 20 /* send time, sequence, interval, epoch */
#define LOAD_MAX_CATCH_UP 4 /* bursts per leg per pass when behind */

void load_call_init(struct load_call *c, unsigned index, int64_t start_at_ns)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    c->start_at_ns = start_at_ns;
    for (unsigned i = 0; i < 2; i++) {
        c->leg[i].call = c;
        c->leg[i].which = i;
        c->leg[i].conn.fd = -1;
    }
}

static void leg_update_events(struct load_worker *w, struct load_leg *leg)
{
    uint32_t want = EPOLLIN | (load_conn_wants_write(&leg->conn) ? EPOLLOUT : 0);
    struct epoll_event ev = {.events = want, .data.ptr = leg};

    if (leg->conn.fd < 0 || want == leg->ev_mask)
        return;
    if (epoll_ctl(w->epfd, leg->ev_mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, leg->conn.fd,
                  &ev) == 0)
        leg->ev_mask = want;
}

static void leg_close(struct load_leg *leg)
{
    load_conn_close(&leg->conn);
    leg->ev_mask = 0;
    load_srtp_free(leg->srtp);
    leg->srtp = NULL;
    load_turn_auth_clear(&leg->auth);
    leg->state = LOAD_LEG_CLOSED;
}

static void call_fail(struct load_worker *w, struct load_call *c)
{
    if (c->state != LOAD_CALL_SETUP && c->state != LOAD_CALL_WAITING)
        return;
    for (unsigned i = 0; i < 2; i++) {
        if (c->leg[i].state < LOAD_LEG_ALLOCATED)
            w->setup.allocations_failed++;
        leg_close(&c->leg[i]);
    }
    c->state = LOAD_CALL_FAILED;
    w->setup.calls_failed++;
    atomic_fetch_add_explicit(&w->calls_failed, 1, memory_order_relaxed);
}

static int leg_transmit(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    int r = load_conn_send(&leg->conn, leg->tx, leg->tx_len);
    leg->tries++;
    leg->tx_due_ns = now + leg->rto_ns;
    leg->rto_ns *= 2;
    leg_update_events(w, leg);
    return r < 0 ? -1 : 0;
}

static int leg_request(struct load_worker *w, struct load_leg *leg, uint16_t method,
                       const struct umbra_addr *peer, uint32_t lifetime, int64_t now)
{
    ssize_t n = load_turn_request(&leg->auth, method, peer, LOAD_CHANNEL, lifetime, leg->txid,
                                  leg->tx, sizeof(leg->tx));
    if (n < 0)
        return -1;
    leg->method = method;
    leg->tx_len = (size_t)n;
    leg->tries = 0;
    leg->rto_ns = LOAD_RTO_NS;
    return leg_transmit(w, leg, now);
}

static int leg_allocate(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    leg->state = LOAD_LEG_ALLOCATING;
    if (leg->alloc_start_ns == 0)
        leg->alloc_start_ns = now;
    if (w->setup.first_start_ns == 0)
        w->setup.first_start_ns = now;
    return leg_request(w, leg, STUN_METHOD_ALLOCATE, NULL, 0, now);
}

/* Both legs are bound (or, raw, open): key SRTP and start media. */
static int call_ready(struct load_worker *w, struct load_call *c, int64_t now)
{
    uint32_t ssrc[2];
    int64_t period;

    randombytes_buf(ssrc, sizeof(ssrc));
    if (ssrc[0] == ssrc[1])
        ssrc[1] ^= 1;
    if (load_srtp_pair(w->cfg->suite, ssrc[0], ssrc[1], &c->leg[0].srtp, &c->leg[1].srtp) != 0)
        return -1;
    period = (int64_t)(LOAD_NS / w->shape.burst_rate);
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        leg->ssrc = ssrc[i];
        leg->rtp_seq = (uint16_t)randombytes_uniform(65536);
        leg->state = LOAD_LEG_READY;
        /* a random phase, so calls do not send in lockstep */
        leg->next_burst_ns = now + (int64_t)randombytes_uniform((uint32_t)period);
        if (w->cfg->raw_forwarder)
            leg->raw_hdr_len = load_raw_header(leg->raw_hdr, &c->leg[1 - i].relayed);
    }
    c->state = LOAD_CALL_READY;
    if (c->setup_start_ns != 0 && !w->cfg->raw_forwarder)
        load_hist_add(&w->setup.call_us, (uint64_t)(now - c->setup_start_ns) / 1000);
    w->setup.calls_ok++;
    atomic_fetch_add_explicit(&w->calls_ready, 1, memory_order_relaxed);
    if (now < w->next_send_ns || w->next_send_ns == 0)
        w->next_send_ns = now;
    return 0;
}

int load_call_begin(struct load_worker *w, struct load_call *c, int64_t now)
{
    c->state = LOAD_CALL_SETUP;
    c->setup_start_ns = now;
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        if (load_conn_open(&leg->conn, w->cfg->transport, &w->cfg->server, w->tls) != 0) {
            call_fail(w, c);
            return -1;
        }
        leg_update_events(w, leg);
        if (w->cfg->raw_forwarder) {
            leg->relayed = leg->conn.local;
            leg->state = LOAD_LEG_ALLOCATED;
            continue;
        }
        load_turn_auth_init(&leg->auth, w->cfg, c->index, i, (int64_t)time(NULL));
        if (leg->conn.established) {
            if (leg_allocate(w, leg, now) != 0) {
                call_fail(w, c);
                return -1;
            }
        } else {
            leg->state = LOAD_LEG_CONNECTING;
            leg->alloc_start_ns = now;
            if (w->setup.first_start_ns == 0)
                w->setup.first_start_ns = now;
        }
    }
    if (w->cfg->raw_forwarder && call_ready(w, c, now) != 0) {
        call_fail(w, c);
        return -1;
    }
    return 0;
}

void load_call_timers(struct load_worker *w, struct load_call *c, int64_t now)
{
    if (c->state != LOAD_CALL_SETUP)
        return;
    if (now - c->setup_start_ns > (int64_t)w->cfg->setup_timeout_s * LOAD_NS) {
        call_fail(w, c);
        return;
    }
    if (w->cfg->transport != LOAD_UDP)
        return;
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        bool waiting = leg->state == LOAD_LEG_ALLOCATING || leg->state == LOAD_LEG_PERMITTING ||
                       leg->state == LOAD_LEG_BINDING;
        if (!waiting || now < leg->tx_due_ns)
            continue;
        if (leg->tries >= LOAD_MAX_TRIES) {
            call_fail(w, c);
            return;
        }
        w->setup.retransmits++;
        if (leg_transmit(w, leg, now) != 0) {
            call_fail(w, c);
            return;
        }
    }
}

static int leg_next_step(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    struct load_call *c = leg->call;
    struct load_leg *peer = &c->leg[1 - leg->which];

    switch (leg->method) {
    case STUN_METHOD_ALLOCATE:
        leg->state = LOAD_LEG_ALLOCATED;
        w->setup.allocations_ok++;
        w->setup.last_done_ns = now;
        load_hist_add(&w->setup.alloc_us, (uint64_t)(now - leg->alloc_start_ns) / 1000);
        if (peer->state != LOAD_LEG_ALLOCATED)
            return 0;
        leg->state = LOAD_LEG_PERMITTING;
        peer->state = LOAD_LEG_PERMITTING;
        if (leg_request(w, leg, STUN_METHOD_CREATE_PERMISSION, &peer->relayed, 0, now) != 0)
            return -1;
        return leg_request(w, peer, STUN_METHOD_CREATE_PERMISSION, &leg->relayed, 0, now);
    case STUN_METHOD_CREATE_PERMISSION:
        leg->state = LOAD_LEG_BINDING;
        return leg_request(w, leg, STUN_METHOD_CHANNEL_BIND, &peer->relayed, 0, now);
    case STUN_METHOD_CHANNEL_BIND:
        leg->state = LOAD_LEG_READY;
        if (peer->state == LOAD_LEG_READY)
            return call_ready(w, c, now);
        return 0;
    case STUN_METHOD_REFRESH:
        leg->state = LOAD_LEG_CLOSED;
        return 0;
    default:
        return 0;
    }
}

static void leg_on_stun(struct load_worker *w, struct load_leg *leg, const uint8_t *buf,
                        size_t len)
{
    struct umbra_addr relayed;
    int code;
    int64_t now;
    enum load_turn_verdict v;
    bool waiting = leg->state == LOAD_LEG_ALLOCATING || leg->state == LOAD_LEG_PERMITTING ||
                   leg->state == LOAD_LEG_BINDING || leg->state == LOAD_LEG_CLOSING;

    if (!waiting)
        return;
    v = load_turn_response(&leg->auth, buf, len, leg->txid, leg->method, &relayed, &code);
    if (v == LOAD_TURN_NOT_MINE)
        return;
    if (leg->state == LOAD_LEG_CLOSING) {
        leg->state = LOAD_LEG_CLOSED;
        return;
    }
    now = load_now_ns();
    if (v == LOAD_TURN_RETRY && ++leg->auth_tries <= LOAD_MAX_AUTH_TRIES) {
        const struct umbra_addr *peer = &leg->call->leg[1 - leg->which].relayed;
        if (leg_request(w, leg, leg->method, peer, 0, now) != 0)
            call_fail(w, leg->call);
        return;
    }
    if (v != LOAD_TURN_OK) {
        call_fail(w, leg->call);
        return;
    }
    if (leg->method == STUN_METHOD_ALLOCATE)
        leg->relayed = relayed;
    if (leg_next_step(w, leg, now) != 0)
        call_fail(w, leg->call);
}

static void leg_on_media(struct load_worker *w, struct load_leg *leg, uint8_t *buf, size_t len)
{
    int64_t now = load_now_ns();
    struct load_bucket *ep = &w->epochs[w->cur_epoch];
    struct load_bucket *iv, *eb;
    uint64_t send_ns;
    uint32_t seq32, interval, epoch;
    size_t srtp_len = len;

    if (leg->srtp == NULL || len < LOAD_RTP_HDR + LOAD_PAYLOAD_MIN)
        return;
    switch (load_srtp_unprotect(leg->srtp, buf, &len)) {
    case LOAD_SRTP_OK:
        break;
    case LOAD_SRTP_AUTH_FAIL:
        ep->corrupt++;
        load_worker_interval(w, now)->corrupt++;
        return;
    case LOAD_SRTP_REPLAY:
        ep->replayed++;
        load_worker_interval(w, now)->replayed++;
        return;
    default:
        ep->corrupt++;
        load_worker_interval(w, now)->corrupt++;
        return;
    }
    if (len < LOAD_RTP_HDR + LOAD_PAYLOAD_MIN)
        return;
    memcpy(&send_ns, buf + LOAD_RTP_HDR, 8);
    memcpy(&seq32, buf + LOAD_RTP_HDR + 8, 4);
    memcpy(&interval, buf + LOAD_RTP_HDR + 12, 4);
    memcpy(&epoch, buf + LOAD_RTP_HDR + 16, 4);
    if (epoch >= LOAD_EPOCHS || epoch < w->closed_local || interval >= w->n_intervals) {
        ep->late++;
        return;
    }
    eb = &w->epochs[epoch];
    iv = &w->intervals[interval];
    eb->delivered++;
    iv->delivered++;
    eb->delivered_bytes += srtp_len;
    iv->delivered_bytes += srtp_len;
    if (leg->seen_any && seq32 < leg->max_seq_seen) {
        eb->reordered++;
        iv->reordered++;
    } else {
        leg->max_seq_seen = seq32;
    }
    leg->seen_any = true;
    load_jitter_update(&leg->jitter, (int64_t)send_ns, now);
    eb->jitter_sum_ns += (uint64_t)leg->jitter.jitter_ns;
    iv->jitter_sum_ns += (uint64_t)leg->jitter.jitter_ns;
    {
        uint64_t lat_us = now > (int64_t)send_ns ? (uint64_t)(now - (int64_t)send_ns) / 1000 : 0;
        load_hist_add(&eb->latency_us, lat_us);
        load_hist_add(&iv->latency_us, lat_us);
    }
}

struct frame_ctx {
    struct load_worker *w;
    struct load_leg *leg;
};

static void on_frame(void *ctx, uint8_t *buf, size_t len)
{
    struct frame_ctx *fc = ctx;
    struct load_leg *leg = fc->leg;
    const uint8_t *data;
    size_t dlen;
    uint16_t channel;

    if (fc->w->cfg->raw_forwarder) {
        struct umbra_addr dest;
        int hl = load_raw_parse(buf, len, &dest);
        if (hl > 0)
            leg_on_media(fc->w, leg, buf + hl, len - (size_t)hl);
        return;
    }
    switch (stun_classify(buf, len)) {
    case STUN_KIND_CHANNEL_DATA:
        if (stun_channel_data_parse(buf, len, &channel, &data, &dlen) == 0 &&
            channel == LOAD_CHANNEL)
            leg_on_media(fc->w, leg, buf + 4, dlen);
        return;
    case STUN_KIND_STUN:
        leg_on_stun(fc->w, leg, buf, len);
        return;
    default:
        return;
    }
}

void load_call_on_event(struct load_worker *w, struct load_leg *leg, uint32_t events)
{
    struct frame_ctx fc = {.w = w, .leg = leg};
    struct load_call *c = leg->call;
    bool was_established = leg->conn.established;

    if (leg->conn.fd < 0)
        return;
    if (load_conn_on_event(&leg->conn) != 0) {
        if (c->state == LOAD_CALL_SETUP)
            call_fail(w, c);
        else
            leg_close(leg);
        return;
    }
    if (!was_established && leg->conn.established && leg->state == LOAD_LEG_CONNECTING) {
        if (leg_allocate(w, leg, load_now_ns()) != 0) {
            call_fail(w, c);
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (load_conn_receive(&leg->conn, 256, on_frame, &fc, w->msgs, w->bufs, LOAD_BATCH) <
            0) {
            if (c->state == LOAD_CALL_SETUP)
                call_fail(w, c);
            else if (leg->state != LOAD_LEG_CLOSED)
                leg_close(leg);
            return;
        }
    }
    if (leg->conn.fd >= 0)
        leg_update_events(w, leg);
}

/* Writes one SRTP packet (with its channel or raw header) into out;
 * returns its length on the wire, 0 on failure. */
static size_t make_packet(struct load_worker *w, struct load_leg *leg, uint8_t *out,
                          int64_t now, unsigned epoch, size_t *srtp_len)
{
    size_t hdr = w->cfg->raw_forwarder ? (size_t)leg->raw_hdr_len : 4;
    uint8_t *rtp = out + hdr;
    size_t len = LOAD_RTP_HDR + w->shape.payload_size;
    uint32_t interval = (uint32_t)((now - w->ctl->t0_ns) / w->ctl->interval_ns);
    uint32_t ts = (uint32_t)(now / 11111); /* 90 kHz */
    uint32_t ssrc_n = htonl(leg->ssrc);
    uint64_t send_ns = (uint64_t)now;

    if (interval >= w->n_intervals)
        interval = w->n_intervals - 1;
    rtp[0] = 0x80;
    rtp[1] = w->cfg->profile == LOAD_AUDIO ? 111 : 96;
    rtp[2] = (uint8_t)(leg->rtp_seq >> 8);
    rtp[3] = (uint8_t)leg->rtp_seq;
    rtp[4] = (uint8_t)(ts >> 24);
    rtp[5] = (uint8_t)(ts >> 16);
    rtp[6] = (uint8_t)(ts >> 8);
    rtp[7] = (uint8_t)ts;
    memcpy(rtp + 8, &ssrc_n, 4);
    memset(rtp + LOAD_RTP_HDR, 0, w->shape.payload_size);
    memcpy(rtp + LOAD_RTP_HDR, &send_ns, 8);
    memcpy(rtp + LOAD_RTP_HDR + 8, &leg->seq32, 4);
    memcpy(rtp + LOAD_RTP_HDR + 12, &interval, 4);
    memcpy(rtp + LOAD_RTP_HDR + 16, &epoch, 4);
    leg->rtp_seq++;
    leg->seq32++;
    if (load_srtp_protect(leg->srtp, rtp, &len) != 0)
        return 0;
    w->packets_made++;
    if (w->cfg->corrupt_every != 0 && w->packets_made % w->cfg->corrupt_every == 0)
        rtp[LOAD_RTP_HDR + 3] ^= 0x10; /* one bit of the encrypted payload */
    *srtp_len = len;
    if (w->cfg->raw_forwarder) {
        memcpy(out, leg->raw_hdr, hdr);
        return hdr + len;
    }
    stun_channel_data_header(out, LOAD_CHANNEL, (uint16_t)len);
    if (w->cfg->transport != LOAD_UDP)
        while ((hdr + len) % 4 != 0)
            out[hdr + len++] = 0;
    return hdr + len;
}

static void count_sent(struct load_worker *w, int64_t now, unsigned epoch, size_t srtp_len,
                       bool ok)
{
    struct load_bucket *iv = load_worker_interval(w, now);
    struct load_bucket *eb = &w->epochs[epoch];
    if (!ok) {
        eb->send_drops++;
        iv->send_drops++;
        return;
    }
    eb->sent++;
    iv->sent++;
    eb->sent_bytes += srtp_len;
    iv->sent_bytes += srtp_len;
}

int64_t load_call_send_media(struct load_worker *w, struct load_leg *leg, int64_t now,
                             uint64_t scale_ppm)
{
    double rate = w->shape.burst_rate * (double)scale_ppm / 1e6;
    int64_t period = rate > 0 ? (int64_t)((double)LOAD_NS / rate) : LOAD_NS;
    unsigned epoch = w->cur_epoch;
    unsigned bursts = 0;
    size_t lens[LOAD_BATCH];
    unsigned n = 0;

    if (leg->state != LOAD_LEG_READY || leg->srtp == NULL || leg->conn.fd < 0)
        return INT64_MAX;
    if (period < 1000)
        period = 1000;
    while (leg->next_burst_ns <= now && bursts < LOAD_MAX_CATCH_UP) {
        for (unsigned k = 0; k < w->shape.burst_packets; k++) {
            size_t slen = 0;
            size_t wire = make_packet(w, leg, w->bufs[n], now, epoch, &slen);
            if (wire == 0)
                continue;
            if (w->cfg->transport != LOAD_UDP) {
                count_sent(w, now, epoch, slen, load_conn_send(&leg->conn, w->bufs[n], wire) == 0);
                continue;
            }
            lens[n] = slen;
            w->iov[n].iov_base = w->bufs[n];
            w->iov[n].iov_len = wire;
            memset(&w->msgs[n].msg_hdr, 0, sizeof(w->msgs[n].msg_hdr));
            w->msgs[n].msg_hdr.msg_iov = &w->iov[n];
            w->msgs[n].msg_hdr.msg_iovlen = 1;
            if (++n == LOAD_BATCH) {
                int sent = load_conn_send_batch(&leg->conn, w->msgs, n);
                for (unsigned i = 0; i < n; i++)
                    count_sent(w, now, epoch, lens[i], (int)i < sent);
                n = 0;
            }
        }
        leg->next_burst_ns += period;
        bursts++;
    }
    if (n > 0) {
        int sent = load_conn_send_batch(&leg->conn, w->msgs, n);
        for (unsigned i = 0; i < n; i++)
            count_sent(w, now, epoch, lens[i], (int)i < sent);
    }
    if (leg->next_burst_ns < now - 100 * 1000000LL) {
        /* far behind: the generator is short of CPU; skip, and say so */
        w->bursts_skipped += (uint64_t)((now - leg->next_burst_ns) / period);
        leg->next_burst_ns = now + period;
    }
    if (w->cfg->transport != LOAD_UDP)
        leg_update_events(w, leg);
    return leg->next_burst_ns;
}

void load_call_teardown(struct load_worker *w, struct load_call *c)
{
    if (c->state == LOAD_CALL_SETUP)
        call_fail(w, c);
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        load_srtp_free(leg->srtp);
        leg->srtp = NULL;
        if (leg->conn.fd < 0)
            continue;
        if (w->cfg->raw_forwarder || w->cfg->transport != LOAD_UDP ||
            leg->state < LOAD_LEG_ALLOCATED) {
            /* closing a stream releases its allocation */
            leg_close(leg);
            continue;
        }
        if (leg_request(w, leg, STUN_METHOD_REFRESH, NULL, 0, load_now_ns()) == 0)
            leg->state = LOAD_LEG_CLOSING;
        else
            leg_close(leg);
    }
    if (c->state == LOAD_CALL_READY)
        c->state = LOAD_CALL_CLOSED;
}

void load_call_free(struct load_call *c)
{
    for (unsigned i = 0; i < 2; i++)
        if (c->leg[i].state != LOAD_LEG_IDLE || c->leg[i].conn.fd >= 0)
            leg_close(&c->leg[i]);
}
