/* Unit tests for contrib/load/load_stats: histogram percentiles against the
 * exact percentiles of known data, RFC 3550 jitter, loss accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load_stats.h"

static void assert_close(uint64_t got, uint64_t exact)
{
    uint64_t tol = exact / 16 + 1; /* the histogram's promised resolution */
    assert_true(got + tol >= exact);
    assert_true(got <= exact + tol);
}

static void test_quantiles_of_uniform_data(void **state)
{
    struct load_hist *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    for (uint64_t v = 1; v <= 100000; v++)
        load_hist_add(h, v);
    assert_int_equal(h->count, 100000);
    assert_close(load_hist_quantile(h, 0.5), 50000);
    assert_close(load_hist_quantile(h, 0.99), 99000);
    assert_close(load_hist_quantile(h, 0.999), 99900);
    assert_int_equal(load_hist_quantile(h, 1.0), 100000);
    assert_true(load_hist_quantile(h, 0.0) <= 1);
    free(h);
}

static void test_quantiles_small_and_skewed(void **state)
{
    struct load_hist *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    assert_int_equal(load_hist_quantile(h, 0.5), 0); /* empty */
    load_hist_add(h, 123);
    /* one sample: every percentile is that sample, not a bucket edge */
    assert_int_equal(load_hist_quantile(h, 0.5), 123);
    assert_int_equal(load_hist_quantile(h, 0.999), 123);
    memset(h, 0, sizeof(*h));
    /* 990 fast packets and 10 slow ones: p50 fast, p99.9 slow */
    for (int i = 0; i < 990; i++)
        load_hist_add(h, 100);
    for (int i = 0; i < 10; i++)
        load_hist_add(h, 80000);
    assert_close(load_hist_quantile(h, 0.5), 100);
    assert_close(load_hist_quantile(h, 0.999), 80000);
    /* values past the last bucket are kept in it, and max stays exact */
    load_hist_add(h, (uint64_t)1 << 40);
    assert_int_equal(h->max, (uint64_t)1 << 40);
    free(h);
}

static void test_merge_adds_counts(void **state)
{
    struct load_hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 100; i++)
        load_hist_add(a, 10);
    for (int i = 0; i < 300; i++)
        load_hist_add(b, 1000);
    load_hist_merge(a, b);
    assert_int_equal(a->count, 400);
    assert_int_equal(a->max, 1000);
    /* 3/4 of the samples are 1000: the median must be there */
    assert_close(load_hist_quantile(a, 0.5), 1000);
    assert_close(load_hist_quantile(a, 0.2), 10);
    free(a);
    free(b);
}

static void test_jitter(void **state)
{
    struct load_jitter j;
    memset(&j, 0, sizeof(j));
    /* constant transit time: no jitter */
    for (int i = 0; i < 100; i++)
        load_jitter_update(&j, i * 20000000LL, i * 20000000LL + 500000);
    assert_int_equal(j.jitter_ns, 0);
    /* transit alternating by 1 ms: J -> 1 ms (J += (|D| - J) / 16) */
    for (int i = 100; i < 400; i++)
        load_jitter_update(&j, i * 20000000LL, i * 20000000LL + (i % 2 ? 1000000 : 0));
    assert_true(j.jitter_ns > 980000 && j.jitter_ns <= 1000000);
}

static void test_loss_accounting(void **state)
{
    struct load_bucket *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));
    assert_non_null(b);
    assert_non_null(c);
    b->sent = 10;
    b->delivered = 7;
    b->corrupt = 2;
    assert_int_equal(load_bucket_lost(b), 1);
    c->sent = 5;
    c->delivered = 5;
    load_bucket_merge(b, c);
    assert_int_equal(b->sent, 15);
    assert_int_equal(load_bucket_lost(b), 1);
    /* duplicates never make loss negative */
    c->delivered = 9;
    assert_int_equal(load_bucket_lost(c), 0);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_of_uniform_data),
        cmocka_unit_test(test_quantiles_small_and_skewed),
        cmocka_unit_test(test_merge_adds_counts),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_loss_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
