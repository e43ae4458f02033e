/* Unit tests for common/turn_rest: the REST credential form coturn accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "turn_rest.h"

/* The password coturn computes for secret "north" and this username:
 * printf '%s' 1700000000:call:alice | openssl dgst -sha1 -hmac north -binary | base64 */
static void test_password_matches_openssl_cli(void **state)
{
    char pw[TURN_REST_PASSWORD_MAX];
    const char *user = "1700000000:call:alice";
    FILE *p = popen("printf '%s' 1700000000:call:alice | openssl dgst -sha1 -hmac north -binary"
                    " | base64",
                    "r");
    char expected[64] = "";
    assert_non_null(p);
    assert_non_null(fgets(expected, sizeof(expected), p));
    pclose(p);
    expected[strcspn(expected, "\n")] = '\0';
    turn_rest_password((const uint8_t *)"north", 5, user, strlen(user), pw);
    assert_string_equal(pw, expected);
    turn_rest_password((const uint8_t *)"south", 5, user, strlen(user), pw);
    assert_string_not_equal(pw, expected);
}

static void test_fields(void **state)
{
    int64_t exp;
    const char *u = "1700000000:c4ll1d:pseud";
    assert_int_equal(turn_rest_expiry(u, strlen(u), &exp), 0);
    assert_true(exp == 1700000000);
    assert_int_equal(turn_rest_expiry("abc:x", 5, &exp), -1);
    assert_int_equal(turn_rest_expiry(":x", 2, &exp), -1);
}

#define NORTH ((const uint8_t *)"north")
#define SOUTH ((const uint8_t *)"south")

static struct turn_rest_claims claims_of(const char *call, uint8_t party)
{
    struct turn_rest_claims c = {0};
    c.party = party;
    c.call_id_len = (uint8_t)strlen(call);
    memcpy(c.call_id, call, c.call_id_len);
    return c;
}

static void seal(const uint8_t *secret, int64_t expiry, const char *call, uint8_t party,
                 char out[TURN_REST_SEALED_MAX])
{
    struct turn_rest_claims c = claims_of(call, party);
    assert_int_equal(turn_rest_seal(secret, 5, expiry, &c, out, TURN_REST_SEALED_MAX), 0);
}

/* The token opens to what was sealed, under the same secret only; every
 * token has the same length whatever the call id. */
static void test_seal_round_trip(void **state)
{
    char u[TURN_REST_SEALED_MAX];
    struct turn_rest_claims got;
    int64_t exp;

    seal(NORTH, 1700000000, "c0ffee", TURN_REST_CALLEE, u);
    assert_int_equal(strlen(u), 11 + TURN_REST_TOKEN_CHARS);
    assert_memory_equal(u, "1700000000:", 11);
    assert_int_equal(turn_rest_expiry(u, strlen(u), &exp), 0);
    assert_true(exp == 1700000000);
    assert_null(strstr(u, "c0ffee"));
    assert_int_equal(
        strspn(u + 11, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        TURN_REST_TOKEN_CHARS);
    assert_int_equal(turn_rest_open(NORTH, 5, u, strlen(u), &got), 0);
    assert_int_equal(got.party, TURN_REST_CALLEE);
    assert_int_equal(got.call_id_len, 6);
    assert_string_equal(got.call_id, "c0ffee");
    /* wrong secret */
    assert_int_equal(turn_rest_open(SOUTH, 5, u, strlen(u), &got), -1);
    assert_int_equal(got.call_id_len, 0);
    /* 1 and 48 (TURN_REST_CALL_ID_MAX) characters: same length */
    seal(NORTH, 1700000000, "x", TURN_REST_CALLER, u);
    assert_int_equal(strlen(u), 11 + TURN_REST_TOKEN_CHARS);
    assert_int_equal(turn_rest_open(NORTH, 5, u, strlen(u), &got), 0);
    assert_string_equal(got.call_id, "x");
    assert_int_equal(got.party, TURN_REST_CALLER);
    seal(NORTH, 1700000000, "0123456789abcdef0123456789abcdef0123456789abcdef", 0, u);
    assert_int_equal(strlen(u), 11 + TURN_REST_TOKEN_CHARS);
    assert_int_equal(turn_rest_open(NORTH, 5, u, strlen(u), &got), 0);
    assert_int_equal(got.call_id_len, 48);
}

/* What turn_rest_seal refuses: an empty, 49-character, ':' or control
 * character call id, an unknown party, a negative or 19-digit expiry, an
 * output one byte short. */
static void test_seal_limits(void **state)
{
    char u[TURN_REST_SEALED_MAX];
    struct turn_rest_claims c = claims_of("0123456789abcdef0123456789abcdef0123456789abcdef", 0);
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, sizeof(u)), 0);
    c.call_id_len = 49;
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, sizeof(u)), -1);
    assert_string_equal(u, "");
    c = claims_of("", 0);
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, sizeof(u)), -1);
    c = claims_of("a:b", 0);
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, sizeof(u)), -1);
    c = claims_of("a\nb", 0);
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, sizeof(u)), -1);
    c = claims_of("ab", 2);
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, sizeof(u)), -1);
    c = claims_of("ab", 1);
    assert_int_equal(turn_rest_seal(NORTH, 5, -1, &c, u, sizeof(u)), -1);
    assert_int_equal(turn_rest_seal(NORTH, 5, INT64_C(999999999999999999), &c, u, sizeof(u)), 0);
    assert_int_equal(strlen(u), 19 + TURN_REST_TOKEN_CHARS); /* the largest: fills the buffer */
    assert_int_equal(turn_rest_seal(NORTH, 5, INT64_C(1000000000000000000), &c, u, sizeof(u)), -1);
    /* "1:" + token + NUL: the exact size and one byte less */
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, 2 + TURN_REST_TOKEN_CHARS + 1), 0);
    assert_int_equal(turn_rest_seal(NORTH, 5, 1, &c, u, 2 + TURN_REST_TOKEN_CHARS), -1);
    assert_string_equal(u, "");
}

/* Changing any one byte of the username (expiry, colon or token) to any
 * other character refuses it; so do one character more or less. */
static void test_tamper_refused(void **state)
{
    char u[TURN_REST_SEALED_MAX], t[TURN_REST_SEALED_MAX + 1];
    struct turn_rest_claims got;
    size_t n;
    const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:+/=";

    seal(NORTH, 1700000000, "call-one", TURN_REST_CALLER, u);
    n = strlen(u);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(alphabet) - 1; k++) {
            if (alphabet[k] == u[i])
                continue;
            memcpy(t, u, n + 1);
            t[i] = alphabet[k];
            assert_int_equal(turn_rest_open(NORTH, 5, t, n, &got), -1);
            assert_int_equal(got.call_id_len, 0);
        }
    }
    memcpy(t, u, n + 1);
    assert_int_equal(turn_rest_open(NORTH, 5, t, n - 1, &got), -1);
    t[n] = 'A';
    assert_int_equal(turn_rest_open(NORTH, 5, t, n + 1, &got), -1);
    /* the same token behind another expiry, or leading zero */
    memcpy(t, "01700000000:", 12);
    memcpy(t + 12, u + 11, n - 11);
    assert_int_equal(turn_rest_open(NORTH, 5, t, n + 1, &got), -1);
    /* plain REST names and other forms never open */
    assert_int_equal(turn_rest_open(NORTH, 5, "1700000000:alice", 16, &got), -1);
    assert_int_equal(turn_rest_open(NORTH, 5, "1700000000", 10, &got), -1);
    assert_int_equal(turn_rest_open(NORTH, 5, u + 11, n - 11, &got), -1);
    assert_int_equal(turn_rest_open(NORTH, 5, u, n, &got), 0);
}

/* The longest common substring of a and b. */
static size_t common_run(const char *a, const char *b)
{
    size_t best = 0, la = strlen(a), lb = strlen(b);
    for (size_t i = 0; i < la; i++)
        for (size_t j = 0; j < lb; j++) {
            size_t k = 0;
            while (i + k < la && j + k < lb && a[i + k] == b[j + k])
                k++;
            if (k > best)
                best = k;
        }
    return best;
}

/* Two parties of one call, and two calls, share nothing beyond the expiry
 * (11 characters "1700000000:"): no run of 6 characters in the tokens.
 * Sealing the same claims twice gives two different tokens too. */
static void test_unlinkable(void **state)
{
    char a[TURN_REST_SEALED_MAX], b[TURN_REST_SEALED_MAX], c[TURN_REST_SEALED_MAX],
        d[TURN_REST_SEALED_MAX];
    seal(NORTH, 1700000000, "call-one", TURN_REST_CALLER, a);
    seal(NORTH, 1700000000, "call-one", TURN_REST_CALLEE, b);
    seal(NORTH, 1700000000, "call-two", TURN_REST_CALLER, c);
    seal(NORTH, 1700000000, "call-one", TURN_REST_CALLER, d);
    assert_true(common_run(a + 11, b + 11) < 6);
    assert_true(common_run(a + 11, c + 11) < 6);
    assert_true(common_run(b + 11, c + 11) < 6);
    assert_true(common_run(a + 11, d + 11) < 6);
    assert_string_not_equal(a, d);
}

static void test_secrets_file(void **state)
{
    char path[] = "/tmp/umbra-secrets-XXXXXX";
    const char *text = "# rotation\nfirst\n\nsecond\r\n";
    struct turn_rest_secrets s = {0};
    char err[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(turn_rest_secrets_load(path, &s, err, sizeof(err)), 0);
    assert_int_equal(s.count, 2);
    assert_memory_equal(s.bytes[1], "second", 6);
    assert_int_equal(s.len[1], 6);
    unlink(path);
    assert_int_equal(turn_rest_secrets_load(path, &s, err, sizeof(err)), -1);
    assert_int_equal(s.count, 2); /* a failed reload keeps the old secrets */
    turn_rest_secrets_clear(&s);
    assert_int_equal(s.count, 0);
}

/* Writes text (len bytes) to a fresh file and loads it. */
static int load_text(const char *text, size_t len, struct turn_rest_secrets *s, char *err,
                     size_t errlen)
{
    char path[] = "/tmp/umbra-secrets-XXXXXX";
    int fd = mkstemp(path), rc;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    rc = turn_rest_secrets_load(path, s, err, errlen);
    unlink(path);
    return rc;
}

/* A secret of "x" * n on line 2 (after a comment), ending in eol. */
static int load_one(size_t n, const char *eol, struct turn_rest_secrets *s, char *err,
                    size_t errlen)
{
    size_t cap = n + 32;
    char *text = malloc(cap);
    int len, rc;
    assert_non_null(text);
    len = snprintf(text, cap, "# key\n%0*d%s", (int)n, 0, eol);
    memset(text + 6, 'x', n);
    rc = load_text(text, (size_t)len, s, err, errlen);
    free(text);
    return rc;
}

/* TURN_REST_SECRET_MAX (256) bytes per secret, with LF, CRLF or no line
 * end; 257 refused naming the line; so is a line of a mebibyte. */
static void test_secret_length_limit(void **state)
{
    struct turn_rest_secrets s = {0};
    char err[256];
    const char *eols[] = {"\n", "\r\n", ""};

    for (size_t i = 0; i < 3; i++) {
        err[0] = '\0';
        assert_int_equal(load_one(TURN_REST_SECRET_MAX, eols[i], &s, err, sizeof(err)), 0);
        assert_int_equal(s.count, 1);
        assert_int_equal(s.len[0], TURN_REST_SECRET_MAX);
        assert_int_equal(s.bytes[0][TURN_REST_SECRET_MAX - 1], 'x');
        assert_int_equal(load_one(TURN_REST_SECRET_MAX + 1, eols[i], &s, err, sizeof(err)), -1);
        assert_non_null(strstr(err, ":2: secret longer than 256 bytes"));
        assert_int_equal(s.count, 1); /* left as it was */
    }
    assert_int_equal(load_one(1 << 20, "\n", &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: secret longer than 256 bytes"));
    turn_rest_secrets_clear(&s);
}

/* TURN_REST_SECRETS_MAX (16) secrets, 17 refused naming the 17th line. */
static void test_secret_count_limit(void **state)
{
    struct turn_rest_secrets s = {0};
    char text[1024], err[256];
    size_t len = 0;

    for (int i = 0; i < TURN_REST_SECRETS_MAX; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "secret-%d\n", i);
    assert_int_equal(load_text(text, len, &s, err, sizeof(err)), 0);
    assert_int_equal(s.count, TURN_REST_SECRETS_MAX);
    len += (size_t)snprintf(text + len, sizeof(text) - len, "one-too-many\n");
    assert_int_equal(load_text(text, len, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":17: more than 16 secrets"));
    assert_int_equal(s.count, TURN_REST_SECRETS_MAX);
    turn_rest_secrets_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_matches_openssl_cli),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_seal_round_trip),
        cmocka_unit_test(test_seal_limits),
        cmocka_unit_test(test_tamper_refused),
        cmocka_unit_test(test_unlinkable),
        cmocka_unit_test(test_secrets_file),
        cmocka_unit_test(test_secret_length_limit),
        cmocka_unit_test(test_secret_count_limit),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
