/* load_sdp: the little SDP umbra-load needs in --broker mode: an audio
 * offer or answer with one relay candidate, a DTLS fingerprint and role,
 * and readers for what the broker's sanitizer hands back. Pure. */
#ifndef UMBRA_LOAD_SDP_H
#define UMBRA_LOAD_SDP_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define LOAD_SDP_MAX 2048
#define LOAD_SDP_FP_MAX 128

/* offer: a=setup:actpass (the offerer becomes the DTLS server);
 * answer: a=setup:active (the DTLS client). 0 or -1. */
int load_sdp_build(char *out, size_t cap, bool offer, const char *fingerprint, const char *cname,
                   const struct umbra_addr *relayed);

/* The first "typ relay" candidate's address, and the sha-256 fingerprint
 * ("AB:CD:..."). 0 or -1 when either is missing or malformed. */
int load_sdp_read(const char *sdp, struct umbra_addr *relay, char *fingerprint, size_t fpcap);

#endif
