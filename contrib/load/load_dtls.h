/* load_dtls: one side of a DTLS-SRTP handshake (RFC 5764) in --broker mode,
 * on OpenSSL with memory BIOs so records travel inside TURN ChannelData.
 *
 * Each side uses the private key and certificate the broker issued it for
 * this call, and accepts the peer only if the SHA-256 fingerprint of the
 * peer's certificate equals the one in the SDP the broker relayed. After
 * the handshake the SRTP master keys come from the DTLS exporter
 * ("EXTRACTOR-dtls_srtp"). A load_dtls belongs to one thread; it owns its
 * copy of the key and wipes the exported keys it hands out via the caller. */
#ifndef UMBRA_LOAD_DTLS_H
#define UMBRA_LOAD_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load_config.h"

#define LOAD_DTLS_KEY_MAX 64

struct load_dtls;

/* client: the DTLS client (the answerer, a=setup:active). NULL on error. */
struct load_dtls *load_dtls_new(bool client, enum load_suite suite, const char *key_pem,
                                const char *cert_pem, const char *peer_fingerprint);
void load_dtls_free(struct load_dtls *d);

/* Hands one received record to OpenSSL. */
void load_dtls_feed(struct load_dtls *d, const uint8_t *buf, size_t len);
/* Drives the handshake (and its retransmission timer). 1 done and the
 * peer's fingerprint checked, 0 in progress, -1 failed. */
int load_dtls_step(struct load_dtls *d);
/* The next datagram to send, or 0 when there is none. */
size_t load_dtls_output(struct load_dtls *d, uint8_t *out, size_t cap);
/* After step() returned 1: this side's and the peer's SRTP master
 * key + salt (libsrtp's layout), *len bytes each. */
int load_dtls_srtp_keys(struct load_dtls *d, uint8_t local[LOAD_DTLS_KEY_MAX],
                        uint8_t remote[LOAD_DTLS_KEY_MAX], size_t *len);

#endif
