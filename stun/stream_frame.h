/* stream_frame: cutting a TCP or TLS byte stream into TURN frames (RFC 8656
 * §12.5: STUN messages and ChannelData, the latter padded to 4 bytes on a
 * stream). Pure: the caller owns the buffer and passes what it has
 * buffered; nothing is kept between calls.
 *
 * A reader loops: pass the first min(avail, STREAM_FRAME_HEAD) bytes and
 * the total buffered; on READY remove *len bytes (the whole frame,
 * padding included) and hand them on; on MORE wait for bytes; on BAD close
 * the stream: it holds neither STUN nor ChannelData, or a frame larger
 * than max, and a stream cannot be resynchronised.
 *
 * Layer: stun/, a leaf library; uses stun_msg only. */
#ifndef UMBRA_STUN_STREAM_FRAME_H
#define UMBRA_STUN_STREAM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "stun_msg.h"

#define STREAM_FRAME_HEAD STUN_HEADER_LEN

enum stream_frame_status {
    STREAM_FRAME_BAD = -1,
    STREAM_FRAME_MORE = 0,
    STREAM_FRAME_READY = 1,
};

/* head: the first head_len buffered bytes (head_len <= avail), avail: all
 * buffered bytes, max: the largest frame the reader accepts. Sets *len only
 * on READY, to a length of at least 4 and at most min(avail, max). */
enum stream_frame_status stream_frame_next(const uint8_t *head, size_t head_len, size_t avail,
                                           size_t max, size_t *len);

#endif
