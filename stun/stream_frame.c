/* stream_frame: see stream_frame.h. */
#include "stream_frame.h"

enum stream_frame_status stream_frame_next(const uint8_t *head, size_t head_len, size_t avail,
                                           size_t max, size_t *len)
{
    ssize_t frame;

    if (head_len > avail)
        head_len = avail;
    if (avail < 4)
        return STREAM_FRAME_MORE; /* the shortest header, ChannelData's */
    frame = stun_frame_length(head, head_len);
    if (frame < 0 || (size_t)frame > max)
        return STREAM_FRAME_BAD;
    if (frame == 0 || avail < (size_t)frame)
        return STREAM_FRAME_MORE;
    *len = (size_t)frame;
    return STREAM_FRAME_READY;
}
