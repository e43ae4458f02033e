/* media_filter: see media_filter.h. */
#include "media_filter.h"

enum media_kind media_filter_classify(uint8_t first)
{
    if (first <= 3)
        return MEDIA_STUN;
    if (first >= 16 && first <= 19)
        return MEDIA_ZRTP;
    if (first >= 20 && first <= 63)
        return MEDIA_DTLS;
    if (first >= 64 && first <= 79)
        return MEDIA_TURN_CHANNEL;
    if (first >= 128 && first <= 191)
        return MEDIA_RTP;
    return MEDIA_OTHER;
}
