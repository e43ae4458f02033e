/* load_srtp: the SRTP side of one call leg, on libsrtp2 (the only file that
 * includes it).
 *
 * A call has two legs; each leg protects what it sends with its own random
 * master key and unprotects what the other leg sends. load_srtp_pair_keys
 * makes both legs' sessions from fresh random keys and wipes the keys: after
 * it, the keys live only inside libsrtp. A session belongs to one thread.
 * load_srtp_global_init() must run once before any session is made. */
#ifndef UMBRA_LOAD_SRTP_H
#define UMBRA_LOAD_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "load_config.h"

#define LOAD_SRTP_MAX_TRAILER 16 /* auth tag or GCM tag */

struct load_srtp; /* opaque: one leg's libsrtp session */

int load_srtp_global_init(void);
void load_srtp_global_free(void);

/* Makes the sessions of both legs: a sends with ssrc_a, b with ssrc_b. */
int load_srtp_pair(enum load_suite suite, uint32_t ssrc_a, uint32_t ssrc_b, struct load_srtp **a,
                   struct load_srtp **b);
/* One leg's session from keys negotiated elsewhere (DTLS-SRTP): own_key
 * protects what this leg sends with own_ssrc, peer_key unprotects what it
 * receives (any SSRC: libsrtp allows one such template per session). Keys
 * are master key + salt; the caller wipes them. */
int load_srtp_from_keys(enum load_suite suite, uint32_t own_ssrc, uint8_t *own_key,
                        uint8_t *peer_key, struct load_srtp **out);
void load_srtp_free(struct load_srtp *s);

/* Protects the RTP packet of *len bytes in place; buf must have room for
 * LOAD_SRTP_MAX_TRAILER more. 0 or -1. */
int load_srtp_protect(struct load_srtp *s, uint8_t *buf, size_t *len);

enum load_srtp_verdict { LOAD_SRTP_OK = 0, LOAD_SRTP_AUTH_FAIL, LOAD_SRTP_REPLAY, LOAD_SRTP_BAD };
/* Unprotects in place; on LOAD_SRTP_OK *len is the RTP length. */
enum load_srtp_verdict load_srtp_unprotect(struct load_srtp *s, uint8_t *buf, size_t *len);

#endif
