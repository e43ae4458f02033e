/* Unit tests for broker/client_limit: connections per client, the token
 * bucket, clients by address (port ignored, IPv6 by /64), the bounded
 * table. Expected figures follow from the limits configured here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "client_limit.h"

static const unsigned char KEY[ADDR_HASH_KEY_BYTES] = "0123456789abcdef";

static struct umbra_addr addr(const char *text)
{
    struct umbra_addr a;
    assert_int_equal(addr_parse(&a, text, 40000), 0);
    return a;
}

static struct client_limit *make(unsigned conns, unsigned rate, unsigned burst, size_t entries)
{
    struct client_limit_conf c = {conns, rate, burst, entries, 1};
    struct client_limit *cl = client_limit_new(&c, KEY);
    assert_non_null(cl);
    return cl;
}

static void test_connections_per_client(void **state)
{
    struct client_limit *cl = make(3, 0, 0, 1024);
    struct umbra_addr a = addr("198.51.100.7:1000"), a2 = addr("198.51.100.7:2000"),
                      b = addr("198.51.100.8:1000");
    assert_int_equal(client_limit_open(cl, 10, &a, 0), 0);
    assert_int_equal(client_limit_open(cl, 11, &a2, 0), 0); /* another port: same client */
    assert_int_equal(client_limit_open(cl, 12, &a, 0), 0);
    assert_int_equal(client_limit_open(cl, 13, &a, 0), CLIENT_LIMIT_EBUSY);
    assert_int_equal(client_limit_open(cl, 14, &b, 0), 0); /* another client */
    assert_int_equal(client_limit_open(cl, 12, &a, 0), 0); /* fd 12 again: not twice */
    client_limit_close(cl, 13);                            /* refused: never counted */
    assert_int_equal(client_limit_open(cl, 13, &a, 0), CLIENT_LIMIT_EBUSY);
    client_limit_close(cl, 11);
    client_limit_close(cl, 11); /* twice: once counted */
    assert_int_equal(client_limit_open(cl, 13, &a, 0), 0);
    assert_int_equal(client_limit_open(cl, 15, &a, 0), CLIENT_LIMIT_EBUSY);
    assert_int_equal(client_limit_metrics(cl)->conns_refused, 3);
    client_limit_free(cl);
}

static void test_token_bucket(void **state)
{
    struct client_limit *cl = make(0, 10, 5, 1024); /* 10/s, 5 at once */
    struct umbra_addr a = addr("203.0.113.9:5");
    unsigned retry = 0;
    int passed = 0;

    assert_int_equal(client_limit_open(cl, 4, &a, 1000), 0);
    for (int i = 0; i < 8; i++)
        passed += client_limit_request(cl, 4, 1000, &retry) == 0;
    assert_int_equal(passed, 5);
    assert_int_equal(retry, 1); /* 100 ms to the next token: rounded up to 1 s */
    /* 250 ms later: 2.5 tokens, so two requests pass. */
    passed = 0;
    for (int i = 0; i < 4; i++)
        passed += client_limit_request(cl, 4, 1250, &retry) == 0;
    assert_int_equal(passed, 2);
    /* Long idle: the bucket holds burst, not more. */
    passed = 0;
    for (int i = 0; i < 20; i++)
        passed += client_limit_request(cl, 4, 100000, &retry) == 0;
    assert_int_equal(passed, 5);
    /* A second connection of the same client shares the bucket. */
    assert_int_equal(client_limit_open(cl, 5, &a, 100000), 0);
    assert_int_equal(client_limit_request(cl, 5, 100000, &retry), CLIENT_LIMIT_ERATE);
    assert_int_equal(client_limit_metrics(cl)->requests_refused, 3 + 2 + 15 + 1);
    client_limit_free(cl);
}

static void test_retry_after_slow_rate(void **state)
{
    struct client_limit *cl = make(0, 1, 1, 64); /* one a second */
    struct umbra_addr a = addr("203.0.113.10");
    unsigned retry = 0;
    assert_int_equal(client_limit_open(cl, 3, &a, 0), 0);
    assert_int_equal(client_limit_request(cl, 3, 0, &retry), 0);
    assert_int_equal(client_limit_request(cl, 3, 100, &retry), CLIENT_LIMIT_ERATE);
    assert_int_equal(retry, 1); /* 900 ms left */
    assert_int_equal(client_limit_request(cl, 3, 1000, &retry), 0);
    client_limit_free(cl);
}

static void test_ipv6_prefix_and_mapped(void **state)
{
    struct client_limit *cl = make(2, 0, 0, 1024);
    struct umbra_addr p1 = addr("[2001:db8:1:2::1]:1"), p2 = addr("[2001:db8:1:2:ffff::9]:2"),
                      p3 = addr("[2001:db8:1:2:1:2:3:4]:3"), other = addr("[2001:db8:1:3::1]:1"),
                      v4 = addr("192.0.2.1:1"), mapped = addr("[::ffff:192.0.2.1]:2"),
                      v4b = addr("192.0.2.1:3");
    assert_int_equal(client_limit_open(cl, 20, &p1, 0), 0);
    assert_int_equal(client_limit_open(cl, 21, &p2, 0), 0);
    assert_int_equal(client_limit_open(cl, 22, &p3, 0), CLIENT_LIMIT_EBUSY); /* same /64 */
    assert_int_equal(client_limit_open(cl, 23, &other, 0), 0);               /* next /64 */
    assert_int_equal(client_limit_open(cl, 24, &v4, 0), 0);
    assert_int_equal(client_limit_open(cl, 25, &mapped, 0), 0);
    assert_int_equal(client_limit_open(cl, 26, &v4b, 0), CLIENT_LIMIT_EBUSY); /* mapped = v4 */
    client_limit_free(cl);
}

/* Many more clients than entries: memory stays the table; idle clients
 * make room; a client with an open connection keeps its entry. */
static void test_bounded_table(void **state)
{
    struct client_limit *cl = make(1, 1, 1, 64);
    struct umbra_addr held = addr("198.51.100.200:1");
    unsigned retry;
    char text[64];

    assert_int_equal(client_limit_open(cl, 3, &held, 0), 0);
    assert_int_equal(client_limit_request(cl, 3, 0, &retry), 0);
    for (int i = 0; i < 5000; i++) {
        struct umbra_addr a;
        snprintf(text, sizeof(text), "10.%d.%d.%d:9", i >> 16, (i >> 8) & 255, i & 255);
        a = addr(text);
        /* fd 4 opened and closed: the client spends its one token. */
        assert_int_equal(client_limit_open(cl, 4, &a, 1), 0);
        assert_int_equal(client_limit_request(cl, 4, 1, &retry), 0);
        client_limit_close(cl, 4);
    }
    assert_true(client_limit_metrics(cl)->evictions > 0);
    /* The held client still has its entry: its empty bucket, and its
     * connection still counts against it. */
    assert_int_equal(client_limit_request(cl, 3, 1, &retry), CLIENT_LIMIT_ERATE);
    assert_int_equal(client_limit_open(cl, 5, &held, 1), CLIENT_LIMIT_EBUSY);
    client_limit_free(cl);
}

/* Requests relayed by a proxy for an address share that client's bucket
 * with its own connections. */
static void test_by_address(void **state)
{
    struct client_limit *cl = make(0, 1, 2, 64);
    struct umbra_addr a = addr("198.51.100.50:1"), relayed = addr("198.51.100.50"),
                      other = addr("198.51.100.51");
    unsigned retry;
    assert_int_equal(client_limit_open(cl, 3, &a, 0), 0);
    assert_int_equal(client_limit_request(cl, 3, 0, &retry), 0);
    assert_int_equal(client_limit_request_addr(cl, &relayed, 0, &retry), 0);
    assert_int_equal(client_limit_request_addr(cl, &relayed, 0, &retry), CLIENT_LIMIT_ERATE);
    assert_int_equal(client_limit_request(cl, 3, 0, &retry), CLIENT_LIMIT_ERATE);
    assert_int_equal(client_limit_request_addr(cl, &other, 0, &retry), 0);
    client_limit_free(cl);
}

static void test_no_limits(void **state)
{
    struct client_limit *cl = make(0, 0, 0, 64);
    struct umbra_addr a = addr("198.51.100.1:1");
    unsigned retry;
    for (int fd = 0; fd < 300; fd++)
        assert_int_equal(client_limit_open(cl, fd, &a, 0), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(client_limit_request(cl, 7, 0, &retry), 0);
    /* An fd never opened passes (and is not an error). */
    assert_int_equal(client_limit_request(cl, 100000, 0, &retry), 0);
    client_limit_close(cl, 100000);
    client_limit_free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connections_per_client),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_retry_after_slow_rate),
        cmocka_unit_test(test_ipv6_prefix_and_mapped),
        cmocka_unit_test(test_bounded_table),
        cmocka_unit_test(test_by_address),
        cmocka_unit_test(test_no_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
