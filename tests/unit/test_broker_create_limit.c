/* Unit tests for broker/create_limit: per-client and global creations a
 * minute, N and N+1, refills, kinds apart, a refusal by one limit costing
 * the other nothing, Retry-After, the metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "create_limit.h"

static const unsigned char KEY[ADDR_HASH_KEY_BYTES] = "0123456789abcdef";

static struct umbra_addr addr(const char *text)
{
    struct umbra_addr a;
    assert_int_equal(addr_parse(&a, text, 40000), 0);
    return a;
}

static struct create_limit *make(unsigned id_client, unsigned id_global, unsigned pn_client,
                                 unsigned pn_global)
{
    struct create_limit_conf c = {{id_client, pn_client}, {id_global, pn_global}, 1024};
    struct create_limit *cl = create_limit_new(&c, KEY);
    assert_non_null(cl);
    return cl;
}

static int take(struct create_limit *cl, enum create_limit_kind k, const char *who, uint64_t now,
                unsigned *retry)
{
    struct umbra_addr a = addr(who);
    return create_limit_take(cl, k, &a, now, retry);
}

static void test_per_client(void **state)
{
    struct create_limit *cl = make(3, 0, 0, 0);
    unsigned retry = 0;

    for (int i = 0; i < 3; i++)
        assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 1000, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 1000, &retry),
                     CREATE_LIMIT_ECLIENT);
    assert_int_equal(retry, 20); /* 3 a minute: one every 20 s */
    /* Another port of the same host is the same client; another host not. */
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1:9", 1000, &retry),
                     CREATE_LIMIT_ECLIENT);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.2", 1000, &retry), 0);
    /* Pseudonym contexts are not limited here. */
    for (int i = 0; i < 100; i++)
        assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "198.51.100.1", 1000, &retry), 0);
    /* 19.999 s later still none; at 20 s one. */
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 20999, &retry),
                     CREATE_LIMIT_ECLIENT);
    assert_int_equal(retry, 1);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 21000, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 21000, &retry),
                     CREATE_LIMIT_ECLIENT);
    /* A long pause refills to N, not beyond. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 3600000, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "198.51.100.1", 3600000, &retry),
                     CREATE_LIMIT_ECLIENT);
    assert_int_equal(create_limit_metrics(cl)->refused_client[CREATE_LIMIT_IDENTITY], 5);
    assert_int_equal(create_limit_metrics(cl)->created[CREATE_LIMIT_IDENTITY], 8);
    assert_int_equal(create_limit_metrics(cl)->created[CREATE_LIMIT_PSEUDONYM], 100);
    create_limit_free(cl);
}

static void test_ipv6_prefix(void **state)
{
    struct create_limit *cl = make(0, 0, 2, 0);
    unsigned retry = 0;

    assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "[2001:db8:1:2::1]:5", 0, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "[2001:db8:1:2::ffff]:5", 0, &retry), 0);
    /* The same /64: one client. */
    assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "[2001:db8:1:2:aaaa::1]:5", 0, &retry),
                     CREATE_LIMIT_ECLIENT);
    assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "[2001:db8:1:3::1]:5", 0, &retry), 0);
    create_limit_free(cl);
}

static void test_global(void **state)
{
    struct create_limit *cl = make(2, 5, 0, 0);
    const char *who[] = {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"};
    unsigned retry = 0;
    int passed = 0;

    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            passed += take(cl, CREATE_LIMIT_IDENTITY, who[i], 0, &retry) == 0;
    assert_int_equal(passed, 5);
    assert_int_equal(retry, 12); /* 5 a minute: one every 12 s */
    assert_int_equal(create_limit_metrics(cl)->refused_global[CREATE_LIMIT_IDENTITY], 3);
    /* The clients refused by the global limit lost nothing: 203.0.113.4
     * made none, so once the global bucket has one it gets it. */
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "203.0.113.4", 12000, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "203.0.113.4", 24000, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "203.0.113.4", 36000, &retry),
                     CREATE_LIMIT_ECLIENT);
    /* A refusal by the client limit took nothing of the global bucket. */
    assert_int_equal(take(cl, CREATE_LIMIT_IDENTITY, "203.0.113.9", 36000, &retry), 0);
    /* An unknown client (NULL) meets the global limit only. */
    assert_int_equal(create_limit_take(cl, CREATE_LIMIT_IDENTITY, NULL, 36000, &retry),
                     CREATE_LIMIT_EGLOBAL);
    create_limit_free(cl);
}

static void test_no_limits(void **state)
{
    struct create_limit *cl = make(0, 0, 0, 0);
    unsigned retry = 0;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(take(cl, i % 2 ? CREATE_LIMIT_IDENTITY : CREATE_LIMIT_PSEUDONYM,
                              "192.0.2.1", 0, &retry),
                         0);
    assert_int_equal(create_limit_metrics(cl)->created[CREATE_LIMIT_IDENTITY], 5000);
    create_limit_free(cl);
}

static void test_largest(void **state)
{
    /* The largest values the configuration accepts (1000000 a minute)
     * neither overflow nor refuse at N. */
    struct create_limit *cl = make(1000000, 1000000, 1, 1);
    unsigned retry = 0;
    int passed = 0;
    for (int i = 0; i < 1000001; i++)
        passed += take(cl, CREATE_LIMIT_IDENTITY, "192.0.2.7", 0, &retry) == 0;
    assert_int_equal(passed, 1000000);
    assert_int_equal(retry, 1);
    assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "192.0.2.7", 0, &retry), 0);
    assert_int_equal(take(cl, CREATE_LIMIT_PSEUDONYM, "192.0.2.8", 0, &retry),
                     CREATE_LIMIT_EGLOBAL);
    assert_int_equal(retry, 60);
    create_limit_free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_client), cmocka_unit_test(test_ipv6_prefix),
        cmocka_unit_test(test_global),     cmocka_unit_test(test_no_limits),
        cmocka_unit_test(test_largest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
