/* Unit tests for the relay's state shared between threads: revoke_list
 * (revoked call ids and their hold), quota (allocations per user, from
 * several threads at once) and the metrics exposition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>

#include "metrics.h"
#include "quota.h"
#include "revoke_list.h"

static void test_revoke_hold(void **state)
{
    struct revoke_list l;
    char big[REVOKE_ID_MAX + 1];
    assert_int_equal(revoke_list_init(&l), 0);
    assert_false(revoke_list_contains(&l, "call-1", 6, 100));
    assert_int_equal(revoke_list_add(&l, "call-1", 6, 100, 200), 0);
    assert_true(revoke_list_contains(&l, "call-1", 6, 100));
    assert_true(revoke_list_contains(&l, "call-1", 6, 199));
    assert_false(revoke_list_contains(&l, "call-12", 7, 150)); /* exact ids only */
    assert_false(revoke_list_contains(&l, "call-", 5, 150));
    assert_false(revoke_list_contains(&l, "call-1", 6, 200)); /* hold over */
    /* A second revocation extends the hold, never shortens it. */
    assert_int_equal(revoke_list_add(&l, "call-2", 6, 100, 500), 0);
    assert_int_equal(revoke_list_add(&l, "call-2", 6, 110, 300), 0);
    assert_true(revoke_list_contains(&l, "call-2", 6, 400));
    memset(big, 'x', sizeof(big));
    assert_int_equal(revoke_list_add(&l, big, sizeof(big), 100, 500), -1);
    assert_int_equal(revoke_list_add(&l, "", 0, 100, 500), -1);
    revoke_list_free(&l);
}

static void test_quota_limit(void **state)
{
    struct quota q;
    struct quota_limits lim = {.per_user = 2};
    assert_int_equal(quota_init(&q, &lim), 0);
    assert_int_equal(quota_take(&q, "alice", 5, NULL, 0), 0);
    assert_int_equal(quota_take(&q, "alice", 5, NULL, 0), 0);
    assert_int_equal(quota_take(&q, "alice", 5, NULL, 0), QUOTA_USER);
    assert_int_equal(quota_take(&q, "bob", 3, NULL, 0), 0); /* per user */
    quota_give_back(&q, "alice", 5, NULL, 0);
    assert_int_equal(quota_take(&q, "alice", 5, NULL, 0), 0);
    assert_int_equal(quota_take(&q, "alice", 5, NULL, 0), QUOTA_USER);
    quota_give_back(&q, "alice", 5, NULL, 0);
    quota_give_back(&q, "alice", 5, NULL, 0);
    quota_give_back(&q, "bob", 3, NULL, 0);
    assert_int_equal(q.users.count, 0); /* nothing kept about users without allocations */
    assert_int_equal(q.total, 0);
    quota_free(&q);
}

/* call-quota: the usernames of one call (its sealed call id), whatever
 * their party or expiry, share one budget; other calls and names without
 * a call (plain REST names, static users) do not count. */
static void test_quota_per_call(void **state)
{
    struct quota q;
    struct quota_limits lim = {.per_call = 2};
    const char *a = "1900000000:tokA", *b = "1900000001:tokB";
    const char *c = "1900000000:tokC", *other = "1900000000:tokD";
    assert_int_equal(quota_init(&q, &lim), 0);
    assert_int_equal(quota_take(&q, a, strlen(a), "call-A", 6), QUOTA_OK);
    assert_int_equal(quota_take(&q, b, strlen(b), "call-A", 6), QUOTA_OK);
    assert_int_equal(quota_take(&q, c, strlen(c), "call-A", 6), QUOTA_CALL);
    assert_int_equal(quota_take(&q, a, strlen(a), "call-A", 6), QUOTA_CALL);
    assert_int_equal(quota_take(&q, other, strlen(other), "call-B", 6), QUOTA_OK);
    for (int i = 0; i < 5; i++) /* no call id: a static user, a plain REST name */
        assert_int_equal(quota_take(&q, "static-user", 11, NULL, 0), QUOTA_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(quota_take(&q, a, strlen(a), NULL, 0), QUOTA_OK);
    quota_give_back(&q, b, strlen(b), "call-A", 6);
    assert_int_equal(quota_take(&q, c, strlen(c), "call-A", 6), QUOTA_OK);
    quota_give_back(&q, a, strlen(a), "call-A", 6);
    quota_give_back(&q, c, strlen(c), "call-A", 6);
    quota_give_back(&q, other, strlen(other), "call-B", 6);
    for (int i = 0; i < 5; i++) {
        quota_give_back(&q, "static-user", 11, NULL, 0);
        quota_give_back(&q, a, strlen(a), NULL, 0);
    }
    assert_int_equal(q.calls.count, 0);
    assert_int_equal(q.total, 0);
    quota_free(&q);
}

/* max-allocations counts everyone; a refusal by any limit takes nothing. */
static void test_quota_total(void **state)
{
    struct quota q;
    struct quota_limits lim = {.total = 3, .per_user = 2, .per_call = 5};
    const char *u1 = "1900000000:call-A:alice";
    assert_int_equal(quota_init(&q, &lim), 0);
    assert_int_equal(quota_take(&q, u1, strlen(u1), "call-A", 6), QUOTA_OK);
    assert_int_equal(quota_take(&q, u1, strlen(u1), "call-A", 6), QUOTA_OK);
    assert_int_equal(quota_take(&q, u1, strlen(u1), "call-A", 6), QUOTA_USER);
    assert_int_equal(q.total, 2);
    assert_int_equal(quota_take(&q, "bob", 3, NULL, 0), QUOTA_OK);
    assert_int_equal(quota_take(&q, "carol", 5, NULL, 0), QUOTA_TOTAL);
    quota_give_back(&q, "bob", 3, NULL, 0);
    assert_int_equal(quota_take(&q, "carol", 5, NULL, 0), QUOTA_OK);
    quota_give_back(&q, "carol", 5, NULL, 0);
    quota_give_back(&q, u1, strlen(u1), "call-A", 6);
    quota_give_back(&q, u1, strlen(u1), "call-A", 6);
    assert_int_equal(q.total, 0);
    assert_int_equal(q.users.count, 0);
    assert_int_equal(q.calls.count, 0);
    quota_free(&q);
}

static void test_quota_unlimited(void **state)
{
    struct quota q;
    struct quota_limits none = {0, 0, 0};
    assert_int_equal(quota_init(&q, &none), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(quota_take(&q, "alice", 5, NULL, 0), 0);
    assert_int_equal(q.users.count, 0);
    quota_free(&q);
}

struct racer {
    struct quota *q;
    int granted;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < 1000; i++)
        if (quota_take(r->q, "shared", 6, NULL, 0) == 0)
            r->granted++;
    return NULL;
}

/* Four threads competing for one user's quota get exactly the limit. */
static void test_quota_threads(void **state)
{
    struct quota q;
    pthread_t t[4];
    struct racer r[4];
    int total = 0;
    struct quota_limits lim = {.per_user = 37};
    assert_int_equal(quota_init(&q, &lim), 0);
    for (int i = 0; i < 4; i++) {
        r[i].q = &q;
        r[i].granted = 0;
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += r[i].granted;
    }
    assert_int_equal(total, 37);
    quota_free(&q);
}

static void test_metrics_sum(void **state)
{
    static struct metrics_thread a, b;
    struct metrics_thread *threads[] = {&a, &b};
    char text[16384];
    metrics_add(&a, M_PKTS_TO_PEER, 5);
    metrics_add(&b, M_PKTS_TO_PEER, 7);
    metrics_add(&b, M_DENY_NOT_RELAYED, 1);
    metrics_gauge(&a, G_ALLOCATIONS, 3);
    metrics_gauge(&b, G_ALLOCATIONS, -1);
    assert_true(metrics_render(threads, 2, text, sizeof(text)) > 0);
    assert_non_null(strstr(text, "umbra_relay_packets_relayed_total{direction=\"to_peer\"} 12\n"));
    assert_non_null(strstr(text, "umbra_relay_policy_denials_total{reason=\"not_relayed\"} 1\n"));
    assert_non_null(strstr(text, "\numbra_relay_allocations 2\n"));
    assert_non_null(strstr(text, "# TYPE umbra_relay_packets_relayed_total counter\n"));
    /* One HELP per family, not per series. */
    assert_null(strstr(strstr(text, "# HELP umbra_relay_packets_relayed_total") + 1,
                       "# HELP umbra_relay_packets_relayed_total"));
    assert_int_equal(metrics_render(threads, 2, text, 64), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revoke_hold),     cmocka_unit_test(test_quota_limit),
        cmocka_unit_test(test_quota_unlimited), cmocka_unit_test(test_quota_threads),
        cmocka_unit_test(test_metrics_sum),     cmocka_unit_test(test_quota_per_call),
        cmocka_unit_test(test_quota_total),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
