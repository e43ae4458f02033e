/* Unit tests for relay/send_batch: the plan (GSO groups only equal-size
 * runs of one flow, each flow keeps its order, messages grouped by socket)
 * and real sends on loopback sockets: a flush delivers every datagram in
 * order, a full batch flushes itself, a GSO message arrives as the
 * datagrams it was made of. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "send_batch.h"

static struct umbra_addr addr_of(const char *ip, uint16_t port)
{
    struct umbra_addr a;
    assert_int_equal(addr_parse(&a, ip, port), 0);
    return a;
}

static void entry(struct send_batch_entry *e, int fd, const struct umbra_addr *dest, size_t len)
{
    memset(e, 0, sizeof(*e));
    e->fd = fd;
    e->dest = *dest;
    e->len = len;
}

/* order[] of message m as entry indices, for comparison. */
static void expect_msg(const size_t *order, const struct send_batch_msg *msg, const size_t *want,
                       size_t n, uint16_t gso)
{
    assert_int_equal(msg->count, n);
    assert_int_equal(msg->gso_size, gso);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(order[msg->first + i], want[i]);
}

static void test_plan_gso_runs(void **state)
{
    struct umbra_addr a = addr_of("127.0.0.1", 5000), b = addr_of("127.0.0.1", 5001);
    struct send_batch_entry e[8];
    size_t order[SEND_BATCH_MAX];
    struct send_batch_msg msgs[SEND_BATCH_MAX];
    size_t m;

    /* A100 A100 B100 A100 A60 A100 B100 A100: A's run of 100s is closed by
     * the 60; B's two 100s form a run across the A datagrams between. */
    entry(&e[0], 5, &a, 100);
    entry(&e[1], 5, &a, 100);
    entry(&e[2], 5, &b, 100);
    entry(&e[3], 5, &a, 100);
    entry(&e[4], 5, &a, 60);
    entry(&e[5], 5, &a, 100);
    entry(&e[6], 5, &b, 100);
    entry(&e[7], 5, &a, 100);
    m = send_batch_plan(e, 8, true, order, msgs);
    assert_int_equal(m, 3);
    expect_msg(order, &msgs[0], (size_t[]){0, 1, 3, 4}, 4, 100);
    expect_msg(order, &msgs[1], (size_t[]){2, 6}, 2, 100);
    expect_msg(order, &msgs[2], (size_t[]){5, 7}, 2, 100);

    /* Without GSO: one message per datagram, in order. */
    m = send_batch_plan(e, 8, false, order, msgs);
    assert_int_equal(m, 8);
    for (size_t i = 0; i < 8; i++)
        expect_msg(order, &msgs[i], (size_t[]){i}, 1, 0);
}

static void test_plan_no_group(void **state)
{
    struct umbra_addr a = addr_of("127.0.0.1", 5000);
    struct umbra_addr a6 = addr_of("::1", 5000);
    struct send_batch_entry e[6];
    size_t order[SEND_BATCH_MAX];
    struct send_batch_msg msgs[SEND_BATCH_MAX];
    size_t m;

    /* A larger datagram after a smaller one ends the run (only the last
     * segment may be shorter) and starts the next; a later datagram of the
     * flow never joins an earlier message. */
    entry(&e[0], 5, &a, 100);
    entry(&e[1], 5, &a, 120);
    entry(&e[2], 5, &a, 100);
    entry(&e[3], 5, &a, 100);
    m = send_batch_plan(e, 4, true, order, msgs);
    assert_int_equal(m, 3);
    expect_msg(order, &msgs[0], (size_t[]){0}, 1, 0);
    expect_msg(order, &msgs[1], (size_t[]){1, 2}, 2, 120);
    expect_msg(order, &msgs[2], (size_t[]){3}, 1, 0);

    /* Same size, other socket or other address family: other flows. */
    entry(&e[0], 5, &a, 100);
    entry(&e[1], 6, &a, 100);
    entry(&e[2], 5, &a6, 100);
    m = send_batch_plan(e, 3, true, order, msgs);
    assert_int_equal(m, 3);
    /* Socket 5's messages come together, before socket 6's. */
    expect_msg(order, &msgs[0], (size_t[]){0}, 1, 0);
    expect_msg(order, &msgs[1], (size_t[]){2}, 1, 0);
    expect_msg(order, &msgs[2], (size_t[]){1}, 1, 0);

    /* Datagrams over the GSO segment limit, and empty ones, go singly. */
    entry(&e[0], 5, &a, SEND_BATCH_GSO_SEGMENT_MAX + 1);
    entry(&e[1], 5, &a, SEND_BATCH_GSO_SEGMENT_MAX + 1);
    entry(&e[2], 5, &a, 0);
    entry(&e[3], 5, &a, 0);
    m = send_batch_plan(e, 4, true, order, msgs);
    assert_int_equal(m, 4);
}

static void test_plan_limits(void **state)
{
    struct umbra_addr a = addr_of("127.0.0.1", 5000);
    struct send_batch_entry e[SEND_BATCH_MAX];
    size_t order[SEND_BATCH_MAX];
    struct send_batch_msg msgs[SEND_BATCH_MAX];
    size_t m, total = 0;

    /* 64 datagrams of 1200 bytes exceed the bytes of one GSO message. */
    for (size_t i = 0; i < SEND_BATCH_MAX; i++)
        entry(&e[i], 5, &a, 1200);
    m = send_batch_plan(e, SEND_BATCH_MAX, true, order, msgs);
    assert_true(m >= 2);
    for (size_t i = 0; i < m; i++) {
        assert_true(msgs[i].count * 1200 <= SEND_BATCH_GSO_BYTES_MAX);
        assert_true(msgs[i].count <= SEND_BATCH_GSO_SEGMENTS);
        for (size_t j = 0; j < msgs[i].count; j++)
            assert_int_equal(order[msgs[i].first + j], total + j);
        total += msgs[i].count;
    }
    assert_int_equal(total, SEND_BATCH_MAX);
}

static int udp_socket(struct umbra_addr *bound)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    struct umbra_addr any = addr_of("127.0.0.1", 0);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sz = 1 << 20;
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    assert_int_equal(bind(fd, &any.u.sa, (socklen_t)addr_len(&any)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    assert_int_equal(addr_from_sockaddr(bound, (struct sockaddr *)&ss, sl), 0);
    return fd;
}

/* Receives every waiting datagram; returns how many, with their bytes. */
static size_t drain(int fd, uint8_t (*bufs)[2048], size_t *lens, size_t max)
{
    size_t n = 0;
    while (n < max) {
        ssize_t r = recv(fd, bufs[n], sizeof(bufs[n]), MSG_DONTWAIT);
        if (r < 0)
            break;
        lens[n++] = (size_t)r;
    }
    return n;
}

/* Datagram i: its size and a fill byte derived from i. */
static size_t dgram_len(size_t i)
{
    return i % 3 == 2 ? 50 : 300;
}

static void test_flush_order(void **state)
{
    static uint8_t data[100][400];
    static uint8_t got[200][2048];
    size_t lens[200];
    struct umbra_addr r1a, r2a, sa;
    int r1 = udp_socket(&r1a), r2 = udp_socket(&r2a), s = udp_socket(&sa);
    bool gso = send_batch_gso_probe(s);
    static struct send_batch b;

    for (int pass = 0; pass < (gso ? 2 : 1); pass++) {
        size_t n1, n2, i1 = 0, i2 = 0;
        send_batch_init(&b, pass == 1);
        /* 100 datagrams, alternating runs to two receivers, so the batch
         * fills up (flushes itself at 64) and GSO runs form. */
        for (size_t i = 0; i < 100; i++) {
            const struct umbra_addr *to = (i / 4) % 2 == 0 ? &r1a : &r2a;
            memset(data[i], (int)(i + 1), sizeof(data[i]));
            send_batch_add(&b, s, to, data[i], dgram_len(i), 1);
            if (i == SEND_BATCH_MAX) {
                /* The 65th add flushed the first 64. */
                size_t early = drain(r1, got, lens, 200) + drain(r2, got, lens, 200);
                assert_int_equal(early, SEND_BATCH_MAX);
            }
        }
        send_batch_flush(&b);
        assert_int_equal(b.n, 0);
        assert_int_equal(b.stats.pkts[1], 100);
        assert_int_equal(b.stats.dropped[1], 0);
        if (pass == 1)
            assert_true(b.stats.gso_msgs > 0);
        else
            assert_int_equal(b.stats.gso_msgs, 0);
        /* Everything after the early flush: each receiver sees its
         * datagrams in the order added, intact. */
        n1 = drain(r1, got, lens, 100);
        n2 = drain(r2, got + 100, lens + 100, 100);
        for (size_t i = SEND_BATCH_MAX; i < 100; i++) {
            bool to1 = (i / 4) % 2 == 0;
            size_t k = to1 ? i1++ : 100 + i2++;
            assert_true(to1 ? i1 <= n1 : i2 <= n2);
            assert_int_equal(lens[k], dgram_len(i));
            assert_memory_equal(got[k], data[i], dgram_len(i));
        }
        assert_int_equal(i1, n1);
        assert_int_equal(i2, n2);
    }
    close(r1);
    close(r2);
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_gso_runs),
        cmocka_unit_test(test_plan_no_group),
        cmocka_unit_test(test_plan_limits),
        cmocka_unit_test(test_flush_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
