/* Fuzz target for ChannelData and stream framing: the input is taken as a
 * TCP/TLS byte stream and cut into frames with stream_frame_next(), the
 * relay's stream reader; each frame is parsed as what it claims to be.
 * The stream is cut twice: with everything buffered at once, and arriving
 * in pieces of 1 to 8 bytes (sizes from the input itself), like a reader
 * woken for each segment. Aborts if a frame length is inconsistent, a
 * parsed payload lies outside its frame, or the two cuttings differ. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream_frame.h"
#include "stun_msg.h"

#define FUZZ_MAX_FRAME 1500 /* small, so frames over the limit are reached */
#define FUZZ_MAX_FRAMES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_cut {
    size_t end[FUZZ_MAX_FRAMES]; /* where each frame ends */
    size_t n;
    int last; /* status that stopped the cutting */
};

static void fuzz_frame(const uint8_t *p, size_t len)
{
    struct stun_msg m;
    uint16_t ch;
    const uint8_t *payload;
    size_t plen;

    switch (stun_classify(p, len)) {
    case STUN_KIND_CHANNEL_DATA:
        if (stun_channel_data_parse(p, len, &ch, &payload, &plen) != 0)
            abort(); /* a whole frame always parses */
        if (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX || payload != p + 4 || plen > len - 4 ||
            len - 4 - plen > 3 || (len & 3) != 0)
            abort(); /* padded to 4 bytes on a stream */
        break;
    case STUN_KIND_STUN:
        if (len < STUN_HEADER_LEN || len != STUN_HEADER_LEN + (size_t)(p[2] << 8 | p[3]))
            abort();
        if (stun_parse(&m, p, len) == 0 && m.len != len)
            abort();
        break;
    case STUN_KIND_OTHER:
        abort(); /* stream_frame_next accepted it */
    }
}

/* The reader's loop over buf[0..avail): frames start at *off. */
static int fuzz_drain(const uint8_t *buf, size_t avail, size_t *off, struct fuzz_cut *cut,
                      int check)
{
    for (;;) {
        size_t left = avail - *off, frame = 0;
        size_t head = left < STREAM_FRAME_HEAD ? left : STREAM_FRAME_HEAD;
        int st = stream_frame_next(buf + *off, head, left, FUZZ_MAX_FRAME, &frame);
        if (st != STREAM_FRAME_READY)
            return st;
        if (frame < 4 || frame > left || frame > FUZZ_MAX_FRAME)
            abort();
        if (check)
            fuzz_frame(buf + *off, frame);
        *off += frame;
        if (cut->n < FUZZ_MAX_FRAMES)
            cut->end[cut->n++] = *off;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t piece[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint16_t ch;
    const uint8_t *payload;
    size_t plen, off = 0, avail = 0, k = 0;
    struct fuzz_cut *whole = calloc(2, sizeof(*whole)), *pieces;

    if (whole == NULL)
        abort();
    pieces = whole + 1;
    /* As a datagram. */
    if (stun_channel_data_parse(data, size, &ch, &payload, &plen) == 0 &&
        (payload + plen > data + size || ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX))
        abort();
    /* As a stream, all buffered. */
    whole->last = fuzz_drain(data, size, &off, whole, 1);
    if (whole->last == STREAM_FRAME_MORE && size - off >= STUN_HEADER_LEN &&
        stun_frame_length(data + off, size - off) == 0)
        abort(); /* 20 bytes always suffice to tell */
    /* As a stream arriving in pieces: the same frames, the same end. */
    off = 0;
    pieces->last = STREAM_FRAME_MORE;
    while (avail < size && pieces->last == STREAM_FRAME_MORE) {
        size_t step = piece[data[k++ % size] & 7];
        avail = avail + step < size ? avail + step : size;
        pieces->last = fuzz_drain(data, avail, &off, pieces, 0);
    }
    if (pieces->last != whole->last || pieces->n != whole->n ||
        memcmp(pieces->end, whole->end, whole->n * sizeof(whole->end[0])) != 0)
        abort();
    free(whole);
    return 0;
}
