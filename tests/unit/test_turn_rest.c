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
    const char *id;
    size_t idlen;
    const char *u = "1700000000:c4ll1d:pseud";
    assert_int_equal(turn_rest_expiry(u, strlen(u), &exp), 0);
    assert_true(exp == 1700000000);
    assert_int_equal(turn_rest_call_id(u, strlen(u), &id, &idlen), 0);
    assert_int_equal(idlen, 6);
    assert_memory_equal(id, "c4ll1d", 6);
    assert_int_equal(turn_rest_expiry("abc:x", 5, &exp), -1);
    assert_int_equal(turn_rest_expiry(":x", 2, &exp), -1);
    assert_int_equal(turn_rest_call_id("123", 3, &id, &idlen), -1);
    assert_int_equal(turn_rest_call_id("123::", 5, &id, &idlen), -1);
    assert_int_equal(turn_rest_call_id("123:only", 8, &id, &idlen), 0);
    assert_int_equal(idlen, 4);
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
        cmocka_unit_test(test_secrets_file),
        cmocka_unit_test(test_secret_length_limit),
        cmocka_unit_test(test_secret_count_limit),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
