/* Unit tests for broker/creds: TURN REST credentials as umbra-relay and
 * coturn check them. The expected password comes from the openssl CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "creds.h"

static struct turn_rest_secrets secrets(const char *first, const char *second)
{
    struct turn_rest_secrets s = {0};
    memcpy(s.bytes[0], first, strlen(first));
    s.len[0] = strlen(first);
    s.count = 1;
    if (second != NULL) {
        memcpy(s.bytes[1], second, strlen(second));
        s.len[1] = strlen(second);
        s.count = 2;
    }
    return s;
}

static void openssl_password(const char *secret, const char *user, char out[64])
{
    char cmd[512];
    FILE *p;
    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | openssl dgst -sha1 -hmac '%s' -binary | base64",
             user, secret);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, 64, p));
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
}

/* "<expiry>:<token>": the expiry in clear, the call id and party sealed
 * under the first secret (rotation: the new one first); the password is
 * the HMAC the openssl CLI computes, with that secret only. */
static void test_username_and_password(void **state)
{
    struct turn_rest_secrets s = secrets("north", "south");
    struct turn_rest_claims got;
    struct creds c;
    char want[64];
    assert_int_equal(creds_make(&s, 300, 1700000000, "c0ffee", TURN_REST_CALLEE, &c), 0);
    assert_int_equal(strlen(c.username), 11 + TURN_REST_TOKEN_CHARS);
    assert_memory_equal(c.username, "1700000300:", 11);
    assert_null(strstr(c.username, "c0ffee"));
    assert_int_equal(c.ttl, 300);
    assert_int_equal(turn_rest_open(s.bytes[0], s.len[0], c.username, strlen(c.username), &got), 0);
    assert_string_equal(got.call_id, "c0ffee");
    assert_int_equal(got.party, TURN_REST_CALLEE);
    assert_int_equal(turn_rest_open(s.bytes[1], s.len[1], c.username, strlen(c.username), &got),
                     -1);
    openssl_password("north", c.username, want);
    assert_string_equal(c.password, want);
    openssl_password("south", c.username, want);
    assert_string_not_equal(c.password, want);
    creds_clear(&c);
    assert_int_equal(c.username[0], 0);
    assert_int_equal(c.password[0], 0);
}

/* The two parties of a call get different usernames and passwords. */
static void test_parties_differ(void **state)
{
    struct turn_rest_secrets s = secrets("north", NULL);
    struct creds a, b;
    assert_int_equal(creds_make(&s, 300, 1700000000, "c0ffee", TURN_REST_CALLER, &a), 0);
    assert_int_equal(creds_make(&s, 300, 1700000000, "c0ffee", TURN_REST_CALLEE, &b), 0);
    assert_string_not_equal(a.username + 11, b.username + 11);
    assert_string_not_equal(a.password, b.password);
}

/* TURN_REST_CALL_ID_MAX (48) characters, 49 refused, and the broker's
 * own 32; no secret, a ':' or an unknown party refused. */
static void test_refusals(void **state)
{
    struct turn_rest_secrets s = secrets("north", NULL), none = {0};
    struct creds c;
    char longid[200];
    assert_int_equal(creds_make(&none, 300, 1, "id", TURN_REST_CALLER, &c), -1);
    assert_int_equal(creds_make(&s, 300, 1, "a:b", TURN_REST_CALLER, &c), -1);
    assert_int_equal(c.username[0], 0);
    assert_int_equal(creds_make(&s, 300, 1, "id", (enum turn_rest_party)2, &c), -1);
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    assert_int_equal(creds_make(&s, 300, 1, longid, TURN_REST_CALLER, &c), -1);
    longid[TURN_REST_CALL_ID_MAX + 1] = '\0';
    assert_int_equal(creds_make(&s, 300, 1, longid, TURN_REST_CALLER, &c), -1);
    longid[TURN_REST_CALL_ID_MAX] = '\0';
    assert_int_equal(creds_make(&s, 300, 1, longid, TURN_REST_CALLER, &c), 0);
    assert_int_equal(
        creds_make(&s, 300, 1, "0123456789abcdef0123456789abcdef", TURN_REST_CALLER, &c), 0);
    creds_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_username_and_password),
        cmocka_unit_test(test_parties_differ),
        cmocka_unit_test(test_refusals),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
