/* sdp_addr: IP literals in SDP text. Private to libumbra_sdp (not
 * installed). Pure: no I/O, no state; the text is the caller's and is read
 * only within the length given (no NUL terminator needed).
 *
 * sdp_addr_in_text() is the sanitizer's safety net: it finds an address
 * written where no rule expected one. It errs towards "yes" (hex pairs such
 * as a fingerprint's "AB:CD:...:EF" read as IPv6), so a caller exempts
 * lines it has checked some other way. A sender set on disclosing its own
 * address can always encode it; no filter can stop that. */
#ifndef UMBRA_SDP_ADDR_H
#define UMBRA_SDP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* True if p[0..n) is exactly one IPv4 or IPv6 literal (0.0.0.0 and ::
 * included); *ipv6 then says which. *ipv6 is left alone otherwise. */
bool sdp_addr_is_literal(const char *p, size_t n, bool *ipv6);

/* True if p[0..n) holds an IPv6 literal other than :: or a dotted quad
 * other than the exact text "0.0.0.0" anywhere: standing alone, glued to
 * other text ("x-lan:fe80::1", "cafe10.0.0.1", "10.0.0.1."), or as a
 * compressed IPv6 address next to a hex digit. A dotted quad is four
 * dot-separated groups of digits with at most three after leading zeros,
 * whether or not inet_pton takes it: "010.0.0.1" (octal to some parsers),
 * "127.000.000.001", "0300.0250.0.1", "256.1.1.1". Version numbers of
 * three groups ("1.2.3") or with a longer group ("120.0.6099.109") are not
 * quads; a four-group one ("1.2.3.4") is, and its line is dropped. */
bool sdp_addr_in_text(const char *p, size_t n);

#endif
