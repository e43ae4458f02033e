/* Unit tests for common/addr: parsing, formatting, normalisation, scopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "addr.h"

static void test_parse_and_format(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"1.2.3.4", "1.2.3.4:3478"},
        {"1.2.3.4:5", "1.2.3.4:5"},
        {"::1", "[::1]:3478"},
        {"[::1]", "[::1]:3478"},
        {"[2001:db8::2]:9", "[2001:db8::2]:9"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct umbra_addr a;
        char buf[ADDR_TEXT_MAX];
        assert_int_equal(addr_parse(&a, cases[i].in, 3478), 0);
        assert_int_equal(addr_format(&a, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].out);
    }
    static const char *const bad[] = {"",     "1.2.3",  "1.2.3.4:",        "1.2.3.4:65536",
                                      "[::1", "[::1]x", "host.example:80", "1.2.3.4:-1",
                                      "[]:5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct umbra_addr a;
        assert_int_not_equal(addr_parse(&a, bad[i], 1), 0);
    }
}

static void test_equal_and_hash(void **state)
{
    struct umbra_addr a, b, c;
    unsigned char key[ADDR_HASH_KEY_BYTES] = {1, 2, 3};
    addr_parse(&a, "10.0.0.1:5000", 0);
    addr_parse(&b, "10.0.0.1:5000", 0);
    addr_parse(&c, "10.0.0.1:5001", 0);
    assert_true(addr_equal(&a, &b));
    assert_false(addr_equal(&a, &c));
    assert_true(addr_equal_ip(&a, &c));
    assert_true(addr_hash(&a, key) == addr_hash(&b, key));
    assert_true(addr_hash(&a, key) != addr_hash(&c, key));
}

/* Every IPv6 spelling of an IPv4 address must reach the IPv4 checks. These
 * are the bypasses of coturn CVE-2020-26262 and CVE-2026-27624. */
static void test_normalise(void **state)
{
    static const struct {
        const char *in;
        int rc;
        const char *out;
    } cases[] = {
        {"0.0.0.0:80", ADDR_NORM_UNSPECIFIED, NULL},
        {"0.1.2.3:80", ADDR_NORM_UNSPECIFIED, NULL},
        {"[::]:80", ADDR_NORM_UNSPECIFIED, NULL},
        {"[::ffff:127.0.0.1]:80", ADDR_NORM_OK, "127.0.0.1:80"},
        {"[::ffff:0.0.0.0]:80", ADDR_NORM_UNSPECIFIED, NULL},
        {"[::127.0.0.1]:80", ADDR_NORM_OK, "127.0.0.1:80"},
        {"[64:ff9b::10.0.0.1]:80", ADDR_NORM_OK, "10.0.0.1:80"},
        {"[2002:7f00:1::1]:80", ADDR_NORM_OK, "127.0.0.1:80"},
        {"[2001:0:4136:e378:8000:63bf:80ff:fffe]:80", ADDR_NORM_OK, "127.0.0.1:80"},
        {"[::1]:80", ADDR_NORM_OK, "[::1]:80"},
        {"[2a00:1450::1]:80", ADDR_NORM_OK, "[2a00:1450::1]:80"},
        {"8.8.8.8:53", ADDR_NORM_OK, "8.8.8.8:53"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct umbra_addr in, out;
        char buf[ADDR_TEXT_MAX];
        assert_int_equal(addr_parse(&in, cases[i].in, 0), 0);
        assert_int_equal(addr_normalise(&in, &out), cases[i].rc);
        if (cases[i].out != NULL) {
            addr_format(&out, buf, sizeof(buf));
            assert_string_equal(buf, cases[i].out);
        }
    }
}

static void test_scopes(void **state)
{
    static const struct {
        const char *in;
        enum addr_scope scope;
    } cases[] = {
        {"127.0.0.1", ADDR_SCOPE_LOOPBACK},       {"10.1.2.3", ADDR_SCOPE_PRIVATE},
        {"172.16.0.1", ADDR_SCOPE_PRIVATE},       {"172.32.0.1", ADDR_SCOPE_PUBLIC},
        {"192.168.1.1", ADDR_SCOPE_PRIVATE},      {"100.64.0.1", ADDR_SCOPE_PRIVATE},
        {"169.254.1.1", ADDR_SCOPE_LINK_LOCAL},   {"224.0.0.1", ADDR_SCOPE_MULTICAST},
        {"255.255.255.255", ADDR_SCOPE_RESERVED}, {"0.0.0.0", ADDR_SCOPE_UNSPECIFIED},
        {"8.8.8.8", ADDR_SCOPE_PUBLIC},           {"::1", ADDR_SCOPE_LOOPBACK},
        {"::", ADDR_SCOPE_UNSPECIFIED},           {"fe80::1", ADDR_SCOPE_LINK_LOCAL},
        {"fd00::1", ADDR_SCOPE_PRIVATE},          {"ff02::1", ADDR_SCOPE_MULTICAST},
        {"2a00:1450::1", ADDR_SCOPE_PUBLIC},      {"::ffff:10.0.0.1", ADDR_SCOPE_PRIVATE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct umbra_addr a;
        assert_int_equal(addr_parse(&a, cases[i].in, 0), 0);
        assert_string_equal(addr_scope_name(addr_scope_of(&a)), addr_scope_name(cases[i].scope));
    }
}

/* Per-client limits key on the host: IPv4 address or IPv6 /64, port left
 * out, embedded IPv4 forms counted as the IPv4 address. */
static void test_hash_host(void **state)
{
    unsigned char key[ADDR_HASH_KEY_BYTES] = {7};
    struct umbra_addr a, b;
    assert_int_equal(addr_parse(&a, "192.0.2.1:1000", 0), 0);
    assert_int_equal(addr_parse(&b, "192.0.2.1:2000", 0), 0);
    assert_true(addr_hash_host(&a, key) == addr_hash_host(&b, key));
    assert_int_equal(addr_parse(&b, "[::ffff:192.0.2.1]:3000", 0), 0);
    assert_true(addr_hash_host(&a, key) == addr_hash_host(&b, key));
    assert_int_equal(addr_parse(&b, "192.0.2.2:1000", 0), 0);
    assert_true(addr_hash_host(&a, key) != addr_hash_host(&b, key));
    assert_int_equal(addr_parse(&a, "[2001:db8:1:2:aaaa::1]:1", 0), 0);
    assert_int_equal(addr_parse(&b, "[2001:db8:1:2:bbbb::9]:2", 0), 0);
    assert_true(addr_hash_host(&a, key) == addr_hash_host(&b, key));
    assert_int_equal(addr_parse(&b, "[2001:db8:1:3::1]:1", 0), 0);
    assert_true(addr_hash_host(&a, key) != addr_hash_host(&b, key));
    assert_true(addr_hash_host(&a, key) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format), cmocka_unit_test(test_equal_and_hash),
        cmocka_unit_test(test_normalise),        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_hash_host),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
