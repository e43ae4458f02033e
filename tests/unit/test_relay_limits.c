/* Unit tests for the relay's limits: rate_bucket (token bucket),
 * unauth_limit (per-source buckets in a bounded table, IPv6 by /64) and
 * the limit keys of relay_config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "rate_bucket.h"
#include "relay_config.h"
#include "unauth_limit.h"

static void test_bucket_burst_then_rate(void **state)
{
    struct rate_bucket b;
    int taken = 0;
    rate_bucket_init(&b, 10, 1000);
    for (int i = 0; i < 100; i++)
        taken += rate_bucket_take(&b, 5, 10, 1, 1000);
    assert_int_equal(taken, 10); /* the burst, no more at one instant */
    /* 5 per second: one every 200 ms, also when asked every millisecond. */
    taken = 0;
    for (int64_t t = 1001; t <= 3000; t++)
        taken += rate_bucket_take(&b, 5, 10, 1, t);
    assert_int_equal(taken, 10);
    /* A long pause refills only up to the burst. */
    taken = 0;
    for (int i = 0; i < 100; i++)
        taken += rate_bucket_take(&b, 5, 10, 1, 1000000);
    assert_int_equal(taken, 10);
}

static void test_bucket_bytes(void **state)
{
    struct rate_bucket b;
    rate_bucket_init(&b, 3000, 0);
    assert_true(rate_bucket_take(&b, 1000, 3000, 1200, 0));
    assert_true(rate_bucket_take(&b, 1000, 3000, 1200, 0));
    assert_false(rate_bucket_take(&b, 1000, 3000, 1200, 0)); /* 600 left */
    assert_false(rate_bucket_take(&b, 1000, 3000, 1200, 599));
    assert_true(rate_bucket_take(&b, 1000, 3000, 1200, 600)); /* 600 + 600 */
    assert_false(rate_bucket_take(&b, 1000, 3000, 1, 600));
}

static void addr(struct umbra_addr *a, const char *text, uint16_t port)
{
    assert_int_equal(addr_parse(a, text, port), 0);
}

static void test_unauth_per_source(void **state)
{
    struct unauth_limit l;
    struct umbra_addr a, a2, b;
    int ok_a = 0, ok_b = 0;
    assert_int_equal(unauth_limit_init(&l, 10, 20, 1024), 0);
    addr(&a, "192.0.2.1", 1000);
    addr(&a2, "192.0.2.1", 2000); /* same IP, another port: same source */
    addr(&b, "192.0.2.2", 1000);
    for (int i = 0; i < 100; i++) {
        ok_a += unauth_limit_allow(&l, i % 2 ? &a : &a2, 5000);
        ok_b += unauth_limit_allow(&l, &b, 5000);
    }
    assert_int_equal(ok_a, 20);
    assert_int_equal(ok_b, 20);
    assert_int_equal(l.used, 2);
    /* One second later: 10 more each. */
    ok_a = 0;
    for (int i = 0; i < 100; i++)
        ok_a += unauth_limit_allow(&l, &a, 6000);
    assert_int_equal(ok_a, 10);
    unauth_limit_free(&l);
}

static void test_unauth_ipv6_prefix(void **state)
{
    struct unauth_limit l;
    struct umbra_addr x, y, other;
    int ok = 0;
    assert_int_equal(unauth_limit_init(&l, 1, 4, 1024), 0);
    addr(&x, "2001:db8:1:2::1", 1);
    addr(&y, "2001:db8:1:2:ffff:eeee:dddd:cccc", 2); /* same /64 */
    addr(&other, "2001:db8:1:3::1", 1);              /* next /64 */
    for (int i = 0; i < 10; i++)
        ok += unauth_limit_allow(&l, i % 2 ? &x : &y, 0);
    assert_int_equal(ok, 4);
    assert_true(unauth_limit_allow(&l, &other, 0));
    assert_int_equal(l.used, 2);
    unauth_limit_free(&l);
}

/* A flood of random sources: memory stays at the table's size, sources
 * seen longest ago go first, and a source kept busy stays limited. */
static void test_unauth_bounded(void **state)
{
    struct unauth_limit l;
    struct umbra_addr busy, src;
    size_t cap;
    int ok = 0;
    assert_int_equal(unauth_limit_init(&l, 1, 2, 256), 0);
    cap = unauth_limit_capacity(&l);
    assert_true(cap >= 256 && cap < 512);
    addr(&busy, "198.51.100.7", 9);
    assert_true(unauth_limit_allow(&l, &busy, 0));
    assert_true(unauth_limit_allow(&l, &busy, 0));
    for (uint32_t i = 0; i < 100000; i++) {
        uint8_t ip[4];
        randombytes_buf(ip, sizeof(ip));
        assert_int_equal(addr_from_bytes(&src, AF_INET, ip, 1), 0);
        /* 16 requests a millisecond: 6.25 s in all. */
        unauth_limit_allow(&l, &src, i / 16);
        /* The busy source, asking often, keeps its entry and so its
         * nearly empty bucket: one more a second (rate 1). */
        if (i % 8 == 0)
            ok += unauth_limit_allow(&l, &busy, i / 16);
    }
    assert_true(ok <= 7);
    assert_true(l.used <= cap);
    assert_int_equal(l.used, cap);
    assert_true(l.evicted >= 100000 - cap);
    unauth_limit_free(&l);
}

static void test_unauth_off(void **state)
{
    struct unauth_limit l;
    struct umbra_addr a;
    assert_int_equal(unauth_limit_init(&l, 0, 1, 1024), 0);
    addr(&a, "192.0.2.1", 1);
    for (int i = 0; i < 1000; i++)
        assert_true(unauth_limit_allow(&l, &a, 0));
    assert_null(l.e);
    unauth_limit_free(&l);
}

static int set(struct relay_config *c, const char *k, const char *v)
{
    char err[256];
    return relay_config_set(c, k, v, err, sizeof(err));
}

static void test_config_keys(void **state)
{
    struct relay_config c;
    char err[256];
    relay_config_init(&c);
    assert_int_equal(c.max_allocations, 0);
    assert_int_equal(c.call_quota, 0);
    assert_int_equal(c.max_permissions, 64);
    assert_int_equal(c.max_channels, 64);
    assert_true(c.unauth_rate > 0); /* on by default */
    assert_int_equal(set(&c, "listen", "127.0.0.1:3478"), 0);
    assert_int_equal(set(&c, "user", "u:p"), 0);
    assert_int_equal(set(&c, "max-allocations", "100"), 0);
    assert_int_equal(set(&c, "call-quota", "4"), 0);
    assert_int_equal(set(&c, "max-permissions", "8"), 0);
    assert_int_equal(set(&c, "max-channels", "6"), 0);
    assert_int_equal(set(&c, "bandwidth-limit", "125000"), 0);
    assert_int_equal(set(&c, "unauth-rate", "7"), 0);
    assert_int_equal(set(&c, "unauth-burst", "9"), 0);
    assert_int_equal(set(&c, "unauth-sources", "4096"), 0);
    assert_int_equal(set(&c, "udp-rcvbuf", "8388608"), 0);
    assert_int_equal(relay_config_finish(&c, err, sizeof(err)), 0);
    assert_int_equal(c.max_allocations, 100);
    assert_int_equal(c.call_quota, 4);
    assert_int_equal(c.max_permissions, 8);
    assert_int_equal(c.max_channels, 6);
    assert_int_equal(c.bandwidth, 125000);
    assert_int_equal(c.bandwidth_burst, 125000); /* one second by default */
    assert_int_equal(c.unauth_rate, 7);
    assert_int_equal(c.unauth_burst, 9);
    assert_int_equal(c.unauth_sources, 4096);
    assert_int_equal(c.udp_rcvbuf, 8388608);
    /* Bad values are refused and change nothing. */
    assert_int_equal(set(&c, "max-permissions", "0"), -1);
    assert_int_equal(set(&c, "max-channels", "-1"), -1);
    assert_int_equal(set(&c, "unauth-sources", "1"), -1);
    assert_int_equal(set(&c, "bandwidth-limit", "lots"), -1);
    assert_int_equal(c.max_permissions, 8);
    assert_int_equal(c.max_channels, 6);
    assert_int_equal(c.bandwidth, 125000);
    assert_int_equal(set(&c, "bandwidth-burst", "100"), 0);
    assert_int_equal(relay_config_finish(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bandwidth-burst"));
    relay_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_burst_then_rate),
        cmocka_unit_test(test_bucket_bytes),
        cmocka_unit_test(test_unauth_per_source),
        cmocka_unit_test(test_unauth_ipv6_prefix),
        cmocka_unit_test(test_unauth_bounded),
        cmocka_unit_test(test_unauth_off),
        cmocka_unit_test(test_config_keys),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
