/* Unit tests for broker/fleet: what the broker takes from a relay's fleet
 * entry, and which relay it picks (least loaded, another operator,
 * spread between equals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "fleet.h"

static const char entry[] =
    "{\"id\":\"r1\",\"operator\":\"op-a\","
    "\"uris\":[\"turn:192.0.2.1:3478?transport=udp\",\"http://no\",\"turn:bad uri\",5,"
    "\"turns:relay.example:5349?transport=tcp\"],"
    "\"ranges\":[{\"ip\":\"192.0.2.1\",\"low\":49152,\"high\":65535}],"
    "\"load\":{\"allocations\":12,\"pps\":3400},\"ttl\":6}";

static void test_parse(void **state)
{
    struct fleet_relay r;
    assert_int_equal(fleet_parse(entry, strlen(entry), &r), 0);
    assert_string_equal(r.id, "r1");
    assert_string_equal(r.operator_label, "op-a");
    assert_int_equal(r.n_uris, 2);
    assert_string_equal(r.uris[0], "turn:192.0.2.1:3478?transport=udp");
    assert_string_equal(r.uris[1], "turns:relay.example:5349?transport=tcp");
    assert_int_equal(r.allocations, 12);
    assert_int_equal(r.pps, 3400);
}

static void test_parse_refuses(void **state)
{
    static const char *bad[] = {
        "",
        "[]",
        "{\"id\":\"r1\",\"operator\":\"op-a\",\"uris\":[]}",
        "{\"id\":\"r1\",\"operator\":\"op-a\",\"uris\":[\"stun:x:1\"]}",
        "{\"operator\":\"op-a\",\"uris\":[\"turn:x:1\"]}",
        "{\"id\":\"r 1\",\"operator\":\"op-a\",\"uris\":[\"turn:x:1\"]}",
        "{\"id\":\"r1\",\"uris\":[\"turn:x:1\"]}",
        "{\"id\":\"r1\",\"operator\":\"op\\\"a\",\"uris\":[\"turn:x:1\"]}",
    };
    struct fleet_relay r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (fleet_parse(bad[i], strlen(bad[i]), &r) != -1)
            fail_msg("accepted: %s", bad[i]);
    /* Load missing or negative counts as none. */
    const char *noload = "{\"id\":\"r1\",\"operator\":\"o\",\"uris\":[\"turn:x:1\"],"
                         "\"load\":{\"allocations\":-4}}";
    assert_int_equal(fleet_parse(noload, strlen(noload), &r), 0);
    assert_int_equal(r.allocations, 0);
    assert_int_equal(r.pps, 0);
}

static void add(struct fleet *f, const char *id, const char *op, long long alloc, long long pps)
{
    struct fleet_relay *r = &f->relays[f->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    snprintf(r->operator_label, sizeof(r->operator_label), "%s", op);
    r->n_uris = 1;
    snprintf(r->uris[0], sizeof(r->uris[0]), "turn:%s:3478", id);
    r->allocations = alloc;
    r->pps = pps;
}

static void test_pick(void **state)
{
    static struct fleet f;
    struct fleet_relay got;

    fleet_init(&f, NULL, NULL, 1000, NULL);
    assert_int_equal(fleet_pick(&f, NULL, &got), -1);
    assert_int_equal(fleet_operators(&f), 0);
    add(&f, "a1", "op-a", 5, 0);
    add(&f, "a2", "op-a", 3, 900);
    add(&f, "b1", "op-b", 3, 100);
    assert_int_equal(fleet_operators(&f), 2);
    /* Fewest allocations, then fewest packets per second. */
    assert_int_equal(fleet_pick(&f, NULL, &got), 0);
    assert_string_equal(got.id, "b1");
    /* The pick counts: b1 has 4 now, a2 3. */
    assert_int_equal(fleet_pick(&f, NULL, &got), 0);
    assert_string_equal(got.id, "a2");
    /* Another operator than op-b: a2 (4 allocations) beats a1 (5). */
    assert_int_equal(fleet_pick(&f, "op-b", &got), 0);
    assert_string_equal(got.operator_label, "op-a");
    assert_int_equal(fleet_pick(&f, "op-a", &got), 0);
    assert_string_equal(got.id, "b1");
    assert_int_equal(fleet_pick(&f, "op-c", &got), 0);
    /* Only one operator: nothing of another. */
    f.n = 1;
    assert_int_equal(fleet_operators(&f), 1);
    assert_int_equal(fleet_pick(&f, "op-a", &got), -1);
}

/* Equal relays share the calls instead of one taking them all. */
static void test_ties_spread(void **state)
{
    static struct fleet f;
    struct fleet_relay got;
    int first = 0;
    for (int round = 0; round < 200; round++) {
        fleet_init(&f, NULL, NULL, 1000, NULL);
        add(&f, "x", "o", 0, 0);
        add(&f, "y", "o", 0, 0);
        assert_int_equal(fleet_pick(&f, NULL, &got), 0);
        first += strcmp(got.id, "x") == 0;
    }
    assert_in_range(first, 50, 150);
}

/* The broker takes an entry only under the seal of one of its secrets,
 * stored under the id it names, and not past "expires". */
static void test_open(void **state)
{
    static const char rec[] = "{\"id\":\"r1\",\"operator\":\"op-a\","
                              "\"uris\":[\"turn:192.0.2.1:3478?transport=udp\"],\"expires\":1006}";
    struct turn_rest_secrets *s = turn_rest_secrets_new();
    struct fleet_mac_keys *k = fleet_mac_keys_new(), *other = fleet_mac_keys_new();
    struct fleet_relay r;
    char *text, *moved;
    size_t len;
    s->count = 1;
    s->len[0] = 6;
    memcpy(s->bytes[0], "s3cret", 6);
    fleet_mac_keys_derive(k, s);
    memcpy(s->bytes[0], "s3creT", 6);
    fleet_mac_keys_derive(other, s);
    text = fleet_mac_seal(k, "r1", rec);
    moved = fleet_mac_seal(k, "r2", rec); /* a valid seal, another key */
    len = strlen(text);
    assert_int_equal(fleet_open(k, "r1", text, len, 1000, &r), 0);
    assert_string_equal(r.operator_label, "op-a");
    assert_int_equal(fleet_open(k, "r1", rec, strlen(rec), 1000, &r), -1);
    assert_int_equal(fleet_open(other, "r1", text, len, 1000, &r), -1);
    assert_int_equal(fleet_open(NULL, "r1", text, len, 1000, &r), -1);
    assert_int_equal(fleet_open(k, "r2", moved, strlen(moved), 1000, &r), -1);
    assert_int_equal(fleet_open(k, "r1", text, len, 1006 + FLEET_CLOCK_SKEW_S, &r), 0);
    assert_int_equal(fleet_open(k, "r1", text, len, 1007 + FLEET_CLOCK_SKEW_S, &r), -1);
    text[len - 3] ^= 0x01;
    assert_int_equal(fleet_open(k, "r1", text, len, 1000, &r), -1);
    free(text);
    free(moved);
    fleet_mac_keys_free(k);
    fleet_mac_keys_free(other);
    turn_rest_secrets_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse), cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_pick),  cmocka_unit_test(test_ties_spread),
        cmocka_unit_test(test_open),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
