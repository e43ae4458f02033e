/* sdp_text: the small text tools the SDP modules share. Private to
 * libumbra_sdp (not installed).
 *
 * A span is a pointer and a length into text the caller owns; no span
 * owns or terminates anything, and it stays valid only as long as that
 * text. The tests and parsers here are pure and bounded by the span's
 * length (no NUL terminator needed).
 *
 * struct sdp_text_buf is a growing output buffer (malloc'd, always
 * NUL-terminated). A failed allocation sets oom and turns every later put
 * into a no-op, so a writer checks oom once at the end; the caller frees
 * p. Start from a zeroed struct. */
#ifndef UMBRA_SDP_TEXT_H
#define UMBRA_SDP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct sdp_text_span {
    const char *p;
    size_t n;
};

struct sdp_text_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

/* Writes the formatted reason into err (when err is not NULL and errlen >
 * 0) and returns -1, so that a parser can "return sdp_text_fail(...)". */
int sdp_text_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s equals lit exactly. */
bool sdp_text_span_is(struct sdp_text_span s, const char *lit);
/* s equals lit with A-Z in s read as a-z (lit is lowercase). */
bool sdp_text_span_is_ci(struct sdp_text_span s, const char *lit);
/* p[0..n) begins with lit. */
bool sdp_text_starts(const char *p, size_t n, const char *lit);

/* Parses 1..maxdigits decimal digits (nothing else) into *out; returns 0,
 * or -1 (and *out untouched) if s is not that or its value is above max. */
int sdp_text_parse_ulong(struct sdp_text_span s, size_t maxdigits, unsigned long max,
                         unsigned long *out);
/* s is 1..maxdigits decimal digits. */
bool sdp_text_is_digits(struct sdp_text_span s, size_t maxdigits);
/* s is non-empty and holds no space, control byte or DEL. */
bool sdp_text_is_token(struct sdp_text_span s);
/* p[0..n) holds no control byte other than tab, and no DEL. */
bool sdp_text_bytes_ok(const char *p, size_t n);

/* Splits p[0..n) on runs of spaces into at most max tokens (spans into p).
 * Returns the token count, or -1 if there are more than max (then tok
 * holds the first max). */
int sdp_text_tokens(const char *p, size_t n, struct sdp_text_span *tok, size_t max);

/* Appends to b (see above for out of memory). */
void sdp_text_put(struct sdp_text_buf *b, const char *p, size_t n);
void sdp_text_puts(struct sdp_text_buf *b, const char *s);
void sdp_text_put_span(struct sdp_text_buf *b, struct sdp_text_span s);
void sdp_text_put_ulong(struct sdp_text_buf *b, unsigned long v);

#endif
