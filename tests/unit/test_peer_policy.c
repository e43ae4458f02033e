/* Unit tests for relay/peer_policy: a table of peers allowed and denied with
 * relay-only-peers on and off, against a real relayed-address pool with a
 * live allocation's port, including the loopback bypasses of coturn
 * CVE-2020-26262 (0.0.0.0, [::]) and CVE-2026-27624 (IPv4 in IPv6 forms). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "peer_policy.h"
#include "relay_addr.h"

#define LOW 20900
#define HIGH 20919

struct fixture {
    struct relay_addr_pool pool;
    struct relay_addr_lease lease; /* a live relayed address */
    uint16_t port;
};

static int setup(void **state)
{
    static struct fixture f;
    struct umbra_addr ip;
    assert_int_equal(sodium_init() >= 0, 1);
    assert_int_equal(addr_parse(&ip, "127.0.0.1", 0), 0);
    assert_int_equal(relay_addr_pool_init(&f.pool, &ip, 1, LOW, HIGH), 0);
    assert_int_equal(relay_addr_open(&f.pool, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &f.lease),
                     RELAY_ADDR_OK);
    f.port = addr_port(&f.lease.addr);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->lease.fd);
    relay_addr_release(&f->pool, &f->lease.addr);
    relay_addr_pool_free(&f->pool);
    return 0;
}

/* "%P" in an address stands for the live relayed port, "%Q" for a port in
 * the range that no allocation holds. */
struct row {
    const char *peer;
    enum peer_verdict relay_only;
    enum peer_verdict open; /* relay-only-peers = no */
    const char *why;
};

static const struct row rows[] = {
    {"127.0.0.1:%P", PEER_ALLOW, PEER_ALLOW, "relayed address of a live allocation"},
    {"[::ffff:127.0.0.1]:%P", PEER_ALLOW, PEER_ALLOW, "same relayed address, IPv4-mapped"},
    {"127.0.0.1:%Q", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "loopback port with no allocation"},
    {"127.0.0.1:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "loopback service"},
    {"127.1.2.3:%P", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "other loopback IP, same port"},
    /* CVE-2020-26262: the unspecified address reaches loopback services. */
    {"0.0.0.0:%P", PEER_DENY_UNSPECIFIED, PEER_DENY_UNSPECIFIED, "0.0.0.0"},
    {"0.1.2.3:22", PEER_DENY_UNSPECIFIED, PEER_DENY_UNSPECIFIED, "0.0.0.0/8"},
    {"[::]:%P", PEER_DENY_UNSPECIFIED, PEER_DENY_UNSPECIFIED, "::"},
    {"[::ffff:0.0.0.0]:22", PEER_DENY_UNSPECIFIED, PEER_DENY_UNSPECIFIED, "mapped 0.0.0.0"},
    {"[::1]:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "::1"},
    /* CVE-2026-27624: IPv4 loopback and private hidden in IPv6 forms. */
    {"[::ffff:127.0.0.1]:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "IPv4-mapped loopback"},
    {"[::127.0.0.1]:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "IPv4-compatible loopback"},
    {"[64:ff9b::7f00:1]:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "NAT64 loopback"},
    {"[2002:7f00:1::]:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "6to4 loopback"},
    {"[::ffff:10.1.2.3]:22", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "IPv4-mapped private"},
    {"[::ffff:169.254.169.254]:80", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE,
     "IPv4-mapped link-local metadata service"},
    {"10.0.0.1:3478", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "private 10/8"},
    {"192.168.1.1:3478", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "private 192.168/16"},
    {"172.16.0.1:3478", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "private 172.16/12"},
    {"100.64.0.1:3478", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "shared 100.64/10"},
    {"169.254.169.254:80", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "link-local"},
    {"224.0.0.1:5000", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "multicast"},
    {"255.255.255.255:5000", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "broadcast"},
    {"240.0.0.1:5000", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "reserved 240/4"},
    {"[fe80::1]:5000", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "IPv6 link-local"},
    {"[fd00::1]:5000", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "IPv6 unique local"},
    {"[ff02::1]:5000", PEER_DENY_NOT_RELAYED, PEER_DENY_SCOPE, "IPv6 multicast"},
    {"93.184.216.34:3478", PEER_DENY_NOT_RELAYED, PEER_DENY_SELF, "the relay's own public IP"},
    {"[::ffff:93.184.216.34]:9641", PEER_DENY_NOT_RELAYED, PEER_DENY_SELF,
     "the relay's own public IP, mapped"},
    {"8.8.8.8:3478", PEER_DENY_NOT_RELAYED, PEER_ALLOW, "public IPv4, not relayed"},
    {"[::ffff:8.8.8.8]:3478", PEER_DENY_NOT_RELAYED, PEER_ALLOW, "public IPv4, mapped"},
    {"[2001:4860:4860::8888]:3478", PEER_DENY_NOT_RELAYED, PEER_ALLOW, "public IPv6"},
};

static void expand(const char *pattern, uint16_t live, char *out, size_t cap)
{
    char tmp[128];
    const char *p = strchr(pattern, '%');
    if (p == NULL) {
        snprintf(out, cap, "%s", pattern);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%.*s%u%s", (int)(p - pattern), pattern,
             p[1] == 'P' ? live : (unsigned)(live == HIGH ? HIGH - 1 : live + 1), p + 2);
    snprintf(out, cap, "%s", tmp);
}

static void check_table(struct fixture *f, bool relay_only)
{
    struct peer_policy pol;
    struct peer_source own = {relay_addr_contains, &f->pool, false};
    struct umbra_addr self;
    peer_policy_init(&pol, relay_only);
    assert_int_equal(peer_policy_add_source(&pol, own), 0);
    assert_int_equal(addr_parse(&self, "93.184.216.34:3478", 0), 0);
    assert_int_equal(peer_policy_add_own(&pol, &self), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char text[128];
        struct umbra_addr peer, norm;
        enum peer_verdict want = relay_only ? rows[i].relay_only : rows[i].open;
        enum peer_verdict got;
        expand(rows[i].peer, f->port, text, sizeof(text));
        if (addr_parse(&peer, text, 0) != 0)
            fail_msg("row %zu: cannot parse %s", i, text);
        got = peer_policy_check(&pol, &peer, &norm);
        if (got != want)
            fail_msg("relay-only-peers=%s: %s (%s): got %s, want %s", relay_only ? "yes" : "no",
                     text, rows[i].why, peer_verdict_name(got), peer_verdict_name(want));
        /* An allowed peer is always used in its normalised IPv4 form. */
        if (got == PEER_ALLOW && strstr(text, "::ffff:") != NULL)
            assert_int_equal(addr_family(&norm), AF_INET);
    }
}

static void test_relay_only_on(void **state)
{
    check_table(*state, true);
}

static void test_relay_only_off(void **state)
{
    check_table(*state, false);
}

/* A relayed address stops being a valid peer once its allocation ends. */
static void test_released_address_denied(void **state)
{
    struct fixture *f = *state;
    struct relay_addr_lease l;
    struct peer_policy pol;
    struct peer_source own = {relay_addr_contains, &f->pool, false};
    struct umbra_addr norm;
    peer_policy_init(&pol, true);
    peer_policy_add_source(&pol, own);
    assert_int_equal(relay_addr_open(&f->pool, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &l),
                     RELAY_ADDR_OK);
    assert_int_equal(peer_policy_check(&pol, &l.addr, &norm), PEER_ALLOW);
    close(l.fd);
    relay_addr_release(&f->pool, &l.addr);
    assert_int_equal(peer_policy_check(&pol, &l.addr, &norm), PEER_DENY_NOT_RELAYED);
}

static int fleet_contains(void *ctx, const struct umbra_addr *a)
{
    return addr_equal(ctx, a) ? 1 : 0;
}

/* A second source (a fleet's relayed addresses) is consulted too. */
static void test_second_source(void **state)
{
    struct fixture *f = *state;
    struct peer_policy pol;
    struct umbra_addr other, norm;
    struct peer_source own = {relay_addr_contains, &f->pool, false};
    struct peer_source fleet = {fleet_contains, &other, false};
    assert_int_equal(addr_parse(&other, "203.0.113.7:50000", 0), 0);
    peer_policy_init(&pol, true);
    peer_policy_add_source(&pol, own);
    assert_int_equal(peer_policy_check(&pol, &other, &norm), PEER_DENY_NOT_RELAYED);
    assert_int_equal(peer_policy_add_source(&pol, fleet), 0);
    assert_int_equal(peer_policy_check(&pol, &other, &norm), PEER_ALLOW);
    {
        struct umbra_addr next = other;
        addr_set_port(&next, 50001);
        assert_int_equal(peer_policy_check(&pol, &next, &norm), PEER_DENY_NOT_RELAYED);
    }
}

static int always(void *ctx, const struct umbra_addr *a)
{
    return 1;
}

/* A remote source (the fleet) answers only inside fleet-networks, after
 * the scope check: a record claiming loopback opens nothing unless the
 * operator listed loopback itself, and none listed means no fleet peer. */
static void test_remote_source_scoped(void **state)
{
    struct fixture *f = *state;
    struct peer_policy pol;
    struct umbra_addr lo, pub, priv, norm;
    struct peer_source own = {relay_addr_contains, &f->pool, false};
    struct peer_source fleet = {always, NULL, true};
    struct fleet_net nets[3];
    char err[128];
    assert_int_equal(addr_parse(&lo, "127.0.0.1:3478", 0), 0);
    assert_int_equal(addr_parse(&pub, "8.8.8.8:50000", 0), 0);
    assert_int_equal(addr_parse(&priv, "[::ffff:10.0.0.1]:50000", 0), 0);
    assert_int_equal(fleet_net_parse("0.0.0.0/0", &nets[0], err, sizeof(err)), 0);
    assert_int_equal(fleet_net_parse("127.0.0.0/8", &nets[1], err, sizeof(err)), 0);
    assert_int_equal(fleet_net_parse("10.0.0.0/8", &nets[2], err, sizeof(err)), 0);
    peer_policy_init(&pol, true);
    peer_policy_add_source(&pol, own);
    assert_int_equal(peer_policy_add_source(&pol, fleet), 0);
    assert_int_equal(peer_policy_check(&pol, &lo, &norm), PEER_DENY_NOT_RELAYED);
    assert_int_equal(peer_policy_check(&pol, &pub, &norm), PEER_DENY_NOT_RELAYED);
    peer_policy_set_networks(&pol, nets, 1);
    assert_int_equal(peer_policy_check(&pol, &pub, &norm), PEER_ALLOW);
    assert_int_equal(peer_policy_check(&pol, &lo, &norm), PEER_DENY_NOT_RELAYED);
    assert_int_equal(peer_policy_check(&pol, &priv, &norm), PEER_DENY_NOT_RELAYED);
    peer_policy_set_networks(&pol, nets, 2);
    assert_int_equal(peer_policy_check(&pol, &lo, &norm), PEER_ALLOW);
    assert_int_equal(peer_policy_check(&pol, &priv, &norm), PEER_DENY_NOT_RELAYED);
    peer_policy_set_networks(&pol, nets, 3);
    assert_int_equal(peer_policy_check(&pol, &priv, &norm), PEER_ALLOW); /* normalised */
    /* With relay-only off, a remote match still needs the networks. */
    pol.relay_only = false;
    peer_policy_set_networks(&pol, nets, 1);
    assert_int_equal(peer_policy_check(&pol, &lo, &norm), PEER_DENY_SCOPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_only_on),           cmocka_unit_test(test_relay_only_off),
        cmocka_unit_test(test_released_address_denied), cmocka_unit_test(test_second_source),
        cmocka_unit_test(test_remote_source_scoped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
