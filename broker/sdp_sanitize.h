/* sdp_sanitize: rewrites an SDP offer or answer so that it tells the other
 * party nothing about where the sender is or who they are (RFC 8827 §6.4,
 * §9.2).
 *
 * Pure: no I/O, no global state; the only outside input is libsodium's
 * random generator for the o= session id (sodium_init() must have run).
 *
 * What sdp_sanitize() does to an SDP:
 *  - a=candidate: every candidate that is not "typ relay" is dropped (host,
 *    srflx, prflx, mDNS .local names, unknown types: fail closed). A kept
 *    relay candidate gets "raddr 0.0.0.0 rport 0" (the related address of a
 *    relay candidate is the client's server-reflexive address), a foundation
 *    derived only from its transport and relayed address (libwebrtc's
 *    foundation is a CRC over the host address), and only the extensions
 *    generation, ufrag and tcptype, once each, with ice-char values (network-id and
 *    network-cost describe the local interface and are dropped).
 *  - a=remote-candidates is dropped (it lists addresses).
 *  - o=: username "-", a session id (opts->session_id, or random if 0), the
 *    session version kept, "IN IP4 0.0.0.0": 0.0.0.0 is no address at all,
 *    where 127.0.0.1 would claim one.
 *  - c=, m= port, a=rtcp: in an m-section they point at the section's first
 *    kept relay candidate (component 1; a=rtcp prefers component 2), else at
 *    "IN IP4 0.0.0.0" and port 9 (the RFC 8840 dummy port). An m= port of 0
 *    (rejected or bundle-only section) stays 0. A session-level c= becomes
 *    "IN IP4 0.0.0.0".
 *  - a=ssrc:N cname:X gets opts->cname.
 *  - stream and track labels (a=msid, a=ssrc:N msid:/mslabel:/label:,
 *    a=msid-semantic ids) are replaced by a keyed hash under
 *    opts->label_key: the same label maps to the same value within a call,
 *    and keys differ between calls. "-" (no stream) and "*" stay as they are.
 *  - with opts->strip_identity: a=identity, e= (email) and p= (phone) lines
 *    are dropped.
 *  - every other line is copied byte for byte, in order, unless it holds
 *    an IPv4 or IPv6 literal other than 0.0.0.0 and :: (a=altc,
 *    a=source-filter, u=, an odd cname...): such a line is dropped and
 *    counted in lines_dropped (s=, which SDP requires, becomes "s=-").
 *    a=fingerprint is exempt (its hex pairs are checked instead).
 *  - attribute names are matched without case ("a=CANDIDATE:" is a
 *    candidate): some browsers parse them that way.
 *  - output lines end in CRLF whatever the input used.
 * Distinct a=fingerprint values are returned normalised in the result (the
 * broker refuses a fingerprint seen in an earlier call). */
#ifndef UMBRA_SDP_SANITIZE_H
#define UMBRA_SDP_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_INPUT (64 * 1024)
#define SDP_LABEL_KEY_BYTES 32
#define SDP_MAX_FINGERPRINTS 8
/* A fingerprint's parts as sdp_fingerprint accepts them (RFC 8122 §5
 * allows longer hash names; none registered is over 16 characters) and
 * the buffer that holds the normalised form, derived from them:
 * "<name> " + pairs "XX" joined by ':' + NUL. */
#define SDP_FINGERPRINT_HASH_MAX 16
#define SDP_FINGERPRINT_PAIRS_MIN 2
#define SDP_FINGERPRINT_PAIRS_MAX 64
#define SDP_FINGERPRINT_MAX (SDP_FINGERPRINT_HASH_MAX + 1 + 3 * SDP_FINGERPRINT_PAIRS_MAX - 1 + 1)
/* A kept candidate always fits: "a=candidate:", the six fields (an IP
 * literal), " typ relay raddr 0.0.0.0 rport 0" and at most one each of
 * generation, ufrag, tcptype with values of up to 256 ice-chars come to
 * under 950 bytes. */
#define SDP_CANDIDATE_MAX 1024

struct sdp_options {
    const char *cname;        /* this call's per-call CNAME (RFC 7022); not owned */
    const uint8_t *label_key; /* SDP_LABEL_KEY_BYTES random bytes per call; not owned */
    bool strip_identity;      /* drop a=identity, e=, p= */
    uint64_t session_id;      /* o= session id to write; 0 = a fresh random one.
                                 Keep one per call and party so that a
                                 renegotiation keeps its session id (RFC 3264). */
};

struct sdp_result {
    char *sdp; /* malloc'd sanitized SDP, CRLF line ends, NUL-terminated */
    size_t len;
    size_t n_fingerprints; /* distinct fingerprints */
    /* "sha-256 AB:CD:...": algorithm lowercase, hex uppercase */
    char fingerprints[SDP_MAX_FINGERPRINTS][SDP_FINGERPRINT_MAX];
    unsigned candidates_kept, candidates_dropped;
    unsigned lines_dropped; /* other lines dropped because they held an address */
};

/* Returns 0 and fills *out (free with sdp_result_free), or -1 with a reason
 * in err for input that is not acceptable SDP: empty, over SDP_MAX_INPUT,
 * NUL or control bytes, first line not "v=0" or a second v= line, no or two
 * o= lines, a line not of the form "x=...", a malformed o=, m=,
 * a=candidate or a=fingerprint line, an m= line holding an address (it
 * cannot be dropped), more than SDP_MAX_FINGERPRINTS distinct fingerprints. On -1, *out is zeroed
 * and owns nothing. opts->cname and opts->label_key are required. */
int sdp_sanitize(const char *in, size_t len, const struct sdp_options *opts, struct sdp_result *out,
                 char *err, size_t errlen);
void sdp_result_free(struct sdp_result *r);

/* One trickled candidate as browsers send it: "candidate:..." or
 * "a=candidate:..." (a trailing CR/LF is ignored). Returns 1 when kept (the
 * rewritten candidate, in the same form as the input, NUL-terminated in out,
 * rewritten exactly as sdp_sanitize() rewrites a=candidate lines), 0 when
 * dropped (not typ relay, or a relay on a name instead of an IP literal),
 * -1 when malformed or out is too small (reason in
 * err). An empty string (a browser's end-of-candidates) is malformed here:
 * the caller handles it before. */
int sdp_sanitize_candidate(const char *in, size_t len, char *out, size_t outcap, char *err,
                           size_t errlen);

#endif
