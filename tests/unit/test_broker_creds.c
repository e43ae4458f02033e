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

static void test_username_and_password(void **state)
{
    struct turn_rest_secrets s = secrets("north", "south");
    struct creds c;
    char want[64];
    assert_int_equal(creds_make(&s, 300, 1700000000, "c0ffee", "pseudo_N-1", &c), 0);
    assert_string_equal(c.username, "1700000300:c0ffee:pseudo_N-1");
    assert_int_equal(c.ttl, 300);
    /* signed with the first secret of the file (rotation: new one first) */
    openssl_password("north", c.username, want);
    assert_string_equal(c.password, want);
    openssl_password("south", c.username, want);
    assert_string_not_equal(c.password, want);
    creds_clear(&c);
    assert_int_equal(c.username[0], 0);
    assert_int_equal(c.password[0], 0);
}

static void test_refusals(void **state)
{
    struct turn_rest_secrets s = secrets("north", NULL), none = {0};
    struct creds c;
    char longid[200];
    assert_int_equal(creds_make(&none, 300, 1, "id", "pn", &c), -1);
    /* a ':' would move the call id the relay revokes by */
    assert_int_equal(creds_make(&s, 300, 1, "a:b", "pn", &c), -1);
    assert_int_equal(creds_make(&s, 300, 1, "id", "p:n", &c), -1);
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    assert_int_equal(creds_make(&s, 300, 1, longid, "pn", &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_username_and_password),
        cmocka_unit_test(test_refusals),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
