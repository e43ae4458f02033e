/* sdp_fingerprint: check, normalise and collect a=fingerprint values. See
 * sdp_fingerprint.h. */
#include "sdp_fingerprint.h"

#include <string.h>

#include "sdp_text.h"

static int sdp_fingerprint_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sdp_fingerprint_normalise(const char *p, size_t n, char out[SDP_FINGERPRINT_MAX], char *err,
                              size_t errlen)
{
    struct sdp_text_span tok[3];
    size_t o = 0;
    int count = sdp_text_tokens(p, n, tok, 3);
    if (count != 2)
        return sdp_text_fail(err, errlen, "fingerprint is not \"<hash> <hex>\"");
    if (tok[0].n == 0 || tok[0].n > SDP_FINGERPRINT_HASH_MAX)
        return sdp_text_fail(err, errlen, "fingerprint hash name is malformed");
    if (tok[1].n % 3 != 2 || tok[1].n / 3 + 1 < SDP_FINGERPRINT_PAIRS_MIN ||
        tok[1].n / 3 + 1 > SDP_FINGERPRINT_PAIRS_MAX)
        return sdp_text_fail(err, errlen,
                             "fingerprint value is not 2 to %d colon-separated hex pairs",
                             SDP_FINGERPRINT_PAIRS_MAX);
    /* name, space, value, NUL: what the loops below write */
    if (tok[0].n + 1 + tok[1].n + 1 > SDP_FINGERPRINT_MAX)
        return sdp_text_fail(err, errlen, "fingerprint is too long");
    for (size_t i = 0; i < tok[0].n; i++) {
        char c = tok[0].p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return sdp_text_fail(err, errlen, "fingerprint hash name is malformed");
        out[o++] = c;
    }
    out[o++] = ' ';
    for (size_t i = 0; i < tok[1].n; i++) {
        char c = tok[1].p[i];
        if (i % 3 == 2) {
            if (c != ':')
                return sdp_text_fail(err, errlen,
                                     "fingerprint value is not colon-separated hex pairs");
            out[o++] = ':';
            continue;
        }
        if (sdp_fingerprint_hexval(c) < 0)
            return sdp_text_fail(err, errlen, "fingerprint value is not colon-separated hex pairs");
        out[o++] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
    }
    out[o] = '\0';
    return 0;
}

int sdp_fingerprint_add(struct sdp_result *r, const char *p, size_t n, char *err, size_t errlen)
{
    char fp[SDP_FINGERPRINT_MAX];
    if (sdp_fingerprint_normalise(p, n, fp, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < r->n_fingerprints; i++)
        if (strcmp(r->fingerprints[i], fp) == 0)
            return 0;
    if (r->n_fingerprints == SDP_MAX_FINGERPRINTS)
        return sdp_text_fail(err, errlen, "more than %d distinct fingerprints",
                             SDP_MAX_FINGERPRINTS);
    memcpy(r->fingerprints[r->n_fingerprints++], fp, strlen(fp) + 1);
    return 0;
}
