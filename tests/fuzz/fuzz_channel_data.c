/* Fuzz target for ChannelData and stream framing: the input is taken as a
 * TCP byte stream and cut into frames with stun_frame_length() the way the
 * relay's stream reader does; each frame is parsed as what it claims to be.
 * Aborts if a frame length is inconsistent or a parsed payload lies outside
 * its frame. */
#include <stdint.h>
#include <stdlib.h>

#include "stun_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_frame(const uint8_t *p, size_t len)
{
    struct stun_msg m;
    uint16_t ch;
    const uint8_t *payload;
    size_t plen;

    switch (stun_classify(p, len)) {
    case STUN_KIND_CHANNEL_DATA:
        if (stun_channel_data_parse(p, len, &ch, &payload, &plen) != 0)
            abort(); /* a whole frame from stun_frame_length always parses */
        if (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX || payload != p + 4 || plen > len - 4 ||
            len - 4 - plen > 3)
            abort();
        break;
    case STUN_KIND_STUN:
        (void)stun_parse(&m, p, len);
        break;
    case STUN_KIND_OTHER:
        abort(); /* stun_frame_length accepted it */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    uint16_t ch;
    const uint8_t *payload;
    size_t plen;

    /* As a datagram. */
    if (stun_channel_data_parse(data, size, &ch, &payload, &plen) == 0 &&
        (payload + plen > data + size || ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX))
        abort();
    /* As a stream. */
    while (off < size) {
        ssize_t n = stun_frame_length(data + off, size - off);
        if (n < 0)
            break;
        if (n == 0) {
            if (size - off >= STUN_HEADER_LEN)
                abort(); /* 20 bytes always suffice to tell */
            break;
        }
        if (n < 4)
            abort();
        if ((size_t)n > size - off)
            break; /* incomplete frame: wait for more */
        fuzz_frame(data + off, (size_t)n);
        off += (size_t)n;
    }
    return 0;
}
