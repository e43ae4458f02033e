/* media_filter: the media-only rule. RFC 7983 §7 (as updated by RFC 9443
 * §3) tells the protocols a WebRTC endpoint receives on one port apart by
 * the first byte of the datagram:
 *
 *     0..3     STUN (ICE connectivity checks between the peers)
 *    16..19    ZRTP
 *    20..63    DTLS (SCTP data channels travel inside it)
 *    64..79    TURN ChannelData
 *   128..191   RTP/RTCP (SRTP, SRTCP)
 *
 * What a TURN relay forwards is what the two peers exchange, so it is only
 * ever STUN, ZRTP, DTLS or SRTP/SRTCP. 64..79 is not: ChannelData framing
 * is between a client and its own relay and is taken off before a payload
 * is relayed, so a relayed payload that looks like ChannelData is a TURN
 * session tunnelled inside another (or anything else starting with '@'..'O')
 * and is refused. So are 4..15, 80..127 (ASCII letters, an IPv4 header
 * starts 0x45, QUIC long headers 0xc0..0xff and short ones 0x40..0x7f,
 * RFC 9443) and 192..255, and an empty payload.
 *
 * Pure and branch-free: a 256-bit mask indexed by the first byte. Safe
 * from any thread.
 *
 * Layer 0: uses nothing of the relay. */
#ifndef UMBRA_MEDIA_FILTER_H
#define UMBRA_MEDIA_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum media_kind {
    MEDIA_OTHER = 0,
    MEDIA_STUN,
    MEDIA_ZRTP,
    MEDIA_DTLS,
    MEDIA_TURN_CHANNEL, /* classified, but never relayed */
    MEDIA_RTP,          /* RTP/RTCP, SRTP/SRTCP */
};

/* The RFC 7983 class of a datagram starting with byte first. */
enum media_kind media_filter_classify(uint8_t first);

/* Bit b of word b / 64 is set when first byte b may be relayed:
 * 0..3 and 16..63; none of 64..127; all of 128..191; none of 192..255. */
#define MEDIA_FILTER_MASK0 UINT64_C(0xFFFFFFFFFFFF000F)
#define MEDIA_FILTER_MASK2 UINT64_C(0xFFFFFFFFFFFFFFFF)

/* True when a payload of len bytes at data may be relayed under
 * media-only: not empty, and its first byte is STUN, ZRTP, DTLS or
 * RTP/RTCP. One load and a shift: it runs on every relayed packet. */
static inline bool media_filter_allows(const uint8_t *data, size_t len)
{
    static const uint64_t mask[4] = {MEDIA_FILTER_MASK0, 0, MEDIA_FILTER_MASK2, 0};
    if (len == 0)
        return false;
    return (mask[data[0] >> 6] >> (data[0] & 63)) & 1;
}

#endif
