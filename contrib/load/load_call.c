/* load_call: see load_call.h. */
#include "load_call.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "load_broker.h"
#include "load_clock.h"
#include "load_dtls.h"
#include "load_raw.h"
#include "load_srtp.h"

#define LOAD_RTO_NS (500LL * 1000000)
#define LOAD_MAX_TRIES 7
#define LOAD_MAX_AUTH_TRIES 3
#define LOAD_CHANNEL 0x4000
#define LOAD_RTP_HDR 12
#define LOAD_PAYLOAD_MIN 24 /* send time, sequence, interval, epoch, check word */
#define LOAD_CHECKED 20     /* payload bytes the check word covers */
#define LOAD_MAX_CATCH_UP 4 /* bursts per leg per pass when behind */

static int leg_dtls_step(struct load_worker *w, struct load_leg *leg, int64_t now);
static void call_fail(struct load_worker *w, struct load_call *c, const char *why);

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
    if (epoll_ctl(w->epfd, leg->ev_mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, leg->conn.fd, &ev) ==
        0)
        leg->ev_mask = want;
}

static void leg_close(struct load_leg *leg)
{
    load_dtls_free(leg->dtls);
    leg->dtls = NULL;
    load_conn_close(&leg->conn);
    leg->ev_mask = 0;
    load_srtp_free(leg->srtp);
    leg->srtp = NULL;
    load_turn_auth_clear(&leg->auth);
    leg->auth_ready = false;
    leg->state = LOAD_LEG_CLOSED;
}

/* why names the step, for the first few failures a worker reports. */
static void call_fail(struct load_worker *w, struct load_call *c, const char *why)
{
    if (c->state != LOAD_CALL_SETUP && c->state != LOAD_CALL_WAITING)
        return;
    if (!w->cfg->quiet && w->setup.calls_failed < 3)
        fprintf(stderr, "umbra-load: call %u failed: %s\n", c->index, why);
    for (unsigned i = 0; i < 2; i++) {
        if (c->leg[i].state < LOAD_LEG_ALLOCATED)
            w->setup.allocations_failed++;
        leg_close(&c->leg[i]);
    }
    c->state = LOAD_CALL_FAILED;
    if (c->bc != NULL) {
        load_broker_call_end(w->broker, c->bc);
        load_broker_call_clear(c->bc);
        free(c->bc);
        c->bc = NULL;
    }
    w->setup.calls_failed++;
    atomic_fetch_add_explicit(&w->calls_failed, 1, memory_order_relaxed);
}

/* Sends what is unanswered: over UDP the CreatePermission and the
 * ChannelBind leave with one sendmmsg(). */
static int leg_send_pending(struct load_leg *leg)
{
    struct iovec iov[2];
    struct mmsghdr msgs[2];
    unsigned n = 0;
    int r = 0;

    if (leg->pending & LOAD_SLOT_MAIN) {
        iov[n].iov_base = leg->tx;
        iov[n++].iov_len = leg->tx_len;
    }
    if (leg->pending & LOAD_SLOT_BIND) {
        iov[n].iov_base = leg->bind_tx;
        iov[n++].iov_len = leg->bind_tx_len;
    }
    if (n == 2 && leg->conn.transport == LOAD_UDP) {
        memset(msgs, 0, sizeof(msgs));
        for (unsigned i = 0; i < n; i++) {
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        /* a datagram not sent is lost like one dropped: retransmitted */
        load_conn_send_batch(&leg->conn, msgs, n);
        return 0;
    }
    for (unsigned i = 0; i < n && r >= 0; i++)
        r = load_conn_send(&leg->conn, iov[i].iov_base, iov[i].iov_len);
    return r;
}

static int leg_transmit(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    int r = leg_send_pending(leg);
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
    leg->pending = LOAD_SLOT_MAIN;
    leg->tries = 0;
    leg->rto_ns = LOAD_RTO_NS;
    return leg_transmit(w, leg, now);
}

static int leg_build_bind(struct load_leg *leg)
{
    ssize_t n = load_turn_request(&leg->auth, STUN_METHOD_CHANNEL_BIND, &leg->peer, LOAD_CHANNEL, 0,
                                  leg->bind_txid, leg->bind_tx, sizeof(leg->bind_tx));
    if (n < 0)
        return -1;
    leg->bind_tx_len = (size_t)n;
    return 0;
}

/* CreatePermission and ChannelBind at once, as browsers do: the server
 * takes them in order, and each is answered and checked on its own. */
static int leg_permit_and_bind(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    ssize_t n = load_turn_request(&leg->auth, STUN_METHOD_CREATE_PERMISSION, &leg->peer,
                                  LOAD_CHANNEL, 0, leg->txid, leg->tx, sizeof(leg->tx));
    if (n < 0 || leg_build_bind(leg) != 0)
        return -1;
    leg->state = LOAD_LEG_BINDING;
    leg->method = STUN_METHOD_CREATE_PERMISSION;
    leg->tx_len = (size_t)n;
    leg->pending = LOAD_SLOT_MAIN | LOAD_SLOT_BIND;
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

/* --broker: both handshakes are done; key each leg from its exporter. */
/* exchange() copies sizeof(peer_fp) bytes out of a LOAD_SDP_FP_MAX one. */
_Static_assert(sizeof(((struct load_leg *)0)->peer_fp) <= LOAD_SDP_FP_MAX,
               "peer_fp is no larger than the fingerprint it is copied from");

static int key_from_dtls(struct load_worker *w, struct load_call *c, const uint32_t ssrc[2])
{
    for (unsigned i = 0; i < 2; i++) {
        uint8_t own[LOAD_DTLS_KEY_MAX], peer[LOAD_DTLS_KEY_MAX];
        size_t len;
        int rc = load_dtls_srtp_keys(c->leg[i].dtls, own, peer, &len);
        if (rc == 0)
            rc = load_srtp_from_keys(w->cfg->suite, ssrc[i], own, peer, &c->leg[i].srtp);
        sodium_memzero(own, sizeof(own));
        sodium_memzero(peer, sizeof(peer));
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Both legs are bound (or, raw, open; or, broker, DTLS done): key SRTP and
 * start media. */
static int call_ready(struct load_worker *w, struct load_call *c, int64_t now)
{
    uint32_t ssrc[2];
    int64_t period;

    randombytes_buf(ssrc, sizeof(ssrc));
    if (ssrc[0] == ssrc[1])
        ssrc[1] ^= 1;
    if (w->cfg->setup_only) {
        /* no media will flow: keying libsrtp (through NSS, tens of
         * microseconds a session) would only slow the set-up being timed */
    } else if (w->cfg->broker) {
        if (key_from_dtls(w, c, ssrc) != 0)
            return -1;
    } else if (load_srtp_pair(w->cfg->suite, ssrc[0], ssrc[1], &c->leg[0].srtp, &c->leg[1].srtp) !=
               0)
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
    /* with --broker the set-up ends at the first media packet received */
    if (c->setup_start_ns != 0 && !w->cfg->raw_forwarder && !w->cfg->broker)
        load_hist_add(&w->setup.call_us, (uint64_t)(now - c->setup_start_ns) / 1000);
    w->setup.calls_ok++;
    atomic_fetch_add_explicit(&w->calls_ready, 1, memory_order_relaxed);
    if (now < w->next_send_ns || w->next_send_ns == 0)
        w->next_send_ns = now;
    return 0;
}

int load_call_begin(struct load_worker *w, struct load_call *c, int64_t now)
{
    char err[512];

    c->state = LOAD_CALL_SETUP;
    c->setup_start_ns = now;
    if (w->cfg->broker) {
        c->bc = calloc(1, sizeof(*c->bc));
        if (c->bc == NULL || w->broker == NULL ||
            load_broker_call_create(w->broker, c->index, c->bc, err, sizeof(err)) != 0) {
            if (c->bc != NULL && w->broker != NULL && !w->cfg->quiet)
                fprintf(stderr, "umbra-load: call %u: %s\n", c->index, err);
            call_fail(w, c, "broker set-up");
            return -1;
        }
    }
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        if (leg->conn.fd < 0) {
            if (load_conn_open(&leg->conn, w->cfg->transport, &w->cfg->server, w->tls) != 0) {
                call_fail(w, c, "socket");
                return -1;
            }
            leg_update_events(w, leg);
        }
        if (w->cfg->raw_forwarder) {
            leg->relayed = leg->conn.local;
            leg->state = LOAD_LEG_ALLOCATED;
            continue;
        }
        if (c->bc != NULL)
            load_turn_auth_set(&leg->auth, c->bc->party[i].username, c->bc->party[i].password);
        else if (!leg->auth_ready)
            load_turn_auth_init(&leg->auth, w->cfg, c->index, i, (int64_t)time(NULL));
        if (leg->conn.established) {
            if (leg_allocate(w, leg, now) != 0) {
                call_fail(w, c, "first Allocate");
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
        call_fail(w, c, "raw forwarder keying");
        return -1;
    }
    return 0;
}

int load_call_preopen(struct load_worker *w, struct load_call *c)
{
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        if (load_conn_open(&leg->conn, w->cfg->transport, &w->cfg->server, w->tls) != 0)
            return -1;
        leg_update_events(w, leg);
        /* A real client is handed its REST credentials by the application
         * server; deriving them (HMAC-SHA1, base64) is not the client's
         * set-up cost, so it happens before the clock too. */
        load_turn_auth_init(&leg->auth, w->cfg, c->index, i, (int64_t)time(NULL));
        leg->auth_ready = true;
    }
    return 0;
}

void load_call_timers(struct load_worker *w, struct load_call *c, int64_t now)
{
    if (c->state != LOAD_CALL_SETUP)
        return;
    if (now - c->setup_start_ns > (int64_t)w->cfg->setup_timeout_s * LOAD_NS) {
        call_fail(w, c, "set-up timeout");
        return;
    }
    for (unsigned i = 0; i < 2; i++)
        if (c->leg[i].state == LOAD_LEG_DTLS && leg_dtls_step(w, &c->leg[i], now) != 0) {
            call_fail(w, c, "DTLS handshake");
            return;
        }
    if (c->state != LOAD_CALL_SETUP || w->cfg->transport != LOAD_UDP)
        return;
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        bool waiting = leg->state == LOAD_LEG_ALLOCATING || leg->state == LOAD_LEG_PERMITTING ||
                       leg->state == LOAD_LEG_BINDING;
        if (!waiting || now < leg->tx_due_ns)
            continue;
        if (leg->tries >= LOAD_MAX_TRIES) {
            call_fail(w, c, "no answer to a request");
            return;
        }
        w->setup.retransmits++;
        if (leg_transmit(w, leg, now) != 0) {
            call_fail(w, c, "send");
            return;
        }
    }
}

/* Sends what DTLS has to say, inside ChannelData. */
static void leg_dtls_flush(struct load_worker *w, struct load_leg *leg)
{
    uint8_t *buf = w->bufs[LOAD_BATCH - 1];
    size_t n;
    while ((n = load_dtls_output(leg->dtls, buf + 4, 1200)) > 0) {
        size_t len = 4 + n;
        stun_channel_data_header(buf, LOAD_CHANNEL, (uint16_t)n);
        if (w->cfg->transport != LOAD_UDP)
            while (len % 4 != 0)
                buf[len++] = 0;
        load_conn_send(&leg->conn, buf, len);
    }
}

/* Advances a leg's handshake; when both are done, keys SRTP. */
static int leg_dtls_step(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    struct load_call *c = leg->call;
    int r;

    if (leg->state != LOAD_LEG_DTLS)
        return 0;
    r = load_dtls_step(leg->dtls);
    leg_dtls_flush(w, leg);
    if (r < 0)
        return -1;
    if (r == 1)
        leg->state = LOAD_LEG_READY; /* media waits for call_ready: no SRTP yet */
    if (c->leg[0].state == LOAD_LEG_READY && c->leg[1].state == LOAD_LEG_READY)
        return call_ready(w, c, now);
    return 0;
}

/* --broker: both channels are bound; the answerer (callee) is the DTLS
 * client (a=setup:active), the offerer the server. */
static int call_start_dtls(struct load_worker *w, struct load_call *c, int64_t now)
{
    for (unsigned i = 0; i < 2; i++) {
        struct load_leg *leg = &c->leg[i];
        leg->dtls = load_dtls_new(i == 1, w->cfg->suite, c->bc->party[i].key_pem,
                                  c->bc->party[i].cert_pem, leg->peer_fp);
        if (leg->dtls == NULL)
            return -1;
        leg->state = LOAD_LEG_DTLS;
    }
    return leg_dtls_step(w, &c->leg[1], now);
}

/* Both legs have relayed addresses: learn each other's, directly or as the
 * broker's sanitized SDP says. */
static int call_learn_peers(struct load_worker *w, struct load_call *c)
{
    struct umbra_addr relayed[2] = {c->leg[0].relayed, c->leg[1].relayed}, seen[2];
    char fp[2][LOAD_SDP_FP_MAX], err[512];

    if (c->bc == NULL) {
        c->leg[0].peer = relayed[1];
        c->leg[1].peer = relayed[0];
        return 0;
    }
    if (load_broker_call_exchange(w->broker, c->bc, relayed, seen, fp, err, sizeof(err)) != 0) {
        if (!w->cfg->quiet)
            fprintf(stderr, "umbra-load: call %u: %s\n", c->index, err);
        return -1;
    }
    for (unsigned i = 0; i < 2; i++) {
        c->leg[i].peer = seen[i];
        memcpy(c->leg[i].peer_fp, fp[i], sizeof(c->leg[i].peer_fp));
        c->leg[i].peer_fp[sizeof(c->leg[i].peer_fp) - 1] = '\0';
    }
    return 0;
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
        if (call_learn_peers(w, c) != 0)
            return -1;
        now = load_now_ns();
        if (leg_permit_and_bind(w, leg, now) != 0)
            return -1;
        return leg_permit_and_bind(w, peer, now);
    case STUN_METHOD_CREATE_PERMISSION: /* and the ChannelBind with it */
        if (c->bc != NULL) {
            leg->state = LOAD_LEG_BOUND;
            if (peer->state == LOAD_LEG_BOUND)
                return call_start_dtls(w, c, now);
            return 0;
        }
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

/* Re-signs and sends the CreatePermission alone (its ChannelBind was
 * answered already). */
static int leg_resend_main(struct load_worker *w, struct load_leg *leg, int64_t now)
{
    ssize_t n = load_turn_request(&leg->auth, leg->method, &leg->peer, LOAD_CHANNEL, 0, leg->txid,
                                  leg->tx, sizeof(leg->tx));
    if (n < 0)
        return -1;
    leg->tx_len = (size_t)n;
    leg->tries = 0;
    leg->rto_ns = LOAD_RTO_NS;
    return leg_transmit(w, leg, now);
}

/* The answer to the ChannelBind sent alongside a CreatePermission. */
static void leg_on_bind_answer(struct load_worker *w, struct load_leg *leg,
                               enum load_turn_verdict v, int code)
{
    int64_t now = load_now_ns();

    if (v == LOAD_TURN_RETRY && ++leg->auth_tries <= LOAD_MAX_AUTH_TRIES) {
        /* 438: sign both again with the new nonce, or the bind alone */
        int r;
        if (leg->pending & LOAD_SLOT_MAIN)
            r = leg_permit_and_bind(w, leg, now);
        else if (leg_build_bind(leg) != 0)
            r = -1;
        else
            r = leg_transmit(w, leg, now);
        if (r != 0)
            call_fail(w, leg->call, "request after 401/438");
        return;
    }
    if (v != LOAD_TURN_OK) {
        char why[64];
        snprintf(why, sizeof(why), "error response %d to method %#x", code,
                 STUN_METHOD_CHANNEL_BIND);
        call_fail(w, leg->call, why);
        return;
    }
    leg->pending &= ~LOAD_SLOT_BIND;
    if (leg->pending == 0 && leg_next_step(w, leg, now) != 0)
        call_fail(w, leg->call, "next step (broker exchange or keying)");
}

static void leg_on_stun(struct load_worker *w, struct load_leg *leg, const uint8_t *buf, size_t len)
{
    struct umbra_addr relayed;
    int code;
    int64_t now;
    enum load_turn_verdict v;
    bool waiting = leg->state == LOAD_LEG_ALLOCATING || leg->state == LOAD_LEG_PERMITTING ||
                   leg->state == LOAD_LEG_BINDING || leg->state == LOAD_LEG_CLOSING;

    if (!waiting)
        return;
    if (leg->pending & LOAD_SLOT_BIND) {
        v = load_turn_response(&leg->auth, buf, len, leg->bind_txid, STUN_METHOD_CHANNEL_BIND,
                               &relayed, &code);
        if (v != LOAD_TURN_NOT_MINE) {
            leg_on_bind_answer(w, leg, v, code);
            return;
        }
    }
    if (!(leg->pending & LOAD_SLOT_MAIN))
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
        int r;
        if (leg->pending & LOAD_SLOT_BIND) {
            /* re-sign the ChannelBind too: its nonce is as stale */
            r = leg_permit_and_bind(w, leg, now);
        } else if (leg->state == LOAD_LEG_BINDING) {
            r = leg_resend_main(w, leg, now);
        } else {
            r = leg_request(w, leg, leg->method, &leg->peer, 0, now);
        }
        if (r != 0)
            call_fail(w, leg->call, "request after 401/438");
        return;
    }
    if (v != LOAD_TURN_OK) {
        char why[64];
        snprintf(why, sizeof(why), "error response %d to method %#x", code, leg->method);
        call_fail(w, leg->call, why);
        return;
    }
    leg->pending &= ~LOAD_SLOT_MAIN;
    if (leg->pending != 0)
        return; /* the ChannelBind is still unanswered */
    if (leg->method == STUN_METHOD_ALLOCATE)
        leg->relayed = relayed;
    if (leg_next_step(w, leg, now) != 0)
        call_fail(w, leg->call, "next step (permission, channel, broker exchange or keying)");
}

/* FNV-1a over the RTP header and the payload's fields. With NULL_NULL no
 * authentication tag guards the packet, so this word and the zero padding
 * after it are what catches corruption; with the other profiles SRTP's tag
 * catches it first. */
static uint32_t payload_check_word(const uint8_t *rtp)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < LOAD_RTP_HDR + LOAD_CHECKED; i++)
        h = (h ^ rtp[i]) * 16777619u;
    return h;
}

static bool payload_intact(const uint8_t *rtp, size_t len)
{
    uint32_t word;
    uint8_t any = 0;

    memcpy(&word, rtp + LOAD_RTP_HDR + LOAD_CHECKED, 4);
    for (size_t i = LOAD_RTP_HDR + LOAD_PAYLOAD_MIN; i < len; i++)
        any |= rtp[i];
    return any == 0 && word == payload_check_word(rtp);
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
    if (!payload_intact(buf, len)) {
        ep->corrupt++;
        load_worker_interval(w, now)->corrupt++;
        return;
    }
    if (!leg->call->media_seen) {
        leg->call->media_seen = true;
        if (w->cfg->broker)
            load_hist_add(&w->setup.call_us, (uint64_t)(now - leg->call->setup_start_ns) / 1000);
    }
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
        if (stun_channel_data_parse(buf, len, &channel, &data, &dlen) != 0 ||
            channel != LOAD_CHANNEL || dlen == 0)
            return;
        /* RFC 7983: 20-63 DTLS, 128-191 RTP/RTCP */
        if (buf[4] >= 20 && buf[4] <= 63) {
            if (leg->dtls != NULL) {
                load_dtls_feed(leg->dtls, buf + 4, dlen);
                if (leg_dtls_step(fc->w, leg, load_now_ns()) != 0)
                    call_fail(fc->w, leg->call, "DTLS handshake");
            }
            return;
        }
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
            call_fail(w, c, "connection failed");
        else
            leg_close(leg);
        return;
    }
    if (!was_established && leg->conn.established && leg->state == LOAD_LEG_CONNECTING) {
        if (leg_allocate(w, leg, load_now_ns()) != 0) {
            call_fail(w, c, "first Allocate");
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (load_conn_receive(&leg->conn, 256, on_frame, &fc, w->msgs, w->bufs, LOAD_BATCH) < 0) {
            if (c->state == LOAD_CALL_SETUP)
                call_fail(w, c, "connection lost");
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
static size_t make_packet(struct load_worker *w, struct load_leg *leg, uint8_t *out, int64_t now,
                          unsigned epoch, size_t *srtp_len)
{
    size_t hdr = w->cfg->raw_forwarder ? (size_t)leg->raw_hdr_len : 4;
    uint8_t *rtp = out + hdr;
    size_t len = LOAD_RTP_HDR + w->shape.payload_size;
    uint32_t interval = (uint32_t)((now - w->ctl->t0_ns) / w->ctl->interval_ns);
    uint32_t ts = (uint32_t)(now / 11111); /* 90 kHz */
    uint32_t ssrc_n = htonl(leg->ssrc);
    uint64_t send_ns = (uint64_t)now;
    uint32_t check;

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
    check = payload_check_word(rtp);
    memcpy(rtp + LOAD_RTP_HDR + LOAD_CHECKED, &check, 4);
    leg->rtp_seq++;
    leg->seq32++;
    if (load_srtp_protect(leg->srtp, rtp, &len) != 0)
        return 0;
    w->packets_made++;
    if (w->cfg->corrupt_every != 0 && w->packets_made % w->cfg->corrupt_every == 0)
        rtp[LOAD_RTP_HDR + 3] ^= 0x10; /* one bit of the (encrypted) payload */
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

static void count_sent(struct load_worker *w, int64_t now, unsigned epoch, size_t srtp_len, bool ok)
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
        call_fail(w, c, "teardown during set-up");
    if (c->bc != NULL) {
        /* the broker revokes the call's credentials and allocations */
        load_broker_call_end(w->broker, c->bc);
        load_broker_call_clear(c->bc);
        free(c->bc);
        c->bc = NULL;
    }
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
    if (c->bc != NULL) {
        load_broker_call_clear(c->bc);
        free(c->bc);
        c->bc = NULL;
    }
    for (unsigned i = 0; i < 2; i++)
        if (c->leg[i].state != LOAD_LEG_IDLE || c->leg[i].conn.fd >= 0)
            leg_close(&c->leg[i]);
}
