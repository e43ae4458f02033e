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
#include "fleet_mac.h"
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
    assert_int_equal(relay_config_set(c, "fleet-networks", "192.0.2.0/24", err, sizeof(err)), 0);
    assert_int_equal(relay_config_set(c, "fleet-networks", "2001:db8::/32", err, sizeof(err)), 0);
    assert_int_equal(relay_config_finish(c, err, sizeof(err)), 0);
}

/* Fleet keys of one secret. */
static struct fleet_mac_keys *keys_of(const char *secret)
{
    struct turn_rest_secrets *s = turn_rest_secrets_new();
    struct fleet_mac_keys *k = fleet_mac_keys_new();
    assert_non_null(s);
    assert_non_null(k);
    s->count = 1;
    s->len[0] = strlen(secret);
    memcpy(s->bytes[0], secret, s->len[0]);
    fleet_mac_keys_derive(k, s);
    turn_rest_secrets_free(s);
    return k;
}

#define NOW 1000

/* A record of relay r9 with the given ranges JSON, sealed with k. */
static char *sealed(const struct fleet_mac_keys *k, const char *id, const char *ranges)
{
    char json[2048];
    snprintf(json, sizeof(json), "{\"id\":\"%s\",\"ranges\":%s,\"expires\":%d}", id, ranges,
             NOW + 6);
    return fleet_mac_seal(k, id, json);
}

static void test_round_trip(void **state)
{
    struct relay_config c;
    struct fleet_range r[FLEET_VIEW_MAX_RANGES];
    struct umbra_addr want;
    char *json;

    config(&c);
    json = fleet_announce_record(&c, "00112233445566778899aabbccddeeff", 1000, 12, 3400);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"instance\":\"00112233445566778899aabbccddeeff\""));
    assert_non_null(strstr(json, "\"id\":\"r7\""));
    assert_non_null(strstr(json, "\"operator\":\"op-x\""));
    assert_non_null(strstr(json, "\"turn:192.0.2.10:3478?transport=udp\""));
    assert_non_null(strstr(json, "\"allocations\":12"));
    assert_non_null(strstr(json, "\"pps\":3400"));
    assert_non_null(strstr(json, "\"expires\":1006"));
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

/* The sealed record a relay writes opens with the same secret, whatever
 * the order of secrets on the reader's side; one changed byte anywhere,
 * another secret, another relay id, or a past "expires" is refused. */
static void test_seal(void **state)
{
    struct relay_config c;
    struct fleet_mac_keys *k = keys_of("s3cret"), *other = keys_of("other"), *none;
    struct fleet_range r[FLEET_VIEW_MAX_RANGES];
    char *json, *text;
    size_t len;

    config(&c);
    json = fleet_announce_record(&c, "00112233445566778899aabbccddeeff", NOW, 1, 2);
    text = fleet_mac_seal(k, "r7", json);
    assert_non_null(text);
    len = strlen(text);
    assert_int_equal(strncmp(text, FLEET_MAC_PREFIX, strlen(FLEET_MAC_PREFIX)), 0);
    assert_int_equal(fleet_view_parse_record(k, &c, "r7", text, len, NOW, r, FLEET_VIEW_MAX_RANGES),
                     2);
    assert_int_equal(r[0].low, 40000);
    /* Rotation: the reader holds the new secret first, the old one second. */
    {
        struct turn_rest_secrets *s = turn_rest_secrets_new();
        struct fleet_mac_keys *both = fleet_mac_keys_new();
        s->count = 2;
        s->len[0] = 5;
        memcpy(s->bytes[0], "other", 5);
        s->len[1] = 6;
        memcpy(s->bytes[1], "s3cret", 6);
        fleet_mac_keys_derive(both, s);
        assert_int_equal(
            fleet_view_parse_record(both, &c, "r7", text, len, NOW, r, FLEET_VIEW_MAX_RANGES), 2);
        turn_rest_secrets_free(s);
        fleet_mac_keys_free(both);
    }
    /* Each byte changed in turn: the seal, the MAC, the JSON. */
    for (size_t i = 0; i < len; i++) {
        text[i] ^= 0x01;
        assert_int_equal(
            fleet_view_parse_record(k, &c, "r7", text, len, NOW, r, FLEET_VIEW_MAX_RANGES),
            FLEET_REJECT_SEAL);
        text[i] ^= 0x01;
    }
    assert_int_equal(
        fleet_view_parse_record(k, &c, "r7", text, len - 1, NOW, r, FLEET_VIEW_MAX_RANGES),
        FLEET_REJECT_SEAL);
    assert_int_equal(
        fleet_view_parse_record(other, &c, "r7", text, len, NOW, r, FLEET_VIEW_MAX_RANGES),
        FLEET_REJECT_SEAL);
    assert_int_equal(fleet_view_parse_record(k, &c, "r8", text, len, NOW, r, FLEET_VIEW_MAX_RANGES),
                     FLEET_REJECT_SEAL);
    /* The bare JSON, unsealed, as any writer of Redis could put it. */
    assert_int_equal(
        fleet_view_parse_record(k, &c, "r7", json, strlen(json), NOW, r, FLEET_VIEW_MAX_RANGES),
        FLEET_REJECT_SEAL);
    /* No secret: nothing seals, nothing opens. */
    none = fleet_mac_keys_new();
    assert_null(fleet_mac_seal(none, "r7", json));
    assert_int_equal(
        fleet_view_parse_record(none, &c, "r7", text, len, NOW, r, FLEET_VIEW_MAX_RANGES),
        FLEET_REJECT_SEAL);
    /* "expires" 1006: taken until FLEET_VIEW_CLOCK_SKEW_S after it. */
    assert_int_equal(fleet_view_parse_record(k, &c, "r7", text, len,
                                             NOW + 6 + FLEET_VIEW_CLOCK_SKEW_S, r,
                                             FLEET_VIEW_MAX_RANGES),
                     2);
    assert_int_equal(fleet_view_parse_record(k, &c, "r7", text, len,
                                             NOW + 6 + FLEET_VIEW_CLOCK_SKEW_S + 1, r,
                                             FLEET_VIEW_MAX_RANGES),
                     FLEET_REJECT_RECORD);
    free(text);
    text = fleet_mac_seal(k, "r7", "{\"ranges\":[]}"); /* no expires */
    assert_int_equal(
        fleet_view_parse_record(k, &c, "r7", text, strlen(text), NOW, r, FLEET_VIEW_MAX_RANGES),
        FLEET_REJECT_RECORD);
    free(text);
    free(json);
    fleet_mac_keys_free(none);
    fleet_mac_keys_free(k);
    fleet_mac_keys_free(other);
    relay_config_free(&c);
}

/* A valid seal does not widen fleet-networks: a range outside it refuses
 * the whole record; loopback only with a loopback prefix, never through
 * 0.0.0.0/0. */
static void test_networks(void **state)
{
    struct relay_config c;
    struct fleet_mac_keys *k = keys_of("s3cret");
    struct fleet_range r[FLEET_VIEW_MAX_RANGES];
    char err[256], *t;

    config(&c); /* 192.0.2.0/24 and 2001:db8::/32 */
    t = sealed(k, "r9", "[{\"ip\":\"192.0.2.200\",\"low\":1000,\"high\":2000}]");
    assert_int_equal(fleet_view_parse_record(k, &c, "r9", t, strlen(t), NOW, r, 8), 1);
    free(t);
    t = sealed(k, "r9",
               "[{\"ip\":\"192.0.2.200\",\"low\":1000,\"high\":2000},"
               "{\"ip\":\"192.0.3.1\",\"low\":1000,\"high\":2000}]");
    assert_int_equal(fleet_view_parse_record(k, &c, "r9", t, strlen(t), NOW, r, 8),
                     FLEET_REJECT_NETWORK);
    free(t);
    t = sealed(k, "r9", "[{\"ip\":\"127.0.0.1\",\"low\":1,\"high\":65535}]");
    assert_int_equal(fleet_view_parse_record(k, &c, "r9", t, strlen(t), NOW, r, 8),
                     FLEET_REJECT_NETWORK);
    assert_int_equal(relay_config_set(&c, "fleet-networks", "0.0.0.0/0", err, sizeof(err)), 0);
    assert_int_equal(fleet_view_parse_record(k, &c, "r9", t, strlen(t), NOW, r, 8),
                     FLEET_REJECT_NETWORK);
    assert_int_equal(relay_config_set(&c, "fleet-networks", "127.0.0.0/8", err, sizeof(err)), 0);
    assert_int_equal(fleet_view_parse_record(k, &c, "r9", t, strlen(t), NOW, r, 8), 1);
    free(t);
    /* No fleet-networks (the default): no other relay's range at all. */
    c.n_fleet_nets = 0;
    t = sealed(k, "r9", "[{\"ip\":\"192.0.2.200\",\"low\":1000,\"high\":2000}]");
    assert_int_equal(fleet_view_parse_record(k, &c, "r9", t, strlen(t), NOW, r, 8),
                     FLEET_REJECT_NETWORK);
    free(t);
    fleet_mac_keys_free(k);
    relay_config_free(&c);
}

/* Before any fleet is read the view holds only this relay's ranges, and
 * those are left to the relay's own, stricter source. */
static void test_own_ranges_not_answered(void **state)
{
    struct relay_config c;
    struct fleet_view *v;
    struct umbra_addr a;

    config(&c);
    v = fleet_view_new(&c, NULL, NULL, NULL);
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
        cmocka_unit_test(test_seal),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_own_ranges_not_answered),
        cmocka_unit_test(test_quiesce),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
