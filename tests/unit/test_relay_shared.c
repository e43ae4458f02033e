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
    assert_int_equal(quota_init(&q, 2), 0);
    assert_int_equal(quota_take(&q, "alice", 5), 0);
    assert_int_equal(quota_take(&q, "alice", 5), 0);
    assert_int_equal(quota_take(&q, "alice", 5), -1);
    assert_int_equal(quota_take(&q, "bob", 3), 0); /* per user */
    quota_give_back(&q, "alice", 5);
    assert_int_equal(quota_take(&q, "alice", 5), 0);
    assert_int_equal(quota_take(&q, "alice", 5), -1);
    quota_give_back(&q, "alice", 5);
    quota_give_back(&q, "alice", 5);
    quota_give_back(&q, "bob", 3);
    assert_int_equal(q.h.count, 0); /* nothing kept about users without allocations */
    quota_free(&q);
}

static void test_quota_unlimited(void **state)
{
    struct quota q;
    assert_int_equal(quota_init(&q, 0), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(quota_take(&q, "alice", 5), 0);
    assert_int_equal(q.h.count, 0);
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
        if (quota_take(r->q, "shared", 6) == 0)
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
    assert_int_equal(quota_init(&q, 37), 0);
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
    char text[8192];
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
        cmocka_unit_test(test_metrics_sum),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
