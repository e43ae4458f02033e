/* sdp_label: keyed-hash stream and track labels. See sdp_label.h. */
#include "sdp_label.h"

#include <sodium.h>

#include "sdp_sanitize.h"

#define SDP_LABEL_HASH_BYTES 16

static void sdp_label_put_one(struct sdp_text_buf *b, struct sdp_text_span label,
                              const uint8_t *key)
{
    crypto_generichash_state st;
    unsigned char h[SDP_LABEL_HASH_BYTES];
    char hex[2 * SDP_LABEL_HASH_BYTES + 1];
    if (sdp_text_span_is(label, "-") || sdp_text_span_is(label, "*")) {
        sdp_text_put_span(b, label);
        return;
    }
    crypto_generichash_init(&st, key, SDP_LABEL_KEY_BYTES, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)"umbra-label", 12);
    crypto_generichash_update(&st, (const unsigned char *)label.p, label.n);
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    sdp_text_puts(b, hex);
}

void sdp_label_put(struct sdp_text_buf *b, const char *p, size_t n, const uint8_t *key)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        if (p[i] == ' ') {
            while (i < n && p[i] == ' ')
                i++;
            sdp_text_put(b, p + start, i - start);
            continue;
        }
        while (i < n && p[i] != ' ')
            i++;
        sdp_label_put_one(b, (struct sdp_text_span){p + start, i - start}, key);
    }
}
