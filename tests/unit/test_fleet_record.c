/* Unit tests for the fleet entry a relay writes (fleet_announce_record)
 * and what other relays take from it (fleet_view_parse_ranges), for the
 * view's own ranges, which are never answered from the fleet copy, and
 * for the grace period a replaced copy waits for (worker_post_quiesce).
 * The worker listens on 127.0.0.1:34990 (this test's port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <unistd.h>

#include "fleet_announce.h"
#include "fleet_view.h"
#include "relay_shared.h"
#include "worker.h"

static void config(struct relay_config *c)
{
    char err[256];
    relay_config_init(c);
    assert_int_equal(relay_config_set(c, "listen", "192.0.2.10:3478", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "relay-address", "192.0.2.10", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "relay-address", "2001:db8::10", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "relay-ports", "40000-40999", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "user", "a:b", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "redis", "127.0.0.1:6379", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "relay-id", "r7", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "operator", "op-x", err, sizeof(err)), 0);
    assert_int_equal(relay_config_finish(c, err, sizeof(err)), 0);
}

static void test_round_trip(void **state)
{
    struct relay_config c;
    struct fleet_range r[FLEET_VIEW_MAX_RANGES];
    struct umbra_addr want;
    char *json;

    config(&c);
    json = fleet_announce_record(&c, "00112233445566778899aabbccddeeff", 12, 3400);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"instance\":\"00112233445566778899aabbccddeeff\""));
    assert_non_null(strstr(json, "\"id\":\"r7\""));
    assert_non_null(strstr(json, "\"operator\":\"op-x\""));
    assert_non_null(strstr(json, "\"turn:192.0.2.10:3478?transport=udp\""));
    assert_non_null(strstr(json, "\"allocations\":12"));
    assert_non_null(strstr(json, "\"pps\":3400"));
    assert_int_equal(fleet_view_parse_ranges(json, strlen(json), r, FLEET_VIEW_MAX_RANGES), 2);
    assert_int_equal(addr_parse(&want, "192.0.2.10", 0), 0);
    assert_true(addr_equal_ip(&r[0].ip, &want));
    assert_int_equal(r[0].low, 40000);
    assert_int_equal(r[0].high, 40999);
    assert_int_equal(addr_parse(&want, "2001:db8::10", 0), 0);
    assert_true(addr_equal_ip(&r[1].ip, &want));
    assert_false(r[0].own || r[1].own);
    free(json);
    relay_config_free(&c);
}

static void test_bad_entries(void **state)
{
    struct fleet_range r[2];
    static const char *not_entries[] = {"", "not json", "[]", "{\"ranges\": 5}", "{}"};
    for (size_t i = 0; i < sizeof(not_entries) / sizeof(not_entries[0]); i++)
        assert_int_equal(fleet_view_parse_ranges(not_entries[i], strlen(not_entries[i]), r, 2), -1);
    /* Bad ranges are left out one by one; a full array stops at cap. */
    const char *mixed = "{\"ranges\": ["
                        "{\"ip\": \"0.0.0.0\", \"low\": 1, \"high\": 2},"
                        "{\"ip\": \"192.0.2.1\", \"low\": 9, \"high\": 8},"
                        "{\"ip\": \"192.0.2.1:5\", \"low\": 1, \"high\": 2},"
                        "{\"ip\": \"192.0.2.1\", \"low\": 0, \"high\": 2},"
                        "{\"ip\": \"192.0.2.1\", \"low\": 1, \"high\": 65536},"
                        "{\"ip\": \"host.example\", \"low\": 1, \"high\": 2},"
                        "{\"ip\": \"192.0.2.1\", \"low\": \"1\", \"high\": 2},"
                        "{\"ip\": \"192.0.2.2\", \"low\": 10, \"high\": 20},"
                        "{\"ip\": \"192.0.2.3\", \"low\": 10, \"high\": 20},"
                        "{\"ip\": \"192.0.2.4\", \"low\": 10, \"high\": 20}]}";
    assert_int_equal(fleet_view_parse_ranges(mixed, strlen(mixed), r, 2), 2);
    assert_int_equal(r[0].low, 10);
    assert_int_equal(r[1].high, 20);
}

/* Before any fleet is read the view holds only this relay's ranges, and
 * those are left to the relay's own, stricter source. */
static void test_own_ranges_not_answered(void **state)
{
    struct relay_config c;
    struct fleet_view *v;
    struct umbra_addr a;

    config(&c);
    v = fleet_view_new(&c, NULL);
    assert_non_null(v);
    assert_int_equal(fleet_view_relays(v), 0);
    assert_int_equal(addr_parse(&a, "192.0.2.10", 40500), 0);
    assert_int_equal(fleet_view_contains(v, &a), 0);
    fleet_view_free(v);
    relay_config_free(&c);
}

struct quiesced {
    _Atomic int calls;
    pthread_t thread;
};

static void on_quiesced(void *arg)
{
    struct quiesced *q = arg;
    q->thread = pthread_self();
    atomic_fetch_add(&q->calls, 1);
}

/* fn runs once, on the worker's own thread, between callbacks; a call
 * still queued when the worker stops runs in worker_free, so a copy
 * waiting for it is never lost. */
static void test_quiesce(void **state)
{
    struct relay_config cfg;
    struct log_ctx log;
    struct relay_shared sh;
    struct worker *w = calloc(1, sizeof(*w));
    struct worker *workers[1] = {w};
    struct quiesced q = {0}, late = {0};
    char err[256];

    relay_config_init(&cfg);
    assert_int_equal(relay_config_set(&cfg, "listen", "127.0.0.1:34990", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(&cfg, "user", "u:p", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(&cfg, "relay-ports", "34991-34998", err, sizeof(err)), 0);
    assert_int_equal(relay_config_finish(&cfg, err, sizeof(err)), 0);
    log_init(&log, "test", LOG_LEVEL_ERROR, stderr);
    assert_int_equal(relay_shared_init(&sh, &cfg, &log, NULL, err, sizeof(err)), 0);
    sh.workers = workers;
    sh.n_workers = 1;
    assert_non_null(w);
    assert_int_equal(worker_init(w, 0, &sh, NULL), 0);
    assert_int_equal(worker_start(w), 0);
    assert_int_equal(worker_post_quiesce(w, on_quiesced, &q), 0);
    for (int i = 0; i < 500 && atomic_load(&q.calls) == 0; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&q.calls), 1);
    assert_false(pthread_equal(q.thread, pthread_self()));
    worker_stop(w);
    assert_int_equal(worker_post_quiesce(w, on_quiesced, &late), 0);
    assert_int_equal(atomic_load(&late.calls), 0);
    worker_free(w);
    assert_int_equal(atomic_load(&late.calls), 1);
    assert_int_equal(atomic_load(&q.calls), 1);
    free(w);
    relay_shared_free(&sh);
    log_free(&log);
    relay_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_own_ranges_not_answered),
        cmocka_unit_test(test_quiesce),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
