/* Unit tests for broker/sdp_addr: the address net that makes the sanitizer
 * drop a line, and the literal check that decides which candidates may be
 * kept. Every expected value is written out by hand from the text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sdp_addr.h"

struct addr_case {
    const char *text;
    bool has_address;
};

static const struct addr_case in_text_cases[] = {
    /* plain literals */
    {"10.0.0.1", true},
    {"c=IN IP4 203.0.113.7", true},
    {"::1", true},
    {"fe80::1", true},
    {"2001:db8::", true},
    {"::ffff:192.0.2.1", true},
    {"a=altc:1 IP6 [2001:db8::77] 5000", true},
    /* glued to other text */
    {"x-lan:fe80::1", true},
    {"x-lan:2001:db8:0:0:0:0:0:1", true}, /* one colon glued on, no "::" */
    {"2001:db8:0:0:0:0:0:1:x", true},
    {"fe80::1%25eth0", true},
    {"a=x:1.2.3.4", true},
    {"cafe10.0.0.1", true},
    {"deadbeef::", true}, /* "::" next to a hex digit */
    {"1.2.3.4.5", true},  /* 2.3.4.5 hides in it */
    /* dotted quads inet_pton refuses but other parsers read (octal,
     * zero-padded, out of range): the net fails closed on them */
    {"010.0.0.1", true},
    {"c=IN IP4 127.000.000.001", true},
    {"a=x-lan:0300.0250.0.1", true}, /* 192.168.0.1 in octal */
    {"0000000012.0.0.1", true},
    {"256.1.1.1", true},
    {"000.0.0.0", true}, /* only the exact text "0.0.0.0" is allowed */
    {"0.0.0.00", true},
    {"s=from 10.0.0.1.", true}, /* a quad followed by a dot */
    {"1110.0.0.1", true},       /* 110.0.0.1 glued to a digit */
    /* a fingerprint's hex pairs read as IPv6: why a=fingerprint is exempt */
    {"sha-256 AB:CD:EF:01:23:45:67:89", true},
    /* no address */
    {"", false},
    {"0.0.0.0", false},
    {"::", false},
    {"IN IP4 0.0.0.0 and ::", false},
    {"i=version 1.2.3", false},
    {"10.0.0", false},
    {"0.0.0.0.", false},
    {"a=tool:libwebrtc 120.0.6099.109", false}, /* a group of four digits */
    {"s=umbra 1.22.333", false},
    {"a=x-rate:10.5 12.25", false},
    {"12:34:56", false},
    {"a=rtpmap:111 opus/48000/2", false},
    {"a=fmtp:111 minptime=10;useinbandfec=1", false},
    {"a=ssrc:1 cname:Kd8s0QmZtYw3LpXe", false},
};

static void test_in_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(in_text_cases) / sizeof(in_text_cases[0]); i++) {
        const struct addr_case *c = &in_text_cases[i];
        bool got = sdp_addr_in_text(c->text, strlen(c->text));
        if (got != c->has_address)
            fail_msg("sdp_addr_in_text(\"%s\") = %d, want %d", c->text, got, c->has_address);
    }
}

/* Only the n bytes given are read: an address cut short is no address. */
static void test_in_text_length(void **state)
{
    (void)state;
    assert_true(sdp_addr_in_text("10.0.0.1", 8));
    assert_false(sdp_addr_in_text("10.0.0.1", 7));
    assert_false(sdp_addr_in_text("fe80::1", 0));
    assert_true(sdp_addr_in_text("a 10.0.0.1 b", 12));
    assert_false(sdp_addr_in_text("a 10.0.0.1 b", 9));
}

struct literal_case {
    const char *text;
    bool literal;
    bool ipv6;
};

static const struct literal_case literal_cases[] = {
    {"192.0.2.1", true, false},
    {"0.0.0.0", true, false},
    {"2001:db8::1", true, true},
    {"::", true, true},
    {"::ffff:192.0.2.1", true, true},
    {"", false, false},
    {"1.2.3", false, false},
    {"192.0.2.1 ", false, false},
    {"192.0.2.256", false, false},
    {"0f3c1e2a-6b1d-4c1f-9a55-1b2c3d4e5f60.local", false, false},
    {"relay.example.net", false, false},
    {"fe80::1%eth0", false, false},
};

static void test_is_literal(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(literal_cases) / sizeof(literal_cases[0]); i++) {
        const struct literal_case *c = &literal_cases[i];
        /* the opposite of what a literal would set, to see it written */
        bool ipv6 = !c->ipv6;
        bool got = sdp_addr_is_literal(c->text, strlen(c->text), &ipv6);
        if (got != c->literal)
            fail_msg("sdp_addr_is_literal(\"%s\") = %d, want %d", c->text, got, c->literal);
        if (got && ipv6 != c->ipv6)
            fail_msg("sdp_addr_is_literal(\"%s\"): ipv6 = %d, want %d", c->text, ipv6, c->ipv6);
        if (!got && ipv6 != !c->ipv6)
            fail_msg("sdp_addr_is_literal(\"%s\") wrote ipv6 without a literal", c->text);
    }
}

static void test_is_literal_bounds(void **state)
{
    char longer[300];
    bool ipv6 = false;
    (void)state;
    /* the length given, not the terminator, ends the literal */
    assert_false(sdp_addr_is_literal("192.0.2.1", 7, &ipv6));
    assert_true(sdp_addr_is_literal("10.0.0.1x", 8, &ipv6));
    assert_false(ipv6);
    /* a long token is refused, not copied past a buffer */
    memset(longer, '1', sizeof(longer));
    assert_false(sdp_addr_is_literal(longer, sizeof(longer), &ipv6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_text),
        cmocka_unit_test(test_in_text_length),
        cmocka_unit_test(test_is_literal),
        cmocka_unit_test(test_is_literal_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
