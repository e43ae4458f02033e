/* turn_handlers: what the relay does with each message a client sends: one
 * function per STUN/TURN method (RFC 8489, RFC 8656), plus ChannelData.
 *
 * Runs on the worker thread that received the message; answers go back on
 * the same path. buf is the worker's receive buffer and must have 3 spare
 * bytes after len (stream padding). Requests that fail to parse get 400 when
 * their header is readable, and are dropped otherwise; responses never
 * carry SOFTWARE; responses to authenticated requests carry
 * MESSAGE-INTEGRITY(-SHA256) like the request, and FINGERPRINT when the
 * request had one. ChannelData and Send indications go to the data path.
 *
 * Layer 3 (control plane): uses datapath, allocation, alloc_table,
 * relay_shared, stun_msg, stun_auth, unauth_limit, metrics, clock. */
#ifndef UMBRA_TURN_HANDLERS_H
#define UMBRA_TURN_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

struct client_path;
struct datapath;
struct metrics_thread;
struct relay_shared;
struct unauth_limit;
struct auth_config;

/* What the handlers of one worker use; filled by the worker. */
struct turn_ctx {
    unsigned worker_id; /* names the worker in the debug log */
    const struct relay_shared *sh;
    struct datapath *dp;
    struct metrics_thread *metrics;
    struct unauth_limit *unauth;
    const struct auth_config *auth;
};

void turn_handle_packet(struct turn_ctx *t, const struct client_path *p, uint8_t *buf, size_t len);

#endif
