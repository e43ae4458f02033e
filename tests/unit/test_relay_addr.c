/* Unit tests for relay/relay_addr: ports handed out once each, exhaustion,
 * release, EVEN-PORT and RESERVATION-TOKEN, families, with real sockets on
 * loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <sys/socket.h>

#include "relay_addr.h"

#define LOW 20970
#define HIGH 20979 /* 10 ports */

static void pool_init(struct relay_addr_pool *p)
{
    struct umbra_addr ip;
    assert_int_equal(addr_parse(&ip, "127.0.0.1", 0), 0);
    assert_int_equal(relay_addr_pool_init(p, &ip, 1, LOW, HIGH), 0);
}

static void test_exhaustion_and_release(void **state)
{
    struct relay_addr_pool p;
    struct relay_addr_lease l[HIGH - LOW + 1], extra;
    bool seen[HIGH - LOW + 1] = {false};
    pool_init(&p);
    for (int i = 0; i <= HIGH - LOW; i++) {
        uint16_t port;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &l[i]),
                         RELAY_ADDR_OK);
        port = addr_port(&l[i].addr);
        assert_true(port >= LOW && port <= HIGH);
        assert_false(seen[port - LOW]);
        seen[port - LOW] = true;
        /* The socket really is bound there. */
        assert_int_equal(getsockname(l[i].fd, (struct sockaddr *)&ss, &sl), 0);
        assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), port);
        assert_int_equal(relay_addr_contains(&p, &l[i].addr), 1);
    }
    assert_int_equal(relay_addr_in_use(&p), HIGH - LOW + 1);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &extra),
                     RELAY_ADDR_EXHAUSTED);
    assert_int_equal(extra.fd, -1);
    /* One port back, one allocation more, and it is that port. */
    close(l[3].fd);
    relay_addr_release(&p, &l[3].addr);
    assert_int_equal(relay_addr_contains(&p, &l[3].addr), 0);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &extra),
                     RELAY_ADDR_OK);
    assert_true(addr_equal(&extra.addr, &l[3].addr));
    l[3] = extra;
    for (int i = 0; i <= HIGH - LOW; i++) {
        close(l[i].fd);
        relay_addr_release(&p, &l[i].addr);
    }
    assert_int_equal(relay_addr_in_use(&p), 0);
    relay_addr_pool_free(&p);
}

/* A port held by another socket is skipped, not handed out twice. */
static void test_port_taken_elsewhere(void **state)
{
    struct relay_addr_pool p;
    struct umbra_addr ip;
    struct relay_addr_lease l;
    int blockers[HIGH - LOW];
    pool_init(&p);
    for (int i = 0; i < HIGH - LOW; i++) {
        assert_int_equal(addr_parse(&ip, "127.0.0.1", (uint16_t)(LOW + i)), 0);
        blockers[i] = socket(AF_INET, SOCK_DGRAM, 0);
        assert_int_equal(bind(blockers[i], &ip.u.sa, (socklen_t)addr_len(&ip)), 0);
    }
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &l), RELAY_ADDR_OK);
    assert_int_equal(addr_port(&l.addr), HIGH);
    close(l.fd);
    relay_addr_release(&p, &l.addr);
    for (int i = 0; i < HIGH - LOW; i++)
        close(blockers[i]);
    relay_addr_pool_free(&p);
}

static void test_family(void **state)
{
    struct relay_addr_pool p;
    struct relay_addr_lease l;
    pool_init(&p);
    assert_true(relay_addr_has_family(&p, AF_INET));
    assert_false(relay_addr_has_family(&p, AF_INET6));
    assert_int_equal(relay_addr_open(&p, AF_INET6, RELAY_ADDR_ANY_PORT, NULL, 0, &l),
                     RELAY_ADDR_NO_FAMILY);
    relay_addr_pool_free(&p);
}

static void test_even_and_reservation(void **state)
{
    struct relay_addr_pool p;
    struct relay_addr_lease even, reserving, claimed, other;
    uint8_t bogus[RELAY_ADDR_TOKEN_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
    pool_init(&p);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_EVEN, NULL, 0, &even),
                         RELAY_ADDR_OK);
        assert_int_equal(addr_port(&even.addr) % 2, 0);
        assert_false(even.has_token);
        close(even.fd);
        relay_addr_release(&p, &even.addr);
    }
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_EVEN_RESERVE, NULL, 100, &reserving),
                     RELAY_ADDR_OK);
    assert_int_equal(addr_port(&reserving.addr) % 2, 0);
    assert_true(reserving.has_token);
    /* The next port is kept: no plain allocation gets it. */
    for (int i = 0; i < HIGH - LOW - 1; i++) {
        assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 100, &other),
                         RELAY_ADDR_OK);
        assert_int_not_equal(addr_port(&other.addr), addr_port(&reserving.addr) + 1);
        close(other.fd); /* port stays marked used: released below */
    }
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 100, &other),
                     RELAY_ADDR_EXHAUSTED);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, bogus, 100, &claimed),
                     RELAY_ADDR_BAD_TOKEN);
    assert_int_equal(
        relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, reserving.token, 100, &claimed),
        RELAY_ADDR_OK);
    assert_int_equal(addr_port(&claimed.addr), addr_port(&reserving.addr) + 1);
    /* A token works once. */
    assert_int_equal(
        relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, reserving.token, 100, &other),
        RELAY_ADDR_BAD_TOKEN);
    close(claimed.fd);
    close(reserving.fd);
    relay_addr_pool_free(&p);
}

static void test_reservation_expires(void **state)
{
    struct relay_addr_pool p;
    struct relay_addr_lease r, claimed;
    pool_init(&p);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_EVEN_RESERVE, NULL, 100, &r),
                     RELAY_ADDR_OK);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, r.token,
                                     100 + RELAY_ADDR_RESERVE_SECONDS, &claimed),
                     RELAY_ADDR_BAD_TOKEN);
    assert_int_equal(relay_addr_in_use(&p), 1);
    close(r.fd);
    relay_addr_pool_free(&p);
}

/* Two families in one pool; skipped only where the host has no IPv6. */
static void test_dual_stack(void **state)
{
    struct relay_addr_pool p;
    struct umbra_addr ips[2];
    struct relay_addr_lease l4, l6;
    int probe = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (probe < 0 || bind(probe, (struct sockaddr *)&lo, sizeof(lo)) != 0) {
        if (probe >= 0)
            close(probe);
        skip();
    }
    close(probe);
    assert_int_equal(addr_parse(&ips[0], "127.0.0.1", 0), 0);
    assert_int_equal(addr_parse(&ips[1], "::1", 0), 0);
    assert_int_equal(relay_addr_pool_init(&p, ips, 2, LOW, HIGH), 0);
    assert_true(relay_addr_has_family(&p, AF_INET6));
    assert_int_equal(relay_addr_open(&p, AF_INET6, RELAY_ADDR_ANY_PORT, NULL, 0, &l6),
                     RELAY_ADDR_OK);
    assert_int_equal(addr_family(&l6.addr), AF_INET6);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &l4),
                     RELAY_ADDR_OK);
    assert_int_equal(addr_family(&l4.addr), AF_INET);
    assert_int_equal(relay_addr_contains(&p, &l6.addr), 1);
    {
        /* The same port on the other family is a different address. */
        struct umbra_addr other = ips[0];
        addr_set_port(&other, addr_port(&l6.addr));
        if (addr_port(&l6.addr) != addr_port(&l4.addr))
            assert_int_equal(relay_addr_contains(&p, &other), 0);
    }
    close(l4.fd);
    close(l6.fd);
    relay_addr_release(&p, &l4.addr);
    relay_addr_release(&p, &l6.addr);
    assert_int_equal(relay_addr_in_use(&p), 0);
    relay_addr_pool_free(&p);
}

/* The owner map the packet path reads: set for a leased port, forgotten on
 * release, unknown for other addresses. */
static void test_owner(void **state)
{
    struct relay_addr_pool p;
    struct relay_addr_lease l;
    struct umbra_addr other;
    pool_init(&p);
    assert_int_equal(relay_addr_open(&p, AF_INET, RELAY_ADDR_ANY_PORT, NULL, 0, &l), RELAY_ADDR_OK);
    assert_int_equal(relay_addr_owner(&p, &l.addr), -1);
    relay_addr_set_owner(&p, &l.addr, 3);
    assert_int_equal(relay_addr_owner(&p, &l.addr), 3);
    /* same port on another IP, and an IP of the pool outside the range */
    assert_int_equal(addr_parse(&other, "127.0.0.2", addr_port(&l.addr)), 0);
    assert_int_equal(relay_addr_owner(&p, &other), -1);
    assert_int_equal(addr_parse(&other, "127.0.0.1", LOW - 1), 0);
    relay_addr_set_owner(&p, &other, 1);
    assert_int_equal(relay_addr_owner(&p, &other), -1);
    close(l.fd);
    relay_addr_release(&p, &l.addr);
    assert_int_equal(relay_addr_owner(&p, &l.addr), -1);
    relay_addr_pool_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustion_and_release),
        cmocka_unit_test(test_port_taken_elsewhere),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_even_and_reservation),
        cmocka_unit_test(test_reservation_expires),
        cmocka_unit_test(test_dual_stack),
        cmocka_unit_test(test_owner),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
