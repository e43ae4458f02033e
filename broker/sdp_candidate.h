/* sdp_candidate: one ICE candidate attribute (RFC 8839 §5.1): parse it,
 * decide whether it may leave the sender, and write it back rewritten.
 * Private to libumbra_sdp (not installed); the public entry point
 * sdp_sanitize_candidate() (sdp_sanitize.h) is built from these and lives
 * in sdp_candidate.c. Pure: the only outside call is libsodium's generic
 * hash for the foundation (sodium_init() must have run).
 *
 * A struct sdp_cand holds spans into the text it was parsed from: that
 * text must outlive it. */
#ifndef UMBRA_SDP_CANDIDATE_H
#define UMBRA_SDP_CANDIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "sdp_text.h"

#define SDP_CAND_MAX_TOKENS 64

/* A parsed candidate attribute value (after "candidate:"). */
struct sdp_cand {
    struct sdp_text_span foundation, component, transport, priority, addr, port, type;
    /* extension name/value pairs kept for output (see sdp_cand_parse) */
    struct sdp_text_span ext[SDP_CAND_MAX_TOKENS];
    size_t n_ext;
    unsigned long component_id, port_num;
    bool ipv6; /* set by sdp_cand_kept() */
};

/* Parses p[0..n), the value of a candidate attribute (what follows
 * "candidate:"). Only the extensions generation, ufrag and tcptype with
 * ice-char values are kept in c->ext, each once (the first); the others
 * describe the host and are validated, then left out. Returns 0, or -1
 * with a reason in err (err may be NULL). */
int sdp_cand_parse(const char *p, size_t n, struct sdp_cand *c, char *err, size_t errlen);

/* True if c may be sent on: a relay candidate on an IP literal (a name,
 * mDNS or other, could say anything). Sets c->ipv6 for a kept one. */
bool sdp_cand_kept(struct sdp_cand *c);

/* Writes the rewritten value of a kept candidate (what follows
 * "candidate:"): a foundation derived from transport and relayed address
 * only, the relayed address, "typ relay raddr 0.0.0.0 rport 0" and the
 * kept extensions. */
void sdp_cand_put(struct sdp_text_buf *b, const struct sdp_cand *c);

#endif
