/* Unit tests for broker/sdp_fingerprint: the canonical form the broker
 * compares fingerprints in, and what is refused. Expected values are
 * written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sdp_fingerprint.h"

struct fp_case {
    const char *in;
    const char *want; /* NULL: refused */
};

static const struct fp_case cases[] = {
    {"sha-256 AB:CD", "sha-256 AB:CD"},
    {"sha-256 ab:cd:ef:09", "sha-256 AB:CD:EF:09"},
    {"SHA-256 0a:Fb", "sha-256 0A:FB"},
    {"  sha-1   00:ff  ", "sha-1 00:FF"},
    {"x-custom-hash-16 12:34", "x-custom-hash-16 12:34"},
    {"", NULL},
    {"sha-256", NULL},
    {"sha-256 AB:CD extra", NULL},
    {"sha_256 AB:CD", NULL},
    {"sha-256-too-long1 AB:CD", NULL}, /* hash name over 16 */
    {"sha-256 AB", NULL},              /* one pair */
    {"sha-256 ABC:D", NULL},
    {"sha-256 AB-CD", NULL},
    {"sha-256 AB:CG", NULL},
    {"sha-256 AB:CD:", NULL},
    {"sha-256\tAB:CD", NULL}, /* fields are split on spaces only */
};

static void test_normalise(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[SDP_FINGERPRINT_MAX], err[128] = "";
        int rc = sdp_fingerprint_normalise(cases[i].in, strlen(cases[i].in), out, err, sizeof(err));
        if (cases[i].want == NULL) {
            if (rc != -1 || err[0] == '\0')
                fail_msg("\"%s\": rc %d, want -1 with a reason", cases[i].in, rc);
        } else {
            if (rc != 0)
                fail_msg("\"%s\": refused: %s", cases[i].in, err);
            if (strcmp(out, cases[i].want) != 0)
                fail_msg("\"%s\" -> \"%s\", want \"%s\"", cases[i].in, out, cases[i].want);
        }
    }
}

/* 64 pairs (sha-512) fit; 65 do not. */
static void test_longest(void **state)
{
    char in[256], want[256], out[SDP_FINGERPRINT_MAX];
    size_t n = (size_t)snprintf(in, sizeof(in), "sha-512 ab");
    (void)state;
    snprintf(want, sizeof(want), "sha-512 AB");
    for (int i = 1; i < 64; i++) {
        n += (size_t)snprintf(in + n, sizeof(in) - n, ":ab");
        strcat(want, ":AB");
    }
    assert_int_equal(sdp_fingerprint_normalise(in, n, out, NULL, 0), 0);
    assert_string_equal(out, want);
    n += (size_t)snprintf(in + n, sizeof(in) - n, ":ab");
    assert_int_equal(sdp_fingerprint_normalise(in, n, out, NULL, 0), -1);
}

/* Spellings of one fingerprint count once; the ninth distinct one is
 * refused and leaves the result as it was. */
static void test_add(void **state)
{
    struct sdp_result r;
    char in[64], err[128];
    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sdp_fingerprint_add(&r, "sha-256 aa:bb", 13, err, sizeof(err)), 0);
    assert_int_equal(sdp_fingerprint_add(&r, "SHA-256 AA:BB", 13, err, sizeof(err)), 0);
    assert_int_equal(sdp_fingerprint_add(&r, " sha-256  aA:Bb ", 16, err, sizeof(err)), 0);
    assert_int_equal(r.n_fingerprints, 1);
    assert_string_equal(r.fingerprints[0], "sha-256 AA:BB");
    assert_int_equal(sdp_fingerprint_add(&r, "sha-1 aa:bb", 11, err, sizeof(err)), 0);
    assert_int_equal(r.n_fingerprints, 2);
    assert_string_equal(r.fingerprints[1], "sha-1 AA:BB");
    for (int i = 2; i < SDP_MAX_FINGERPRINTS; i++) {
        int n = snprintf(in, sizeof(in), "sha-256 00:%02x", i);
        assert_int_equal(sdp_fingerprint_add(&r, in, (size_t)n, err, sizeof(err)), 0);
    }
    assert_int_equal(r.n_fingerprints, SDP_MAX_FINGERPRINTS);
    assert_string_equal(r.fingerprints[SDP_MAX_FINGERPRINTS - 1], "sha-256 00:07");
    /* a repeat still counts once when the list is full */
    assert_int_equal(sdp_fingerprint_add(&r, "sha-256 00:07", 13, err, sizeof(err)), 0);
    assert_int_equal(sdp_fingerprint_add(&r, "sha-256 00:ff", 13, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fingerprints"));
    assert_int_equal(sdp_fingerprint_add(&r, "sha-256 0", 9, err, sizeof(err)), -1);
    assert_int_equal(r.n_fingerprints, SDP_MAX_FINGERPRINTS);
    assert_string_equal(r.fingerprints[SDP_MAX_FINGERPRINTS - 1], "sha-256 00:07");
}

/* Writes "<name> XX:XX:..." with pairs hex pairs, the first one being
 * first; returns its length. */
static size_t fp_make(char *buf, size_t cap, const char *name, int pairs, int first)
{
    size_t n = (size_t)snprintf(buf, cap, "%s %02x", name, first);
    for (int i = 1; i < pairs; i++)
        n += (size_t)snprintf(buf + n, cap - n, ":%02x", i);
    return n;
}

/* The longest fingerprint the parser accepts (a 16-character hash name and
 * 64 pairs, 208 bytes normalised) fills every slot of a result; a 17th
 * character or a 65th pair is refused. A regression: the normalised form
 * once overran a 200-byte buffer. */
static void test_longest_name_and_value(void **state)
{
    static const char name16[] = "x-sixteen-chars0";
    char in[512], err[128];
    struct sdp_result r;
    size_t n;
    (void)state;
    assert_int_equal(sizeof(name16) - 1, SDP_FINGERPRINT_HASH_MAX);
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < SDP_MAX_FINGERPRINTS; i++) {
        n = fp_make(in, sizeof(in), name16, SDP_FINGERPRINT_PAIRS_MAX, i);
        assert_int_equal(n + 1, SDP_FINGERPRINT_MAX);
        assert_int_equal(sdp_fingerprint_add(&r, in, n, err, sizeof(err)), 0);
        assert_int_equal(strlen(r.fingerprints[i]), n);
    }
    assert_int_equal(r.n_fingerprints, SDP_MAX_FINGERPRINTS);
    n = fp_make(in, sizeof(in), name16, SDP_FINGERPRINT_PAIRS_MAX, 0xfe);
    assert_int_equal(sdp_fingerprint_add(&r, in, n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fingerprints"));
    memset(&r, 0, sizeof(r));
    n = fp_make(in, sizeof(in), name16, SDP_FINGERPRINT_PAIRS_MAX + 1, 0);
    assert_int_equal(sdp_fingerprint_add(&r, in, n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "pairs"));
    n = fp_make(in, sizeof(in), "x-seventeen-chars", SDP_FINGERPRINT_PAIRS_MAX, 0);
    assert_int_equal(sdp_fingerprint_add(&r, in, n, err, sizeof(err)), -1);
    assert_int_equal(r.n_fingerprints, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_longest),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_longest_name_and_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
