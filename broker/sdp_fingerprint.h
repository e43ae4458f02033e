/* sdp_fingerprint: a=fingerprint values (RFC 8122 §5), checked and
 * written in one canonical form so that the broker can compare them across
 * calls. Private to libumbra_sdp (not installed). Pure: no I/O, no state. */
#ifndef UMBRA_SDP_FINGERPRINT_H
#define UMBRA_SDP_FINGERPRINT_H

#include <stddef.h>

#include "sdp_sanitize.h"

/* Normalises p[0..n), "<hash name> <hex pairs with colons>" (spaces around
 * allowed, 2 to 64 pairs, a hash name of 1-16 letters, digits and '-'),
 * into out as "<name lowercase> <HEX UPPERCASE>". Returns 0, or -1 with a
 * reason in err (out then holds nothing useful). */
int sdp_fingerprint_normalise(const char *p, size_t n, char out[SDP_FINGERPRINT_MAX], char *err,
                              size_t errlen);

/* Normalises p[0..n) and adds it to r->fingerprints unless already there.
 * Returns 0, or -1 with a reason in err when it is malformed or would be
 * the (SDP_MAX_FINGERPRINTS + 1)th distinct one; r is unchanged on -1. */
int sdp_fingerprint_add(struct sdp_result *r, const char *p, size_t n, char *err, size_t errlen);

#endif
