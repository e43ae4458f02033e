/* turn_handlers: what the relay does with each message a client sends: one
 * function per STUN/TURN method (RFC 8489, RFC 8656), plus ChannelData.
 *
 * Runs on the worker thread that received the message; answers go back on
 * the same path. buf is the worker's receive buffer and must have 3 spare
 * bytes after len (stream padding). Requests that fail to parse get 400 when
 * their header is readable, and are dropped otherwise; responses never
 * carry SOFTWARE; responses to authenticated requests carry
 * MESSAGE-INTEGRITY(-SHA256) like the request, and FINGERPRINT when the
 * request had one. */
#ifndef UMBRA_TURN_HANDLERS_H
#define UMBRA_TURN_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct client_path;

void turn_handle_packet(struct worker *w, const struct client_path *p, uint8_t *buf, size_t len);

#endif
