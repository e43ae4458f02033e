/* Unit tests for broker/store against a real redis-server (started here on
 * port 22300, in the broker's port range): replies, pipelines, errors,
 * recovery after Redis goes away and returns, and a server that is no
 * writable master (a replica on port 35105, NOREPLICAS) counted as down. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "store.h"

#define PORT 22300

static pid_t redis_pid;
static pid_t replica_pid; /* stopped by teardown when an assertion ends a test early */
static struct log_ctx test_log;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A redis-server answers PING on port within 10 s: a fixed sleep is too
 * short on a busy machine. */
static bool redis_ready(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char buf[16];
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 200; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                  write(fd, "PING\r\n", 6) == 6 && read(fd, buf, sizeof(buf)) >= 5 &&
                  memcmp(buf, "+PONG", 5) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return true;
        sleep_ms(50);
    }
    return false;
}

static pid_t start_redis(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execlp("redis-server", "redis-server", "--port", "22300", "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", "--dir", "/tmp", (char *)NULL);
        _exit(127);
    }
    if (pid > 0 && !redis_ready(PORT)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void stop_redis(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static int setup(void **state)
{
    log_init(&test_log, "test", LOG_LEVEL_ERROR, stderr);
    redis_pid = start_redis();
    return redis_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    if (redis_pid > 0)
        stop_redis(redis_pid);
    if (replica_pid > 0)
        stop_redis(replica_pid);
    log_free(&test_log);
    return 0;
}

static void test_replies(void **state)
{
    struct store *st = store_new("127.0.0.1", PORT, 200, &test_log);
    struct redis_val v;
    assert_true(store_up(st));
    assert_int_equal(store_cmd(st, &v, "SET", "t:k", "value with spaces", "EX", "60", NULL), 0);
    assert_int_equal(v.type, REDIS_VAL_STR);
    assert_string_equal(v.str, "OK");
    redis_val_free(&v);
    assert_int_equal(store_cmd(st, &v, "GET", "t:k", NULL), 0);
    assert_string_equal(v.str, "value with spaces");
    assert_int_equal(v.len, 17);
    redis_val_free(&v);
    assert_int_equal(store_cmd(st, &v, "GET", "t:missing", NULL), 0);
    assert_int_equal(v.type, REDIS_VAL_NIL);
    assert_int_equal(store_cmd(st, &v, "TTL", "t:k", NULL), 0);
    assert_int_equal(v.type, REDIS_VAL_INT);
    assert_true(v.num > 0 && v.num <= 60);
    /* a Redis error reply is STORE_EREPLY, and the connection survives */
    assert_int_equal(store_cmd(st, &v, "HGET", "t:k", "f", NULL), STORE_EREPLY);
    assert_int_equal(store_cmd(st, &v, "EXISTS", "t:k", NULL), 0);
    assert_int_equal(v.num, 1);
    store_free(st);
}

static void test_batch(void **state)
{
    struct store *st = store_new("127.0.0.1", PORT, 200, &test_log);
    struct store_batch b = {0};
    struct redis_val v[4];
    store_batch_add(&b, "DEL", "t:l", NULL);
    store_batch_add(&b, "RPUSH", "t:l", "a", "b", "c", NULL);
    store_batch_add(&b, "LRANGE", "t:l", "0", "-1", NULL);
    store_batch_add(&b, "EXPIRE", "t:l", "60", NULL);
    assert_int_equal(store_batch_run(st, &b, v), 0);
    assert_int_equal(v[1].num, 3);
    assert_int_equal(v[2].type, REDIS_VAL_ARRAY);
    assert_int_equal(v[2].n, 3);
    assert_string_equal(v[2].elem[2].str, "c");
    assert_int_equal(v[3].num, 1);
    for (int i = 0; i < 4; i++)
        redis_val_free(&v[i]);
    store_free(st);
}

/* STORE_BATCH_MAX commands go in one round trip; one more, or a command
 * with more than STORE_ARGV_MAX arguments, refuses the whole batch with
 * STORE_EBATCH (no abort) and sends nothing; the store stays usable. */
static void test_batch_limits(void **state)
{
    struct store *st = store_new("127.0.0.1", PORT, 200, &test_log);
    struct store_batch b = {0};
    struct redis_val v[STORE_BATCH_MAX + 1], n;
    (void)state;
    store_cmd(st, NULL, "DEL", "t:n", NULL);
    for (int i = 0; i < STORE_BATCH_MAX; i++)
        store_batch_add(&b, "INCR", "t:n", NULL);
    assert_int_equal(store_batch_run(st, &b, v), 0);
    assert_int_equal(v[STORE_BATCH_MAX - 1].num, STORE_BATCH_MAX);
    for (int i = 0; i < STORE_BATCH_MAX; i++)
        redis_val_free(&v[i]);
    store_batch_add(&b, "INCR", "t:n", NULL);
    assert_true(b.overflow);
    assert_int_equal(store_batch_run(st, &b, v), STORE_EBATCH);
    assert_int_equal(store_cmd(st, &n, "GET", "t:n", NULL), 0);
    assert_int_equal(atoi(n.str), STORE_BATCH_MAX);
    redis_val_free(&n);
    memset(&b, 0, sizeof(b));
    store_batch_add(&b, "RPUSH", "t:n", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11",
                    "12", "13", "14", NULL);
    assert_false(b.overflow);
    memset(&b, 0, sizeof(b));
    store_batch_add(&b, "RPUSH", "t:n", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11",
                    "12", "13", "14", "15", NULL);
    assert_true(b.overflow);
    assert_int_equal(store_batch_run(st, &b, NULL), STORE_EBATCH);
    assert_int_equal(store_cmd(st, &n, "DEL", "t:n", NULL), 0);
    assert_int_equal(n.num, 1);
    store_free(st);
}

/* A replica (what a demoted master becomes) answers READONLY to writes:
 * the store counts as down (503, not 500) and drops the connection so the
 * master is looked for again; reads before that still work. */
static void test_replica_is_down(void **state)
{
    struct store *st;
    struct store_batch b = {0};
    struct redis_val v, vs[2];

    replica_pid = fork();
    if (replica_pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execlp("redis-server", "redis-server", "--port", "35105", "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", "--dir", "/tmp", "--replicaof", "127.0.0.1", "22300",
               (char *)NULL);
        _exit(127);
    }
    assert_true(redis_ready(35105));
    st = store_new("127.0.0.1", 35105, 200, &test_log);
    assert_int_equal(store_cmd(st, &v, "GET", "t:absent", NULL), 0);
    assert_int_equal(v.type, REDIS_VAL_NIL);
    store_batch_add(&b, "GET", "t:absent", NULL);
    store_batch_add(&b, "SET", "t:r", "x", NULL);
    assert_int_equal(store_batch_run(st, &b, vs), STORE_EDOWN);
    assert_int_equal(vs[0].type, REDIS_VAL_NIL); /* freed and zeroed */
    assert_false(store_up(st));                  /* dropped; the next try waits STORE_PROBE_MS */
    store_free(st);
    stop_redis(replica_pid);
    replica_pid = 0;

    /* NOREPLICAS: nothing written, 503, the connection stays. */
    st = store_new("127.0.0.1", PORT, 200, &test_log);
    assert_int_equal(store_cmd(st, &v, "CONFIG", "SET", "min-replicas-to-write", "3", NULL), 0);
    redis_val_free(&v);
    assert_int_equal(store_cmd(st, &v, "SET", "t:n", "x", NULL), STORE_EDOWN);
    assert_true(store_up(st));
    assert_int_equal(store_cmd(st, &v, "EXISTS", "t:n", NULL), 0);
    assert_int_equal(v.num, 0);
    assert_int_equal(store_cmd(st, &v, "CONFIG", "SET", "min-replicas-to-write", "0", NULL), 0);
    redis_val_free(&v);
    assert_int_equal(store_cmd(st, &v, "SET", "t:n", "x", "EX", "60", NULL), 0);
    redis_val_free(&v);
    store_free(st);
}

static void test_down_then_recovers(void **state)
{
    struct store *st = store_new("127.0.0.1", PORT, 100, &test_log);
    struct redis_val v;
    struct timespec t0, t1;
    assert_int_equal(store_cmd(st, &v, "PING", NULL), 0);
    redis_val_free(&v);
    stop_redis(redis_pid);
    redis_pid = 0;
    assert_int_equal(store_cmd(st, &v, "PING", NULL), STORE_EDOWN);
    /* while down, answers come at once (no reconnect storm) */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(store_cmd(st, &v, "PING", NULL), STORE_EDOWN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
    redis_pid = start_redis();
    assert_true(redis_pid > 0);
    sleep_ms(STORE_PROBE_MS + 50); /* past the reconnect interval */
    assert_int_equal(store_cmd(st, &v, "PING", NULL), 0);
    assert_string_equal(v.str, "PONG");
    redis_val_free(&v);
    store_free(st);
}

static void test_never_up(void **state)
{
    struct store *st = store_new("127.0.0.1", 22399, 50, &test_log);
    struct redis_val v;
    assert_false(store_up(st));
    assert_int_equal(store_cmd(st, &v, "PING", NULL), STORE_EDOWN);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replies),         cmocka_unit_test(test_batch),
        cmocka_unit_test(test_replica_is_down), cmocka_unit_test(test_down_then_recovers),
        cmocka_unit_test(test_never_up),        cmocka_unit_test(test_batch_limits),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
