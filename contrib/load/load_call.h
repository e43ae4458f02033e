/* load_call: one call of umbra-load: two legs, each an allocation on the
 * server (or, with --raw-forwarder, a bare socket), bound to each other.
 *
 * Set-up per leg: Allocate (answered 401, then signed), then, once both
 * legs have a relayed address, CreatePermission and ChannelBind towards the
 * other leg's relayed address. Requests over UDP are retransmitted (RFC
 * 8489 §6.2.1 timers); the whole call must be ready within the set-up
 * timeout. Media: each leg sends SRTP bursts through its channel; what the
 * other leg receives is unprotected and counted in the worker's buckets.
 * Calls live in the worker's array and are only touched by that thread. */
#ifndef UMBRA_LOAD_CALL_H
#define UMBRA_LOAD_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "load_conn.h"
#include "load_stats.h"
#include "load_turn.h"
#include "load_worker.h"

enum load_leg_state {
    LOAD_LEG_IDLE = 0,
    LOAD_LEG_CONNECTING,
    LOAD_LEG_ALLOCATING,
    LOAD_LEG_ALLOCATED,
    LOAD_LEG_PERMITTING,
    LOAD_LEG_BINDING,
    LOAD_LEG_BOUND, /* --broker: channel bound, DTLS-SRTP handshake to come */
    LOAD_LEG_DTLS,
    LOAD_LEG_READY,
    LOAD_LEG_CLOSING,
    LOAD_LEG_CLOSED,
};

enum load_call_state {
    LOAD_CALL_WAITING = 0,
    LOAD_CALL_SETUP,
    LOAD_CALL_READY,
    LOAD_CALL_FAILED,
    LOAD_CALL_CLOSED,
};

struct load_srtp;
struct load_dtls;
struct load_broker_call;

#define LOAD_SLOT_MAIN 1u
#define LOAD_SLOT_BIND 2u

struct load_leg {
    struct load_call *call;
    unsigned which;
    enum load_leg_state state;
    struct load_conn conn;
    uint32_t ev_mask; /* events registered with epoll */
    struct load_turn_auth auth;
    bool auth_ready; /* credentials derived ahead (pre-opened legs) */
    /* the outstanding request; in LOAD_LEG_BINDING the CreatePermission,
     * with the ChannelBind sent alongside it in the second slot */
    uint16_t method;
    uint8_t txid[STUN_TXID_LEN];
    uint8_t tx[LOAD_TURN_MSG_MAX];
    size_t tx_len;
    uint8_t bind_txid[STUN_TXID_LEN];
    uint8_t bind_tx[LOAD_TURN_MSG_MAX];
    size_t bind_tx_len;
    unsigned pending;  /* LOAD_SLOT_* bits not yet answered */
    int64_t tx_due_ns; /* next retransmission */
    int64_t rto_ns;
    unsigned tries;
    unsigned auth_tries;
    int64_t alloc_start_ns;
    struct umbra_addr relayed;
    struct umbra_addr peer; /* the other leg's relayed address, as learnt */
    char peer_fp[128];      /* = LOAD_SDP_FP_MAX; --broker: its DTLS fingerprint from the SDP */
    struct load_dtls *dtls;
    uint8_t raw_hdr[24]; /* --raw-forwarder: header naming the peer */
    int raw_hdr_len;
    /* media */
    struct load_srtp *srtp;
    uint32_t ssrc;
    uint16_t rtp_seq;
    uint32_t seq32;
    int64_t next_burst_ns;
    uint32_t max_seq_seen;
    bool seen_any;
    struct load_jitter jitter;
};

struct load_call {
    unsigned index; /* global */
    enum load_call_state state;
    int64_t start_at_ns;
    int64_t setup_start_ns;
    bool media_seen;
    struct load_broker_call *bc; /* --broker */
    struct load_leg leg[2];
};

void load_call_init(struct load_call *c, unsigned index, int64_t start_at_ns);
/* --setup-only over UDP: opens both legs' sockets before the clock starts,
 * so that the timed set-up is the TURN exchange, not socket() and
 * connect(). 0 or -1 (the caller frees the call). */
int load_call_preopen(struct load_worker *w, struct load_call *c);
/* Opens both legs (unless pre-opened) and sends the first requests. 0, or -1 (call failed). */
int load_call_begin(struct load_worker *w, struct load_call *c, int64_t now);
/* Retransmissions and the set-up deadline. */
void load_call_timers(struct load_worker *w, struct load_call *c, int64_t now);
/* epoll reported the leg's socket. */
void load_call_on_event(struct load_worker *w, struct load_leg *leg, uint32_t events);
/* Sends the bursts that are due; returns when the leg is next due. */
int64_t load_call_send_media(struct load_worker *w, struct load_leg *leg, int64_t now,
                             uint64_t scale_ppm);
/* Starts releasing the allocations (Refresh lifetime 0 over UDP). */
void load_call_teardown(struct load_worker *w, struct load_call *c);
/* Closes sockets and frees SRTP sessions. */
void load_call_free(struct load_call *c);

#endif
