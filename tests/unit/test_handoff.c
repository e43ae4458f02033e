/* Unit tests for relay/handoff: records come out in order with their
 * addresses and bytes, the scratch bytes around a datagram touch no other
 * record, a full ring refuses and recovers, wrap-around keeps records
 * whole, a producer and a consumer thread pass records intact, and the
 * wake rule never leaves a sleeping consumer with records. */
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "handoff.h"

static struct umbra_addr addr_of(const char *ip, uint16_t port)
{
    struct umbra_addr a;
    assert_int_equal(addr_parse(&a, ip, port), 0);
    return a;
}

static void fill(uint8_t *p, size_t len, uint32_t seq)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seq * 31 + i);
}

static int check(const uint8_t *p, size_t len, uint32_t seq)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != (uint8_t)(seq * 31 + i))
            return -1;
    return 0;
}

static void test_order_and_scratch(void **state)
{
    struct handoff_ring r;
    struct umbra_addr d4 = addr_of("127.0.0.1", 40000), s4 = addr_of("127.0.0.2", 40001);
    struct umbra_addr d6 = addr_of("2001:db8::1", 40002), s6 = addr_of("2001:db8::2", 40003);
    uint8_t buf[1500];
    struct handoff_rec rec;
    size_t pos;

    assert_int_equal(handoff_ring_init(&r, 8192), 0);
    for (uint32_t i = 0; i < 3; i++) {
        fill(buf, 100 + i, i);
        assert_int_equal(handoff_push(&r, i == 1 ? &d6 : &d4, i == 1 ? &s6 : &s4, buf, 100 + i), 0);
    }
    pos = handoff_consumer_pos(&r);
    for (uint32_t i = 0; i < 3; i++) {
        assert_true(handoff_peek(&r, &pos, &rec));
        assert_true(addr_equal(&rec.dst, i == 1 ? &d6 : &d4));
        assert_true(addr_equal(&rec.src, i == 1 ? &s6 : &s4));
        assert_int_equal(rec.len, 100 + i);
        assert_int_equal(check(rec.data, rec.len, i), 0);
        /* What a consumer may do in place: a header before, padding after. */
        memset(rec.data - 4, 0xEE, 4);
        memset(rec.data + rec.len, 0xEE, 3);
    }
    assert_false(handoff_peek(&r, &pos, &rec));
    handoff_release(&r, pos);
    /* Over 65535 bytes is no datagram. */
    assert_int_equal(handoff_push(&r, &d4, &s4, buf, 65536), -1);
    handoff_ring_free(&r);
}

static void test_full_and_wrap(void **state)
{
    struct handoff_ring r;
    struct umbra_addr d = addr_of("127.0.0.1", 40000), s = addr_of("127.0.0.1", 40001);
    uint8_t buf[1500];
    struct handoff_rec rec;
    uint32_t pushed = 0, popped = 0;
    size_t pos;

    assert_int_equal(handoff_ring_init(&r, 4096), 0);
    /* Fill until refused: nothing is lost, nothing overwritten. */
    for (;;) {
        fill(buf, 200, pushed);
        if (handoff_push(&r, &d, &s, buf, 200) != 0)
            break;
        pushed++;
    }
    assert_true(pushed >= 10);
    pos = handoff_consumer_pos(&r);
    /* Refused while nothing is released, even after peeking. */
    assert_true(handoff_peek(&r, &pos, &rec));
    assert_int_equal(handoff_push(&r, &d, &s, buf, 200), -1);
    handoff_release(&r, pos);
    popped = 1;
    /* Many rounds of varying sizes wrap the ring many times. */
    for (uint32_t round = 0; round < 2000; round++) {
        size_t len = 1 + (round * 37) % 1400;
        fill(buf, len, pushed);
        while (handoff_push(&r, &d, &s, buf, len) != 0) {
            pos = handoff_consumer_pos(&r);
            assert_true(handoff_peek(&r, &pos, &rec));
            assert_int_equal(check(rec.data, rec.len, popped), 0);
            popped++;
            handoff_release(&r, pos);
        }
        pushed++;
    }
    pos = handoff_consumer_pos(&r);
    while (handoff_peek(&r, &pos, &rec)) {
        assert_int_equal(check(rec.data, rec.len, popped), 0);
        popped++;
    }
    handoff_release(&r, pos);
    assert_int_equal(popped, pushed);
    handoff_ring_free(&r);
}

#define THREAD_RECORDS 200000

static void *producer(void *arg)
{
    struct handoff_ring *r = arg;
    struct umbra_addr d = addr_of("127.0.0.1", 40000), s = addr_of("127.0.0.1", 40001);
    uint8_t buf[600];
    for (uint32_t i = 0; i < THREAD_RECORDS; i++) {
        size_t len = 8 + i % 500;
        memcpy(buf, &i, sizeof(i));
        fill(buf + 4, len - 4, i);
        while (handoff_push(r, &d, &s, buf, len) != 0)
            sched_yield();
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    struct handoff_ring r;
    pthread_t t;
    uint32_t next = 0;
    int bad = 0;

    assert_int_equal(handoff_ring_init(&r, 16384), 0);
    assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
    while (next < THREAD_RECORDS) {
        size_t pos = handoff_consumer_pos(&r);
        struct handoff_rec rec;
        while (handoff_peek(&r, &pos, &rec)) {
            uint32_t seq;
            memcpy(&seq, rec.data, sizeof(seq));
            if (seq != next || rec.len != 8 + next % 500 ||
                check(rec.data + 4, rec.len - 4, next) != 0)
                bad++;
            next++;
        }
        handoff_release(&r, pos);
    }
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
    handoff_ring_free(&r);
}

/* The wake rule in one thread: a consumer that released everything may be
 * asleep and gets a wake; one holding older records does not, and its
 * release reports the newer records instead. */
static void test_wake_rule(void **state)
{
    struct handoff_ring r;
    struct umbra_addr d = addr_of("127.0.0.1", 40000), s = addr_of("127.0.0.1", 40001);
    uint8_t buf[100] = {0};
    struct handoff_rec rec;
    size_t start, pos;

    assert_int_equal(handoff_ring_init(&r, 4096), 0);
    start = handoff_producer_pos(&r);
    assert_int_equal(handoff_push(&r, &d, &s, buf, 10), 0);
    assert_true(handoff_needs_wake(&r, start));
    /* The consumer reads the record but has not released it yet. */
    pos = handoff_consumer_pos(&r);
    assert_true(handoff_peek(&r, &pos, &rec));
    start = handoff_producer_pos(&r);
    assert_int_equal(handoff_push(&r, &d, &s, buf, 20), 0);
    assert_false(handoff_needs_wake(&r, start));
    /* Its release sees the new record, so it goes on without a wake. */
    assert_true(handoff_release_check(&r, pos));
    assert_true(handoff_peek(&r, &pos, &rec));
    assert_int_equal(rec.len, 20);
    assert_false(handoff_release_check(&r, pos));
    /* Everything released: the next batch wakes it again. */
    start = handoff_producer_pos(&r);
    assert_int_equal(handoff_push(&r, &d, &s, buf, 30), 0);
    assert_true(handoff_needs_wake(&r, start));
    handoff_ring_free(&r);
}

/* Producer and consumer threads with the wake rule and a sleeping consumer
 * (blocked in read() on an eventfd): every record arrives, none waits
 * forever for a wake that was skipped. */
struct wake_ctx {
    struct handoff_ring r;
    int efd;
};

#define WAKE_RECORDS 100000

static void *wake_producer(void *arg)
{
    struct wake_ctx *c = arg;
    struct umbra_addr d = addr_of("127.0.0.1", 40000), s = addr_of("127.0.0.1", 40001);
    uint8_t buf[64];
    uint32_t i = 0;
    while (i < WAKE_RECORDS) {
        size_t start = handoff_producer_pos(&c->r);
        unsigned batch = 1 + i % 7, pushed = 0;
        for (unsigned k = 0; k < batch && i < WAKE_RECORDS; k++) {
            memcpy(buf, &i, sizeof(i));
            if (handoff_push(&c->r, &d, &s, buf, sizeof(buf)) != 0)
                break;
            i++;
            pushed++;
        }
        if (pushed > 0 && handoff_needs_wake(&c->r, start)) {
            uint64_t one = 1;
            assert_true(write(c->efd, &one, sizeof(one)) == sizeof(one));
        }
        if (pushed == 0)
            sched_yield();
    }
    return NULL;
}

static void test_wake_threads(void **state)
{
    struct wake_ctx c;
    pthread_t t;
    uint32_t next = 0;
    int bad = 0;

    assert_int_equal(handoff_ring_init(&c.r, 8192), 0);
    c.efd = eventfd(0, 0);
    assert_true(c.efd >= 0);
    assert_int_equal(pthread_create(&t, NULL, wake_producer, &c), 0);
    while (next < WAKE_RECORDS) {
        struct pollfd p = {.fd = c.efd, .events = POLLIN};
        uint64_t v;
        /* Asleep until woken; 5 s without a wake means one was lost. */
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_true(read(c.efd, &v, sizeof(v)) == sizeof(v));
        for (;;) {
            size_t pos = handoff_consumer_pos(&c.r);
            struct handoff_rec rec;
            int m = 0;
            while (handoff_peek(&c.r, &pos, &rec)) {
                uint32_t seq;
                memcpy(&seq, rec.data, sizeof(seq));
                bad += seq != next;
                next++;
                m++;
            }
            if (m == 0 || !handoff_release_check(&c.r, pos))
                break;
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(bad, 0);
    close(c.efd);
    handoff_ring_free(&c.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_scratch), cmocka_unit_test(test_full_and_wrap),
        cmocka_unit_test(test_two_threads),       cmocka_unit_test(test_wake_rule),
        cmocka_unit_test(test_wake_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
