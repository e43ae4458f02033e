/* sdp_label: stream and track labels (a=msid, a=ssrc msid:/mslabel:/label:,
 * a=msid-semantic ids) replaced by a keyed hash, so that a label links
 * nothing across calls (RFC 8827 §6.4). Private to libumbra_sdp (not
 * installed). The key (SDP_LABEL_KEY_BYTES) is the caller's and is only
 * read; libsodium must be initialised. */
#ifndef UMBRA_SDP_LABEL_H
#define UMBRA_SDP_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "sdp_text.h"

/* Appends p[0..n) to b with every space-separated token replaced by 32
 * lowercase hex digits, a hash of the token under key: the same token and
 * key give the same value, another key another. Spacing is kept, and "-"
 * (no stream) and "*" (all streams) are copied as they are. */
void sdp_label_put(struct sdp_text_buf *b, const char *p, size_t n, const uint8_t *key);

#endif
