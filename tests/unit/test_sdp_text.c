/* Unit tests for broker/sdp_text: the token splitter and the bounded
 * number parser every SDP field goes through, and the output buffer.
 * Expected values are written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sdp_text.h"

struct tokens_case {
    const char *in;
    size_t max;
    int count;           /* -1: more than max */
    const char *want[4]; /* the first tokens */
};

static const struct tokens_case tokens_cases[] = {
    {"a b c", 4, 3, {"a", "b", "c"}},
    {"  a   b  ", 4, 2, {"a", "b"}},
    {"", 4, 0, {NULL}},
    {"    ", 4, 0, {NULL}},
    {"a\tb c", 4, 2, {"a\tb", "c"}}, /* spaces only separate */
    {"a b c d", 4, 4, {"a", "b", "c", "d"}},
    {"a b c d e", 4, -1, {"a", "b", "c", "d"}},
    {"a b c d  ", 4, 4, {"a", "b", "c", "d"}},
};

static void test_tokens(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(tokens_cases) / sizeof(tokens_cases[0]); i++) {
        const struct tokens_case *c = &tokens_cases[i];
        struct sdp_text_span tok[4];
        int count = sdp_text_tokens(c->in, strlen(c->in), tok, c->max);
        size_t have = count < 0 ? c->max : (size_t)count;
        if (count != c->count)
            fail_msg("\"%s\": %d tokens, want %d", c->in, count, c->count);
        for (size_t k = 0; k < have; k++)
            if (!sdp_text_span_is(tok[k], c->want[k]))
                fail_msg("\"%s\": token %zu is \"%.*s\", want \"%s\"", c->in, k, (int)tok[k].n,
                         tok[k].p, c->want[k]);
    }
}

struct ulong_case {
    const char *in;
    size_t maxdigits;
    unsigned long max;
    int rc;
    unsigned long want;
};

static const struct ulong_case ulong_cases[] = {
    {"0", 5, 65535, 0, 0},
    {"65535", 5, 65535, 0, 65535},
    {"65536", 5, 65535, -1, 0},
    {"007", 3, 256, 0, 7},
    {"0256", 3, 256, -1, 0}, /* four digits */
    {"4294967295", 10, 4294967295UL, 0, 4294967295UL},
    {"", 5, 65535, -1, 0},
    {"+1", 5, 65535, -1, 0},
    {"-1", 5, 65535, -1, 0},
    {"1 ", 5, 65535, -1, 0},
    {"1a", 5, 65535, -1, 0},
};

static void test_parse_ulong(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ulong_cases) / sizeof(ulong_cases[0]); i++) {
        const struct ulong_case *c = &ulong_cases[i];
        struct sdp_text_span s = {c->in, strlen(c->in)};
        unsigned long v = 12345678;
        int rc = sdp_text_parse_ulong(s, c->maxdigits, c->max, &v);
        if (rc != c->rc)
            fail_msg("\"%s\": rc %d, want %d", c->in, rc, c->rc);
        if (rc == 0 && v != c->want)
            fail_msg("\"%s\": %lu, want %lu", c->in, v, c->want);
        if (rc != 0 && v != 12345678)
            fail_msg("\"%s\": refused but wrote %lu", c->in, v);
    }
}

/* The buffer grows past its first allocation and stays NUL-terminated. */
static void test_buf(void **state)
{
    struct sdp_text_buf b = {0};
    char want[3000];
    size_t n = 0;
    (void)state;
    for (unsigned long i = 0; i < 500; i++) {
        sdp_text_put_ulong(&b, i % 10);
        sdp_text_puts(&b, "ab");
        sdp_text_put_span(&b, (struct sdp_text_span){"xyz", 2});
        sdp_text_put(&b, "", 0);
        want[n++] = (char)('0' + i % 10);
        memcpy(want + n, "abxy", 4);
        n += 4;
    }
    want[n] = '\0';
    assert_false(b.oom);
    assert_int_equal(b.len, 2500);
    assert_true(b.cap > b.len);
    assert_string_equal(b.p, want);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_parse_ulong),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
