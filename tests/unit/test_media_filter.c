/* Unit tests for relay/media_filter (the media-only rule, RFC 7983 §7):
 * the class of every first byte at each range edge and beside it, the
 * fast mask against the classifier for all 256 values, empty payloads,
 * and the media-only key's default, which follows relay-only-peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "media_filter.h"
#include "relay_config.h"

struct edge {
    uint8_t byte;
    enum media_kind kind;
};

/* Each range's first and last value and the values just outside it. */
static const struct edge edges[] = {
    {0, MEDIA_STUN},
    {3, MEDIA_STUN},
    {4, MEDIA_OTHER},
    {15, MEDIA_OTHER},
    {16, MEDIA_ZRTP},
    {19, MEDIA_ZRTP},
    {20, MEDIA_DTLS},
    {63, MEDIA_DTLS},
    {64, MEDIA_TURN_CHANNEL},
    {79, MEDIA_TURN_CHANNEL},
    {80, MEDIA_OTHER},
    {127, MEDIA_OTHER},
    {128, MEDIA_RTP},
    {191, MEDIA_RTP},
    {192, MEDIA_OTHER},
    {255, MEDIA_OTHER},
    {0x45, MEDIA_TURN_CHANNEL}, /* 'E': an IPv4 header */
    {0x16, MEDIA_DTLS},
    {0x80, MEDIA_RTP},
};

static bool relayed(enum media_kind k)
{
    return k == MEDIA_STUN || k == MEDIA_ZRTP || k == MEDIA_DTLS || k == MEDIA_RTP;
}

static void test_edges(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        uint8_t p[2] = {edges[i].byte, 0};
        if (media_filter_classify(edges[i].byte) != edges[i].kind)
            fail_msg("first byte %u: class %d, want %d", edges[i].byte,
                     (int)media_filter_classify(edges[i].byte), (int)edges[i].kind);
        if (media_filter_allows(p, 1) != relayed(edges[i].kind) ||
            media_filter_allows(p, 2) != relayed(edges[i].kind))
            fail_msg("first byte %u: allows() says %d", edges[i].byte,
                     (int)media_filter_allows(p, 1));
    }
}

static void test_every_byte(void **state)
{
    unsigned passed = 0;
    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        uint8_t p[1] = {(uint8_t)b};
        bool want = relayed(media_filter_classify((uint8_t)b));
        if (media_filter_allows(p, 1) != want)
            fail_msg("first byte %u: mask %d, classifier %d", b, (int)!want, (int)want);
        passed += want;
    }
    /* 4 STUN + 4 ZRTP + 44 DTLS + 64 RTP/RTCP */
    assert_int_equal(passed, 116);
}

static void test_empty(void **state)
{
    uint8_t p[1] = {0x80};
    (void)state;
    assert_false(media_filter_allows(p, 0));
    assert_true(media_filter_allows(p, 1));
}

static int finish_with(struct relay_config *c, const char *relay_only, const char *media_only)
{
    char err[256];
    relay_config_init(c);
    assert_int_equal(relay_config_set(c, "user", "a:b", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "relay-address", "192.0.2.1", err, sizeof(err)), 0);
    if (relay_only != NULL)
        assert_int_equal(relay_config_set(c, "relay-only-peers", relay_only, err, sizeof(err)), 0);
    if (media_only != NULL && relay_config_set(c, "media-only", media_only, err, sizeof(err)) != 0)
        return -1;
    return relay_config_finish(c, err, sizeof(err));
}

static void test_config_default(void **state)
{
    static const struct {
        const char *relay_only, *media_only;
        bool want;
    } cases[] = {
        {NULL, NULL, true},  {"yes", NULL, true},  {"no", NULL, false},
        {"no", "yes", true}, {"yes", "no", false}, {NULL, "no", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct relay_config c;
        assert_int_equal(finish_with(&c, cases[i].relay_only, cases[i].media_only), 0);
        if (c.media_only != cases[i].want)
            fail_msg("relay-only-peers %s, media-only %s: got %d", cases[i].relay_only,
                     cases[i].media_only, (int)c.media_only);
        relay_config_free(&c);
    }
}

static void test_config_bad_value(void **state)
{
    struct relay_config c;
    (void)state;
    assert_int_equal(finish_with(&c, NULL, "maybe"), -1);
    relay_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_config_bad_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
