/* Unit tests for stun/stream_frame: how a TCP/TLS stream is cut into STUN
 * messages and padded ChannelData frames, byte by byte as it arrives. The
 * frames are written out by hand from RFC 8656 §12.4-§12.5 and RFC 8489 §5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stream_frame.h"

/* Binding request, no attributes: type 0x0001, length 0, cookie, txid. */
static const uint8_t stun_empty[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                       3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
/* ChannelData 0x4001 with 5 bytes of data and 3 of padding: 12 bytes. */
static const uint8_t cd_padded[12] = {0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};

static int next(const uint8_t *buf, size_t avail, size_t max, size_t *len)
{
    size_t head = avail < STREAM_FRAME_HEAD ? avail : STREAM_FRAME_HEAD;
    return stream_frame_next(buf, head, avail, max, len);
}

static void test_channel_data_counts_padding(void **state)
{
    size_t len = 0;
    assert_int_equal(next(cd_padded, sizeof(cd_padded), 1500, &len), STREAM_FRAME_READY);
    assert_int_equal(len, 12);
    /* the padding is part of the frame: without it, wait */
    assert_int_equal(next(cd_padded, 9, 1500, &len), STREAM_FRAME_MORE);
    assert_int_equal(next(cd_padded, 11, 1500, &len), STREAM_FRAME_MORE);
}

static void test_stun_needs_whole_message(void **state)
{
    uint8_t msg[28];
    size_t len = 0;
    memcpy(msg, stun_empty, 20);
    msg[3] = 8; /* one 8-byte attribute follows */
    memcpy(msg + 20,
           "\x80\x22\x00\x04"
           "abcd",
           8);
    for (size_t n = 0; n < sizeof(msg); n++)
        assert_int_equal(next(msg, n, 1500, &len), STREAM_FRAME_MORE);
    assert_int_equal(next(msg, sizeof(msg), 1500, &len), STREAM_FRAME_READY);
    assert_int_equal(len, 28);
}

static void test_back_to_back_frames(void **state)
{
    uint8_t stream[sizeof(cd_padded) + sizeof(stun_empty) + 2];
    size_t off = 0, len = 0;
    memcpy(stream, cd_padded, sizeof(cd_padded));
    memcpy(stream + sizeof(cd_padded), stun_empty, sizeof(stun_empty));
    memcpy(stream + sizeof(cd_padded) + sizeof(stun_empty), "\x40\x02", 2);
    assert_int_equal(next(stream, sizeof(stream), 1500, &len), STREAM_FRAME_READY);
    assert_int_equal(len, 12);
    off += len;
    assert_int_equal(next(stream + off, sizeof(stream) - off, 1500, &len), STREAM_FRAME_READY);
    assert_int_equal(len, 20);
    off += len;
    /* two bytes of the next ChannelData header: wait */
    assert_int_equal(next(stream + off, sizeof(stream) - off, 1500, &len), STREAM_FRAME_MORE);
}

static void test_garbage_and_oversize_are_bad(void **state)
{
    uint8_t buf[20];
    size_t len = 77;
    memcpy(buf, stun_empty, 20);
    buf[4] = 0; /* wrong magic cookie */
    assert_int_equal(next(buf, 20, 1500, &len), STREAM_FRAME_BAD);
    /* but 7 bytes cannot show the cookie yet */
    assert_int_equal(next(buf, 7, 1500, &len), STREAM_FRAME_MORE);
    memcpy(buf, stun_empty, 20);
    buf[3] = 2; /* STUN length not a multiple of 4 */
    assert_int_equal(next(buf, 20, 1500, &len), STREAM_FRAME_BAD);
    buf[0] = 0x80; /* neither STUN nor ChannelData (RFC 7983 ranges) */
    buf[3] = 0;
    assert_int_equal(next(buf, 4, 1500, &len), STREAM_FRAME_BAD);
    /* ChannelData of 1497 bytes pads to 1500: over a 1499 limit */
    memcpy(buf, "\x40\x00\x05\xd9", 4);
    assert_int_equal(next(buf, 4, 1499, &len), STREAM_FRAME_BAD);
    assert_int_equal(next(buf, 4, 1504, &len), STREAM_FRAME_MORE);
    assert_int_equal(len, 77); /* untouched unless READY */
}

static void test_short_head_is_more(void **state)
{
    size_t len = 0;
    assert_int_equal(next(NULL, 0, 1500, &len), STREAM_FRAME_MORE);
    assert_int_equal(next(cd_padded, 3, 1500, &len), STREAM_FRAME_MORE);
    /* head_len over avail is clamped, never read past avail */
    assert_int_equal(stream_frame_next(cd_padded, 20, 3, 1500, &len), STREAM_FRAME_MORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_data_counts_padding),
        cmocka_unit_test(test_stun_needs_whole_message),
        cmocka_unit_test(test_back_to_back_frames),
        cmocka_unit_test(test_garbage_and_oversize_are_bad),
        cmocka_unit_test(test_short_head_is_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
